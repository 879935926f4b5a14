/**
 * Offline verification of a journal directory: walks every record from seq 1,
 * recomputes each hash from the stored bytes and checks links and contiguity.
 * Opens the file read-only and never throws for a damaged file: damage is the
 * answer. Only a missing directory or file is an error (CONCORD_ERR_JOURNAL_NOT_FOUND).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConcordError, GENESIS_HASH } from '../core/index.ts';
import { checkRow, describeBreak, type StoredRow } from './chain.ts';
import { JOURNAL_FILE } from './sqlite.ts';
import type { ChainBreak, VerifyResult } from './types.ts';

export function verifyJournal(dir: string): VerifyResult {
  const path = join(dir, JOURNAL_FILE);
  if (!existsSync(path)) {
    throw new ConcordError(
      'CONCORD_ERR_JOURNAL_NOT_FOUND',
      `no journal at ${path}: check the directory (the default is ./.concord) or run the desk once to create it`,
      { details: { dir, path, dirExists: existsSync(dir) } },
    );
  }
  let db: Database.Database | undefined;
  let checked = 0;
  let expectedPrev = GENESIS_HASH;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 250 });
    for (const row of db
      .prepare('SELECT seq, ts, type, payload, prev_hash, hash FROM records ORDER BY seq')
      .iterate()) {
      const problem = checkRow(row as StoredRow, checked + 1, expectedPrev);
      if (problem !== undefined) return broken(checked, problem);
      checked++;
      expectedPrev = (row as StoredRow).hash as string;
    }
    const truncated = checkAgainstCleanShutdowns(db, checked);
    if (truncated !== undefined) return broken(checked, truncated);
    return { ok: true, records: checked, headHash: expectedPrev };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return broken(checked, { seq: checked + 1, reason: 'unreadable', actual: reason });
  } finally {
    try {
      db?.close();
    } catch {
      // Nothing to release on a handle that never opened properly.
    }
  }
}

/**
 * A clean shutdown records its head. Records ending before the highest recorded
 * head mean the tail was cut off (the chain alone cannot show that).
 */
function checkAgainstCleanShutdowns(db: Database.Database, records: number): ChainBreak | undefined {
  const hasSessions = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'")
    .get();
  if (hasSessions === undefined) return undefined;
  const row = db.prepare('SELECT MAX(last_seq) AS lastSeq FROM sessions WHERE clean_shutdown = 1').get() as
    | { lastSeq: number | null }
    | undefined;
  const lastSeq = row?.lastSeq ?? 0;
  if (lastSeq > records) {
    return { seq: records + 1, reason: 'seq-gap', expected: String(lastSeq), actual: String(records) };
  }
  return undefined;
}

function broken(records: number, firstBad: ChainBreak): VerifyResult {
  return { ok: false, records, firstBad, message: describeBreak(firstBad) };
}
