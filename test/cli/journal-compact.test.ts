import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { JournalReader, type JournalRecord } from '../../src/journal/index.ts';
import { lastJsonLine, runCli, tempDir } from '../helpers/cli.ts';

function records(dir: string): JournalRecord[] {
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()];
  } finally {
    reader.close();
  }
}

describe('concord journal compact', () => {
  it('starts a new journal from the last checkpoint, linked by hash; a desk resumes it and replay reproduces it', () => {
    const base = tempDir('concord-compact-');
    const dir = join(base, 'journal');
    const out = join(base, 'compacted');
    const first = runCli([
      'run',
      '--seed',
      '5',
      '--duration',
      '3m',
      '--speed',
      'max',
      '--json',
      '--journal',
      dir,
    ]);
    expect(first.code, first.stderr).toBe(0);
    const source = records(dir);
    const checkpoint = source.filter((r) => r.type === 'checkpoint').at(-1) as JournalRecord;
    const start = source.find((r) => r.type === 'run.start') as JournalRecord;

    const compact = runCli(['journal', 'compact', dir, '--out', out, '--json']);
    expect(compact.code, compact.stderr).toBe(0);
    const result = lastJsonLine(compact.stdout) as {
      source: { headHash: string; checkpointSeq: number };
      out: { records: number };
    };
    expect(result.source.headHash).toBe(source.at(-1)?.hash);
    expect(result.out.records).toBe(3);

    const compacted = records(out);
    expect(compacted.map((r) => r.type)).toEqual(['journal.compacted', 'run.start', 'checkpoint']);
    expect(compacted[0]?.payload).toMatchObject({
      version: 2,
      // A run that ended cleanly has no durable tail after its last checkpoint.
      carriedTail: 0,
      source: {
        records: source.length,
        headHash: source.at(-1)?.hash,
        checkpointSeq: checkpoint.seq,
        checkpointHash: checkpoint.hash,
      },
      resumes: 0,
    });
    // Byte for byte: the link by hash to the source's checkpoint proves what was carried over.
    expect(compacted[1]?.payloadJson).toBe(start.payloadJson);
    expect(compacted[2]?.payloadJson).toBe(checkpoint.payloadJson);

    const resumed = runCli(['run', '--duration', '30s', '--speed', 'max', '--json', '--journal', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(lastJsonLine(resumed.stdout).resumed).toEqual({ fromSeq: 3, crashed: false });
    const after = records(out);
    const restored = after[3]?.payload as { positions: unknown; seed: number };
    expect(after[3]?.type).toBe('run.resumed');
    expect(restored.positions).toEqual(
      (checkpoint.payload as { portfolio: { positions: unknown } }).portfolio.positions,
    );
    // The first restart of the run, as it would have been on the source journal.
    expect(restored.seed).toBe((5 + 0x9e3779b1) >>> 0);

    const replay = runCli(['replay', out, '--json']);
    expect(replay.code, replay.stdout).toBe(0);
    expect(lastJsonLine(replay.stdout).ok).toBe(true);

    // Never over an existing journal.
    const again = runCli(['journal', 'compact', dir, '--out', out]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('CONCORD_ERR_JOURNAL_COMPACT');
    expect(records(out)).toHaveLength(after.length);
  }, 300_000);

  it('refuses a source whose chain does not verify, and writes nothing', () => {
    const base = tempDir('concord-compact-bad-');
    const dir = join(base, 'journal');
    const out = join(base, 'compacted');
    expect(
      runCli(['run', '--seed', '6', '--duration', '1m', '--speed', 'max', '--json', '--journal', dir]).code,
    ).toBe(0);
    const db = new Database(join(dir, 'journal.sqlite'));
    try {
      db.prepare('UPDATE records SET payload = \'{"tampered":true}\' WHERE seq = 5').run();
    } finally {
      db.close();
    }
    const r = runCli(['journal', 'compact', dir, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('CONCORD_ERR_JOURNAL_CORRUPT');
    expect(r.stderr).toContain('record 5');
    expect(existsSync(join(out, 'journal.sqlite'))).toBe(false);
  }, 300_000);

  it('answers bad usage with exit 2', () => {
    expect(runCli(['journal', 'compact']).code).toBe(2);
    expect(runCli(['journal', 'compact', '/nonexistent']).code).toBe(2);
    const help = runCli(['journal', 'compact', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--out');
  });
});
