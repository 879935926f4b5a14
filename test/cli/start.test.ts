import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runCliAsync, tempDir } from '../helpers/cli.ts';

describe('npm start (concord run, sandbox defaults)', () => {
  it('shows decisions and paper fills within 10 seconds; Ctrl-C prints the summary and leaves a journal that verifies', async () => {
    const dir = join(tempDir(), 'journal');
    // Exactly what `npm start` runs, with the journal in a temporary directory.
    const child = runCliAsync(['run', '--journal', dir]);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const start = Date.now();
    while (!/\bfill (buy|sell) /.test(stdout) && Date.now() - start < 10_000)
      await new Promise((r) => setTimeout(r, 100));
    const seenAfterMs = Date.now() - start;
    expect(stdout).toMatch(/consensus (buy|sell|plan)/);
    expect(stdout).toMatch(/\bfill (buy|sell) /);
    expect(seenAfterMs).toBeLessThan(10_000);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    // stderr holds only the operator API's URL and its first-run key (7070, or a free port if taken).
    const lines = stderr.trim().split('\n');
    expect(lines.some((l) => /^API http:\/\/127\.0\.0\.1:\d+ /.test(l))).toBe(true);
    expect(lines.some((l) => /^API first-run operator key .*: concord_\S+$/.test(l))).toBe(true);
    expect(lines.every((l) => /^API /.test(l))).toBe(true);
    expect(code).toBe(0);
    expect(stdout).toContain('Concord run summary');
    expect(stdout).not.toMatch(/concord_[0-9a-f]{12}_/); // the key is never on stdout
    expect(stdout).toMatch(/PnL\s+[+-]?\d/);
    expect(stdout).toMatch(/momentum-fast\s+momentum\s+\w+\s+\d+\s+\d\.\d{3}/); // per-agent decisions and trust
    const verify = runCli(['journal', 'verify', dir]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/journal ok/);
  }, 60_000);
});
