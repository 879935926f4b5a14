import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcordError } from '../../src/core/index.ts';
import { type Level, OrderBook, type Side } from '../../src/model/index.ts';

/** The obvious book: a Map per side, fully sorted on every read. */
class ReferenceBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();

  snapshot(bids: readonly Level[], asks: readonly Level[]): void {
    this.bids.clear();
    this.asks.clear();
    this.delta(bids, asks);
  }

  delta(bids: readonly Level[], asks: readonly Level[]): void {
    for (const [p, s] of bids) s === 0 ? this.bids.delete(p) : this.bids.set(p, s);
    for (const [p, s] of asks) s === 0 ? this.asks.delete(p) : this.asks.set(p, s);
  }

  sorted(side: 'bid' | 'ask'): Array<[number, number]> {
    const m = side === 'bid' ? this.bids : this.asks;
    return [...m.entries()].sort((x, y) => (side === 'bid' ? y[0] - x[0] : x[0] - y[0]));
  }

  sweep(side: Side, quantity: number, limit?: number) {
    let remaining = quantity;
    let filled = 0;
    let notional = 0;
    let worst = Number.NaN;
    let levels = 0;
    for (const [price, size] of this.sorted(side === 'buy' ? 'ask' : 'bid')) {
      if (remaining <= 0) break;
      if (limit !== undefined && (side === 'buy' ? price > limit : price < limit)) break;
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

// Prices on a small tick grid around a touch so updates collide, insert, delete and cross.
const price = fc.integer({ min: 1, max: 400 }).map((t) => t * 0.5);
const size = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 1000 }).map((n) => n / 100),
);
const level = fc.tuple(price, size) as fc.Arbitrary<Level>;
const levels = fc.array(level, { maxLength: 30 });
/** A venue-style snapshot: distinct prices, best first, positive sizes (exercises the bulk load). */
const sortedSide = (descending: boolean) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 60 })
    .chain((ticks) =>
      fc.tuple(
        fc.constant(ticks.sort((a, b) => (descending ? b - a : a - b)).map((t) => t * 0.5)),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: ticks.length, maxLength: ticks.length }),
      ),
    )
    .map(([ps, ss]) => ps.map((p, i) => [p, (ss[i] as number) / 100] as Level));
const op = fc.oneof(
  fc.record({ kind: fc.constant('snapshot' as const), bids: levels, asks: levels }),
  fc.record({ kind: fc.constant('snapshot' as const), bids: sortedSide(true), asks: sortedSide(false) }),
  fc.record({ kind: fc.constant('delta' as const), bids: levels, asks: levels }),
  fc.record({ kind: fc.constant('delta' as const), bids: levels, asks: levels }),
  fc.record({ kind: fc.constant('delta' as const), bids: levels, asks: levels }),
);

function expectSameBook(book: OrderBook, ref: ReferenceBook): void {
  const bids = ref.sorted('bid');
  const asks = ref.sorted('ask');
  expect(book.bids()).toEqual(bids);
  expect(book.asks()).toEqual(asks);
  expect(book.bidLevelCount()).toBe(bids.length);
  expect(book.askLevelCount()).toBe(asks.length);
  expect(book.bestBid()).toBe(bids[0]?.[0]);
  expect(book.bestAsk()).toBe(asks[0]?.[0]);
  expect(book.bestBidSize()).toBe(bids[0]?.[1]);
  expect(book.bestAskSize()).toBe(asks[0]?.[1]);
  const b = bids[0]?.[0];
  const a = asks[0]?.[0];
  expect(book.mid()).toBe(a === undefined || b === undefined ? undefined : (a + b) / 2);
  expect(book.spread()).toBe(a === undefined || b === undefined ? undefined : a - b);
  expect(book.isCrossed()).toBe(a !== undefined && b !== undefined && b >= a);
  expect(book.isEmpty()).toBe(bids.length === 0 && asks.length === 0);
}

