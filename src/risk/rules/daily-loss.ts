/**
 * Daily loss: once realized + unrealized PnL since the daily reset (as of the last observe) is
 * at or below −maxDailyLoss, only orders that shrink a position pass. The engine also drops the
 * desk to REDUCING when it observes the breach.
 */
import type { RiskRule } from '../types.ts';
import { deny, figure, NOT_OBSERVED, reducesPosition } from './shared.ts';

export const DAILY_LOSS_RULE = 'daily-loss';

export const dailyLossRule: RiskRule = {
  name: DAILY_LOSS_RULE,
  check(order, state) {
    const limit = state.limits.maxDailyLoss;
    if (limit === null) return undefined;
    const pnl = state.pnl;
    if (pnl !== undefined && -pnl.dailyPnl < limit) return undefined;
    if (reducesPosition(order, state)) return undefined;
    return deny(
      'DAILY_LOSS_LIMIT_REACHED',
      DAILY_LOSS_RULE,
      { limit, value: pnl === undefined ? 'unknown' : figure(-pnl.dailyPnl), instrument: order.instrumentId },
      pnl === undefined ? NOT_OBSERVED : 'only reducing orders pass until the daily reset',
    );
  },
};
