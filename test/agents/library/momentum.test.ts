import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agents/contract.ts';
import { type MomentumConfig, momentumAgent } from '../../../src/agents/library/momentum/index.ts';
import {
  isReducing,
  lotsWithin,
  tradeToward,
  wholeLots,
} from '../../../src/agents/library/momentum/sizing.ts';
import { checkDecisionShape } from '../../../src/agents/validate.ts';
import { Random } from '../../../src/core/index.ts';
import type { Decision } from '../../../src/model/index.ts';
import {
  contextFor,
  orderIntents,
  readCandleCsv,
  TestMarket,
  TestPortfolio,
  testInstrument,
} from './helpers.ts';

const limits = fc.record({
  quantity: fc.double({ min: 0.001, max: 10, noNaN: true }),
  maxPosition: fc.double({ min: 0.001, max: 20, noNaN: true }),
  allowShort: fc.boolean(),
});

describe('position-aware sizing', () => {
  it('trades only in the signal direction and never takes the position past maxPosition on that side', () => {
    fc.assert(
      fc.property(
        limits,
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.constantFrom(1 as const, -1 as const),
        (l, position, direction) => {
          const trade = tradeToward(position, direction, l);
          expect(trade === 0 || Math.sign(trade) === direction).toBe(true);
          const after = position + trade;
          const cap = direction === 1 ? l.maxPosition : l.allowShort ? l.maxPosition : 0;
          // Either inside the cap, or (already beyond it) not pushed further.
          if (trade !== 0) expect(direction * after).toBeLessThanOrEqual(cap + 1e-9);
          // A reversal lands exactly on min(quantity, cap) the other way.
          if (direction * position < 0 && trade !== 0)
            expect(direction * after).toBeCloseTo(Math.min(l.quantity, cap), 9);
          // Never more than one entry beyond flat.
          expect(direction * after).toBeLessThanOrEqual(
            Math.max(direction * position, 0) + l.quantity + 1e-9,
          );
        },
      ),
    );
  });

  it('marks a trade reducing only when it shrinks the position without flipping it', () => {
    expect(isReducing(2, -1)).toBe(true);
    expect(isReducing(2, -2)).toBe(true);
    expect(isReducing(2, -3)).toBe(false);
    expect(isReducing(-1, 1)).toBe(true);
    expect(isReducing(0, 1)).toBe(false);
    expect(isReducing(1, 1)).toBe(false);
  });

  it('rounds to whole lots without float noise and never above a hard cap', () => {
    expect(wholeLots(0.1 + 0.2, 0.1)).toBe(3);
    expect(wholeLots(0.29999999999999993, 0.1)).toBe(3);
    expect(wholeLots(0.0999, 0.1)).toBe(0);
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1e4, noNaN: true }),
        fc.constantFrom(0.001, 0.01, 0.00001, 0.1, 1),
        (cap, lot) => {
          const n = lotsWithin(cap, lot);
          expect(n * lot).toBeLessThanOrEqual(cap);
          expect((n + 1) * lot).toBeGreaterThan(cap);
        },
      ),
    );
  });
});

