import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSafetyReport,
  dayOf,
  type SafetyReport,
  SafetyReportBuilder,
} from '../../src/analysis/safety-report.ts';
import { SqliteJournal } from '../../src/journal/index.ts';
import { runCli } from '../helpers/cli.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1, 12);

function order(id: string, root: string, extra: Record<string, unknown> = {}) {
  return {
    clientOrderId: id,
    instrumentId: 'sim-a:BTC-USDT',
    venue: 'sim-a',
    side: 'buy',
    type: 'market',
    quantity: '1',
    timeInForce: 'IOC',
    decisionId: root,
    leg: 0,
    ts: T0,
    status: 'SUBMITTED',
    filledQuantity: '0',
    filledNotional: '0',
    fees: '0',
    updatedTs: T0,
    ...extra,
  };
}

function fill(id: string, quantity: string, tradeId: string, side = 'buy') {
  return {
    clientOrderId: id,
    venueOrderId: `v-${id}`,
    tradeId,
    instrumentId: 'sim-a:BTC-USDT',
    venue: 'sim-a',
    side,
    price: '60000',
    quantity,
    fee: '0',
    feeCurrency: 'USDT',
    liquidity: 'taker',
    ts: T0,
  };
}

function portfolioSnapshot(fees: string, dayKey: number | null, dayStartPnl: string) {
  return {
    version: 1,
    cashAssets: ['USDT'],
    dailyResetUtcMinute: 0,
    positions: [],
    balances: [],
    assetPrices: [],
    agents: [],
    seenTrades: ['sim-a|t-1'],
    duplicates: 0,
    fees,
    peakEquity: null,
    dayKey,
    dayStartPnl,
  };
}

const consensus = (decisionIds: string[][]) => ({
  triggerId: 't',
  accepted: decisionIds.map((ids) => ({
    decisionIds: ids,
    agentIds: ['a'],
    weights: [1],
    intent: {},
    reason: '',
  })),
  caps: [],
  conflicts: [],
  rejected: [],
  vetoes: [],
});

/**
 * A journal with one of everything: a backed trade, an unbacked fill, an overfill, a buy sent
 * while REDUCING, an operator flatten, reconciliation results, transient errors, a breaker
 * trip, and a second day whose loss passes maxDailyLoss = 100.
 */
