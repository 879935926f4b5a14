import { describe, expect, it } from 'vitest';
import { Decimal, SimulatedClock } from '../../src/core/index.ts';
import {
  BreakerBoard,
  checkSwap,
  grossExposureRule,
  minAmountOutFor,
  type RiskVerdict,
} from '../../src/risk/index.ts';
import { BTC, BTC_B, codeOf, ETH, FakeBook, makeEngine, order } from './helpers.ts';

function message(v: RiskVerdict): string {
  return v.ok ? '' : v.denial.message;
}

/** Feeds `n` one-second return samples per instrument from a price function. */
function feed(
  engine: ReturnType<typeof makeEngine>['engine'],
  n: number,
  price: (id: string, i: number) => number,
  ids: string[],
) {
  for (let i = 0; i <= n; i++) {
    for (const id of ids) engine.observePrice(id, price(id, i), 1_000 * i + 500);
  }
}

describe('exposure rules', () => {
  it('gross exposure: passes within the limit, denies above it, lets a reducing order through', () => {
    const book = new FakeBook().set(BTC, 5).set(ETH, -10);
    const { engine } = makeEngine({ maxGrossExposure: 1000 }, book);
    engine.observePrice(BTC, 100, 0);
    engine.observePrice(ETH, 20, 0);
    // gross before = 500 + 200 = 700
    expect(codeOf(engine.check(order({ quantity: 3 })))).toBe('PASS');
    const v = engine.check(order({ quantity: 4 }));
    expect(codeOf(v)).toBe('GROSS_EXPOSURE_EXCEEDS_MAX');
    expect(message(v)).toContain('limit=1000, value=1100');
    book.set(BTC, 20); // 2000 + 200, already over
    expect(codeOf(engine.check(order({ side: 'sell', quantity: 1 })))).toBe('PASS');
  });

  it('exposure rules fail closed without a usable price (even when run alone)', () => {
    const { engine } = makeEngine({ maxGrossExposure: 1e9 }, new FakeBook(), { rules: [grossExposureRule] });
    expect(codeOf(engine.check(order({ referencePrice: undefined })))).toBe('GROSS_EXPOSURE_EXCEEDS_MAX');
    expect(codeOf(engine.check(order()))).toBe('PASS');
  });

  it('net exposure: long and short offset; denies when |net| grows past the limit', () => {
    const book = new FakeBook().set(BTC, 5).set(ETH, -20);
    const { engine } = makeEngine({ maxNetExposure: 300 }, book);
    engine.observePrice(BTC, 100, 0);
    engine.observePrice(ETH, 20, 0); // net = 500 − 400 = 100
    expect(codeOf(engine.check(order({ quantity: 2 })))).toBe('PASS'); // 300
    const v = engine.check(order({ quantity: 3 }));
    expect(codeOf(v)).toBe('NET_EXPOSURE_EXCEEDS_MAX');
    expect(message(v)).toContain('limit=300, value=400');
  });

  it('position per venue: sums |exposure| on the order venue only', () => {
    const book = new FakeBook().set(BTC, 5).set(BTC_B, 50);
    const { engine } = makeEngine({ maxPositionPerVenue: 800 }, book);
    engine.observePrice(BTC, 100, 0);
    engine.observePrice(BTC_B, 100, 0, 'sim-b');
    expect(codeOf(engine.check(order({ quantity: 3 })))).toBe('PASS'); // 800 on sim-a
    const v = engine.check(order({ quantity: 3.5 }));
    expect(codeOf(v)).toBe('VENUE_POSITION_EXCEEDS_MAX');
    expect(message(v)).toContain('limit=800, value=850, venue=sim-a');
    expect(
      codeOf(engine.check(order({ venue: 'sim-b', instrumentId: BTC_B, side: 'sell', quantity: 1 }))),
    ).toBe('PASS');
  });

  it('concentration: one asset share of gross, judged above the minimum gross', () => {
    const book = new FakeBook().set(BTC, 5).set(ETH, 25);
    const { engine } = makeEngine({ maxConcentration: 0.6, concentrationMinGross: 100 }, book);
    engine.observePrice(BTC, 100, 0);
    engine.observePrice(ETH, 20, 0); // 500 + 500
    expect(codeOf(engine.check(order({ quantity: 2 })))).toBe('PASS'); // 700/1200 = 0.583
    const v = engine.check(order({ quantity: 3 })); // 800/1300
    expect(codeOf(v)).toBe('CONCENTRATION_EXCEEDS_MAX');
    expect(message(v)).toMatch(/limit=0.6, value=0\.6153\d*/);
    // A small first position is not judged.
    const { engine: fresh } = makeEngine({ maxConcentration: 0.6, concentrationMinGross: 1000 });
    expect(codeOf(fresh.check(order({ quantity: 5 })))).toBe('PASS');
  });

  it('leverage: gross after / equity', () => {
    const book = new FakeBook().set(BTC, 10).setPnl({ equity: 1000 });
    const { engine } = makeEngine({ maxLeverage: 2 }, book);
    engine.observePrice(BTC, 100, 0);
    engine.observe(0);
    expect(codeOf(engine.check(order({ quantity: 10 })))).toBe('PASS'); // 2000/1000
    const v = engine.check(order({ quantity: 11 }));
    expect(codeOf(v)).toBe('LEVERAGE_EXCEEDS_MAX');
    expect(message(v)).toContain('limit=2, value=2.1');
    expect(codeOf(engine.check(order({ side: 'sell', quantity: 5 })))).toBe('PASS');
  });

  it('leverage: fails closed before any portfolio observation', () => {
    const { engine } = makeEngine({ maxLeverage: 2 }, { position: () => 0 } as unknown as FakeBook);
    const v = engine.check(order({ quantity: 1 }));
    expect(codeOf(v)).toBe('LEVERAGE_EXCEEDS_MAX');
    expect(message(v)).toContain('engine.observe');
  });
});

