import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agents/contract.ts';
import {
  type ArbitrageConfig,
  arbitrageAgent,
  findVenuePairs,
  walkCross,
} from '../../../src/agents/library/arbitrage/index.ts';
import { checkDecisionShape } from '../../../src/agents/validate.ts';
import { Decimal, Random } from '../../../src/core/index.ts';
import type { Decision, Instrument, OrderableInstrument, PlanIntent } from '../../../src/model/index.ts';
import { type Level, OrderBook } from '../../../src/model/index.ts';
import {
  contextFor,
  depthEvents,
  readBinanceLines,
  TestMarket,
  TestPortfolio,
  testInstrument,
} from './helpers.ts';

function makeAgent(config: Partial<ArbitrageConfig>, instruments: readonly Instrument[]): Agent {
  return arbitrageAgent.create('arb-1', arbitrageAgent.configSchema.parse(config), {
    random: new Random(1),
    instruments,
  });
}

function run(agent: Agent, ...args: Parameters<typeof contextFor>): Decision {
  const decision = agent.process(contextFor(...args));
  if (decision instanceof Promise) throw new Error('process must be synchronous');
  return decision;
}

function plans(decision: Decision): PlanIntent[] {
  return decision.intents.filter((i): i is PlanIntent => i.kind === 'plan');
}

