/**
 * Exchange keys for a live desk: from the environment or from a key file the user names,
 * never from the desk config (which is journaled) and never echoed. Errors name the variable
 * or the file and what is wrong with it, never a value.
 *
 * Environment: CONCORD_<EXCHANGE>_API_KEY, _SECRET, _PASSWORD, _UID, and for Hyperliquid
 * (an API wallet, not the main wallet) _WALLET_ADDRESS and _PRIVATE_KEY.
 * Key file (`--keys-file`): one JSON object `{ "apiKey": "...", "secret": "..." }` (or those
 * fields under the exchange's id), a regular file of at most 64 KiB that only its owner can
 * read (mode 0600 or 0400): a key file others can read is refused.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConcordError } from '../core/index.ts';
import type { CcxtCredentials } from '../venues/ccxt/index.ts';

const FIELDS = {
  apiKey: 'API_KEY',
  secret: 'SECRET',
  password: 'PASSWORD',
  uid: 'UID',
  walletAddress: 'WALLET_ADDRESS',
  privateKey: 'PRIVATE_KEY',
} as const;

type Field = keyof typeof FIELDS;

/** The environment variable that holds `field` for `exchange`. */
export function secretEnvName(exchange: string, field: Field): string {
  return `CONCORD_${exchange.toUpperCase()}_${FIELDS[field]}`;
}

/** The account's keys: the key file's when one is named, else the environment's; undefined when none. */
export function loadCredentials(
  exchange: string,
  keysFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): CcxtCredentials | undefined {
  if (keysFile !== undefined) return fromFile(exchange, keysFile);
  const out: Partial<Record<Field, string>> = {};
  for (const field of Object.keys(FIELDS) as Field[]) {
    const value = env[secretEnvName(exchange, field)];
    if (value !== undefined && value !== '') out[field] = value;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function fromFile(exchange: string, path: string): CcxtCredentials {
  const fail = (problem: string) =>
    new ConcordError('CONCORD_ERR_SECRETS_FILE', `key file ${path}: ${problem}`, {
      details: { file: path, problem },
    });
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw fail('not a regular file');
    if (stat.size > 64 * 1024) throw fail('larger than 64 KiB');
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0)
      throw fail(
        `readable by others (mode ${(stat.mode & 0o777).toString(8)}); make it private: chmod 600 ${path}`,
      );
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConcordError) throw err;
    throw fail(`cannot be read (${(err as { code?: string }).code ?? 'error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Never the parser's message: it may quote the file's content.
    throw fail('not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('not one JSON object');
  const nested = (raw as Record<string, unknown>)[exchange];
  const obj = (typeof nested === 'object' && nested !== null ? nested : raw) as Record<string, unknown>;
  const out: Partial<Record<Field, string>> = {};
  for (const field of Object.keys(FIELDS) as Field[]) {
    const value = obj[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw fail(`field "${field}" must be a non-empty string`);
    out[field] = value;
  }
  if (Object.keys(out).length === 0)
    throw fail(`no keys in it (fields: ${Object.keys(FIELDS).join(', ')}, or the same under "${exchange}")`);
  return out;
}
