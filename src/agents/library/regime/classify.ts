/**
 * Market regime classification from a mid-price history, as a pure function so
 * other agents and tests can call it directly.
 *
 * Trend: the drift t-statistic of log prices, i.e. the mean log return over the
 * recent window divided by its standard error σ / √n, with σ the market's normal
 * volatility (the baseline's; the window's own when there is no baseline yet).
 * Measuring against the baseline makes a crash, whose volatility expands with
 * the move, a trend rather than noise. Under a driftless random walk at normal
 * volatility it is roughly N(0, 1), unlike an OLS fit on price levels, whose
 * t-statistic is large on any random walk (spurious regression).
 * Volatility: realized volatility of the recent window against the realized
 * volatility of the `baselineWindow` returns before it.
 *
 * Order of the rules: a clear trend wins (a crash is bear even though it is
 * volatile); without one, elevated volatility is `volatile`; otherwise `sideways`.
 */
import { logReturnStats, strengthPast } from './stats.ts';

export type RegimeLabel = 'bull' | 'bear' | 'sideways' | 'volatile';

export interface RegimeParams {
  /** Recent window, in returns (samples − 1). */
  readonly window: number;
  /** Returns before the recent window that set the volatility baseline. */
  readonly baselineWindow: number;
  /** |t| at or above which the window is trending. */
  readonly trendT: number;
  /** Recent vol / baseline vol at or above which an untrended window is volatile. */
  readonly volatileRatio: number;
}

export const DEFAULT_REGIME_PARAMS: RegimeParams = Object.freeze({
  window: 60,
  baselineWindow: 240,
  trendT: 2.5,
  volatileRatio: 1.5,
});

export interface RegimeClassification {
  readonly label: RegimeLabel;
  /** Confidence in the label, 0.5..1 (0.5 = right at a threshold). */
  readonly strength: number;
  /** Drift t-statistic of the recent window (standard error at the baseline volatility when there is one). */
  readonly trendT: number;
  /** Mean log return per sample over the recent window. */
  readonly drift: number;
  /** Realized vol per sample of the recent window. */
  readonly volatility: number;
  /** Realized vol per sample of the baseline (NaN when there is not enough history). */
  readonly baselineVolatility: number;
  /** volatility / baselineVolatility; 1 when there is no baseline. */
  readonly volatilityRatio: number;
  /** Returns used in the recent window. */
  readonly samples: number;
}

/** Samples `classifyRegime` reads at most (recent window plus baseline, plus one). */
export function regimeHistoryLength(params: RegimeParams): number {
  return params.window + params.baselineWindow + 1;
}

/**
 * Classifies the most recent `params.window` returns of `mids` (oldest first).
 * Returns undefined when fewer than `window + 1` prices are given.
 */
export function classifyRegime(
  mids: readonly number[],
  params: RegimeParams = DEFAULT_REGIME_PARAMS,
): RegimeClassification | undefined {
  const end = mids.length;
  const recentFrom = end - params.window - 1;
  if (params.window < 2 || recentFrom < 0) return undefined;
  const recent = logReturnStats(mids, recentFrom, end);
  if (recent.count < 2) return undefined;

  const baselineFrom = Math.max(0, recentFrom - params.baselineWindow);
  // The baseline ends where the recent window starts (shared endpoint, no shared return).
  const baseline =
    recentFrom - baselineFrom >= params.window
      ? logReturnStats(mids, baselineFrom, recentFrom + 1)
      : undefined;
  const baselineVolatility = baseline === undefined ? Number.NaN : baseline.std;

  const volatility = recent.std;
  const normalVolatility = baselineVolatility > 0 ? baselineVolatility : volatility;
  const standardError = normalVolatility / Math.sqrt(recent.count);
  const trendT =
    standardError > 0 ? recent.mean / standardError : recent.mean === 0 ? 0 : Math.sign(recent.mean) * 1e9;
  const volatilityRatio = baselineVolatility > 0 ? volatility / baselineVolatility : 1;

  let label: RegimeLabel;
  let strength: number;
  if (Math.abs(trendT) >= params.trendT) {
    label = trendT > 0 ? 'bull' : 'bear';
    strength = strengthPast((Math.abs(trendT) - params.trendT) / params.trendT);
  } else if (volatilityRatio >= params.volatileRatio) {
    label = 'volatile';
    strength = strengthPast((volatilityRatio - params.volatileRatio) / params.volatileRatio);
  } else {
    label = 'sideways';
    // Sure of "sideways" when both the trend and the vol ratio sit far below their thresholds.
    const trendRoom = (params.trendT - Math.abs(trendT)) / params.trendT;
    const volRoom = (params.volatileRatio - volatilityRatio) / params.volatileRatio;
    strength = strengthPast(Math.min(trendRoom, volRoom));
  }
  return {
    label,
    strength,
    trendT,
    drift: recent.mean,
    volatility,
    baselineVolatility,
    volatilityRatio,
    samples: recent.count,
  };
}
