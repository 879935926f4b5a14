import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, isConcordError } from '../../src/core/index.ts';
import { type MarketEvent, OrderBook } from '../../src/model/index.ts';
import {
  DEFAULT_SYNTHETIC_VENUES,
  type Regime,
  SyntheticMarket,
  type SyntheticVenueProfile,
} from '../../src/venues/index.ts';

const START = 1_700_000_000_000;
const TEN_MINUTES = 6000;

function streamHash(seed: number | string, steps: number): string {
  const market = new SyntheticMarket({ seed, startTs: START });
  const hash = createHash('sha256');
  for (let s = 0; s < steps; s++) hash.update(canonicalJson(market.next()));
  return hash.digest('hex');
}

/** Replays the stream into one OrderBook per venue, calling `onStep` after each step. */
function replay(
  market: SyntheticMarket,
  steps: number,
  onStep: (books: OrderBook[], events: MarketEvent[]) => void,
) {
  const books = new Map(market.instruments().map((i) => [i.id, new OrderBook(i.id)]));
  const list = [...books.values()];
  for (let s = 0; s < steps; s++) {
    const events = market.next();
    for (const e of events) {
      const book = books.get(e.instrumentId) as OrderBook;
      if (e.type === 'book.snapshot') book.applySnapshot(e.bids, e.asks, e.sequence, e.ts);
      else if (e.type === 'book.delta') book.applyDelta(e.bids, e.asks, e.sequence, e.ts);
    }
    onStep(list, events);
  }
  return books;
}

/** Largest (best bid on one venue − best ask on another) / ask, in bp. */
function dislocationBp(books: readonly OrderBook[]): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (const a of books) {
    for (const b of books) {
      if (a === b) continue;
      const bid = a.bestBid();
      const ask = b.bestAsk();
      if (bid !== undefined && ask !== undefined) worst = Math.max(worst, ((bid - ask) / ask) * 1e4);
    }
  }
  return worst;
}

