/**
 * The operator API beside `concord run`: served over the running desk and its journal from the
 * moment the desk has started until the run ends. It never stops or slows the desk: a keys file
 * that cannot be read or an address that cannot be bound is reported on stderr and the run goes
 * on without the API; a failing request is answered 500 and logged on stderr. A port in use falls
 * back to a free port, with a notice. A missing keys file is created (0600) with one operator key,
 * printed once on stderr (never on stdout, in --json output or in the journal). See docs/api.md.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger } from 'fastify';
import {
  addKey,
  createApiServer,
  deskCommandSink,
  listenApi,
  liveDeskView,
  liveJournalSource,
  readKeysFile,
  type StoredKey,
} from '../api/index.ts';
import { ConcordError, toConcordError } from '../core/index.ts';
import type { SqliteJournal } from '../journal/index.ts';
import type { Desk } from '../kernel/index.ts';
import type { Out } from './output.ts';

export interface RunApiOptions {
  readonly host: string;
  readonly port: number;
  readonly keysPath: string;
  readonly journalDir: string;
  /** The run's logger (pino), used as the API's request logger. */
  readonly logger?: FastifyBaseLogger;
}

export interface RunApi {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The built dashboard: dist/dashboard beside the compiled CLI (dist/cli/serve.js), or, when the
 * sources run through tsx, the checkout's dist/dashboard. Undefined when neither exists.
 */
export function dashboardDir(): string | undefined {
  for (const rel of ['../dashboard', '../../dist/dashboard']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/index.html`)) return dir;
  }
  return undefined;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function report(out: Out, error: unknown, what: string): void {
  const e = toConcordError(error);
  out.err(
    `${out.paint('yellow', 'warning')} ${e.code}: ${what}: ${e.shortMessage}; the desk runs on without it`,
  );
}

/** Starts the API over a running desk; undefined (after a warning on stderr) when it cannot. */
export async function serveRunApi(
  desk: Desk,
  journal: SqliteJournal,
  options: RunApiOptions,
  out: Out,
): Promise<RunApi | undefined> {
  let keys: readonly StoredKey[];
  let firstKey: string | undefined;
  try {
    if (existsSync(options.keysPath)) keys = readKeysFile(options.keysPath).keys;
    else {
      mkdirSync(dirname(options.keysPath), { recursive: true });
      const created = addKey(options.keysPath, 'operator', 'first-run operator');
      keys = [created.stored];
      firstKey = created.key;
    }
  } catch (error) {
    report(out, error, 'the operator API is not served');
    return undefined;
  }
  let app: Awaited<ReturnType<typeof createApiServer>>;
  const dashboard = dashboardDir();
  try {
    const source = liveJournalSource(journal, options.journalDir);
    app = await createApiServer({
      desk: liveDeskView(desk, { journal: source }),
      journal: source,
      commands: deskCommandSink(desk),
      keys,
      ...(dashboard === undefined ? {} : { dashboardDir: dashboard }),
      ...(options.logger === undefined ? {} : { loggerInstance: options.logger }),
    });
    app.addHook('onError', async (_request, _reply, error) => {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === undefined || status >= 500) {
        const e = toConcordError(error);
        out.err(`${out.paint('yellow', 'warning')} API request failed: ${e.code}: ${e.shortMessage}`);
      }
    });
  } catch (error) {
    report(out, error, 'the operator API is not served');
    return undefined;
  }
  let url: string;
  try {
    try {
      url = await listenApi(app, { host: options.host, port: options.port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port === 0) throw error;
      url = await listenApi(app, { host: options.host, port: 0 });
      out.err(`API port ${options.port} is in use; serving on a free port instead`);
    }
  } catch (error) {
    await app.close().catch(() => undefined);
    report(
      out,
      new ConcordError(
        'CONCORD_ERR_API_LISTEN',
        `cannot listen on ${options.host}:${options.port}: ${error instanceof Error ? error.message : String(error)}`,
        { details: { host: options.host, port: options.port }, cause: error },
      ),
      'the operator API is not served',
    );
    return undefined;
  }
  if (!isLoopback(options.host))
    out.err(
      `${out.paint('yellow', 'warning')} the API listens on ${options.host}, reachable from other machines; keep its keys secret`,
    );
  out.err(
    `API ${url} (${dashboard === undefined ? 'dashboard not built: npm run build' : `dashboard at ${url}/`}, docs at ${url}/docs; keys in ${options.keysPath})`,
  );
  if (firstKey !== undefined)
    out.err(
      `API first-run operator key (shown once, stored hashed; send it as "Authorization: Bearer <key>"): ${firstKey}`,
    );
  let closed: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closed ??= app.close().then(
        () => undefined,
        (error: unknown) => report(out, error, 'closing the operator API'),
      );
      return closed;
    },
  };
}
