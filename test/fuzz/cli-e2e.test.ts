/**
 * Fuzz, end to end: a few real `concord` child processes per class (each one costs a process start,
 * so the volume lives in the in-process classes): random-byte configs, mutated recordings, random
 * command lines, and SIGINT while a command works. Every child runs under a timeout (a hang fails),
 * with TMPDIR pointing at a scratch directory that must hold nothing of Concord's afterwards.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir } from '../helpers/cli.ts';
import { SCALE, SEED, STACK_LINE, Tally } from './harness.ts';

const base = tempDir('concord-fuzz-e2e-');
const tmp = join(base, 'tmp');
mkdirSync(tmp);
const count = (n: number) => Math.max(1, Math.round(n * SCALE));

interface Child {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** From the SIGINT to the exit; undefined when none was sent. */
  readonly afterInterruptMs?: number;
}

/** Runs concord; SIGINT once stdout or stderr matches `interruptWhen`, or once `interruptWhenFile` exists. */
function concord(
  args: readonly string[],
  options: { timeoutMs?: number; interruptWhen?: RegExp; interruptWhenFile?: string } = {},
): Promise<Child> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: base,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  let interruptedAt = 0;
  const maybeInterrupt = () => {
    if (!interrupted && options.interruptWhen?.test(stdout + stderr)) {
      interrupted = true;
      interruptedAt = Date.now();
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', (c) => {
    stdout += String(c);
    maybeInterrupt();
  });
  child.stderr.on('data', (c) => {
    stderr += String(c);
    maybeInterrupt();
  });
  const watch =
    options.interruptWhenFile === undefined
      ? undefined
      : setInterval(() => {
          if (!interrupted && existsSync(options.interruptWhenFile as string)) {
            interrupted = true;
            interruptedAt = Date.now();
            child.kill('SIGINT');
          }
        }, 20);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (watch !== undefined) clearInterval(watch);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ms: Date.now() - started,
        ...(interrupted ? { afterInterruptMs: Date.now() - interruptedAt } : {}),
      });
    }),
  );
}

function assertCoded(r: Child, what: string): void {
  expect(r.signal, `${what}: killed (a hang)`).toBeNull();
  expect([0, 1, 2, 3], `${what}: ${r.stderr}`).toContain(r.code);
  expect(r.stderr, what).not.toMatch(STACK_LINE);
  expect(r.stderr + r.stdout, what).not.toMatch(/CONCORD_ERR_INTERNAL/);
  if (r.code === 3) expect(r.stderr, what).toMatch(/CONCORD_ERR_[A-Z_]+/);
}

const leftovers = () => readdirSync(tmp).filter((n) => !/^tsx-/.test(n));

const tallies: Tally[] = [];
afterAll(() => {
  for (const t of tallies) t.report();
  rmSync(base, { recursive: true, force: true });
});

const outcome = (r: Child) =>
  `exit ${r.code}${/CONCORD_ERR_[A-Z_]+/.exec(r.stderr)?.[0].replace('CONCORD_ERR_', ' ') ?? ''}`;

