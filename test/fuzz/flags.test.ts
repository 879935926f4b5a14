/**
 * Fuzz: command lines. Random argv over every command (known flags, unknown flags, `--x=v` forms,
 * shorts, junk values, positionals, paths from a pool of good and bad files), run in process
 * through main(): the exit code is 0, 1, 2 or 3; 2 and 3 come with a coded error (or a usage line);
 * never CONCORD_ERR_INTERNAL, never a stack trace, never a hang. With --json and exit 0 the last
 * line is one JSON object. The working directory is a scratch one, so stray relative paths land there.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseDeskConfig } from '../../src/kernel/index.ts';
import { runDesk } from '../../src/modes/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { captureOut } from '../helpers/out.ts';
import { runs, STACK_LINE, Tally, within } from './harness.ts';

const scratch = tempDir('concord-fuzz-flags-');
const home = process.cwd();
let fresh = 0;
const freshPath = (name: string) => join(scratch, `fresh-${++fresh}`, name);

const COMMANDS: string[][] = [
  ['run'],
  ['backtest'],
  ['record'],
  ['replay'],
  ['journal', 'verify'],
  ['journal'],
  ['halt'],
  ['resume'],
  ['safety', 'report'],
  ['safety'],
  ['explain'],
  [],
  ['nope'],
];

const FLAGS = [
  'seed',
  'duration',
  'speed',
  'journal',
  'config',
  'json',
  'live',
  'help',
  'data',
  'agent',
  'set',
  'capital',
  'fee-bps',
  'report',
  'out',
  'source',
  'force',
  'flatten',
  'reason',
  'operator',
  'timeout',
  'seq',
  'list',
  'sped',
  '',
];

/** Values by what they look like; paths come from the pools built in beforeAll. */
const VALUES = [
  '0',
  '-1',
  '7',
  '1.5',
  '1e3',
  '1e309',
  '99999999999999999999',
  'NaN',
  'Infinity',
  '0x10',
  'max',
  '10x',
  '0.0001',
  '30s',
  '1h30m',
  '3651d',
  '0s',
  'true',
  'false',
  '',
  ' ',
  'fast=3',
  'slow=8',
  'fast',
  '=1',
  '__proto__=1',
  'sma-cross.fast=2',
  'sma-cross',
  'momentum',
  'spot-perp-basis',
  'no-such-agent',
  'sandbox',
  'binance',
  'ops',
  'd-1',
  'd-1#0',
  'sim-a-o-1',
  'é\u0000\uFFFF',
];

const paths: string[] = [];
let journal = '';

const tally = new Tally('flags: random argv, in process');
const nearTally = new Tally('flags: near-valid argv, in process');

beforeAll(async () => {
  process.chdir(scratch);
  const csv = join(scratch, 'bars-1m.csv');
  const rows = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < 120; i++)
    rows.push(`${Date.UTC(2022, 0, 1) + i * 60_000},100,110,95,${100 + ((i * 7) % 9)},1`);
  writeFileSync(csv, `${rows.join('\n')}\n`);
  const empty = join(scratch, 'empty.csv');
  writeFileSync(empty, '');
  const junk = join(scratch, 'junk-1m.json');
  writeFileSync(junk, '[[1,2');
  const config = join(scratch, 'desk.json');
  writeFileSync(config, JSON.stringify({ seed: 3 }));
  const badConfig = join(scratch, 'bad.json');
  writeFileSync(badConfig, '{"risk": {"maxOrderNotional": "x"}}');
  const liveConfig = join(scratch, 'live.json');
  writeFileSync(liveConfig, JSON.stringify({ mode: 'live', live: { enabled: true } }));
  const emptyDir = join(scratch, 'empty-dir');
  mkdirSync(emptyDir);
  journal = join(scratch, 'journal');
  await runDesk({
    config: parseDeskConfig({ journal: { dir: journal } }),
    durationMs: 3000,
    speed: Infinity,
  });
  paths.push(
    csv,
    empty,
    junk,
    config,
    badConfig,
    liveConfig,
    emptyDir,
    journal,
    join(scratch, 'missing', 'x'),
  );
});

