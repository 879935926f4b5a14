import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JournalReader } from '../../src/journal/index.ts';
import { lastJsonLine, runCli, runCliAsync, tempDir } from '../helpers/cli.ts';

function records(dir: string) {
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()];
  } finally {
    reader.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('emergency halt of a running desk', () => {
  it('concord halt stops new risk, cancels, flattens and idles the agents; resume needs an operator; replay reproduces it', async () => {
    const dir = join(tempDir(), 'journal');
    const child = runCliAsync(['run', '--journal', dir, '--speed', '30', '--json']);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    await sleep(4000);
    const halt = runCli([
      'halt',
      '--journal',
      dir,
      '--flatten',
      '--reason',
      'drill',
      '--operator',
      'alice',
      '--json',
    ]);
    expect(halt.stderr).toBe('');
    expect(halt.code).toBe(0);
    await sleep(1500);
    const resume = runCli([
      'resume',
      '--journal',
      dir,
      '--operator',
      'alice',
      '--reason',
      'all clear',
      '--json',
    ]);
    expect(resume.code).toBe(0);
    await sleep(2500);
    child.kill('SIGINT');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    const summary = lastJsonLine(stdout) as { journalHash: string };

    const all = records(dir);
    const haltAt = all.findIndex((r) => r.type === 'risk.halt');
    const resumeAt = all.findIndex((r) => r.type === 'risk.resume');
    expect(haltAt).toBeGreaterThan(0);
    expect(resumeAt).toBeGreaterThan(haltAt);
    expect((all[haltAt]?.payload as { flatten: boolean } | undefined)?.flatten).toBe(true);
    const halted = all.slice(haltAt + 1, resumeAt);
    // While halted: the agents were not asked, and every order sent was a reduce-only flatten.
    expect(halted.filter((r) => r.type === 'decision')).toEqual([]);
    const sent = halted
      .filter((r) => r.type === 'order.submitted')
      .map((r) => (r.payload as { order: { decisionId: string; reduceOnly?: boolean } }).order);
    // (Spot venues have no reduce-only flag; the REDUCING gate is what guarantees these only shrink positions.)
    for (const o of sent) expect(o.decisionId.startsWith('halt-')).toBe(true);
    expect(
      halted.some((r) => r.type === 'risk.trading-state' && (r.payload as { to: string }).to === 'REDUCING'),
    ).toBe(true);
    // After the operator's resume, the desk trades again.
    const after = all.slice(resumeAt + 1);
    expect(
      after.some((r) => r.type === 'risk.trading-state' && (r.payload as { to: string }).to === 'ACTIVE'),
    ).toBe(true);
    expect(after.filter((r) => r.type === 'decision').length).toBeGreaterThan(0);

    // The safety report finds no unintended trade in the whole run, halt and flatten included.
    const report = runCli(['safety', 'report', dir, '--json']);
    expect(report.code).toBe(0);
    expect(
      (lastJsonLine(report.stdout) as { unintendedTrades: { total: number } }).unintendedTrades.total,
    ).toBe(0);

    const replay = runCli(['replay', dir, '--json'], { timeoutMs: 120_000 });
    expect(replay.code).toBe(0);
    expect(lastJsonLine(replay.stdout).replayHash).toBe(summary.journalHash);
  }, 120_000);
});
