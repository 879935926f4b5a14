/**
 * A parameter sweep's table: metrics per combination (the same `computeMetrics` a single
 * backtest's result uses, over the same series, so a row equals the run made alone), ranking,
 * walk-forward folds and the overfitting guard (PBO by CSCV, deflated Sharpe ratio).
 */
import { createHash } from 'node:crypto';
import { ConcordError } from '../../core/index.ts';
import {
  type BacktestMetrics,
  type BacktestSeries,
  type BacktestTrade,
  computeMetrics,
  type EquityPoint,
  periodReturns,
} from './metrics.ts';
import {
  type DeflatedSharpe,
  deflatedSharpe,
  type PboResult,
  periodSharpe,
  probabilityOfOverfitting,
} from './overfitting.ts';

/** Metrics a sweep can be ranked by; `lower` ones rank the smallest first. */
export const RANK_METRICS = {
  sharpe: 'higher',
  sortino: 'higher',
  totalReturn: 'higher',
  annualizedReturn: 'higher',
  calmar: 'higher',
  profitFactor: 'higher',
  winRate: 'higher',
  closedPnl: 'higher',
  finalEquity: 'higher',
  maxDrawdown: 'lower',
} as const satisfies Partial<Record<keyof BacktestMetrics, 'higher' | 'lower'>>;
export type RankMetric = keyof typeof RANK_METRICS;

export function parseRankMetric(text: string): RankMetric {
  if (Object.hasOwn(RANK_METRICS, text)) return text as RankMetric;
  throw new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `flag --rank-by: expected one of ${Object.keys(RANK_METRICS).join(', ')}; received ${JSON.stringify(text)}`,
    { details: { path: '--rank-by', expected: Object.keys(RANK_METRICS), received: text } },
  );
}

/** One combination's series, as a sweep worker returns it. */
export interface SweepSeries {
  readonly params: Readonly<Record<string, number>>;
  readonly trades: readonly BacktestTrade[];
  readonly equityTs: ArrayLike<number>;
  readonly equity: ArrayLike<number>;
  readonly initialEquity: number;
  readonly journalHash: string;
}

export interface SweepRow {
  /** 1 = best by the rank metric; rows without the metric (null) rank last. */
  readonly rank: number;
  readonly params: Readonly<Record<string, number>>;
  readonly metrics: BacktestMetrics;
  readonly trades: number;
  /** sha256 of the trade list (`tradesDigest`): equal digests, equal trades. */
  readonly tradesSha256: string;
  readonly journalHash: string;
}

/** sha256 of the fills' time, instrument, side, price, quantity and fee, in order. */
export function tradesDigest(trades: readonly BacktestTrade[]): string {
  const hash = createHash('sha256');
  for (const t of trades)
    hash.update(`${JSON.stringify([t.ts, t.instrumentId, t.side, t.price, t.quantity, t.fee])}\n`);
  return hash.digest('hex');
}

export function equityPoints(s: Pick<SweepSeries, 'equityTs' | 'equity'>): EquityPoint[] {
  const out: EquityPoint[] = new Array(s.equity.length);
  for (let i = 0; i < s.equity.length; i++)
    out[i] = { ts: s.equityTs[i] as number, equity: s.equity[i] as number };
  return out;
}

export function seriesOf(s: SweepSeries): BacktestSeries {
  return { equity: equityPoints(s), trades: s.trades, initialEquity: s.initialEquity };
}

/** Best first by `metric`; ties (and nulls, last) keep combination order. */
export function compareByMetric(metric: RankMetric): (a: BacktestMetrics, b: BacktestMetrics) => number {
  const sign = RANK_METRICS[metric] === 'higher' ? -1 : 1;
  return (a, b) => {
    const x = a[metric];
    const y = b[metric];
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    return x === y ? 0 : sign * (x < y ? -1 : 1);
  };
}

/** Rows ranked by `metric`. */
export function rankSweep(series: readonly SweepSeries[], metric: RankMetric): SweepRow[] {
  const rows = series.map((s) => ({
    params: s.params,
    metrics: computeMetrics(seriesOf(s)),
    trades: s.trades.length,
    tradesSha256: tradesDigest(s.trades),
    journalHash: s.journalHash,
  }));
  const compare = compareByMetric(metric);
  const order = rows.map((_, i) => i).sort((i, j) => compare(rows[i]!.metrics, rows[j]!.metrics) || i - j);
  return order.map((i, k) => ({ rank: k + 1, ...rows[i]! }));
}

export interface WalkForwardFold {
  readonly fold: number;
  readonly inSample: { readonly start: number; readonly end: number };
  readonly outOfSample: { readonly start: number; readonly end: number };
  /** The combination with the best in-sample metric, and its metric in and out of sample. */
  readonly chosen: Readonly<Record<string, number>>;
  readonly inSampleValue: number | null;
  readonly outOfSampleValue: number | null;
  readonly outOfSampleReturn: number | null;
  /** Rank (1 = best) of the chosen combination among all, out of sample. */
  readonly outOfSampleRank: number;
}