afterAll(() => {
  tally.report();
  nearTally.report();
  process.chdir(home);
  rmSync(scratch, { recursive: true, force: true });
});

/** A token of the command line; strings drawn at random never start with `/` (they stay in the scratch dir). */
const token: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FLAGS).map((f) => `--${f}`) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(...FLAGS), fc.constantFrom(...VALUES)).map(([f, v]) => `--${f}=${v}`),
  },
  { weight: 4, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 3, arbitrary: fc.nat(20).map((i) => paths[i % Math.max(1, paths.length)] ?? '') },
  { weight: 1, arbitrary: fc.constantFrom('-h', '-x', '-', '--', '---') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => (s.startsWith('/') ? `.${s}` : s)) },
);

/** Bounds the work a valid command line may start (a desk runs 1 s of desk time; halts wait 300 ms). */
function bounded(command: string[], tokens: string[]): string[] {
  const argv = [...command, ...tokens];
  const name = command[0];
  if (name === 'run') argv.push('--duration', '1s', '--speed', 'max', '--journal', freshPath('journal'));
  if (name === 'record') argv.push('--duration', '1s');
  if (name === 'backtest') argv.push('--report', freshPath('report.html'));
  if (name === 'halt' || name === 'resume') argv.push('--timeout', '300ms');
  return argv;
}

/** Runs one command line in process and asserts what any command line must get. */
async function check(argv: string[], into: Tally): Promise<void> {
  const out = captureOut();
  const code = await within(60_000, `concord ${argv.join(' ')}`, main(argv, out));
  const stderr = out.stderr.join('\n');
  const stdout = out.stdout.join('\n');
  const coded = /CONCORD_ERR_[A-Z0-9_]+/.exec(stderr)?.[0];
  into.add(`exit ${code}${coded ? ` ${coded.replace('CONCORD_ERR_', '')}` : ''}`);
  expect([0, 1, 2, 3], stderr).toContain(code);
  expect(stderr + stdout).not.toMatch(/CONCORD_ERR_INTERNAL/);
  expect(stderr).not.toMatch(STACK_LINE);
  if (code === 3) expect(coded, stderr).toBeDefined();
  if (code === 2)
    expect(stderr).toMatch(/CONCORD_ERR_|unknown (command|subcommand)|missing|unexpected argument/);
  const json = argv.includes('--json') && !argv.some((a) => a === '--help' || a === '-h');
  if (code === 0 && json) {
    const last = out.stdout[out.stdout.length - 1] ?? '';
    expect(() => JSON.parse(last), last).not.toThrow();
  }
}