function writeSyntheticJournal(dir: string): void {
  const j = SqliteJournal.open(dir);
  let ts = T0;
  const add = (type: string, payload: unknown) => j.append(type, ts++, payload);
  add('run.start', { config: { risk: { maxDailyLoss: 100 }, seed: 1 }, startTs: T0, version: 1 });
  add('consensus', consensus([['d-1'], ['d-2']]));
  // backed (d-1#0), fully filled in two parts
  add('order.submitted', { order: order('c-ok', 'd-1#0') });
  add('order.filled', {
    order: order('c-ok', 'd-1#0', { status: 'PARTIALLY_FILLED' }),
    fill: fill('c-ok', '0.4', 't-1'),
  });
  add('order.filled', {
    order: order('c-ok', 'd-1#0', { status: 'FILLED' }),
    fill: fill('c-ok', '0.6', 't-2'),
  });
  // unbacked: nothing accepted d-9
  add('order.submitted', { order: order('c-rogue', 'd-9#0') });
  add('order.filled', {
    order: order('c-rogue', 'd-9#0', { status: 'FILLED' }),
    fill: fill('c-rogue', '1', 't-3'),
  });
  // backed (d-2#1) but filled beyond its quantity
  add('consensus', consensus([['d-5'], ['d-2']]));
  add('order.submitted', { order: order('c-over', 'd-2#1', { quantity: '0.5' }) });
  add('order.filled', {
    order: order('c-over', 'd-2#1', { quantity: '0.5', status: 'FILLED' }),
    fill: fill('c-over', '0.5', 't-4'),
  });
  add('order.filled', {
    order: order('c-over', 'd-2#1', { quantity: '0.5', status: 'FILLED' }),
    fill: fill('c-over', '0.2', 't-5'),
  });
  // the desk drops to REDUCING; a buy (position is long) adds risk, a reduce-only sell does not
  add('risk.trading-state', {
    scope: { kind: 'global' },
    from: 'ACTIVE',
    to: 'REDUCING',
    reason: 'daily loss',
    ts,
  });
  add('order.submitted', { order: order('c-late', 'd-1#0') });
  add('order.submitted', { order: order('c-reduce', 'd-1#0', { side: 'sell', reduceOnly: true }) });
  add('risk.trading-state', {
    scope: { kind: 'global' },
    from: 'REDUCING',
    to: 'ACTIVE',
    reason: 'reset',
    ts,
  });
  // an operator halt with flatten: its reduce-only order is backed by the halt
  add('risk.halt', { reason: 'drill', flatten: true, operator: 'ana' });
  add('order.submitted', { order: order('c-flat', `halt-${T0}#0`, { side: 'sell', reduceOnly: true }) });
  add('order.filled', {
    order: order('c-flat', `halt-${T0}#0`, { side: 'sell', reduceOnly: true, status: 'FILLED' }),
    fill: fill('c-flat', '1', 't-6', 'sell'),
  });
  add('risk.resume', { operator: 'ana', reason: 'drill over', haltedSince: T0 });
  // transient errors: an UNKNOWN order resolved, a retryable cancel failure never resolved
  add('order.unknown', {
    order: order('c-unk', 'd-5#0', { status: 'UNKNOWN' }),
    error: { code: 'CONCORD_ERR_VENUE_TIMEOUT', retryable: true },
  });
  add('order.accepted', { order: order('c-unk', 'd-5#0', { status: 'ACCEPTED' }) });
  add('order.cancel-failed', {
    order: order('c-stuck', 'd-5#0', { status: 'ACCEPTED' }),
    error: { code: 'CONCORD_ERR_VENUE_UNAVAILABLE', retryable: true },
  });
  // reconciliation: ok, venue unreachable twice (one outage), clean again, a position mismatch
  const report = (status: string, mismatches: unknown[]) => ({
    ts,
    venue: 'sim-a',
    status,
    mismatches,
    adjustments: [],
    unknownResolved: 0,
    unknownPending: 0,
    ordersChecked: 1,
    fillsRecovered: 0,
  });
  const unreachable = {
    kind: 'unreachable',
    code: 'X',
    key: 'sim-a',
    desk: '',
    venue: '',
    withinTolerance: false,
    fixed: false,
    message: '',
  };
  add('reconcile.report', report('ok', []));
  add('reconcile.report', report('failed-closed', [unreachable]));
  add('reconcile.report', report('failed-closed', [unreachable]));
  add('reconcile.report', report('ok', []));
  add(
    'reconcile.report',
    report('failed-closed', [
      {
        kind: 'position',
        code: 'P',
        key: 'sim-a:BTC-USDT',
        desk: '1.5',
        venue: '1.2',
        withinTolerance: false,
        fixed: false,
        message: '',
      },
    ]),
  );
  add('risk.breaker', {
    breaker: 'volatility',
    scope: 'global',
    from: 'CLOSED',
    to: 'OPEN',
    reason: 'jump',
    numbers: {},
    ts,
  });
  add('risk.breaker', {
    breaker: 'volatility',
    scope: 'global',
    from: 'OPEN',
    to: 'HALF_OPEN',
    reason: 'cool',
    numbers: {},
    ts,
  });
  add('order.filled', { order: 'not an order' });
  // day 1: −50 (within the limit); day 2: −150 since the day's start (over it)
  add('checkpoint', { ts, portfolio: portfolioSnapshot('50', Math.floor(ts / DAY), '0') });
  ts = T0 + DAY;
  add('checkpoint', { ts, portfolio: portfolioSnapshot('200', Math.floor(ts / DAY), '-50') });
  j.close();
}

describe('safety report on a synthetic journal', () => {
  let dir: string;
  let report: SafetyReport;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'concord-safety-'));
    writeSyntheticJournal(dir);
    report = buildSafetyReport(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the unbacked fill, the overfill and the risk-adding order sent while REDUCING, and nothing else', () => {
    const u = report.unintendedTrades;
    expect(u.unbackedFills).toBe(1);
    expect(u.overfills).toBe(1);
    expect(u.riskAddingOrdersWhileRestricted).toBe(1);
    expect(u.total).toBe(3);
    expect(u.examples.map((e) => [e.clientOrderId, e.reason])).toEqual([
      ['c-rogue', 'unbacked-fill'],
      ['c-over', 'overfill'],
      ['c-late', 'risk-added-while-restricted'],
    ]);
    expect(u.fillsChecked).toBe(6);
  });

  it('measures position accuracy from reconciliation reports', () => {
    expect(report.positionAccuracy).toEqual({
      checks: 5,
      ok: 2,
      adjusted: 0,
      failedClosed: 3,
      okShare: 0.4,
      maxAbsPositionMismatch: '0.3',
      maxAbsBalanceMismatch: '0',
    });
  });

  it('counts transient errors and which cleared on their own', () => {
    const t = report.transientErrors;
    expect(t.unknownOrders).toEqual({ total: 1, recovered: 1 });
    expect(t.cancelFailures).toEqual({ total: 1, recovered: 0 });
    expect(t.venueOutages).toEqual({ total: 1, recovered: 1 });
    expect(t.total).toBe(3);
    expect(t.recoveredShare).toBeCloseTo(2 / 3, 12);
  });

  it('finds the day whose loss passed maxDailyLoss', () => {
    const l = report.lossLimitDays;
    expect(l.maxDailyLoss).toBe(100);
    expect(l.days).toEqual([
      { day: '2024-01-01', minDailyPnl: -50, overLimit: false },
      { day: '2024-01-02', minDailyPnl: -150, overLimit: true },
    ]);
    expect(l.daysOverLimit).toBe(1);
  });

  it('counts breaker trips, trading-state changes and operator actions', () => {
    expect(report.breakers).toEqual({
      trips: 1,
      tripsByBreaker: { volatility: 1 },
      transitions: { 'volatility:CLOSED>OPEN': 1, 'volatility:OPEN>HALF_OPEN': 1 },
      tradingStateChanges: { 'global:REDUCING': 1, 'global:ACTIVE': 1 },
      operatorHalts: 1,
      operatorResumes: 1,
      ruleErrors: 0,
    });
  });

  it('skips and counts a malformed record instead of failing', () => {
    expect(report.malformedRecords).toBe(1);
    expect(report.notes.some((n) => /1 record\(s\) did not have the expected shape/.test(n))).toBe(true);
  });
});

