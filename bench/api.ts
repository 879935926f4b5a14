/**
 * Operator API benchmarks (issue 10), each against a baseline in the same run:
 *
 *  1. `GET /api/metrics` requests/s on a server over a live sandbox desk, as a ratio to a bare
 *     fastify route (`GET /hello` → `{ok: true}`) served the same way. Both are loaded by the same
 *     keep-alive HTTP load generator (node:http, loopback, fixed concurrency, bounded in time), in
 *     interleaved rounds; target ≥ 70 %. The bench key's rate limit is lifted: this measures serving,
 *     not the limiter.
 *  2. Tick-to-order latency with the API serving a running desk, 50 clients polling it
 *     (`GET /api/metrics` every 100 ms each) and 50 stream clients subscribed as the dashboard is,
 *     against the same desk without the API; both runs
 *     yield to the event loop every 20 market events so the sockets are served.
 *  3. WebSocket fan-out: 500 clients on `/api/stream`, each subscribed to the desk's market records,
 *     while the bench steps a live desk in real time (one market event and a flush every 20 ms);
 *     delivery latency = a client's receive time − the time the record became durable, both on
 *     this process's monotonic clock. Baseline: the same run with one client. The stream reads
 *     the journal every `pollMs` (100 ms by default), so its latency floor is the poll interval.
 */
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import {
  addKey,
  createApiServer,
  deskCommandSink,
  liveDeskView,
  liveJournalSource,
  readKeysFile,
} from '../src/api/index.ts';
import { monotonicNs, SimulatedClock } from '../src/core/index.ts';
import { SqliteJournal } from '../src/journal/index.ts';
import { Desk, parseDeskConfig } from '../src/kernel/index.ts';
import { SimulatedVenue, SyntheticMarket } from '../src/venues/index.ts';
import { type Figure, median, percentile } from './lib.ts';
import { measureTickToOrder } from './pipeline.ts';

type Progress = (message: string) => void;

const NO_LIMIT = { burst: 1e12, perSecond: 1e12 };

/** What the dashboard subscribes to (dashboard/src/App.tsx). */
const DASHBOARD_TYPES = ['order.*', 'decision', 'consensus', 'risk.>', 'agent.>', 'control.command'];

function newKey(): { key: string; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'concord-bench-keys-')), 'keys.json');
  return { key: addKey(file, 'viewer', 'bench').key, file };
}

/** A sandbox desk stepped for `events` market events (so its counters, journal and denials are real). */
async function steppedDesk(events: number): Promise<{ desk: Desk; journal: SqliteJournal; dir: string }> {
  const start = Date.UTC(2024, 0, 1);
  const dir = join(mkdtempSync(join(tmpdir(), 'concord-bench-api-')), 'journal');
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
  await desk.start();
  let n = 0;
  while (n < events) {
    for (const e of market.next()) {
      const p = desk.step(e);
      if (p !== undefined) await p;
      n++;
    }
  }
  desk.flush();
  return { desk, journal, dir };
}

