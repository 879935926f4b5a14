/** Leverage: gross exposure after the order over equity (last observe). Orders that lower gross exposure pass. */
import type { RiskRule } from '../types.ts';
import { deny, figure, NOT_OBSERVED } from './shared.ts';

export const LEVERAGE_RULE = 'leverage';

export const leverageRule: RiskRule = {
  name: LEVERAGE_RULE,
  check(order, state) {
    const limit = state.limits.maxLeverage;
    if (limit === null) return undefined;
    const e = state.exposure;
    if (e.grossAfter <= e.grossBefore) return undefined;
    const equity = state.pnl?.equity;
    if (equity !== undefined && equity > 0 && e.grossAfter <= limit * equity) return undefined;
    return deny(
      'LEVERAGE_EXCEEDS_MAX',
      LEVERAGE_RULE,
      {
        limit,
        value: equity === undefined ? 'unknown' : equity > 0 ? figure(e.grossAfter / equity) : 'infinite',
        gross_exposure: figure(e.grossAfter),
        equity: equity === undefined ? 'unknown' : figure(equity),
        instrument: order.instrumentId,
      },
      equity === undefined ? NOT_OBSERVED : undefined,
    );
  },
};
