/** `/metrics` is Prometheus text format (checked line by line) with the desk's named metrics. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENTS } from '../../src/bus/index.ts';
import { ofType } from '../analysis/fixture.ts';
import { type ApiFixture, apiFixture, bearer } from './fixture.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
}, 120_000);
afterAll(async () => {
  await f?.app.close();
});

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** A strict reader of the Prometheus text exposition format 0.0.4: throws on any line it cannot read. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+-?\\d+)?$`);
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
    if (meta !== null) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3]);
        types.set(meta[2] ?? '', meta[3] ?? '');
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = sampleRe.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    labelRe.lastIndex = 0;
    while (labelRe.lastIndex < body.length) {
      const l = labelRe.exec(body);
      if (l === null) throw new Error(`bad labels: ${body}`);
      labels[l[1] ?? ''] = l[2] ?? '';
    }
    const raw = m[3] ?? '';
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case.
    const lower = raw.toLowerCase();
    const value =
      lower === 'nan' ? Number.NaN : lower === '+inf' ? Infinity : lower === '-inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && lower !== 'nan') throw new Error(`bad value: ${line}`);
    samples.push({ name: m[1] ?? '', labels, value });
  }
  return { types, samples };
}

it('parses and carries decisions, orders, fills, denials by code, breakers, journal lag and event-loop lag', async () => {
  const r = await f.app.inject({ url: '/metrics', headers: bearer(f.keys.viewer) });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toContain('text/plain');
  const { types, samples } = parsePrometheus(r.body);
  const one = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      ?.value;
  expect(types.get('concord_decisions_total')).toBe('counter');
  expect(one('concord_decisions_total')).toBe(ofType(f.journal.records, EVENTS.decision).length);
  expect(one('concord_orders_total')).toBe(ofType(f.journal.records, EVENTS.orderSubmitted).length);
  expect(one('concord_fills_total')).toBe(ofType(f.journal.records, EVENTS.orderFilled).length);
  const denials = ofType<{ denial: { code: string } }>(f.journal.records, EVENTS.orderDenied);
  const code = denials[0]?.p.denial.code ?? '';
  expect(one('concord_denials_total', { code })).toBe(denials.filter((d) => d.p.denial.code === code).length);
  expect(types.get('concord_breaker_state')).toBe('gauge');
  expect(one('concord_trading_halted')).toBe(0);
  expect(one('concord_journal_lag_records')).toBe(0);
  expect(types.get('agent_decision_duration_seconds')).toBe('histogram');
  expect(types.get('concord_intents_total')).toBe('counter');
  expect(types.get('concord_bus_queue_depth')).toBe('gauge');
  expect(types.has('nodejs_eventloop_lag_seconds')).toBe(true);
  // A second scrape does not count the same decisions twice.
  const again = parsePrometheus(
    (await f.app.inject({ url: '/metrics', headers: bearer(f.keys.viewer) })).body,
  );
  expect(again.samples.find((s) => s.name === 'concord_decisions_total')?.value).toBe(
    one('concord_decisions_total'),
  );
});

it('needs a key', async () => {
  const r = await f.app.inject({ url: '/metrics' });
  expect(r.statusCode).toBe(401);
});

it('breaker states map to 0/1/2 and per-agent decision durations fill the histogram when a view measures them', async () => {
  const { createMetrics, journalDeskView, journalDirSource } = await import('../../src/api/index.ts');
  const base = journalDeskView(journalDirSource(f.journal.dir));
  const { AgentTimings } = await import('../../src/kernel/index.ts');
  const timings = new AgentTimings();
  timings.record('momentum-fast', 0.002e9, 'ok');
  timings.record('momentum-fast', 0.2e9, 'error');
  timings.record('regime', 0.0001e9, 'ok');
  timings.record('regime', 0, 'skipped');
  const view = {
    ...base,
    risk: () => ({
      ...base.risk(),
      breakers: [
        { breaker: 'volatility', scope: 'sim-a:BTC-USDT', state: 'OPEN', reason: 'jump', trips: 1 },
        { breaker: 'error-rate', scope: 'sim-b', state: 'HALF_OPEN', reason: 'probing', trips: 1 },
        { breaker: 'loss', scope: 'desk', state: 'CLOSED', reason: '', trips: 0 },
      ],
    }),
    agentTimings: () => timings.snapshot(),
  };
  const { registry } = createMetrics(view, journalDirSource(f.journal.dir));
  const { samples } = parsePrometheus(await registry.metrics());
  const state = (scope: string) =>
    samples.find((s) => s.name === 'concord_breaker_state' && s.labels.scope === scope)?.value;
  expect(state('sim-a:BTC-USDT')).toBe(2);
  expect(state('sim-b')).toBe(1);
  expect(state('desk')).toBe(0);
  const count = (agent: string) =>
    samples.find((s) => s.name === 'agent_decision_duration_seconds_count' && s.labels.agent === agent)
      ?.value;
  expect(count('momentum-fast')).toBe(2);
  expect(count('regime')).toBe(1);
  const le = samples.find(
    (s) =>
      s.name === 'agent_decision_duration_seconds_bucket' &&
      s.labels.agent === 'momentum-fast' &&
      s.labels.le === '0.005',
  );
  expect(le?.value).toBe(1);
  const sum = samples.find(
    (s) => s.name === 'agent_decision_duration_seconds_sum' && s.labels.agent === 'momentum-fast',
  );
  expect(sum?.value).toBeCloseTo(0.202, 9);
  // Scraping again reports the same cumulative figures (nothing is drained or counted twice).
  const again = parsePrometheus(await registry.metrics()).samples;
  expect(
    again.find(
      (s) => s.name === 'agent_decision_duration_seconds_count' && s.labels.agent === 'momentum-fast',
    )?.value,
  ).toBe(2);
  expect(timings.snapshot().find((t) => t.agentId === 'momentum-fast')?.failures).toBe(1);
});
