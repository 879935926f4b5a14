/**
 * Test helpers for the library agents: readers for the real recordings in
 * ../shared/data (never copied into the repo), and a MarketView / PortfolioView
 * built from plain arrays and OrderBooks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type {
  AgentContext,
  BookView,
  MarketView,
  PortfolioView,
  Trigger,
  TriggerKind,
} from '../../../src/agents/contract.ts';
import { Decimal } from '../../../src/core/index.ts';
import type { Instrument, InstrumentId, Intent, OrderIntent } from '../../../src/model/index.ts';
import { type Level, type OrderBook, spotInstrument } from '../../../src/model/index.ts';

/** Absolute path of a shared recording; fails naming the file when it is missing. */
export function dataFile(relative: string): string {
  const path = resolve(import.meta.dirname, '../../../../shared/data', relative);
  if (!existsSync(path)) {
    throw new Error(
      `missing real recording ../shared/data/${relative} (looked at ${path}); see /work/shared/data/README.md`,
    );
  }
  return path;
}

export interface Candles {
  readonly ts: number[];
  readonly close: number[];
}

/** nautilus CSV: timestamp,open,high,low,close,volume. */
export function readCandleCsv(relative: string): Candles {
  const lines = readFileSync(dataFile(relative), 'utf8').trim().split('\n');
  const ts: number[] = [];
  const close: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).split(',');
    ts.push(Date.parse(`${(cells[0] as string).replace(' ', 'T').slice(0, 23)}Z`));
    close.push(Number(cells[4]));
  }
  return { ts, close };
}

/** freqtrade JSON: [[ts_ms, open, high, low, close, volume], ...]. */
export function readFreqtradeCandles(relative: string): Candles {
  const rows = JSON.parse(readFileSync(dataFile(relative), 'utf8')) as number[][];
  return { ts: rows.map((r) => r[0] as number), close: rows.map((r) => r[4] as number) };
}

export interface RawLine {
  /** Local receive time, ms. */
  readonly ms: number;
  readonly message: Record<string, unknown>;
}

/** Binance raw feed: gzip, one `<local_ns> <json>` per line. */
export function readBinanceLines(relative: string): RawLine[] {
  const text = gunzipSync(readFileSync(dataFile(relative))).toString('utf8');
  const out: RawLine[] = [];
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    out.push({
      ms: Number(BigInt(line.slice(0, space)) / 1000n) / 1000,
      message: JSON.parse(line.slice(space + 1)),
    });
  }
  return out;
}

function levels(raw: unknown): Level[] {
  return (raw as [string, string][]).map(([p, q]) => [Number(p), Number(q)] as const);
}

export interface DepthEvent {
  readonly ms: number;
  /** Applies the event to the book; false before the snapshot or for a stale diff. */
  apply(book: OrderBook): boolean;
}

/**
 * The depth stream of one Binance file as book events: the REST snapshot, then
 * the diffs after it (diffs whose last id is not past the snapshot's are dropped).
 * Sequence gaps are not checked: this feeds agent tests, not the data engine.
 */
export function depthEvents(lines: readonly RawLine[]): DepthEvent[] {
  const events: DepthEvent[] = [];
  let snapshotId: number | undefined;
  for (const { ms, message } of lines) {
    if (message.stream === undefined && message.lastUpdateId !== undefined) {
      const id = Number(message.lastUpdateId);
      snapshotId = id;
      const bids = levels(message.bids);
      const asks = levels(message.asks);
      events.push({
        ms,
        apply: (book) => {
          book.applySnapshot(bids, asks, id, ms);
          return true;
        },
      });
      continue;
    }
    const stream = String(message.stream ?? '');
    if (snapshotId === undefined || !stream.includes('@depth')) continue;
    const data = message.data as { u: number; b: unknown; a: unknown };
    if (data.u <= snapshotId) continue;
    const bids = levels(data.b);
    const asks = levels(data.a);
    events.push({
      ms,
      apply: (book) => {
        book.applyDelta(bids, asks, data.u, ms);
        return true;
      },
    });
  }
  return events;
}

