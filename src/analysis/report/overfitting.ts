/**
 * Guards against picking the luckiest row of a parameter sweep. Pure functions over plain float
 * series, written from the published definitions:
 *
 * - Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV;
 *   Bailey, Borwein, López de Prado and Zhu, "The Probability of Backtest Overfitting", 2014).
 *   The T×N matrix of period returns (N strategies) is cut into S equal row blocks (S even). For
 *   each of the C(S, S/2) ways to pick half the blocks as in-sample (the rest out-of-sample), the
 *   strategy with the best in-sample Sharpe is found, and its out-of-sample Sharpe rank among all
 *   N gives ω = rank / (N + 1) and the logit λ = ln(ω / (1 − ω)). PBO = share of splits with
 *   λ ≤ 0: how often the in-sample winner is no better than the median out of sample.
 *   0 is a robust choice, ≈ 0.5 is what picking noise gives, near 1 is systematic overfitting.
 * - Deflated Sharpe ratio (Bailey and López de Prado, "The Deflated Sharpe Ratio", 2014): the
 *   probability that the true Sharpe of the chosen strategy is above the Sharpe the best of N
 *   unskilled trials would show by chance, SR₀ = √V[SR] · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))),
 *   given its sample's length T, skewness γ₃ and kurtosis γ₄:
 *   DSR = Φ( (SR − SR₀) √(T − 1) / √(1 − γ₃ SR + (γ₄ − 1)/4 · SR²) ), Sharpe per period (not annualized).
 */

const EULER_GAMMA = 0.5772156649015329;

/** Standard normal cumulative distribution (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * Inverse of the standard normal distribution: a rational first guess (Acklam's coefficients,
 * relative error ≈ 1e-9 over (0, 1)); ±Infinity at 0 and 1, NaN outside.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Per-period Sharpe (mean / sample std) of a return series; null when undefined. */
export function periodSharpe(returns: ArrayLike<number>): number | null {
  const n = returns.length;
  if (n < 2) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += returns[i] as number;
  const m = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((returns[i] as number) - m) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  return sd > 1e-15 ? m / sd : null;
}

export interface PboResult {
  /** Probability of backtest overfitting, 0..1. */
  readonly pbo: number;
  /** Splits evaluated, C(S, S/2). */
  readonly splits: number;
  readonly blocks: number;
  /** Logits λ of the splits (for a histogram); in split order. */
  readonly logits: readonly number[];
}

/**
 * PBO by CSCV over `returns[n]` (one return series per strategy, all of the same length T).
 * `blocks` (S) must be even and ≥ 2; it is lowered to fit T (each block needs 2 rows) and kept
 * ≤ 16 (C(16, 8) = 12 870 splits). Null with fewer than 2 strategies or too few rows.
 */