describe('open orders and order rate', () => {
  it('caps open orders in total and per venue', () => {
    let total = 0;
    let onA = 0;
    const openOrders = {
      openOrders: (venue?: string) => (venue === undefined ? total : venue === 'sim-a' ? onA : 0),
    };
    const { engine } = makeEngine({ maxOpenOrders: 5, maxOpenOrdersPerVenue: 2 }, new FakeBook(), {
      openOrders,
    });
    total = 4;
    onA = 1;
    expect(codeOf(engine.check(order()))).toBe('PASS');
    onA = 2;
    const venue = engine.check(order());
    expect(codeOf(venue)).toBe('VENUE_OPEN_ORDERS_EXCEED_MAX');
    expect(message(venue)).toContain('limit=2, value=3, venue=sim-a');
    expect(codeOf(engine.check(order({ venue: 'sim-b', instrumentId: BTC_B })))).toBe('PASS');
    total = 5;
    const total6 = engine.check(order({ venue: 'sim-b', instrumentId: BTC_B }));
    expect(codeOf(total6)).toBe('OPEN_ORDERS_EXCEED_MAX');
    expect(message(total6)).toBe('limit=5, value=6');
  });

  it('allows N orders per rolling window per venue, on the injected clock', () => {
    const clock = new SimulatedClock(10_000);
    const { engine } = makeEngine({ orderRate: { maxOrders: 3, windowMs: 1000 } }, new FakeBook(), {}, clock);
    for (let i = 0; i < 3; i++) {
      expect(codeOf(engine.check(order()))).toBe('PASS');
      clock.advanceTo(clock.now() + 100);
    }
    const v = engine.check(order());
    expect(codeOf(v)).toBe('ORDER_RATE_EXCEEDED');
    expect(message(v)).toContain('limit=3, value=3, window_ms=1000, venue=sim-a');
    expect(codeOf(engine.check(order({ venue: 'sim-b', instrumentId: BTC_B })))).toBe('PASS');
    clock.advanceTo(11_000); // the first order (at 10 000) leaves the window
    expect(codeOf(engine.check(order()))).toBe('PASS');
    expect(codeOf(engine.check(order()))).toBe('ORDER_RATE_EXCEEDED');
  });
});

