/**
 * An L2 order book: price levels with aggregated size, kept sorted (bids high to
 * low, asks low to high). Floats, because this is market data (see market.ts);
 * an order built from it is converted to exact decimals at the instrument's grid.
 *
 * The book applies what it is given; sequence checking and resync policy live in
 * the data engine, which owns the decision of whether a book is tradable.
 *
 * Layout (hot path): each side is two parallel Float64Arrays (keys, sizes) sorted
 * worst first, so the touch is the last slot and a search that gallops down from
 * the top finds near-touch updates in a few comparisons. A removed level leaves a
 * free slot (size 0) that keeps its key, so removal is O(1) and an insert moves
 * levels only as far as the nearest free slot; the side is compacted when most
 * slots are free. Asks are stored with negated prices so both sides share one
 * ascending code path.
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

const INITIAL_CAPACITY = 64;
/** How far an insert looks for a free slot (a removed level) before shifting to the top. */
const FREE_SLOT_REACH = 32;
/** Free slots tolerated before compaction: at least this many, and more than live levels. */
const COMPACT_MIN_FREE = 32;

class BookSide {
  /** Sort keys ascending, best level last: the price for bids, −price for asks. */
  private keys = new Float64Array(INITIAL_CAPACITY);
  /** Size per slot; 0 marks a free slot (a removed level whose key still keeps the order). */
  private sizes = new Float64Array(INITIAL_CAPACITY);
  /** Slots in use, free ones included; the top slot is always a live level. */
  private slots = 0;
  /** Live levels. */
  count = 0;

  /** +1 for bids, −1 for asks: key = sign × price. */
  constructor(private readonly sign: 1 | -1) {}

  clear(): void {
    this.slots = 0;
    this.count = 0;
  }

  bestPrice(): number | undefined {
    return this.slots === 0 ? undefined : this.sign * (this.keys[this.slots - 1] as number);
  }

  bestSize(): number | undefined {
    return this.slots === 0 ? undefined : this.sizes[this.slots - 1];
  }

  /** Highest slot (the touch), −1 when empty; walk down from it, skipping sizes of 0. */
  topSlot(): number {
    return this.slots - 1;
  }

  slotPrice(slot: number): number {
    return this.sign * (this.keys[slot] as number);
  }

  slotSize(slot: number): number {
    return this.sizes[slot] as number;
  }

  sizeOf(price: number): number {
    const key = this.sign * price;
    const i = this.lowerBound(key);
    return i < this.slots && this.keys[i] === key ? (this.sizes[i] as number) : 0;
  }

  set(price: number, size: number): void {
    const key = this.sign * price;
    const n = this.slots;
    const keys = this.keys;
    const sizes = this.sizes;
    // Fast path: a new best level.
    if (n === 0 || key > (keys[n - 1] as number)) {
      if (size === 0) return;
      if (n === keys.length) this.grow();
      this.keys[n] = key;
      this.sizes[n] = size;
      this.slots = n + 1;
      this.count++;
      return;
    }
    const i = this.lowerBound(key);
    if (keys[i] === key) {
      const before = sizes[i] as number;
      sizes[i] = size;
      if (before === 0 && size !== 0) this.count++;
      else if (before !== 0 && size === 0) this.removed(i);
      return;
    }
    if (size === 0) return;
    this.count++;
    // keys[i − 1] < key < keys[i]: a free slot on either side can take the key as is.
    if (sizes[i] === 0) {
      keys[i] = key;
      sizes[i] = size;
    } else if (i > 0 && sizes[i - 1] === 0) {
      keys[i - 1] = key;
      sizes[i - 1] = size;
    } else {
      this.insertAt(i, key, size);
    }
  }

  /** Slot `i` was just freed: keep the top slot live, and compact when mostly free. */
  private removed(i: number): void {
    this.count--;
    if (i === this.slots - 1) {
      let n = i;
      while (n > 0 && this.sizes[n - 1] === 0) n--;
      this.slots = n;
    } else if (this.slots - this.count > COMPACT_MIN_FREE && this.slots - this.count > this.count) {
      this.compact();
    }
  }

