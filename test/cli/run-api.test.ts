import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastJsonLine, runCli, runCliAsync, tempDir } from '../helpers/cli.ts';

async function until<T>(read: () => T | undefined, ms: number): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() - start > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('concord run serves the operator API', () => {
  it('serves /health and the desk while it runs, takes a halt from an operator key, never prints the key to stdout or the journal', async () => {
    const dir = join(tempDir(), 'journal');
    const child = runCliAsync([
      'run',
      '--journal',
      dir,
      '--duration',
      '1h',
      '--speed',
      '10',
      '--api-port',
      '0',
      '--json',
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      const url = await until(() => /API (http:\/\/127\.0\.0\.1:\d+) /.exec(stderr)?.[1], 30_000);
      const key = await until(() => /first-run operator key.*: (\S+)\n/.exec(stderr)?.[1], 10_000);
      expect(url).not.toMatch(/:7070$/); // --api-port 0: a free port
      const auth = { authorization: `Bearer ${key}` };

      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      const agents = await fetch(`${url}/api/agents`, { headers: auth });
      expect(agents.status).toBe(200);
      const list = (await agents.json()) as { agents: { id: string }[] };
      expect(list.agents.map((a) => a.id)).toContain('momentum-fast');
      expect((await fetch(`${url}/api/agents`)).status).toBe(401);

      const halt = await fetch(`${url}/api/safety/halt`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'api test' }),
      });
      expect(halt.status).toBeLessThan(300);
      const risk = (await (await fetch(`${url}/api/risk/metrics`, { headers: auth })).json()) as {
        tradingState: string;
        halted: boolean;
      };
      expect(risk.tradingState).toBe('HALTED');
      expect(risk.halted).toBe(true);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const summary = lastJsonLine(stdout);
      expect(summary.api).toEqual({ url });
      expect(summary.tradingState).toBe('HALTED');
      expect(stdout).not.toContain(key);
      for (const file of filesUnder(dir)) expect(readFileSync(file).includes(key), file).toBe(false);
      expect(statSync(join(dir, 'api-keys.json')).mode & 0o077).toBe(0);
      // The halt went through the command port: journaled with the operator, replay agrees.
      expect(runCli(['replay', dir]).code).toBe(0);
      // The server is closed with the run.
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('a port in use falls back to a free port, with a notice; the run is not disturbed', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const dir = join(tempDir(), 'journal');
      const child = runCliAsync([
        'run',
        '--journal',
        dir,
        '--duration',
        '5s',
        '--speed',
        'max',
        '--api-port',
        String(port),
        '--json',
      ]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code).toBe(0);
      expect(stderr).toContain(`API port ${port} is in use; serving on a free port instead`);
      const url = (lastJsonLine(stdout).api as { url: string }).url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toBe(`http://127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('--no-api serves nothing and prints no key', () => {
    const dir = join(tempDir(), 'journal');
    const r = runCli(['run', '--journal', dir, '--duration', '5s', '--speed', 'max', '--no-api', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(lastJsonLine(r.stdout).api).toBeUndefined();
    expect(() => statSync(join(dir, 'api-keys.json'))).toThrow();
  }, 60_000);

  it('refuses an --api-port out of range as bad usage', () => {
    const r = runCli(['run', '--journal', join(tempDir(), 'j'), '--api-port', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONCORD_ERR_CONFIG_INVALID');
  });
});
