/** Hash-chain arithmetic shared by writers and the verifier. */
import { hash } from 'node:crypto';
import type { ChainBreak } from './types.ts';

/**
 * sha256 hex of prevHash, seq, ts, type and payloadJson joined by newlines: the same digest as
 * core's sha256Hex, but the one-shot crypto.hash is 2-3x faster than createHash on this hot path.
 */
export function recordHash(
  prevHash: string,
  seq: number,
  ts: number,
  type: string,
  payloadJson: string,
): string {
  return hash('sha256', prevHash + '\n' + seq + '\n' + ts + '\n' + type + '\n' + payloadJson, 'hex');
}

/** A row as read back from storage; anything may be wrong with it. */
export interface StoredRow {
  readonly seq: unknown;
  readonly ts: unknown;
  readonly type: unknown;
  readonly payload: unknown;
  readonly prev_hash: unknown;
  readonly hash: unknown;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A stored row as positional values (seq, ts, type, payload, prev_hash, hash): a raw read, no object per row. */
export type StoredValues = readonly unknown[];

/**
 * Checks one stored row against the chain so far. Returns the first problem, or
 * undefined when the row is the expected next link.
 */
export function checkRow(
  row: StoredRow,
  expectedSeq: number,
  expectedPrevHash: string,
): ChainBreak | undefined {
  return checkValues(
    [row.seq, row.ts, row.type, row.payload, row.prev_hash, row.hash],
    expectedSeq,
    expectedPrevHash,
  );
}

/**
 * checkRow over positional values. The payload is not parsed: its hash already proves it is
 * the canonical JSON the writer hashed, and parsing costs more than hashing on a long journal.
 * A payload that hashes right yet is not JSON can only be a forgery that recomputed the hash,
 * which no chain check can tell from a real record; readers still refuse it when they parse it.
 */
export function checkValues(
  row: StoredValues,
  expectedSeq: number,
  expectedPrevHash: string,
): ChainBreak | undefined {
  const [seq, ts, type, payload, prevHash, hash] = row;
  if (
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq) ||
    typeof ts !== 'number' ||
    !Number.isFinite(ts) ||
    typeof type !== 'string' ||
    typeof payload !== 'string' ||
    typeof prevHash !== 'string' ||
    typeof hash !== 'string' ||
    !HEX64.test(prevHash) ||
    !HEX64.test(hash)
  ) {
    return {
      seq: typeof seq === 'number' ? seq : expectedSeq,
      reason: 'malformed',
      actual: describeRow({ seq, ts, type, payload, prev_hash: prevHash, hash }),
    };
  }
  if (seq !== expectedSeq)
    return { seq: expectedSeq, reason: 'seq-gap', expected: String(expectedSeq), actual: String(seq) };
  if (prevHash !== expectedPrevHash) {
    return { seq, reason: 'prev-hash-mismatch', expected: expectedPrevHash, actual: prevHash };
  }
  const recomputed = recordHash(prevHash, seq, ts, type, payload);
  if (recomputed !== hash) return { seq, reason: 'hash-mismatch', expected: recomputed, actual: hash };
  return undefined;
}

function describeRow(row: StoredRow): string {
  return Object.entries(row)
    .map(([k, v]) => `${k}: ${typeof v}`)
    .join(', ');
}

export function describeBreak(b: ChainBreak): string {
  switch (b.reason) {
    case 'hash-mismatch':
      return `record ${b.seq} was changed after it was written: its stored hash does not match its contents`;
    case 'prev-hash-mismatch':
      return `record ${b.seq} does not link to record ${b.seq - 1}: a record before it was changed, removed or reordered`;
    case 'seq-gap':
      return `record ${b.seq} is missing (found ${b.actual} where ${b.expected} was expected)`;
    case 'malformed':
      return `record ${b.seq} is malformed (${b.actual ?? 'unexpected column types'})`;
    case 'unreadable':
      return `the journal could not be read at record ${b.seq}: ${b.actual ?? 'unknown storage error'}`;
  }
}
