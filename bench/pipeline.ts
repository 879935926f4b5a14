/**
 * Whole-desk benchmarks, each against a baseline measured in the same run (interleaved
 * round by round; medians of the per-round ratios):
 *
 *   replay-throughput   runBacktest over the three Binance files (parse → books → agents →
 *                       risk → simulated venues → journal) vs gunzip + JSON.parse of the same lines
 *   tick-to-order       sandbox desk, DEFAULT_AGENTS, full risk chain: desk.step start → first
 *                       venue submit, p50 and p99, vs a step that triggers nothing
 *   candle-backtest     runBacktest over the BTC-PERP 1m CSV with sma-cross (10/30) vs reading
 *                       and parsing the CSV alone
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AgentDefinition } from '../src/agents/contract.ts';
import { basisAgent } from '../src/agents/library/basis/index.ts';
import { builtinAgents } from '../src/agents/library/index.ts';
import { EVENTS } from '../src/bus/index.ts';
import { monotonicNs, SimulatedClock } from '../src/core/index.ts';
import { SqliteJournal } from '../src/journal/index.ts';
import { DEFAULT_AGENTS, parseDeskConfig, startTimeMs } from '../src/kernel/config.ts';
import { Desk } from '../src/kernel/desk.ts';
import { sortedEntries } from '../src/kernel/sorted-entries.ts';
import type { OrderRequest } from '../src/model/index.ts';
import { backtestConfig, runBacktest } from '../src/modes/backtest.ts';
import { marketFeed, SimulatedVenue, SyntheticMarket } from '../src/venues/index.ts';
import { type Figure, interleavedRounds, percentile } from './lib.ts';
import { binanceFiles, parseBaselineLinesPerSecond } from './micro.ts';

/** Whatever runBacktest returns (its exported name is still moving). */
type BacktestResult = Awaited<ReturnType<typeof runBacktest>>;

const CANDLE_FILE = resolve(import.meta.dirname, '../../shared/data/candles/btc-perp-1m-2022-01.csv');

export type Progress = (message: string) => void;
const silent: Progress = () => {};

function seconds(start: bigint): number {
  return Number(monotonicNs() - start) / 1e9;
}

function freshDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ── 1. full-pipeline replay ─────────────────────────────────────────────

/**
 * The replay desk: spot-perp-basis on the spot and USDⓈ-M books (thresholds lowered for
 * this 6-minute window), market-regime, and a momentum agent so that some orders reach
 * risk, the simulated venues and the journal (with Binance's real fees the basis agent
 * rightly stays out). Price-move triggers at 1 bp instead of 5. The COIN-M file still goes
 * through parse and books.
 */
export const REPLAY_AGENTS = [
  {
    id: 'basis',
    type: 'spot-perp-basis',
    config: { entryBps: 0.3, entryZ: 1, exitBps: 0.1, sampleMs: 250, minSamples: 20, cooldownMs: 2000 },
  },
  { id: 'regime', type: 'market-regime', config: {} },
  {
    id: 'momentum',
    type: 'momentum',
    config: {
      lookback: 20,
      thresholdBps: 2,
      quantity: 0.01,
      maxPosition: 0.05,
      instruments: ['binance-spot:BTCUSDT', 'binance-usdm:BTCUSDT'],
    },
  },
];

export function replayConfig() {
  return backtestConfig({ agents: REPLAY_AGENTS, orchestrator: { triggers: { priceMoveBps: 1 } } });
}

/** spot-perp-basis, unless the built-in library already registers it. */
function extraDefinitions(): AgentDefinition<unknown>[] {
  return builtinAgents.some((d) => d.type === basisAgent.type)
    ? []
    : [basisAgent as AgentDefinition<unknown>];
}

/** One backtest over the Binance files; wall time of the whole call (file hashing included). */
export async function replayOnce(
  paths: readonly string[],
): Promise<{ result: BacktestResult; eventsPerSecond: number }> {
  const journalDir = freshDir('concord-bench-replay-');
  try {
    const start = monotonicNs();
    const result = await runBacktest({
      data: paths,
      config: replayConfig(),
      journalDir,
      agentDefinitions: extraDefinitions(),
    });
    return { result, eventsPerSecond: result.events / seconds(start) };
  } finally {
    rmSync(journalDir, { recursive: true, force: true });
  }
}

export async function benchReplayThroughput(rounds: number, progress: Progress = silent): Promise<Figure> {
  const paths = binanceFiles();
  parseBaselineLinesPerSecond(paths); // warm-up
  let last: BacktestResult | undefined;
  const { value, baseline, ratio } = await interleavedRounds(
    rounds,
    () => parseBaselineLinesPerSecond(paths),
    async () => {
      const { result, eventsPerSecond } = await replayOnce(paths);
      last = result;
      return eventsPerSecond;
    },
    (r) => progress(`replay-throughput: round ${r + 1}/${rounds}`),
  );
  const r = last as BacktestResult;
  return {
    name: 'replay-throughput',
    value,
    unit: 'events/s',
    baselineName: 'gunzip + JSON.parse (lines/s)',
    baseline,
    ratio,
    target: '≥ 0.5',
    met: ratio >= 0.5,
    note:
      `runBacktest over 3 Binance files (${r.events} events), basis + regime + momentum desk: ${r.triggers} triggers, ` +
      `${r.orders} orders, ${r.fills} fills, ${r.denied} denied; wall time of the whole call incl. sha256 of the inputs`,
  };
}

