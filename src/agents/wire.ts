/**
 * What crosses the thread boundary to an isolated agent. Structured clone keeps
 * bigints but drops class prototypes, so Decimals travel as `{ $decimal: "1.5" }`
 * and are revived on the other side. The agent context is sent as a compact
 * snapshot (top of book, recent mids, portfolio numbers) and rebuilt behind the
 * same MarketView / PortfolioView interfaces, so an agent cannot tell where it runs.
 */
import { Decimal } from '../core/index.ts';
import type { Instrument, InstrumentId } from '../model/index.ts';
import type { AgentContext, BookView, MarketView, PortfolioView, Trigger } from './contract.ts';

export const WIRE_BOOK_DEPTH = 20;
export const WIRE_MID_HISTORY = 200;

interface EncodedDecimal {
  readonly $decimal: string;
}

/** Deep copy with every Decimal replaced by `{ $decimal }`; other values unchanged. */
export function encodeWire(value: unknown): unknown {
  if (value instanceof Decimal) return { $decimal: value.toString() } satisfies EncodedDecimal;
  if (Array.isArray(value)) return value.map(encodeWire);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encodeWire(v);
    return out;
  }
  return value;
}

/**
 * Inverse of encodeWire. A malformed `$decimal` is left as it is, so the schema
 * check downstream reports it as invalid instead of this function throwing.
 */
export function decodeWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeWire);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const text = record.$decimal;
    if (typeof text === 'string' && Object.keys(record).length === 1) return Decimal.tryFrom(text) ?? value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = decodeWire(v);
    return out;
  }
  return value;
}

export interface WireBook {
  readonly ts: number;
  readonly bids: ReadonlyArray<readonly [number, number]>;
  readonly asks: ReadonlyArray<readonly [number, number]>;
}

export interface ContextSnapshot {
  readonly ts: number;
  readonly trigger: Trigger;
  readonly books: Readonly<Record<InstrumentId, WireBook>>;
  readonly midHistories: Readonly<Record<InstrumentId, readonly number[]>>;
  readonly lastPrices: Readonly<Record<InstrumentId, number>>;
  readonly portfolio: {
    readonly equity: number;
    readonly grossExposure: number;
    readonly positions: Readonly<Record<InstrumentId, number>>;
    readonly cash: Readonly<Record<string, number>>;
  };
  /** Encoded instruments; present only when the list changed since the last call. */
  readonly instruments?: unknown;
}

/**
 * Captures what an agent covering `covered` (plus the trigger's instrument) may
 * read. `instruments` is passed only when the receiver's copy is stale.
 */
export function captureContext(
  context: AgentContext,
  covered: readonly InstrumentId[] | undefined,
  instruments: readonly Instrument[] | undefined,
): ContextSnapshot {
  const ids =
    covered === undefined
      ? [context.trigger.instrumentId]
      : unique([...covered, context.trigger.instrumentId]);
  const books: Record<InstrumentId, WireBook> = {};
  const midHistories: Record<InstrumentId, readonly number[]> = {};
  const lastPrices: Record<InstrumentId, number> = {};
  const positions: Record<InstrumentId, number> = {};
  const cash: Record<string, number> = {};
  const { market, portfolio } = context;
  for (const id of ids) {
    const book = market.book(id);
    if (book !== undefined) {
      books[id] = { ts: book.ts, bids: book.bids(WIRE_BOOK_DEPTH), asks: book.asks(WIRE_BOOK_DEPTH) };
    }
    midHistories[id] = market.midHistory(id, WIRE_MID_HISTORY);
    const last = market.lastPrice(id);
    if (last !== undefined) lastPrices[id] = last;
    positions[id] = portfolio.position(id);
    const instrument = market.instrument(id);
    if (instrument !== undefined) {
      for (const asset of assetsOf(instrument)) cash[asset] = portfolio.cash(asset);
    }
  }
  return {
    ts: context.ts,
    trigger: context.trigger,
    books,
    midHistories,
    lastPrices,
    portfolio: { equity: portfolio.equity(), grossExposure: portfolio.grossExposure(), positions, cash },
    ...(instruments === undefined ? {} : { instruments: encodeWire(instruments) }),
  };
}

/** Rebuilds an AgentContext from a snapshot; reads outside it see "no data". */
export function reviveContext(snapshot: ContextSnapshot, instruments: readonly Instrument[]): AgentContext {
  const byId = new Map(instruments.map((i) => [i.id, i] as const));
  const books = new Map<InstrumentId, BookView>();
  for (const [id, b] of Object.entries(snapshot.books)) books.set(id, new SnapshotBook(id, b));
  const market: MarketView = {
    instruments: () => instruments,
    instrument: (id) => byId.get(id),
    book: (id) => books.get(id),
    midHistory: (id, n) => {
      const h = snapshot.midHistories[id] ?? [];
      return n >= h.length ? h : h.slice(h.length - Math.max(0, n));
    },
    lastPrice: (id) => snapshot.lastPrices[id],
  };
  const p = snapshot.portfolio;
  const portfolio: PortfolioView = {
    position: (id) => p.positions[id] ?? 0,
    equity: () => p.equity,
    cash: (asset) => p.cash[asset] ?? 0,
    grossExposure: () => p.grossExposure,
  };
  return { ts: snapshot.ts, trigger: snapshot.trigger, market, portfolio };
}

export function reviveInstruments(encoded: unknown): Instrument[] {
  return decodeWire(encoded) as Instrument[];
}

class SnapshotBook implements BookView {
  readonly ts: number;
  private readonly bidLevels: ReadonlyArray<readonly [number, number]>;
  private readonly askLevels: ReadonlyArray<readonly [number, number]>;

  constructor(
    readonly instrumentId: InstrumentId,
    book: WireBook,
  ) {
    this.ts = book.ts;
    this.bidLevels = book.bids;
    this.askLevels = book.asks;
  }

  bestBid(): number | undefined {
    return this.bidLevels[0]?.[0];
  }

  bestAsk(): number | undefined {
    return this.askLevels[0]?.[0];
  }

  mid(): number | undefined {
    const b = this.bestBid();
    const a = this.bestAsk();
    return b === undefined || a === undefined ? undefined : (a + b) / 2;
  }

  bids(depth = Number.POSITIVE_INFINITY): ReadonlyArray<readonly [number, number]> {
    return depth >= this.bidLevels.length ? this.bidLevels : this.bidLevels.slice(0, Math.max(0, depth));
  }

  asks(depth = Number.POSITIVE_INFINITY): ReadonlyArray<readonly [number, number]> {
    return depth >= this.askLevels.length ? this.askLevels : this.askLevels.slice(0, Math.max(0, depth));
  }
}

function assetsOf(instrument: Instrument): string[] {
  const assets = [instrument.base, instrument.quote];
  if (instrument.kind === 'perpetual' || instrument.kind === 'future') assets.push(instrument.settle);
  return assets;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
