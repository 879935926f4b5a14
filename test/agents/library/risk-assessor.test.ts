import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agents/contract.ts';
import { realizedVolatility } from '../../../src/agents/library/regime/stats.ts';
import {
  type RiskAssessorConfig,
  riskAssessorAgent,
  volatilityCappedQuantity,
} from '../../../src/agents/library/risk-assessor/index.ts';
import { checkDecisionShape } from '../../../src/agents/validate.ts';
import { Random } from '../../../src/core/index.ts';
import type { Decision, RiskAdviceIntent } from '../../../src/model/index.ts';
import { contextFor, readCandleCsv, TestMarket, TestPortfolio, testInstrument } from './helpers.ts';

const instrument = testInstrument('nautilus', { base: 'BTC', quote: 'USD', lot: '0.001' });

function make(config: Partial<RiskAssessorConfig> = {}): Agent {
  return riskAssessorAgent.create('risk-1', riskAssessorAgent.configSchema.parse(config), {
    random: new Random(1),
    instruments: [instrument],
  });
}

function advice(decision: Decision): RiskAdviceIntent[] {
  return decision.intents.filter((i): i is RiskAdviceIntent => i.kind === 'risk-advice');
}

describe('risk-assessor on real BTC-PERP 1-minute bars (Jan 2022)', () => {
  const { close } = readCandleCsv('candles/btc-perp-1m-2022-01.csv');

  function setup(cursor: number, portfolio = new TestPortfolio()) {
    const market = new TestMarket([instrument]);
    market.mids.set(instrument.id, close);
    market.cursor.set(instrument.id, cursor);
    return { market, portfolio };
  }

  it('caps size by volatility: maxQuantity = budget / (price × vol × k), on the lot grid, rounded down', () => {
    const agent = make({ riskBudgetQuote: 1000, volWindow: 60, volMultiplier: 2 });
    let capped = 0;
    for (let i = 61; i < close.length; i += 211) {
      const { market, portfolio } = setup(i);
      const decision = agent.process(contextFor(market, portfolio, instrument.id, i)) as Decision;
      expect(checkDecisionShape(decision).ok).toBe(true);
      const caps = advice(decision).filter((a) => a.instrumentId === instrument.id && !a.veto);
      expect(caps).toHaveLength(1);
      const price = close[i] as number;
      const vol = realizedVolatility(close.slice(i - 60, i + 1), 60);
      const expected = 1000 / (price * Math.max(vol, 1e-5) * 2);
      const cap = caps[0]?.maxQuantity;
      expect(cap?.isMultipleOf('0.001')).toBe(true);
      expect(cap?.toNumber()).toBeLessThanOrEqual(expected + 1e-12);
      expect(cap?.toNumber()).toBeGreaterThan(expected - 0.001);
      expect(decision.reasoning).toContain('cap 1000.00 /');
      capped++;
    }
    expect(capped).toBeGreaterThan(100);
  });

  it('allows less size in a more volatile hour (the cap falls as realized vol rises)', () => {
    const samples: Array<{ vol: number; cap: number; price: number }> = [];
    const agent = make();
    for (let i = 61; i < close.length; i += 499) {
      const { market, portfolio } = setup(i);
      const cap = advice(agent.process(contextFor(market, portfolio, instrument.id, i)) as Decision)[0]
        ?.maxQuantity;
      samples.push({
        vol: realizedVolatility(close.slice(i - 60, i + 1), 60),
        cap: cap?.toNumber() ?? 0,
        price: close[i] as number,
      });
    }
    // Notional cap × vol is constant up to lot rounding: compare across the month's calmest and wildest hours.
    const calm = samples.reduce((a, b) => (b.vol < a.vol ? b : a));
    const wild = samples.reduce((a, b) => (b.vol > a.vol ? b : a));
    expect(wild.vol).toBeGreaterThan(calm.vol * 2);
    expect(wild.cap * wild.price).toBeLessThan(calm.cap * calm.price);
  });

  it('vetoes all new risk above the gross leverage limit and states the numbers', () => {
    const portfolio = new TestPortfolio();
    portfolio.equityValue = 10_000;
    portfolio.grossValue = 35_000;
    const { market } = setup(1000, portfolio);
    const decision = make({ maxGrossLeverage: 3 }).process(
      contextFor(market, portfolio, instrument.id),
    ) as Decision;
    const desk = advice(decision).find((a) => a.instrumentId === '*');
    expect(desk?.veto).toBe(true);
    expect(desk?.reason).toContain('3.50x');
    expect(decision.confidence).toBe(1);
    portfolio.grossValue = 29_000;
    const fine = make({ maxGrossLeverage: 3 }).process(
      contextFor(market, portfolio, instrument.id),
    ) as Decision;
    expect(advice(fine).some((a) => a.veto)).toBe(false);
  });

  it('vetoes an instrument whose position is above the concentration limit', () => {
    const portfolio = new TestPortfolio();
    portfolio.equityValue = 100_000;
    const { market } = setup(1000, portfolio);
    const price = close[1000] as number;
    portfolio.positions.set(instrument.id, -(0.6 * 100_000) / price);
    portfolio.grossValue = 60_000;
    const decision = make({ maxConcentration: 0.5 }).process(
      contextFor(market, portfolio, instrument.id),
    ) as Decision;
    const veto = advice(decision).find((a) => a.instrumentId === instrument.id && a.veto);
    expect(veto?.reason).toContain('60.00% of equity (max 50.00%)');
  });

  it('fails closed on non-positive equity', () => {
    const portfolio = new TestPortfolio();
    portfolio.equityValue = 0;
    const { market } = setup(1000, portfolio);
    const decision = make().process(contextFor(market, portfolio, instrument.id)) as Decision;
    expect(advice(decision).find((a) => a.instrumentId === '*')?.veto).toBe(true);
  });

  it('vetoes leverage exactly when gross / equity exceeds the limit (property)', () => {
    const { market } = setup(1000);
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e7, noNaN: true }),
        fc.double({ min: 0, max: 1e8, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (equity, gross, max) => {
          const portfolio = new TestPortfolio();
          portfolio.equityValue = equity;
          portfolio.grossValue = gross;
          const decision = make({ maxGrossLeverage: max }).process(
            contextFor(market, portfolio, instrument.id),
          ) as Decision;
          const vetoed = advice(decision).some((a) => a.instrumentId === '*' && a.veto);
          expect(vetoed).toBe(gross / equity > max);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('volatility cap is inversely proportional to price, volatility and k', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.double({ min: 0.01, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.1, noNaN: true }),
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        (budget, price, vol, k) => {
          const q = volatilityCappedQuantity(budget, price, vol, k);
          expect(q * price * vol * k).toBeCloseTo(budget, 6);
          expect(volatilityCappedQuantity(budget, price, vol * 2, k)).toBeCloseTo(q / 2, 6);
        },
      ),
    );
  });

  it('gives no size cap (and says so) without enough history', () => {
    const { market, portfolio } = setup(10);
    const decision = make({ volWindow: 60 }).process(
      contextFor(market, portfolio, instrument.id),
    ) as Decision;
    expect(advice(decision).filter((a) => !a.veto)).toEqual([]);
    expect(decision.reasoning).toContain('need 61');
  });
});
