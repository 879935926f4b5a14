import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/index.ts';
import { JournalReader } from '../../src/journal/index.ts';
import { lastJsonLine, runCli, runCliAsync, stderrBesidesApi, tempDir } from '../helpers/cli.ts';

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function records(dir: string) {
  const j = JournalReader.open(dir);
  try {
    return [...j.records()];
  } finally {
    j.close();
  }
}

describe('crash recovery', () => {
  it('a run killed with SIGKILL resumes from its journal with positions and trust intact', async () => {
    const dir = join(tempDir(), 'journal');
    const child = runCliAsync([
      'run',
      '--seed',
      '11',
      '--duration',
      '24h',
      '--speed',
      'max',
      '--json',
      '--journal',
      dir,
    ]);
    const db = join(dir, 'journal.sqlite');
    // Let it trade for a while: wait until the journal holds several durable batches with fills.
    await waitFor(
      () =>
        existsSync(db) &&
        statSync(db).size + (existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0) > 3_000_000,
      90_000,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const verify = runCli(['journal', 'verify', dir, '--json']);
    expect(verify.code).toBe(0);
    const before = records(dir);
    const lastCheckpoint = [...before].reverse().find((r) => r.type === 'checkpoint');
    expect(lastCheckpoint).toBeDefined();
    // Every batch ends with a checkpoint, so the durable tail is the checkpoint itself.
    expect(before[before.length - 1]?.type).toBe('checkpoint');
    const fillsBefore = before.filter((r) => r.type === 'order.filled').length;
    expect(fillsBefore).toBeGreaterThan(0);

    const resumed = runCli(['run', '--duration', '30s', '--speed', 'max', '--json', '--journal', dir], {
      timeoutMs: 120_000,
    });
    expect(stderrBesidesApi(resumed.stderr)).toBe('');
    expect(resumed.code).toBe(0);
    const summary = lastJsonLine(resumed.stdout);
    expect(summary.resumed).toEqual({ fromSeq: before.length, crashed: true });

    const after = records(dir);
    // Nothing before the cut is lost: the old records are still there, byte for byte.
    for (let i = 0; i < before.length; i++) expect(after[i]?.hash).toBe(before[i]?.hash);
    const resumeRecord = after[before.length];
    expect(resumeRecord?.type).toBe('run.resumed');
    const restored = resumeRecord?.payload as { crashed: boolean; positions: unknown; trust: unknown };
    const cp = lastCheckpoint?.payload as {
      portfolio: { positions: unknown };
      orchestrator: { trust: unknown };
    };
    expect(restored.crashed).toBe(true);
    expect(restored.positions).toEqual(cp.portfolio.positions);
    expect(restored.trust).toEqual(cp.orchestrator.trust);

    const verifyAfter = runCli(['journal', 'verify', dir, '--json']);
    expect(verifyAfter.code).toBe(0);
    expect(lastJsonLine(verifyAfter.stdout).records).toBe(after.length);

    // The whole history, crash and resume included, replays to the same hash.
    const replay = runCli(['replay', dir, '--json'], { timeoutMs: 240_000 });
    expect(replay.code).toBe(0);
    expect(lastJsonLine(replay.stdout).replayHash).toBe(summary.journalHash);
  });
});

describe('tamper evidence', () => {
  it('flipping one byte of a journal record makes verify fail and name the record', () => {
    const dir = join(tempDir(), 'journal');
    const run = runCli([
      'run',
      '--seed',
      '3',
      '--duration',
      '20s',
      '--speed',
      'max',
      '--json',
      '--journal',
      dir,
    ]);
    expect(run.code).toBe(0);
    const all = records(dir);
    // Pick a decision record in the middle and change one character of its stored reasoning.
    const target = all.filter((r) => r.type === 'decision')[5];
    expect(target).toBeDefined();
    const db = join(dir, 'journal.sqlite');
    const bytes = readFileSync(db);
    // The journal stores each payload as canonical JSON text: find this record's text in the file.
    const needle = Buffer.from(canonicalJson(target?.payload));
    const at = bytes.indexOf(needle);
    expect(at).toBeGreaterThan(0);
    expect(bytes.indexOf(needle, at + 1)).toBe(-1);
    const flip = at + Math.floor(needle.length / 2);
    bytes[flip] = bytes[flip] === 0x61 ? 0x62 : 0x61; // one byte, same length
    writeFileSync(db, bytes);

    const verify = runCli(['journal', 'verify', dir, '--json']);
    expect(verify.code).toBe(1);
    const report = lastJsonLine(verify.stdout) as { ok: boolean; firstBad: { seq: number; reason: string } };
    expect(report.ok).toBe(false);
    expect(report.firstBad.seq).toBe(target?.seq);
    const human = runCli(['journal', 'verify', dir]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(String(target?.seq));
  });
});
