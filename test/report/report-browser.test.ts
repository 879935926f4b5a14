/**
 * Opens a rendered report in real headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core) and checks what a person would see.
 *
 * Needs: the npm package `playwright-core` (devDependency) and Debian's `chromium` package.
 * Without them the test is skipped with a warning; with CI set it fails instead.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatNumber, formatPercent, renderBacktestReport } from '../../src/analysis/report/index.ts';
import { syntheticReportInput } from './fixtures.ts';

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
  title(): Promise<string>;
  evaluate<T>(fn: () => T): Promise<T>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}

/** The few DOM shapes used inside page.evaluate (the project compiles without the DOM lib). */
interface DomNode {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomNode | null;
  getBoundingClientRect(): { width: number };
  points?: { numberOfItems: number };
}
declare const document: {
  querySelector(selector: string): DomNode | null;
  querySelectorAll(selector: string): ArrayLike<DomNode> & Iterable<DomNode>;
};

// A variable specifier keeps TypeScript from resolving the (optional) module at compile time.
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
  const what = `report-browser.test.ts: headless Chromium test ${inCi ? 'FAILS' : 'SKIPPED'}: missing ${missing.join(' and ')}`;
  console.warn(`\n*** ${what} ***\n`);
}

describe('backtest report in headless Chromium', () => {
  it.runIf(missing.length > 0 && inCi)('has its browser prerequisites in CI', () => {
    expect.fail(`missing ${missing.join(' and ')}`);
  });

  it.skipIf(missing.length > 0)(
    'renders the title, metrics and charts without console or page errors',
    async () => {
      const input = syntheticReportInput();
      const dir = mkdtempSync(join(tmpdir(), 'concord-report-'));
      const file = join(dir, 'report.html');
      writeFileSync(file, renderBacktestReport(input));

      const browser = await playwright!.chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: LAUNCH_ARGS,
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const problems: string[] = [];
        page.on('console', (msg) => {
          if (msg.type() === 'error' || msg.type() === 'warning')
            problems.push(`console.${msg.type()}: ${msg.text()}`);
        });
        page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
        await page.goto(pathToFileURL(file).href);

        expect(await page.title()).toBe('Concord Backtest — 2024-08-08 00:00:00 → 2024-08-10 23:59:00');
        const seen = await page.evaluate(() => {
          const metrics: Record<string, string> = {};
          for (const row of document.querySelectorAll('#metrics tr[data-metric]')) {
            metrics[row.getAttribute('data-metric') ?? ''] = row.querySelector('td')?.textContent ?? '';
          }
          const equityLine = document.querySelector('#equity-chart polyline');
          const drawdownLine = document.querySelector('#drawdown-chart polyline');
          const box = document.querySelector('#equity-chart')?.getBoundingClientRect();
          return {
            metrics,
            equityPoints: equityLine?.points?.numberOfItems ?? 0,
            drawdownPoints: drawdownLine?.points?.numberOfItems ?? 0,
            equityWidth: box?.width ?? 0,
            scripts: document.querySelectorAll('script').length,
            agentCells: [...document.querySelectorAll('#agents tbody td:first-child')].map(
              (td) => td.textContent,
            ),
            tradeRows: document.querySelectorAll('#trades tbody tr').length,
          };
        });
        expect(seen.metrics.sharpe).toBe(formatNumber(input.metrics.sharpe));
        expect(seen.metrics.maxDrawdown).toBe(formatPercent(input.metrics.maxDrawdown));
        expect(seen.metrics.totalReturn).toBe(formatPercent(input.metrics.totalReturn));
        expect(seen.metrics.trades).toBe(String(input.metrics.trades));
        expect(seen.equityPoints).toBeGreaterThanOrEqual(2);
        expect(seen.drawdownPoints).toBeGreaterThanOrEqual(2);
        expect(seen.equityWidth).toBeGreaterThan(600);
        // The hostile agent id is shown as text, not run.
        expect(seen.scripts).toBe(0);
        expect(seen.agentCells).toContain('<script>alert("x")</script>');
        expect(seen.tradeRows).toBe(101); // 50 + the "not shown" row + 50

        await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
        expect(existsSync(join(dir, 'report.png'))).toBe(true);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