describe('loss rules', () => {
  it('daily loss: only reducing orders pass once the limit is reached; the engine drops to REDUCING and resets next day', () => {
    const book = new FakeBook().set(BTC, 2).setPnl({ dailyPnl: -400 });
    const changes: string[] = [];
    const clock = new SimulatedClock(0);
    const { engine } = makeEngine(
      { maxDailyLoss: 500 },
      book,
      { onTradingStateChange: (c) => changes.push(`${c.from}>${c.to}: ${c.reason}`) },
      clock,
    );
    engine.observe(1000);
    expect(codeOf(engine.check(order()))).toBe('PASS');
    book.setPnl({ dailyPnl: -500 });
    engine.observe(2000);
    expect(engine.tradingState({ kind: 'global' })).toBe('REDUCING');
    expect(changes).toEqual(['ACTIVE>REDUCING: DAILY_LOSS_LIMIT_REACHED: limit=500, value=500']);
    expect(codeOf(engine.check(order()))).toBe('REDUCING_ONLY');
    expect(codeOf(engine.check(order({ side: 'sell', quantity: 1 })))).toBe('PASS');
    // The rule itself denies even if the state were ACTIVE again (operator override).
    engine.setTradingState({ kind: 'global' }, 'ACTIVE', 'operator');
    const v = engine.check(order());
    expect(codeOf(v)).toBe('DAILY_LOSS_LIMIT_REACHED');
    expect(message(v)).toContain('limit=500, value=500');
    engine.observe(3000); // still breached → REDUCING again
    book.setPnl({ dailyPnl: 0 });
    engine.observe(86_400_000 + 1);
    expect(engine.tradingState({ kind: 'global' })).toBe('ACTIVE');
  });

  it('drawdown: beyond the limit only reducing orders pass, and the desk stays REDUCING', () => {
    const book = new FakeBook().set(BTC, 2).setPnl({ drawdown: 0.05, peakEquity: 10_000, equity: 9_500 });
    const { engine } = makeEngine({ maxDrawdown: 0.1 }, book);
    engine.observe(0);
    expect(codeOf(engine.check(order()))).toBe('PASS');
    book.setPnl({ drawdown: 0.12, equity: 8_800 });
    engine.observe(1);
    expect(engine.tradingState({ kind: 'global' })).toBe('REDUCING');
    engine.setTradingState({ kind: 'global' }, 'ACTIVE', 'operator');
    const v = engine.check(order());
    expect(codeOf(v)).toBe('DRAWDOWN_LIMIT_REACHED');
    expect(message(v)).toContain('limit=0.1, value=0.12');
    expect(codeOf(engine.check(order({ side: 'sell', quantity: 2 })))).toBe('PASS');
  });
});

describe('window rules: VaR and correlation', () => {
  /** Alternating ±1% returns: σ ≈ 1%, 5% quantile of a long position's PnL = −1% of exposure. */
  const zigzag = (_id: string, i: number) => (i % 2 === 0 ? 100 : 101);

  it('historical VaR: denies the order that pushes the empirical 95% loss over the limit', () => {
    const { engine } = makeEngine({ valueAtRisk: { limit: 10, method: 'historical', minSamples: 20 } });
    feed(engine, 40, zigzag, [BTC]);
    expect(engine.marketRisk().samples()).toBe(39);
    // 5 × 100.. ≈ 505 exposure, worst sample ≈ −0.99% → VaR ≈ 5.0
    expect(codeOf(engine.check(order({ quantity: 5 })))).toBe('PASS');
    const v = engine.check(order({ quantity: 12 }));
    expect(codeOf(v)).toBe('VAR_EXCEEDS_MAX');
    expect(message(v)).toMatch(/limit=10, value=11\.\d+, method=historical/);
  });

  it('parametric VaR: 1.645 σ × exposure', () => {
    const { engine } = makeEngine({ valueAtRisk: { limit: 10, method: 'parametric', minSamples: 20 } });
    feed(engine, 40, zigzag, [BTC]);
    expect(codeOf(engine.check(order({ quantity: 5 })))).toBe('PASS');
    const v = engine.check(order({ quantity: 7 })); // σ≈1% ⇒ 1.645 × 0.01 × 707 ≈ 11.7
    expect(codeOf(v)).toBe('VAR_EXCEEDS_MAX');
    expect(message(v)).toContain('method=parametric');
  });

  it('VaR does not judge before minSamples', () => {
    const { engine } = makeEngine({ valueAtRisk: { limit: 1, minSamples: 30 } });
    feed(engine, 10, zigzag, [BTC]);
    expect(codeOf(engine.check(order({ quantity: 50 })))).toBe('PASS');
  });

  it('correlation-adjusted exposure: a hedge in a correlated asset counts less than gross', () => {
    const book = new FakeBook().set(ETH, -25); // short 500 of ETH
    const { engine } = makeEngine({ maxCorrelatedExposure: 600, valueAtRisk: { minSamples: 20 } }, book);
    feed(engine, 40, (id, i) => (id === BTC ? (i % 2 === 0 ? 100 : 101) : i % 2 === 0 ? 20 : 20.2), [
      BTC,
      ETH,
    ]);
    // BTC and ETH move together (ρ = 1): long 500 BTC against short 505 ETH is almost flat.
    expect(codeOf(engine.check(order({ quantity: 5 })))).toBe('PASS');
    // Uncorrelated warm-up absent ⇒ gross (the worst case) decides.
    const { engine: cold } = makeEngine({ maxCorrelatedExposure: 600 }, new FakeBook().set(ETH, -25));
    cold.observePrice(ETH, 20, 0);
    const v = cold.check(order({ quantity: 5 }));
    expect(codeOf(v)).toBe('CORRELATED_EXPOSURE_EXCEEDS_MAX');
    expect(message(v)).toContain('limit=600, value=1000');
    // Warm and positively correlated long/long: √(wᵀρw) ≈ gross.
    const { engine: longs } = makeEngine(
      { maxCorrelatedExposure: 600, valueAtRisk: { minSamples: 20 } },
      new FakeBook().set(ETH, 25),
    );
    feed(longs, 40, (id, i) => (id === BTC ? (i % 2 === 0 ? 100 : 101) : i % 2 === 0 ? 20 : 20.2), [
      BTC,
      ETH,
    ]);
    expect(codeOf(longs.check(order({ quantity: 5 })))).toBe('CORRELATED_EXPOSURE_EXCEEDS_MAX');
  });
});

