import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, GENESIS_HASH } from '../../src/core/index.ts';
import {
  type JournalRecord,
  rawInsertBaseline,
  SqliteJournal,
  verifyJournal,
} from '../../src/journal/index.ts';
import { tempDir } from './helpers.ts';

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Runs SQL on the journal's own connection (tests only: the file is exclusively locked while open). */
function rawDb(journal: SqliteJournal): Database.Database {
  return (journal as unknown as { db: Database.Database }).db;
}

describe('SqliteJournal', () => {
  it('chains records from genesis with the documented hash formula', () => {
    const dir = tempDir();
    const journal = SqliteJournal.open(join(dir, 'nested', 'desk'));
    const first = journal.append('order.accepted', 1_000.5, { b: 2, a: 'x' });
    const second = journal.append('fill', 1_001, [1, null]);
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(first.payloadJson).toBe('{"a":"x","b":2}');
    expect(first.hash).toBe(sha(`${GENESIS_HASH}\n1\n1000.5\norder.accepted\n{"a":"x","b":2}`));
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).toBe(sha(`${first.hash}\n2\n1001\nfill\n[1,null]`));
    expect(journal.head()).toEqual({ seq: 2, hash: second.hash });
    journal.close();
    expect(existsSync(join(dir, 'nested', 'desk', 'journal.sqlite'))).toBe(true);
  });

  it('buffers until flush, then lists durable and buffered records with payloads parsed from JSON', () => {
    const journal = SqliteJournal.open(tempDir());
    journal.append('a', 1, { price: Decimal.from('0.1'), size: 5n });
    journal.append('b', 2, 'two');
    expect(journal.pendingCount()).toBe(2);
    journal.flush();
    expect(journal.pendingCount()).toBe(0);
    journal.append('c', 3, { nested: { z: 1, y: [true] } });
    const records = [...journal.records()];
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]?.payload).toEqual({ price: '0.1', size: '5' });
    expect(records[2]?.payload).toEqual({ nested: { y: [true], z: 1 } });
    expect([...journal.records(2)].map((r) => r.type)).toEqual(['b', 'c']);
    journal.close();
  });

  it('flushes automatically when the buffer reaches the batch size', () => {
    const journal = SqliteJournal.open(tempDir(), { batchSize: 3 });
    journal.append('x', 1, 1);
    journal.append('x', 2, 2);
    expect(journal.pendingCount()).toBe(2);
    journal.append('x', 3, 3);
    expect(journal.pendingCount()).toBe(0);
    journal.close();
  });

  it('pages through more records than one page while appending between yields', () => {
    const journal = SqliteJournal.open(tempDir(), { batchSize: 500 });
    for (let i = 1; i <= 2_300; i++) journal.append('x', i, i);
    let count = 0;
    for (const record of journal.records()) {
      count++;
      expect(record.payload).toBe(record.seq === 2_301 ? 'late' : record.seq);
      if (record.seq === 10) journal.append('late', 9_999, 'late');
    }
    expect(count).toBe(2_301);
    journal.close();
  });

  it('continues the chain after a clean reopen and reports no crash', () => {
    const dir = tempDir();
    const first = SqliteJournal.open(dir);
    first.append('x', 1, 'one');
    const head = first.append('x', 2, 'two');
    first.close();
    expect(() => first.append('x', 3, 'three')).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_CLOSED' }),
    );
    const again = SqliteJournal.open(dir);
    expect(again.recovery).toEqual({ crashed: false, lastSeq: 2, lastHash: head.hash, verified: 2 });
    const next = again.append('x', 3, 'three');
    expect(next.seq).toBe(3);
    expect(next.prevHash).toBe(head.hash);
    again.close();
    expect(verifyJournal(dir)).toEqual({ ok: true, records: 3, headHash: next.hash });
  });

  it('gives the same head hash for the same appends whatever the batch size (hashes do not depend on flushing)', () => {
    const entry = fc.record({
      type: fc.constantFrom('order.accepted', 'fill', 'decision'),
      ts: fc.integer({ min: 0, max: 2 ** 45 }),
      payload: fc.jsonValue(),
    });
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        (entries, batchSize) => {
          const heads: string[] = [];
          const dirs = [tempDir(), tempDir()];
          for (const [i, dir] of dirs.entries()) {
            const journal = SqliteJournal.open(dir, {
              batchSize: i === 0 ? batchSize : 1_000,
              synchronous: 'NORMAL',
            });
            const appended: JournalRecord[] = entries.map((e) => journal.append(e.type, e.ts, e.payload));
            const read = [...journal.records()];
            expect(read.map((r) => r.hash)).toEqual(appended.map((r) => r.hash));
            expect(read.map((r) => r.payloadJson)).toEqual(appended.map((r) => r.payloadJson));
            journal.close();
            heads.push(journal.head().hash);
            const verified = verifyJournal(dir);
            expect(verified).toEqual({ ok: true, records: entries.length, headHash: journal.head().hash });
          }
          expect(heads[0]).toBe(heads[1]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('keeps buffered records when a write fails, throws CONCORD_ERR_JOURNAL_WRITE, and writes them on a later flush', () => {
    const dir = tempDir();
    const journal = SqliteJournal.open(dir);
    journal.append('x', 1, 'durable');
    journal.flush();
    rawDb(journal).exec(
      "CREATE TEMP TRIGGER fail_insert BEFORE INSERT ON records WHEN NEW.seq = 3 BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END",
    );
    journal.append('x', 2, 'two');
    journal.append('x', 3, 'three');
    const error = (() => {
      try {
        journal.flush();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({
      code: 'CONCORD_ERR_JOURNAL_WRITE',
      details: { pending: 2, firstSeq: 2, lastSeq: 3 },
    });
    expect(journal.pendingCount()).toBe(2);
    // The failed batch was rolled back as a whole: record 2 is not durable either.
    expect(rawDb(journal).prepare('SELECT COUNT(*) AS n FROM records').get()).toEqual({ n: 1 });
    rawDb(journal).exec('DROP TRIGGER fail_insert');
    journal.flush();
    expect(journal.pendingCount()).toBe(0);
    journal.close();
    expect(verifyJournal(dir)).toMatchObject({ ok: true, records: 3 });
  });

  it('throws CONCORD_ERR_JOURNAL_WRITE from append when the automatic flush fails, keeping the record', () => {
    const journal = SqliteJournal.open(tempDir(), { batchSize: 2 });
    rawDb(journal).exec(
      "CREATE TEMP TRIGGER f BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'io error'); END",
    );
    journal.append('x', 1, 1);
    expect(() => journal.append('x', 2, 2)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_WRITE' }),
    );
    expect(journal.pendingCount()).toBe(2);
    expect(journal.head().seq).toBe(2);
    rawDb(journal).exec('DROP TRIGGER f');
    journal.close();
  });

  it('refuses a record with a non-finite ts or a payload that cannot be serialised, without consuming a seq', () => {
    const journal = SqliteJournal.open(tempDir());
    expect(() => journal.append('x', Number.NaN, 1)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_RECORD_INVALID' }),
    );
    expect(() => journal.append('x', 1, { bad: Number.POSITIVE_INFINITY })).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_CANONICAL_JSON' }),
    );
    expect(journal.append('x', 1, 1).seq).toBe(1);
    journal.close();
  });

  it('refuses a second writer while the journal is open', () => {
    const dir = tempDir();
    const journal = SqliteJournal.open(dir);
    journal.append('x', 1, 1);
    journal.flush();
    expect(() => SqliteJournal.open(dir)).toThrow(
      expect.objectContaining({
        code: 'CONCORD_ERR_JOURNAL_LOCKED',
        retryable: true,
        details: expect.objectContaining({ condition: 'locked', sqliteCode: 'SQLITE_BUSY' }),
      }),
    );
    journal.close();
  });

  it('refuses to append onto a chain whose tail was tampered with (CONCORD_ERR_JOURNAL_CORRUPT)', () => {
    const dir = tempDir();
    const journal = SqliteJournal.open(dir);
    for (let i = 1; i <= 20; i++) journal.append('x', i, { i });
    journal.close();
    const db = new Database(join(dir, 'journal.sqlite'));
    db.prepare('UPDATE records SET payload = ? WHERE seq = 17').run('{"i":1700}');
    db.close();
    let error: unknown;
    try {
      SqliteJournal.open(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'CONCORD_ERR_JOURNAL_CORRUPT',
      details: { seq: 17, reason: 'hash-mismatch' },
    });
  });

  it('reports a file that is not a database as not a journal, and a damaged database as corrupt', () => {
    const dir = tempDir();
    const journal = SqliteJournal.open(dir);
    journal.close();
    const file = join(dir, 'journal.sqlite');
    const header = readFileSync(file).subarray(0, 100);
    writeFileSync(file, 'this is not a database, just text'.repeat(200));
    expect(() => SqliteJournal.open(dir)).toThrow(
      expect.objectContaining({
        code: 'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL',
        details: expect.objectContaining({ kind: 'not-sqlite' }),
      }),
    );
    // A real SQLite header followed by garbage: a journal whose body was destroyed.
    writeFileSync(file, Buffer.concat([header, Buffer.alloc(8192, 0x41)]));
    expect(() => SqliteJournal.open(dir)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_CORRUPT' }),
    );
  });

  it('inserts baseline rows into a plain table for the benchmark', () => {
    const dir = tempDir();
    const rows = Array.from({ length: 2_500 }, (_, i) => ({ type: 'x', ts: i, payload: { i } }));
    expect(rawInsertBaseline(dir, rows, { batchSize: 1_000 })).toBe(2_500);
    expect(rawInsertBaseline(dir, rows.slice(0, 10))).toBe(10);
    const db = new Database(join(dir, 'baseline.sqlite'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM raw').get()).toEqual({ n: 10 });
    db.close();
  });
});
