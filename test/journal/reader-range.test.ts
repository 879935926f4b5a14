/**
 * JournalReader reads a range of seqs, the first and last record of some types within one, and
 * a caller that stops iterating early leaves the connection usable (and closable).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JournalReader, SqliteJournal } from '../../src/journal/index.ts';
import { tempDir } from '../helpers/cli.ts';

function journal(): string {
  const dir = join(tempDir(), 'j');
  const j = SqliteJournal.open(dir);
  for (let i = 1; i <= 20; i++) j.append(i % 2 === 0 ? 'even' : 'odd', 1000 + i, { i });
  j.close();
  return dir;
}

describe('JournalReader ranges', () => {
  it('reads only the records of the given types within fromSeq..toSeq, both inclusive', () => {
    const reader = JournalReader.open(journal());
    try {
      expect([...reader.records(undefined, { fromSeq: 5, toSeq: 8 })].map((r) => r.seq)).toEqual([
        5, 6, 7, 8,
      ]);
      expect([...reader.records(['even'], { fromSeq: 5, toSeq: 9 })].map((r) => r.seq)).toEqual([6, 8]);
      expect([...reader.records(['odd'], { toSeq: 4 })].map((r) => r.seq)).toEqual([1, 3]);
      expect([...reader.records(['odd'], { fromSeq: 18 })].map((r) => r.seq)).toEqual([19]);
      expect(reader.first(['even'], { fromSeq: 7 })?.seq).toBe(8);
      expect(reader.last(['even'], { toSeq: 7 })?.seq).toBe(6);
      expect(reader.last(['odd'])?.seq).toBe(19);
      expect(reader.first(['even'], { fromSeq: 21 })).toBeUndefined();
    } finally {
      reader.close();
    }
  });

  it('stays usable and closes after a caller breaks out of an iteration', () => {
    const reader = JournalReader.open(journal());
    for (const r of reader.records()) if (r.seq === 3) break;
    const it = reader.records(['even']);
    expect(it.next().value?.seq).toBe(2);
    it.return?.(undefined);
    expect(reader.head().seq).toBe(20);
    expect(() => reader.close()).not.toThrow();
  });
});
