/**
 * Small float statistics over price series, shared by the library agents
 * (regime, mean reversion, risk assessor). Analytics only: nothing here becomes
 * an order price. Each function reads a slice of the input in place and
 * allocates nothing, because agents call them on every tick.
 */

/** Mean and sample standard deviation of values[from, to). */
export interface MeanStd {
  readonly mean: number;
  readonly std: number;
  readonly count: number;
}

export function meanStd(values: readonly number[], from = 0, to = values.length): MeanStd {
  const count = to - from;
  if (count <= 0) return { mean: Number.NaN, std: Number.NaN, count: 0 };
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i] as number;
  const mean = sum / count;
  if (count < 2) return { mean, std: 0, count };
  let squares = 0;
  for (let i = from; i < to; i++) {
    const d = (values[i] as number) - mean;
    squares += d * d;
  }
  return { mean, std: Math.sqrt(squares / (count - 1)), count };
}

/**
 * Mean and sample standard deviation of the log returns between consecutive
 * prices in prices[from, to): `to - from - 1` returns. Non-positive prices are
 * skipped pairwise (a bad sample must not poison the statistic with NaN).
 */
export function logReturnStats(prices: readonly number[], from = 0, to = prices.length): MeanStd {
  let count = 0;
  let sum = 0;
  let squares = 0;
  // Welford's update: stable for the tiny returns of 1-minute bars.
  let mean = 0;
  for (let i = from + 1; i < to; i++) {
    const previous = prices[i - 1] as number;
    const current = prices[i] as number;
    if (!(previous > 0) || !(current > 0)) continue;
    const r = Math.log(current / previous);
    count++;
    sum += r;
    const delta = r - mean;
    mean += delta / count;
    squares += delta * (r - mean);
  }
  if (count === 0) return { mean: Number.NaN, std: Number.NaN, count: 0 };
  return { mean: sum / count, std: count < 2 ? 0 : Math.sqrt(squares / (count - 1)), count };
}

/** Realized volatility per sample (std of log returns) over the last `returns` returns. */
export function realizedVolatility(prices: readonly number[], returns: number): number {
  const to = prices.length;
  const from = Math.max(0, to - returns - 1);
  return logReturnStats(prices, from, to).std;
}

export function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** Maps "how far past a threshold" (0 at the threshold) to a confidence in [0.5, 1). */
export function strengthPast(excess: number): number {
  return clamp01(0.5 + 0.5 * Math.tanh(excess));
}

/** Formats a float for reasoning text: few digits, no exponent noise. */
export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}
