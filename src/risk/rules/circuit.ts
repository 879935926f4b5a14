/**
 * Circuit breakers: while a breaker covering the order's instrument, venue or the whole desk is
 * OPEN (or HALF_OPEN with its probes used), no new risk passes; orders that shrink a position do.
 */
import type { RiskRule } from '../types.ts';
import { deny, reducesPosition } from './shared.ts';

export const CIRCUIT_RULE = 'circuit-breaker';

export const circuitRule: RiskRule = {
  name: CIRCUIT_RULE,
  check(order, state) {
    const b = state.breakers.blocking(order.instrumentId, order.venue, state.now);
    if (b === undefined || reducesPosition(order, state)) return undefined;
    return deny(
      'CIRCUIT_OPEN',
      CIRCUIT_RULE,
      {
        breaker: b.breaker,
        scope: b.scope,
        state: b.state,
        reopens_at: b.reopensAt,
        instrument: order.instrumentId,
      },
      b.reason,
    );
  },
};