describe('cross-venue arbitrage on real Binance books (BTCUSDT spot vs USDⓈ-M perpetual, 2024-08-08)', () => {
  const spotEvents = depthEvents(readBinanceLines('binance-ws-20240808/spot_btcusdt.gz'));
  const perpEvents = depthEvents(readBinanceLines('binance-ws-20240808/usdm_btcusdt.gz'));

  interface Step {
    readonly ms: number;
    readonly id: string;
    readonly apply: (book: OrderBook) => boolean;
  }

  /**
   * Replays both depth streams in receive order and calls `visit` after each
   * update once both books are seeded. Both venues list BTC/USDT.
   */
  function replay(
    spot: Instrument,
    perp: Instrument,
    visit: (market: TestMarket, ms: number, updated: string) => void,
  ): number {
    const steps: Step[] = [
      ...spotEvents.map((e) => ({ ms: e.ms, id: spot.id, apply: e.apply })),
      ...perpEvents.map((e) => ({ ms: e.ms, id: perp.id, apply: e.apply })),
    ].sort((a, b) => a.ms - b.ms);
    const market = new TestMarket([spot, perp]);
    const books = new Map([
      [spot.id, new OrderBook(spot.id)],
      [perp.id, new OrderBook(perp.id)],
    ]);
    let visits = 0;
    for (const step of steps) {
      const book = books.get(step.id) as OrderBook;
      step.apply(book);
      market.books.set(step.id, book);
      if (market.books.size < 2) continue;
      visit(market, step.ms, step.id);
      visits++;
    }
    return visits;
  }

  /** Top-of-book cross in bp in the better direction; NaN when a book is itself crossed (not tradable). */
  function topCross(market: TestMarket, a: string, b: string): number {
    const x = market.book(a) as OrderBook;
    const y = market.book(b) as OrderBook;
    if (x.isCrossed() || y.isCrossed()) return Number.NaN;
    const ab = ((y.bestBid() as number) - (x.bestAsk() as number)) / (x.bestAsk() as number);
    const ba = ((x.bestBid() as number) - (y.bestAsk() as number)) / (y.bestAsk() as number);
    return Math.max(ab, ba) * 1e4;
  }

  it('proposes nothing with realistic taker fees (10 bp spot, 5 bp perp): the basis never pays 15 bp', () => {
    const spot = testInstrument('binance', { lot: '0.00001', tick: '0.01', takerFee: '0.001' });
    const perp = testInstrument('binance-usdm', { lot: '0.001', tick: '0.1', takerFee: '0.0005' });
    const agent = makeAgent({}, [spot, perp]);
    const portfolio = new TestPortfolio();
    let maxCross = Number.NEGATIVE_INFINITY;
    let proposals = 0;
    const visits = replay(spot, perp, (market, ms, updated) => {
      const cross = topCross(market, spot.id, perp.id);
      if (cross > maxCross) maxCross = cross;
      const decision = run(agent, market, portfolio, updated, ms);
      proposals += decision.intents.length;
      expect(decision.confidence).toBe(0);
    });
    expect(visits).toBeGreaterThan(5_000);
    // The spot bid sits above the perp ask the whole window: a real cross, just smaller than the fees.
    expect(maxCross).toBeGreaterThan(0);
    expect(maxCross).toBeLessThan(15);
    expect(proposals).toBe(0);
  });

  it('with zero fees and a 0 bp threshold, proposes a plan exactly when the books cross', () => {
    const spot = testInstrument('binance', { lot: '0.00001', tick: '0.01' });
    const perp = testInstrument('binance-usdm', { lot: '0.00001', tick: '0.1' });
    const agent = makeAgent({ minNetEdgeBps: 0, maxQuantity: 2 }, [spot, perp]);
    const portfolio = new TestPortfolio();
    let crossed = 0;
    let uncrossed = 0;
    replay(spot, perp, (market, ms, updated) => {
      const cross = topCross(market, spot.id, perp.id);
      const decision = run(agent, market, portfolio, updated, ms);
      const found = plans(decision);
      if (cross > 0) {
        crossed++;
        expect(found).toHaveLength(1);
        const plan = found[0] as PlanIntent;
        expect(checkDecisionShape(decision).ok).toBe(true);
        const [buy, sell] = plan.legs;
        // Perp is the cheap side in this window (negative basis).
        expect(buy?.instrumentId).toBe(perp.id);
        expect(sell?.instrumentId).toBe(spot.id);
        expect(buy?.quantity.lte(2)).toBe(true);
        expect(buy?.limitPrice?.gte(Decimal.from(market.book(perp.id)?.bestAsk() as number))).toBe(true);
        expect(sell?.limitPrice?.lte(Decimal.from(market.book(spot.id)?.bestBid() as number))).toBe(true);
        expect(plan.expectedNetEdge).toBeGreaterThan(0);
        expect(decision.expectedReturn).toBe(plan.expectedNetEdge);
        expect(decision.confidence).toBeGreaterThan(0);
      } else {
        uncrossed++;
        expect(found).toHaveLength(0);
      }
    });
    expect(crossed).toBeGreaterThan(1000);
    // Stale levels make some replayed books self-crossed (NaN), which the agent must not trade either.
    expect(crossed + uncrossed).toBeGreaterThan(5_000);
  });

  it('with zero fees and a threshold at half the largest observed cross, proposes only above it', () => {
    const spot = testInstrument('binance', { lot: '0.00001', tick: '0.01' });
    const perp = testInstrument('binance-usdm', { lot: '0.00001', tick: '0.1' });
    let maxCross = 0;
    replay(spot, perp, (market) => {
      const c = topCross(market, spot.id, perp.id);
      if (c > maxCross) maxCross = c;
    });
    const threshold = maxCross / 2;
    const agent = makeAgent({ minNetEdgeBps: threshold }, [spot, perp]);
    const portfolio = new TestPortfolio();
    let proposed = 0;
    let declined = 0;
    replay(spot, perp, (market, ms, updated) => {
      const cross = topCross(market, spot.id, perp.id);
      const found = plans(run(agent, market, portfolio, updated, ms));
      if (cross >= threshold) {
        proposed++;
        expect(found).toHaveLength(1);
        expect((found[0] as PlanIntent).expectedNetEdge * 1e4).toBeGreaterThanOrEqual(threshold - 1e-9);
      } else {
        declined++;
        expect(found).toHaveLength(0);
      }
    });
    expect(proposed).toBeGreaterThan(0);
    expect(declined).toBeGreaterThan(0);
  });
});

