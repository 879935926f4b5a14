/**
 * Read-only access to a journal directory, for replay, reports and tools.
 * Opening it writes nothing (no session row), so reading a crashed journal does
 * not hide the crash from the desk that resumes it later.
 *
 * Opening verifies the whole chain inside one read transaction, and every read
 * after it sees that same snapshot: nothing is ever read from a journal that has
 * not verified up to its head.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH } from '../core/index.ts';
import {
  checkSchema,
  corruptError,
  inspectJournalFile,
  JOURNAL_FILE,
  LOCK_WAIT_MS,
  storageError,
  type VerifyProgress,
  walkChain,
} from './storage.ts';
import type { JournalHead, JournalRecord } from './types.ts';

interface Row {
  seq: number;
  ts: number;
  type: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

export interface JournalReaderOptions {
  /** Told how far the verification of the chain at open has got (long journals). */
  readonly onVerifyProgress?: VerifyProgress;
}

export class JournalReader {
  readonly path: string;
  private readonly db: Database.Database;
  /** False for a view over a writer's connection, which the writer closes. */
  private readonly owned: boolean;

  private constructor(db: Database.Database, path: string, owned: boolean) {
    this.db = db;
    this.path = path;
    this.owned = owned;
  }

  /**
   * Opens the journal in `dir` read-only and verifies its chain. Throws NOT_FOUND, NOT_A_JOURNAL,
   * CORRUPT (the first bad record in `details`), LOCKED, DISK_FULL or OPEN; never anything uncoded.
   */
  static open(dir: string, options: JournalReaderOptions = {}): JournalReader {
    const path = join(dir, JOURNAL_FILE);
    inspectJournalFile(dir, true);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true, timeout: LOCK_WAIT_MS });
    } catch (error) {
      throw storageError(path, error, 'open');
    }
    try {
      // Deferred: the snapshot is taken by the first read below and kept until close.
      db.exec('BEGIN');
      checkSchema(db, path);
      const walk = walkChain(db, options.onVerifyProgress);
      if (!walk.ok) throw corruptError(path, walk.firstBad);
      return new JournalReader(db, path, true);
    } catch (error) {
      db.close();
      throw storageError(path, error, 'read');
    }
  }

  /** A view over an open writer's connection; its chain was verified when the writer opened it. */
  static attach(db: Database.Database, path: string): JournalReader {
    return new JournalReader(db, path, false);
  }

  head(): JournalHead {
    const row = this.read(
      () =>
        this.db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1').get() as
          | { seq: number; hash: string }
          | undefined,
    );
    return { seq: row?.seq ?? 0, hash: row?.hash ?? GENESIS_HASH };
  }

  /** Records in order, optionally only those of the given types, optionally only after a seq. */
  *records(types?: readonly string[], afterSeq = 0): IterableIterator<JournalRecord> {
    const where =
      types === undefined
        ? ' WHERE seq > ?'
        : ` WHERE seq > ? AND type IN (${types.map(() => '?').join(',')})`;
    const rows = this.read(() =>
      this.db
        .prepare(`SELECT seq, ts, type, payload, prev_hash, hash FROM records${where} ORDER BY seq`)
        .iterate(afterSeq, ...(types ?? [])),
    ) as IterableIterator<Row>;
    try {
      for (;;) {
        const next = this.read(() => rows.next());
        if (next.done === true) return;
        yield this.toRecord(next.value);
      }
    } finally {
      // A caller that stops early (or throws) must not leave the connection busy with this query.
      rows.return?.();
    }
  }

  /** The last record of one of these types, or undefined. */
  last(types: readonly string[]): JournalRecord | undefined {
    const row = this.read(
      () =>
        this.db
          .prepare(
            `SELECT seq, ts, type, payload, prev_hash, hash FROM records WHERE type IN (${types.map(() => '?').join(',')}) ORDER BY seq DESC LIMIT 1`,
          )
          .get(...types) as Row | undefined,
    );
    return row === undefined ? undefined : this.toRecord(row);
  }

  count(type: string): number {
    return this.read(
      () =>
        (this.db.prepare('SELECT COUNT(*) AS n FROM records WHERE type = ?').get(type) as { n: number }).n,
    );
  }

  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }

  private toRecord(row: Row): JournalRecord {
    let payload: unknown;
    try {
      payload = JSON.parse(row.payload);
    } catch {
      // Verified at open, so this cannot happen unless the file changed underneath: still a coded error.
      throw corruptError(this.path, { seq: row.seq, reason: 'malformed', actual: 'payload is not JSON' });
    }
    return {
      seq: row.seq,
      ts: row.ts,
      type: row.type,
      payload,
      payloadJson: row.payload,
      prevHash: row.prev_hash,
      hash: row.hash,
    };
  }

  /** Runs one read, naming any storage failure with its code. */
  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw storageError(this.path, error, 'read');
    }
  }
}
