/** pino logs: secrets redacted at any depth, the pretty one-liner, and bus events with their envelope ids. */
import { expect, it } from 'vitest';
import { createLogger, logBusEvents, prettyLine } from '../../src/telemetry/logging.ts';
import { sandboxDesk } from './desk.ts';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (l: string) => void lines.push(l) } };
}

it('an API key, a secret, a private key and a bearer header never reach a log line', () => {
  const key = 'ck_live_0123456789abcdef0123456789abcdef';
  const { lines, stream } = capture();
  const log = createLogger({ level: 'info', format: 'json', stream });
  log.info({ key }, 'top level');
  log.info({ venue: { apiKey: key, secret: key, password: key } }, 'nested');
  log.info({ req: { headers: { authorization: `Bearer ${key}` } } }, 'request');
  log.info({ wallet: { signer: { privateKey: key } } }, 'deep');
  log.child({ component: 'api' }).warn({ token: key }, 'child');
  expect(lines).toHaveLength(5);
  const all = lines.join('');
  expect(all).not.toContain(key);
  expect(all).not.toContain('0123456789abcdef');
  expect(all.match(/\[redacted\]/g)?.length).toBe(7);
  const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  expect(first).toMatchObject({ level: 30, msg: 'top level', key: '[redacted]' });
  expect(typeof first.time).toBe('number');
  // Below the level: nothing is written.
  log.debug({ key }, 'quiet');
  expect(lines).toHaveLength(5);
});

it('the pretty format is one line per record: time, level, message, fields (still redacted)', () => {
  const { lines, stream } = capture();
  const log = createLogger({ level: 'debug', format: 'pretty', stream });
  log.warn({ correlationId: 'trg-3', secret: 's3cr3t', n: 2, note: 'two words' }, 'order denied');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^\d\d:\d\d:\d\d\.\d{3} WARN {2}order denied correlationId=trg-3 secret=\[redacted\] n=2 note="two words"\n$/,
  );
  expect(prettyLine('not json')).toBe('not json\n');
  expect(prettyLine('{"level":50,"time":0,"msg":"x"}', true)).toBe(
    '00:00:00.000 \u001b[31mERROR\u001b[0m x\n',
  );
});

it("the desk's order events are logged with the trigger as correlation id and the decision as causation id", async () => {
  const { lines, stream } = capture();
  const log = createLogger({ level: 'debug', format: 'json', stream });
  const d = sandboxDesk();
  logBusEvents(d.desk.bus, log);
  await d.desk.start();
  await d.steps(800);
  await d.close();
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const submitted = records.filter((r) => r.event === 'order.submitted');
  expect(submitted.length).toBeGreaterThan(0);
  for (const r of submitted) {
    expect(typeof r.correlationId).toBe('string');
    expect(r.causationId).toMatch(/^d-\d+$/);
    expect(r.eventId).toMatch(/^desk-evt-\d+$/);
    // The order is attributed to the decision that caused it.
    const order = (r.payload as { order: { attribution?: { decisionId: string } } }).order;
    expect(order.attribution?.decisionId).toBe(r.causationId);
  }
  // At info only the notable events are logged (denials), never the routine flow.
  const quiet = capture();
  const d2 = sandboxDesk();
  logBusEvents(d2.desk.bus, createLogger({ level: 'info', format: 'json', stream: quiet.stream }));
  await d2.desk.start();
  await d2.steps(800);
  await d2.close();
  const events = quiet.lines.map((l) => (JSON.parse(l) as { event: string }).event);
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) expect(e).toMatch(/denied|rejected|unknown|halt|breaker/);
}, 120_000);
