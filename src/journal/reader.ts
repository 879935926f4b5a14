/**
 * Read-only access to a journal directory, for replay, resume planning and tools.
 * Opening it writes nothing (no session row), so reading a crashed journal does
 * not hide the crash from the desk that resumes it later.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConcordError, GENESIS_HASH } from '../core/index.ts';
import { JOURNAL_FILE } from './sqlite.ts';
import type { JournalHead, JournalRecord } from './types.ts';

interface Row {
  seq: number;
  ts: number;
  type: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

export class JournalReader {
  private readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  static open(dir: string): JournalReader {
    const path = join(dir, JOURNAL_FILE);
    if (!existsSync(path)) {
      throw new ConcordError('CONCORD_ERR_JOURNAL_NOT_FOUND', `no journal at ${path}: check the directory`, {
        details: { dir, path },
      });
    }
    return new JournalReader(new Database(path, { readonly: true, fileMustExist: true, timeout: 250 }));
  }

  head(): JournalHead {
    const row = this.db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1').get() as
      | { seq: number; hash: string }
      | undefined;
    return { seq: row?.seq ?? 0, hash: row?.hash ?? GENESIS_HASH };
  }

  /** Records in order, optionally only those of the given types. */
  *records(types?: readonly string[]): IterableIterator<JournalRecord> {
    const where = types === undefined ? '' : ` WHERE type IN (${types.map(() => '?').join(',')})`;
    const stmt = this.db.prepare(
      `SELECT seq, ts, type, payload, prev_hash, hash FROM records${where} ORDER BY seq`,
    );
    for (const row of stmt.iterate(...(types ?? [])) as IterableIterator<Row>) {
      yield {
        seq: row.seq,
        ts: row.ts,
        type: row.type,
        payload: JSON.parse(row.payload) as unknown,
        payloadJson: row.payload,
        prevHash: row.prev_hash,
        hash: row.hash,
      };
    }
  }

  /** The last record of one of these types, or undefined. */
  last(types: readonly string[]): JournalRecord | undefined {
    const stmt = this.db.prepare(
      `SELECT seq, ts, type, payload, prev_hash, hash FROM records WHERE type IN (${types.map(() => '?').join(',')}) ORDER BY seq DESC LIMIT 1`,
    );
    const row = stmt.get(...types) as Row | undefined;
    return row === undefined
      ? undefined
      : {
          seq: row.seq,
          ts: row.ts,
          type: row.type,
          payload: JSON.parse(row.payload),
          payloadJson: row.payload,
          prevHash: row.prev_hash,
          hash: row.hash,
        };
  }

  count(type: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM records WHERE type = ?').get(type) as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
