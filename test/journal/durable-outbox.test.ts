import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurableOutbox, durableSeq, SqliteJournal } from '../../src/journal/index.ts';

describe('DurableOutbox', () => {
  it('delivers an item only once the record it depends on is durable, in the order held', () => {
    const out = new DurableOutbox<string>();
    const seen: string[] = [];
    out.subscribe((s) => seen.push(s));
    out.hold(3, 'fill a');
    out.hold(5, 'fill b');
    out.hold(5, 'ack b');
    expect(out.release(2)).toBe(0);
    expect(seen).toEqual([]);
    expect(out.release(4)).toBe(1);
    expect(seen).toEqual(['fill a']);
    expect(out.withheld()).toBe(2);
    expect(out.release(9)).toBe(2);
    expect(seen).toEqual(['fill a', 'fill b', 'ack b']);
    // Already durable, nothing queued ahead: out at once.
    out.hold(8, 'late');
    expect(seen.at(-1)).toBe('late');
  });

  it('property: never delivers ahead of durability, and keeps the order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ hold: fc.nat(50) }), fc.record({ release: fc.nat(60) })), {
          maxLength: 60,
        }),
        (ops) => {
          const out = new DurableOutbox<{ id: number; seq: number }>();
          const delivered: Array<{ id: number; seq: number; durable: number }> = [];
          let durable = 0;
          out.subscribe((item) => delivered.push({ ...item, durable }));
          let id = 0;
          for (const op of ops) {
            if ('hold' in op) out.hold(op.hold, { id: id++, seq: op.hold });
            else {
              durable = Math.max(durable, op.release);
              out.release(op.release);
            }
          }
          for (const d of delivered) expect(d.seq).toBeLessThanOrEqual(d.durable);
          expect(delivered.map((d) => d.id)).toEqual([...delivered.map((d) => d.id)].sort((a, b) => a - b));
          expect(delivered.length + out.withheld()).toBe(id);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('durableSeq is the journal head minus what is still buffered', () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-outbox-'));
    const journal = SqliteJournal.open(dir, { batchSize: 100 });
    try {
      journal.append('a', 1, {});
      journal.append('b', 2, {});
      expect(durableSeq(journal)).toBe(0);
      journal.flush();
      expect(durableSeq(journal)).toBe(2);
      journal.append('c', 3, {});
      expect(durableSeq(journal)).toBe(2);
    } finally {
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
