import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MarketView } from '../../src/agents/contract.ts';
import { MarketData } from '../../src/data/index.ts';
import { spotInstrument } from '../../src/model/index.ts';

const ID = 'sim:BTC-USDT';
const trade = (ts: number, price: number) =>
  ({ type: 'trade', ts, instrumentId: ID, price, size: 1, aggressor: 'buy', tradeId: String(ts) }) as const;

describe('MarketData', () => {
  it('fits the agents MarketView contract structurally', () => {
    const view: MarketView = new MarketData();
    expect(view.instruments()).toEqual([]);
  });

  it('registers instruments', () => {
    const btc = spotInstrument({
      venue: 'sim',
      symbol: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      tickSize: '0.01',
      lotSize: '0.0001',
    });
    const md = new MarketData({ instruments: [btc] });
    expect(md.instruments()).toEqual([btc]);
    expect(md.instrument(ID)).toBe(btc);
    expect(md.instrument('nope')).toBeUndefined();
  });

  it('mid history is the last n samples, oldest first, bounded by the capacity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 40 }),
        (capacity, prices, n) => {
          const md = new MarketData({ historyCapacity: capacity });
          for (const [i, p] of prices.entries()) md.apply(trade(i, p));
          const expected = prices.slice(Math.max(0, prices.length - Math.min(n, capacity)));
          expect(md.midHistory(ID, n)).toEqual(n === 0 ? [] : expected);
          expect(md.lastPrice(ID)).toBe(prices.length > 0 ? prices[prices.length - 1] : undefined);
        },
      ),
    );
  });

  it('samples book mids and quote mids, keeps last price from trades, bars and quotes', () => {
    const md = new MarketData();
    expect(
      md.apply({
        type: 'book.snapshot',
        ts: 1,
        instrumentId: ID,
        sequence: 1,
        bids: [[99, 1]],
        asks: [[101, 1]],
      }),
    ).toBe(true);
    expect(md.midHistory(ID, 10)).toEqual([100]);
    expect(
      md.apply({ type: 'quote', ts: 2, instrumentId: ID, bid: 100, bidSize: 1, ask: 102, askSize: 1 }),
    ).toBe(true);
    expect(md.lastPrice(ID)).toBe(101);
    expect(md.apply(trade(3, 100.5))).toBe(true);
    expect(md.lastPrice(ID)).toBe(100.5);
    // With a book, trades do not add mid samples.
    expect(md.midHistory(ID, 10)).toEqual([100, 101]);
    md.apply({
      type: 'bar',
      ts: 4,
      instrumentId: ID,
      intervalMs: 60_000,
      open: 1,
      high: 2,
      low: 1,
      close: 1.5,
      volume: 1,
    });
    expect(md.lastPrice(ID)).toBe(1.5);
    expect(md.apply({ type: 'funding', ts: 5, instrumentId: ID, rate: 0.0001 })).toBe(false);
  });

  it('hides a book that is not live, and reports the change as no view change', () => {
    const md = new MarketData();
    md.apply({
      type: 'book.snapshot',
      ts: 1,
      instrumentId: ID,
      sequence: 10,
      bids: [[99, 1]],
      asks: [[101, 1]],
    });
    expect(md.book(ID)?.mid()).toBe(100);
    expect(md.isTradable(ID)).toBe(true);
    const changed = md.apply({
      type: 'book.delta',
      ts: 2,
      instrumentId: ID,
      firstSequence: 15,
      sequence: 16,
      bids: [],
      asks: [],
    });
    expect(changed).toBe(false);
    expect(md.book(ID)).toBeUndefined();
    expect(md.isTradable(ID)).toBe(false);
    expect(md.books.book(ID)).toBeDefined(); // still there for inspection
  });

  it('an unknown instrument has no history and no last price', () => {
    const md = new MarketData();
    expect(md.midHistory('none', 5)).toEqual([]);
    expect(md.lastPrice('none')).toBeUndefined();
    expect(md.book('none')).toBeUndefined();
  });
});
