/**
 * The report's interactive price chart in real headless Chromium (Debian's /usr/bin/chromium
 * through playwright-core): the inlined lightweight-charts draws the candles with a marker on every
 * fill (counted through the page's data, and found by colour in the canvas pixels), equity and
 * drawdown beneath, and markers and trade rows point at each other.
 *
 * Skipped with a warning without playwright-core or Chromium; with CI set it fails instead.
 * CONCORD_SCREENSHOT_DIR keeps the screenshot (report-chart.png) there.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type BacktestSeries,
  type BacktestTrade,
  BUY_MARKER_COLOUR,
  buildBacktestResult,
  renderBacktestReport,
  SELL_MARKER_COLOUR,
} from '../../src/analysis/report/index.ts';
import type { PriceSeries } from '../../src/data/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface PlaywrightLike {
  chromium: {
    launch(options: { executablePath: string; headless: boolean; args: string[] }): Promise<BrowserLike>;
  };
}
interface BrowserLike {
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<PageLike>;
  close(): Promise<void>;
}
interface PageLike {
  on(event: 'console', fn: (msg: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', fn: (err: Error) => void): void;
  goto(url: string): Promise<unknown>;
  evaluate<T, A = undefined>(fn: (arg: A) => T, arg?: A): Promise<T>;
  waitForFunction(fn: () => unknown, arg?: unknown, options?: { timeout: number }): Promise<unknown>;
  click(selector: string): Promise<void>;
  mouse: { click(x: number, y: number): Promise<void> };
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}

/** The DOM and chart shapes used inside page.evaluate (the project compiles without the DOM lib). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}
interface ElementLike {
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  classList: { contains(name: string): boolean };
  querySelectorAll(selector: string): ArrayLike<CanvasLike>;
}
interface ReportApi {
  markers: number;
  trades: number;
  barTime(row: number): number | null;
  chart: {
    timeScale(): {
      getVisibleRange(): { from: number; to: number } | null;
      timeToCoordinate(t: number): number | null;
    };
  };
}
declare const document: { getElementById(id: string): ElementLike | null };
declare const window: { concordReport?: ReportApi };

const PLAYWRIGHT_MODULE = 'playwright-core';
let playwright: PlaywrightLike | undefined;
try {
  playwright = (await import(PLAYWRIGHT_MODULE)) as PlaywrightLike;
} catch {
  playwright = undefined;
}
const missing = [
  playwright === undefined ? 'the npm package playwright-core (npm i -D playwright-core@1.65)' : '',
  existsSync(CHROMIUM) ? '' : `${CHROMIUM} (apt-get install -y chromium)`,
].filter(Boolean);
const inCi = Boolean(process.env.CI);
if (missing.length > 0) {
  const what = `report-chart-browser.test.ts: headless Chromium test ${inCi ? 'FAILS' : 'SKIPPED'}: missing ${missing.join(' and ')}`;
  console.warn(`\n*** ${what} ***\n`);
}

/** 1,500 one-minute candles of a deterministic walk; long or flat every ~60 bars at the next open. */
function candlesAndTrades(): { prices: PriceSeries; series: BacktestSeries } {
  const start = Date.UTC(2022, 0, 3, 0, 0);
  const ts: number[] = [];
  const open: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  let p = 47_000;
  for (let i = 0; i < 1500; i++) {
    const next = p * (1 + 0.002 * Math.sin(i / 23) + 0.0012 * Math.sin(i / 3.7));
    ts.push(start + i * 60_000);
    open.push(p);
    high.push(Math.max(p, next) * 1.0006);
    low.push(Math.min(p, next) * 0.9994);
    close.push(next);
    p = next;
  }
  const trades: BacktestTrade[] = [];
  const equity = [];
  let position = 0;
  let cash = 100_000;
  for (let i = 0; i < 1500; i++) {
    if (i % 60 === 20 || i % 60 === 50) {
      const side = position === 0 ? 'buy' : 'sell';
      position = side === 'buy' ? 1 : 0;
      cash += side === 'buy' ? -open[i]! : open[i]!;
      trades.push({
        ts: ts[i]!,
        instrumentId: 'recording:BTC-PERP',
        side,
        price: open[i]!,
        quantity: 1,
        fee: 0,
        agentIds: ['sma-cross'],
      });
    }
    equity.push({ ts: ts[i]!, equity: cash + position * close[i]! });
  }
  return {
    prices: { instrumentId: 'recording:BTC-PERP', kind: 'candles', ts, open, high, low, close },
    series: { equity, trades, initialEquity: 100_000 },
  };
}

function rgb(hex: string): [number, number, number] {
  return [
    Number.parseInt(hex.slice(1, 3), 16),
    Number.parseInt(hex.slice(3, 5), 16),
    Number.parseInt(hex.slice(5, 7), 16),
  ];
}

