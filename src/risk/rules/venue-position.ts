/**
 * Position per venue: Σ |exposure| (quote currency) of the positions held on the order's venue,
 * after the order. Caps what one venue failure can strand. An order that lowers it passes.
 */
import type { RiskRule } from '../types.ts';
import { deny, figure } from './shared.ts';

export const VENUE_POSITION_RULE = 'venue-position';

export const venuePositionRule: RiskRule = {
  name: VENUE_POSITION_RULE,
  check(order, state) {
    const limit = state.limits.maxPositionPerVenue;
    if (limit === null) return undefined;
    const { venueGrossAfter, venueGrossBefore } = state.exposure;
    if (venueGrossAfter <= limit || venueGrossAfter <= venueGrossBefore) return undefined;
    return deny('VENUE_POSITION_EXCEEDS_MAX', VENUE_POSITION_RULE, {
      limit,
      value: figure(venueGrossAfter),
      venue: order.venue,
    });
  },
};
