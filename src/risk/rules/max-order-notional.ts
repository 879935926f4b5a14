/**
 * Per-order notional cap: quantity × (limit price, or the reference for a market order) in the
 * quote currency, against the instrument's limit or the default. Float first; exact near the limit.
 */
import type { RiskRule } from '../types.ts';
import { deny, exactPrice, FLOAT_MARGIN } from './shared.ts';

export const MAX_ORDER_NOTIONAL_RULE = 'max-order-notional';

export const maxOrderNotionalRule: RiskRule = {
  name: MAX_ORDER_NOTIONAL_RULE,
  check(order, state) {
    const price = state.facts.price;
    if (!(price > 0) || price === Number.POSITIVE_INFINITY) {
      return deny('NO_REFERENCE_PRICE', MAX_ORDER_NOTIONAL_RULE, {
        instrument: order.instrumentId,
        reference: String(order.referencePrice),
      });
    }
    const max = state.limits.maxOrderNotional(order.instrumentId);
    const notional = state.facts.quantity * price;
    if (notional <= max.float * (1 - FLOAT_MARGIN)) return undefined;
    const exactNotional = order.quantity.mul(exactPrice(order)!);
    if (exactNotional.lte(max.exact)) return undefined;
    return deny('NOTIONAL_EXCEEDS_MAX_PER_ORDER', MAX_ORDER_NOTIONAL_RULE, {
      max_notional: max.exact.toString(),
      notional: exactNotional.toString(),
      instrument: order.instrumentId,
    });
  },
};
