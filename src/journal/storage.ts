/**
 * The one place where journal storage problems get their names. Every way opening,
 * reading or writing a journal file can fail maps to one condition, and every condition
 * to one code, so "another process holds it", "the disk is full" and "the file is
 * damaged" never read alike:
 *
 *   locked     SQLITE_BUSY, SQLITE_LOCKED                         CONCORD_ERR_JOURNAL_LOCKED
 *   disk-full  SQLITE_FULL, ENOSPC, EDQUOT                        CONCORD_ERR_JOURNAL_DISK_FULL
 *   damaged    SQLITE_CORRUPT, SQLITE_NOTADB (after the SQLite
 *              header was seen), short reads, a broken chain      CONCORD_ERR_JOURNAL_CORRUPT
 *   read-only  SQLITE_READONLY, EROFS                             CONCORD_ERR_JOURNAL_OPEN
 *   no-access  SQLITE_CANTOPEN, SQLITE_PERM, EACCES, EPERM        CONCORD_ERR_JOURNAL_OPEN
 *   io         other SQLITE_IOERR, EIO                            CONCORD_ERR_JOURNAL_OPEN
 *   other      anything else SQLite or the file system says       CONCORD_ERR_JOURNAL_OPEN
 *
 * Files that are not journals at all (empty, not SQLite, SQLite with another schema, a
 * directory or FIFO where the file should be) are recognised before SQLite opens them and
 * get CONCORD_ERR_JOURNAL_NOT_A_JOURNAL. Writes keep CONCORD_ERR_JOURNAL_WRITE (the desk
 * fails closed on it) and say the condition in the message.
 *
 * Also here: the chain walk shared by the writer, the reader and the verifier, and the
 * private (0700 / 0600) creation of journal directories and files.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  statfsSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ConcordError, GENESIS_HASH } from '../core/index.ts';
import { checkValues, describeBreak, type StoredValues } from './chain.ts';
import type { ChainBreak } from './types.ts';

export const JOURNAL_FILE = 'journal.sqlite';
export const JOURNAL_FORMAT = 'concord-journal/1';
/** How long a connection waits for another one's lock before reporting it locked. */
export const LOCK_WAIT_MS = 250;
/** Records between two progress reports of a chain walk. */
export const PROGRESS_EVERY = 65_536;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

export type StorageCondition =
  | 'locked'
  | 'disk-full'
  | 'damaged'
  | 'read-only'
  | 'no-access'
  | 'io'
  | 'other';

/** Chain-walk progress: `checked` of `total` records verified so far. */
export type VerifyProgress = (checked: number, total: number) => void;

/**
 * The condition behind an error thrown by SQLite (better-sqlite3) or the file system. With
 * `path`, an I/O error on a file system with no space left is a full disk: SQLite reports a
 * failure to grow its `-shm` index or to write as SQLITE_IOERR_*, without the errno.
 */
export function storageCondition(error: unknown, path?: string): StorageCondition {
  const code = errorCode(error);
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return 'locked';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'disk-full';
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code) || code === 'SQLITE_IOERR_SHORT_READ') return 'damaged';
  if (/^SQLITE_READONLY/.test(code) || code === 'EROFS') return 'read-only';
  if (/^SQLITE_(CANTOPEN|PERM|AUTH)/.test(code) || code === 'EACCES' || code === 'EPERM') return 'no-access';
  if (/^SQLITE_IOERR/.test(code) || code === 'EIO')
    return path !== undefined && noSpaceLeft(path) ? 'disk-full' : 'io';
  return 'other';
}

function noSpaceLeft(path: string): boolean {
  try {
    return statfsSync(dirname(path)).bavail === 0;
  } catch {
    return false;
  }
}

/** Words for a condition, used in every message about it. */
export function describeCondition(condition: StorageCondition, reason: string): string {
  switch (condition) {
    case 'locked':
      return 'it is held by another process (a running desk or another concord command): one connection at a time keeps the chain whole; stop the other process or wait for it to finish';
    case 'disk-full':
      return 'the disk (or the quota) is full; free space and try again';
    case 'damaged':
      return `the file is damaged (${reason}); run concord journal verify on it and restore it from a good copy`;
    case 'read-only':
      return `the file or its directory is read-only (${reason})`;
    case 'no-access':
      return `it cannot be opened: permission denied or the path is not accessible (${reason})`;
    case 'io':
      return `the storage reported an I/O error (${reason})`;
    case 'other':
      return reason;
  }
}

const CODES: Readonly<Record<StorageCondition, `CONCORD_ERR_${string}`>> = {
  locked: 'CONCORD_ERR_JOURNAL_LOCKED',
  'disk-full': 'CONCORD_ERR_JOURNAL_DISK_FULL',
  damaged: 'CONCORD_ERR_JOURNAL_CORRUPT',
  'read-only': 'CONCORD_ERR_JOURNAL_OPEN',
  'no-access': 'CONCORD_ERR_JOURNAL_OPEN',
  io: 'CONCORD_ERR_JOURNAL_OPEN',
  other: 'CONCORD_ERR_JOURNAL_OPEN',
};

