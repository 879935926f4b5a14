import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyRegime,
  DEFAULT_REGIME_PARAMS,
  type RegimeParams,
  regimeAgent,
  regimeHistoryLength,
} from '../../../src/agents/library/regime/index.ts';
import { logReturnStats, meanStd } from '../../../src/agents/library/regime/stats.ts';
import { checkDecisionShape } from '../../../src/agents/validate.ts';
import { isConcordError, Random } from '../../../src/core/index.ts';
import { contextFor, driftT, readCandleCsv, TestMarket, TestPortfolio, testInstrument } from './helpers.ts';

const params: RegimeParams = DEFAULT_REGIME_PARAMS;
const history = regimeHistoryLength(params);

/** A random walk with a given drift and vol per step, from a seeded source. */
function walk(seed: number, steps: number, drift: number, vol: number, start = 100): number[] {
  const random = new Random(seed);
  const out = [start];
  for (let i = 0; i < steps; i++) out.push((out[i] as number) * Math.exp(drift + vol * random.normal()));
  return out;
}

describe('regime statistics', () => {
  it('matches a two-pass mean and sample std', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 200 }),
        (xs) => {
          const { mean, std } = meanStd(xs);
          const m = xs.reduce((a, b) => a + b, 0) / xs.length;
          const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
          expect(mean).toBeCloseTo(m, 6);
          expect(Math.abs(std - s)).toBeLessThanOrEqual(1e-9 * Math.max(1, s, Math.abs(m)));
        },
      ),
    );
  });

  it('computes the drift t-statistic the textbook way when there is no baseline yet', () => {
    const recent = walk(7, params.window, 0.0005, 0.002);
    const regime = classifyRegime(recent, params);
    expect(regime?.trendT).toBeCloseTo(driftT(recent), 9);
    expect(regime?.samples).toBe(params.window);
    expect(regime?.volatilityRatio).toBe(1);
  });

  it('takes the standard error at the baseline volatility when there is one', () => {
    const prices = walk(8, history - 1, 0.0005, 0.002);
    const regime = classifyRegime(prices, params);
    const recent = prices.slice(-params.window - 1);
    const base = prices.slice(0, prices.length - params.window);
    const total = Math.log((recent[recent.length - 1] as number) / (recent[0] as number));
    const baseStd = logReturnStats(base).std;
    expect(regime?.trendT).toBeCloseTo(total / params.window / (baseStd / Math.sqrt(params.window)), 9);
    expect(regime?.volatilityRatio).toBeCloseTo(logReturnStats(recent).std / baseStd, 12);
  });
});

