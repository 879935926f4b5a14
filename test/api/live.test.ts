/**
 * The API over a running sandbox desk (the live views): counters move as the desk steps, an
 * operator's halt reaches the desk with who sent it, is journaled, and shows as HALTED in
 * /api/risk/metrics and /metrics; resume brings it back.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addKey,
  type CommandSink,
  createApiServer,
  deskCommandSink,
  liveDeskView,
  liveJournalSource,
  readKeysFile,
} from '../../src/api/index.ts';
import { EVENTS } from '../../src/bus/index.ts';
import { SimulatedClock } from '../../src/core/index.ts';
import { SqliteJournal } from '../../src/journal/index.ts';
import { Desk, parseDeskConfig } from '../../src/kernel/index.ts';
import { SimulatedVenue, SyntheticMarket } from '../../src/venues/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { bearer } from './fixture.ts';

const start = Date.UTC(2024, 0, 1);
const dir = join(tempDir('concord-api-live-'), 'journal');
const config = parseDeskConfig({ seed: 7, risk: { maxOrderNotional: { default: 5000 } } });
const market = new SyntheticMarket({ seed: 7, startTs: start, tickMs: 100 });
const clock = new SimulatedClock(start);
const instruments = market.instruments();
const venues = [...new Set(instruments.map((i) => i.venue))].map(
  (id) =>
    new SimulatedVenue({
      id,
      clock,
      instruments: instruments.filter((i) => i.venue === id),
      balances: { USDT: 100_000, BTC: 2 },
    }),
);
const journal = SqliteJournal.open(dir);
const desk = new Desk({ config, clock, journal, venues, instruments });

async function steps(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    for (const e of market.next()) {
      const p = desk.step(e);
      if (p !== undefined) await p;
    }
  }
  desk.flush();
}

// Commands go through the kernel's command port, as every channel's do; flushed so the
// journal-backed routes see them at once.
const port = deskCommandSink(desk);
const sink: CommandSink = {
  async submit(c) {
    await port.submit(c);
    desk.flush();
  },
};

let app: FastifyInstance;
let keys: { viewer: string; operator: string };
beforeAll(async () => {
  const file = join(tempDir('concord-keys-'), 'keys.json');
  keys = { viewer: addKey(file, 'viewer', 'watcher').key, operator: addKey(file, 'operator', 'alice').key };
  await desk.start();
  const source = liveJournalSource(journal, dir);
  app = await createApiServer({
    desk: liveDeskView(desk, { journal: source }),
    journal: source,
    commands: sink,
    keys: readKeysFile(file).keys,
  });
  await steps(1500);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await desk.stop();
  desk.flush();
  journal.close();
});

async function get(url: string) {
  const r = await app.inject({ url, headers: bearer(keys.viewer) });
  expect(r.statusCode, url).toBe(200);
  return r.json() as Record<string, unknown>;
}

describe('the API over a running desk', () => {
  it('counters follow the desk as it steps', async () => {
    const before = (await get('/api/metrics')) as { decisions: number; marketEvents: number };
    expect(before.decisions).toBe(desk.counters.decisions);
    expect(before.marketEvents).toBe(desk.counters.marketEvents);
    await steps(600);
    const after = (await get('/api/metrics')) as {
      decisions: number;
      marketEvents: number;
      journalSeq: number;
    };
    expect(after.marketEvents).toBeGreaterThan(before.marketEvents);
    expect(after.decisions).toBe(desk.counters.decisions);
    expect(after.journalSeq).toBe(journal.head().seq);
    const agents = (await get('/api/agents')).agents as { id: string; decisions: number }[];
    expect(agents.reduce((n, a) => n + a.decisions, 0)).toBe(desk.counters.decisions);
  });

  it('denials by code come from the journal and add up to the desk counter', async () => {
    const metrics = (await get('/api/metrics')) as { denials: Record<string, number>; denied: number };
    expect(desk.counters.denied).toBeGreaterThan(0);
    expect(Object.values(metrics.denials).reduce((a, b) => a + b, 0)).toBe(desk.counters.denied);
    // The desk did not move: the second read is the cached body, sent as JSON text, equal but for the uptime.
    const again = await app.inject({ url: '/api/metrics', headers: bearer(keys.viewer) });
    expect(again.headers['content-type']).toMatch(/^application\/json/);
    const { uptimeSeconds: _a, ...first } = metrics as unknown as Record<string, unknown>;
    const { uptimeSeconds, ...second } = again.json() as Record<string, unknown>;
    expect(second).toEqual(first);
    expect(typeof uptimeSeconds).toBe('number');
  });

  it('an operator halts: the desk halts, journals who did it, and the API shows HALTED; resume undoes it', async () => {
    expect((await get('/api/risk/metrics')).halted).toBe(false);
    const r = await app.inject({
      method: 'POST',
      url: '/api/safety/halt',
      headers: bearer(keys.operator),
      payload: { reason: 'drill', flatten: false },
    });
    expect(r.statusCode).toBe(202);
    expect(desk.isHalted()).toBe(true);
    const risk = await get('/api/risk/metrics');
    expect(risk).toMatchObject({ tradingState: 'HALTED', halted: true });
    const prom = (await app.inject({ url: '/metrics', headers: bearer(keys.viewer) })).body;
    expect(prom).toMatch(/^concord_trading_halted 1$/m);
    const halt = [...journal.records()].filter((x) => x.type === EVENTS.riskHalt.name).at(-1);
    expect(halt?.payload).toMatchObject({ reason: 'drill', flatten: false });
    expect(String((halt?.payload as { operator?: string } | undefined)?.operator)).toMatch(
      /^alice \(key [0-9a-f]{12}\)$/,
    );
    // One handler for every channel: the kernel's command port journaled it, naming the API.
    const command = [...journal.records()].filter((x) => x.type === EVENTS.controlCommand.name).at(-1);
    expect(command?.payload).toMatchObject({ channel: 'api' });

    const viewerTry = await app.inject({
      method: 'POST',
      url: '/api/safety/resume',
      headers: bearer(keys.viewer),
      payload: { reason: 'no' },
    });
    expect(viewerTry.statusCode).toBe(403);
    expect(desk.isHalted()).toBe(true);
    const resume = await app.inject({
      method: 'POST',
      url: '/api/safety/resume',
      headers: bearer(keys.operator),
      payload: { reason: 'all clear' },
    });
    expect(resume.statusCode).toBe(202);
    expect(desk.isHalted()).toBe(false);
    expect((await get('/api/risk/metrics')).tradingState).toBe('ACTIVE');
  });

  it('an operator stops, quarantines and starts agents: journaled with who did it, refused when illegal or unknown', async () => {
    const post = (url: string, key: string, payload: unknown = { reason: 'drill' }) =>
      app.inject({ method: 'POST', url, headers: bearer(key), payload: payload as Record<string, unknown> });
    const status = async (id: string) =>
      ((await get('/api/agents')).agents as { id: string; status: string }[]).find((a) => a.id === id)
        ?.status;
    expect(await status('regime')).toBe('RUNNING');

    expect(
      (await app.inject({ method: 'POST', url: '/api/agents/regime/stop', payload: { reason: 'x' } }))
        .statusCode,
    ).toBe(401);
    const viewerTry = await post('/api/agents/regime/stop', keys.viewer);
    expect(viewerTry.statusCode).toBe(403);
    expect(viewerTry.json()).toMatchObject({ code: 'CONCORD_ERR_API_FORBIDDEN' });
    expect((await post('/api/agents/regime/stop', keys.operator, {})).json()).toMatchObject({
      code: 'CONCORD_ERR_API_BAD_REQUEST',
    });
    expect(await status('regime')).toBe('RUNNING');

    const stop = await post('/api/agents/regime/stop', keys.operator, { reason: 'too noisy' });
    expect(stop.statusCode).toBe(202);
    expect(stop.json()).toEqual({ accepted: true, command: 'agent stop', operator: 'alice' });
    expect(await status('regime')).toBe('STOPPED');
    const command = [...journal.records()].filter((x) => x.type === EVENTS.controlCommand.name).at(-1);
    expect(command?.payload).toMatchObject({
      channel: 'api',
      ok: true,
      command: { kind: 'agent', agentId: 'regime', action: 'stop', reason: 'too noisy' },
    });
    expect((command?.payload as { command: { operator: string } } | undefined)?.command.operator).toMatch(
      /^alice \(key [0-9a-f]{12}\)$/,
    );
    // A stopped agent is no longer asked.
    const before = desk.agentDecisions.get('regime') ?? 0;
    await steps(300);
    expect(desk.agentDecisions.get('regime') ?? 0).toBe(before);

    const again = await post('/api/agents/regime/stop', keys.operator);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'CONCORD_ERR_LIFECYCLE_TRANSITION' });
    const unknown = await post('/api/agents/nobody/quarantine', keys.operator);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'CONCORD_ERR_API_NOT_FOUND' });
    const running = await post('/api/agents/arbitrage/start', keys.operator);
    expect(running.statusCode).toBe(409);
    expect(running.json()).toMatchObject({ code: 'CONCORD_ERR_LIFECYCLE_TRANSITION' });

    expect(
      (await post('/api/agents/arbitrage/quarantine', keys.operator, { reason: 'suspect' })).statusCode,
    ).toBe(202);
    expect(await status('arbitrage')).toBe('QUARANTINED');
    const quarantined = [...journal.records()].filter((x) => x.type === EVENTS.agentQuarantined.name).at(-1);
    expect(quarantined?.payload).toMatchObject({ agentId: 'arbitrage' });
    expect(String((quarantined?.payload as { reason: string } | undefined)?.reason)).toMatch(
      /^quarantined by an operator: alice/,
    );

    for (const id of ['regime', 'arbitrage']) {
      expect((await post(`/api/agents/${id}/start`, keys.operator, { reason: 'cleared' })).statusCode).toBe(
        202,
      );
      expect(await status(id)).toBe('RUNNING');
    }
  });

  it("the kernel's agent timings reach /api/agents, /api/performance/metrics and the histogram", async () => {
    const timings = desk.timings.snapshot();
    expect(timings.length).toBeGreaterThan(0);
    const agents = (await get('/api/agents')).agents as {
      id: string;
      decisions: number;
      calls: number;
      latencyMeanMs: number | null;
      latencyMaxMs: number | null;
      decisionsPerSec: number;
      callFailures: number;
    }[];
    for (const a of agents) {
      const t = timings.find((x) => x.agentId === a.id);
      expect(a.calls).toBe(t?.calls ?? 0);
      // Every decision comes from a timed call that ended ok.
      expect(a.calls - a.callFailures).toBeGreaterThanOrEqual(a.decisions);
      if (a.calls > 0) {
        expect(a.latencyMeanMs).toBeGreaterThan(0);
        expect(a.latencyMaxMs).toBeGreaterThanOrEqual(a.latencyMeanMs ?? 0);
        // A sandbox agent thinks in microseconds, never near the 1 s deadline.
        expect(a.latencyMeanMs).toBeLessThan(1000);
      }
      if (a.decisions > 0) expect(a.decisionsPerSec).toBeGreaterThan(0);
    }
    const perf = (await get('/api/performance/metrics')) as { averageDecisionMs: number | null };
    const calls = timings.reduce((n, t) => n + t.calls, 0);
    const seconds = timings.reduce((n, t) => n + t.totalSeconds, 0);
    expect(perf.averageDecisionMs).toBeCloseTo((seconds * 1000) / calls, 6);
    const prom = (await app.inject({ url: '/metrics', headers: bearer(keys.viewer) })).body;
    const first = timings[0]!;
    const count = new RegExp(
      `^agent_decision_duration_seconds_count\\{agent="${first.agentId}"\\} (\\d+)$`,
      'm',
    ).exec(prom);
    expect(Number(count?.[1])).toBe(first.calls);
    expect(prom).toMatch(/^concord_intents_total \d+$/m);
    expect(Number(/^concord_intents_total (\d+)$/m.exec(prom)?.[1])).toBe(desk.observed.intents);
    expect(desk.observed.intents).toBeGreaterThan(0);
    expect(prom).toMatch(/^concord_bus_queue_depth 0$/m);
  });

  it('/api/risk/metrics carries the VaR of the current book as the risk engine computes it', async () => {
    const risk = (await get('/api/risk/metrics')) as {
      valueAtRisk: number | null;
      var: {
        historical: number | null;
        parametric: number | null;
        confidence: number;
        horizonMs: number;
        samples: number;
      };
    };
    const v = desk.risk.valueAtRisk();
    expect(risk.var).toMatchObject({ confidence: 0.95, horizonMs: v.horizonMs, samples: v.samples });
    expect(risk.valueAtRisk).toBe(v.value);
    expect(risk.var.historical).toBe(v.historical);
  });

  it('orders, decisions and the journal head read through the writer', async () => {
    const orders = (await get('/api/orders?limit=10000')).orders as unknown[];
    expect(orders.length).toBeGreaterThan(0);
    const head = (await get('/api/journal')) as { head: { seq: number }; pending: number };
    expect(head.head.seq).toBe(journal.head().seq);
    expect(head.pending).toBe(journal.pendingCount());
  });
});