export interface WalkForwardResult {
  readonly folds: readonly WalkForwardFold[];
  readonly metric: RankMetric;
  /** Compounded out-of-sample return of the chosen combinations, fold after fold. */
  readonly outOfSampleReturn: number | null;
}

/** The metrics of one window [from, to) of the equity samples (fills of the window only). */
function windowMetrics(s: SweepSeries, from: number, to: number): BacktestMetrics {
  const start = s.equityTs[from] as number;
  const end = s.equityTs[to - 1] as number;
  const equity: EquityPoint[] = [];
  for (let i = from; i < to; i++) equity.push({ ts: s.equityTs[i] as number, equity: s.equity[i] as number });
  return computeMetrics({
    equity,
    trades: s.trades.filter((t) => t.ts >= start && t.ts <= end),
    initialEquity: from === 0 ? s.initialEquity : (s.equity[from - 1] as number),
  });
}

/**
 * Rolling walk-forward over K folds: the samples are cut into K + 1 equal windows; fold k picks
 * the best combination on window k − 1 (in sample) and reports it on window k (out of sample).
 * Each combination was run once over all the data, so indicators are warm at every window start.
 * CONCORD_ERR_SWEEP_WALK_FORWARD when K < 1 or a window would hold fewer than 10 samples.
 */
export function walkForward(
  series: readonly SweepSeries[],
  folds: number,
  metric: RankMetric,
): WalkForwardResult {
  const samples = Math.min(...series.map((s) => s.equity.length));
  if (!(Number.isInteger(folds) && folds >= 1) || samples / (folds + 1) < 10) {
    throw new ConcordError(
      'CONCORD_ERR_SWEEP_WALK_FORWARD',
      `flag --walk-forward ${folds}: expected a whole number of folds ≥ 1 with at least 10 samples per window (${samples} samples)`,
      { details: { path: '--walk-forward', received: folds, samples } },
    );
  }
  const bound = (w: number) => Math.floor((w * samples) / (folds + 1));
  const compare = compareByMetric(metric);
  const out: WalkForwardFold[] = [];
  let growth = 1;
  let anyReturn = false;
  for (let k = 1; k <= folds; k++) {
    const isFrom = bound(k - 1);
    const isTo = bound(k);
    const oosTo = bound(k + 1);
    const inSample = series.map((s) => windowMetrics(s, isFrom, isTo));
    let best = 0;
    for (let j = 1; j < series.length; j++) if (compare(inSample[j]!, inSample[best]!) < 0) best = j;
    const outSample = series.map((s) => windowMetrics(s, isTo, oosTo));
    const chosen = outSample[best]!;
    const rank = 1 + outSample.filter((m) => compare(m, chosen) < 0).length;
    if (chosen.totalReturn !== null) {
      growth *= 1 + chosen.totalReturn;
      anyReturn = true;
    }
    const ts = series[0]!.equityTs;
    out.push({
      fold: k,
      inSample: { start: ts[isFrom] as number, end: ts[isTo - 1] as number },
      outOfSample: { start: ts[isTo] as number, end: ts[oosTo - 1] as number },
      chosen: series[best]!.params,
      inSampleValue: inSample[best]![metric],
      outOfSampleValue: chosen[metric],
      outOfSampleReturn: chosen.totalReturn,
      outOfSampleRank: rank,
    });
  }
  return { folds: out, metric, outOfSampleReturn: anyReturn ? growth - 1 : null };
}

export interface OverfittingGuard {
  /** PBO by CSCV over the per-sample returns of every combination; null below 2 combinations. */
  readonly pbo: PboResult | null;
  /** Deflated Sharpe ratio of the best row by Sharpe, among all combinations tried. */
  readonly deflatedSharpe: (DeflatedSharpe & { readonly params: Readonly<Record<string, number>> }) | null;
}

export function overfittingGuard(series: readonly SweepSeries[], blocks = 16): OverfittingGuard {
  const returns = series.map((s) => Float64Array.from(periodReturns(equityPoints(s))));
  const pbo = probabilityOfOverfitting(returns, blocks);
  const sharpes = returns.map((r) => periodSharpe(r));
  let best = -1;
  for (let j = 0; j < sharpes.length; j++) {
    const v = sharpes[j];
    if (v !== null && v !== undefined && (best < 0 || v > (sharpes[best] as number))) best = j;
  }
  const trials = sharpes.filter((v): v is number => v !== null);
  const dsr = best < 0 ? null : deflatedSharpe(returns[best]!, trials);
  // The logits are for a histogram; the guard keeps only the figure.
  return {
    pbo: pbo === null ? null : { ...pbo, logits: [] },
    deflatedSharpe: dsr === null ? null : { ...dsr, params: series[best]!.params },
  };
}
