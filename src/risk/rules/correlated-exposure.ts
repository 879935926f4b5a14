/**
 * Correlation-adjusted exposure √(wᵀρw): w the exposures after the order (quote currency), ρ the
 * sample correlation of the instruments' returns over the rolling window. It equals the gross
 * exposure when everything moves together and shrinks with diversification or hedges. Until the
 * window has `valueAtRisk.minSamples` samples the gross exposure (ρ = 1, the worst case) is used.
 * Orders that shrink a position always pass.
 */
import type { RiskRule } from '../types.ts';
import { deny, figure, reducesPosition } from './shared.ts';

export const CORRELATED_EXPOSURE_RULE = 'correlated-exposure';

export const correlatedExposureRule: RiskRule = {
  name: CORRELATED_EXPOSURE_RULE,
  check(order, state) {
    const limit = state.limits.maxCorrelatedExposure;
    if (limit === null) return undefined;
    const warm = state.market.samples() >= state.limits.varMinSamples;
    // Cheap exit: √(wᵀρw) never exceeds the gross exposure.
    if (state.exposure.grossAfter <= limit) return undefined;
    if (reducesPosition(order, state)) return undefined;
    const value = warm ? state.market.correlatedExposureAfter() : state.exposure.grossAfter;
    if (value <= limit) return undefined;
    return deny('CORRELATED_EXPOSURE_EXCEEDS_MAX', CORRELATED_EXPOSURE_RULE, {
      limit,
      value: figure(value),
      gross_exposure: figure(state.exposure.grossAfter),
      correlation: warm ? 'sampled' : 'assumed 1 (window warming up)',
      instrument: order.instrumentId,
    });
  },
};