describe('report price chart in headless Chromium', () => {
  it.runIf(missing.length > 0 && inCi)('has its browser prerequisites in CI', () => {
    expect.fail(`missing ${missing.join(' and ')}`);
  });

  it.skipIf(missing.length > 0)(
    'draws candles with a marker per fill, equity and drawdown beneath, markers linked to trade rows',
    async () => {
      const { prices, series } = candlesAndTrades();
      const result = buildBacktestResult(
        {
          mode: 'backtest',
          dataFiles: ['btc-perp-1m.csv'],
          startTs: prices.ts[0]!,
          endTs: prices.ts.at(-1)!,
          seed: 1,
        },
        series,
      );
      const dir = process.env.CONCORD_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'concord-report-chart-'));
      const file = join(dir, 'report-chart.html');
      writeFileSync(file, renderBacktestReport({ ...result, series, prices }));
      const browser = await playwright!.chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: LAUNCH_ARGS,
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
        const problems: string[] = [];
        page.on('console', (msg) => {
          if (msg.type() === 'error' || msg.type() === 'warning')
            problems.push(`console.${msg.type()}: ${msg.text()}`);
        });
        page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
        await page.goto(pathToFileURL(file).href);
        await page.waitForFunction(() => window.concordReport !== undefined, undefined, { timeout: 20_000 });
        // Two animation frames: the chart paints on the next frame after its data is set.
        await page.evaluate(
          () =>
            new Promise((done) =>
              (globalThis as unknown as { requestAnimationFrame(f: () => void): void }).requestAnimationFrame(
                () =>
                  (
                    globalThis as unknown as { requestAnimationFrame(f: () => void): void }
                  ).requestAnimationFrame(() => done(null)),
              ),
            ),
        );

        const counts = await page.evaluate(
          ([buy, sell]) => {
            const holder = document.getElementById('price-chart')!;
            const canvases = Array.from(holder.querySelectorAll('canvas'));
            let buyPixels = 0;
            let sellPixels = 0;
            let widest = 0;
            for (const c of canvases) {
              widest = Math.max(widest, c.width);
              if (c.width === 0 || c.height === 0) continue;
              const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              for (let i = 0; i < px.length; i += 4) {
                const near = (rgbv: number[]) =>
                  Math.abs(px[i]! - rgbv[0]!) <= 2 &&
                  Math.abs(px[i + 1]! - rgbv[1]!) <= 2 &&
                  Math.abs(px[i + 2]! - rgbv[2]!) <= 2 &&
                  px[i + 3]! > 200;
                if (near(buy)) buyPixels++;
                else if (near(sell)) sellPixels++;
              }
            }
            const api = window.concordReport!;
            return {
              canvases: canvases.length,
              widest,
              buyPixels,
              sellPixels,
              markers: api.markers,
              trades: api.trades,
            };
          },
          [rgb(BUY_MARKER_COLOUR), rgb(SELL_MARKER_COLOUR)] as const,
        );
        expect(counts.trades).toBe(series.trades.length);
        expect(counts.markers).toBe(series.trades.length);
        expect(counts.canvases).toBeGreaterThanOrEqual(3);
        expect(counts.widest).toBeGreaterThan(600);
        // Markers of both colours are painted (the candles are teal and red, never these colours).
        expect(counts.buyPixels).toBeGreaterThan(50);
        expect(counts.sellPixels).toBeGreaterThan(50);

        // Row → chart: clicking the 40th trade's row brings its bar into view and lights the row.
        const row = 39;
        await page.click(`#trade-${row} td:nth-child(2)`);
        const afterRow = await page.evaluate((r) => {
          const api = window.concordReport!;
          return {
            range: api.chart.timeScale().getVisibleRange(),
            at: api.barTime(r),
            lit: document.getElementById(`trade-${r}`)!.classList.contains('lit'),
          };
        }, row);
        expect(afterRow.lit).toBe(true);
        expect(afterRow.at).toBe(Math.floor(series.trades[row]!.ts / 1000));
        expect(afterRow.range!.from).toBeLessThanOrEqual(afterRow.at!);
        expect(afterRow.range!.to).toBeGreaterThanOrEqual(afterRow.at!);

        // Chart → row: clicking at the 41st trade's bar lights that row instead.
        const target = 40;
        const point = await page.evaluate((r) => {
          const api = window.concordReport!;
          const x = api.chart.timeScale().timeToCoordinate(api.barTime(r)!);
          const box = document.getElementById('price-chart')!.getBoundingClientRect();
          return { x: box.left + (x ?? -1), y: box.top + 150, ok: x !== null };
        }, target);
        expect(point.ok).toBe(true);
        await page.mouse.click(point.x, point.y);
        const lit = await page.evaluate(
          (r) => [
            document.getElementById(`trade-${r}`)!.classList.contains('lit'),
            document.getElementById(`trade-${r - 1}`)!.classList.contains('lit'),
          ],
          target,
        );
        expect(lit).toEqual([true, false]);

        await page.evaluate(() =>
          (
            document.getElementById('price-chart') as unknown as { scrollIntoView(o: object): void }
          ).scrollIntoView({
            block: 'start',
          }),
        );
        await page.screenshot({ path: join(dir, 'report-chart.png'), fullPage: false });
        expect(existsSync(join(dir, 'report-chart.png'))).toBe(true);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
