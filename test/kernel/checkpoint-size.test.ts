/**
 * Bounded journals: a checkpoint is written at every durable batch (every second of desk time),
 * so its size must not depend on how long the desk has run — only on what is open now.
 * Not timed: it compares bytes, not seconds.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JournalReader } from '../../src/journal/index.ts';
import { parseDeskConfig } from '../../src/kernel/index.ts';
import { runDesk } from '../../src/modes/index.ts';
import { tempDir } from '../helpers/cli.ts';

const MINUTE = 60_000;

describe('checkpoint size', () => {
  it('is the same after 10 and after 40 simulated minutes, though several times as many fills happened since', async () => {
    const base = tempDir('concord-checkpoint-size-');
    const dir = join(base, 'journal');
    try {
      await runDesk({
        // A generous order notional lets most consensus orders through: hundreds of fills.
        config: parseDeskConfig({
          seed: 7,
          journal: { dir },
          risk: { maxOrderNotional: { default: '1000000' } },
        }),
        durationMs: 40 * MINUTE,
        speed: Number.POSITIVE_INFINITY,
      });
      const reader = JournalReader.open(dir);
      const checkpoints: Array<{ ts: number; bytes: number; fills: number; openOrders: number }> = [];
      try {
        for (const r of reader.records()) {
          if (r.type !== 'checkpoint') continue;
          const cp = r.payload as { counters: { fills: number }; orders: { orders: unknown[] } };
          checkpoints.push({
            ts: r.ts,
            bytes: r.payloadJson.length,
            fills: cp.counters.fills,
            openOrders: cp.orders.orders.length,
          });
        }
      } finally {
        reader.close();
      }
      const start = checkpoints[0]?.ts ?? 0;
      // Compare like with like: checkpoints with no open order, one minute around each mark.
      const around = (minute: number) =>
        checkpoints.filter(
          (c) => c.openOrders === 0 && Math.abs(c.ts - start - minute * MINUTE) <= MINUTE / 2,
        );
      const early = around(10);
      const late = around(39);
      expect(early.length).toBeGreaterThan(10);
      expect(late.length).toBeGreaterThan(10);
      const fillsEarly = Math.max(...early.map((c) => c.fills));
      const fillsLate = Math.min(...late.map((c) => c.fills));
      expect(fillsLate).toBeGreaterThanOrEqual(2 * fillsEarly);
      const maxEarly = Math.max(...early.map((c) => c.bytes));
      const maxLate = Math.max(...late.map((c) => c.bytes));
      // Counters and PnL figures gain a few digits; trade ids of closed orders must not be there.
      expect(maxLate).toBeLessThanOrEqual(maxEarly * 1.05);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 300_000);
});