/** A failure to open or read the journal at `path`, as a coded error (never INTERNAL). */
export function storageError(path: string, error: unknown, action: 'open' | 'read'): ConcordError {
  if (error instanceof ConcordError) return error;
  const condition = storageCondition(error, path);
  const reason = errorMessage(error);
  return new ConcordError(
    CODES[condition],
    `cannot ${action} the journal ${path}: ${describeCondition(condition, reason)}`,
    {
      details: { path, condition, sqliteCode: errorCode(error) || undefined, reason },
      cause: error,
      retryable: condition === 'locked' || condition === 'disk-full',
    },
  );
}

export function notAJournal(path: string, what: string, details: Record<string, unknown> = {}): ConcordError {
  return new ConcordError('CONCORD_ERR_JOURNAL_NOT_A_JOURNAL', `${path} is not a Concord journal: ${what}`, {
    details: { path, ...details },
  });
}

export function corruptError(path: string, problem: ChainBreak): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_JOURNAL_CORRUPT',
    `the journal ${path} is broken: ${describeBreak(problem)}. Nothing may be appended to it or read from it; run concord journal verify on it and restore it from a good copy`,
    { details: { path, ...problem } },
  );
}

export function notFoundError(dir: string, path: string): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_JOURNAL_NOT_FOUND',
    `no journal at ${path}: check the directory (the default is ./.concord) or run the desk once to create it`,
    { details: { dir, path, dirExists: existsSync(dir) } },
  );
}

/**
 * Looks at `<dir>/journal.sqlite` before SQLite does, so that what is not a journal is named
 * as such (and a FIFO never blocks an open). Returns false when there is no file (and
 * `mustExist` is false); throws a coded error for anything that cannot be a journal.
 */
export function inspectJournalFile(dir: string, mustExist: boolean): boolean {
  const path = join(dir, JOURNAL_FILE);
  const dirStat = statOrUndefined(dir, path);
  if (dirStat === undefined) {
    if (mustExist) throw notFoundError(dir, path);
    return false;
  }
  if (!dirStat.isDirectory()) {
    throw notAJournal(
      dir,
      `it is a file, and a journal is a directory holding ${JOURNAL_FILE}; pass that directory`,
      { kind: 'file-instead-of-directory' },
    );
  }
  const fileStat = statOrUndefined(path, path);
  if (fileStat === undefined) {
    if (mustExist) throw notFoundError(dir, path);
    return false;
  }
  if (fileStat.isDirectory())
    throw notAJournal(path, 'it is a directory where the journal file should be', { kind: 'directory' });
  if (!fileStat.isFile()) {
    throw notAJournal(path, 'it is not a regular file (a FIFO, socket or device)', { kind: 'not-a-file' });
  }
  if (fileStat.size === 0) {
    throw notAJournal(path, 'the file is empty (delete it to start a new journal here)', { kind: 'empty' });
  }
  const head = readHead(path);
  if (!head.equals(SQLITE_MAGIC.subarray(0, head.length))) {
    throw notAJournal(
      path,
      'it is not an SQLite database (a text or other file, or a journal whose first bytes were destroyed)',
      { kind: 'not-sqlite' },
    );
  }
  if (head.length < SQLITE_MAGIC.length) {
    throw corruptError(path, {
      seq: 1,
      reason: 'unreadable',
      actual: `the file is truncated to ${fileStat.size} bytes`,
    });
  }
  return true;
}

function statOrUndefined(target: string, journalPath: string): Stats | undefined {
  try {
    return statSync(target);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw storageError(journalPath, error, 'open');
  }
}

function readHead(path: string): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n);
  } catch (error) {
    throw storageError(path, error, 'open');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Checks that an open database is a Concord journal: a `meta` table whose format is ours,
 * then the tables a journal has. Foreign databases are not journals; a journal missing its
 * tables is damaged.
 */
export function checkSchema(db: Database.Database, path: string): void {
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    ),
  );
  if (!tables.has('meta')) {
    throw notAJournal(
      path,
      tables.size === 0
        ? 'it is an SQLite database without any tables'
        : `it is an SQLite database of another program (tables: ${[...tables].slice(0, 5).join(', ')})`,
      { kind: 'foreign-sqlite' },
    );
  }
  const row = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as
    | { value: unknown }
    | undefined;
  if (row === undefined)
    throw notAJournal(path, 'its meta table has no format entry', { kind: 'foreign-sqlite' });
  if (row.value !== JOURNAL_FORMAT) {
    throw notAJournal(path, `its format is ${String(row.value)}, this version reads ${JOURNAL_FORMAT}`, {
      kind: 'unsupported-format',
      format: String(row.value),
      expected: JOURNAL_FORMAT,
    });
  }
  for (const table of ['records', 'sessions']) {
    if (!tables.has(table)) {
      throw corruptError(path, { seq: 1, reason: 'unreadable', actual: `the ${table} table is missing` });
    }
  }
}

