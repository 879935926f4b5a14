import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConcordError } from '../../src/core/index.ts';
import { JournalReader, SqliteJournal, storageCondition, verifyJournal } from '../../src/journal/index.ts';
import { storageError } from '../../src/journal/storage.ts';
import { tempDir } from './helpers.ts';

function journalWith(count: number, payloadOf: (seq: number) => unknown = (seq) => ({ seq })): string {
  const dir = tempDir();
  const journal = SqliteJournal.open(dir, { synchronous: 'NORMAL' });
  for (let seq = 1; seq <= count; seq++) journal.append('test.record', 1_000 + seq, payloadOf(seq));
  journal.close();
  return dir;
}

/**
 * Flips one byte inside the payload of the record holding `marker`, in the file on disk (in
 * every copy: a b-tree split can leave a stale copy of a cell in a free page).
 */
function flipMarker(dir: string, marker: string): void {
  const file = join(dir, 'journal.sqlite');
  const bytes = readFileSync(file);
  let flipped = 0;
  for (let at = bytes.indexOf(marker); at >= 0; at = bytes.indexOf(marker, at + 1)) {
    bytes[at + marker.length - 1] = 'Z'.charCodeAt(0);
    flipped++;
  }
  expect(flipped).toBeGreaterThan(0);
  writeFileSync(file, bytes);
}

function thrown(fn: () => unknown): ConcordError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConcordError);
    return e as ConcordError;
  }
  throw new Error('expected a throw');
}

/** Turns whatever SQLite throws for `fn` into the error it is. */
function sqliteError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected SQLite to throw');
}