  /** Inserts before slot i (keys[i] > key), moving levels only as far as the nearest free slot. */
  private insertAt(i: number, key: number, size: number): void {
    const keys = this.keys;
    const sizes = this.sizes;
    const n = this.slots;
    const upTo = Math.min(n, i + FREE_SLOT_REACH);
    for (let j = i + 1; j < upTo; j++) {
      if (sizes[j] === 0) {
        shiftUp(keys, sizes, i, j);
        keys[i] = key;
        sizes[i] = size;
        return;
      }
    }
    const downTo = Math.max(0, i - 1 - FREE_SLOT_REACH);
    for (let j = i - 2; j >= downTo; j--) {
      if (sizes[j] === 0) {
        shiftDown(keys, sizes, j, i);
        keys[i - 1] = key;
        sizes[i - 1] = size;
        return;
      }
    }
    if (n === keys.length) this.grow();
    shiftUp(this.keys, this.sizes, i, n);
    this.keys[i] = key;
    this.sizes[i] = size;
    this.slots = n + 1;
  }

  private compact(): void {
    const keys = this.keys;
    const sizes = this.sizes;
    let w = 0;
    for (let r = 0; r < this.slots; r++) {
      const size = sizes[r] as number;
      if (size === 0) continue;
      keys[w] = keys[r] as number;
      sizes[w] = size;
      w++;
    }
    this.slots = w;
  }

  /**
   * Replaces the side with valid levels given best first, prices strictly worsening and all
   * sizes > 0 (what a venue snapshot is). Returns false, changing nothing, otherwise.
   */
  loadSorted(levels: readonly Level[]): boolean {
    const n = levels.length;
    let previous = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const level = levels[i] as Level;
      const key = this.sign * level[0];
      const size = level[1];
      // `!(key < previous)` also catches NaN; sizes must be positive and finite.
      if (!(key < previous) || !(size > 0) || size === Number.POSITIVE_INFINITY) return false;
      if (!(level[0] > 0) || level[0] === Number.POSITIVE_INFINITY) return false;
      previous = key;
    }
    if (n > this.keys.length) this.grow(n);
    const keys = this.keys;
    const sizes = this.sizes;
    for (let i = 0; i < n; i++) {
      const level = levels[i] as Level;
      keys[n - 1 - i] = this.sign * level[0];
      sizes[n - 1 - i] = level[1];
    }
    this.slots = n;
    this.count = n;
    return true;
  }

  /** First slot whose key is ≥ `key`, galloping down from the touch (where most updates land). */
  private lowerBound(key: number): number {
    const keys = this.keys;
    const n = this.slots;
    let hi = n;
    let step = 1;
    let lo = n - step;
    while (lo > 0 && (keys[lo] as number) >= key) {
      hi = lo;
      step <<= 1;
      lo = n - step;
    }
    if (lo < 0) lo = 0;
    // Invariant: keys[hi] ≥ key (or hi = n); answer in [lo, hi].
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as number) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(atLeast = 0): void {
    const capacity = Math.max(this.keys.length * 2, atLeast);
    const keys = new Float64Array(capacity);
    const sizes = new Float64Array(capacity);
    keys.set(this.keys.subarray(0, this.slots));
    sizes.set(this.sizes.subarray(0, this.slots));
    this.keys = keys;
    this.sizes = sizes;
  }

  levels(depth: number): Array<readonly [number, number]> {
    const n = Math.min(depth, this.count);
    const out = new Array<readonly [number, number]>(n);
    const keys = this.keys;
    const sizes = this.sizes;
    const sign = this.sign;
    let slot = this.slots - 1;
    for (let i = 0; i < n; slot--) {
      const size = sizes[slot] as number;
      if (size === 0) continue;
      out[i++] = [sign * (keys[slot] as number), size];
    }
    return out;
  }
}

/** Below this many slots a plain loop beats the copyWithin builtin's call overhead. */
const LOOP_SHIFT_LIMIT = 48;

/** Moves slots [from + 1, end) down by one, overwriting `from`. */
function shiftDown(keys: Float64Array, sizes: Float64Array, from: number, end: number): void {
  if (end - from > LOOP_SHIFT_LIMIT) {
    keys.copyWithin(from, from + 1, end);
    sizes.copyWithin(from, from + 1, end);
    return;
  }
  for (let j = from + 1; j < end; j++) {
    keys[j - 1] = keys[j] as number;
    sizes[j - 1] = sizes[j] as number;
  }
}