describe('plan edge, breakers and swaps', () => {
  it('minimum net edge after fees for plan legs', () => {
    const { engine } = makeEngine({ minNetEdgeBps: 5 });
    expect(codeOf(engine.check(order()))).toBe('PASS'); // not a plan leg
    expect(codeOf(engine.check(order({ plan: { expectedNetEdge: 0.0006 } })))).toBe('PASS');
    const v = engine.check(order({ plan: { expectedNetEdge: 0.0003 } }));
    expect(codeOf(v)).toBe('NET_EDGE_BELOW_MIN');
    expect(message(v)).toContain('limit=5, value=3, unit=bps');
  });

  it('an open breaker denies new risk in its scope with CIRCUIT_OPEN; reducing orders pass', () => {
    const board = new BreakerBoard({
      errorRate: { minSamples: 2, maxErrorRate: 0.5, cooldownMs: 1000, probes: 1 },
    });
    const book = new FakeBook().set(BTC, 1);
    const clock = new SimulatedClock(0);
    const { engine } = makeEngine({}, book, { breakers: board }, clock);
    expect(codeOf(engine.check(order()))).toBe('PASS');
    board.recordOutcome('sim-a', 'rejected', 0);
    board.recordOutcome('sim-a', 'timeout', 0);
    const v = engine.check(order());
    expect(codeOf(v)).toBe('CIRCUIT_OPEN');
    expect(message(v)).toContain('breaker=error-rate, scope=venue:sim-a, state=OPEN, reopens_at=1000');
    expect(codeOf(engine.check(order({ side: 'sell', quantity: 1 })))).toBe('PASS');
    expect(codeOf(engine.check(order({ venue: 'sim-b', instrumentId: BTC_B })))).toBe('PASS');
    clock.advanceTo(1000);
    expect(codeOf(engine.check(order()))).toBe('PASS'); // the one probe
    expect(codeOf(engine.check(order()))).toBe('CIRCUIT_OPEN'); // probes used
    board.recordOutcome('sim-a', 'ok', 1001);
    expect(board.status()[0]!.state).toBe('CLOSED');
    expect(codeOf(engine.check(order()))).toBe('PASS');
  });

  it('checkSwap: bounded slippage passes, a loose or missing bound is denied', () => {
    const expected = Decimal.from('1000');
    expect(
      checkSwap({
        amountIn: Decimal.from(1),
        expectedOut: expected,
        minAmountOut: Decimal.from('995'),
        maxSlippageBps: 50,
      }).ok,
    ).toBe(true);
    const loose = checkSwap({
      amountIn: Decimal.from(1),
      expectedOut: expected,
      minAmountOut: Decimal.from('994.9'),
      maxSlippageBps: 50,
    });
    expect(codeOf(loose)).toBe('SWAP_SLIPPAGE_EXCEEDS_MAX');
    expect(message(loose)).toContain('limit=50, value=51, unit=bps');
    expect(
      codeOf(
        checkSwap({
          amountIn: Decimal.from(1),
          expectedOut: expected,
          minAmountOut: Decimal.ZERO,
          maxSlippageBps: 50,
        }),
      ),
    ).toBe('SWAP_UNBOUNDED');
    const min = minAmountOutFor(expected, 30, 6);
    expect(min.toString()).toBe('997');
    expect(
      checkSwap({ amountIn: Decimal.from(1), expectedOut: expected, minAmountOut: min, maxSlippageBps: 30 })
        .ok,
    ).toBe(true);
  });
});
