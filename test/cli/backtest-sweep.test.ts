/**
 * `concord backtest --sweep` on the real BTC-PERP month: every combination runs in worker threads
 * over bars read once, and the best row re-run alone with --set gives the same metrics, the same
 * trades (digest and count) and the same journal hash as in the sweep table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tradesDigest } from '../../src/analysis/report/index.ts';
import { lastJsonLine, ROOT, runCli, tempDir } from '../helpers/cli.ts';

const CSV = join(ROOT, '..', 'shared', 'data', 'candles', 'btc-perp-1m-2022-01.csv');

interface Row {
  rank: number;
  params: Record<string, number>;
  metrics: Record<string, number | null>;
  trades: number;
  tradesSha256: string;
  journalHash: string;
}

describe('concord backtest --sweep', () => {
  it('ranks every valid combination, skips the invalid ones, and the best row re-run alone is the same run', () => {
    expect(existsSync(CSV), `missing recording ${CSV}`).toBe(true);
    const dir = tempDir();
    const report = join(dir, 'sweep.html');
    const r = runCli(
      [
        'backtest',
        '--data',
        CSV,
        '--agent',
        'sma-cross',
        '--sweep',
        'fast=10,25',
        '--sweep',
        'slow=20..30:10',
        '--workers',
        '2',
        '--walk-forward',
        '2',
        '--json',
        '--report',
        report,
      ],
      { cwd: dir, timeoutMs: 600_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lastJsonLine(r.stdout) as {
      ok: boolean;
      sweep: {
        combinations: number;
        valid: number;
        skipped: Array<{ params: Record<string, number>; reason: string }>;
        workers: number;
        bars: number;
      };
      rows: Row[];
      best: Row;
      walkForward: { folds: Array<{ chosen: Record<string, number> }> };
      overfitting: { pbo: { pbo: number; splits: number } | null; deflatedSharpe: { dsr: number } | null };
    };
    expect(out.ok).toBe(true);
    expect(out.sweep.combinations).toBe(4);
    // fast=25 slow=20 is refused by the agent's config (fast must be smaller than slow): reported, not run.
    expect(out.sweep.skipped).toEqual([
      { params: { fast: 25, slow: 20 }, reason: expect.stringMatching(/fast/) },
    ]);
    expect(out.sweep.valid).toBe(3);
    expect(out.sweep.workers).toBe(2);
    expect(out.sweep.bars).toBe(45_031);
    expect(out.rows.map((row) => row.rank)).toEqual([1, 2, 3]);
    // Ranked by Sharpe, best first.
    const sharpes = out.rows.map((row) => row.metrics.sharpe as number);
    expect([...sharpes].sort((a, b) => b - a)).toEqual(sharpes);
    // The 10/30 row is the 1,890-trade run.
    expect(out.rows.find((row) => row.params.fast === 10 && row.params.slow === 30)?.trades).toBe(1890);
    expect(out.walkForward.folds).toHaveLength(2);
    expect(out.overfitting.pbo?.splits).toBeGreaterThan(100);
    expect(out.overfitting.deflatedSharpe).not.toBeNull();
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('id="sweep-heatmap"');
    expect(html).toContain('id="price-chart"');

    const best = out.best;
    const alone = runCli(
      [
        'backtest',
        '--data',
        CSV,
        '--agent',
        'sma-cross',
        '--set',
        `fast=${best.params.fast}`,
        '--set',
        `slow=${best.params.slow}`,
        '--json',
        '--report',
        join(dir, 'alone.html'),
      ],
      { cwd: dir, timeoutMs: 300_000 },
    );
    expect(alone.code).toBe(0);
    const single = lastJsonLine(alone.stdout) as {
      metrics: Record<string, number | null>;
      trades: Array<{
        ts: number;
        instrumentId: string;
        side: 'buy' | 'sell';
        price: number;
        quantity: number;
        fee: number;
      }>;
      journalHash: string;
    };
    expect(single.metrics).toEqual(best.metrics);
    expect(single.trades.length).toBe(best.trades);
    expect(tradesDigest(single.trades)).toBe(best.tradesSha256);
    expect(single.journalHash).toBe(best.journalHash);
  }, 900_000);

  it('refuses bad sweep specs with coded errors before reading any data', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--sweep', 'fast=30..5'], /CONCORD_ERR_SWEEP_SPEC/],
      [['--sweep', 'fast=5..30:0'], /CONCORD_ERR_SWEEP_SPEC/],
      [['--sweep', 'fast=a..b'], /CONCORD_ERR_SWEEP_SPEC/],
      [['--sweep', 'fast=5..30:5', '--sweep', 'fast=1,2'], /CONCORD_ERR_SWEEP_SPEC/],
      [['--sweep', 'speed=1..3'], /CONCORD_ERR_SWEEP_PARAM_UNKNOWN.*speed/],
      [
        ['--sweep', 'fast=1..100', '--sweep', 'slow=101..120'],
        /CONCORD_ERR_SWEEP_TOO_MANY.*2000.*--max-combinations/,
      ],
      [['--sweep', 'fast=50..60', '--sweep', 'slow=10..20'], /CONCORD_ERR_SWEEP_NO_VALID/],
      [
        ['--sweep', 'fast=5,10', '--sweep', 'slow=30', '--rank-by', 'luck'],
        /CONCORD_ERR_CONFIG_INVALID.*--rank-by/,
      ],
    ];
    for (const [flags, message] of cases) {
      const r = runCli(['backtest', '--data', CSV, '--agent', 'sma-cross', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr, flags.join(' ')).toMatch(message);
    }
  }, 120_000);
});