// ── 2. tick-to-order latency ────────────────────────────────────────────

export interface TickToOrderOptions {
  /** Stop after this many orders were measured (after warm-up). */
  readonly orders: number;
  /** Orders discarded first while the JIT settles. */
  readonly warmupOrders: number;
  /** Give up after this much simulated time even if too few orders came. */
  readonly maxSimulatedMs: number;
}

export interface TickToOrderSample {
  /** ns from the start of desk.step to the first venue submit it caused, one per ordering step. */
  readonly latenciesNs: Float64Array;
  /** ns of whole desk.step calls that triggered nothing (synchronous steps). */
  readonly quietStepsNs: Float64Array;
  readonly events: number;
  readonly triggers: number;
  readonly orders: number;
  readonly denied: number;
  readonly simulatedMs: number;
}

/**
 * The sandbox desk of `concord run` (DEFAULT_AGENTS, default risk chain, SQLite journal),
 * sized so orders come often enough: larger balances, so the default risk limits pass them.
 */
export function tickToOrderConfig() {
  return parseDeskConfig({
    mode: 'sandbox',
    seed: 11,
    agents: DEFAULT_AGENTS,
    venues: { balances: { USDT: 10_000_000, BTC: 100 } },
  });
}

export async function measureTickToOrder(
  options: TickToOrderOptions & {
    /** Called once the desk has started (e.g. to serve the API over it); returns how to stop what it started. */
    readonly beside?: (desk: Desk, journal: SqliteJournal, dir: string) => Promise<() => Promise<void>>;
    /** Let the event loop run (timers, sockets) every this many market events; default never. */
    readonly yieldEvery?: number;
  },
): Promise<TickToOrderSample> {
  const config = tickToOrderConfig();
  const startTs = startTimeMs(config);
  const clock = new SimulatedClock(startTs);
  const market = new SyntheticMarket({ seed: config.seed, startTs, tickMs: config.market.tickMs });
  const instruments = market.instruments();
  const venues = [...new Set(instruments.map((i) => i.venue))].map(
    (id) =>
      new SimulatedVenue({
        id,
        clock,
        instruments: instruments.filter((i) => i.venue === id),
        balances: Object.fromEntries(sortedEntries(config.venues.balances)),
        latencyMs: config.venues.latencyMs,
      }),
  );
  // The first submit caused by the current step; 0n until one happens.
  let firstSubmitNs = 0n;
  for (const venue of venues) {
    const submit = venue.submitOrder.bind(venue);
    venue.submitOrder = (request: OrderRequest) => {
      if (firstSubmitNs === 0n) firstSubmitNs = monotonicNs();
      return submit(request);
    };
  }
  const dir = freshDir('concord-bench-tick-');
  const journal = SqliteJournal.open(dir, { batchSize: config.journal.maxBatch * 4 });
  try {
    const desk = new Desk({ config, clock, journal, venues, instruments, marketTap: marketFeed(venues) });
    const { dir: _dir, ...journalSettings } = config.journal;
    desk.record(EVENTS.runStart, {
      config: { ...config, journal: journalSettings },
      startTs,
      version: 1,
    });
    await desk.start();
    const stopBeside = await options.beside?.(desk, journal, dir);
    const yieldEvery = options.yieldEvery ?? 0;
    const wanted = options.orders + options.warmupOrders;
    const latencies = new Float64Array(wanted);
    const quietCapacity = 1 << 20;
    const quiet = new Float64Array(quietCapacity);
    let measured = 0;
    let quietCount = 0;
    let events = 0;
    while (measured < wanted && clock.now() - startTs < options.maxSimulatedMs) {
      for (const event of market.next()) {
        firstSubmitNs = 0n;
        const stepStart = monotonicNs();
        const pending = desk.step(event);
        if (pending === undefined) {
          // A flush (durable batch + checkpoint) can land on any step: it is part of the honest cost.
          if (firstSubmitNs === 0n && quietCount < quietCapacity)
            quiet[quietCount++] = Number(monotonicNs() - stepStart);
        } else await pending;
        events++;
        if (firstSubmitNs !== 0n && measured < wanted)
          latencies[measured++] = Number(firstSubmitNs - stepStart);
        if (yieldEvery > 0 && events % yieldEvery === 0) {
          await new Promise<void>((r) => setImmediate(r));
        }
      }
    }
    await stopBeside?.();
    desk.flush();
    await desk.stop();
    const c = desk.counters;
    return {
      latenciesNs: latencies.slice(Math.min(options.warmupOrders, measured), measured),
      quietStepsNs: quiet.slice(0, quietCount),
      events,
      triggers: c.triggers,
      orders: c.orders,
      denied: c.denied,
      simulatedMs: clock.now() - startTs,
    };
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function sortedCopy(values: Float64Array): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

export async function benchTickToOrder(
  options: TickToOrderOptions,
  progress: Progress = silent,
): Promise<Figure[]> {
  progress(`tick-to-order: sandbox desk, 8 agents, until ${options.orders} orders`);
  const sample = await measureTickToOrder(options);
  const latencies = sortedCopy(sample.latenciesNs);
  const quiet = sortedCopy(sample.quietStepsNs);
  const p50 = percentile(latencies, 50) / 1000;
  const p99 = percentile(latencies, 99) / 1000;
  const quietP50 = percentile(quiet, 50) / 1000;
  const quietP99 = percentile(quiet, 99) / 1000;
  const enough = latencies.length >= options.orders;
  const note =
    `${latencies.length} ordering steps measured (${options.warmupOrders} warm-up discarded) over ` +
    `${(sample.simulatedMs / 1000).toFixed(0)} s simulated, ${sample.events} events, ${sample.triggers} triggers, ` +
    `${sample.orders} orders submitted, ${sample.denied} denied; ratio = latency / quiet step` +
    (enough ? '' : `; FEWER orders than the ${options.orders} asked`);
  return [
    {
      name: 'tick-to-order p50',
      value: p50,
      unit: 'µs',
      baselineName: 'quiet desk.step p50 (µs)',
      baseline: quietP50,
      ratio: p50 / quietP50,
      target: 'p50 ≤ 20 µs',
      met: enough && p50 <= 20,
      note,
    },
    {
      name: 'tick-to-order p99',
      value: p99,
      unit: 'µs',
      baselineName: 'quiet desk.step p99 (µs)',
      baseline: quietP99,
      ratio: p99 / quietP99,
      target: 'p99 ≤ 100 µs',
      met: enough && p99 <= 100,
    },
  ];
}

// ── 3. candle backtest ──────────────────────────────────────────────────

export function candleFile(): string {
  if (!existsSync(CANDLE_FILE))
    throw new Error(`missing recording ${CANDLE_FILE} (see ../shared/data/README.md)`);
  return CANDLE_FILE;
}

/**
 * Baseline: read the CSV and parse every row into numbers (timestamp by Date.parse),
 * with nothing else: no validation, no events. Rows per second.
 */
export function csvParseRowsPerSecond(path: string): number {
  let sink = 0;
  let rows = 0;
  const start = monotonicNs();
  const text = readFileSync(path, 'utf8');
  let from = text.indexOf('\n') + 1; // header
  while (from < text.length) {
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    if (end > from) {
      const cells = text.slice(from, end).split(',');
      const ts = Date.parse(`${(cells[0] as string).replace(' ', 'T')}Z`);
      sink +=
        ts + Number(cells[1]) + Number(cells[2]) + Number(cells[3]) + Number(cells[4]) + Number(cells[5]);
      rows++;
    }
    from = end + 1;
  }
  const s = seconds(start);
  if (Number.isNaN(sink)) throw new Error(`baseline parse of ${path} produced NaN`);
  return rows / s;
}

export const CANDLE_AGENTS = [{ id: 'sma', type: 'sma-cross', config: { fast: 10, slow: 30 } }];

export async function candleOnce(path: string): Promise<{ result: BacktestResult; barsPerSecond: number }> {
  const journalDir = freshDir('concord-bench-candles-');
  try {
    const start = monotonicNs();
    const result = await runBacktest({
      data: [path],
      config: backtestConfig({ agents: CANDLE_AGENTS }),
      journalDir,
    });
    return { result, barsPerSecond: result.events / seconds(start) };
  } finally {
    rmSync(journalDir, { recursive: true, force: true });
  }
}

export async function benchCandleBacktest(rounds: number, progress: Progress = silent): Promise<Figure[]> {
  const path = candleFile();
  csvParseRowsPerSecond(path); // warm-up
  let last: BacktestResult | undefined;
  const { value, baseline, ratio } = await interleavedRounds(
    rounds,
    () => csvParseRowsPerSecond(path),
    async () => {
      const { result, barsPerSecond } = await candleOnce(path);
      last = result;
      return barsPerSecond;
    },
    (r) => progress(`candle-backtest: round ${r + 1}/${rounds}`),
  );
  const r = last as BacktestResult;
  return [
    {
      name: 'candle-backtest',
      value,
      unit: 'bars/s',
      baselineName: 'read + split + Number/Date.parse of the CSV (rows/s)',
      baseline,
      ratio,
      target: '≥ 1M bars/s (absolute; the ratio is context)',
      met: value >= 1_000_000,
      note:
        `runBacktest over btc-perp-1m-2022-01.csv (${r.events} bars), sma-cross 10/30 on the bar venue: ` +
        `${r.triggers} triggers, ${r.orders} orders, ${r.fills} fills; wall time of the whole call`,
    },
  ];
}