describe('cross-venue arbitrage on synthetic books (properties)', () => {
  const TICK = 0.01;
  const LOT = '0.001';

  /** A book side: best price as a tick index, then strictly worse levels; sizes in whole lots. */
  const side = fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3000 })), {
    minLength: 1,
    maxLength: 8,
  });
  const book = fc.record({
    bestBidTicks: fc.integer({ min: 9_900, max: 10_100 }),
    spreadTicks: fc.integer({ min: 1, max: 20 }),
    bids: side,
    asks: side,
  });

  function levelsOf(
    bestTicks: number,
    steps: ReadonlyArray<readonly [number, number]>,
    direction: 1 | -1,
  ): Level[] {
    const out: Level[] = [];
    let ticks = bestTicks;
    for (const [step, lots] of steps) {
      out.push([Number((ticks * TICK).toFixed(2)), Number((lots * 0.001).toFixed(3))]);
      ticks += direction * step;
    }
    return out;
  }

  function orderBook(id: string, spec: BookSpec): OrderBook {
    const b = new OrderBook(id);
    const bids = levelsOf(spec.bestBidTicks, spec.bids, -1).filter(([p]) => p > 0);
    const asks = levelsOf(spec.bestBidTicks + spec.spreadTicks, spec.asks, 1);
    b.applySnapshot(bids, asks, 1, 0);
    return b;
  }

  type BookSpec = typeof book extends fc.Arbitrary<infer T> ? T : never;
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const scenario = fc.record({
    a: book,
    b: book,
    feeA: fc.integer({ min: 0, max: 30 }),
    feeB: fc.integer({ min: 0, max: 30 }),
    minNetEdgeBps: fc.double({ min: 0, max: 30, noNaN: true }),
    maxQuantity: fc.double({ min: 0.001, max: 10, noNaN: true }),
  });

  function setup(s: Scenario) {
    const a = testInstrument('va', {
      lot: LOT,
      tick: '0.01',
      takerFee: String(s.feeA / 1e4),
    }) as OrderableInstrument;
    const b = testInstrument('vb', {
      lot: LOT,
      tick: '0.01',
      takerFee: String(s.feeB / 1e4),
    }) as OrderableInstrument;
    const market = new TestMarket([a, b]);
    const bookA = orderBook(a.id, s.a);
    const bookB = orderBook(b.id, s.b);
    market.books.set(a.id, bookA);
    market.books.set(b.id, bookB);
    const agent = makeAgent({ minNetEdgeBps: s.minNetEdgeBps, maxQuantity: s.maxQuantity }, [a, b]);
    const decision = run(agent, market, new TestPortfolio(), a.id, 0);
    const byId = new Map([
      [a.id, { instrument: a, book: bookA, fee: s.feeA / 1e4 }],
      [b.id, { instrument: b, book: bookB, fee: s.feeB / 1e4 }],
    ]);
    return { decision, byId, a, b, bookA, bookB };
  }

  it('never proposes a plan whose recomputed net edge after both fees is below the threshold, nor beyond visible depth or maxQuantity', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { decision, byId } = setup(s);
        expect(checkDecisionShape(decision).ok).toBe(true);
        for (const plan of plans(decision)) {
          const [buyLeg, sellLeg] = plan.legs;
          if (buyLeg === undefined || sellLeg === undefined) throw new Error('plan needs two legs');
          expect(buyLeg.side).toBe('buy');
          expect(sellLeg.side).toBe('sell');
          expect(buyLeg.quantity.eq(sellLeg.quantity)).toBe(true);
          const buy = byId.get(buyLeg.instrumentId);
          const sell = byId.get(sellLeg.instrumentId);
          if (buy === undefined || sell === undefined) throw new Error('leg on an unknown instrument');
          expect(buy.instrument.venue).not.toBe(sell.instrument.venue);
          const q = buyLeg.quantity;
          expect(q.isPositive() && q.isMultipleOf(LOT)).toBe(true);
          expect(q.toNumber()).toBeLessThanOrEqual(s.maxQuantity + 1e-12);
          // Visible depth, exactly (sizes are whole lots).
          const askDepth = Decimal.sum(buy.book.asks().map(([, size]) => Decimal.from(size)));
          const bidDepth = Decimal.sum(sell.book.bids().map(([, size]) => Decimal.from(size)));
          expect(q.lte(askDepth) && q.lte(bidDepth)).toBe(true);
          // Recompute with the model's own sweep, independent of the agent's walk (a hair under q, so the
          // float remainder of summed sizes cannot spill onto one more level).
          const bought = buy.book.sweep('buy', q.toNumber() * (1 - 1e-12));
          const sold = sell.book.sweep('sell', q.toNumber() * (1 - 1e-12));
          expect(bought.filled).toBeCloseTo(q.toNumber(), 9);
          expect(sold.filled).toBeCloseTo(q.toNumber(), 9);
          const net = (sold.notional * (1 - sell.fee) - bought.notional * (1 + buy.fee)) / bought.notional;
          expect(net).toBeGreaterThanOrEqual(s.minNetEdgeBps / 1e4 - 1e-12);
          expect(net).toBeGreaterThan(0);
          expect(plan.expectedNetEdge).toBeCloseTo(net, 10);
          // IOC limits at the worst level walked, on the tick grid.
          expect(buyLeg.type).toBe('limit');
          expect(buyLeg.timeInForce).toBe('IOC');
          expect(buyLeg.limitPrice?.eq(Decimal.from(bought.worstPrice))).toBe(true);
          expect(sellLeg.limitPrice?.eq(Decimal.from(sold.worstPrice))).toBe(true);
          expect(buyLeg.limitPrice?.isMultipleOf('0.01')).toBe(true);
        }
        expect(decision.confidence).toBeGreaterThanOrEqual(0);
        expect(decision.confidence).toBeLessThanOrEqual(1);
        if (plans(decision).length === 0) expect(decision.confidence).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('proposes a plan whenever the top of book alone clears the threshold for at least one lot', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { decision, a, b, bookA, bookB } = setup(s);
        const th = s.minNetEdgeBps / 1e4;
        const clears = (ask: OrderBook, bid: OrderBook, feeBuy: number, feeSell: number) => {
          const edge =
            ((bid.bestBid() as number) * (1 - feeSell) - (ask.bestAsk() as number) * (1 + feeBuy)) /
            (ask.bestAsk() as number);
          const size = Math.min(ask.bestAskSize() as number, bid.bestBidSize() as number, s.maxQuantity);
          return edge > 0 && edge >= th + 1e-12 && size >= 0.001 + 1e-12;
        };
        const fa = a.takerFee.toNumber();
        const fb = b.takerFee.toNumber();
        if (clears(bookA, bookB, fa, fb) || clears(bookB, bookA, fb, fa))
          expect(plans(decision)).toHaveLength(1);
      }),
      { numRuns: 500 },
    );
  });

  it('walks past the top level while each marginal unit still clears the edge', () => {
    // Asks 100.00 × 1, 100.05 × 1; bids 100.30 × 1.5, 100.08 × 5. Zero fees, 1 bp threshold.
    const result = walkCross(
      [
        [100, 1],
        [100.05, 1],
      ],
      [
        [100.3, 1.5],
        [100.08, 5],
      ],
      0,
      0,
      10,
      1e-4,
    );
    // 1 @100 vs 100.30, 0.5 @100.05 vs 100.30, 0.5 @100.05 vs 100.08 (3 bp), then asks run out.
    expect(result.quantity).toBeCloseTo(2, 12);
    expect(result.buyNotional).toBeCloseTo(100 + 100.05, 9);
    expect(result.sellNotional).toBeCloseTo(1.5 * 100.3 + 0.5 * 100.08, 9);
    expect(result.worstBuyPrice).toBe(100.05);
    expect(result.worstSellPrice).toBe(100.08);
    expect(result.buyLevels).toBe(2);
    expect(result.sellLevels).toBe(2);
    // With a 5 bp threshold the last half unit (3 bp) is left.
    expect(
      walkCross(
        [
          [100, 1],
          [100.05, 1],
        ],
        [
          [100.3, 1.5],
          [100.08, 5],
        ],
        0,
        0,
        10,
        5e-4,
      ).quantity,
    ).toBeCloseTo(1.5, 12);
  });

  it('pairs only same base/quote listings on different venues whose lots nest', () => {
    const x = testInstrument('x', { lot: '0.001' });
    const y = testInstrument('y', { lot: '0.00001' });
    const z = testInstrument('z', { lot: '0.0025' });
    const eth = testInstrument('y', { base: 'ETH' });
    const pairs = findVenuePairs([x, y, z, eth]);
    expect(pairs.map((p) => `${p.first.id}|${p.second.id}|${p.lot}`).sort()).toEqual([
      'x:BTCUSDT|y:BTCUSDT|0.001',
      'y:BTCUSDT|z:BTCUSDT|0.0025',
    ]);
    expect(findVenuePairs([x, y, z], [[z.id, x.id]])).toEqual([]);
  });

  it('does not trade against a stale book', () => {
    const a = testInstrument('va');
    const b = testInstrument('vb');
    const market = new TestMarket([a, b]);
    const bookA = new OrderBook(a.id);
    const bookB = new OrderBook(b.id);
    bookA.applySnapshot([[99, 1]], [[100, 1]], 1, 0);
    bookB.applySnapshot([[101, 1]], [[102, 1]], 1, 0);
    market.books.set(a.id, bookA);
    market.books.set(b.id, bookB);
    const agent = makeAgent({ minNetEdgeBps: 1, maxBookAgeMs: 1000 }, [a, b]);
    expect(plans(run(agent, market, new TestPortfolio(), a.id, 500))).toHaveLength(1);
    const stale = run(agent, market, new TestPortfolio(), a.id, 1500);
    expect(plans(stale)).toHaveLength(0);
    expect(stale.reasoning).toContain('stale');
  });
});
