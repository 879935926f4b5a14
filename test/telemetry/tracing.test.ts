/**
 * Tick spans through the real OTLP/HTTP exporter to a loopback server that reads the JSON it
 * receives: span names, parent links, attributes. And tracing off changes nothing in the journal.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTickTracer, tracesUrl } from '../../src/telemetry/tracing.ts';
import { sandboxDesk } from './desk.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

const received: { path: string; contentType: string; spans: OtlpSpan[] }[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      received.push({
        path: req.url ?? '',
        contentType: String(req.headers['content-type']),
        spans: body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function attr(span: OtlpSpan, key: string): unknown {
  const v = span.attributes.find((a) => a.key === key)?.value;
  if (v === undefined) return undefined;
  if ('arrayValue' in v)
    return ((v.arrayValue as { values?: { stringValue: string }[] }).values ?? []).map((x) => x.stringValue);
  return Object.values(v)[0];
}

it('tracesUrl appends /v1/traces to a base endpoint only', () => {
  expect(tracesUrl('http://h:4318')).toBe('http://h:4318/v1/traces');
  expect(tracesUrl('http://h:4318/')).toBe('http://h:4318/v1/traces');
  expect(tracesUrl('http://h:4318/v1/traces')).toBe('http://h:4318/v1/traces');
});

it('a tick is a span with agents, consensus and order submits (with their risk checks) as children', async () => {
  const traced = sandboxDesk();
  const tracer = createTickTracer({ endpoint });
  traced.desk.observeTicks(tracer.observer);
  await traced.desk.start();
  await traced.steps(1500);
  await tracer.flush();
  await tracer.shutdown();
  const tracedHead = traced.journal.head().hash;
  await traced.close();

  expect(received.length).toBeGreaterThan(0);
  expect(received[0]?.path).toBe('/v1/traces');
  expect(received[0]?.contentType).toContain('application/json');
  const spans = received.flatMap((r) => r.spans);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const ticks = spans.filter((s) => s.name === 'concord.tick');
  expect(ticks.length).toBeGreaterThan(0);
  for (const t of ticks) expect(t.parentSpanId ?? '').toBe('');
  const children = (name: string) => spans.filter((s) => s.name === name);
  for (const name of ['concord.agent.think', 'concord.consensus', 'concord.order.submit']) {
    expect(children(name).length, name).toBeGreaterThan(0);
    for (const s of children(name)) {
      const parent = byId.get(s.parentSpanId ?? '');
      expect(parent?.name, name).toBe('concord.tick');
      expect(parent?.traceId).toBe(s.traceId);
      expect(attr(s, 'concord.correlation_id')).toBe(attr(parent as OtlpSpan, 'concord.correlation_id'));
      expect(BigInt(s.startTimeUnixNano)).toBeGreaterThanOrEqual(
        BigInt((parent as OtlpSpan).startTimeUnixNano),
      );
      expect(BigInt(s.endTimeUnixNano)).toBeLessThanOrEqual(BigInt((parent as OtlpSpan).endTimeUnixNano));
    }
  }
  const checks = children('concord.risk.check');
  expect(checks.length).toBeGreaterThan(0);
  for (const c of checks) {
    const submit = byId.get(c.parentSpanId ?? '') as OtlpSpan;
    expect(submit.name).toBe('concord.order.submit');
    expect(attr(c, 'concord.order_root')).toBe(attr(submit, 'concord.order_root'));
  }
  // A tick that submitted names its decisions and order roots; its agents are the agent spans' ids.
  const submitting = ticks.find((t) => (attr(t, 'concord.order_roots') as string[]).length > 0) as OtlpSpan;
  const root = (attr(submitting, 'concord.order_roots') as string[])[0] ?? '';
  expect(root).toMatch(/^d-\d+#\d+$/);
  expect(attr(submitting, 'concord.decision_ids')).toContain(root.split('#')[0]);
  const agentSpans = children('concord.agent.think').filter((s) => s.parentSpanId === submitting.spanId);
  expect(attr(submitting, 'concord.agent_ids')).toEqual(agentSpans.map((s) => attr(s, 'concord.agent_id')));
  expect(String(attr(submitting, 'concord.instrument'))).toMatch(/:/);

  // Tracing is an observer: the same seed untraced writes the same journal.
  const plain = sandboxDesk();
  await plain.desk.start();
  await plain.steps(1500);
  const plainHead = plain.journal.head().hash;
  await plain.close();
  expect(plainHead).toBe(tracedHead);
}, 120_000);
