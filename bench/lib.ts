/**
 * Benchmark helpers. Every figure is reported next to a baseline measured in the
 * same run on the same machine, as a ratio, because these machines are noisy.
 */
import { monotonicNs } from '../src/core/index.ts';

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baselineName: string;
  readonly baseline: number;
  /** value / baseline (for rates) or baseline-relative cost; see `better`. */
  readonly ratio: number;
  readonly target: string;
  readonly met: boolean;
  readonly note?: string;
}

export function nowNs(): bigint {
  return monotonicNs();
}

export function elapsedSeconds(startNs: bigint): number {
  return Number(monotonicNs() - startNs) / 1e9;
}

/** Runs `fn` repeatedly for at least `minMs`, returning operations per second. */
export function opsPerSecond(fn: () => void, minMs = 300): number {
  let n = 0;
  const start = monotonicNs();
  const limit = BigInt(minMs) * 1_000_000n;
  while (monotonicNs() - start < limit) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return n / elapsedSeconds(start);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(digits)}k`;
  return n.toFixed(digits);
}

/** Medians of a value, of its baseline and of their per-round ratios. */
export interface RoundSummary {
  readonly value: number;
  readonly baseline: number;
  readonly ratio: number;
}

/**
 * Runs `rounds` rounds, each measuring the baseline then the value right after it (so both
 * see the same machine load), and returns the medians and the median per-round ratio.
 */
export async function interleavedRounds(
  rounds: number,
  measureBaseline: () => number | Promise<number>,
  measureValue: () => number | Promise<number>,
  onRound?: (round: number) => void,
): Promise<RoundSummary> {
  const values: number[] = [];
  const baselines: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    onRound?.(r);
    const baseline = await measureBaseline();
    const value = await measureValue();
    baselines.push(baseline);
    values.push(value);
    ratios.push(value / baseline);
  }
  return { value: median(values), baseline: median(baselines), ratio: median(ratios) };
}
