/** Σ |exposure| over all instruments after the order; an order that lowers it always passes. */
import type { RiskRule } from '../types.ts';
import { deny, figure } from './shared.ts';

export const GROSS_EXPOSURE_RULE = 'gross-exposure';

export const grossExposureRule: RiskRule = {
  name: GROSS_EXPOSURE_RULE,
  check(order, state) {
    const limit = state.limits.maxGrossExposure;
    if (limit === null) return undefined;
    const { grossAfter, grossBefore } = state.exposure;
    if (grossAfter <= limit || grossAfter <= grossBefore) return undefined;
    return deny('GROSS_EXPOSURE_EXCEEDS_MAX', GROSS_EXPOSURE_RULE, {
      limit,
      value: figure(grossAfter),
      before: figure(grossBefore),
      instrument: order.instrumentId,
    });
  },
};
