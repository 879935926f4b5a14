import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteJournal, verifyJournal } from '../../src/journal/index.ts';
import { tempDir } from './helpers.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const writer = join(import.meta.dirname, 'fixtures', 'crash-writer.ts');
const BATCH = 50;

/** Starts the writer, waits until it reports `minSeq` durable records, then SIGKILLs it. */
function runAndKill(dir: string, minSeq: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(BATCH)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let reported = 0;
    let stderr = '';
    let output = '';
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer did not reach ${minSeq} records in time; stderr: ${stderr}`));
    }, 45_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output.split('\n');
      output = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^flushed (\d+)$/.exec(line);
        if (m) reported = Number(m[1]);
      }
      if (reported >= minSeq && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal === 'SIGKILL') resolvePromise(reported);
      else reject(new Error(`writer exited on its own (code ${code}); stderr: ${stderr}`));
    });
  });
}

describe('journal crash recovery (SIGKILL of a writing process)', () => {
  it('detects the crash, keeps every flushed record intact and continues the chain', async () => {
    const dir = tempDir();
    const reported = await runAndKill(dir, 1_000);
    expect(reported).toBeGreaterThanOrEqual(1_000);

    // Every batch the writer reported is there, and only whole batches: commits are atomic.
    const verified = verifyJournal(dir);
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.records).toBeGreaterThanOrEqual(reported);
    expect(verified.records % BATCH).toBe(0);

    const journal = SqliteJournal.open(dir);
    expect(journal.recovery.crashed).toBe(true);
    expect(journal.recovery.lastSeq).toBe(verified.records);
    expect(journal.recovery.lastHash).toBe(verified.headHash);
    expect(journal.recovery.verified).toBe(verified.records);
    let seq = 0;
    for (const record of journal.records()) {
      seq++;
      expect(record.seq).toBe(seq);
      expect(record.payload).toEqual({ seq, text: `record ${seq}`, batch: Math.ceil(seq / BATCH) });
    }
    expect(seq).toBe(verified.records);

    const next = journal.append('after.crash', 1, { resumed: true });
    expect(next.seq).toBe(verified.records + 1);
    expect(next.prevHash).toBe(verified.headHash);
    journal.close();

    expect(verifyJournal(dir)).toEqual({ ok: true, records: verified.records + 1, headHash: next.hash });
    const reopened = SqliteJournal.open(dir);
    expect(reopened.recovery.crashed).toBe(false);
    reopened.close();
  });
});