describe('SyntheticMarket', () => {
  it('lists one BTC-USDT spot instrument per venue with the venue fees and sandbox precision', () => {
    const instruments = new SyntheticMarket({ seed: 1, startTs: START }).instruments();
    expect(instruments.map((i) => i.id)).toEqual(['sim-a:BTC-USDT', 'sim-b:BTC-USDT', 'sim-c:BTC-USDT']);
    for (const i of instruments) {
      expect(i.kind).toBe('spot');
      expect(i.tickSize.eq('0.01')).toBe(true);
      expect(i.lotSize.eq('0.0001')).toBe(true);
      expect(i.minNotional.eq('10')).toBe(true);
    }
    expect(instruments.map((i) => [i.makerFee.toString(), i.takerFee.toString()])).toEqual([
      ['0.0002', '0.0005'],
      ['0.0001', '0.0007'],
      ['0', '0.001'],
    ]);
  });

  it('gives the identical event stream for the same seed, and a different one for another seed', () => {
    const a = streamHash(42, 1500);
    expect(streamHash(42, 1500)).toBe(a);
    expect(streamHash(43, 1500)).not.toBe(a);
    expect(streamHash('42', 1500)).not.toBe(a);
  });

  it('streams the same events one by one as next() returns them per step', () => {
    const stepwise = new SyntheticMarket({ seed: 12, startTs: START });
    const expected: MarketEvent[] = [];
    for (let s = 0; s < 200; s++) expected.push(...stepwise.next());
    const streamed = [...new SyntheticMarket({ seed: 12, startTs: START }).stream(200)];
    expect(canonicalJson(streamed)).toBe(canonicalJson(expected));
  });

  it('starts every venue with a snapshot, then deltas whose sequence grows by one per venue', () => {
    const market = new SyntheticMarket({ seed: 7, startTs: START });
    const last = new Map<string, number>();
    let deltas = 0;
    market.run(2000, (e) => {
      if (e.type === 'book.snapshot') {
        expect(last.has(e.instrumentId)).toBe(false);
        last.set(e.instrumentId, e.sequence);
      } else if (e.type === 'book.delta') {
        const previous = last.get(e.instrumentId);
        expect(previous).toBeDefined();
        expect(e.firstSequence).toBe((previous as number) + 1);
        expect(e.sequence).toBe(e.firstSequence);
        last.set(e.instrumentId, e.sequence);
        deltas++;
      } else if (e.type === 'trade') {
        expect(last.has(e.instrumentId)).toBe(true);
      }
    });
    expect(last.size).toBe(3);
    expect(deltas).toBeGreaterThan(3 * 1000);
  });

  it('stamps events on the step grid plus jitter, never going back in time', () => {
    const market = new SyntheticMarket({ seed: 8, startTs: START, tickMs: 100 });
    let previous = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < 1000; s++) {
      const stepTs = START + s * 100;
      for (const e of market.next()) {
        expect(e.ts).toBeGreaterThanOrEqual(stepTs);
        expect(e.ts).toBeLessThan(stepTs + 100);
        expect(e.ts).toBeGreaterThanOrEqual(previous);
        previous = e.ts;
      }
    }
  });

  it('sends only changed levels: replaying the deltas rebuilds exactly the venue books', () => {
    const market = new SyntheticMarket({ seed: 9, startTs: START });
    let levelsSent = 0;
    const books = replay(market, 3000, (_books, events) => {
      for (const e of events) if (e.type === 'book.delta') levelsSent += e.bids.length + e.asks.length;
    });
    for (const profile of DEFAULT_SYNTHETIC_VENUES) {
      const snapshot = market.snapshot(profile.id);
      const book = books.get(`${profile.id}:BTC-USDT`) as OrderBook;
      expect(book.bids()).toEqual(snapshot?.bids);
      expect(book.asks()).toEqual(snapshot?.asks);
      expect(book.bidLevelCount()).toBe(profile.levels);
      expect(book.askLevelCount()).toBe(profile.levels);
    }
    // Far fewer than full books (3 venues × 40 levels per step).
    expect(levelsSent).toBeLessThan(3000 * 3 * 40 * 0.5);
  });

  it('keeps every book uncrossed with positive prices and sizes on the tick and lot grid (any seed)', () => {
    const onGrid = (value: number, step: number) => Math.abs(value / step - Math.round(value / step)) < 1e-6;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const problems: string[] = [];
        replay(new SyntheticMarket({ seed, startTs: START }), 300, (books, events) => {
          for (const book of books) {
            if (book.isCrossed()) problems.push(`crossed ${book.instrumentId}`);
            if (!((book.bestBid() as number) > 0)) problems.push(`bid ${book.bestBid()}`);
          }
          for (const e of events) {
            const levels =
              e.type === 'book.snapshot' || e.type === 'book.delta'
                ? [...e.bids, ...e.asks]
                : e.type === 'trade'
                  ? [[e.price, e.size] as const]
                  : [];
            for (const [price, size] of levels) {
              if (!(price > 0) || !onGrid(price, 0.01)) problems.push(`price ${price}`);
              if (!(size >= 0) || !onGrid(size, 0.0001)) problems.push(`size ${size}`);
            }
          }
        });
        expect(problems).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('prints trades at the touch the venue shows once the step is applied, on the aggressor side', () => {
    let trades = 0;
    replay(new SyntheticMarket({ seed: 10, startTs: START }), 1000, (books, events) => {
      for (const e of events) {
        if (e.type !== 'trade') continue;
        trades++;
        const book = books.find((b) => b.instrumentId === e.instrumentId) as OrderBook;
        expect(e.price).toBe(e.aggressor === 'buy' ? book.bestAsk() : book.bestBid());
        expect(e.size).toBeGreaterThan(0);
        expect(e.tradeId).toMatch(/^sim-[abc]-\d+$/);
      }
    });
    // 3 + 2 + 1 trades per second expected over 100 s.
    expect(trades).toBeGreaterThan(400);
    expect(trades).toBeLessThan(800);
  });

  it('produces brief cross-venue dislocations above 10 bp within 10 minutes at default settings', () => {
    const market = new SyntheticMarket({ seed: 1, startTs: START });
    let above10 = 0;
    let max = Number.NEGATIVE_INFINITY;
    replay(market, TEN_MINUTES, (books) => {
      const d = dislocationBp(books);
      max = Math.max(max, d);
      if (d > 10) above10++;
    });
    expect(above10).toBeGreaterThan(0);
    // Brief: a small fraction of the time, not a permanently crossed market.
    expect(above10 / TEN_MINUTES).toBeLessThan(0.05);
    expect(max).toBeLessThan(200);
  });

  it('finds dislocations above 10 bp for most seeds', () => {
    let seedsWithDislocation = 0;
    for (let seed = 100; seed < 110; seed++) {
      let found = false;
      replay(new SyntheticMarket({ seed, startTs: START }), TEN_MINUTES, (books) => {
        if (!found && dislocationBp(books) > 10) found = true;
      });
      if (found) seedsWithDislocation++;
    }
    expect(seedsWithDislocation).toBeGreaterThanOrEqual(8);
  });

  it('switches between calm, normal and stressed regimes', () => {
    const market = new SyntheticMarket({ seed: 3, startTs: START });
    const seen = new Set<Regime>();
    for (let s = 0; s < 36_000 && seen.size < 3; s++) {
      market.next();
      seen.add(market.regime());
    }
    expect([...seen].sort()).toEqual(['calm', 'normal', 'stressed']);
  });

  it('lags the slow venue behind the latent price', () => {
    // With no noise and no jumps, the lagged venue's mid follows the latent price with a delay.
    const venues = DEFAULT_SYNTHETIC_VENUES.map((v) => ({ ...v, noiseBp: 0, tradesPerSec: 0 }));
    const market = new SyntheticMarket({ seed: 5, startTs: START, venues });
    const books = replay(market, 20, () => {});
    const fast = books.get('sim-a:BTC-USDT')?.mid() as number;
    const slow = books.get('sim-c:BTC-USDT')?.mid() as number;
    expect(fast).not.toBe(slow);
  });

  it('keeps books valid even when the price falls towards its depth: the latent price is reflected above a floor', () => {
    // A tiny price and wild volatility: without the floor the deepest bids would go non-positive.
    const stressed = { volBpPerSqrtSec: 3000, jumpsPerSec: 5, jumpSdBp: 5000, meanDurationSec: 1000 };
    const market = new SyntheticMarket({
      seed: 4,
      startTs: START,
      initialPrice: 500,
      regimes: { calm: stressed, normal: stressed, stressed },
    });
    replay(market, 2000, (books) => {
      for (const book of books) {
        expect(book.isCrossed()).toBe(false);
        expect(book.bids().at(-1)?.[0]).toBeGreaterThan(0);
      }
    });
    expect(() => new SyntheticMarket({ seed: 4, startTs: START, initialPrice: 50 })).toThrowError(
      expect.objectContaining({ code: 'CONCORD_ERR_SYNTHETIC_MARKET_CONFIG' }),
    );
  });

  it('refuses invalid options with a coded error naming every problem', () => {
    try {
      new SyntheticMarket({
        seed: 1,
        startTs: START,
        tickMs: 0,
        venues: [{ ...(DEFAULT_SYNTHETIC_VENUES[0] as SyntheticVenueProfile), halfSpreadBp: 0 }],
      });
      expect.unreachable();
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_SYNTHETIC_MARKET_CONFIG')).toBe(true);
      const problems = (err as { details: { problems: string[] } }).details.problems;
      expect(problems.some((p) => p.includes('tickMs'))).toBe(true);
      expect(problems.some((p) => p.includes('halfSpreadBp'))).toBe(true);
    }
  });
});