/** Moves slots [from, end) up by one, freeing `from`; the arrays have room for slot `end`. */
function shiftUp(keys: Float64Array, sizes: Float64Array, from: number, end: number): void {
  if (end - from > LOOP_SHIFT_LIMIT) {
    keys.copyWithin(from + 1, from, end);
    sizes.copyWithin(from + 1, from, end);
    return;
  }
  for (let j = end; j > from; j--) {
    keys[j] = keys[j - 1] as number;
    sizes[j] = sizes[j - 1] as number;
  }
}

export class OrderBook {
  readonly instrumentId: InstrumentId;
  private readonly bidSide = new BookSide(1);
  private readonly askSide = new BookSide(-1);
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
    // A clean, sorted snapshot loads in one pass; anything else goes level by level,
    // which keeps the exact semantics (and error order) of applying them in turn.
    if (!this.bidSide.loadSorted(bids) || !this.askSide.loadSorted(asks)) {
      this.bidSide.clear();
      this.askSide.clear();
      this.applyLevels(bids, asks);
    }
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
    applySide(this.instrumentId, this.bidSide, bids);
    applySide(this.instrumentId, this.askSide, asks);
  }

  clear(): void {
    this.bidSide.clear();
    this.askSide.clear();
  }

  bestBid(): number | undefined {
    return this.bidSide.bestPrice();
  }

  bestAsk(): number | undefined {
    return this.askSide.bestPrice();
  }

  bestBidSize(): number | undefined {
    return this.bidSide.bestSize();
  }

  bestAskSize(): number | undefined {
    return this.askSide.bestSize();
  }

  mid(): number | undefined {
    const b = this.bidSide.bestPrice();
    const a = this.askSide.bestPrice();
    return b === undefined || a === undefined ? undefined : (a + b) / 2;
  }

  spread(): number | undefined {
    const b = this.bidSide.bestPrice();
    const a = this.askSide.bestPrice();
    return b === undefined || a === undefined ? undefined : a - b;
  }

  /** True when the best bid is at or above the best ask: not a tradable book. */
  isCrossed(): boolean {
    const b = this.bidSide.bestPrice();
    const a = this.askSide.bestPrice();
    return b !== undefined && a !== undefined && b >= a;
  }

  isEmpty(): boolean {
    return this.bidSide.count === 0 && this.askSide.count === 0;
  }

  bids(depth = Number.POSITIVE_INFINITY): Array<readonly [number, number]> {
    return this.bidSide.levels(depth);
  }

  asks(depth = Number.POSITIVE_INFINITY): Array<readonly [number, number]> {
    return this.askSide.levels(depth);
  }

  bidLevelCount(): number {
    return this.bidSide.count;
  }

  askLevelCount(): number {
    return this.askSide.count;
  }

  sizeAt(side: 'bid' | 'ask', price: number): number {
    return (side === 'bid' ? this.bidSide : this.askSide).sizeOf(price);
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
    for (let slot = book.topSlot(); slot >= 0; slot--) {
      const size = book.slotSize(slot);
      if (size === 0) continue; // a free slot, not a level
      if (remaining <= 0) break;
      const price = book.slotPrice(slot);
      if (limitPrice !== undefined && (side === 'buy' ? price > limitPrice : price < limitPrice)) break;
      const take = Math.min(size, remaining);
      filled += take;
      notional += take * price;
      remaining -= take;
      worst = price;
      levels++;
    }
    return {
      filled,
      notional,
      averagePrice: filled > 0 ? notional / filled : Number.NaN,
      worstPrice: worst,
      levels,
    };
  }
}

function applySide(instrumentId: InstrumentId, side: BookSide, levels: readonly Level[]): void {
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as Level;
    const price = level[0];
    const size = level[1];
    checkLevel(instrumentId, price, size);
    side.set(price, size);
  }
}

function checkLevel(instrumentId: InstrumentId, price: number, size: number): void {
  // NaN fails every comparison, so `!(x >= 0)` rejects it too.
  if (
    !(price > 0) ||
    !(size >= 0) ||
    price === Number.POSITIVE_INFINITY ||
    size === Number.POSITIVE_INFINITY
  ) {
    throw new ConcordError(
      'CONCORD_ERR_BOOK_LEVEL_INVALID',
      `invalid book level price=${price} size=${size}`,
      {
        details: { instrumentId, price: String(price), size: String(size) },
      },
    );
  }
}
