/** An order flagged reduce-only must shrink the position without flipping it. */
import type { RiskRule } from '../types.ts';
import { deny, reducesPosition } from './shared.ts';

export const REDUCE_ONLY_RULE = 'reduce-only';

export const reduceOnlyRule: RiskRule = {
  name: REDUCE_ONLY_RULE,
  check(order, state) {
    if (order.reduceOnly !== true || reducesPosition(order, state)) return undefined;
    return deny('REDUCE_ONLY_WOULD_INCREASE', REDUCE_ONLY_RULE, {
      instrument: order.instrumentId,
      position: state.facts.positionBefore,
      side: order.side,
      quantity: order.quantity.toString(),
    });
  },
};
