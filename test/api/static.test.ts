/**
 * The dashboard's static handler: `/` and `/assets/<file>` from the built folder with content
 * types, cache headers and a strict CSP; nothing outside the folder is reachable; without a build
 * `/` is a coded 503 and the API works on. Plus the simulation toggle's route.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addKey,
  createApiServer,
  journalDeskView,
  journalDirSource,
  type OperatorCommand,
  readKeysFile,
} from '../../src/api/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { apiFixture, apiJournal, bearer } from './fixture.ts';

async function server(dashboardDir: string | undefined) {
  const journal = await apiJournal();
  const keysFile = join(tempDir('concord-keys-'), 'keys.json');
  const viewer = addKey(keysFile, 'viewer', 'watcher').key;
  const source = journalDirSource(journal.dir);
  const app = await createApiServer({
    desk: journalDeskView(source),
    journal: source,
    commands: { submit: () => undefined },
    keys: readKeysFile(keysFile).keys,
    ...(dashboardDir === undefined ? {} : { dashboardDir }),
  });
  await app.ready();
  return { app, viewer };
}

describe('the dashboard at /', () => {
  it('answers 503 CONCORD_ERR_API_DASHBOARD_NOT_BUILT when not built, and the API works on', async () => {
    const { app, viewer } = await server(undefined);
    const r = await app.inject({ url: '/' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ code: 'CONCORD_ERR_API_DASHBOARD_NOT_BUILT' });
    expect(r.json().message).toContain('npm run build');
    expect((await app.inject({ url: '/api/agents', headers: bearer(viewer) })).statusCode).toBe(200);
    await app.close();
  });

  it('serves index.html and hashed assets with types, cache headers and a CSP; nothing outside the folder', async () => {
    const dir = tempDir('concord-dash-');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Concord desk</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(dir, 'secret.txt'), 'not served');
    const { app } = await server(dir);
    const index = await app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(String(index.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.body).toContain('Concord desk');
    const js = await app.inject({ url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ url: '/assets/index-abc123.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    for (const url of [
      '/assets/..%2Fsecret.txt',
      '/assets/%2E%2E%2Fsecret.txt',
      '/assets/../secret.txt',
      '/assets/..%5Csecret.txt',
      '/assets/nope.js',
      '/assets/.hidden',
    ]) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, url).toBeLessThan(500);
      expect(r.body, url).not.toContain('not served');
    }
    // A file the folder does not hold under assets/ is never served, whatever the path.
    expect((await app.inject({ url: '/secret.txt' })).statusCode).toBe(401);
    await app.close();
  });
});

describe('POST /api/safety/simulation', () => {
  it('needs operator; hands the command with who sent it to the desk', async () => {
    const f = await apiFixture();
    const body = { enabled: true, reason: 'stay simulated' };
    const viewer = await f.app.inject({
      method: 'POST',
      url: '/api/safety/simulation',
      headers: bearer(f.keys.viewer),
      payload: body,
    });
    expect(viewer.statusCode).toBe(403);
    const bad = await f.app.inject({
      method: 'POST',
      url: '/api/safety/simulation',
      headers: bearer(f.keys.operator),
      payload: { enabled: 'yes', reason: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    const r = await f.app.inject({
      method: 'POST',
      url: '/api/safety/simulation',
      headers: bearer(f.keys.operator),
      payload: body,
    });
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ accepted: true, command: 'simulation', operator: 'alice' });
    expect(f.commands).toHaveLength(1);
    const c = f.commands[0] as Extract<OperatorCommand, { kind: 'simulation' }>;
    expect(c).toMatchObject({ kind: 'simulation', enabled: true, reason: 'stay simulated' });
    expect(c.operator.name).toBe('alice');
    await f.app.close();
  });
});
