/**
 * Fuzzed request bodies, query strings and ids at the mutating and query routes: every answer is
 * a 2xx or a 4xx whose body is `{code: 'CONCORD_ERR_*', message}`, never a 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiFixture, apiFixture, bearer } from './fixture.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture({ rateLimit: { burst: 1e9, perSecond: 1e9 } });
}, 120_000);
afterAll(async () => {
  await f?.app.close();
});

function checkAnswer(status: number, body: string, what: string): void {
  expect(status, what).toBeLessThan(500);
  if (status >= 400) {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    expect(parsed.code, what).toMatch(/^CONCORD_ERR_[A-Z0-9_]+$/);
    expect(typeof parsed.message, what).toBe('string');
  }
}

const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      reason: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      flatten: fc.oneof(fc.boolean(), fc.string(), fc.integer()),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(
    fc.constantFrom('reason', 'flatten', '__proto__', 'constructor', 'x'),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

it('≈1750 fuzzed bodies at halt, resume, simulation and the agent commands: never a 5xx, every refusal coded', async () => {
  const raw = fc.oneof(
    jsonish.map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })),
    fc.string({ maxLength: 200 }).map((s) => ({ payload: s, type: 'application/json' })),
    fc.string({ maxLength: 50 }).map((s) => ({ payload: s, type: 'text/plain' })),
    fc
      .uint8Array({ maxLength: 100 })
      .map((b) => ({ payload: Buffer.from(b).toString('latin1'), type: 'application/octet-stream' })),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(
        '/api/safety/halt',
        '/api/safety/resume',
        '/api/safety/simulation',
        '/api/agents/regime/stop',
        '/api/agents/regime/quarantine',
        '/api/agents/no-such-agent/start',
      ),
      raw,
      async (url, body) => {
        const r = await f.app.inject({
          method: 'POST',
          url,
          headers: { ...bearer(f.keys.operator), 'content-type': body.type },
          payload: body.payload,
        });
        checkAnswer(r.statusCode, r.body, `${url} ${body.type} ${body.payload.slice(0, 80)}`);
      },
    ),
    { numRuns: 1750 },
  );
});

it('≈250 fuzzed query strings and ids at the query routes: never a 5xx, every refusal coded', async () => {
  const routes = [
    '/api/decisions',
    '/api/orders',
    '/api/fills',
    '/api/portfolio/history',
    '/api/opportunities/arbitrage',
    '/api/agents',
  ];
  const key = fc.constantFrom(
    'limit',
    'status',
    'agentId',
    'seq',
    'minIntervalMs',
    'instrumentId',
    'x',
    '__proto__',
  );
  const value = fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.double().map(String));
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc
          .tuple(fc.constantFrom(...routes), fc.array(fc.tuple(key, value), { maxLength: 4 }))
          .map(([route, pairs]) => `${route}?${new URLSearchParams(pairs).toString()}`),
        fc.string({ maxLength: 300 }).map((id) => `/api/decisions/${encodeURIComponent(id)}/trace`),
        fc.string({ maxLength: 40 }).map((id) => `/api/agents/${encodeURIComponent(id)}`),
      ),
      async (url) => {
        const r = await f.app.inject({ url, headers: bearer(f.keys.viewer) });
        checkAnswer(r.statusCode, r.body, url);
      },
    ),
    { numRuns: 250 },
  );
});
