import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agents/contract.ts';
import {
  type MeanReversionConfig,
  meanReversionAction,
  meanReversionAgent,
  zScoreOfLast,
} from '../../../src/agents/library/mean-reversion/index.ts';
import { checkDecisionShape } from '../../../src/agents/validate.ts';
import { Random } from '../../../src/core/index.ts';
import type { Decision } from '../../../src/model/index.ts';
import {
  contextFor,
  orderIntents,
  readFreqtradeCandles,
  TestMarket,
  TestPortfolio,
  testInstrument,
} from './helpers.ts';

/** Oracle: z of the last value against the window's mean and sample std, two passes. */
function zOracle(window: readonly number[]): number {
  const mean = window.reduce((a, b) => a + b, 0) / window.length;
  const std = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / (window.length - 1));
  return ((window[window.length - 1] as number) - mean) / std;
}

describe('mean-reversion rules', () => {
  it('z-score matches the two-pass oracle and is invariant to affine rescaling of prices', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 3, maxLength: 100 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        (xs, scale, shift) => {
          const z = zScoreOfLast(xs);
          if (z === undefined) return;
          expect(z.z).toBeCloseTo(zOracle(xs), 6);
          const moved = zScoreOfLast(xs.map((x) => x * scale + shift));
          if (moved !== undefined) expect(moved.z).toBeCloseTo(z.z, 5);
        },
      ),
    );
  });

  it('enters against the deviation beyond ±entryZ, exits inside the band on the position side, otherwise holds', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -6, max: 6, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        (z, position) => {
          const action = meanReversionAction(z, position, 2, 0.5);
          if (z >= 2) expect(action).toBe('enter-short');
          else if (z <= -2) expect(action).toBe('enter-long');
          else if (position > 0 && z >= -0.5) expect(action).toBe('exit');
          else if (position < 0 && z <= 0.5) expect(action).toBe('exit');
          else expect(action).toBe('hold');
        },
      ),
    );
  });

  it('rejects exitZ at or above entryZ in config', () => {
    expect(meanReversionAgent.configSchema.safeParse({ entryZ: 1, exitZ: 1 }).success).toBe(false);
    expect(meanReversionAgent.configSchema.parse({})).toMatchObject({ window: 20, entryZ: 2, exitZ: 0.5 });
  });
});

describe('mean-reversion agent on real ETH/BTC 5-minute candles (freqtrade, Jan 2018)', () => {
  const { close } = readFreqtradeCandles('candles/freqtrade/ETH_BTC-5m.json');
  const instrument = testInstrument('binance', { base: 'ETH', quote: 'BTC', lot: '0.001', tick: '0.000001' });
  const config = { window: 20, entryZ: 2, exitZ: 0.5, quantity: 1, maxPosition: 2 };

  function make(overrides: Partial<MeanReversionConfig> = {}): Agent {
    return meanReversionAgent.create(
      'mr-1',
      meanReversionAgent.configSchema.parse({ ...config, ...overrides }),
      {
        random: new Random(1),
        instruments: [instrument],
      },
    );
  }

  it('sells above +entryZ, buys below −entryZ, exits toward zero, caps the position', () => {
    const agent = make();
    const market = new TestMarket([instrument]);
    market.mids.set(instrument.id, close);
    const portfolio = new TestPortfolio();
    const counts = { entrySells: 0, entryBuys: 0, exits: 0, missedEntries: 0 };
    for (let i = 0; i < close.length; i++) {
      market.cursor.set(instrument.id, i);
      const before = portfolio.position(instrument.id);
      const decision = agent.process(contextFor(market, portfolio, instrument.id, i, 'bar')) as Decision;
      expect(checkDecisionShape(decision).ok).toBe(true);
      const order = orderIntents(decision.intents)[0];
      if (order !== undefined) portfolio.fill(order);
      const after = portfolio.position(instrument.id);
      expect(Math.abs(after)).toBeLessThanOrEqual(config.maxPosition + 1e-9);
      if (i < config.window - 1) {
        expect(order).toBeUndefined();
        continue;
      }
      const z = zOracle(close.slice(i + 1 - config.window, i + 1));
      if (z >= config.entryZ) {
        // Above +entryZ it sells unless already at the short cap.
        if (before > -config.maxPosition + 1e-9) {
          expect(order?.side).toBe('sell');
          counts.entrySells++;
        } else counts.missedEntries++;
      } else if (z <= -config.entryZ) {
        if (before < config.maxPosition - 1e-9) {
          expect(order?.side).toBe('buy');
          counts.entryBuys++;
        } else counts.missedEntries++;
      } else if (order !== undefined) {
        // Inside the entry band the only trade is an exit toward zero, reduce-only, to flat.
        counts.exits++;
        expect(order.reduceOnly).toBe(true);
        expect(after).toBeCloseTo(0, 9);
        expect(before > 0 ? z >= -config.exitZ : z <= config.exitZ).toBe(true);
        expect(decision.expectedReturn).toBe(0);
      }
      if (order !== undefined && order.reduceOnly !== true) {
        expect(decision.confidence).toBeGreaterThanOrEqual(0.5);
        expect(decision.expectedReturn).toBeGreaterThan(0);
      }
    }
    expect(counts.entrySells).toBeGreaterThan(10);
    expect(counts.entryBuys).toBeGreaterThan(10);
    expect(counts.exits).toBeGreaterThan(10);
  });

  it('only flattens a long when shorting is off', () => {
    const agent = make({ allowShort: false });
    const market = new TestMarket([instrument]);
    market.mids.set(instrument.id, close);
    const portfolio = new TestPortfolio();
    for (let i = 0; i < 3000; i++) {
      market.cursor.set(instrument.id, i);
      const order = orderIntents(
        (agent.process(contextFor(market, portfolio, instrument.id, i)) as Decision).intents,
      )[0];
      if (order !== undefined) portfolio.fill(order);
      expect(portfolio.position(instrument.id)).toBeGreaterThanOrEqual(-1e-12);
    }
  });
});
