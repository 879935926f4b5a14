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

  it('shows DEX arbitrage and CEX↔DEX decisions and fills on the sandbox chain’s pools', () => {
    const dir = join(tempDir(), 'journal');
    // The sandbox desk as `npm start` composes it (default config), two simulated minutes at full speed.
    const run = runCli(['run', '--journal', dir, '--duration', '2m', '--speed', 'max']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    // A DEX cycle: one atomic plan over both pools, and both of its swaps filled one after the other.
    const cycle =
      /^consensus plan dex-cycle (\S+)>(\S+) \(buy (\S+) sandchain:\1\/BTC-USDT, sell \3 sandchain:\2\/BTC-USDT\) by dex-arbitrage$/;
    const filledCycles = lines.filter((line, i) => {
      const m = cycle.exec(line);
      if (m === null) return false;
      const [, buyDex, sellDex, quantity] = m;
      return (
        lines[i + 1]?.startsWith(`fill buy ${quantity} sandchain:${buyDex}/BTC-USDT @ `) === true &&
        lines[i + 2]?.startsWith(`fill sell ${quantity} sandchain:${sellDex}/BTC-USDT @ `) === true
      );
    });
    expect(filledCycles.length).toBeGreaterThan(0);
    // CEX↔DEX: the swap on a pool, then the opposite side on a CEX book.
    const cexDex = lines.findIndex((l) =>
      /^consensus plan cex-dex \S+<>sim-[abc] \((buy|sell) \S+ sandchain:\S+, (buy|sell) \S+ sim-[abc]:BTC-USDT\) by cex-dex-arbitrage$/.test(
        l,
      ),
    );
    expect(cexDex).toBeGreaterThanOrEqual(0);
    expect(lines.slice(cexDex + 1).some((l) => /^fill (buy|sell) \S+ sandchain:\S+ @ /.test(l))).toBe(true);
    expect(run.stdout).toMatch(/^\s+dex-arbitrage\s+dex-arbitrage\s+STOPPED\s+\d+\s+\d\.\d{3}\s+[1-9]\d*\s/m);
    expect(run.stdout).toMatch(
      /^\s+cex-dex-arbitrage\s+cex-dex-arbitrage\s+STOPPED\s+\d+\s+\d\.\d{3}\s+[1-9]\d*\s/m,
    );
    expect(runCli(['journal', 'verify', dir]).code).toBe(0);
  }, 60_000);
});
