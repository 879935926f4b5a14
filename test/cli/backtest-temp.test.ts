/**
 * A backtest without --journal journals into a temporary directory and removes it however the run
 * ends: completed, failed on bad data, or interrupted (SIGINT, twice). Each child runs with TMPDIR
 * pointing at a scratch directory of its own, which must hold nothing of Concord's afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, lastJsonLine, ROOT, tempDir } from '../helpers/cli.ts';

const BINANCE = join(ROOT, '..', 'shared', 'data', 'binance-ws-20240808');

/** Entries left in a scratch TMPDIR, ignoring tsx's compile cache (`tsx-<uid>`, the loader's, not ours). */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => !/^tsx-/.test(name));
}

/** A 1-minute candle CSV of `rows` rows; `badRow` (0-based data row) gets a high below its close. */
function writeCandles(path: string, rows: number, badRow?: number): void {
  const lines = ['timestamp,open,high,low,close,volume'];
  const start = Date.UTC(2022, 0, 1);
  for (let i = 0; i < rows; i++) {
    const close = 100 + 10 * Math.sin(i / 40);
    const open = 100 + 10 * Math.sin((i - 1) / 40);
    const high = i === badRow ? Math.min(open, close) - 1 : Math.max(open, close) + 0.5;
    const low = Math.min(open, close) - 0.5;
    lines.push(`${start + i * 60_000},${open},${high},${low},${close},10`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function runWithTmp(args: readonly string[], tmp: string, cwd: string) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp },
  });
}

describe('concord backtest: temporary journals are removed', () => {
  it('after a completed run (the JSON says the journal was temporary)', () => {
    const base = tempDir();
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    const data = join(base, 'bars-1m.csv');
    writeCandles(data, 600);
    const r = runWithTmp(
      ['backtest', '--data', data, '--agent', 'sma-cross', '--set', 'fast=5', '--set', 'slow=20', '--json'],
      tmp,
      base,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = lastJsonLine(r.stdout);
    expect(result.fills).toBeGreaterThan(0);
    expect(result.journalDir).toBeNull();
    expect(result.interrupted).toBe(false);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('keeps the journal when --journal is given', () => {
    const base = tempDir();
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    const data = join(base, 'bars-1m.csv');
    writeCandles(data, 300);
    const journal = join(base, 'kept');
    const kept = runWithTmp(
      [
        'backtest',
        '--data',
        data,
        '--agent',
        'sma-cross',
        '--set',
        'fast=5',
        '--set',
        'slow=20',
        '--journal',
        journal,
        '--json',
      ],
      tmp,
      base,
    );
    expect(kept.status).toBe(0);
    expect(lastJsonLine(kept.stdout).journalDir).toBe(journal);
    expect(existsSync(join(journal, 'journal.sqlite'))).toBe(true);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('after a failure on bad data met once the journal is open (exit 3, coded error)', () => {
    const base = tempDir();
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    const data = join(base, 'bars-1m.csv');
    // Past the 5000 events read ahead before the journal opens, so the failure comes mid-run.
    writeCandles(data, 6000, 5500);
    const r = runWithTmp(
      ['backtest', '--data', data, '--agent', 'sma-cross', '--set', 'fast=5', '--set', 'slow=20'],
      tmp,
      base,
    );
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/CONCORD_ERR_DATA_PARSE/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('after SIGINT (sent twice): the run stops promptly with a partial result', async () => {
    expect(existsSync(BINANCE), `missing recordings ${BINANCE}`).toBe(true);
    const base = tempDir();
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    const child = spawn(
      process.execPath,
      [BIN, 'backtest', '--data', BINANCE, '--agent', 'spot-perp-basis', '--json'],
      { cwd: base, env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The temporary journal appears once the run is under way: interrupt it then.
    const appearedBy = Date.now() + 120_000;
    while (!readdirSync(tmp).some((n) => n.startsWith('concord-backtest-')) && Date.now() < appearedBy)
      await new Promise((r) => setTimeout(r, 20));
    expect(leftovers(tmp).length).toBe(1);
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const signalledAt = Date.now();
    const code = await exited;
    // Generous for a loaded machine; the full run takes many times longer.
    expect(Date.now() - signalledAt).toBeLessThan(20_000);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = lastJsonLine(stdout);
    expect(result.interrupted).toBe(true);
    expect(result.journalDir).toBeNull();
    expect(leftovers(tmp)).toEqual([]);
  }, 180_000);
});
