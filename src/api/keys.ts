/**
 * API keys: `concord_<id>_<secret>`, 12 hex digits of id and 32 random bytes of secret. The keys
 * file keeps, per key, its id, name, role, a random salt and sha256(salt ‖ secret): never the key.
 * A 256-bit random secret cannot be guessed, so a slow hash (scrypt) would buy nothing but a
 * slower request (docs/adr/0012-api-keys.md). The file is written 0600 and refused when others
 * can read it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { ConcordError } from '../core/index.ts';
import type { Role } from './view.ts';

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` may do what `needed` may. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export interface StoredKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly salt: string;
  readonly hash: string;
}

export interface KeysFile {
  readonly version: 1;
  readonly keys: readonly StoredKey[];
}

const KEY_RE = /^concord_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const HEX_RE = /^[0-9a-f]+$/;

function digest(salt: string, secret: string): Buffer {
  return createHash('sha256').update(Buffer.from(salt, 'hex')).update(secret, 'utf8').digest();
}

/** A new key (the only time its secret exists) and what the keys file keeps of it. */
export function createKey(role: Role, name: string): { key: string; stored: StoredKey } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  return {
    key: `concord_${id}_${secret}`,
    stored: { id, name, role, salt, hash: digest(salt, secret).toString('hex') },
  };
}

/** The stored key `key` is, or undefined (malformed, unknown id, wrong secret). Constant time in the secret. */
export function verifyKey(keys: readonly StoredKey[], key: string): StoredKey | undefined {
  const m = KEY_RE.exec(key);
  if (m === null) return undefined;
  const stored = keys.find((k) => k.id === m[1]);
  if (stored === undefined) return undefined;
  const expected = Buffer.from(stored.hash, 'hex');
  const actual = digest(stored.salt, m[2] ?? '');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? stored : undefined;
}

function fileError(path: string, message: string, cause?: unknown): ConcordError {
  return new ConcordError('CONCORD_ERR_API_KEYS_FILE', `${path}: ${message}`, {
    details: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Reads a keys file; refuses one that is malformed or that anyone but its owner can read or write. */
export function readKeysFile(path: string): KeysFile {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw fileError(path, 'not a regular file');
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new ConcordError(
        'CONCORD_ERR_API_KEYS_FILE_MODE',
        `${path} can be read or written by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`,
        { details: { path, mode: (st.mode & 0o777).toString(8) } },
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConcordError) throw error;
    throw fileError(path, 'cannot be read', error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw fileError(path, 'is not JSON', error);
  }
  const file = parsed as { version?: unknown; keys?: unknown };
  if (file === null || typeof file !== 'object' || file.version !== 1 || !Array.isArray(file.keys)) {
    throw fileError(path, 'is not a Concord keys file ({"version": 1, "keys": [...]})');
  }
  const keys: StoredKey[] = [];
  for (const k of file.keys as unknown[]) {
    const s = k as Record<string, unknown>;
    if (
      s === null ||
      typeof s !== 'object' ||
      typeof s.id !== 'string' ||
      !/^[0-9a-f]{12}$/.test(s.id) ||
      typeof s.name !== 'string' ||
      !isRole(s.role) ||
      typeof s.salt !== 'string' ||
      !HEX_RE.test(s.salt) ||
      typeof s.hash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(s.hash)
    ) {
      throw fileError(path, `key #${keys.length + 1} is malformed (id, name, role, salt, hash)`);
    }
    keys.push({ id: s.id, name: s.name, role: s.role, salt: s.salt, hash: s.hash });
  }
  return { version: 1, keys };
}

/** Adds a key to the file at `path` (created 0600 when missing); returns the key, shown once. */
export function addKey(path: string, role: Role, name: string): { key: string; stored: StoredKey } {
  const existing = existsSync(path) ? readKeysFile(path).keys : [];
  const created = createKey(role, name);
  const file: KeysFile = { version: 1, keys: [...existing, created.stored] };
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (error) {
    throw fileError(path, 'cannot be written', error);
  }
  return created;
}
