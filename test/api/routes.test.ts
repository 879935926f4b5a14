/**
 * Every read route over a real sandbox journal: each answer is checked against what the journal
 * itself holds (counted from its raw records), and every route is in the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../src/bus/index.ts';
import { ofType, orderRecords } from '../analysis/fixture.ts';
import { type ApiFixture, apiFixture, bearer } from './fixture.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
}, 120_000);
afterAll(async () => {
  await f?.app.close();
});

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await f.app.inject({ url, headers: bearer(f.keys.viewer) });
  return { status: r.statusCode, body: r.json() as Record<string, unknown> };
}

interface Agent {
  id: string;
  decisions: number;
  trust: number;
  status: string;
}

describe('probes', () => {
  it('health and readiness answer without a key; readiness names the journal head', async () => {
    const health = await f.app.inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await f.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    const last = f.journal.records.at(-1);
    expect(ready.json()).toEqual({ head: { seq: last?.seq, hash: last?.hash } });
  });
});

describe('agents, strategies and decisions', () => {
  it('lists the configured agents with their journaled decision counts', async () => {
    const { status, body } = await get('/api/agents');
    expect(status).toBe(200);
    const agents = body.agents as Agent[];
    const start = ofType<{ config: { agents: { id: string }[] } }>(f.journal.records, EVENTS.runStart)[0];
    expect(agents.map((a) => a.id)).toEqual(start?.p.config.agents.map((a) => a.id));
    const decisions = ofType<{ agentId: string }>(f.journal.records, EVENTS.decision);
    const states = ofType<{ agentId: string; to: string }>(f.journal.records, EVENTS.agentState);
    for (const a of agents) {
      expect(a.decisions).toBe(decisions.filter((d) => d.p.agentId === a.id).length);
      expect(a.trust).toBeGreaterThan(0);
      const last = states.filter((x) => x.p.agentId === a.id).at(-1);
      expect(last).toBeDefined();
      expect(a.status).toBe(last?.p.to);
    }
  });

  it('one agent: its state, config and recent decisions; an unknown one is 404 with a code', async () => {
    const { status, body } = await get('/api/agents/arbitrage?limit=3');
    expect(status).toBe(200);
    expect(body.config).toEqual({ maxQuantity: 0.1, minNetEdgeBps: 3 });
    const recent = body.recent as { agentId: string }[];
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThanOrEqual(3);
    expect(recent.every((d) => d.agentId === 'arbitrage')).toBe(true);
    const missing = await get('/api/agents/nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('CONCORD_ERR_API_NOT_FOUND');
  });

  it('strategies are the agents as configured at run start', async () => {
    const { body } = await get('/api/strategies');
    const start = ofType<{ config: { agents: { id: string; type: string; config: unknown }[] } }>(
      f.journal.records,
      EVENTS.runStart,
    )[0];
    expect(body.strategies).toEqual(
      start?.p.config.agents.map((a) => ({ id: a.id, type: a.type, config: a.config })),
    );
  });

  it('decisions: every journaled one, filtered by agent, the last `limit`', async () => {
    const all = (await get('/api/decisions?limit=10000')).body.decisions as {
      decisionId: string;
      agentId: string;
    }[];
    const journaled = ofType<{ decisionId: string }>(f.journal.records, EVENTS.decision).map(
      (d) => d.p.decisionId,
    );
    expect(all.map((d) => d.decisionId)).toEqual(journaled);
    const two = (await get('/api/decisions?limit=2')).body.decisions as { decisionId: string }[];
    expect(two.map((d) => d.decisionId)).toEqual(journaled.slice(-2));
    const mr = (await get('/api/decisions?agentId=mean-reversion&limit=10000')).body.decisions as {
      agentId: string;
    }[];
    expect(mr.length).toBeGreaterThan(0);
    expect(mr.every((d) => d.agentId === 'mean-reversion')).toBe(true);
  });

  it('the trace of a filled order names its votes, risk rules and fills', async () => {
    const filled = orderRecords(f.journal.records).find((r) => r.type === EVENTS.orderFilled.name);
    expect(filled).toBeDefined();
    const id = filled?.order.venueOrderId ?? '';
    const { status, body } = await get(`/api/decisions/${encodeURIComponent(id)}/trace`);
    expect(status).toBe(200);
    const text = JSON.stringify(body);
    expect(text).toContain(filled?.order.clientOrderId);
    expect(text).toContain(filled?.fill?.tradeId);
    expect(text).toContain(filled?.order.decisionId);
    const unknown = await get('/api/decisions/no-such-id/trace');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('CONCORD_ERR_EXPLAIN_UNKNOWN_ID');
  });
});

describe('orders, fills, portfolio', () => {
  it('orders: one per client order id, with the denials the journal holds', async () => {
    const { body } = await get('/api/orders?limit=10000');
    const orders = body.orders as { clientOrderId: string; status: string; denialCode: string | null }[];
    const ids = new Set(orderRecords(f.journal.records).map((r) => r.order.clientOrderId));
    expect(new Set(orders.map((o) => o.clientOrderId))).toEqual(ids);
    const denied = ofType(f.journal.records, EVENTS.orderDenied).length;
    expect(denied).toBeGreaterThan(0);
    expect(orders.filter((o) => o.status === 'DENIED').length).toBe(denied);
    const onlyDenied = (await get('/api/orders?status=DENIED&limit=10000')).body.orders as {
      denialCode: string;
    }[];
    expect(onlyDenied.length).toBe(denied);
    expect(onlyDenied.every((o) => o.denialCode.length > 0)).toBe(true);
  });

  it('fills: one per order.filled record, with its trade id and price', async () => {
    const { body } = await get('/api/fills?limit=10000');
    const fills = body.fills as { tradeId: string; price: string }[];
    const journaled = orderRecords(f.journal.records).filter((r) => r.type === EVENTS.orderFilled.name);
    expect(fills.map((x) => x.tradeId)).toEqual(journaled.map((r) => r.fill?.tradeId));
    expect(fills.map((x) => x.price)).toEqual(journaled.map((r) => r.fill?.price));
  });

  it('positions and portfolio are the last checkpoint; history ends there', async () => {
    const positions = (await get('/api/positions')).body.positions as { quantity: string }[];
    const portfolio = (await get('/api/portfolio')).body.portfolio as {
      seq: number;
      positions: unknown[];
      equity: number;
    };
    const lastCheckpoint = ofType(f.journal.records, EVENTS.checkpoint).at(-1);
    expect(portfolio.seq).toBe(lastCheckpoint?.seq);
    expect(positions).toEqual(portfolio.positions);
    expect(positions.length).toBeGreaterThan(0);
    const history = (await get('/api/portfolio/history?limit=5')).body.points as {
      seq: number;
      equity: number;
    }[];
    expect(history.length).toBeGreaterThan(0);
    expect(history.length).toBeLessThanOrEqual(5);
    expect(history.at(-1)?.seq).toBe(portfolio.seq);
    expect(history.at(-1)?.equity).toBe(portfolio.equity);
  });
});

describe('risk, performance, opportunities, journal, metrics', () => {
  it('risk metrics: trading state, drawdown, exposure, limits and breakers', async () => {
    const { status, body } = await get('/api/risk/metrics');
    expect(status).toBe(200);
    const portfolio = (await get('/api/portfolio')).body.portfolio as {
      drawdown: number;
      grossExposure: number;
    };
    expect(body.tradingState).toBe('ACTIVE');
    expect(body.halted).toBe(false);
    expect(body.drawdown).toBe(portfolio.drawdown);
    expect(body.grossExposure).toBe(portfolio.grossExposure);
    expect((body.limits as { name: string }[]).map((l) => l.name)).toContain('maxGrossExposure');
    expect(body.breakers).toEqual([]);
  });

  it('performance metrics count loops, signals, trades from the journal', async () => {
    const { body } = await get('/api/performance/metrics');
    expect(body.loops).toBe(ofType(f.journal.records, EVENTS.market).length);
    expect(body.signals).toBe(ofType(f.journal.records, EVENTS.trigger).length);
    expect(body.trades).toBe(ofType(f.journal.records, EVENTS.orderFilled).length);
    expect(body.averageExecutionMs).toBeGreaterThanOrEqual(0);
  });

  it('arbitrage opportunities are the arbitrage agent decisions; sandwich, liquidation and yield are empty here', async () => {
    const arb = (await get('/api/opportunities/arbitrage?limit=1000')).body.opportunities as {
      agentId: string;
    }[];
    // Every agent whose type is an arbitrage (CEX, DEX, CEX↔DEX): their decisions, as journaled.
    const strategies = (await get('/api/strategies')).body.strategies as { id: string; type: string }[];
    const arbAgents = new Set(strategies.filter((s) => /arbitrage/.test(s.type)).map((s) => s.id));
    expect(arbAgents.has('arbitrage')).toBe(true);
    const journaled = ofType<{ agentId: string }>(f.journal.records, EVENTS.decision).filter((d) =>
      arbAgents.has(d.p.agentId),
    );
    expect(journaled.some((d) => d.p.agentId === 'arbitrage')).toBe(true);
    expect(new Set(arb.map((o) => o.agentId))).toEqual(new Set(journaled.map((d) => d.p.agentId)));
    expect(arb.length).toBe(journaled.length);
    for (const kind of ['sandwich', 'liquidation', 'yield']) {
      const r = await get(`/api/opportunities/${kind}`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ opportunities: [] });
    }
  });

  it('journal head and verify agree with the last record', async () => {
    const last = f.journal.records.at(-1);
    const head = (await get('/api/journal')).body;
    expect(head.head).toEqual({ seq: last?.seq, hash: last?.hash });
    const verify = (await get('/api/journal/verify')).body;
    expect(verify).toMatchObject({ ok: true, records: last?.seq, headHash: last?.hash });
  });

  it('/api/metrics summarises the desk with denials by code', async () => {
    const { body } = await get('/api/metrics');
    const denials = ofType<{ denial: { code: string } }>(f.journal.records, EVENTS.orderDenied);
    const byCode: Record<string, number> = {};
    for (const d of denials) byCode[d.p.denial.code] = (byCode[d.p.denial.code] ?? 0) + 1;
    expect(body.denials).toEqual(byCode);
    expect(body.decisions).toBe(ofType(f.journal.records, EVENTS.decision).length);
    expect(body.journalSeq).toBe(f.journal.records.at(-1)?.seq);
    // A second read of an unchanged desk is the cached body (sent as text): the same JSON, same type.
    const again = await f.app.inject({ url: '/api/metrics', headers: bearer(f.keys.viewer) });
    expect(again.statusCode).toBe(200);
    expect(again.headers['content-type']).toMatch(/^application\/json/);
    const { uptimeSeconds: u1, ...first } = body as { uptimeSeconds: number };
    const { uptimeSeconds: u2, ...second } = again.json() as { uptimeSeconds: number };
    expect(second).toEqual(first);
    expect(typeof u2).toBe('number');
    expect(u2).toBeGreaterThanOrEqual(u1);
  });
});

describe('OpenAPI', () => {
  it('/docs/json lists every route with its schemas; /docs links to it', async () => {
    const doc = (await f.app.inject({ url: '/docs/json' })).json() as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    const expected = [
      '/health',
      '/ready',
      '/api/agents',
      '/api/agents/{id}',
      '/api/decisions',
      '/api/decisions/{id}/trace',
      '/api/orders',
      '/api/fills',
      '/api/positions',
      '/api/portfolio',
      '/api/portfolio/history',
      '/api/risk/metrics',
      '/api/performance/metrics',
      '/api/strategies',
      '/api/opportunities/arbitrage',
      '/api/opportunities/liquidation',
      '/api/opportunities/yield',
      '/api/opportunities/sandwich',
      '/api/journal',
      '/api/journal/verify',
      '/api/safety/halt',
      '/api/safety/resume',
      '/api/agents/{id}/start',
      '/api/agents/{id}/stop',
      '/api/agents/{id}/quarantine',
      '/api/metrics',
      '/metrics',
    ];
    for (const path of expected) expect(Object.keys(doc.paths)).toContain(path);
    const halt = JSON.stringify(doc.paths['/api/safety/halt']);
    expect(halt).toContain('flatten');
    expect(halt).toContain('reason');
    const stop = JSON.stringify(doc.paths['/api/agents/{id}/stop']);
    expect(stop).toContain('reason');
    expect(stop).toContain('"409"');
    expect(stop).toContain('"404"');
    const page = await f.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/docs/json');
  });
});

describe('a journal that cannot be read', () => {
  it('/ready is 503 NOT_READY and the journal routes answer the journal code, never a 5xx without one', async () => {
    const { createApiServer, journalDeskView, journalDirSource, readKeysFile } = await import(
      '../../src/api/index.ts'
    );
    const { tempDir } = await import('../helpers/cli.ts');
    const source = journalDirSource(`${tempDir('concord-api-empty-')}/none`);
    const app = await createApiServer({
      desk: journalDeskView(source),
      journal: source,
      commands: { submit: () => undefined },
      keys: readKeysFile(f.keysFile).keys,
    });
    try {
      const ready = await app.inject({ url: '/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ code: 'CONCORD_ERR_API_NOT_READY' });
      for (const url of ['/api/journal', '/api/orders', '/api/agents', '/api/risk/metrics']) {
        const r = await app.inject({ url, headers: bearer(f.keys.viewer) });
        expect(r.statusCode, url).toBe(503);
        expect(r.json(), url).toMatchObject({ code: 'CONCORD_ERR_JOURNAL_NOT_FOUND' });
      }
    } finally {
      await app.close();
    }
  });
});
