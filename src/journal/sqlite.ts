/**
 * Embedded journal on SQLite (better-sqlite3): `<dir>/journal.sqlite`, WAL mode,
 * one transaction per flushed batch. SQLite commits are atomic, so a killed
 * process leaves whole batches behind; a `sessions` table tells at the next open
 * whether the previous session closed cleanly, and the tail of the chain is
 * re-verified before anything is appended to it.
 *
 * The database is opened in exclusive locking mode by default: while a journal
 * is open no other connection (process) can read or write it, so two writers
 * can never fork the chain. Verify a journal after closing it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConcordError, canonicalJson, GENESIS_HASH } from '../core/index.ts';
import { checkRow, describeBreak, recordHash, type StoredRow } from './chain.ts';
import type { Journal, JournalHead, JournalRecord, JournalRecovery } from './types.ts';

export const JOURNAL_FILE = 'journal.sqlite';
const FORMAT = 'concord-journal/1';

export interface SqliteJournalOptions {
  /** Flush automatically when this many records are buffered. Default 1024. */
  readonly batchSize?: number;
  /** FULL (default) survives power loss; NORMAL survives a killed process and is faster. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Records at the tail re-verified at open. Default 256. */
  readonly tailCheck?: number;
  /** Hold an exclusive lock while open (default true); false lets other processes read meanwhile. */
  readonly exclusive?: boolean;
}

