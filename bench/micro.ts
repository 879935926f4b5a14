/**
 * Micro-benchmarks of the hot paths, each against a baseline measured in the same run
 * (interleaved round by round, medians of several rounds) because these machines are noisy:
 *
 *   canonical-json    canonicalJson vs JSON.stringify on real Binance depth payloads
 *   book-replay       gunzip + parse + OrderBook (every depth event) vs gunzip + JSON.parse
 *   book-apply        OrderBook apply alone (pre-parsed events) vs gunzip + JSON.parse
 *   journal-append    SqliteJournal, durable batches of 1024 vs rawInsertBaseline
 *   risk-chain        RiskEngine.check (default rules and config) vs an empty call
 *
 * Run: npx tsx bench/micro.ts [--json] [--rounds N]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { canonicalJson, Decimal, monotonicNs, SimulatedClock } from '../src/core/index.ts';
import { BinanceFeedReader } from '../src/data/index.ts';
import { rawInsertBaseline, SqliteJournal } from '../src/journal/index.ts';
import { type Level, type MarketEvent, OrderBook, spotInstrument } from '../src/model/index.ts';
import { Portfolio } from '../src/portfolio/index.ts';
import { RiskEngine, type RiskOrder } from '../src/risk/index.ts';
import { type Figure, fmt, median } from './lib.ts';

const DATA = resolve(import.meta.dirname, '../../shared/data/binance-ws-20240808');
export const BINANCE_FILES = ['spot_btcusdt.gz', 'usdm_btcusdt.gz', 'cm_btcusd_perp.gz'] as const;

export interface MicroOptions {
  /** Measured rounds per figure (medians are taken); default 5. */
  readonly rounds?: number;
  /** Records appended per journal round; default 50,000. */
  readonly journalRecords?: number;
}

/** Paths of the three Binance recordings; throws naming the missing file. */
export function binanceFiles(): string[] {
  return BINANCE_FILES.map((name) => {
    const path = join(DATA, name);
    if (!existsSync(path)) throw new Error(`missing recording ${path} (see ../shared/data/README.md)`);
    return path;
  });
}

/** Every market event of one file, in order, as the reader emits them. */
export function loadEvents(path: string): MarketEvent[] {
  const out: MarketEvent[] = [];
  for (const e of new BinanceFeedReader([path]).readSync()) out.push(e);
  return out;
}

function seconds(start: bigint): number {
  return Number(monotonicNs() - start) / 1e9;
}

/** Median of per-round ratios, plus the medians of each side. */
function summarise(values: number[], baselines: number[]) {
  const ratios = values.map((v, i) => v / (baselines[i] as number));
  return { value: median(values), baseline: median(baselines), ratio: median(ratios) };
}

// ── (a) canonicalJson ───────────────────────────────────────────────────

/** Serialisations per second of `payloads` (each result's middle char read, so ropes are flattened as a hash would). */
export function serialisationsPerSecond(
  serialise: (v: unknown) => string,
  payloads: readonly unknown[],
): number {
  let sink = 0;
  const start = monotonicNs();
  for (let i = 0; i < payloads.length; i++) {
    const text = serialise(payloads[i]);
    sink += text.charCodeAt(text.length >> 1);
  }
  const s = seconds(start);
  if (sink < 0) throw new Error('unreachable');
  return payloads.length / s;
}

export function benchCanonicalJson(
  payloads: readonly unknown[],
  rounds = 5,
  serialise: (v: unknown) => string = canonicalJson,
): Figure {
  // Warm both paths before measuring.
  serialisationsPerSecond(serialise, payloads);
  serialisationsPerSecond(JSON.stringify, payloads);
  const values: number[] = [];
  const baselines: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baselines.push(serialisationsPerSecond(JSON.stringify, payloads));
    values.push(serialisationsPerSecond(serialise, payloads));
  }
  const { value, baseline, ratio } = summarise(values, baselines);
  return {
    name: 'canonical-json',
    value,
    unit: 'payloads/s',
    baselineName: 'JSON.stringify',
    baseline,
    ratio,
    target: '≥ 0.67 (at most 1.5× the cost of JSON.stringify)',
    met: ratio >= 0.67,
    note: `${payloads.length} Binance depth payloads (book.snapshot/book.delta events)`,
  };
}

