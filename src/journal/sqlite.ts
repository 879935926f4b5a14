/**
 * Embedded journal on SQLite (better-sqlite3): `<dir>/journal.sqlite`, WAL mode,
 * one transaction per flushed batch. SQLite commits are atomic, so a killed
 * process leaves whole batches behind; a `sessions` table tells at the next open
 * whether the previous session closed cleanly.
 *
 * Opening verifies the whole chain, from record 1 to the head, before anything is
 * appended: a desk never resumes onto a journal damaged anywhere (fail closed). No
 * shortcut is taken through a stored "verified up to" mark: a mark kept in the same
 * file cannot show that the rows below it were not changed since, so only reading
 * them does.
 *
 * The database is opened in exclusive locking mode by default: while a journal
 * is open no other connection (process) can read or write it, so two writers
 * can never fork the chain. Verify a journal after closing it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConcordError, canonicalJson } from '../core/index.ts';
import { recordHash, type StoredRow } from './chain.ts';
import { JournalReader } from './reader.ts';
import {
  checkSchema,
  corruptError,
  describeCondition,
  errorMessage,
  JOURNAL_FILE,
  JOURNAL_FORMAT,
  LOCK_WAIT_MS,
  prepareJournalFile,
  privatiseSidecars,
  storageCondition,
  storageError,
  type VerifyProgress,
  walkChain,
} from './storage.ts';
import type { Journal, JournalHead, JournalRecord, JournalRecovery } from './types.ts';

export { JOURNAL_FILE } from './storage.ts';

export interface SqliteJournalOptions {
  /** Flush automatically when this many records are buffered. Default 1024. */
  readonly batchSize?: number;
  /** FULL (default) survives power loss; NORMAL survives a killed process and is faster. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Told how far the verification of the chain at open has got (long journals). */
  readonly onVerifyProgress?: VerifyProgress;
  /** Hold an exclusive lock while open (default true); false lets other processes read meanwhile. */
  readonly exclusive?: boolean;
}

