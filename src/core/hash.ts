/**
 * Canonical serialisation and hashing. Two equal values always serialise to the
 * same bytes (object keys sorted, Decimals and bigints as strings, no undefined),
 * which is what makes journal hashes comparable across runs and machines.
 */
import { createHash } from 'node:crypto';
import { Decimal } from './decimal.ts';
import { ConcordError } from './errors.ts';

export function canonicalJson(value: unknown): string {
  return serialize(value);
}

function serialize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new ConcordError('CONCORD_ERR_CANONICAL_JSON', 'cannot serialise a non-finite number', {
          details: { value: String(value) },
        });
      }
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'undefined':
      return 'null';
    case 'object': {
      if (value instanceof Decimal) return JSON.stringify(value.toString());
      if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
      const obj = value as Record<string, unknown>;
      if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
        return serialize((obj as { toJSON: () => unknown }).toJSON());
      }
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(k)}:${serialize(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new ConcordError('CONCORD_ERR_CANONICAL_JSON', `cannot serialise a ${typeof value}`);
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export const GENESIS_HASH = '0'.repeat(64);
