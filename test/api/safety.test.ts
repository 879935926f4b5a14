/**
 * The safety reads: `GET /api/safety/report` over a real sandbox journal is the report
 * `concord safety report` builds, checked against the journal's raw records; `GET
 * /api/safety/reconciliation` is empty on a journal without reconciliation and lists a written
 * journal's reconcile.* records, newest last, with `limit`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSafetyReport } from '../../src/analysis/safety-report.ts';
import { createApiServer, journalDeskView, journalDirSource, readKeysFile } from '../../src/api/index.ts';
import { EVENTS } from '../../src/bus/index.ts';
import { SqliteJournal } from '../../src/journal/index.ts';
import { ofType } from '../analysis/fixture.ts';
import { tempDir } from '../helpers/cli.ts';
import { type ApiFixture, apiFixture, bearer } from './fixture.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
}, 120_000);
afterAll(async () => {
  await f?.app.close();
});

describe('GET /api/safety/report', () => {
  it('is the CLI’s report of the sandbox journal, its counts matching the raw records', async () => {
    const r = await f.app.inject({ url: '/api/safety/report', headers: bearer(f.keys.viewer) });
    expect(r.statusCode).toBe(200);
    const body = r.json() as ReturnType<typeof buildSafetyReport>;
    expect(body).toEqual(JSON.parse(JSON.stringify(buildSafetyReport(f.journal.dir))));
    const fills = ofType(f.journal.records, EVENTS.orderFilled);
    const submitted = ofType(f.journal.records, EVENTS.orderSubmitted);
    expect(fills.length).toBeGreaterThan(0);
    expect(body.unintendedTrades.fillsChecked).toBe(fills.length);
    expect(body.unintendedTrades.ordersChecked).toBe(submitted.length);
    expect(body.unintendedTrades.total).toBe(0);
    expect(body.records).toBe(f.journal.records.at(-1)?.seq);
    expect(body.firstTs).toBe(f.journal.records[0]?.ts);
    // A sandbox desk runs no reconciliation: not measured, with a note, never a reassuring figure.
    expect(ofType(f.journal.records, EVENTS.reconcileReport)).toHaveLength(0);
    expect(body.positionAccuracy).toBeNull();
    expect(body.notes.some((n) => /reconcile\.report/.test(n))).toBe(true);
    const trips = ofType<{ to?: string }>(f.journal.records, EVENTS.riskBreaker).filter(
      (b) => b.p.to === 'OPEN',
    );
    expect(body.breakers.trips).toBe(trips.length);
  });

  it('needs a key; the reconciliation route is empty on a journal without reconciliation', async () => {
    expect((await f.app.inject({ url: '/api/safety/report' })).statusCode).toBe(401);
    const r = await f.app.inject({ url: '/api/safety/reconciliation', headers: bearer(f.keys.viewer) });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { runs: unknown[]; adjustments: unknown[]; recoveredFills: unknown[] };
    expect(body.runs).toEqual([]);
    expect(body.adjustments).toEqual([]);
    expect(body.recoveredFills).toEqual([]);
  });

  it('both routes are in the OpenAPI document under safety', async () => {
    const doc = (await f.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, { get?: { tags?: string[] } }>;
    };
    for (const path of ['/api/safety/report', '/api/safety/reconciliation']) {
      expect(doc.paths[path]?.get?.tags).toEqual(['safety']);
    }
    expect(JSON.stringify(doc.paths['/api/safety/reconciliation'])).toContain('limit');
    expect(JSON.stringify(doc.paths['/api/safety/report'])).toContain('unintendedTrades');
  });
});

describe('GET /api/safety/reconciliation over a journal with reconciliation', () => {
  const T0 = Date.UTC(2024, 0, 1);
  const mismatch = {
    kind: 'position',
    code: 'CONCORD_ERR_RECONCILE_POSITION',
    key: 'sim-a:BTC-USDT',
    desk: '0.5',
    venue: '0.4',
    withinTolerance: false,
    fixed: true,
    message: 'position differs',
  };
  const adjustment = { kind: 'position', key: 'sim-a:BTC-USDT', before: '0.5', after: '0.4', delta: '-0.1' };
  const fill = { clientOrderId: 'c-1', tradeId: 't-9', price: '60000', quantity: '0.1' };
  function report(status: string, n: number) {
    return {
      ts: T0 + n,
      venue: 'sim-a',
      unknownResolved: n,
      unknownPending: 0,
      ordersChecked: 3 + n,
      fillsRecovered: status === 'ok' ? 0 : 1,
      mismatches: status === 'ok' ? [] : [mismatch],
      adjustments: status === 'adjusted' ? [adjustment] : [],
      status,
    };
  }

  let dir: string;
  let app: Awaited<ReturnType<typeof createApiServer>>;
  let key: string;
  beforeAll(async () => {
    dir = join(tempDir('concord-reconcile-'), 'journal');
    const j = SqliteJournal.open(dir);
    let ts = T0;
    j.append('run.start', ts++, { config: { mode: 'sandbox', agents: [] } });
    j.append(EVENTS.reconcileReport.name, ts++, report('ok', 0));
    j.append(EVENTS.reconcileFillRecovered.name, ts++, {
      ts,
      venue: 'sim-a',
      clientOrderId: 'c-1',
      orderStatus: 'PARTIALLY_FILLED',
      order: {},
      fill,
    });
    j.append(EVENTS.reconcileAdjusted.name, ts++, { ts, venue: 'sim-a', ...adjustment });
    j.append(EVENTS.reconcileReport.name, ts++, report('adjusted', 1));
    j.append(EVENTS.reconcileReport.name, ts++, report('failed-closed', 2));
    j.append(EVENTS.reconcileReport.name, ts++, { venue: 'sim-a' }); // malformed: skipped, counted
    j.close();
    const source = journalDirSource(dir);
    const { addKey } = await import('../../src/api/index.ts');
    const keysFile = join(tempDir('concord-keys-'), 'keys.json');
    key = addKey(keysFile, 'viewer', 'watcher').key;
    app = await createApiServer({
      desk: journalDeskView(source),
      journal: source,
      commands: { submit: () => undefined },
      keys: readKeysFile(keysFile).keys,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists runs, adjustments and recovered fills, newest last, as journaled', async () => {
    const r = await app.inject({ url: '/api/safety/reconciliation', headers: bearer(key) });
    expect(r.statusCode).toBe(200);
    const body = r.json() as {
      runs: {
        seq: number;
        status: string;
        ordersChecked: number;
        mismatches: unknown[];
        adjustments: unknown[];
      }[];
      adjustments: { seq: number; venue: string; delta: string }[];
      recoveredFills: { seq: number; clientOrderId: string; orderStatus: string; fill: unknown }[];
      totals: Record<string, number>;
    };
    expect(body.runs.map((x) => [x.seq, x.status, x.ordersChecked])).toEqual([
      [2, 'ok', 3],
      [5, 'adjusted', 4],
      [6, 'failed-closed', 5],
    ]);
    expect(body.runs[1]?.mismatches).toEqual([mismatch]);
    expect(body.runs[1]?.adjustments).toEqual([adjustment]);
    expect(body.adjustments).toEqual([{ seq: 4, ts: T0 + 3, venue: 'sim-a', ...adjustment }]);
    expect(body.recoveredFills).toEqual([
      { seq: 3, ts: T0 + 2, venue: 'sim-a', clientOrderId: 'c-1', orderStatus: 'PARTIALLY_FILLED', fill },
    ]);
    expect(body.totals).toEqual({
      runs: 3,
      ok: 1,
      adjusted: 1,
      failedClosed: 1,
      mismatches: 2,
      adjustments: 1,
      recoveredFills: 1,
      malformed: 1,
    });
    // The safety report over the same journal measures position accuracy from the same runs.
    const report = (await app.inject({ url: '/api/safety/report', headers: bearer(key) })).json() as {
      positionAccuracy: { checks: number; ok: number } | null;
    };
    expect(report.positionAccuracy?.checks).toBe(3);
    expect(report.positionAccuracy?.ok).toBe(1);
  });

  it('limit keeps the newest; a bad limit is a coded 400', async () => {
    const r = await app.inject({ url: '/api/safety/reconciliation?limit=1', headers: bearer(key) });
    const body = r.json() as { runs: { seq: number }[]; totals: { runs: number } };
    expect(body.runs.map((x) => x.seq)).toEqual([6]);
    expect(body.totals.runs).toBe(3);
    for (const q of ['limit=0', 'limit=x', 'other=1']) {
      const bad = await app.inject({ url: `/api/safety/reconciliation?${q}`, headers: bearer(key) });
      expect(bad.statusCode, q).toBe(400);
      expect((bad.json() as { code: string }).code).toMatch(/^CONCORD_ERR_/);
    }
  });
});
