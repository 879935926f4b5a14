/**
 * Serves the built dashboard (`npm run build` writes it to dist/dashboard): `/` is its
 * index.html, `/assets/<file>` its hashed bundles. Only files found by listing the folder are
 * served (a name is looked up, never joined into a path), so no request can reach outside it.
 * The page holds no data (it asks for an API key and reads the API), so it needs no key. When the
 * dashboard is not built, `/` answers 503 `CONCORD_ERR_API_DASHBOARD_NOT_BUILT` and the API works on.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { monotonicMs } from '../core/index.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Same origin only: no external scripts, styles, fonts or fetches; never framed. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function notBuilt(reply: FastifyReply, dir: string | undefined) {
  return reply.status(503).send({
    code: 'CONCORD_ERR_API_DASHBOARD_NOT_BUILT',
    message: `the dashboard is not built${dir === undefined ? '' : ` (nothing at ${dir})`}: run npm run build; the API works without it`,
  });
}

/** Registers `/` and `/assets/:file` (public). */
export function registerDashboard(app: FastifyInstance, dir: string | undefined): void {
  let assets = new Map<string, string>();
  let scannedAt = Number.NEGATIVE_INFINITY;
  const cache = new Map<string, Buffer>();
  const scan = () => {
    // At most once a second: a flood of unknown names does not become a flood of directory reads.
    const now = monotonicMs();
    if (now - scannedAt < 1000) return;
    scannedAt = now;
    const next = new Map<string, string>();
    const folder = dir === undefined ? undefined : join(dir, 'assets');
    if (folder !== undefined && existsSync(folder)) {
      for (const name of readdirSync(folder)) {
        const path = join(folder, name);
        if (SAFE_NAME.test(name) && statSync(path).isFile()) next.set(name, path);
      }
    }
    assets = next;
  };
  const security = (reply: FastifyReply) =>
    reply
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    const index = dir === undefined ? undefined : join(dir, 'index.html');
    if (index === undefined || !existsSync(index)) return notBuilt(reply, dir);
    security(reply);
    return reply
      .type(TYPES['.html'] as string)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .send(readFileSync(index));
  });

  app.get<{ Params: { file: string } }>(
    '/assets/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const name = request.params.file;
      if (!SAFE_NAME.test(name) || name.includes('..'))
        return reply.status(404).send({ code: 'CONCORD_ERR_API_NOT_FOUND', message: 'no such asset' });
      if (dir === undefined || !existsSync(dir)) return notBuilt(reply, dir);
      if (!assets.has(name)) scan();
      const path = assets.get(name);
      if (path === undefined)
        return reply
          .status(404)
          .send({ code: 'CONCORD_ERR_API_NOT_FOUND', message: `no asset ${JSON.stringify(name)}` });
      let body = cache.get(name);
      if (body === undefined) {
        body = readFileSync(path);
        if (cache.size < 256) cache.set(name, body);
      }
      security(reply);
      return reply
        .type(TYPES[extname(name)] ?? 'application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(body);
    },
  );
}
