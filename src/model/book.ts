/**
 * An L2 order book: price levels with aggregated size, kept sorted (bids high to
 * low, asks low to high). Floats, because this is market data (see market.ts);
 * an order built from it is converted to exact decimals at the instrument's grid.
 *
 * The book applies what it is given; sequence checking and resync policy live in
 * the data engine, which owns the decision of whether a book is tradable.
 */
import { ConcordError } from '../core/index.ts';
import type { InstrumentId } from './instrument.ts';
import type { Level } from './market.ts';
import type { Side } from './order.ts';

export interface SweepResult {
  /** Quantity that the visible depth can fill (≤ requested). */
  readonly filled: number;
  /** Sum of price × size over the levels taken. */
  readonly notional: number;
  /** Volume-weighted average price of the filled part, NaN when nothing fills. */
  readonly averagePrice: number;
  /** Price of the last (worst) level touched. */
  readonly worstPrice: number;
  readonly levels: number;
}

class BookSide {
  /** Sorted best first. */
  readonly prices: number[] = [];
  readonly sizes = new Map<number, number>();

  constructor(private readonly descending: boolean) {}

  clear(): void {
    this.prices.length = 0;
    this.sizes.clear();
  }

  set(price: number, size: number): void {
    if (size === 0) {
      if (this.sizes.delete(price)) {
        const i = this.indexOf(price);
        if (i < this.prices.length && this.prices[i] === price) this.prices.splice(i, 1);
      }
      return;
    }
    if (!this.sizes.has(price)) {
      const i = this.indexOf(price);
      this.prices.splice(i, 0, price);
    }
    this.sizes.set(price, size);
  }

  /** Insertion point for `price` keeping best-first order (binary search). */
  private indexOf(price: number): number {
    const p = this.prices;
    let lo = 0;
    let hi = p.length;
    if (this.descending) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((p[mid] as number) > price) lo = mid + 1;
        else hi = mid;
      }
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((p[mid] as number) < price) lo = mid + 1;
        else hi = mid;
      }
    }
    return lo;
  }

  levels(depth: number): Array<readonly [number, number]> {
    const n = Math.min(depth, this.prices.length);
    const out = new Array<readonly [number, number]>(n);
    for (let i = 0; i < n; i++) {
      const price = this.prices[i] as number;
      out[i] = [price, this.sizes.get(price) as number];
    }
    return out;
  }
}

export class OrderBook {
  readonly instrumentId: InstrumentId;
  private readonly bidSide = new BookSide(true);
  private readonly askSide = new BookSide(false);
  /** Last applied update id. */
  sequence = 0;
  ts = 0;

  constructor(instrumentId: InstrumentId) {
    this.instrumentId = instrumentId;
  }

  /** Replaces the whole book. Levels with size 0 are ignored. */
  applySnapshot(bids: readonly Level[], asks: readonly Level[], sequence: number, ts: number): void {
    this.bidSide.clear();
    this.askSide.clear();
    this.applyLevels(bids, asks);
    this.sequence = sequence;
    this.ts = ts;
  }

  /** Applies absolute level sizes; size 0 removes the level. */
  applyDelta(bids: readonly Level[], asks: readonly Level[], sequence: number, ts: number): void {
    this.applyLevels(bids, asks);
    this.sequence = sequence;
    this.ts = ts;
  }

  private applyLevels(bids: readonly Level[], asks: readonly Level[]): void {
    for (const [price, size] of bids) {
      checkLevel(this.instrumentId, price, size);
      this.bidSide.set(price, size);
    }
    for (const [price, size] of asks) {
      checkLevel(this.instrumentId, price, size);
      this.askSide.set(price, size);
    }
  }

  clear(): void {
    this.bidSide.clear();
    this.askSide.clear();
  }

  bestBid(): number | undefined {
    return this.bidSide.prices[0];
  }

  bestAsk(): number | undefined {
    return this.askSide.prices[0];
  }

  bestBidSize(): number | undefined {
    const p = this.bidSide.prices[0];
    return p === undefined ? undefined : this.bidSide.sizes.get(p);
  }

  bestAskSize(): number | undefined {
    const p = this.askSide.prices[0];
    return p === undefined ? undefined : this.askSide.sizes.get(p);
  }

  mid(): number | undefined {
    const b = this.bidSide.prices[0];
    const a = this.askSide.prices[0];
    return b === undefined || a === undefined ? undefined : (a + b) / 2;
  }

  spread(): number | undefined {
    const b = this.bidSide.prices[0];
    const a = this.askSide.prices[0];
    return b === undefined || a === undefined ? undefined : a - b;
  }

  /** True when the best bid is at or above the best ask: not a tradable book. */
  isCrossed(): boolean {
    const b = this.bidSide.prices[0];
    const a = this.askSide.prices[0];
    return b !== undefined && a !== undefined && b >= a;
  }

  isEmpty(): boolean {
    return this.bidSide.prices.length === 0 && this.askSide.prices.length === 0;
  }

  bids(depth = Number.POSITIVE_INFINITY): Array<readonly [number, number]> {
    return this.bidSide.levels(depth);
  }

  asks(depth = Number.POSITIVE_INFINITY): Array<readonly [number, number]> {
    return this.askSide.levels(depth);
  }

  bidLevelCount(): number {
    return this.bidSide.prices.length;
  }

  askLevelCount(): number {
    return this.askSide.prices.length;
  }

  sizeAt(side: 'bid' | 'ask', price: number): number {
    return (side === 'bid' ? this.bidSide : this.askSide).sizes.get(price) ?? 0;
  }

  /**
   * Walks the book as a taker would: a buy takes asks from the best up, a sell
   * takes bids from the best down, never past `limitPrice` when one is given.
   */
  sweep(side: Side, quantity: number, limitPrice?: number): SweepResult {
    const book = side === 'buy' ? this.askSide : this.bidSide;
    let remaining = quantity;
    let filled = 0;
    let notional = 0;
    let worst = Number.NaN;
    let levels = 0;
    for (const price of book.prices) {
      if (remaining <= 0) break;
      if (limitPrice !== undefined && (side === 'buy' ? price > limitPrice : price < limitPrice)) break;
      const size = book.sizes.get(price) as number;
      const take = Math.min(size, remaining);
      filled += take;
      notional += take * price;
      remaining -= take;
      worst = price;
      levels++;
    }
    return { filled, notional, averagePrice: filled > 0 ? notional / filled : Number.NaN, worstPrice: worst, levels };
  }
}

function checkLevel(instrumentId: InstrumentId, price: number, size: number): void {
  // NaN fails every comparison, so `!(x >= 0)` rejects it too.
  if (!(price > 0) || !(size >= 0) || price === Number.POSITIVE_INFINITY || size === Number.POSITIVE_INFINITY) {
    throw new ConcordError('CONCORD_ERR_BOOK_LEVEL_INVALID', `invalid book level price=${price} size=${size}`, {
      details: { instrumentId, price: String(price), size: String(size) },
    });
  }
}
