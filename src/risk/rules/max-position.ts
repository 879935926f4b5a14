/**
 * Absolute position cap per instrument (fill quantity units), checked on the position after the
 * order as if fully filled. An order that shrinks |position| always passes this rule, so a book
 * already over a lowered limit can still be brought back under it.
 */
import type { RiskRule } from '../types.ts';
import { deny, FLOAT_MARGIN, signedQuantityExact } from './shared.ts';

export const MAX_POSITION_RULE = 'max-position';

export const maxPositionRule: RiskRule = {
  name: MAX_POSITION_RULE,
  check(order, state) {
    const max = state.limits.maxPosition(order.instrumentId);
    if (max === undefined) return undefined;
    const after = Math.abs(state.facts.positionAfter);
    const before = Math.abs(state.facts.positionBefore);
    if (after <= max.float * (1 - FLOAT_MARGIN)) return undefined;
    const exactBefore = state.exactPositionBefore();
    const exactAfter = exactBefore.add(signedQuantityExact(order)).abs();
    if (exactAfter.lte(max.exact) || exactAfter.lt(exactBefore.abs())) return undefined;
    return deny('POSITION_EXCEEDS_MAX', MAX_POSITION_RULE, {
      max_position: max.exact.toString(),
      position_after: exactAfter.toString(),
      position_before: before,
      instrument: order.instrumentId,
    });
  },
};