// ── (b) OrderBook replay ────────────────────────────────────────────────

/** gunzip + JSON.parse of every line of the files: lines per second. */
export function parseBaselineLinesPerSecond(paths: readonly string[]): number {
  let lines = 0;
  let sink = 0;
  const start = monotonicNs();
  for (const path of paths) {
    const text = gunzipSync(readFileSync(path)).toString('utf8');
    let from = 0;
    while (from < text.length) {
      let end = text.indexOf('\n', from);
      if (end < 0) end = text.length;
      if (end > from) {
        const space = text.indexOf(' ', from);
        const parsed = JSON.parse(text.slice(space + 1, end)) as { stream?: unknown };
        if (parsed.stream !== undefined) sink++;
        lines++;
      }
      from = end + 1;
    }
  }
  const s = seconds(start);
  if (sink < 0) throw new Error('unreachable');
  return lines / s;
}

/** The minimal book interface the replay needs (the current OrderBook, or another to compare). */
export interface ReplayBook {
  applySnapshot(bids: readonly Level[], asks: readonly Level[], sequence: number, ts: number): void;
  applyDelta(bids: readonly Level[], asks: readonly Level[], sequence: number, ts: number): void;
  bestBid(): number | undefined;
  bestAsk(): number | undefined;
}

type BookFactory = (instrumentId: string) => ReplayBook;
const defaultBook: BookFactory = (id) => new OrderBook(id);

/** Applies every depth event to a book per instrument, reading the touch after each (as a data engine would). */
function applyEvents(
  events: readonly MarketEvent[],
  books: Map<string, ReplayBook>,
  makeBook: BookFactory,
): number {
  let touch = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as MarketEvent;
    if (e.type !== 'book.snapshot' && e.type !== 'book.delta') continue;
    let book = books.get(e.instrumentId);
    if (book === undefined) {
      book = makeBook(e.instrumentId);
      books.set(e.instrumentId, book);
    }
    if (e.type === 'book.snapshot') book.applySnapshot(e.bids, e.asks, e.sequence, e.ts);
    else book.applyDelta(e.bids, e.asks, e.sequence, e.ts);
    touch += (book.bestBid() ?? 0) - (book.bestAsk() ?? 0);
  }
  return touch;
}

/** gunzip + reader (JSON.parse, levels to numbers) + OrderBook for every depth event: lines per second. */
export function replayLinesPerSecond(paths: readonly string[], makeBook: BookFactory = defaultBook): number {
  let lines = 0;
  const start = monotonicNs();
  for (const path of paths) {
    const reader = new BinanceFeedReader([path]);
    const books = new Map<string, ReplayBook>();
    const batch: MarketEvent[] = [];
    for (const e of reader.readSync()) {
      batch.push(e);
      if (batch.length === 256) {
        applyEvents(batch, books, makeBook);
        batch.length = 0;
      }
    }
    applyEvents(batch, books, makeBook);
    lines += reader.lines;
  }
  return lines / seconds(start);
}

/** OrderBook alone over pre-parsed events of each file (a fresh book per file): depth events per second. */
export function bookApplyEventsPerSecond(
  eventsByFile: readonly (readonly MarketEvent[])[],
  makeBook: BookFactory = defaultBook,
): number {
  let depthEvents = 0;
  for (const events of eventsByFile)
    for (const e of events) if (e.type === 'book.snapshot' || e.type === 'book.delta') depthEvents++;
  const start = monotonicNs();
  for (const events of eventsByFile) applyEvents(events, new Map(), makeBook);
  return depthEvents / seconds(start);
}