export type ChainWalk =
  | { readonly ok: true; readonly records: number; readonly headHash: string }
  | { readonly ok: false; readonly records: number; readonly firstBad: ChainBreak };

/**
 * Walks the whole chain from seq 1: recomputes every hash from the stored bytes, checks
 * every link and the sequence, then that no clean shutdown recorded a head beyond the
 * last record (a cut-off tail). Storage damage met on the way is a break ('unreadable');
 * any other storage error (locked, I/O) is thrown as is for the caller to classify.
 */
export function walkChain(db: Database.Database, onProgress?: VerifyProgress): ChainWalk {
  let checked = 0;
  let expectedPrev = GENESIS_HASH;
  try {
    const total = onProgress === undefined ? 0 : maxSeq(db);
    // Raw rows (arrays, not objects): a third faster on a long journal.
    const rows = db
      .prepare('SELECT seq, ts, type, payload, prev_hash, hash FROM records ORDER BY seq')
      .raw(true);
    for (const row of rows.iterate() as IterableIterator<StoredValues>) {
      const problem = checkValues(row, checked + 1, expectedPrev);
      if (problem !== undefined) return { ok: false, records: checked, firstBad: problem };
      checked++;
      expectedPrev = row[5] as string;
      if (onProgress !== undefined && checked % PROGRESS_EVERY === 0)
        onProgress(checked, Math.max(total, checked));
    }
    const cleanHead = db
      .prepare('SELECT MAX(last_seq) AS lastSeq FROM sessions WHERE clean_shutdown = 1')
      .get() as { lastSeq: unknown } | undefined;
    const lastSeq = typeof cleanHead?.lastSeq === 'number' ? cleanHead.lastSeq : 0;
    if (lastSeq > checked) {
      return {
        ok: false,
        records: checked,
        firstBad: { seq: checked + 1, reason: 'seq-gap', expected: String(lastSeq), actual: String(checked) },
      };
    }
    onProgress?.(checked, checked);
    return { ok: true, records: checked, headHash: expectedPrev };
  } catch (error) {
    if (storageCondition(error) !== 'damaged') throw error;
    return {
      ok: false,
      records: checked,
      firstBad: { seq: checked + 1, reason: 'unreadable', actual: errorMessage(error) },
    };
  }
}

function maxSeq(db: Database.Database): number {
  const row = db.prepare('SELECT MAX(seq) AS n FROM records').get() as { n: unknown } | undefined;
  return typeof row?.n === 'number' ? row.n : 0;
}

/**
 * Makes `dir` (private, 0700, when it has to be created) and, when there is no journal file
 * yet, creates one: schema and format are written in a private temporary directory and the
 * finished file is linked into place, so `journal.sqlite` never exists half-initialised and
 * any file there without our format is not a journal. Returns true when it created the file.
 */
export function prepareJournalFile(dir: string, initialise: (db: Database.Database) => void): boolean {
  const path = join(dir, JOURNAL_FILE);
  try {
    const made = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    // The umask may have taken bits away; a directory we made is the user's alone either way.
    if (made !== undefined) chmodSync(dir, PRIVATE_DIR);
  } catch (error) {
    if (errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOTDIR') inspectJournalFile(dir, false);
    throw storageError(path, error, 'open');
  }
  if (inspectJournalFile(dir, false)) return false;
  if (existsSync(`${path}-wal`)) {
    throw corruptError(path, {
      seq: 1,
      reason: 'unreadable',
      actual: `${path}-wal exists without its journal file (the file was removed); restore the journal, or delete the -wal file to start a new one`,
    });
  }
  let staging: string | undefined;
  try {
    staging = mkdtempSync(join(dir, '.journal-new-'));
    const temp = join(staging, JOURNAL_FILE);
    closeSync(openSync(temp, 'wx', PRIVATE_FILE));
    chmodSync(temp, PRIVATE_FILE);
    const db = new Database(temp, { fileMustExist: true });
    try {
      initialise(db);
    } finally {
      db.close();
    }
    try {
      // link fails if another process created the journal meanwhile; theirs is complete, use it.
      linkSync(temp, path);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      if (existsSync(path)) throw error;
      renameSync(temp, path);
    }
    return true;
  } catch (error) {
    throw storageError(path, error, 'open');
  } finally {
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
  }
}

/** Makes the journal's WAL and shared-memory files (when present) private to the user. */
export function privatiseSidecars(path: string): void {
  for (const file of [`${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, PRIVATE_FILE);
    } catch {
      // Absent (checkpointed away, or never needed in exclusive mode): nothing to protect.
    }
  }
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
