import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSafetyReport } from '../../src/analysis/safety-report.ts';
import type { Out } from '../../src/cli/output.ts';
import { formatSafetyReport, haltCommand, safetyReportCommand } from '../../src/cli/safety.ts';
import { ControlChannel } from '../../src/control/file-channel.ts';
import { SqliteJournal } from '../../src/journal/index.ts';

function captureOut(): Out & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    tty: false,
    color: false,
    lines,
    errors,
    line: (text = '') => lines.push(text),
    err: (text) => errors.push(text),
    paint: (_code, text) => text,
  };
}

const T0 = Date.UTC(2024, 0, 1);

/** One unbacked fill and a loss past a 10 USDT limit: a report that must show both. */
function writeJournal(dir: string): void {
  const j = SqliteJournal.open(dir);
  const order = {
    clientOrderId: 'c-1',
    instrumentId: 'sim-a:BTC-USDT',
    venue: 'sim-a',
    side: 'buy',
    type: 'market',
    quantity: '1',
    timeInForce: 'IOC',
    decisionId: 'nobody#0',
    leg: 0,
    ts: T0,
    status: 'FILLED',
    filledQuantity: '1',
    filledNotional: '100',
    fees: '0',
    updatedTs: T0,
  };
  const fill = {
    clientOrderId: 'c-1',
    venueOrderId: 'v',
    tradeId: 't',
    instrumentId: 'sim-a:BTC-USDT',
    venue: 'sim-a',
    side: 'buy',
    price: '100',
    quantity: '1',
    fee: '0',
    feeCurrency: 'USDT',
    liquidity: 'taker',
    ts: T0,
  };
  j.append('run.start', T0, { config: { risk: { maxDailyLoss: 10 } }, startTs: T0, version: 1 });
  j.append('order.filled', T0 + 1, { order, fill });
  j.append('checkpoint', T0 + 2, {
    ts: T0 + 2,
    portfolio: {
      version: 1,
      cashAssets: ['USDT'],
      dailyResetUtcMinute: 0,
      positions: [],
      balances: [],
      assetPrices: [],
      agents: [],
      seenTrades: [],
      duplicates: 0,
      fees: '25',
      peakEquity: null,
      dayKey: null,
      dayStartPnl: '0',
    },
  });
  j.close();
}

describe('concord safety report', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'concord-cli-safety-'));
    writeJournal(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json: exit 0 and the last line is the whole report', async () => {
    const out = captureOut();
    expect(await safetyReportCommand(['report', dir, '--json'], out)).toBe(0);
    const report = JSON.parse(out.lines.at(-1) ?? '');
    expect(report).toEqual(JSON.parse(JSON.stringify(buildSafetyReport(dir))));
    expect(report.unintendedTrades.total).toBe(1);
    expect(report.lossLimitDays.daysOverLimit).toBe(1);
  });

  it('prints a readable report that names the problems', async () => {
    const out = captureOut();
    expect(await safetyReportCommand([dir], out)).toBe(0);
    const text = out.lines.join('\n');
    expect(text).toMatch(/unintended trades\s+1 {2}\(unbacked fills 1/);
    expect(text).toMatch(/#2 c-1 unbacked-fill/);
    expect(text).toMatch(/position accuracy\s+not measured/);
    expect(text).toMatch(/days over loss limit\s+1 of 1 \(limit 10, worst daily PnL -25\.00\)/);
    expect(text).toMatch(/2024-01-01: lowest daily PnL -25\.00/);
    expect(formatSafetyReport(buildSafetyReport(dir), out)).toEqual(out.lines);
  });

  it('a missing journal is a coded runtime error (exit 3), a missing argument a usage error (exit 2)', async () => {
    const out = captureOut();
    expect(await safetyReportCommand(['report', join(dir, 'nope'), '--json'], out)).toBe(3);
    expect(JSON.parse(out.lines.at(-1) ?? '')).toMatchObject({
      ok: false,
      error: { code: 'CONCORD_ERR_JOURNAL_NOT_FOUND' },
    });
    expect(await safetyReportCommand(['report'], out)).toBe(2);
    expect(out.errors.join('\n')).toMatch(/missing <journal-dir>/);
    expect(await safetyReportCommand(['report', '--bogus'], out)).toBe(2);
  });
});

describe('concord halt', () => {
  it('a halt without --flatten is carried out as a plain halt and printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-cli-halt-'));
    const channel = new ControlChannel(dir);
    const requests: unknown[] = [];
    const timer = setInterval(() => {
      void channel.handle(
        { halt: (r) => requests.push(r), resume: () => undefined, tradingState: () => 'HALTED' },
        true,
      );
    }, 5);
    const out = captureOut();
    try {
      expect(await haltCommand(['--journal', dir, '--reason', 'fat finger', '--timeout', '5s'], out)).toBe(0);
    } finally {
      clearInterval(timer);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(requests).toMatchObject([{ kind: 'halt', flatten: false, reason: 'fat finger' }]);
    expect(out.lines.at(-1)).toBe('done: halted: fat finger (trading state HALTED)');
  });
});