export function benchBookReplay(
  paths: readonly string[],
  eventsByFile: readonly (readonly MarketEvent[])[],
  rounds = 5,
  makeBook: BookFactory = defaultBook,
): Figure[] {
  const lineCount = eventsByFile.reduce((n, events) => n + events.length, 0);
  let depthEvents = 0;
  for (const events of eventsByFile)
    for (const e of events) if (e.type === 'book.snapshot' || e.type === 'book.delta') depthEvents++;
  const baselines: number[] = [];
  const replays: number[] = [];
  const applies: number[] = [];
  bookApplyEventsPerSecond(eventsByFile, makeBook); // warm-up
  for (let r = 0; r < rounds; r++) {
    baselines.push(parseBaselineLinesPerSecond(paths));
    replays.push(replayLinesPerSecond(paths, makeBook));
    applies.push(bookApplyEventsPerSecond(eventsByFile, makeBook));
  }
  const replay = summarise(replays, baselines);
  // Book cost as a share of parse cost: apply rate in lines-equivalent (depth events are a subset of lines).
  const applyLineRates = applies.map((a) => (a * lineCount) / depthEvents);
  const apply = summarise(applyLineRates, baselines);
  return [
    {
      name: 'book-replay',
      value: replay.value,
      unit: 'lines/s',
      baselineName: 'gunzip + JSON.parse',
      baseline: replay.baseline,
      ratio: replay.ratio,
      target: '≥ 0.5 (the full-pipeline target; this is parse + books only)',
      met: replay.ratio >= 0.5,
      note: `3 Binance files, ${lineCount} events, ${depthEvents} depth events; reader + OrderBook + touch read per event`,
    },
    {
      name: 'book-apply',
      value: median(applies),
      unit: 'depth events/s',
      baselineName: 'gunzip + JSON.parse (lines/s, same files)',
      baseline: apply.baseline,
      ratio: apply.ratio,
      target: '≥ 10 (books cost ≤ 10% of parsing the same lines)',
      met: apply.ratio >= 10,
      note: 'ratio = (book apply rate scaled to all lines) / parse rate',
    },
  ];
}

// ── (c) journal append ──────────────────────────────────────────────────

export interface JournalRow {
  readonly type: string;
  readonly ts: number;
  readonly payload: unknown;
}

function journalRowsPerSecond(rows: readonly JournalRow[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'concord-bench-journal-'));
  try {
    const start = monotonicNs();
    const journal = SqliteJournal.open(dir, { batchSize: 1024 });
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as JournalRow;
      journal.append(row.type, row.ts, row.payload);
    }
    journal.close();
    return rows.length / seconds(start);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rawRowsPerSecond(rows: readonly JournalRow[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'concord-bench-raw-'));
  try {
    const start = monotonicNs();
    rawInsertBaseline(dir, rows, { batchSize: 1024 });
    return rows.length / seconds(start);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function benchJournalAppend(rows: readonly JournalRow[], rounds = 5): Figure {
  const values: number[] = [];
  const baselines: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baselines.push(rawRowsPerSecond(rows));
    values.push(journalRowsPerSecond(rows));
  }
  const { value, baseline, ratio } = summarise(values, baselines);
  return {
    name: 'journal-append',
    value,
    unit: 'records/s',
    baselineName: 'rawInsertBaseline (JSON.stringify, no hash)',
    baseline,
    ratio,
    target: '≥ 0.25',
    met: ratio >= 0.25,
    note: `${rows.length} Binance market events per round, durable batches of 1024 (synchronous FULL), open + close included`,
  };
}

// ── (d) risk chain ──────────────────────────────────────────────────────

const RISK_BATCH = 1000;

/** A desk-like setting: a portfolio holding a few positions, and a cycle of orders that pass the default rules. */
export function riskSetting(): { engine: RiskEngine; orders: RiskOrder[] } {
  const portfolio = new Portfolio();
  const venues = ['binance-spot', 'sim-a', 'sim-b'];
  const orders: RiskOrder[] = [];
  let trade = 0;
  for (const venue of venues) {
    for (const [base, price] of [
      ['BTC', 61_000],
      ['ETH', 2_600],
      ['SOL', 150],
    ] as const) {
      const instrument = spotInstrument({
        venue,
        symbol: `${base}-USDT`,
        base,
        quote: 'USDT',
        tickSize: '0.01',
        lotSize: '0.0001',
      });
      const quantity = Decimal.from((1000 / price).toFixed(4));
      portfolio.applyFill(
        {
          clientOrderId: `c${trade}`,
          venueOrderId: `v${trade}`,
          tradeId: `t${trade++}`,
          instrumentId: instrument.id,
          venue,
          side: 'buy',
          price: Decimal.from(price),
          quantity,
          fee: Decimal.ZERO,
          feeCurrency: 'USDT',
          liquidity: 'taker',
          ts: 1_723_161_000_000,
        },
        instrument,
      );
      portfolio.mark(instrument.id, price);
      for (const side of ['buy', 'sell'] as const) {
        const limit = side === 'buy' ? price * 0.999 : price * 1.001;
        orders.push({
          instrumentId: instrument.id,
          venue,
          side,
          quantity: Decimal.from((100 / price).toFixed(4)),
          price: Decimal.from(limit.toFixed(2)),
          referencePrice: price + 0.005,
          plan: undefined,
        });
      }
    }
  }
  const engine = new RiskEngine({ portfolio, clock: new SimulatedClock(1_723_161_000_000) });
  return { engine, orders };
}