/** Command lines that are valid or one edit away from valid, so that most reach the command's work. */
function nearValid(): fc.Arbitrary<string[]> {
  const n = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map(String);
  const opt = (flag: string, value: fc.Arbitrary<string>) =>
    fc.option(
      value.map((v) => [flag, v]),
      { nil: [] as string[] },
    );
  const bool = (flag: string) => fc.constantFrom([flag], [] as string[]);
  const byCommand: fc.Arbitrary<string[]>[] = [
    fc
      .tuple(
        opt('--seed', n(0, 2 ** 31)),
        opt('--config', fc.constantFrom(...paths.slice(3, 6))),
        bool('--json'),
      )
      .map((parts) => ['run', ...parts.flat()]),
    fc
      .tuple(
        fc.constantFrom(paths[0] as string, paths[1] as string, paths[2] as string),
        fc.constantFrom('sma-cross', 'momentum', 'mean-reversion', 'spot-perp-basis'),
        n(1, 40),
        n(2, 60),
        opt('--capital', fc.constantFrom('0', '1', '100000', '-5', '1e12')),
        opt('--fee-bps', fc.constantFrom('0', '5', '-1', '10000', '1e6')),
        bool('--json'),
        opt('--out', fc.constant('result.json')),
      )
      .map(([data, agent, fast, slow, capital, fee, json, out]) => [
        'backtest',
        '--data',
        data,
        '--agent',
        agent,
        ...(agent === 'sma-cross' ? ['--set', `fast=${fast}`, '--set', `slow=${slow}`] : []),
        ...capital,
        ...fee,
        ...json,
        ...out,
      ]),
    fc
      .tuple(
        opt('--seed', n(-1, 2 ** 31)),
        bool('--force'),
        bool('--json'),
        fc.constantFrom('.concord.ndjson.gz', '.gz', ''),
      )
      .map(([seed, force, json, suffix]) => [
        'record',
        '--out',
        freshPath(`r${suffix}`),
        ...seed,
        ...force,
        ...json,
      ]),
    fc
      .tuple(
        fc.constantFrom(['replay'], ['journal', 'verify'], ['safety', 'report']),
        fc.constantFrom(...paths),
        bool('--json'),
      )
      .map(([cmd, dir, json]) => [...cmd, dir, ...json]),
    fc
      .tuple(
        fc.constantFrom(journal, journal, journal, ...paths),
        fc.constantFrom('d-1', 'd-2#0', 'sim-a-o-1', 'c0', '', 'x'.repeat(300)),
        opt('--seq', n(-1, 60)),
        bool('--list'),
        bool('--json'),
      )
      .map(([dir, id, seq, list, json]) => ['explain', dir, id, ...seq, ...list, ...json]),
    fc
      .tuple(
        fc.constantFrom('halt', 'resume'),
        fc.constantFrom(journal, freshPath('j'), paths[0] as string),
        opt('--operator', fc.constantFrom('ops', '', 'x'.repeat(300))),
        opt('--reason', fc.constantFrom('fuzz', '')),
        bool('--flatten'),
        bool('--json'),
      )
      .map(([cmd, dir, op, reason, flatten, json]) => [
        cmd,
        '--journal',
        dir,
        ...op,
        ...reason,
        ...(cmd === 'halt' ? flatten : []),
        ...json,
      ]),
  ];
  // One edit: drop a token, or replace one with a junk value.
  return fc
    .tuple(
      fc.oneof(...byCommand),
      fc.constantFrom('none', 'none', 'drop', 'junk'),
      fc.nat(),
      fc.constantFrom(...VALUES),
    )
    .map(([argv, edit, at, junk]) => {
      if (edit === 'none' || argv.length < 2) return argv;
      const i = 1 + (at % (argv.length - 1));
      return edit === 'drop' ? argv.filter((_, k) => k !== i) : argv.map((t, k) => (k === i ? junk : t));
    });
}

describe('fuzz: command lines', () => {
  it('every random argv gets an exit code with a coded error or a result, never a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...COMMANDS),
        fc.array(token, { maxLength: 6 }),
        async (command, tokens) => {
          await check(bounded(command, tokens), tally);
        },
      ),
      runs(400, 20_000),
    );
    expect(tally.inputs).toBeGreaterThan(20);
  }, 300_000);

  it('near-valid command lines (one edit from valid) reach the work and still end coded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => nearValid()),
        async (argv) => {
          await check(
            bounded(
              argv[0] === 'journal' || argv[0] === 'safety' ? argv.slice(0, 2) : argv.slice(0, 1),
              argv.slice(argv[0] === 'journal' || argv[0] === 'safety' ? 2 : 1),
            ),
            nearTally,
          );
        },
      ),
      runs(120, 20_000),
    );
    expect(nearTally.inputs).toBeGreaterThan(10);
  }, 300_000);

  it('a NUL in a flag value is a coded flag error, not an internal one (found by this fuzzer in CI)', async () => {
    const tally = new Tally('flags: NUL in a flag value');
    const argv = ['record', '--out', '\u00e9\u0000\uffff', '--seed', '2147483628', '--force'];
    await check(argv, tally);
    const out = captureOut();
    expect(await main(argv, out)).toBe(2);
    expect(out.stderr.join('\n')).toMatch(
      /CONCORD_ERR_CONFIG_INVALID: flag --out: expected a value without NUL/,
    );
  });
});
