import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarketRisk, MutableExposureFacts, quickselect, Z_95 } from '../../src/risk/index.ts';
import { BTC, FakeBook, makeEngine, order } from './helpers.ts';

const IDS = ['v:A-USD', 'v:B-USD', 'v:C-USD'];

/** A MarketRisk fed with `paths[i][j]` = price of instrument i at second j. */
function fed(paths: number[][]): MarketRisk {
  const m = new MarketRisk(50, 1000);
  for (let j = 0; j < paths[0]!.length; j++) {
    for (let i = 0; i < paths.length; i++) m.observePrice(IDS[i]!, paths[i]![j]!, j * 1000 + 1, 'v');
  }
  return m;
}

const pathsArb = fc.integer({ min: 10, max: 60 }).chain((n) =>
  fc.array(fc.array(fc.integer({ min: 900, max: 1100 }), { minLength: n, maxLength: n }), {
    minLength: 3,
    maxLength: 3,
  }),
);
const positionsArb = fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 3, maxLength: 3 });

function prepare(m: MarketRisk, positions: number[], qty: number) {
  const book = new FakeBook();
  positions.forEach((q, i) => {
    book.set(IDS[i]!, q);
  });
  const facts = new MutableExposureFacts();
  const o = order({
    instrumentId: IDS[0]!,
    venue: 'v',
    quantity: Math.abs(qty) || 1,
    side: qty < 0 ? 'sell' : 'buy',
  });
  m.prepare(o, 1000, qty < 0 ? -(Math.abs(qty) || 1) : Math.abs(qty) || 1, book, facts);
  return facts;
}

describe('MarketRisk', () => {
  it('quickselect returns the rank-th smallest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 200 }),
        fc.nat(),
        (xs, r) => {
          const rank = r % xs.length;
          const sorted = [...xs].sort((a, b) => a - b);
          // Numeric equality: -0 and 0 are the same rank value (sort does not order them).
          expect(quickselect(Float64Array.from(xs), xs.length, rank) === sorted[rank]).toBe(true);
        },
      ),
    );
  });

  it('historical VaR is minus the 5% empirical quantile of Σ wᵢ rᵢ; the fast bound never understates it', () => {
    fc.assert(
      fc.property(
        pathsArb,
        positionsArb,
        positionsArb,
        fc.integer({ min: -20, max: 20 }),
        (paths, pos1, pos2, qty) => {
          const m = fed(paths);
          const n = m.samples();
          // Exact, by hand: returns of each closed sample (the last price of each second over the previous one).
          const facts = prepare(m, pos1, qty);
          const w = IDS.map((_, i) => pos1[i]! * m.markOf(IDS[i]!)!);
          w[0] = w[0]! + facts.orderExposure;
          const pnl: number[] = [];
          const samplesClosed = paths[0]!.length - 2;
          for (let j = samplesClosed - n; j < samplesClosed; j++) {
            let s = 0;
            for (let i = 0; i < 3; i++) s += w[i]! * (paths[i]![j + 1]! / paths[i]![j]! - 1);
            pnl.push(s);
          }
          pnl.sort((a, b) => a - b);
          const expected = Math.max(0, -pnl[Math.max(0, Math.ceil(0.05 * n) - 1)]!);
          const exact = m.historicalVarAfter();
          expect(exact).toBeCloseTo(expected, 6);
          // Another portfolio: the bound (or the exact value) is never below the true VaR.
          prepare(m, pos2, qty);
          const again = fed(paths);
          prepare(again, pos2, qty);
          const trueVar = again.historicalVarAfter();
          const fast = m.historicalVarAfter(1e12);
          expect(fast).toBeGreaterThanOrEqual(trueVar - 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('parametric VaR of one instrument is 1.645 σ |exposure|; correlated exposure of one instrument is |exposure|', () => {
    const prices = Array.from({ length: 41 }, (_, j) => (j % 2 === 0 ? 100 : 101));
    const m = new MarketRisk(100, 1000);
    for (let j = 0; j < prices.length; j++) m.observePrice(IDS[0]!, prices[j]!, j * 1000 + 1, 'v');
    const facts = prepare(m, [0, 0, 0], 5);
    const returns = Array.from({ length: 39 }, (_, j) => prices[j + 1]! / prices[j]! - 1);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1));
    expect(m.samples()).toBe(39);
    expect(returns).toHaveLength(39);
    expect(m.parametricVarAfter()).toBeCloseTo(Z_95 * sd * Math.abs(facts.orderExposure), 8);
    expect(m.correlatedExposureAfter()).toBeCloseTo(Math.abs(facts.orderExposure), 8);
  });
});

describe('VaR of the current book (what /api/risk/metrics reports)', () => {
  // One instrument, 22 one-second prices: the first interval sets the reference mark, the last
  // is still open, so 20 returns are in the window.
  const prices = [
    100, 101, 99, 100, 97, 98, 99, 100, 101, 102, 100, 99, 100, 101, 102, 103, 101, 100, 99, 100, 101, 102,
  ];
  const returns = prices.slice(1, -1).map((p, k) => p / prices[k]! - 1);

  it('a known portfolio: historical = −(5% quantile of w·r), parametric = z₉₅·|w|·σ', () => {
    const m = new MarketRisk(50, 1000);
    prices.forEach((p, j) => {
      m.observePrice(IDS[0]!, p, j * 1000 + 1, 'v');
    });
    expect(m.samples()).toBe(20);
    const w = 2 * 102; // 2 units at the last mark
    const pnls = returns.map((r) => w * r).sort((a, b) => a - b);
    // 20 samples: the 5% quantile is the worst one, the 97 ← 100 drop (−3%).
    expect(pnls[0]).toBeCloseTo(w * -0.03, 12);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1));
    const v = m.bookVar(new FakeBook().set(IDS[0]!, 2));
    expect(v.samples).toBe(20);
    expect(v.historical).toBeCloseTo(6.12, 9);
    expect(v.parametric).toBeCloseTo(Z_95 * w * sd, 9);
    // A short book loses on the rises: its historical VaR is the largest rise (97 → 98, +1.03%).
    const short = m.bookVar(new FakeBook().set(IDS[0]!, -2));
    expect(short.historical).toBeCloseTo(w * Math.max(...returns), 9);
    expect(Math.max(...returns)).toBeCloseTo(98 / 97 - 1, 12);
    expect(short.parametric).toBeCloseTo(v.parametric, 9);
    // Nothing held, nothing at risk.
    expect(m.bookVar(new FakeBook())).toMatchObject({ historical: 0, parametric: 0 });
  });

  it('the engine reports it with its method, confidence and horizon', () => {
    const book = new FakeBook().set(BTC, 2);
    const { engine } = makeEngine(
      { valueAtRisk: { limit: 1000, method: 'historical', minSamples: 20 } },
      book,
    );
    expect(engine.valueAtRisk()).toMatchObject({
      value: null,
      samples: 0,
      confidence: 0.95,
      method: 'historical',
    });
    prices.forEach((p, j) => {
      engine.observePrice(BTC, p, j * 1000 + 1);
    });
    const v = engine.valueAtRisk();
    expect(v.samples).toBe(20);
    expect(v.value).toBeCloseTo(6.12, 9);
    expect(v.historical).toBeCloseTo(6.12, 9);
    expect(v.limit).toBe(1000);
    expect(v.horizonMs).toBe(engine.limits().varSampleIntervalMs);
  });
});
