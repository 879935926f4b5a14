/**
 * The data engine's read model for agents. `MarketData` has exactly the methods of
 * `MarketView` in src/agents/contract.ts (data may not import agents; structural typing
 * makes it fit): instruments, live books, a mid-price history and the last price.
 *
 * Mid history is a fixed-size ring per instrument, sampled on every book change (the book's
 * mid), every quote (its mid), and on trades and bars (price / close) for instruments that have
 * no live book. `book(id)` returns a book only while it is live, so nothing acts on a book that
 * is resyncing.
 */
import type {
  BookDelta,
  BookSnapshot,
  Instrument,
  InstrumentId,
  MarketEvent,
  OrderBook,
} from '../model/index.ts';
import { BookManager, type BookManagerOptions } from './book-manager.ts';

export interface MarketDataOptions {
  /** Mid samples kept per instrument (default 1024). */
  readonly historyCapacity?: number;
  readonly instruments?: readonly Instrument[];
  /** A book manager to share, or options for a new one. */
  readonly books?: BookManager | BookManagerOptions;
}

class PriceHistory {
  private readonly values: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  push(value: number): void {
    this.values[this.count % this.values.length] = value;
    this.count++;
  }

  /** The last `n` values, oldest first. */
  last(n: number): number[] {
    const capacity = this.values.length;
    const take = Math.max(0, Math.min(Math.floor(n), this.count, capacity));
    const out = new Array<number>(take);
    const start = this.count - take;
    for (let i = 0; i < take; i++) out[i] = this.values[(start + i) % capacity] as number;
    return out;
  }

  size(): number {
    return Math.min(this.count, this.values.length);
  }
}

class InstrumentMarket {
  lastPrice: number | undefined = undefined;
  constructor(readonly history: PriceHistory) {}
}

export class MarketData {
  readonly books: BookManager;
  private readonly capacity: number;
  private readonly registry = new Map<InstrumentId, Instrument>();
  private registryList: Instrument[] = [];
  private readonly markets = new Map<InstrumentId, InstrumentMarket>();

  constructor(options: MarketDataOptions = {}) {
    this.capacity = Math.max(1, Math.floor(options.historyCapacity ?? 1024));
    this.books = options.books instanceof BookManager ? options.books : new BookManager(options.books ?? {});
    for (const instrument of options.instruments ?? []) this.addInstrument(instrument);
  }

  addInstrument(instrument: Instrument): void {
    this.registry.set(instrument.id, instrument);
    this.registryList = [...this.registry.values()];
  }

  instruments(): readonly Instrument[] {
    return this.registryList;
  }

  instrument(id: InstrumentId): Instrument | undefined {
    return this.registry.get(id);
  }

  /** The live book, or undefined when there is none or it is not tradable (awaiting snapshot, resyncing). */
  book(id: InstrumentId): OrderBook | undefined {
    return this.books.liveBook(id);
  }

  isTradable(id: InstrumentId): boolean {
    return this.books.isTradable(id);
  }

  midHistory(id: InstrumentId, n: number): readonly number[] {
    return this.markets.get(id)?.history.last(n) ?? [];
  }

  lastPrice(id: InstrumentId): number | undefined {
    return this.markets.get(id)?.lastPrice;
  }

  /** Applies one market event; true when this instrument's view changed. */
  apply(event: MarketEvent): boolean {
    switch (event.type) {
      case 'book.snapshot':
      case 'book.delta':
        return this.applyBook(event);
      case 'quote': {
        this.books.checkQuote(event);
        const mid = (event.bid + event.ask) / 2;
        const market = this.marketOf(event.instrumentId);
        market.lastPrice = mid;
        market.history.push(mid);
        return true;
      }
      case 'trade':
        return this.applyPrice(event.instrumentId, event.price);
      case 'bar':
        return this.applyPrice(event.instrumentId, event.close);
      default:
        return false;
    }
  }

  private applyBook(event: BookSnapshot | BookDelta): boolean {
    if (!this.books.apply(event)) return false;
    const mid = this.books.liveBook(event.instrumentId)?.mid();
    if (mid === undefined) return false;
    this.marketOf(event.instrumentId).history.push(mid);
    return true;
  }

  private applyPrice(id: InstrumentId, price: number): boolean {
    const market = this.marketOf(id);
    market.lastPrice = price;
    if (this.books.book(id) === undefined) market.history.push(price);
    return true;
  }

  private marketOf(id: InstrumentId): InstrumentMarket {
    let market = this.markets.get(id);
    if (market === undefined) {
      market = new InstrumentMarket(new PriceHistory(this.capacity));
      this.markets.set(id, market);
    }
    return market;
  }
}
