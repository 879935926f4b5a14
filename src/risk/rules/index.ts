/**
 * The default chain, in order. Cheap, decisive rules first (a halted desk needs no arithmetic);
 * the window figures (correlation, VaR) last. A new rule is one file here exporting a
 * `RiskRule`, plus one line in this list. Rules whose limit is not configured cost one null check.
 */
import type { RiskRule } from '../types.ts';
import { circuitRule } from './circuit.ts';
import { concentrationRule } from './concentration.ts';
import { correlatedExposureRule } from './correlated-exposure.ts';
import { dailyLossRule } from './daily-loss.ts';
import { drawdownRule } from './drawdown.ts';
import { grossExposureRule } from './gross-exposure.ts';
import { leverageRule } from './leverage.ts';
import { maxOrderNotionalRule } from './max-order-notional.ts';
import { maxPositionRule } from './max-position.ts';
import { netEdgeRule } from './net-edge.ts';
import { netExposureRule } from './net-exposure.ts';
import { openOrdersRule } from './open-orders.ts';
import { orderRateRule } from './order-rate.ts';
import { priceBandRule } from './price-band.ts';
import { reduceOnlyRule } from './reduce-only.ts';
import { tradingStateRule } from './trading-state.ts';
import { valueAtRiskRule } from './value-at-risk.ts';
import { venuePositionRule } from './venue-position.ts';

export const DEFAULT_RULES: readonly RiskRule[] = [
  tradingStateRule,
  circuitRule,
  reduceOnlyRule,
  orderRateRule,
  priceBandRule,
  netEdgeRule,
  maxOrderNotionalRule,
  maxPositionRule,
  openOrdersRule,
  dailyLossRule,
  drawdownRule,
  venuePositionRule,
  grossExposureRule,
  netExposureRule,
  leverageRule,
  concentrationRule,
  correlatedExposureRule,
  valueAtRiskRule,
];

export { deny, exactPrice, FLOAT_MARGIN, figure, reducesPosition, signedQuantityExact } from './shared.ts';
export {
  circuitRule,
  concentrationRule,
  correlatedExposureRule,
  dailyLossRule,
  drawdownRule,
  grossExposureRule,
  leverageRule,
  maxOrderNotionalRule,
  maxPositionRule,
  netEdgeRule,
  netExposureRule,
  openOrdersRule,
  orderRateRule,
  priceBandRule,
  reduceOnlyRule,
  tradingStateRule,
  valueAtRiskRule,
  venuePositionRule,
};