export function probabilityOfOverfitting(
  returns: readonly ArrayLike<number>[],
  blocks = 16,
): PboResult | null {
  const n = returns.length;
  if (n < 2) return null;
  const t = Math.min(...returns.map((r) => r.length));
  let s = Math.min(16, Math.floor(blocks / 2) * 2, Math.floor(t / 2 / 2) * 2);
  if (s < 2) return null;
  s = Math.max(2, s);
  // Per block and strategy: count, Σr and Σr² (a split's Sharpe then costs O(S) per strategy).
  const size = Math.floor(t / s);
  const sums = new Float64Array(s * n);
  const squares = new Float64Array(s * n);
  for (let j = 0; j < n; j++) {
    const r = returns[j] as ArrayLike<number>;
    for (let b = 0; b < s; b++) {
      let sum = 0;
      let sq = 0;
      for (let i = b * size; i < (b + 1) * size; i++) {
        const x = r[i] as number;
        sum += x;
        sq += x * x;
      }
      sums[b * n + j] = sum;
      squares[b * n + j] = sq;
    }
  }
  const half = s / 2;
  const rows = half * size;
  const sharpeOf = (chosen: readonly number[], j: number): number => {
    let sum = 0;
    let sq = 0;
    for (const b of chosen) {
      sum += sums[b * n + j] as number;
      sq += squares[b * n + j] as number;
    }
    const m = sum / rows;
    const variance = (sq - rows * m * m) / (rows - 1);
    // A flat strategy ranks as 0 (neither good nor bad), never NaN.
    return variance > 1e-30 ? m / Math.sqrt(variance) : 0;
  };
  const logits: number[] = [];
  let overfit = 0;
  const inSample: number[] = [];
  const visit = (from: number): void => {
    if (inSample.length === half) {
      const outSample: number[] = [];
      for (let b = 0; b < s; b++) if (!inSample.includes(b)) outSample.push(b);
      let best = 0;
      let bestIs = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < n; j++) {
        const v = sharpeOf(inSample, j);
        if (v > bestIs) {
          bestIs = v;
          best = j;
        }
      }
      const oos = new Float64Array(n);
      for (let j = 0; j < n; j++) oos[j] = sharpeOf(outSample, j);
      const chosen = oos[best] as number;
      // Rank 1..N of the chosen strategy out of sample (ties share the middle rank).
      let below = 0;
      let equal = 0;
      for (let j = 0; j < n; j++) {
        if ((oos[j] as number) < chosen) below++;
        else if (oos[j] === chosen) equal++;
      }
      const rank = below + (equal + 1) / 2;
      const omega = rank / (n + 1);
      const lambda = Math.log(omega / (1 - omega));
      logits.push(lambda);
      if (lambda <= 0) overfit++;
      return;
    }
    for (let b = from; b < s; b++) {
      inSample.push(b);
      visit(b + 1);
      inSample.pop();
    }
  };
  visit(0);
  return { pbo: overfit / logits.length, splits: logits.length, blocks: s, logits };
}

export interface DeflatedSharpe {
  /** Probability that the true Sharpe beats the best of `trials` unskilled ones, 0..1. */
  readonly dsr: number;
  /** The chosen strategy's per-period Sharpe and the expected maximum under the null. */
  readonly sharpe: number;
  readonly expectedMaxSharpe: number;
  readonly trials: number;
  readonly observations: number;
  readonly skewness: number;
  readonly kurtosis: number;
}

/**
 * Deflated Sharpe ratio of `chosen` (its period returns) among `trialSharpes` (the per-period
 * Sharpe of every combination tried, the chosen one included). Null when undefined (flat returns,
 * fewer than 3 observations).
 */
export function deflatedSharpe(
  chosen: ArrayLike<number>,
  trialSharpes: readonly number[],
): DeflatedSharpe | null {
  const t = chosen.length;
  const sr = periodSharpe(chosen);
  if (sr === null || t < 3) return null;
  let m = 0;
  for (let i = 0; i < t; i++) m += chosen[i] as number;
  m /= t;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < t; i++) {
    const d = (chosen[i] as number) - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= t;
  m3 /= t;
  m4 /= t;
  const skewness = m3 / m2 ** 1.5;
  const kurtosis = m4 / (m2 * m2);
  const trials = trialSharpes.length;
  let expectedMaxSharpe = 0;
  if (trials >= 2) {
    const mean = trialSharpes.reduce((a, b) => a + b, 0) / trials;
    const variance = trialSharpes.reduce((a, b) => a + (b - mean) ** 2, 0) / (trials - 1);
    expectedMaxSharpe =
      Math.sqrt(variance) *
      ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) +
        EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)));
  }
  const denominator = 1 - skewness * sr + ((kurtosis - 1) / 4) * sr * sr;
  const dsr =
    denominator > 0 ? normalCdf(((sr - expectedMaxSharpe) * Math.sqrt(t - 1)) / Math.sqrt(denominator)) : 0;
  return { dsr, sharpe: sr, expectedMaxSharpe, trials, observations: t, skewness, kurtosis };
}
