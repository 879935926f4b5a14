import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BookManager, type BookStatus } from '../../src/data/index.ts';
import type { BookDelta, BookSnapshot, Level, Quote } from '../../src/model/index.ts';

const ID = 'x:BTC';
const snap = (sequence: number, bids: Level[] = [[100, 1]], asks: Level[] = [[101, 1]]): BookSnapshot => ({
  type: 'book.snapshot',
  ts: 0,
  instrumentId: ID,
  sequence,
  bids,
  asks,
});
const delta = (
  first: number,
  last: number,
  bids: Level[] = [],
  asks: Level[] = [],
  previous?: number,
): BookDelta => ({
  type: 'book.delta',
  ts: 0,
  instrumentId: ID,
  firstSequence: first,
  sequence: last,
  previousSequence: previous,
  bids,
  asks,
});
const quote = (sequence: number, bid: number, ask: number): Quote => ({
  type: 'quote',
  ts: 0,
  instrumentId: ID,
  bid,
  bidSize: 1,
  ask,
  askSize: 1,
  sequence,
});

describe('BookManager, update-range chaining (spot)', () => {
  it('applies a straddling first delta and contiguous next ones', () => {
    const m = new BookManager();
    expect(m.applySnapshot(snap(10))).toBe('snapshot');
    expect(m.applyDelta(delta(5, 12, [[100.5, 2]]))).toBe('applied');
    expect(m.applyDelta(delta(13, 15, [], [[100.8, 1]]))).toBe('applied');
    expect(m.book(ID)?.bestBid()).toBe(100.5);
    expect(m.book(ID)?.bestAsk()).toBe(100.8);
    expect(m.stats(ID)).toMatchObject({ updates: 2, gaps: 0, status: 'live', sequence: 15 });
  });

  it('drops deltas entirely older than the book', () => {
    const m = new BookManager();
    m.applySnapshot(snap(10));
    expect(m.applyDelta(delta(5, 10))).toBe('dropped');
    expect(m.stats(ID)?.dropped).toBe(1);
    expect(m.isTradable(ID)).toBe(true);
  });

  it('a first delta that starts after snapshot+1 is a gap', () => {
    const m = new BookManager();
    m.applySnapshot(snap(10));
    expect(m.applyDelta(delta(12, 14))).toBe('gap');
    expect(m.isTradable(ID)).toBe(false);
    expect(m.stats(ID)).toMatchObject({ gaps: 1, resyncs: 1, status: 'resyncing' });
  });

  it('a next delta that does not start at previous+1 is a gap, and a new snapshot makes the book live again', () => {
    const statuses: BookStatus[] = [];
    const m = new BookManager({ onStatusChange: (_id, s) => statuses.push(s) });
    m.applySnapshot(snap(10));
    m.applyDelta(delta(11, 12));
    expect(m.applyDelta(delta(14, 15))).toBe('gap');
    expect(m.applyDelta(delta(16, 17))).toBe('buffered');
    expect(m.book(ID)?.sequence).toBe(12);
    // The new snapshot is at 15: the buffered 14..15 is old, 16..17 straddles 16 and applies.
    expect(m.applySnapshot(snap(15))).toBe('snapshot');
    expect(m.isTradable(ID)).toBe(true);
    expect(m.book(ID)?.sequence).toBe(17);
    expect(statuses).toEqual(['live', 'resyncing', 'live']);
  });

  it('buffers deltas that arrive before the snapshot and replays the ones that follow it', () => {
    const m = new BookManager();
    expect(m.applyDelta(delta(1, 5))).toBe('buffered');
    expect(m.applyDelta(delta(6, 9, [[100.2, 1]]))).toBe('buffered');
    expect(m.applyDelta(delta(10, 12, [[100.4, 1]]))).toBe('buffered');
    expect(m.isTradable(ID)).toBe(false);
    m.applySnapshot(snap(8));
    expect(m.book(ID)?.sequence).toBe(12);
    expect(m.book(ID)?.bestBid()).toBe(100.4);
    expect(m.stats(ID)).toMatchObject({ updates: 2, dropped: 1, gaps: 0, status: 'live' });
  });

  it('a crossed book after an update resyncs and is counted', () => {
    const m = new BookManager();
    m.applySnapshot(snap(10));
    expect(m.applyDelta(delta(11, 11, [[102, 1]]))).toBe('crossed');
    expect(m.stats(ID)).toMatchObject({ crossed: 1, resyncs: 1, status: 'resyncing' });
    expect(m.isTradable(ID)).toBe(false);
  });

  it('an invalid level resyncs and is counted', () => {
    const m = new BookManager();
    m.applySnapshot(snap(10));
    expect(m.applyDelta(delta(11, 11, [[Number.NaN, 1]]))).toBe('invalid');
    expect(m.stats(ID)).toMatchObject({ invalid: 1, resyncs: 1, status: 'resyncing' });
  });

  it('ignores a snapshot older than a live book', () => {
    const m = new BookManager();
    m.applySnapshot(snap(10));
    m.applyDelta(delta(11, 20, [[100.5, 1]]));
    expect(m.applySnapshot(snap(15))).toBe('dropped');
    expect(m.book(ID)?.bestBid()).toBe(100.5);
  });
});

