/**
 * The default chain, in order. Cheap, decisive rules first (a halted desk needs no arithmetic).
 * A new rule is one file here exporting a `RiskRule`, plus one line in this list.
 */
import type { RiskRule } from '../types.ts';
import { maxOrderNotionalRule } from './max-order-notional.ts';
import { maxPositionRule } from './max-position.ts';
import { priceBandRule } from './price-band.ts';
import { reduceOnlyRule } from './reduce-only.ts';
import { tradingStateRule } from './trading-state.ts';

export const DEFAULT_RULES: readonly RiskRule[] = [
  tradingStateRule,
  reduceOnlyRule,
  priceBandRule,
  maxOrderNotionalRule,
  maxPositionRule,
];

export { maxOrderNotionalRule, maxPositionRule, priceBandRule, reduceOnlyRule, tradingStateRule };
export { deny, exactPrice, FLOAT_MARGIN, reducesPosition, signedQuantityExact } from './shared.ts';
