/**
 * An API server over a real sandbox journal (a short run with filled and denied orders), a keys
 * file with one key per role, and a command sink that keeps what it was handed.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  addKey,
  createApiServer,
  journalDeskView,
  journalDirSource,
  type OperatorCommand,
  type RateLimit,
  readKeysFile,
} from '../../src/api/index.ts';
import { type SandboxJournal, sandboxJournal } from '../analysis/fixture.ts';
import { tempDir } from '../helpers/cli.ts';

export interface ApiFixture {
  readonly app: FastifyInstance;
  readonly journal: SandboxJournal;
  readonly keys: { viewer: string; operator: string; admin: string };
  readonly keysFile: string;
  readonly commands: OperatorCommand[];
}

let shared: Promise<SandboxJournal> | undefined;

/** One sandbox journal for every API test in a file (a 60 s simulated run, ≈0.5 s). */
export function apiJournal(): Promise<SandboxJournal> {
  shared ??= sandboxJournal({ durationMs: 60_000 });
  return shared;
}

export async function apiFixture(
  options: { rateLimit?: RateLimit; now?: () => number } = {},
): Promise<ApiFixture> {
  const journal = await apiJournal();
  const keysFile = join(tempDir('concord-keys-'), 'keys.json');
  const keys = {
    viewer: addKey(keysFile, 'viewer', 'watcher').key,
    operator: addKey(keysFile, 'operator', 'alice').key,
    admin: addKey(keysFile, 'admin', 'root').key,
  };
  const commands: OperatorCommand[] = [];
  const source = journalDirSource(journal.dir);
  const app = await createApiServer({
    desk: journalDeskView(source),
    journal: source,
    commands: { submit: (c) => void commands.push(c) },
    keys: readKeysFile(keysFile).keys,
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  await app.ready();
  return { app, journal, keys, keysFile, commands };
}

export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}
