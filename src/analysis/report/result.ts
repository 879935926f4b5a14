/**
 * The JSON result of a backtest or replay: what `concord backtest` writes next to the HTML report.
 * Plain data only (numbers, strings, null), so it serialises with JSON.stringify as is.
 */
import type { PriceSeries } from '../../data/index.ts';
import type { InstrumentId } from '../../model/index.ts';
import {
  type AgentAttribution,
  analyzeRoundTrips,
  attributeByAgent,
  type BacktestMetrics,
  type BacktestSeries,
  computeMetrics,
  type MetricsOptions,
} from './metrics.ts';
import type { OverfittingGuard, RankMetric, SweepRow, WalkForwardResult } from './sweep.ts';

export interface BacktestRunInfo {
  /** Shown as the report's title; defaults to "Backtest" / "Replay". */
  readonly title?: string;
  readonly mode: 'backtest' | 'replay';
  /** Input files as given on the command line (shown, never read here). */
  readonly dataFiles: readonly string[];
  /** First and last event time of the data (ms since epoch, UTC); null when there was no data. */
  readonly startTs: number | null;
  readonly endTs: number | null;
  readonly seed: number | string;
  /** A flat summary of the config (agents, venues, risk limits, fee model...). */
  readonly config?: Readonly<Record<string, string | number | boolean | null>>;
  /** When the run was made (ms since epoch, from the injected Clock); omitted for reproducible output. */
  readonly generatedAtTs?: number;
}

/** The replay counters of one book (a subset of data's BookStats, so kernel code can pass those). */
export interface BookStatsRow {
  readonly instrumentId: InstrumentId;
  readonly updates: number;
  readonly gaps: number;
  readonly resyncs: number;
  readonly bookTickerMismatches: number;
}

export interface BacktestResult {
  readonly run: BacktestRunInfo;
  readonly metrics: BacktestMetrics;
  readonly agents: readonly AgentAttribution[];
  /** Per-book stats, for replays of order-book feeds. */
  readonly books?: readonly BookStatsRow[];
}

/** What the HTML report needs: the JSON result plus the series it was computed from. */
export interface BacktestReportInput extends BacktestResult {
  readonly series: BacktestSeries;
  /**
   * Trades shown at the start and at the end of the trades table (default 50 each; with a price
   * chart, every trade up to 20 000, so each marker has its row).
   */
  readonly tradeRows?: { readonly head: number; readonly tail: number };
  /** The traded instrument's prices: drawn as the interactive chart with a marker per fill. */
  readonly prices?: PriceSeries | undefined;
  /** A parameter sweep this run is the best row of: heatmap, ranked table, walk-forward, guard. */
  readonly sweep?: SweepReportSection;
}

/** What the report shows of a sweep (see analysis/report/sweep.ts). */
export interface SweepReportSection {
  readonly names: readonly string[];
  readonly rankBy: RankMetric;
  readonly rows: readonly SweepRow[];
  /** Combinations the agent's config refused (not run). */
  readonly skipped: number;
  readonly walkForward: WalkForwardResult | null;
  readonly guard: OverfittingGuard;
}

/** Computes metrics and attribution; validates the series (CONCORD_ERR_BACKTEST_SERIES_INVALID). */
export function buildBacktestResult(
  run: BacktestRunInfo,
  series: BacktestSeries,
  options: MetricsOptions & { readonly books?: readonly BookStatsRow[] } = {},
): BacktestResult {
  const metrics = computeMetrics(series, options);
  const agents = attributeByAgent(series.trades, analyzeRoundTrips(series.trades).realizedPerTrade);
  const books = options.books?.map(pickBookStats);
  return books === undefined ? { run, metrics, agents } : { run, metrics, agents, books };
}

function pickBookStats(b: BookStatsRow): BookStatsRow {
  return {
    instrumentId: b.instrumentId,
    updates: b.updates,
    gaps: b.gaps,
    resyncs: b.resyncs,
    bookTickerMismatches: b.bookTickerMismatches,
  };
}
