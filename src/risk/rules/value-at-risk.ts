/**
 * 95% Value at Risk of the portfolio after the order, over the engine's rolling return window
 * (one sample per `valueAtRisk.sampleIntervalMs`): historical (empirical 5% quantile of the
 * portfolio PnL changes the window's returns would give the exposures after the order) and/or
 * parametric (1.645 · √(wᵀΣw), Σ the sample covariance). Below `minSamples` the window is too
 * short to judge and the rule passes. Orders that shrink a position always pass.
 */
import type { RiskRule } from '../types.ts';
import { deny, figure, reducesPosition } from './shared.ts';

export const VALUE_AT_RISK_RULE = 'value-at-risk';

export const valueAtRiskRule: RiskRule = {
  name: VALUE_AT_RISK_RULE,
  check(order, state) {
    const l = state.limits;
    const limit = l.varLimit;
    if (limit === null) return undefined;
    const samples = state.market.samples();
    if (samples < l.varMinSamples) return undefined;
    if (reducesPosition(order, state)) return undefined;
    if (l.varParametric) {
      const v = state.market.parametricVarAfter();
      if (v > limit) return varDenial('parametric', limit, v, samples, order.instrumentId);
    }
    if (l.varHistorical) {
      const v = state.market.historicalVarAfter(limit);
      if (v > limit) return varDenial('historical', limit, v, samples, order.instrumentId);
    }
    return undefined;
  },
};

function varDenial(method: string, limit: number, value: number, samples: number, instrument: string) {
  return deny('VAR_EXCEEDS_MAX', VALUE_AT_RISK_RULE, {
    limit,
    value: figure(value),
    method,
    confidence: 0.95,
    samples,
    instrument,
  });
}