describe('BookManager, previous-id chaining (futures)', () => {
  const futures = () => new BookManager({ modes: { [ID]: 'previous-id' } });

  it('accepts a straddling first delta, then chains by previousSequence', () => {
    const m = futures();
    m.applySnapshot(snap(100));
    expect(m.applyDelta(delta(95, 120, [], [], 90))).toBe('applied');
    expect(m.applyDelta(delta(130, 140, [], [], 120))).toBe('applied');
    expect(m.applyDelta(delta(150, 160, [], [], 141))).toBe('gap');
    expect(m.stats(ID)).toMatchObject({ mode: 'previous-id', gaps: 1, updates: 2 });
  });

  it('accepts a first delta whose previousSequence is the snapshot id', () => {
    const m = futures();
    m.applySnapshot(snap(100));
    expect(m.applyDelta(delta(105, 110, [], [], 100))).toBe('applied');
  });
});

describe('BookManager bookTicker check', () => {
  it('compares a quote with the book state it describes, once per state', () => {
    const m = new BookManager();
    m.applySnapshot(snap(10));
    m.checkQuote(quote(11, 100, 101));
    m.checkQuote(quote(13, 100.5, 101)); // top changed at 13
    m.applyDelta(delta(11, 12)); // book at 12: top is the quote of 11 (next quote is 13 > 12)
    expect(m.stats(ID)).toMatchObject({ bookTickerChecks: 1, bookTickerMismatches: 0 });
    m.applyDelta(delta(13, 13, [[100.5, 1]]));
    expect(m.stats(ID)).toMatchObject({ bookTickerChecks: 2, bookTickerMismatches: 0 });
    m.checkQuote(quote(13, 100.5, 101)); // same state again: not compared twice
    expect(m.stats(ID)?.bookTickerChecks).toBe(2);
  });

  it('counts a mismatch when the book disagrees with the quote', () => {
    const m = new BookManager();
    m.applySnapshot(snap(10));
    m.checkQuote(quote(10, 99, 101));
    expect(m.stats(ID)).toMatchObject({ bookTickerChecks: 1, bookTickerMismatches: 1 });
  });

  it('does not compare quotes the book has not reached, nor on a book that is not live', () => {
    const m = new BookManager();
    m.checkQuote(quote(5, 1, 2));
    m.applySnapshot(snap(10));
    m.checkQuote(quote(20, 1, 2)); // quote 5 describes the top from 5 until 20, so the book at 10 must match it: it does not
    expect(m.stats(ID)?.bookTickerMismatches).toBe(1);
    const n = new BookManager();
    n.applySnapshot(snap(10));
    n.checkQuote(quote(20, 1, 2));
    n.checkQuote(quote(25, 1, 2));
    expect(n.stats(ID)?.bookTickerChecks).toBe(0);
  });
});

/** Property: splitting one stream of level updates into contiguous deltas of any size gives the same book. */
describe('BookManager properties', () => {
  const updates = fc.array(
    fc.record({
      side: fc.constantFrom('bid', 'ask'),
      tick: fc.integer({ min: 1, max: 40 }),
      size: fc.integer({ min: 0, max: 5 }),
    }),
    { minLength: 1, maxLength: 80 },
  );
  // Bids live below 1000, asks above: the book never crosses.
  const level = (u: { side: string; tick: number; size: number }): Level => [
    u.side === 'bid' ? 1000 - u.tick : 1000 + u.tick,
    u.size,
  ];

  it('applying updates in any contiguous grouping gives the same book as one by one', () => {
    fc.assert(
      fc.property(
        updates,
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 80 }),
        (us, groupSizes) => {
          const oneByOne = new BookManager();
          const grouped = new BookManager();
          oneByOne.applySnapshot(snap(0, [], []));
          grouped.applySnapshot(snap(0, [], []));
          us.forEach((u, i) => {
            const l = level(u);
            oneByOne.applyDelta(
              delta(i + 1, i + 1, u.side === 'bid' ? [l] : [], u.side === 'ask' ? [l] : []),
            );
          });
          let start = 0;
          let g = 0;
          while (start < us.length) {
            const n = Math.min(groupSizes[g++ % groupSizes.length] as number, us.length - start);
            const part = us.slice(start, start + n);
            grouped.applyDelta(
              delta(
                start + 1,
                start + n,
                part.filter((u) => u.side === 'bid').map(level),
                part.filter((u) => u.side === 'ask').map(level),
              ),
            );
            start += n;
          }
          expect(grouped.stats(ID)?.gaps).toBe(0);
          expect(grouped.book(ID)?.bids()).toEqual(oneByOne.book(ID)?.bids());
          expect(grouped.book(ID)?.asks()).toEqual(oneByOne.book(ID)?.asks());
        },
      ),
    );
  });

  it('losing any one delta in the middle of a chain is always detected as a gap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 40 }), fc.nat(), fc.boolean(), (count, pick, futuresMode) => {
        const m = new BookManager({ defaultMode: futuresMode ? 'previous-id' : 'update-range' });
        m.applySnapshot(snap(0));
        const lost = 1 + (pick % (count - 2)); // not the first (straddles the snapshot) nor the last
        for (let i = 0; i < count; i++) {
          if (i === lost) continue;
          m.applyDelta(delta(i * 10 + 1, i * 10 + 10, [], [], i * 10));
        }
        expect(m.stats(ID)?.gaps).toBe(1);
        expect(m.isTradable(ID)).toBe(false);
      }),
    );
  });
});
