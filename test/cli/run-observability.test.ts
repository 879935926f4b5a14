/**
 * `concord run` with --log-level/--log-format/--log-file/--otlp-endpoint: JSON logs in the file
 * carrying correlation and causation ids and no API key, tick spans at a loopback OTLP/HTTP
 * server; by default (warn) stderr holds nothing but the API's lines; a bad level is exit 2.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli, runCliAsync, stderrBesidesApi, tempDir } from '../helpers/cli.ts';

it('logs to a file as JSON with envelope ids, no key, and sends tick spans to the OTLP endpoint', async () => {
  const names: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
      };
      for (const r of body.resourceSpans)
        for (const s of r.scopeSpans) for (const x of s.spans) names.push(x.name);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tmp = tempDir();
  const logFile = join(tmp, 'logs', 'run.log');
  const child = runCliAsync([
    'run',
    '--journal',
    join(tmp, 'journal'),
    '--duration',
    '2m',
    '--speed',
    'max',
    '--api-port',
    '0',
    '--json',
    '--log-level',
    'debug',
    '--log-file',
    logFile,
    '--otlp-endpoint',
    endpoint,
  ]);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdout.resume();
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  await new Promise<void>((r) => server.close(() => r()));
  expect(code, stderr).toBe(0);
  const key = /first-run operator key .*\): (\S+)$/m.exec(stderr)?.[1] ?? '';
  expect(key.length).toBeGreaterThan(10);
  const text = readFileSync(logFile, 'utf8');
  expect(text).not.toContain(key);
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.some((l) => l.msg === 'desk started' && l.service === 'concord')).toBe(true);
  const orders = lines.filter((l) => l.event === 'order.submitted');
  expect(orders.length).toBeGreaterThan(0);
  expect(orders[0]).toMatchObject({ component: 'desk', causationId: expect.stringMatching(/^d-\d+$/) });
  expect(typeof orders[0]?.correlationId).toBe('string');
  expect(names).toContain('concord.tick');
  expect(names).toContain('concord.agent.think');
  expect(names).toContain('concord.order.submit');
  // Logs went to the file: stderr has only the API's lines.
  expect(stderrBesidesApi(stderr)).toBe('');
}, 120_000);

it('a bad --log-level or --log-format is a usage error naming the flag', () => {
  const r = runCli([
    'run',
    '--journal',
    join(tempDir(), 'j'),
    '--duration',
    '1s',
    '--no-api',
    '--log-level',
    'loud',
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--log-level');
  const f = runCli([
    'run',
    '--journal',
    join(tempDir(), 'j'),
    '--duration',
    '1s',
    '--no-api',
    '--log-format',
    'xml',
  ]);
  expect(f.code).toBe(2);
  expect(f.stderr).toContain('--log-format');
});