describe('classifyRegime', () => {
  it('needs window + 1 prices', () => {
    expect(classifyRegime(walk(1, params.window - 1, 0, 0.001), params)).toBeUndefined();
    expect(classifyRegime(walk(1, params.window, 0, 0.001), params)).toBeDefined();
  });

  it('labels a steady rise bull, a steady fall bear, and a calm driftless walk sideways', () => {
    expect(classifyRegime(walk(2, history, 0.002, 0.002), params)?.label).toBe('bull');
    expect(classifyRegime(walk(3, history, -0.002, 0.002), params)?.label).toBe('bear');
    // Calm: constant vol, no drift; seed chosen by nothing but being the first try.
    const calm = classifyRegime(walk(4, history, 0, 0.002), params);
    expect(Math.abs(calm?.trendT ?? 99)).toBeLessThan(params.trendT);
    expect(calm?.label).toBe('sideways');
  });

  it('labels a driftless burst of volatility volatile', () => {
    const quiet = walk(5, params.baselineWindow, 0, 0.001);
    const burst = walk(6, params.window, 0, 0.004, quiet[quiet.length - 1]);
    const regime = classifyRegime([...quiet, ...burst.slice(1)], params);
    if (Math.abs(regime?.trendT ?? 0) < params.trendT) expect(regime?.label).toBe('volatile');
    expect(regime?.volatilityRatio).toBeGreaterThan(params.volatileRatio);
  });

  const series = fc
    .tuple(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.double({ min: -0.003, max: 0.003, noNaN: true }),
      fc.double({ min: 0.0005, max: 0.01, noNaN: true }),
    )
    .map(([seed, drift, vol]) => walk(seed, history - 1, drift, vol));

  it('is scale invariant: multiplying every price by c > 0 keeps the label', () => {
    fc.assert(
      fc.property(series, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (prices, c) => {
        const a = classifyRegime(prices, params);
        const b = classifyRegime(
          prices.map((p) => p * c),
          params,
        );
        expect(b?.trendT).toBeCloseTo(a?.trendT ?? Number.NaN, 6);
        // Labels may only differ when a statistic sits on a threshold to float precision.
        if (Math.abs(Math.abs(a?.trendT ?? 0) - params.trendT) > 1e-6) expect(b?.label).toBe(a?.label);
      }),
    );
  });

  it('is mirror symmetric: 1/price swaps bull and bear, keeps sideways and volatile', () => {
    const swap = { bull: 'bear', bear: 'bull', sideways: 'sideways', volatile: 'volatile' } as const;
    fc.assert(
      fc.property(series, (prices) => {
        const a = classifyRegime(prices, params);
        const b = classifyRegime(
          prices.map((p) => 1 / p),
          params,
        );
        expect(b?.trendT).toBeCloseTo(-(a?.trendT ?? Number.NaN), 6);
        if (a !== undefined && Math.abs(Math.abs(a.trendT) - params.trendT) > 1e-6)
          expect(b?.label).toBe(swap[a.label]);
      }),
    );
  });

  it('reports a strength in [0.5, 1] and never NaN', () => {
    fc.assert(
      fc.property(series, (prices) => {
        const r = classifyRegime(prices, params);
        expect(r?.strength).toBeGreaterThanOrEqual(0.5);
        expect(r?.strength).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('classifyRegime on real BTC-PERP 1-minute bars (Jan 2022)', () => {
  const { close } = readCandleCsv('candles/btc-perp-1m-2022-01.csv');
  const n = params.window;

  /** Windows [end − n, end] with their total log return and largest single-bar move. */
  function windows(): Array<{ end: number; total: number; largest: number; range: number }> {
    const out = [];
    for (let end = history; end < close.length; end += 5) {
      let largest = 0;
      let hi = 0;
      let lo = Number.POSITIVE_INFINITY;
      for (let i = end - n; i <= end; i++) {
        const p = close[i] as number;
        hi = Math.max(hi, p);
        lo = Math.min(lo, p);
        if (i > end - n) largest = Math.max(largest, Math.abs(Math.log(p / (close[i - 1] as number))));
      }
      const total = Math.log((close[end] as number) / (close[end - n] as number));
      out.push({ end, total, largest, range: (hi - lo) / lo });
    }
    return out;
  }
  const all = windows();
  const at = (end: number) => classifyRegime(close.slice(end + 1 - history, end + 1), params);

  it('labels the steepest steady decline bear', () => {
    // Steady: no single bar makes more than a quarter of the move.
    const steady = all.filter((w) => w.largest <= Math.abs(w.total) / 4);
    const worst = steady.reduce((a, b) => (b.total < a.total ? b : a));
    expect(worst.total).toBeLessThan(-0.01);
    expect(at(worst.end)?.label).toBe('bear');
  });

  it('labels the steepest steady rise bull', () => {
    const steady = all.filter((w) => w.largest <= Math.abs(w.total) / 4);
    const best = steady.reduce((a, b) => (b.total > a.total ? b : a));
    expect(best.total).toBeGreaterThan(0.01);
    expect(at(best.end)?.label).toBe('bull');
  });

  it('labels the flattest window (narrowest range, back where it started) sideways', () => {
    const flat = all
      .filter((w) => Math.abs(w.total) <= w.range / 10)
      .reduce((a, b) => (b.range < a.range ? b : a));
    expect(flat.range).toBeLessThan(0.003);
    expect(at(flat.end)?.label).toBe('sideways');
  });

  it('runs as an agent over the whole month: valid no-order decisions, every label seen', () => {
    const instrument = testInstrument('nautilus', { base: 'BTC', quote: 'USD' });
    const market = new TestMarket([instrument]);
    market.mids.set(instrument.id, close);
    const agent = regimeAgent.create('regime-1', regimeAgent.configSchema.parse({}), {
      random: new Random(1),
      instruments: [instrument],
    });
    const portfolio = new TestPortfolio();
    const seen = new Set<string>();
    for (let i = 0; i < close.length; i += 97) {
      market.cursor.set(instrument.id, i);
      const decision = agent.process(contextFor(market, portfolio, instrument.id, i));
      if (decision instanceof Promise) throw new Error('process must be synchronous');
      expect(checkDecisionShape(decision).ok).toBe(true);
      expect(decision.intents).toEqual([]);
      if (i < params.window) expect(decision.confidence).toBe(0);
      else {
        expect(decision.confidence).toBeGreaterThanOrEqual(0.5);
        const label = /: (bull|bear|sideways|volatile)/.exec(decision.reasoning)?.[1];
        expect(label).toBe(classifyRegime(close.slice(Math.max(0, i + 1 - history), i + 1), params)?.label);
        seen.add(label as string);
      }
    }
    expect([...seen].sort()).toEqual(['bear', 'bull', 'sideways', 'volatile']);
  });
});

describe('regime agent state', () => {
  const instrument = testInstrument('v');
  const create = () =>
    regimeAgent.create('r', regimeAgent.configSchema.parse({ window: 10, baselineWindow: 20 }), {
      random: new Random(1),
      instruments: [instrument],
    });

  it('snapshots the last label per instrument and restores it into a fresh agent', () => {
    const agent = create();
    const market = new TestMarket([instrument]);
    market.mids.set(instrument.id, walk(9, 40, 0.01, 0.001));
    agent.process(contextFor(market, new TestPortfolio(), instrument.id));
    const state = agent.snapshot?.();
    expect(state).toEqual({ lastLabels: { [instrument.id]: 'bull' } });
    const fresh = create();
    fresh.restore?.(JSON.parse(JSON.stringify(state)));
    expect(fresh.snapshot?.()).toEqual(state);
    // A later bear reading is reported as a change from the restored label.
    market.mids.set(instrument.id, walk(9, 40, -0.01, 0.001));
    expect(
      (fresh.process(contextFor(market, new TestPortfolio(), instrument.id)) as { reasoning: string })
        .reasoning,
    ).toContain('bear (was bull)');
  });

  it('refuses a malformed saved state with a coded error', () => {
    const agent = create();
    let thrown: unknown;
    try {
      agent.restore?.({ lastLabels: { x: 'moon' } });
    } catch (err) {
      thrown = err;
    }
    expect(isConcordError(thrown, 'CONCORD_ERR_AGENT_STATE_INVALID')).toBe(true);
  });

  it('accepts an empty config and rejects an unknown key', () => {
    expect(regimeAgent.configSchema.parse({})).toMatchObject({ window: 60, baselineWindow: 240 });
    expect(regimeAgent.configSchema.safeParse({ windw: 5 }).success).toBe(false);
  });
});
