/** Kill switch and trading state: HALTED passes nothing; REDUCING passes only orders that shrink a position. */
import type { RiskRule } from '../types.ts';
import { deny, reducesPosition } from './shared.ts';

export const TRADING_STATE_RULE = 'trading-state';

export const tradingStateRule: RiskRule = {
  name: TRADING_STATE_RULE,
  check(order, state) {
    if (state.limits.killSwitch) {
      return deny(
        'TRADING_HALTED',
        TRADING_STATE_RULE,
        { scope: 'kill-switch', instrument: order.instrumentId },
        'kill switch is on',
      );
    }
    const ts = state.facts.tradingState;
    if (ts === 'ACTIVE') return undefined;
    if (ts === 'HALTED') {
      const why = state.trading.explain(order.instrumentId, order.venue);
      return deny(
        'TRADING_HALTED',
        TRADING_STATE_RULE,
        { scope: why.scope, instrument: order.instrumentId },
        why.reason,
      );
    }
    if (reducesPosition(order, state)) return undefined;
    const why = state.trading.explain(order.instrumentId, order.venue);
    return deny(
      'REDUCING_ONLY',
      TRADING_STATE_RULE,
      {
        scope: why.scope,
        instrument: order.instrumentId,
        position: state.facts.positionBefore,
        side: order.side,
        quantity: order.quantity.toString(),
      },
      why.reason,
    );
  },
};