describe('fail closed on a journal broken anywhere', () => {
  const count = 2_000;
  const marker = 'MARKER-old-record-17';
  const brokenJournal = () => {
    const dir = journalWith(count, (seq) => (seq === 17 ? { seq, note: marker } : { seq, note: 'plain' }));
    flipMarker(dir, marker);
    return dir;
  };

  it('the writer refuses a record changed far before the tail, and leaves the file byte for byte as it was', () => {
    const dir = brokenJournal();
    const before = readFileSync(join(dir, 'journal.sqlite'));
    const error = thrown(() => SqliteJournal.open(dir));
    expect(error.code).toBe('CONCORD_ERR_JOURNAL_CORRUPT');
    expect(error.details).toMatchObject({ seq: 17, reason: 'hash-mismatch' });
    expect(error.shortMessage).toContain('record 17');
    expect(readFileSync(join(dir, 'journal.sqlite')).equals(before)).toBe(true);
    // Still refused on a second try (the failed open wrote no session, no mark).
    expect(thrown(() => SqliteJournal.open(dir)).code).toBe('CONCORD_ERR_JOURNAL_CORRUPT');
    const db = new Database(join(dir, 'journal.sqlite'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM records').get()).toEqual({ n: count });
    db.close();
  });

  it('the reader refuses it too, and verify names the same record', () => {
    const dir = brokenJournal();
    const error = thrown(() => JournalReader.open(dir));
    expect(error.code).toBe('CONCORD_ERR_JOURNAL_CORRUPT');
    expect(error.details).toMatchObject({ seq: 17, reason: 'hash-mismatch' });
    expect(verifyJournal(dir)).toMatchObject({
      ok: false,
      code: 'CONCORD_ERR_JOURNAL_CORRUPT',
      records: 16,
      firstBad: { seq: 17, reason: 'hash-mismatch' },
    });
  });

  it('the writer refuses a tail cut off after a clean shutdown (the chain alone looks whole)', () => {
    const dir = journalWith(50);
    const db = new Database(join(dir, 'journal.sqlite'));
    db.prepare('DELETE FROM records WHERE seq > 40').run();
    db.close();
    const error = thrown(() => SqliteJournal.open(dir));
    expect(error.code).toBe('CONCORD_ERR_JOURNAL_CORRUPT');
    expect(error.details).toMatchObject({ seq: 41, reason: 'seq-gap', expected: '50' });
  });

  it('verifies every record at open and reports progress on long journals', () => {
    const total = 70_000;
    const dir = journalWith(total, (seq) => seq);
    const seen: [number, number][] = [];
    const journal = SqliteJournal.open(dir, { onVerifyProgress: (checked, of) => seen.push([checked, of]) });
    expect(journal.recovery).toMatchObject({ verified: total, lastSeq: total, crashed: false });
    journal.close();
    expect(seen).toEqual([
      [65_536, total],
      [total, total],
    ]);
    const reads: number[] = [];
    JournalReader.open(dir, { onVerifyProgress: (checked) => reads.push(checked) }).close();
    expect(reads).toEqual([65_536, total]);
  });
});

describe('what is not a journal is named, and left untouched', () => {
  it('refuses an SQLite database of another program without changing a byte of it', () => {
    const dir = tempDir();
    const file = join(dir, 'journal.sqlite');
    const db = new Database(file);
    db.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('ada')");
    db.close();
    const before = readFileSync(file);
    for (const open of [
      () => SqliteJournal.open(dir),
      () => JournalReader.open(dir),
      () => verifyJournal(dir),
    ]) {
      const error = thrown(open);
      expect(error.code).toBe('CONCORD_ERR_JOURNAL_NOT_A_JOURNAL');
      expect(error.details).toMatchObject({ path: file, kind: 'foreign-sqlite' });
      expect(error.shortMessage).toContain('contacts');
    }
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a journal of an unknown format', () => {
    const dir = journalWith(3);
    const db = new Database(join(dir, 'journal.sqlite'));
    db.prepare("UPDATE meta SET value = 'concord-journal/9' WHERE key = 'format'").run();
    db.close();
    expect(thrown(() => SqliteJournal.open(dir)).details).toMatchObject({
      kind: 'unsupported-format',
      format: 'concord-journal/9',
    });
  });

  it('refuses an empty file, a directory and a file where the journal directory should be', () => {
    const empty = tempDir();
    writeFileSync(join(empty, 'journal.sqlite'), '');
    expect(thrown(() => SqliteJournal.open(empty)).details).toMatchObject({ kind: 'empty' });
    expect(statSync(join(empty, 'journal.sqlite')).size).toBe(0);

    const directory = tempDir();
    mkdirSync(join(directory, 'journal.sqlite'));
    expect(thrown(() => JournalReader.open(directory)).details).toMatchObject({ kind: 'directory' });

    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    expect(thrown(() => SqliteJournal.open(file)).details).toMatchObject({
      kind: 'file-instead-of-directory',
    });
    expect(thrown(() => verifyJournal(file)).code).toBe('CONCORD_ERR_JOURNAL_NOT_A_JOURNAL');
  });

  it('refuses to start a new journal over a WAL left without its journal file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'journal.sqlite-wal'), Buffer.alloc(4096, 1));
    const error = thrown(() => SqliteJournal.open(dir));
    expect(error.code).toBe('CONCORD_ERR_JOURNAL_CORRUPT');
    expect(error.shortMessage).toMatch(/-wal exists without its journal file/);
    expect(readdirSync(dir).sort()).toEqual(['journal.sqlite-wal']);
  });

  it('creates a new journal whole: no half-initialised file, no staging left behind', () => {
    const dir = join(tempDir(), 'a', 'b');
    SqliteJournal.open(dir).close();
    expect(readdirSync(dir)).toEqual(['journal.sqlite']);
    // A second writer after the first closed continues the same journal.
    const again = SqliteJournal.open(dir);
    expect(again.recovery).toMatchObject({ crashed: false, lastSeq: 0 });
    again.close();
  });
});

describe('storage conditions: one code each, never INTERNAL', () => {
  it('classifies the errors SQLite really throws', () => {
    const dir = journalWith(5);
    const file = join(dir, 'journal.sqlite');

    const holder = SqliteJournal.open(dir);
    const busy = sqliteError(() => {
      const db = new Database(file, { timeout: 10 });
      try {
        db.prepare('SELECT COUNT(*) FROM records').get();
      } finally {
        db.close();
      }
    });
    holder.close();
    expect(storageCondition(busy)).toBe('locked');
    expect(storageError(file, busy, 'read').code).toBe('CONCORD_ERR_JOURNAL_LOCKED');

    // A database that may not grow: SQLite's own SQLITE_FULL, as on a full disk.
    const full = sqliteError(() => {
      const db = new Database(join(tempDir(), 'full.sqlite'));
      try {
        db.exec('CREATE TABLE t (x TEXT)');
        db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 1}`);
        const insert = db.prepare('INSERT INTO t VALUES (?)');
        for (let i = 0; i < 1_000; i++) insert.run('x'.repeat(4_000));
      } finally {
        db.close();
      }
    });
    expect((full as { code: string }).code).toBe('SQLITE_FULL');
    expect(storageError(file, full, 'open')).toMatchObject({
      code: 'CONCORD_ERR_JOURNAL_DISK_FULL',
      details: { condition: 'disk-full' },
    });

    const bytes = readFileSync(file);
    const damagedFile = join(tempDir(), 'damaged.sqlite');
    writeFileSync(damagedFile, Buffer.concat([bytes.subarray(0, 100), Buffer.alloc(8192, 0x41)]));
    const damaged = sqliteError(() =>
      new Database(damagedFile, { readonly: true }).prepare('SELECT 1 FROM records'),
    );
    expect(storageCondition(damaged)).toBe('damaged');
    expect(storageError(damagedFile, damaged, 'read').code).toBe('CONCORD_ERR_JOURNAL_CORRUPT');
  });

  it('maps every SQLite primary code and file-system errno the journal can meet to a documented journal code', () => {
    const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
    const cases: [string, string][] = [
      ['SQLITE_BUSY', 'CONCORD_ERR_JOURNAL_LOCKED'],
      ['SQLITE_BUSY_SNAPSHOT', 'CONCORD_ERR_JOURNAL_LOCKED'],
      ['SQLITE_LOCKED', 'CONCORD_ERR_JOURNAL_LOCKED'],
      ['SQLITE_FULL', 'CONCORD_ERR_JOURNAL_DISK_FULL'],
      ['ENOSPC', 'CONCORD_ERR_JOURNAL_DISK_FULL'],
      ['EDQUOT', 'CONCORD_ERR_JOURNAL_DISK_FULL'],
      ['SQLITE_CORRUPT', 'CONCORD_ERR_JOURNAL_CORRUPT'],
      ['SQLITE_CORRUPT_INDEX', 'CONCORD_ERR_JOURNAL_CORRUPT'],
      ['SQLITE_NOTADB', 'CONCORD_ERR_JOURNAL_CORRUPT'],
      ['SQLITE_IOERR_SHORT_READ', 'CONCORD_ERR_JOURNAL_CORRUPT'],
      ['SQLITE_CANTOPEN', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['SQLITE_READONLY', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['SQLITE_READONLY_DBMOVED', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['SQLITE_PERM', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['SQLITE_IOERR_WRITE', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['EACCES', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['EPERM', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['EROFS', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['EIO', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['SQLITE_NOMEM', 'CONCORD_ERR_JOURNAL_OPEN'],
      ['SOMETHING_NEW', 'CONCORD_ERR_JOURNAL_OPEN'],
    ];
    for (const [code, expected] of cases) {
      const error = storageError(
        '/x/journal.sqlite',
        Object.assign(new Error(`boom ${code}`), { code }),
        'open',
      );
      expect(error.code, code).toBe(expected);
      expect(error.shortMessage, code).toContain('/x/journal.sqlite');
      expect(docs).toContain(`### ${expected}`);
    }
    // Not even an Error: still a journal code.
    expect(storageError('/x/journal.sqlite', 'a string', 'read').code).toBe('CONCORD_ERR_JOURNAL_OPEN');
    // Locked, full and damaged never share words.
    const words = ['SQLITE_BUSY', 'SQLITE_FULL', 'SQLITE_CORRUPT'].map(
      (code) => storageError('/x', Object.assign(new Error('m'), { code }), 'open').shortMessage,
    );
    expect(words[0]).toMatch(/another process/);
    expect(words[1]).toMatch(/disk .*full/);
    expect(words[2]).toMatch(/damaged/);
    expect(new Set(words).size).toBe(3);
  });
});