type Db = Database.Database;
type Stmt = Database.Statement;

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
  seq INTEGER PRIMARY KEY,
  ts REAL NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER,
  last_hash TEXT,
  clean_shutdown INTEGER NOT NULL DEFAULT 0
);
`;

const SELECT_COLUMNS = 'SELECT seq, ts, type, payload, prev_hash, hash FROM records';
const PAGE = 1000;

export class SqliteJournal implements Journal {
  readonly path: string;
  readonly recovery: JournalRecovery;
  private readonly db: Db;
  private readonly batchSize: number;
  private readonly insert: Stmt;
  private readonly selectPage: Stmt;
  private readonly writeBatch: (records: readonly JournalRecord[]) => void;
  private readonly sessionId: number;
  private buffer: JournalRecord[] = [];
  private headSeq: number;
  private headHash: string;
  private closed = false;

  private constructor(path: string, db: Db, batchSize: number, recovery: JournalRecovery, sessionId: number) {
    this.path = path;
    this.db = db;
    this.batchSize = batchSize;
    this.recovery = recovery;
    this.sessionId = sessionId;
    this.headSeq = recovery.lastSeq;
    this.headHash = recovery.lastHash;
    this.insert = db.prepare(
      'INSERT INTO records (seq, ts, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.selectPage = db.prepare(`${SELECT_COLUMNS} WHERE seq >= ? ORDER BY seq LIMIT ${PAGE}`);
    const insert = this.insert;
    this.writeBatch = db.transaction((records: readonly JournalRecord[]) => {
      for (let i = 0; i < records.length; i++) {
        const r = records[i] as JournalRecord;
        insert.run(r.seq, r.ts, r.type, r.payloadJson, r.prevHash, r.hash);
      }
    });
  }

  /**
   * Opens (creating if needed) the journal in `dir`, verifies its whole chain and checks how
   * the previous session ended. Throws a coded error, appending nothing, when the journal is
   * broken (CORRUPT), not a journal (NOT_A_JOURNAL), held by another process (LOCKED), on a
   * full disk (DISK_FULL) or cannot be opened (OPEN).
   */
  static open(dir: string, options: SqliteJournalOptions = {}): SqliteJournal {
    const batchSize = options.batchSize ?? 1024;
    const synchronous = options.synchronous ?? 'FULL';
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ConcordError('CONCORD_ERR_JOURNAL_OPEN', 'batchSize must be a whole number ≥ 1', {
        details: { dir, batchSize },
      });
    }
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw new ConcordError('CONCORD_ERR_JOURNAL_OPEN', 'synchronous must be "FULL" or "NORMAL"', {
        details: { dir, synchronous },
      });
    }
    const path = join(dir, JOURNAL_FILE);
    const created = prepareJournalFile(dir, initialise);
    let db: Db;
    try {
      db = new Database(path, { fileMustExist: true, timeout: LOCK_WAIT_MS });
    } catch (error) {
      throw storageError(path, error, 'open');
    }
    try {
      // Exclusive locking must be set before the first read, so no shared-memory index is needed.
      if (options.exclusive ?? true) db.pragma('locking_mode = EXCLUSIVE');
      // Read before anything is written: a foreign database is refused untouched.
      checkSchema(db, path);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      // One write transaction from the first verified row to the new session row: nothing can
      // change the chain between its verification and the first append.
      db.exec('BEGIN IMMEDIATE');
      const walk = walkChain(db, options.onVerifyProgress);
      if (!walk.ok) throw corruptError(path, walk.firstBad);
      const previous = db.prepare('SELECT clean_shutdown FROM sessions ORDER BY id DESC LIMIT 1').get() as
        | { clean_shutdown: number }
        | undefined;
      const recovery: JournalRecovery = {
        // Records without any session row were written by something that never said goodbye.
        crashed: previous === undefined ? walk.records > 0 : previous.clean_shutdown === 0,
        lastSeq: walk.records,
        lastHash: walk.headHash,
        verified: walk.records,
      };
      const session = db.prepare('INSERT INTO sessions (first_seq) VALUES (?)').run(walk.records + 1);
      db.exec('COMMIT');
      if (created) privatiseSidecars(path);
      return new SqliteJournal(path, db, batchSize, recovery, Number(session.lastInsertRowid));
    } catch (error) {
      try {
        db.close();
      } catch {
        // Closing rolls back; a handle that failed half-way has nothing else to release.
      }
      throw storageError(path, error, 'open');
    }
  }

  /** Read access to the durable records through this writer's own connection (it holds the lock). */
  reader(): JournalReader {
    if (this.closed) throw closedError(this.path);
    return JournalReader.attach(this.db, this.path);
  }

  append(type: string, ts: number, payload: unknown): JournalRecord {
    if (this.closed) throw closedError(this.path);
    if (!Number.isFinite(ts)) {
      throw new ConcordError(
        'CONCORD_ERR_JOURNAL_RECORD_INVALID',
        'a journal record needs a finite ts (ms since epoch)',
        {
          details: { type, ts: String(ts) },
        },
      );
    }
    const payloadJson = canonicalJson(payload);
    const seq = this.headSeq + 1;
    const prevHash = this.headHash;
    const hash = recordHash(prevHash, seq, ts, type, payloadJson);
    const record: JournalRecord = { seq, ts, type, payload, payloadJson, prevHash, hash };
    this.buffer.push(record);
    this.headSeq = seq;
    this.headHash = hash;
    if (this.buffer.length >= this.batchSize) this.flush();
    return record;
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    if (this.closed) throw closedError(this.path);
    try {
      this.writeBatch(this.buffer);
    } catch (error) {
      const first = this.buffer[0] as JournalRecord;
      const condition = storageCondition(error, this.path);
      throw new ConcordError(
        'CONCORD_ERR_JOURNAL_WRITE',
        `could not write ${this.buffer.length} journal record(s) to ${this.path}: ${describeCondition(condition, errorMessage(error))}. They are kept in memory, nothing new may be risked until a flush succeeds`,
        {
          details: {
            path: this.path,
            pending: this.buffer.length,
            firstSeq: first.seq,
            lastSeq: this.headSeq,
            condition,
            reason: errorMessage(error),
          },
          cause: error,
        },
      );
    }
    this.buffer = [];
  }

  head(): JournalHead {
    return { seq: this.headSeq, hash: this.headHash };
  }

  pendingCount(): number {
    return this.buffer.length;
  }

  *records(fromSeq = 1): IterableIterator<JournalRecord> {
    if (this.closed) throw closedError(this.path);
    let next = Math.max(1, fromSeq);
    // Pages, not one long cursor: the caller may append (and flush) between yields.
    for (;;) {
      const rows = this.readPage(next);
      for (const row of rows) {
        const record = fromRow(row, this.path);
        next = record.seq + 1;
        yield record;
      }
      if (rows.length < PAGE) break;
    }
    for (const record of [...this.buffer]) {
      if (record.seq >= next) {
        next = record.seq + 1;
        yield { ...record, payload: JSON.parse(record.payloadJson) };
      }
    }
  }

  /** A page of durable rows; storage failing under a running desk is named like any other (never INTERNAL). */
  private readPage(fromSeq: number): StoredRow[] {
    try {
      return this.selectPage.all(fromSeq) as StoredRow[];
    } catch (error) {
      throw storageError(this.path, error, 'read');
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    try {
      this.db
        .prepare('UPDATE sessions SET clean_shutdown = 1, last_seq = ?, last_hash = ? WHERE id = ?')
        .run(this.headSeq, this.headHash, this.sessionId);
      this.db.close();
    } catch (error) {
      const condition = storageCondition(error, this.path);
      throw new ConcordError(
        'CONCORD_ERR_JOURNAL_WRITE',
        `could not record a clean shutdown of ${this.path}: ${describeCondition(condition, errorMessage(error))}`,
        {
          details: { path: this.path, condition, reason: errorMessage(error) },
          cause: error,
        },
      );
    }
    this.closed = true;
  }
}

/** Writes schema and format into a new, empty database file (before it is linked into place). */
function initialise(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    db.exec(SCHEMA);
    db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?)").run(JOURNAL_FORMAT);
  })();
}

function fromRow(row: StoredRow, path: string): JournalRecord {
  const payloadJson = row.payload as string;
  let payload: unknown;
  try {
    payload = JSON.parse(payloadJson);
  } catch {
    // Verified at open; only a file changed underneath the lock gets here.
    throw corruptError(path, { seq: row.seq as number, reason: 'malformed', actual: 'payload is not JSON' });
  }
  return {
    seq: row.seq as number,
    ts: row.ts as number,
    type: row.type as string,
    payload,
    payloadJson,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  };
}

function closedError(path: string): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_JOURNAL_CLOSED',
    `the journal at ${path} is closed; open it again to continue`,
    {
      details: { path },
    },
  );
}

export interface BaselineRow {
  readonly type: string;
  readonly ts: number;
  readonly payload: unknown;
}

/**
 * Benchmark baseline: inserts the same rows into a plain table (`<dir>/baseline.sqlite`,
 * same pragmas as the journal) with JSON.stringify and no hashing, one transaction per
 * `batchSize` rows. Returns the number of rows inserted.
 */
export function rawInsertBaseline(
  dir: string,
  rows: readonly BaselineRow[],
  options: { batchSize?: number; synchronous?: 'FULL' | 'NORMAL' } = {},
): number {
  const batchSize = options.batchSize ?? 1024;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'baseline.sqlite');
  const fresh = !existsSync(path);
  const db = new Database(path);
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    if (!fresh) db.exec('DROP TABLE IF EXISTS raw');
    db.exec(
      'CREATE TABLE raw (id INTEGER PRIMARY KEY, ts REAL NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL)',
    );
    const insert = db.prepare('INSERT INTO raw (id, ts, type, payload) VALUES (?, ?, ?, ?)');
    const writeBatch = db.transaction((start: number, end: number) => {
      for (let i = start; i < end; i++) {
        const row = rows[i] as BaselineRow;
        insert.run(i + 1, row.ts, row.type, JSON.stringify(row.payload));
      }
    });
    for (let start = 0; start < rows.length; start += batchSize)
      writeBatch(start, Math.min(rows.length, start + batchSize));
    return rows.length;
  } finally {
    db.close();
  }
}
