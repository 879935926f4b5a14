/**
 * Auth on by default: keys with roles stored hashed in a 0600 file, 401 without a valid key, 403
 * for a viewer on a mutating route, the operator's identity handed to the command sink, a per-key
 * rate limit, and no CORS headers.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, createKey, listenApi, readKeysFile, verifyKey } from '../../src/api/index.ts';
import { isConcordError } from '../../src/core/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { type ApiFixture, apiFixture, bearer } from './fixture.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
}, 120_000);
afterAll(async () => {
  await f?.app.close();
});

describe('keys', () => {
  it('the keys file is 0600 and holds salted hashes, never a key', () => {
    expect(statSync(f.keysFile).mode & 0o777).toBe(0o600);
    const text = readFileSync(f.keysFile, 'utf8');
    for (const key of Object.values(f.keys)) {
      const secret = key.slice('concord_'.length + 13);
      expect(secret.length).toBe(43);
      expect(text).not.toContain(secret);
    }
    const stored = readKeysFile(f.keysFile).keys;
    expect(stored.map((k) => k.role)).toEqual(['viewer', 'operator', 'admin']);
    expect(new Set(stored.map((k) => k.salt)).size).toBe(3);
  });

  it('a key verifies; the same id with another secret does not', () => {
    const { key, stored } = createKey('viewer', 'v');
    expect(verifyKey([stored], key)?.id).toBe(stored.id);
    const other = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(verifyKey([stored], other)).toBeUndefined();
    expect(verifyKey([stored], 'concord_short')).toBeUndefined();
  });

  it('a keys file others can read is refused with a code', () => {
    const file = join(tempDir('concord-keys-'), 'keys.json');
    addKey(file, 'viewer', 'v');
    chmodSync(file, 0o644);
    let code = '';
    try {
      readKeysFile(file);
    } catch (e) {
      code = isConcordError(e) ? e.code : 'uncoded';
    }
    expect(code).toBe('CONCORD_ERR_API_KEYS_FILE_MODE');
    writeFileSync(file, '{"version":1,"keys":[{"id":"zz"}]}', { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(() => readKeysFile(file)).toThrow(/CONCORD_ERR_API_KEYS_FILE/);
  });
});

describe('authentication and roles', () => {
  it('no key, a malformed header or an unknown key → 401 with a code, on reads and mutations', async () => {
    const unknown = createKey('admin', 'x').key;
    for (const headers of [{}, { authorization: 'Basic abc' }, bearer(unknown), bearer('')]) {
      for (const [method, url] of [
        ['GET', '/api/agents'],
        ['GET', '/metrics'],
        ['POST', '/api/safety/halt'],
        ['GET', '/api/no-such-route'],
      ] as const) {
        const r = await f.app.inject({
          method,
          url,
          headers,
          ...(method === 'POST' ? { payload: { reason: 'x' } } : {}),
        });
        expect(r.statusCode, `${method} ${url}`).toBe(401);
        expect(r.json()).toMatchObject({ code: 'CONCORD_ERR_API_UNAUTHORIZED' });
      }
    }
    expect(f.commands).toEqual([]);
  });

  it('a viewer may read but not halt or resume (403, nothing reaches the desk)', async () => {
    expect((await f.app.inject({ url: '/api/agents', headers: bearer(f.keys.viewer) })).statusCode).toBe(200);
    for (const url of ['/api/safety/halt', '/api/safety/resume']) {
      const r = await f.app.inject({
        method: 'POST',
        url,
        headers: bearer(f.keys.viewer),
        payload: { reason: 'x' },
      });
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ code: 'CONCORD_ERR_API_FORBIDDEN' });
    }
    expect(f.commands).toEqual([]);
  });

  it('an operator halts (with flatten) and resumes; the sink gets who did it', async () => {
    const halt = await f.app.inject({
      method: 'POST',
      url: '/api/safety/halt',
      headers: bearer(f.keys.operator),
      payload: { reason: 'volatility', flatten: true },
    });
    expect(halt.statusCode).toBe(202);
    expect(halt.json()).toEqual({ accepted: true, command: 'halt', operator: 'alice' });
    const resume = await f.app.inject({
      method: 'POST',
      url: '/api/safety/resume',
      headers: bearer(f.keys.admin),
      payload: { reason: 'calm again' },
    });
    expect(resume.statusCode).toBe(202);
    const operatorId = readKeysFile(f.keysFile).keys.find((k) => k.name === 'alice')?.id;
    expect(f.commands).toEqual([
      {
        kind: 'halt',
        reason: 'volatility',
        flatten: true,
        operator: { keyId: operatorId, name: 'alice', role: 'operator' },
      },
      {
        kind: 'resume',
        reason: 'calm again',
        operator: expect.objectContaining({ name: 'root', role: 'admin' }),
      },
    ]);
  });

  it('halt without flatten defaults to false; a missing reason is 400 with a code', async () => {
    f.commands.length = 0;
    const ok = await f.app.inject({
      method: 'POST',
      url: '/api/safety/halt',
      headers: bearer(f.keys.operator),
      payload: { reason: 'manual' },
    });
    expect(ok.statusCode).toBe(202);
    expect(f.commands[0]).toMatchObject({ kind: 'halt', flatten: false });
    const bad = await f.app.inject({
      method: 'POST',
      url: '/api/safety/halt',
      headers: bearer(f.keys.operator),
      payload: { flatten: true },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'CONCORD_ERR_API_BAD_REQUEST' });
    expect(f.commands.length).toBe(1);
  });

  it('agent commands: no key 401, viewer 403, unknown agent 404, operator 202 with who did it', async () => {
    f.commands.length = 0;
    const listed = await f.app.inject({ url: '/api/agents', headers: bearer(f.keys.viewer) });
    const agentId = (listed.json() as { agents: { id: string }[] }).agents[0]?.id ?? '';
    expect(agentId).not.toBe('');
    for (const action of ['start', 'stop', 'quarantine']) {
      const url = `/api/agents/${agentId}/${action}`;
      const none = await f.app.inject({ method: 'POST', url, payload: { reason: 'x' } });
      expect(none.statusCode, url).toBe(401);
      expect(none.json()).toMatchObject({ code: 'CONCORD_ERR_API_UNAUTHORIZED' });
      const viewer = await f.app.inject({
        method: 'POST',
        url,
        headers: bearer(f.keys.viewer),
        payload: { reason: 'x' },
      });
      expect(viewer.statusCode, url).toBe(403);
      expect(viewer.json()).toMatchObject({ code: 'CONCORD_ERR_API_FORBIDDEN' });
    }
    expect(f.commands).toEqual([]);
    const unknown = await f.app.inject({
      method: 'POST',
      url: '/api/agents/no-such-agent/stop',
      headers: bearer(f.keys.operator),
      payload: { reason: 'x' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'CONCORD_ERR_API_NOT_FOUND' });
    const extra = await f.app.inject({
      method: 'POST',
      url: `/api/agents/${agentId}/stop`,
      headers: bearer(f.keys.operator),
      payload: { reason: 'x', force: true },
    });
    expect(extra.statusCode).toBe(400);
    expect(f.commands).toEqual([]);
    const ok = await f.app.inject({
      method: 'POST',
      url: `/api/agents/${agentId}/quarantine`,
      headers: bearer(f.keys.operator),
      payload: { reason: 'suspect' },
    });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ accepted: true, command: 'agent quarantine', operator: 'alice' });
    expect(f.commands).toEqual([
      {
        kind: 'agent',
        agentId,
        action: 'quarantine',
        reason: 'suspect',
        operator: expect.objectContaining({ name: 'alice', role: 'operator' }),
      },
    ]);
  });

  it('a command the desk refuses is answered 409 with the desk code', async () => {
    const {
      createApiServer,
      journalDeskView,
      journalDirSource,
      readKeysFile: read,
    } = await import('../../src/api/index.ts');
    const { ConcordError } = await import('../../src/core/index.ts');
    const source = journalDirSource(f.journal.dir);
    const app = await createApiServer({
      desk: journalDeskView(source),
      journal: source,
      commands: {
        submit: () => {
          throw new ConcordError('CONCORD_ERR_DESK_NOT_HALTED', 'the desk is not halted');
        },
      },
      keys: read(f.keysFile).keys,
    });
    const r = await app.inject({
      method: 'POST',
      url: '/api/safety/resume',
      headers: bearer(f.keys.operator),
      payload: { reason: 'x' },
    });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toEqual({ code: 'CONCORD_ERR_DESK_NOT_HALTED', message: 'the desk is not halted' });
    await app.close();
  });
});

describe('rate limit and CORS', () => {
  it('a key beyond its burst gets 429 with a code; it recovers as time passes; other keys are not affected', async () => {
    let t = 0;
    const g = await apiFixture({ rateLimit: { burst: 3, perSecond: 1 }, now: () => t });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++)
        codes.push(
          (await g.app.inject({ url: '/api/strategies', headers: bearer(g.keys.viewer) })).statusCode,
        );
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const limited = await g.app.inject({ url: '/api/strategies', headers: bearer(g.keys.viewer) });
      expect(limited.json()).toMatchObject({ code: 'CONCORD_ERR_API_RATE_LIMITED' });
      expect(limited.headers['retry-after']).toBe('1');
      expect((await g.app.inject({ url: '/api/strategies', headers: bearer(g.keys.admin) })).statusCode).toBe(
        200,
      );
      t += 1000;
      expect(
        (await g.app.inject({ url: '/api/strategies', headers: bearer(g.keys.viewer) })).statusCode,
      ).toBe(200);
    } finally {
      await g.app.close();
    }
  });

  it('no CORS headers: a cross-origin preflight and read get no Access-Control-Allow-Origin', async () => {
    const preflight = await f.app.inject({
      method: 'OPTIONS',
      url: '/api/safety/halt',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBeGreaterThanOrEqual(400);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await f.app.inject({
      url: '/api/agents',
      headers: { ...bearer(f.keys.viewer), origin: 'https://evil.example' },
    });
    expect(read.statusCode).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('binding', () => {
  it('listens on 127.0.0.1 unless told otherwise, and answers over a real socket', async () => {
    const url = await listenApi(f.app, { port: 0 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const address = f.app.server.address();
    expect(typeof address === 'object' && address !== null ? address.address : '').toBe('127.0.0.1');
    const anonymous = await fetch(`${url}/api/agents`);
    expect(anonymous.status).toBe(401);
    const ok = await fetch(`${url}/api/agents`, { headers: bearer(f.keys.viewer) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { agents: unknown[] }).agents.length).toBeGreaterThan(0);
  });
});
