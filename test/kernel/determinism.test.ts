import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastJsonLine, runCli, stderrBesidesApi, tempDir } from '../helpers/cli.ts';

describe('determinism (invariant 1)', () => {
  it('two runs with the same seed print the same journalHash, and replay reproduces it', () => {
    const base = tempDir();
    const a = join(base, 'a');
    const b = join(base, 'b');
    const args = (dir: string) => [
      'run',
      '--seed',
      '7',
      '--duration',
      '10m',
      '--speed',
      'max',
      '--json',
      '--journal',
      dir,
    ];
    const ra = runCli(args(a), { timeoutMs: 240_000 });
    expect(stderrBesidesApi(ra.stderr)).toBe('');
    expect(ra.code).toBe(0);
    const rb = runCli(args(b), { timeoutMs: 240_000 });
    expect(rb.code).toBe(0);
    const sa = lastJsonLine(ra.stdout);
    const sb = lastJsonLine(rb.stdout);
    for (const key of ['journalHash', 'decisions', 'orders', 'fills', 'pnl']) expect(sa).toHaveProperty(key);
    expect(sa.journalHash).toMatch(/^[0-9a-f]{64}$/);
    expect(sb.journalHash).toBe(sa.journalHash);
    // The run must have done something worth reproducing.
    expect(sa.decisions as number).toBeGreaterThan(100);
    expect(sa.fills as number).toBeGreaterThan(0);

    const replay = runCli(['replay', a, '--json'], { timeoutMs: 240_000 });
    expect(replay.code).toBe(0);
    const r = lastJsonLine(replay.stdout);
    expect(r.ok).toBe(true);
    expect(r.replayHash).toBe(sa.journalHash);

    const verify = runCli(['journal', 'verify', a, '--json']);
    expect(verify.code).toBe(0);
    expect(lastJsonLine(verify.stdout).ok).toBe(true);
    expect(existsSync(join(a, 'journal.sqlite'))).toBe(true);
    // Three 10-minute runs (two and a replay): on a loaded machine this outlasts the default 60 s.
  }, 240_000);

  it('a different seed gives a different journal', () => {
    const base = tempDir();
    const r7 = runCli([
      'run',
      '--seed',
      '7',
      '--duration',
      '1m',
      '--speed',
      'max',
      '--json',
      '--journal',
      join(base, 's7'),
    ]);
    const r8 = runCli([
      'run',
      '--seed',
      '8',
      '--duration',
      '1m',
      '--speed',
      'max',
      '--json',
      '--journal',
      join(base, 's8'),
    ]);
    expect(r7.code).toBe(0);
    expect(r8.code).toBe(0);
    expect(lastJsonLine(r7.stdout).journalHash).not.toBe(lastJsonLine(r8.stdout).journalHash);
  });
});
