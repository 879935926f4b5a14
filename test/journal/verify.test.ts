import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/core/index.ts';
import { recordHash, SqliteJournal, verifyJournal } from '../../src/journal/index.ts';
import { tempDir } from './helpers.ts';

function journalWith(count: number, payloadOf: (seq: number) => unknown = (seq) => ({ seq })): string {
  const dir = tempDir();
  const journal = SqliteJournal.open(dir, { synchronous: 'NORMAL' });
  for (let seq = 1; seq <= count; seq++) journal.append('test.record', 1_000 + seq, payloadOf(seq));
  journal.close();
  return dir;
}

function withDb(dir: string, run: (db: Database.Database) => void): void {
  const db = new Database(join(dir, 'journal.sqlite'));
  try {
    run(db);
  } finally {
    db.close();
  }
}

describe('verifyJournal', () => {
  it('accepts an intact journal and returns its head hash', () => {
    const dir = tempDir();
    const journal = SqliteJournal.open(dir);
    for (let i = 1; i <= 50; i++) journal.append('x', i, { i });
    const head = journal.head();
    journal.close();
    expect(verifyJournal(dir)).toEqual({ ok: true, records: 50, headHash: head.hash });
  });

  it('accepts an empty journal with the genesis hash as head', () => {
    expect(verifyJournal(journalWith(0))).toEqual({ ok: true, records: 0, headHash: GENESIS_HASH });
  });

  it('names the record whose payload bytes were flipped in the file on disk', () => {
    const marker = 'MARKER-q7Zk3-unique';
    const dir = journalWith(40, (seq) => (seq === 23 ? { seq, note: marker } : { seq, note: 'plain' }));
    const file = join(dir, 'journal.sqlite');
    const bytes = readFileSync(file);
    const at = bytes.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    expect(bytes.indexOf(marker, at + 1)).toBe(-1);
    bytes[at + marker.length - 1] = 'f'.charCodeAt(0); // 'unique' → 'uniquf', same length
    writeFileSync(file, bytes);
    const result = verifyJournal(dir);
    expect(result).toMatchObject({ ok: false, records: 22, firstBad: { seq: 23, reason: 'hash-mismatch' } });
    expect(result.ok === false && result.message).toContain('record 23');
  });

  it('reports a deleted record as a seq gap at that seq', () => {
    const dir = journalWith(10);
    withDb(dir, (db) => db.prepare('DELETE FROM records WHERE seq = 6').run());
    expect(verifyJournal(dir)).toMatchObject({
      ok: false,
      records: 5,
      firstBad: { seq: 6, reason: 'seq-gap', expected: '6', actual: '7' },
    });
  });

  it('reports a record rewritten with a self-consistent hash as breaking the link of the next one', () => {
    const dir = journalWith(10);
    withDb(dir, (db) => {
      const row = db.prepare('SELECT prev_hash, ts, type FROM records WHERE seq = 4').get() as {
        prev_hash: string;
        ts: number;
        type: string;
      };
      const payload = '{"seq":4000}';
      db.prepare('UPDATE records SET payload = ?, hash = ? WHERE seq = 4').run(
        payload,
        recordHash(row.prev_hash, 4, row.ts, row.type, payload),
      );
    });
    expect(verifyJournal(dir)).toMatchObject({
      ok: false,
      records: 4,
      firstBad: { seq: 5, reason: 'prev-hash-mismatch' },
    });
  });

  it('reports a record with a wrongly typed column as malformed', () => {
    const dir = journalWith(5);
    withDb(dir, (db) => db.prepare("UPDATE records SET ts = 'yesterday' WHERE seq = 3").run());
    expect(verifyJournal(dir)).toMatchObject({
      ok: false,
      records: 2,
      firstBad: { seq: 3, reason: 'malformed' },
    });
  });

  it('reports records cut off after a clean shutdown', () => {
    const dir = journalWith(10);
    withDb(dir, (db) => db.prepare('DELETE FROM records WHERE seq > 7').run());
    expect(verifyJournal(dir)).toMatchObject({
      ok: false,
      records: 7,
      firstBad: { seq: 8, reason: 'seq-gap' },
    });
  });

  it('reports a journal SQLite cannot read (header intact, body destroyed) as broken, without throwing', () => {
    const dir = journalWith(3);
    const file = join(dir, 'journal.sqlite');
    const header = readFileSync(file).subarray(0, 100);
    writeFileSync(file, Buffer.concat([header, Buffer.alloc(8192, 0x41)]));
    const result = verifyJournal(dir);
    expect(result).toMatchObject({
      ok: false,
      code: 'CONCORD_ERR_JOURNAL_CORRUPT',
      records: 0,
      firstBad: { seq: 1, reason: 'unreadable' },
    });
    expect(result.ok === false && result.firstBad.actual).toMatch(/malformed|not a database/);
  });

  it('throws CONCORD_ERR_JOURNAL_NOT_A_JOURNAL for a file that is not SQLite at all (nothing to call broken)', () => {
    const dir = journalWith(3);
    writeFileSync(join(dir, 'journal.sqlite'), Buffer.alloc(8192, 0x41));
    expect(() => verifyJournal(dir)).toThrow(
      expect.objectContaining({
        code: 'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL',
        details: expect.objectContaining({ kind: 'not-sqlite' }),
      }),
    );
  });

  it('reports a journal file truncated mid-way as unreadable or broken, without throwing', () => {
    const dir = journalWith(3_000, (seq) => ({ seq, filler: 'x'.repeat(100) }));
    const file = join(dir, 'journal.sqlite');
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    const result = verifyJournal(dir);
    expect(result.ok).toBe(false);
  });

  it('throws CONCORD_ERR_JOURNAL_LOCKED for a journal held open by a writer: locked is not broken', () => {
    const dir = tempDir();
    const journal = SqliteJournal.open(dir);
    journal.append('x', 1, 1);
    journal.flush();
    expect(() => verifyJournal(dir)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_LOCKED', retryable: true }),
    );
    journal.close();
    expect(verifyJournal(dir)).toMatchObject({ ok: true, records: 1 });
  });

  it('throws CONCORD_ERR_JOURNAL_NOT_FOUND for a missing directory or file', () => {
    expect(() => verifyJournal(join(tempDir(), 'nope'))).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_NOT_FOUND' }),
    );
    expect(() => verifyJournal(tempDir())).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_NOT_FOUND' }),
    );
  });

  it('opens the file read-only (verifying never changes it)', () => {
    const dir = journalWith(5);
    const before = readFileSync(join(dir, 'journal.sqlite'));
    verifyJournal(dir);
    expect(readFileSync(join(dir, 'journal.sqlite')).equals(before)).toBe(true);
  });
});
