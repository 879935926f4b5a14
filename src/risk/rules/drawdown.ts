/** Drawdown from the equity peak (as of the last observe): at or beyond the limit, only reducing orders pass. */
import type { RiskRule } from '../types.ts';
import { deny, figure, NOT_OBSERVED, reducesPosition } from './shared.ts';

export const DRAWDOWN_RULE = 'drawdown';

export const drawdownRule: RiskRule = {
  name: DRAWDOWN_RULE,
  check(order, state) {
    const limit = state.limits.maxDrawdown;
    if (limit === null) return undefined;
    const pnl = state.pnl;
    if (pnl !== undefined && pnl.drawdown < limit) return undefined;
    if (reducesPosition(order, state)) return undefined;
    return deny(
      'DRAWDOWN_LIMIT_REACHED',
      DRAWDOWN_RULE,
      {
        limit,
        value: pnl === undefined ? 'unknown' : figure(pnl.drawdown),
        peak_equity: pnl === undefined ? 'unknown' : figure(pnl.peakEquity),
        equity: pnl === undefined ? 'unknown' : figure(pnl.equity),
      },
      pnl === undefined ? NOT_OBSERVED : 'only reducing orders pass',
    );
  },
};
