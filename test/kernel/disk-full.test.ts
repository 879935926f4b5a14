/**
 * Durable before visible, on a full disk: a desk whose journal runs out of space fails closed,
 * and every fill it printed before that is in the journal, restored by the resumed desk.
 *
 * The disk is a 3 MB tmpfs when this process may mount one (root, as in CI). When mounting is
 * refused, the write failure is injected at the file level instead: the desk runs under a file
 * size limit (`ulimit -f`, which Node answers with EFBIG rather than a signal), so SQLite's write
 * of the journal fails past 3 MB exactly as it would on a full disk. CONCORD_TEST_NO_MOUNT=1
 * forces that path.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/core/index.ts';
import { JournalReader, type JournalRecord } from '../../src/journal/index.ts';
import { BIN, lastJsonLine, ROOT, runCli, tempDir } from '../helpers/cli.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Mounts a tmpfs of `size` on `dir`; false when this process may not mount. */
function mountTmpfs(dir: string, size: string): boolean {
  if (process.env.CONCORD_TEST_NO_MOUNT === '1') return false;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status !== 0) return false;
  cleanups.push(() => spawnSync('umount', [dir], { timeout: 10_000 }));
  return true;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real CLI in a child process; `fileLimitBytes` caps every file it writes (ulimit -f, 512-byte blocks in sh). */
function runDesk(args: readonly string[], fileLimitBytes?: number): Run {
  const env = { ...process.env, NO_COLOR: '1' };
  const r =
    fileLimitBytes === undefined
      ? spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env })
      : spawnSync(
          'sh',
          [
            '-c',
            `ulimit -f ${Math.floor(fileLimitBytes / 512)} && exec "$0" "$@"`,
            process.execPath,
            BIN,
            ...args,
          ],
          { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env },
        );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readJournal(dir: string): JournalRecord[] {
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()];
  } finally {
    reader.close();
  }
}

interface FillPayload {
  fill: { side: string; quantity: string; instrumentId: string; price: string; liquidity: string };
}

/** The desk's fill line: `fill <side> <quantity> <instrument> @ <price> (<liquidity>)`. */
function fillLine(p: FillPayload['fill']): string {
  return `fill ${p.side} ${p.quantity} ${p.instrumentId} @ ${p.price} (${p.liquidity})`;
}

describe('a full disk', () => {
  it('loses nothing that was printed: every printed fill is in the journal and restored on resume', () => {
    const base = tempDir('concord-disk-full-');
    cleanups.push(() => rmSync(base, { recursive: true, force: true }));
    const disk = join(base, 'disk');
    mkdirSync(disk);
    const mounted = mountTmpfs(disk, '3m');
    const dir = join(disk, 'journal');
    // Long batches (20 s of desk time): a failed commit then takes several printed-too-early
    // fills with it if anything is shown before it is durable.
    const config = join(base, 'config.json');
    writeFileSync(config, JSON.stringify({ journal: { flushEveryMs: 20_000 } }));
    const args = ['run', '--config', config, '--seed', '3', '--duration', '24h', '--speed', 'max'];

    const full = runDesk([...args, '--journal', dir], mounted ? undefined : 3_000_000);
    expect(full.code, full.stderr).toBe(3);
    expect(full.stderr).toContain('CONCORD_ERR_JOURNAL_WRITE');
    expect(full.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const lines = full.stdout.split('\n');
    expect(lines.some((l) => l.startsWith('HALT: journal'))).toBe(true);
    const printed = lines.filter((l) => l.startsWith('fill '));
    expect(printed.length).toBeGreaterThan(0);

    // Room again (a bigger disk, or no limit), then the same journal resumes.
    if (mounted) {
      const remount = spawnSync('mount', ['-o', 'remount,size=64m', disk], { encoding: 'utf8' });
      expect(remount.status, remount.stderr).toBe(0);
    }
    const before = readJournal(dir);
    const resumed = runCli(['run', '--duration', '5s', '--speed', 'max', '--json', '--journal', dir], {
      timeoutMs: 180_000,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(lastJsonLine(resumed.stdout).resumed).toEqual({ fromSeq: before.length, crashed: true });
    expect(runCli(['journal', 'verify', dir]).code).toBe(0);

    const after = readJournal(dir);
    const resumeAt = after.findIndex((r) => r.type === 'run.resumed');
    expect(resumeAt).toBe(before.length);
    const lastCheckpoint = before.map((r) => r.type).lastIndexOf('checkpoint');
    expect(lastCheckpoint).toBeGreaterThan(0);
    // What a restart restores is the last checkpoint: the fills it covers are exactly the ones printed.
    const covered = before
      .slice(0, lastCheckpoint + 1)
      .filter((r) => r.type === 'order.filled')
      .map((r) => (r.payload as FillPayload).fill);
    expect(printed).toEqual(covered.map(fillLine));

    const expected = new Map<string, Decimal>();
    for (const f of covered) {
      const quantity = Decimal.from(f.quantity);
      const signed = f.side === 'buy' ? quantity : quantity.neg();
      expected.set(f.instrumentId, (expected.get(f.instrumentId) ?? Decimal.ZERO).add(signed));
    }
    const resumeRecord = after[resumeAt] as JournalRecord;
    const restored = (
      resumeRecord.payload as { positions: Array<{ instrumentId: string; quantity: string }> }
    ).positions;
    const restoredQty = new Map(restored.map((p) => [p.instrumentId, Decimal.from(p.quantity)]));
    for (const [instrumentId, quantity] of expected) {
      expect(restoredQty.get(instrumentId)?.toString(), instrumentId).toBe(quantity.toString());
    }
    expect([...expected.values()].some((q) => !q.isZero())).toBe(true);
  }, 300_000);
});