let callSink: unknown;
function emptyCall(order: RiskOrder): void {
  callSink = order;
}

/** Nanoseconds per call of `fn` over batches of RISK_BATCH orders: one figure per batch. */
function nsPerCallBatches(
  fn: (order: RiskOrder) => unknown,
  orders: readonly RiskOrder[],
  batches: number,
): number[] {
  const out: number[] = [];
  const n = orders.length;
  for (let b = 0; b < batches; b++) {
    const start = monotonicNs();
    for (let i = 0; i < RISK_BATCH; i++) fn(orders[i % n] as RiskOrder);
    out.push(Number(monotonicNs() - start) / RISK_BATCH);
  }
  return out;
}

export function benchRiskChain(rounds = 5): Figure {
  const { engine, orders } = riskSetting();
  for (const order of orders) {
    const verdict = engine.check(order);
    if (!verdict.ok) throw new Error(`bench order denied: ${verdict.denial.message}`);
  }
  const check = (order: RiskOrder) => engine.check(order);
  nsPerCallBatches(check, orders, 200); // warm-up
  nsPerCallBatches(emptyCall, orders, 200);
  const values: number[] = [];
  const baselines: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baselines.push(median(nsPerCallBatches(emptyCall, orders, 100)));
    values.push(median(nsPerCallBatches(check, orders, 100)));
  }
  if (callSink === undefined) throw new Error('unreachable');
  const { value, baseline, ratio } = summarise(values, baselines);
  return {
    name: 'risk-chain',
    value,
    unit: 'ns/order (median)',
    baselineName: 'empty function call',
    baseline,
    ratio,
    target: 'median ≤ 5000 ns',
    met: value <= 5000,
    note: `default rules and config, ${orders.length} passing limit orders over 9 instruments with positions; ratio = cost / empty call`,
  };
}

// ── all together ────────────────────────────────────────────────────────

export async function runMicroBenchmarks(options: MicroOptions = {}): Promise<Figure[]> {
  const rounds = options.rounds ?? 5;
  const paths = binanceFiles();
  const eventsByFile = paths.map(loadEvents);
  const depthPayloads: MarketEvent[] = [];
  for (const events of eventsByFile) {
    let taken = 0;
    for (const e of events) {
      if ((e.type === 'book.delta' || e.type === 'book.snapshot') && taken < 2000) {
        depthPayloads.push(e);
        taken++;
      }
    }
  }
  const journalRecords = options.journalRecords ?? 50_000;
  const rows: JournalRow[] = [];
  for (let i = 0; rows.length < journalRecords; i++) {
    const events = eventsByFile[i % eventsByFile.length] as MarketEvent[];
    const e = events[Math.floor(i / eventsByFile.length) % events.length] as MarketEvent;
    rows.push({ type: e.type, ts: e.ts, payload: e });
  }
  return [
    benchCanonicalJson(depthPayloads, rounds),
    ...benchBookReplay(paths, eventsByFile, rounds),
    benchJournalAppend(rows, rounds),
    benchRiskChain(rounds),
  ];
}

export function formatTable(figures: readonly Figure[]): string {
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'met'];
  const rows = figures.map((f) => [
    f.name,
    `${fmt(f.value)} ${f.unit}`,
    `${fmt(f.baseline)} (${f.baselineName})`,
    f.ratio.toFixed(3),
    f.target,
    f.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : undefined;
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0)) {
    throw new Error('--rounds needs a whole number ≥ 1');
  }
  const figures = await runMicroBenchmarks({ rounds });
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ figures })}\n`);
  else {
    process.stdout.write(`${formatTable(figures)}\n`);
    for (const f of figures) if (f.note !== undefined) process.stdout.write(`  ${f.name}: ${f.note}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