type Db = Database.Database;
type Stmt = Database.Statement;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  ts REAL NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
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

  /** Opens (creating if needed) the journal in `dir` and checks how the previous session ended. */
  static open(dir: string, options: SqliteJournalOptions = {}): SqliteJournal {
    const batchSize = options.batchSize ?? 1024;
    const tailCheck = options.tailCheck ?? 256;
    const synchronous = options.synchronous ?? 'FULL';
    if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(tailCheck) || tailCheck < 0) {
      throw new ConcordError(
        'CONCORD_ERR_JOURNAL_OPEN',
        'batchSize must be a whole number ≥ 1 and tailCheck ≥ 0',
        {
          details: { dir, batchSize, tailCheck },
        },
      );
    }
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw new ConcordError('CONCORD_ERR_JOURNAL_OPEN', 'synchronous must be "FULL" or "NORMAL"', {
        details: { dir, synchronous },
      });
    }
    const path = join(dir, JOURNAL_FILE);
    let db: Db;
    try {
      mkdirSync(dir, { recursive: true });
      db = new Database(path, { timeout: 250 });
    } catch (error) {
      throw openError(path, error);
    }
    try {
      configure(db, synchronous, options.exclusive ?? true);
      db.exec(SCHEMA);
      checkFormat(db, path);
      const previous = db.prepare('SELECT clean_shutdown FROM sessions ORDER BY id DESC LIMIT 1').get() as
        | { clean_shutdown: number }
        | undefined;
      const last = db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; hash: string }
        | undefined;
      const lastSeq = last?.seq ?? 0;
      const tailVerified = verifyTail(db, path, lastSeq, tailCheck);
      const recovery: JournalRecovery = {
        // Records without any session row were written by something that never said goodbye.
        crashed: previous === undefined ? lastSeq > 0 : previous.clean_shutdown === 0,
        lastSeq,
        lastHash: last?.hash ?? GENESIS_HASH,
        tailVerified,
      };
      const session = db.prepare('INSERT INTO sessions (first_seq) VALUES (?)').run(lastSeq + 1);
      return new SqliteJournal(path, db, batchSize, recovery, Number(session.lastInsertRowid));
    } catch (error) {
      db.close();
      throw error instanceof ConcordError ? error : openError(path, error);
    }
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
      throw new ConcordError(
        'CONCORD_ERR_JOURNAL_WRITE',
        `could not write ${this.buffer.length} journal record(s) to ${this.path}; they are kept in memory, nothing new may be risked until a flush succeeds`,
        {
          details: {
            path: this.path,
            pending: this.buffer.length,
            firstSeq: first.seq,
            lastSeq: this.headSeq,
            reason: error instanceof Error ? error.message : String(error),
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
      const rows = this.selectPage.all(next) as StoredRow[];
      for (const row of rows) {
        const record = fromRow(row);
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

  close(): void {
    if (this.closed) return;
    this.flush();
    try {
      this.db
        .prepare('UPDATE sessions SET clean_shutdown = 1, last_seq = ?, last_hash = ? WHERE id = ?')
        .run(this.headSeq, this.headHash, this.sessionId);
      this.db.close();
    } catch (error) {
      throw new ConcordError(
        'CONCORD_ERR_JOURNAL_WRITE',
        `could not record a clean shutdown of ${this.path}`,
        {
          details: { path: this.path, reason: error instanceof Error ? error.message : String(error) },
          cause: error,
        },
      );
    }
    this.closed = true;
  }
}

function configure(db: Db, synchronous: 'FULL' | 'NORMAL', exclusive: boolean): void {
  // Exclusive locking must be set before WAL is first used, so no shared-memory index is needed.
  if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
}

function checkFormat(db: Db, path: string): void {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as
    | { value: string }
    | undefined;
  if (row === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?)").run(FORMAT);
  } else if (row.value !== FORMAT) {
    throw new ConcordError(
      'CONCORD_ERR_JOURNAL_OPEN',
      `${path} is not a ${FORMAT} journal (format ${row.value})`,
      {
        details: { path, format: row.value, expected: FORMAT },
      },
    );
  }
}

/** Re-verifies the last `count` records (and their link to the one before). Returns how many were checked. */
function verifyTail(db: Db, path: string, lastSeq: number, count: number): number {
  if (lastSeq === 0 || count === 0) return 0;
  const from = Math.max(1, lastSeq - count);
  const rows = db.prepare(`${SELECT_COLUMNS} WHERE seq >= ? ORDER BY seq`).all(from) as StoredRow[];
  const anchor = rows[0];
  // The anchor's own link can only be checked against genesis; later rows chain onto it.
  let expectedPrev =
    from === 1 ? GENESIS_HASH : typeof anchor?.prev_hash === 'string' ? anchor.prev_hash : '';
  let expectedSeq = from;
  for (const row of rows) {
    const problem = checkRow(row, expectedSeq, expectedPrev);
    if (problem !== undefined) {
      throw new ConcordError(
        'CONCORD_ERR_JOURNAL_CORRUPT',
        `refusing to append to a broken journal chain in ${path}: ${describeBreak(problem)}. Run verifyJournal on it and restore from a good copy.`,
        { details: { path, ...problem } },
      );
    }
    expectedSeq++;
    expectedPrev = row.hash as string;
  }
  if (expectedSeq !== lastSeq + 1) {
    throw new ConcordError(
      'CONCORD_ERR_JOURNAL_CORRUPT',
      `journal tail in ${path} ends at ${expectedSeq - 1}, expected ${lastSeq}`,
      {
        details: { path, lastSeq },
      },
    );
  }
  return rows.length;
}

function fromRow(row: StoredRow): JournalRecord {
  const payloadJson = row.payload as string;
  return {
    seq: row.seq as number,
    ts: row.ts as number,
    type: row.type as string,
    payload: JSON.parse(payloadJson),
    payloadJson,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  };
}

function openError(path: string, error: unknown): ConcordError {
  const sqliteCode = (error as { code?: unknown }).code;
  const reason = error instanceof Error ? error.message : String(error);
  if (sqliteCode === 'SQLITE_NOTADB' || sqliteCode === 'SQLITE_CORRUPT') {
    return new ConcordError(
      'CONCORD_ERR_JOURNAL_CORRUPT',
      `${path} is not a readable SQLite journal: ${reason}`,
      {
        details: { path, sqliteCode, reason },
        cause: error,
      },
    );
  }
  const inUse = sqliteCode === 'SQLITE_BUSY' || sqliteCode === 'SQLITE_LOCKED';
  return new ConcordError(
    'CONCORD_ERR_JOURNAL_OPEN',
    inUse
      ? `${path} is open in another process or connection; one writer at a time keeps the chain whole`
      : `cannot open the journal at ${path}: ${reason}`,
    { details: { path, sqliteCode, reason }, cause: error },
  );
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
    configure(db, options.synchronous ?? 'FULL', true);
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