describe('OrderBook', () => {
  it('matches a Map + full sort reference over random snapshot/delta sequences', () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.array(price, { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 5 }),
        (ops, probes, depth) => {
          const book = new OrderBook('X');
          const ref = new ReferenceBook();
          let seq = 0;
          for (const o of ops) {
            seq++;
            if (o.kind === 'snapshot') {
              book.applySnapshot(o.bids, o.asks, seq, seq * 10);
              ref.snapshot(o.bids, o.asks);
            } else {
              book.applyDelta(o.bids, o.asks, seq, seq * 10);
              ref.delta(o.bids, o.asks);
            }
            expect(book.sequence).toBe(seq);
            expect(book.ts).toBe(seq * 10);
            expectSameBook(book, ref);
            expect(book.bids(depth)).toEqual(ref.sorted('bid').slice(0, depth));
            expect(book.asks(depth)).toEqual(ref.sorted('ask').slice(0, depth));
            for (const p of probes) {
              expect(book.sizeAt('bid', p)).toBe(ref.bids.get(p) ?? 0);
              expect(book.sizeAt('ask', p)).toBe(ref.asks.get(p) ?? 0);
              for (const side of ['buy', 'sell'] as const) {
                expect(book.sweep(side, p / 10)).toEqual(ref.sweep(side, p / 10));
                expect(book.sweep(side, p / 10, p)).toEqual(ref.sweep(side, p / 10, p));
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('grows far beyond its initial capacity, inserting at both ends and in the middle', () => {
    const book = new OrderBook('X');
    const ref = new ReferenceBook();
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let i = 0; i < 3000; i++) {
      const p = ((i * 7919) % 3001) + 1; // a permutation: touches, tails and middles
      bids.push([p, i + 1]);
      asks.push([p + 5000, i + 1]);
    }
    book.applyDelta(bids, asks, 1, 1);
    ref.delta(bids, asks);
    expectSameBook(book, ref);
    const removals = bids.filter((_, i) => i % 3 === 0).map(([p]) => [p, 0] as Level);
    book.applyDelta(removals, [], 2, 2);
    ref.delta(removals, []);
    expectSameBook(book, ref);
  });

  it('returns fresh level arrays that callers may keep', () => {
    const book = new OrderBook('X');
    book.applySnapshot([[100, 1]], [[101, 2]], 1, 1);
    const kept = book.bids();
    book.applyDelta(
      [
        [100, 5],
        [100.5, 1],
      ],
      [],
      2,
      2,
    );
    expect(kept).toEqual([[100, 1]]);
    expect(book.bids()).toEqual([
      [100.5, 1],
      [100, 5],
    ]);
  });

  it('rejects an invalid level with a coded error, after applying the valid ones before it', () => {
    for (const bad of [Number.NaN, -1, 0, Number.POSITIVE_INFINITY]) {
      const book = new OrderBook('X');
      expect(() => book.applySnapshot([[100, 1]], [[bad, 1]], 7, 7)).toThrow(ConcordError);
      expect(book.bids()).toEqual([[100, 1]]);
      expect(book.asks()).toEqual([]);
      expect(book.sequence).toBe(0);
    }
    const book = new OrderBook('X');
    try {
      book.applyDelta([[100, Number.NaN]], [], 1, 1);
      expect.unreachable();
    } catch (error) {
      expect((error as ConcordError).code).toBe('CONCORD_ERR_BOOK_LEVEL_INVALID');
    }
  });

  it('ignores zero sizes in a snapshot, and applies duplicate levels in order', () => {
    const book = new OrderBook('X');
    book.applySnapshot(
      [
        [100, 1],
        [99, 0],
        [100, 3],
      ],
      [
        [101, 2],
        [101, 0],
      ],
      1,
      1,
    );
    expect(book.bids()).toEqual([[100, 3]]);
    expect(book.asks()).toEqual([]);
  });
});
