/**
 * Concentration: the order's base asset's share of the gross exposure after the order (over all
 * venues). Judged only once the gross exposure after the order reaches `concentrationMinGross`
 * (a small first position is 100% of a small book). Orders that lower the asset's exposure pass.
 */
import type { RiskRule } from '../types.ts';
import { deny, figure } from './shared.ts';

export const CONCENTRATION_RULE = 'concentration';

export const concentrationRule: RiskRule = {
  name: CONCENTRATION_RULE,
  check(order, state) {
    const limit = state.limits.maxConcentration;
    if (limit === null) return undefined;
    const e = state.exposure;
    if (e.grossAfter <= 0 || e.grossAfter < state.limits.concentrationMinGross) return undefined;
    if (e.assetGrossAfter <= e.assetGrossBefore) return undefined;
    const share = e.assetGrossAfter / e.grossAfter;
    if (share <= limit) return undefined;
    return deny('CONCENTRATION_EXCEEDS_MAX', CONCENTRATION_RULE, {
      limit,
      value: figure(share),
      asset_exposure: figure(e.assetGrossAfter),
      gross_exposure: figure(e.grossAfter),
      instrument: order.instrumentId,
    });
  },
};
