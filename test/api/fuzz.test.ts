/**
 * 10,000 fuzzed request bodies, query strings and ids at the mutating and reading routes of an
 * API over a running sandbox desk: every answer is a 2xx or a 4xx whose body is
 * `{code: 'CONCORD_ERR_*', message}`, never a 5xx. The desk keeps its pace: it is stepped between
 * fuzz batches and every market event fed to it is processed (counted exactly), its journal keeps
 * growing, and the median time of a batch of steps after fuzzing stays within a generous factor of
 * the median time of the same batch after a pause (alternated, so machine load hits both alike).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addKey,
  createApiServer,
  liveDeskView,
  liveJournalSource,
  type OperatorCommand,
  readKeysFile,
} from '../../src/api/index.ts';
import { SimulatedClock } from '../../src/core/index.ts';
import { SqliteJournal } from '../../src/journal/index.ts';
import { Desk, parseDeskConfig } from '../../src/kernel/index.ts';
import { SimulatedVenue, SyntheticMarket } from '../../src/venues/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { bearer } from './fixture.ts';

const start = Date.UTC(2024, 0, 1);
const dir = join(tempDir('concord-api-fuzz-'), 'journal');
const config = parseDeskConfig({ seed: 11, risk: { maxOrderNotional: { default: 5000 } } });
const market = new SyntheticMarket({ seed: 11, startTs: start, tickMs: 100 });
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

/** Feeds `ticks` market ticks; returns the market events fed and the milliseconds it took. */
async function steps(ticks: number): Promise<{ events: number; ms: number }> {
  const t0 = performance.now();
  let events = 0;
  for (let i = 0; i < ticks; i++) {
    for (const e of market.next()) {
      events++;
      const p = desk.step(e);
      if (p !== undefined) await p;
    }
  }
  desk.flush();
  return { events, ms: performance.now() - t0 };
}

let app: FastifyInstance;
let keys: { viewer: string; operator: string };
const commands: OperatorCommand[] = [];
beforeAll(async () => {
  const file = join(tempDir('concord-keys-'), 'keys.json');
  keys = { viewer: addKey(file, 'viewer', 'watcher').key, operator: addKey(file, 'operator', 'alice').key };
  await desk.start();
  const source = liveJournalSource(journal, dir);
  app = await createApiServer({
    desk: liveDeskView(desk, { journal: source }),
    journal: source,
    // Kept, not forwarded: a valid fuzzed halt must not change what the desk does between batches.
    commands: { submit: (c) => void commands.push(c) },
    keys: readKeysFile(file).keys,
    rateLimit: { burst: 1e9, perSecond: 1e9 },
  });
  await app.ready();
  await steps(200);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await desk.stop();
  desk.flush();
  journal.close();
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
      enabled: fc.oneof(fc.boolean(), fc.string(), fc.constant(null)),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(
    fc.constantFrom('reason', 'flatten', 'enabled', '__proto__', 'constructor', 'x'),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);
const rawBody = fc.oneof(
  jsonish.map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })),
  fc.string({ maxLength: 200 }).map((s) => ({ payload: s, type: 'application/json' })),
  fc.string({ maxLength: 50 }).map((s) => ({ payload: s, type: 'text/plain' })),
  fc
    .uint8Array({ maxLength: 100 })
    .map((b) => ({ payload: Buffer.from(b).toString('latin1'), type: 'application/octet-stream' })),
);

const READ_ROUTES = [
  '/api/decisions',
  '/api/orders',
  '/api/fills',
  '/api/portfolio/history',
  '/api/opportunities/arbitrage',
  '/api/agents',
  '/api/safety/report',
  '/api/safety/reconciliation',
  '/api/metrics',
  '/api/risk/metrics',
];
const queryKey = fc.constantFrom(
  'limit',
  'status',
  'agentId',
  'seq',
  'minIntervalMs',
  'instrumentId',
  'x',
  '__proto__',
);
const queryValue = fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.double().map(String));
const readUrl = fc.oneof(
  fc
    .tuple(fc.constantFrom(...READ_ROUTES), fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }))
    .map(([route, pairs]) => `${route}?${new URLSearchParams(pairs).toString()}`),
  fc.string({ maxLength: 300 }).map((id) => `/api/decisions/${encodeURIComponent(id)}/trace`),
  fc.string({ maxLength: 40 }).map((id) => `/api/agents/${encodeURIComponent(id)}`),
);

const BATCHES = 20;
const BODIES_PER_BATCH = 300;
const QUERIES_PER_BATCH = 200;
const TICKS_PER_BATCH = 20;

it(`${BATCHES * (BODIES_PER_BATCH + QUERIES_PER_BATCH)} fuzzed bodies and queries: never a 5xx, every refusal coded, and the desk keeps its pace`, async () => {
  const paused: number[] = [];
  const fuzzed: number[] = [];
  let requests = 0;
  let fed = 0;
  const before = { events: desk.counters.marketEvents, seq: journal.head().seq };
  for (let batch = 0; batch < BATCHES; batch++) {
    // A batch of steps with no API traffic before it (the pace without), one right after a
    // fuzz batch (the pace with), alternated.
    const quiet = await steps(TICKS_PER_BATCH);
    paused.push(quiet.ms);
    fed += quiet.events;

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
        rawBody,
        async (url, body) => {
          requests++;
          const r = await app.inject({
            method: 'POST',
            url,
            headers: { ...bearer(keys.operator), 'content-type': body.type },
            payload: body.payload,
          });
          checkAnswer(r.statusCode, r.body, `${url} ${body.type} ${body.payload.slice(0, 80)}`);
        },
      ),
      { numRuns: BODIES_PER_BATCH, seed: 1000 + batch },
    );
    await fc.assert(
      fc.asyncProperty(readUrl, async (url) => {
        requests++;
        const r = await app.inject({ url, headers: bearer(keys.viewer) });
        checkAnswer(r.statusCode, r.body, url);
      }),
      { numRuns: QUERIES_PER_BATCH, seed: 2000 + batch },
    );

    const busy = await steps(TICKS_PER_BATCH);
    fuzzed.push(busy.ms);
    fed += busy.events;
  }
  expect(requests).toBe(BATCHES * (BODIES_PER_BATCH + QUERIES_PER_BATCH));
  // Every market event fed while the API was fuzzed was processed, and the desk kept journaling.
  expect(desk.counters.marketEvents - before.events).toBe(fed);
  expect(fed).toBeGreaterThan(0);
  expect(journal.head().seq).toBeGreaterThan(before.seq);
  expect(desk.lifecycle.state).toBe('RUNNING');
  // Pace: medians over 20 alternated batches; a factor of 4 leaves room for a loaded machine.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const ratio = median(fuzzed) / Math.max(median(paused), 0.01);
  console.log(
    `median step batch: ${median(fuzzed).toFixed(1)} ms after fuzzing vs ${median(paused).toFixed(1)} ms without (ratio ${ratio.toFixed(2)})`,
  );
  expect(ratio, `median step batch: ${median(fuzzed)} ms after fuzzing vs ${median(paused)} ms`).toBeLessThan(
    4,
  );
  // Accepted commands (valid fuzzed bodies) reached the sink with the operator's identity.
  for (const c of commands) expect(c.operator.name).toBe('alice');
}, 300_000);
