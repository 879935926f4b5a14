/**
 * Order rate per venue: at most `orderRate.maxOrders` orders passed in any rolling
 * `orderRate.windowMs` (on the injected clock). Applies to every order, reducing ones included:
 * it protects the venue connection, not the book.
 */
import type { RiskRule } from '../types.ts';
import { deny } from './shared.ts';

export const ORDER_RATE_RULE = 'order-rate';

export const orderRateRule: RiskRule = {
  name: ORDER_RATE_RULE,
  check(order, state) {
    const rate = state.limits.orderRate;
    if (rate === null) return undefined;
    const windowStart = state.now - rate.windowMs;
    if (!(state.orderRate.nthLatest(order.venue, rate.maxOrders) > windowStart)) return undefined;
    return deny('ORDER_RATE_EXCEEDED', ORDER_RATE_RULE, {
      limit: rate.maxOrders,
      value: state.orderRate.countInWindow(order.venue, state.now, rate.windowMs, rate.maxOrders),
      window_ms: rate.windowMs,
      venue: order.venue,
    });
  },
};