describe('momentum agent on real BTC-PERP 1-minute bars (Jan 2022)', () => {
  const { close } = readCandleCsv('candles/btc-perp-1m-2022-01.csv');
  const instrument = testInstrument('nautilus', { base: 'BTC', quote: 'USD', lot: '0.001' });

  function make(config: Partial<MomentumConfig>): Agent {
    return momentumAgent.create('mom-1', momentumAgent.configSchema.parse(config), {
      random: new Random(1),
      instruments: [instrument],
    });
  }

  /** Runs the agent bar by bar, filling its orders at once; calls `check` with the lookback return it saw. */
  function drive(
    agent: Agent,
    lookback: number,
    check: (decision: Decision, returnBps: number, before: number, after: number) => void,
  ): void {
    const market = new TestMarket([instrument]);
    market.mids.set(instrument.id, close);
    const portfolio = new TestPortfolio();
    for (let i = 0; i < 20_000; i++) {
      market.cursor.set(instrument.id, i);
      const decision = agent.process(contextFor(market, portfolio, instrument.id, i, 'bar'));
      if (decision instanceof Promise) throw new Error('process must be synchronous');
      const before = portfolio.position(instrument.id);
      for (const order of orderIntents(decision.intents)) portfolio.fill(order);
      const returnBps =
        i >= lookback ? ((close[i] as number) / (close[i - lookback] as number) - 1) * 1e4 : Number.NaN;
      check(decision, returnBps, before, portfolio.position(instrument.id));
    }
  }

  it('goes long only after a positive lookback return past the threshold, short only after a negative one', () => {
    const config = { lookback: 30, thresholdBps: 40, quantity: 0.5, maxPosition: 1 };
    let buys = 0;
    let sells = 0;
    drive(make(config), config.lookback, (decision, returnBps, _before, after) => {
      expect(checkDecisionShape(decision).ok).toBe(true);
      const orders = orderIntents(decision.intents);
      expect(orders.length).toBeLessThanOrEqual(1);
      const order = orders[0];
      if (order === undefined) {
        expect(decision.confidence).toBe(0);
        return;
      }
      expect(order.type).toBe('market');
      expect(order.quantity.isMultipleOf('0.001')).toBe(true);
      if (order.side === 'buy') {
        buys++;
        expect(returnBps).toBeGreaterThan(config.thresholdBps);
      } else {
        sells++;
        expect(returnBps).toBeLessThan(-config.thresholdBps);
      }
      expect(Math.abs(after)).toBeLessThanOrEqual(config.maxPosition + 1e-9);
      expect(decision.confidence).toBeGreaterThanOrEqual(0.5);
      expect(decision.expectedReturn).toBeGreaterThan(0);
    });
    expect(buys).toBeGreaterThan(5);
    expect(sells).toBeGreaterThan(5);
  });

  it('reverses a short into a long of one entry on an uptrend, and stays flat-or-long when shorting is off', () => {
    const config = { lookback: 30, thresholdBps: 40, quantity: 0.5, maxPosition: 1 };
    let reversals = 0;
    drive(make(config), config.lookback, (decision, _r, before, after) => {
      const order = orderIntents(decision.intents)[0];
      if (order?.side === 'buy' && before < 0) {
        reversals++;
        expect(after).toBeCloseTo(0.5, 9);
      }
    });
    expect(reversals).toBeGreaterThan(0);
    drive(make({ ...config, allowShort: false }), config.lookback, (decision, _r, before, after) => {
      expect(after).toBeGreaterThanOrEqual(-1e-12);
      const order = orderIntents(decision.intents)[0];
      if (order?.side === 'sell') {
        expect(order.reduceOnly).toBe(true);
        expect(before).toBeGreaterThan(0);
      }
    });
  });

  it('flattens on a neutral signal only when asked to', () => {
    const agent = make({ lookback: 2, thresholdBps: 10, flattenOnNeutral: true });
    const market = new TestMarket([instrument]);
    market.mids.set(instrument.id, [100, 100.01, 100.02]);
    const portfolio = new TestPortfolio();
    portfolio.positions.set(instrument.id, 0.7);
    const decision = agent.process(contextFor(market, portfolio, instrument.id)) as Decision;
    const order = orderIntents(decision.intents)[0];
    expect(order?.side).toBe('sell');
    expect(order?.quantity.toString()).toBe('0.7');
    expect(order?.reduceOnly).toBe(true);
    const plain = make({ lookback: 2, thresholdBps: 10 }).process(
      contextFor(market, portfolio, instrument.id),
    ) as Decision;
    expect(plain.intents).toEqual([]);
  });

  it('says why it does nothing without enough history', () => {
    const market = new TestMarket([instrument]);
    market.mids.set(instrument.id, [100, 101]);
    const decision = make({ lookback: 5 }).process(
      contextFor(market, new TestPortfolio(), instrument.id),
    ) as Decision;
    expect(decision.intents).toEqual([]);
    expect(decision.reasoning).toContain('need 6');
  });
});
