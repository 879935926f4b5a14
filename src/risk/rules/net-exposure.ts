/** |Σ exposure| (longs minus shorts) after the order; an order that lowers it always passes. */
import type { RiskRule } from '../types.ts';
import { deny, figure } from './shared.ts';

export const NET_EXPOSURE_RULE = 'net-exposure';

export const netExposureRule: RiskRule = {
  name: NET_EXPOSURE_RULE,
  check(order, state) {
    const limit = state.limits.maxNetExposure;
    if (limit === null) return undefined;
    const after = Math.abs(state.exposure.netAfter);
    const before = Math.abs(state.exposure.netBefore);
    if (after <= limit || after <= before) return undefined;
    return deny('NET_EXPOSURE_EXCEEDS_MAX', NET_EXPOSURE_RULE, {
      limit,
      value: figure(after),
      before: figure(before),
      instrument: order.instrumentId,
    });
  },
};