describe('fuzz: real CLI processes', () => {
  it('random-byte and random-JSON config files: exit 2 with a coded error, nothing started', async () => {
    const tally = new Tally('cli e2e: config files');
    tallies.push(tally);
    const inputs = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
      ),
      {
        seed: SEED,
        numRuns: count(3),
      },
    );
    for (const [i, input] of inputs.entries()) {
      const file = join(base, `config-${i}.json`);
      writeFileSync(file, input);
      const journal = join(base, `config-journal-${i}`);
      const r = await concord([
        'run',
        '--config',
        file,
        '--duration',
        '1s',
        '--speed',
        'max',
        '--journal',
        journal,
        '--json',
      ]);
      tally.add(outcome(r));
      assertCoded(r, `config ${JSON.stringify(String(input)).slice(0, 80)}`);
      if (r.code !== 0) expect(readdirSync(base)).not.toContain(`config-journal-${i}`);
    }
  }, 600_000);

  it('mutated recordings through concord backtest: coded answer, temporary journal removed', async () => {
    const tally = new Tally('cli e2e: mutated recordings');
    tallies.push(tally);
    const csv = readFileSync(join(ROOT, '..', 'shared', 'data', 'candles', 'btc-perp-1m-2022-01.csv'), 'utf8')
      .split('\n')
      .slice(0, 400);
    const edits = fc.sample(
      fc.tuple(fc.nat(), fc.constantFrom('NaN', '-1', '', '1e309', 'x', '2021-13-01')),
      {
        seed: SEED,
        numRuns: count(3),
      },
    );
    for (const [i, [at, junk]] of edits.entries()) {
      const lines = [...csv];
      const row = 1 + (at % (lines.length - 2));
      const fields = (lines[row] as string).split(',');
      fields[at % fields.length] = junk;
      lines[row] = fields.join(',');
      const file = join(base, `btc-${i}-1m.csv`);
      writeFileSync(file, lines.join('\n'));
      const r = await concord([
        'backtest',
        '--data',
        file,
        '--agent',
        'sma-cross',
        '--set',
        'fast=3',
        '--set',
        'slow=8',
        '--json',
        '--report',
        join(base, `report-${i}.html`),
      ]);
      tally.add(outcome(r));
      assertCoded(r, `recording edit ${row}:${junk}`);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/CONCORD_ERR_DATA_PARSE/);
      expect(leftovers()).toEqual([]);
    }
  }, 600_000);

  it('random command lines: a coded answer', async () => {
    const tally = new Tally('cli e2e: random command lines');
    tallies.push(tally);
    const argvs = fc.sample(
      fc.tuple(
        fc.constantFrom(['run'], ['backtest'], ['journal'], ['safety', 'report'], ['replay'], ['halt']),
        fc.array(
          fc.constantFrom(
            '--json',
            '--speed',
            'fast',
            '--seed',
            '1.5',
            '--data',
            'nowhere',
            '--help',
            '--x',
            '',
          ),
          {
            maxLength: 4,
          },
        ),
      ),
      { seed: SEED, numRuns: count(3) },
    );
    for (const [command, rest] of argvs) {
      const argv: string[] = [...command, ...rest];
      if (command[0] === 'run')
        argv.push('--duration', '1s', '--speed', 'max', '--journal', join(base, 'argv-journal'));
      if (command[0] === 'halt') argv.push('--journal', join(base, 'no-desk'), '--timeout', '300ms');
      const r = await concord(argv);
      tally.add(outcome(r));
      assertCoded(r, argv.join(' '));
    }
  }, 600_000);

  it('SIGINT makes a running desk and a recording stop promptly, with their summary', async () => {
    const tally = new Tally('cli e2e: SIGINT');
    tallies.push(tally);
    const desk = await concord(['run', '--journal', join(base, 'sigint-journal'), '--speed', '10'], {
      interruptWhen: /decisions=/,
    });
    tally.add(`run: ${outcome(desk)}`);
    assertCoded(desk, 'run + SIGINT');
    expect(desk.code).toBe(0);
    expect(desk.stdout).toMatch(/Concord run summary/);
    const out = join(base, 'sigint.concord.ndjson.gz');
    // Interrupted once it writes (before that, Node's default SIGINT ends it with nothing written).
    const record = await concord(['record', '--out', out, '--duration', '100d', '--json'], {
      interruptWhenFile: `${out}.partial`,
    });
    tally.add(`record: ${outcome(record)}`);
    console.log(
      `[fuzz] cli e2e: SIGINT to exit: run ${desk.afterInterruptMs} ms, record ${record.afterInterruptMs} ms`,
    );
    assertCoded(record, 'record + SIGINT');
    expect(record.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    // Generous for a loaded machine; a command that ignored SIGINT runs until the 120 s timeout kills it.
    expect(desk.afterInterruptMs).toBeLessThan(15_000);
    expect(record.afterInterruptMs).toBeLessThan(15_000);
  }, 300_000);
});
