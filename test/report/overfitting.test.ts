import { describe, expect, it } from 'vitest';
import {
  deflatedSharpe,
  normalCdf,
  normalQuantile,
  periodSharpe,
  probabilityOfOverfitting,
  type SweepSeries,
  walkForward,
} from '../../src/analysis/report/index.ts';

/** Small deterministic PRNG (mulberry32) and a Box–Muller normal on top of it. */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

describe('normal distribution', () => {
  it('matches tabulated values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 6);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 6);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    for (const p of [0.001, 0.02, 0.3, 0.7, 0.99, 0.9999])
      expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
  });
});

describe('probability of backtest overfitting (CSCV)', () => {
  it('is 0 when one strategy is the best in every block, out of sample too', () => {
    const draw = normals(1);
    const returns = Array.from({ length: 10 }, (_, j) =>
      Float64Array.from({ length: 1600 }, () => draw() * 0.01 + (j === 3 ? 0.01 : 0)),
    );
    const r = probabilityOfOverfitting(returns, 16);
    expect(r?.splits).toBe(12_870);
    expect(r?.pbo).toBe(0);
  });

  it('is about one half when every strategy is noise', () => {
    const draw = normals(2);
    const returns = Array.from({ length: 40 }, () =>
      Float64Array.from({ length: 1600 }, () => draw() * 0.01),
    );
    const r = probabilityOfOverfitting(returns, 10);
    expect(r?.splits).toBe(252);
    expect(r!.pbo).toBeGreaterThan(0.25);
    expect(r!.pbo).toBeLessThan(0.75);
  });

  it('is near 1 when the in-sample winner is systematically the out-of-sample loser', () => {
    // Strategy j earns +j in even blocks and −j in odd ones: whatever wins in sample loses out of it
    // whenever the halves are unbalanced.
    const blocks = 8;
    const size = 50;
    const draw = normals(3);
    const returns = Array.from({ length: 6 }, (_, j) =>
      Float64Array.from(
        { length: blocks * size },
        (_, i) => (Math.floor(i / size) % 2 === 0 ? j : -j) * 0.001 + draw() * 1e-4,
      ),
    );
    const r = probabilityOfOverfitting(returns, blocks);
    expect(r!.pbo).toBeGreaterThan(0.5);
  });

  it('needs two strategies and enough rows', () => {
    expect(probabilityOfOverfitting([Float64Array.from([1, 2, 3, 4])])).toBeNull();
    expect(probabilityOfOverfitting([Float64Array.from([1, 2]), Float64Array.from([2, 1])])).toBeNull();
  });
});

describe('deflated Sharpe ratio', () => {
  it('follows the formula and falls as more trials were tried', () => {
    const draw = normals(4);
    const chosen = Float64Array.from({ length: 1000 }, () => 0.002 + draw() * 0.01);
    const sr = periodSharpe(chosen)!;
    const alone = deflatedSharpe(chosen, [sr])!;
    // One trial: SR₀ = 0, DSR = the probabilistic Sharpe ratio against 0.
    expect(alone.expectedMaxSharpe).toBe(0);
    const denominator = 1 - alone.skewness * sr + ((alone.kurtosis - 1) / 4) * sr * sr;
    expect(alone.dsr).toBeCloseTo(normalCdf((sr * Math.sqrt(999)) / Math.sqrt(denominator)), 9);
    const trials = Array.from({ length: 100 }, (_, i) => sr * (i / 50 - 1));
    const many = deflatedSharpe(chosen, trials)!;
    expect(many.expectedMaxSharpe).toBeGreaterThan(0);
    expect(many.dsr).toBeLessThan(alone.dsr);
    expect(deflatedSharpe(Float64Array.from([1, 1, 1, 1]), [0, 1])).toBeNull();
  });
});

describe('walk-forward', () => {
  const ts = Float64Array.from({ length: 300 }, (_, i) => 1_700_000_000_000 + i * 60_000);
  // A wins the first two thirds, B the last: fold 1 picks A (good out of sample), fold 2 picks A (bad).
  const path = (slope: (i: number) => number) => {
    const v = new Float64Array(300);
    let e = 100_000;
    for (let i = 0; i < 300; i++) {
      e *= 1 + slope(i) + ((i * 7919) % 13) * 1e-6;
      v[i] = e;
    }
    return v;
  };
  const series = (name: number, slope: (i: number) => number): SweepSeries => ({
    params: { p: name },
    trades: [],
    equityTs: ts,
    equity: path(slope),
    initialEquity: 100_000,
    journalHash: '',
  });
  it('chooses in sample, reports out of sample', () => {
    const a = series(1, (i) => (i < 200 ? 0.001 : -0.001));
    const b = series(2, (i) => (i < 200 ? -0.0005 : 0.001));
    const wf = walkForward([a, b], 2, 'totalReturn');
    expect(wf.folds.map((f) => f.chosen.p)).toEqual([1, 1]);
    expect(wf.folds[0]!.outOfSampleRank).toBe(1);
    expect(wf.folds[1]!.outOfSampleRank).toBe(2);
    expect(wf.folds[1]!.outOfSampleReturn!).toBeLessThan(0);
    expect(() => walkForward([a, b], 40, 'sharpe')).toThrow(/CONCORD_ERR_SWEEP_WALK_FORWARD/);
  });
});