/** A simple spot listing for tests. */
export function testInstrument(
  venue: string,
  options: {
    lot?: string;
    tick?: string;
    takerFee?: string;
    base?: string;
    quote?: string;
    minNotional?: string;
  } = {},
): Instrument {
  const base = options.base ?? 'BTC';
  const quote = options.quote ?? 'USDT';
  return spotInstrument({
    venue,
    symbol: `${base}${quote}`,
    base,
    quote,
    tickSize: options.tick ?? '0.01',
    lotSize: options.lot ?? '0.001',
    takerFee: options.takerFee ?? '0',
    minNotional: options.minNotional ?? '0',
  });
}

/** A MarketView over instruments, OrderBooks and mid arrays; `cursor` limits history to mids[0..cursor]. */
export class TestMarket implements MarketView {
  readonly books = new Map<InstrumentId, BookView>();
  readonly mids = new Map<InstrumentId, readonly number[]>();
  readonly last = new Map<InstrumentId, number>();
  /** Per instrument: index of the current sample (inclusive); the whole array when absent. */
  readonly cursor = new Map<InstrumentId, number>();
  private readonly list: readonly Instrument[];

  constructor(instruments: readonly Instrument[]) {
    this.list = instruments;
  }

  instruments(): readonly Instrument[] {
    return this.list;
  }
  instrument(id: InstrumentId): Instrument | undefined {
    return this.list.find((i) => i.id === id);
  }
  book(id: InstrumentId): BookView | undefined {
    return this.books.get(id);
  }
  midHistory(id: InstrumentId, n: number): readonly number[] {
    const all = this.mids.get(id) ?? [];
    const end = (this.cursor.get(id) ?? all.length - 1) + 1;
    return all.slice(Math.max(0, end - n), end);
  }
  lastPrice(id: InstrumentId): number | undefined {
    if (this.last.has(id)) return this.last.get(id);
    const all = this.mids.get(id);
    if (all === undefined) return this.books.get(id)?.mid();
    return all[this.cursor.get(id) ?? all.length - 1];
  }
}

/** Positions filled instantly at a given price: enough to drive directional agents through a series. */
export class TestPortfolio implements PortfolioView {
  readonly positions = new Map<InstrumentId, number>();
  equityValue = 100_000;
  grossValue = 0;

  position(id: InstrumentId): number {
    return this.positions.get(id) ?? 0;
  }
  equity(): number {
    return this.equityValue;
  }
  cash(_asset: string): number {
    return this.equityValue;
  }
  grossExposure(): number {
    return this.grossValue;
  }
  /** Applies an order intent at once (quantity exact via Decimal, summed as float for the view). */
  fill(order: OrderIntent): void {
    const signed = order.side === 'buy' ? order.quantity.toNumber() : -order.quantity.toNumber();
    const next = Decimal.from(this.position(order.instrumentId)).add(Decimal.from(signed));
    this.positions.set(order.instrumentId, next.toNumber());
  }
}

export function contextFor(
  market: MarketView,
  portfolio: PortfolioView,
  instrumentId: InstrumentId,
  ts = 0,
  kind: TriggerKind = 'price-move',
): AgentContext {
  const trigger: Trigger = {
    id: `t-${ts}`,
    kind,
    instrumentId,
    ts,
    magnitude: 0,
    event: { type: 'trade', ts, instrumentId, price: 1, size: 1, aggressor: 'unknown', tradeId: 'x' },
  };
  return { ts, trigger, market, portfolio };
}

export function orderIntents(intents: readonly Intent[]): OrderIntent[] {
  return intents.filter((i): i is OrderIntent => i.kind === 'order');
}

/** Total log-return drift t-statistic computed the textbook way (two passes), as an oracle. */
export function driftT(prices: readonly number[]): number {
  const r: number[] = [];
  for (let i = 1; i < prices.length; i++) r.push(Math.log((prices[i] as number) / (prices[i - 1] as number)));
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1);
  return mean / Math.sqrt(variance / r.length);
}
