/**
 * Offline verification of a journal directory: walks every record from seq 1,
 * recomputes each hash from the stored bytes and checks links and contiguity.
 * Opens the file read-only and never changes it.
 *
 * A damaged journal is the answer, not an error: a broken chain, a cut-off tail or a
 * file SQLite reports as damaged returns `ok: false` (code CONCORD_ERR_JOURNAL_CORRUPT).
 * Everything that stops the check from being made is thrown as a coded error instead,
 * so it never reads as "broken": no journal (NOT_FOUND), not a journal (NOT_A_JOURNAL),
 * held by another process (LOCKED), a full disk (DISK_FULL), no access or I/O (OPEN).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ConcordError } from '../core/index.ts';
import { describeBreak } from './chain.ts';
import {
  checkSchema,
  inspectJournalFile,
  JOURNAL_FILE,
  LOCK_WAIT_MS,
  storageError,
  type VerifyProgress,
  walkChain,
} from './storage.ts';
import type { ChainBreak, VerifyResult } from './types.ts';

export interface VerifyOptions {
  /** Told how far the walk has got (long journals). */
  readonly onProgress?: VerifyProgress;
}

export function verifyJournal(dir: string, options: VerifyOptions = {}): VerifyResult {
  const path = join(dir, JOURNAL_FILE);
  let db: Database.Database | undefined;
  try {
    inspectJournalFile(dir, true);
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: LOCK_WAIT_MS });
    db.exec('BEGIN');
    checkSchema(db, path);
    const walk = walkChain(db, options.onProgress);
    return walk.ok ? walk : broken(walk.records, walk.firstBad);
  } catch (error) {
    const coded = storageError(path, error, 'read');
    // Damage found before the first record (a truncated file, a missing table) is still damage.
    if (coded.code === 'CONCORD_ERR_JOURNAL_CORRUPT') return broken(0, damageOf(coded));
    throw coded;
  } finally {
    try {
      db?.close();
    } catch {
      // Nothing to release on a handle that never opened properly.
    }
  }
}

function damageOf(error: ConcordError): ChainBreak {
  const d = error.details;
  // A chain break carries its own record; damage SQLite reported carries SQLite's words.
  if (d.condition === undefined && typeof d.seq === 'number' && typeof d.reason === 'string') {
    return {
      seq: d.seq,
      reason: d.reason as ChainBreak['reason'],
      ...(typeof d.expected === 'string' ? { expected: d.expected } : {}),
      ...(typeof d.actual === 'string' ? { actual: d.actual } : {}),
    };
  }
  return {
    seq: 1,
    reason: 'unreadable',
    actual: typeof d.reason === 'string' ? d.reason : error.shortMessage,
  };
}

function broken(records: number, firstBad: ChainBreak): VerifyResult {
  return {
    ok: false,
    code: 'CONCORD_ERR_JOURNAL_CORRUPT',
    records,
    firstBad,
    message: describeBreak(firstBad),
  };
}
