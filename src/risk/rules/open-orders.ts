/**
 * Caps on orders not yet terminal, in total and per venue, as counted by the order manager
 * (the kernel's OpenOrdersView). The order being checked would be one more.
 */
import type { RiskRule } from '../types.ts';
import { deny } from './shared.ts';

export const OPEN_ORDERS_RULE = 'open-orders';

export const openOrdersRule: RiskRule = {
  name: OPEN_ORDERS_RULE,
  check(order, state) {
    const total = state.limits.maxOpenOrders;
    if (total !== null) {
      const open = state.openOrders.openOrders();
      if (open + 1 > total) {
        return deny('OPEN_ORDERS_EXCEED_MAX', OPEN_ORDERS_RULE, { limit: total, value: open + 1 });
      }
    }
    const perVenue = state.limits.maxOpenOrdersPerVenue;
    if (perVenue !== null) {
      const open = state.openOrders.openOrders(order.venue);
      if (open + 1 > perVenue) {
        return deny('VENUE_OPEN_ORDERS_EXCEED_MAX', OPEN_ORDERS_RULE, {
          limit: perVenue,
          value: open + 1,
          venue: order.venue,
        });
      }
    }
    return undefined;
  },
};
