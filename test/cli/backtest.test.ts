import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastJsonLine, ROOT, runCli, tempDir } from '../helpers/cli.ts';

const CSV = join(ROOT, '..', 'shared', 'data', 'candles', 'btc-perp-1m-2022-01.csv');
const BINANCE = join(ROOT, '..', 'shared', 'data', 'binance-ws-20240808');

/** The issue's definition, computed naively and independently of the agent: long or flat, fills at the next bar's open. */
function referenceTrades(fast: number, slow: number) {
  const rows = readFileSync(CSV, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const ts = rows.map((r) =>
    Date.parse(`${(r[0] as string).replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(r[0] as string) ? '' : 'Z'}`),
  );
  const open = rows.map((r) => Number(r[1]));
  const close = rows.map((r) => Number(r[4]));
  const sma = (i: number, n: number) => {
    let s = 0;
    for (let k = i - n + 1; k <= i; k++) s += close[k] as number;
    return s / n;
  };
  const trades: Array<{ ts: number; side: string; price: number; quantity: number }> = [];
  let long = false;
  for (let i = slow; i < rows.length - 1; i++) {
    const f = sma(i, fast);
    const s = sma(i, slow);
    const pf = sma(i - 1, fast);
    const ps = sma(i - 1, slow);
    const eps = 1e-9 * Math.max(Math.abs(f), Math.abs(s), 1);
    const gt = f - s > eps;
    const lt = s - f > eps;
    const prevLe = !(pf - ps > 1e-9 * Math.max(Math.abs(pf), Math.abs(ps), 1));
    const prevGe = !(ps - pf > 1e-9 * Math.max(Math.abs(pf), Math.abs(ps), 1));
    if (!long && gt && prevLe) {
      trades.push({ ts: ts[i + 1] as number, side: 'buy', price: open[i + 1] as number, quantity: 1 });
      long = true;
    } else if (long && lt && prevGe) {
      trades.push({ ts: ts[i + 1] as number, side: 'sell', price: open[i + 1] as number, quantity: 1 });
      long = false;
    }
  }
  return trades;
}

describe('concord backtest', () => {
  it('runs sma-cross on the real BTC-PERP candles: trades match the definition, metrics and an HTML report', () => {
    expect(existsSync(CSV), `missing recording ${CSV}`).toBe(true);
    const dir = tempDir();
    const report = join(dir, 'report.html');
    const r = runCli(
      [
        'backtest',
        '--data',
        CSV,
        '--agent',
        'sma-cross',
        '--set',
        'fast=10',
        '--set',
        'slow=30',
        '--json',
        '--report',
        report,
      ],
      { cwd: dir, timeoutMs: 180_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = lastJsonLine(r.stdout) as {
      trades: Array<{ ts: number; side: string; price: number; quantity: number }>;
      metrics: Record<string, number | null>;
    };
    const expected = referenceTrades(10, 30);
    expect(expected.length).toBeGreaterThan(1000);
    expect(result.trades.map(({ ts, side, price, quantity }) => ({ ts, side, price, quantity }))).toEqual(
      expected,
    );
    for (const key of ['totalReturn', 'sharpe', 'sortino', 'maxDrawdown', 'winRate', 'turnover', 'fees'])
      expect(result.metrics).toHaveProperty(key);
    expect(result.metrics.fees).toBe(0);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).toContain('Sharpe');
    // The price chart: the library inlined (no external script), a marker per fill in the page's data.
    expect(html).toContain('id="price-chart"');
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    const data = JSON.parse(
      html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)?.[1] ?? '{}',
    );
    expect(data.kind).toBe('candles');
    expect(data.t).toHaveLength(45_031);
    expect(data.trades).toHaveLength(1890);
  });

  it('replays the three Binance feeds as one desk: no gaps, bookTicker always matches, the basis agent reports', () => {
    const dir = tempDir();
    const r = runCli(
      [
        'backtest',
        '--data',
        BINANCE,
        '--agent',
        'spot-perp-basis',
        '--json',
        '--report',
        join(dir, 'r.html'),
      ],
      {
        cwd: dir,
        timeoutMs: 240_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = lastJsonLine(r.stdout) as {
      books: Array<{
        instrumentId: string;
        updates: number;
        gaps: number;
        resyncs: number;
        bookTickerMismatches: number;
        bookTickerChecks: number;
      }>;
      decisions: number;
      agents: unknown[];
    };
    expect(result.books.map((b) => b.instrumentId).sort()).toEqual([
      'binance-coinm:BTCUSD_PERP',
      'binance-spot:BTCUSDT',
      'binance-usdm:BTCUSDT',
    ]);
    for (const b of result.books) {
      expect(b.updates).toBeGreaterThan(1000);
      expect(b.gaps).toBe(0);
      expect(b.resyncs).toBe(0);
      expect(b.bookTickerMismatches).toBe(0);
      expect(b.bookTickerChecks).toBeGreaterThan(1000);
    }
    expect(result.decisions).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'r.html'))).toBe(true);
    // Book data: the report's price chart is the mid price (best bid and ask) of a traded instrument.
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toMatch(
      /id="report-data">\{"instrumentId":"[^"]+","kind":"mid"/,
    );
  }, 300_000);

  it('rejects a bad --set and a missing --data with exit 2', () => {
    expect(runCli(['backtest', '--data', CSV, '--agent', 'sma-cross', '--set', 'fast']).code).toBe(2);
    expect(runCli(['backtest', '--agent', 'sma-cross']).code).toBe(2);
    const bad = runCli([
      'backtest',
      '--data',
      CSV,
      '--agent',
      'sma-cross',
      '--set',
      'fast=40',
      '--set',
      'slow=30',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/fast/);
  });
});