async function apiOver(
  desk: Desk,
  journal: SqliteJournal,
  dir: string,
  keysFile: string,
  stream: { maxClients?: number; pollMs?: number } = {},
) {
  const source = liveJournalSource(journal, dir);
  const app = await createApiServer({
    desk: liveDeskView(desk, { journal: source }),
    journal: source,
    commands: deskCommandSink(desk),
    keys: readKeysFile(keysFile).keys,
    rateLimit: NO_LIMIT,
    stream,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

function portOf(app: FastifyInstance): number {
  return (app.server.address() as AddressInfo).port;
}

/**
 * Keep-alive load on loopback: `concurrency` workers each send the next request as soon as the
 * previous answer is read, for `durationMs`. Returns 2xx answers per second (a non-2xx answer
 * throws: a benchmark of errors is worthless).
 */
export async function loadRequestsPerSecond(
  port: number,
  path: string,
  headers: Record<string, string>,
  options: { concurrency: number; durationMs: number },
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const startNs = monotonicNs();
  const endNs = startNs + BigInt(Math.round(options.durationMs * 1e6));
  let ok = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${path} answered ${res.statusCode}`));
          else {
            ok++;
            resolve();
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
  const worker = async () => {
    while (monotonicNs() < endNs) await one();
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = Number(monotonicNs() - startNs) / 1e9;
  agent.destroy();
  return ok / seconds;
}

/** `GET /api/metrics` requests/s as a ratio to a bare fastify route, interleaved rounds, medians. */
export async function benchApiRequests(
  options: { rounds: number; durationMs: number; concurrency: number },
  progress: Progress,
): Promise<Figure> {
  progress(
    `api: GET /api/metrics vs a bare fastify route, ${options.rounds} rounds of ${options.durationMs} ms`,
  );
  const { desk, journal, dir } = await steppedDesk(20_000);
  const { key, file } = newKey();
  const api = await apiOver(desk, journal, dir, file);
  const bare = Fastify({ logger: false });
  bare.get('/hello', async () => ({ ok: true }));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const auth = { authorization: `Bearer ${key}` };
  const load = { concurrency: options.concurrency, durationMs: options.durationMs };
  try {
    // Warm both (JIT, sockets), then alternate.
    await loadRequestsPerSecond(portOf(bare), '/hello', {}, { ...load, durationMs: 300 });
    await loadRequestsPerSecond(portOf(api), '/api/metrics', auth, { ...load, durationMs: 300 });
    const bareRates: number[] = [];
    const apiRates: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      bareRates.push(await loadRequestsPerSecond(portOf(bare), '/hello', {}, load));
      apiRates.push(await loadRequestsPerSecond(portOf(api), '/api/metrics', auth, load));
    }
    const value = median(apiRates);
    const baseline = median(bareRates);
    const ratio = value / baseline;
    return {
      name: 'API GET /api/metrics',
      value,
      unit: 'req/s',
      baselineName: 'bare fastify route (req/s)',
      baseline,
      ratio,
      target: '≥ 70% of bare',
      met: ratio >= 0.7,
      note:
        `keep-alive loopback load, ${options.concurrency} connections, ${options.rounds} interleaved rounds of ` +
        `${options.durationMs} ms; auth on (viewer key), rate limit lifted; desk of ${desk.counters.marketEvents} events; ` +
        `rounds api ${apiRates.map((x) => x.toFixed(0)).join('/')}, bare ${bareRates.map((x) => x.toFixed(0)).join('/')}`,
    };
  } finally {
    await api.close();
    await bare.close();
    await desk.stop();
    journal.close();
  }
}

/** Tick-to-order p50/p99 with the API serving and `clients` pollers, against none (same run). */
export async function benchTickWithApi(
  options: { orders: number; warmupOrders: number; clients: number; pollMs: number },
  progress: Progress,
): Promise<Figure[]> {
  progress(`api: tick-to-order with the API serving and ${options.clients} clients polling vs without`);
  const base = { orders: options.orders, warmupOrders: options.warmupOrders, maxSimulatedMs: 3 * 3_600_000 };
  const without = await measureTickToOrder({ ...base, yieldEvery: 20 });
  let served = 0;
  let streamed = 0;
  const { key, file } = newKey();
  const withApi = await measureTickToOrder({
    ...base,
    yieldEvery: 20,
    beside: async (desk, journal, dir) => {
      const app = await apiOver(desk, journal, dir, file, { maxClients: options.clients + 10 });
      const port = portOf(app);
      const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
      let running = true;
      const poll = async () => {
        while (running) {
          await new Promise<void>((resolve) => {
            const req = request(
              {
                host: '127.0.0.1',
                port,
                path: '/api/metrics',
                agent,
                headers: { authorization: `Bearer ${key}` },
              },
              (res) => {
                res.resume();
                res.on('end', () => {
                  if (res.statusCode === 200) served++;
                  resolve();
                });
              },
            );
            req.on('error', () => resolve());
            req.end();
          });
          await new Promise<void>((r) => setTimeout(r, options.pollMs));
        }
      };
      const pollers = Array.from({ length: options.clients }, poll);
      // And as many stream clients, subscribed as the dashboard is.
      const streams = await Promise.all(
        Array.from({ length: options.clients }, () =>
          streamClient(port, key, DASHBOARD_TYPES, () => {
            streamed++;
          }),
        ),
      );
      return async () => {
        running = false;
        await Promise.all(pollers);
        for (const ws of streams) ws.terminate();
        agent.destroy();
        await app.close();
      };
    },
  });
  const p = (xs: Float64Array, q: number) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      q,
    ) / 1000;
  const p50 = p(withApi.latenciesNs, 50);
  const p99 = p(withApi.latenciesNs, 99);
  const b50 = p(without.latenciesNs, 50);
  const b99 = p(without.latenciesNs, 99);
  const note =
    `${withApi.latenciesNs.length} / ${without.latenciesNs.length} ordering steps with / without; ` +
    `${options.clients} keep-alive clients each polling GET /api/metrics every ${options.pollMs} ms ` +
    `(${served} answers served during the run) and ${options.clients} stream clients subscribed as the dashboard is ` +
    `(${streamed} events delivered); both runs yield to the event loop every 20 events`;
  return [
    {
      name: 'tick-to-order p50, API + 50 clients',
      value: p50,
      unit: 'µs',
      baselineName: 'same, no API (µs)',
      baseline: b50,
      ratio: p50 / b50,
      target: 'ratio (report)',
      met: served > 0,
      note,
    },
    {
      name: 'tick-to-order p99, API + 50 clients',
      value: p99,
      unit: 'µs',
      baselineName: 'same, no API (µs)',
      baseline: b99,
      ratio: p99 / b99,
      target: 'ratio (report)',
      met: served > 0,
    },
  ];
}

export async function benchApi(
  options: { rounds: number; quick: boolean },
  progress: Progress,
): Promise<Figure[]> {
  const requests = await benchApiRequests(
    { rounds: Math.max(3, options.rounds), durationMs: options.quick ? 1000 : 2000, concurrency: 16 },
    progress,
  );
  const tick = await benchTickWithApi(
    {
      orders: options.quick ? 300 : 500,
      warmupOrders: options.quick ? 50 : 100,
      clients: 50,
      pollMs: 100,
    },
    progress,
  );
  const fanout = await benchStreamFanout(
    { clients: 500, durationMs: options.quick ? 3000 : 6000, stepEveryMs: 20 },
    progress,
  );
  return [requests, ...tick, ...fanout];
}

/** A stream client subscribed to `types`; resolves once the server confirmed the subscription. */
function streamClient(
  port: number,
  key: string,
  types: readonly string[],
  onEvent: (seq: number, receivedNs: bigint) => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/stream`, ['concord.v1'], {
      headers: { authorization: `Bearer ${key}` },
    });
    const seqOf = /^\{"type":"event","seq":(\d+)/;
    ws.on('message', (data) => {
      const text = data.toString();
      const m = seqOf.exec(text);
      if (m !== null) onEvent(Number(m[1]), monotonicNs());
      else if (text.includes('"type":"subscribed"')) resolve(ws);
      else if (text.includes('"type":"notice"')) reject(new Error(`stream notice: ${text}`));
    });
    ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', types })));
    ws.on('error', reject);
  });
}

/** One fan-out run: `clients` stream clients while the desk steps in real time; latencies in µs. */
async function fanoutRun(
  clients: number,
  options: { durationMs: number; stepEveryMs: number },
): Promise<{ latenciesUs: number[]; records: number; delivered: number; dropped: number }> {
  const { desk, journal, dir } = await steppedDesk(2000);
  const { key, file } = newKey();
  const app = await apiOver(desk, journal, dir, file, { maxClients: clients + 10 });
  const port = portOf(app);
  const durableAt = new Map<number, bigint>();
  const latenciesUs: number[] = [];
  let delivered = 0;
  const onEvent = (seq: number, receivedNs: bigint) => {
    const at = durableAt.get(seq);
    if (at === undefined) return; // a record from before the measured window
    delivered++;
    latenciesUs.push(Number(receivedNs - at) / 1000);
  };
  const sockets: WebSocket[] = [];
  // Connect in batches so the handshakes do not all land in one tick.
  for (let i = 0; i < clients; i += 50) {
    const batch = Array.from({ length: Math.min(50, clients - i) }, () =>
      streamClient(port, key, ['market'], onEvent),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  const market = new SyntheticMarket({ seed: 11, startTs: Date.UTC(2024, 0, 2), tickMs: 100 });
  let records = 0;
  const endNs = monotonicNs() + BigInt(options.durationMs) * 1_000_000n;
  try {
    while (monotonicNs() < endNs) {
      const before = journal.head().seq;
      const events = market.next();
      const first = events[0];
      if (first !== undefined) {
        const p = desk.step(first);
        if (p !== undefined) await p;
      }
      desk.flush();
      const now = monotonicNs();
      for (let seq = before + 1; seq <= journal.head().seq; seq++) durableAt.set(seq, now);
      records += journal.head().seq - before;
      await new Promise<void>((r) => setTimeout(r, options.stepEveryMs));
    }
    // Let the last poll go out.
    await new Promise<void>((r) => setTimeout(r, 400));
  } finally {
    for (const ws of sockets) ws.terminate();
    await app.close();
    await desk.stop();
    journal.close();
  }
  const dropped = sockets.filter(
    (ws) => ws.readyState !== WebSocket.OPEN && ws.readyState !== WebSocket.CLOSING,
  ).length;
  return { latenciesUs, records, delivered, dropped };
}

/** p99 (and p50) delivery latency of the event stream to 500 clients, against one client (same run). */
export async function benchStreamFanout(
  options: { clients: number; durationMs: number; stepEveryMs: number },
  progress: Progress,
): Promise<Figure[]> {
  progress(`api: event stream fan-out to ${options.clients} clients vs 1, ${options.durationMs} ms each`);
  const one = await fanoutRun(1, options);
  const many = await fanoutRun(options.clients, options);
  const q = (xs: number[], p: number) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      p,
    ) / 1000;
  const note =
    `${many.records} / ${one.records} market records made durable (one per ${options.stepEveryMs} ms); ` +
    `${many.delivered} / ${one.delivered} deliveries; the stream polls the journal every 100 ms (its floor)`;
  const complete = many.delivered > 0 && one.delivered > 0;
  return [
    {
      name: `stream fan-out p50, ${options.clients} clients`,
      value: q(many.latenciesUs, 50),
      unit: 'ms',
      baselineName: 'same, 1 client (ms)',
      baseline: q(one.latenciesUs, 50),
      ratio: q(many.latenciesUs, 50) / q(one.latenciesUs, 50),
      target: 'ratio (report)',
      met: complete,
      note,
    },
    {
      name: `stream fan-out p99, ${options.clients} clients`,
      value: q(many.latenciesUs, 99),
      unit: 'ms',
      baselineName: 'same, 1 client (ms)',
      baseline: q(one.latenciesUs, 99),
      ratio: q(many.latenciesUs, 99) / q(one.latenciesUs, 99),
      target: 'ratio (report)',
      met: complete,
    },
  ];
}