describe('safety report on a real sandbox journal', () => {
  let dir: string;
  let report: SafetyReport;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'concord-safety-run-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ risk: { maxDailyLoss: 1_000_000 } }));
    const run = runCli([
      'run',
      '--duration',
      '2m',
      '--speed',
      'max',
      '--journal',
      join(dir, 'j'),
      '--config',
      config,
      '--json',
    ]);
    if (run.code !== 0) throw new Error(`sandbox run failed (${run.code}): ${run.stderr}`);
    report = buildSafetyReport(join(dir, 'j'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has no unintended trade, and checked real fills and orders', () => {
    expect(report.unintendedTrades.total).toBe(0);
    expect(report.unintendedTrades.fillsChecked).toBeGreaterThan(0);
    expect(report.unintendedTrades.ordersChecked).toBeGreaterThan(0);
    expect(report.malformedRecords).toBe(0);
  });

  it('reports position accuracy as not measured (null with a note), not as 0', () => {
    expect(report.positionAccuracy).toBeNull();
    expect(report.notes.some((n) => /no reconcile\.report/.test(n))).toBe(true);
  });

  it('reads the configured loss limit and finds no day over it', () => {
    expect(report.lossLimitDays.maxDailyLoss).toBe(1_000_000);
    expect(report.lossLimitDays.days.map((d) => d.day)).toEqual(['2024-01-01']);
    expect(report.lossLimitDays.daysOverLimit).toBe(0);
    expect(Number.isFinite(report.lossLimitDays.days[0]?.minDailyPnl)).toBe(true);
    expect(report.records).toBeGreaterThan(100);
  });
});

describe('safety report properties', () => {
  const feed = (
    b: SafetyReportBuilder,
    trades: Array<{ quantity: number; parts: number }>,
    rogueAt: number | undefined,
  ) => {
    let seq = 1;
    b.add(seq++, T0, 'consensus', consensus(trades.map((_, i) => [`d-${i}`])));
    trades.forEach((t, i) => {
      const id = `c-${i}`;
      const root = rogueAt === i ? `rogue-${i}#0` : `d-${i}#${i}`;
      const total = (t.quantity * t.parts).toFixed(4);
      b.add(seq++, T0, 'order.submitted', { order: order(id, root, { quantity: total }) });
      for (let k = 0; k < t.parts; k++) {
        b.add(seq++, T0, 'order.filled', {
          order: order(id, root, { quantity: total, status: 'PARTIALLY_FILLED' }),
          fill: fill(id, t.quantity.toFixed(4), `${id}-${k}`),
        });
      }
    });
    return b.finish(seq);
  };
  const trades = fc.array(
    fc.record({
      quantity: fc.integer({ min: 1, max: 10_000 }).map((n) => n / 10_000),
      parts: fc.integer({ min: 1, max: 4 }),
    }),
    {
      minLength: 1,
      maxLength: 15,
    },
  );

  it('backed orders filled up to their quantity are never unintended; one rogue order adds exactly its fills', () => {
    fc.assert(
      fc.property(trades, fc.nat(), (ts, pick) => {
        const clean = feed(new SafetyReportBuilder('x'), ts, undefined);
        expect(clean.unintendedTrades.total).toBe(0);
        const rogue = pick % ts.length;
        const dirty = feed(new SafetyReportBuilder('x'), ts, rogue);
        expect(dirty.unintendedTrades.unbackedFills).toBe(ts[rogue]?.parts);
        expect(dirty.unintendedTrades.total).toBe(ts[rogue]?.parts);
      }),
      { numRuns: 100 },
    );
  });

  it('dayOf groups by UTC day shifted by the reset minute', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 0, max: 1439 }),
        (ts, minute) => {
          const day = dayOf(ts, minute);
          const start = Date.parse(`${day}T00:00:00Z`) + minute * 60_000;
          expect(ts).toBeGreaterThanOrEqual(start);
          expect(ts).toBeLessThan(start + DAY);
        },
      ),
    );
  });
});
