/**
 * Fuzz: journal files. A desk's journal (closed cleanly, or left with its WAL by a killed process)
 * is truncated, bit-flipped (anywhere, or inside an old record), zeroed page-wise, replaced by a
 * foreign SQLite database, a text file, an empty file or a directory, or has its WAL removed,
 * cut or flipped. Then `journal verify`, `safety report`, `replay` and a resuming `run` are asked
 * about it, in process:
 *  - each answers with a result or a coded error (never an uncoded one, never INTERNAL);
 *  - fail closed: a run never resumes onto a journal that verification does not pass.
 * Violations are counted per kind and the test fails on any (these classes are being fixed on
 * other branches: locked / corrupt / foreign journals at open, full-chain verification on resume).
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSafetyReport } from '../../src/analysis/index.ts';
import { verifyJournal } from '../../src/journal/index.ts';
import { parseDeskConfig } from '../../src/kernel/index.ts';
import { replayJournal, runDesk } from '../../src/modes/index.ts';
import { BIN, tempDir } from '../helpers/cli.ts';
import { classify, Findings, runs, Tally, within } from './harness.ts';

const FILE = 'journal.sqlite';
const scratch = tempDir('concord-fuzz-journal-');
const clean = join(scratch, 'clean');
const crashed = join(scratch, 'crashed');
let serial = 0;

beforeAll(async () => {
  await runDesk({
    config: parseDeskConfig({ journal: { dir: clean }, seed: 3 }),
    durationMs: 20_000,
    speed: Infinity,
  });
  // A desk killed mid-run leaves its last batches in the WAL.
  const child = spawn(process.execPath, [BIN, 'run', '--journal', crashed, '--speed', 'max'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += String(c);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 90_000;
  while (!/decisions=\d+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGKILL');
  await exited;
}, 180_000);

type Mutation =
  | { kind: 'none' | 'foreign-sqlite' | 'empty' | 'directory' | 'wal-removed' }
  | { kind: 'truncate' | 'wal-truncated'; at: number }
  | { kind: 'flip' | 'wal-flip'; offsets: number[] }
  | { kind: 'flip-old-record'; which: number; bit: number }
  | { kind: 'zero-page'; page: number }
  | { kind: 'text'; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom(
      'none' as const,
      'foreign-sqlite' as const,
      'empty' as const,
      'directory' as const,
      'wal-removed' as const,
    ),
  }),
  fc.record({ kind: fc.constantFrom('truncate' as const, 'wal-truncated' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constantFrom('flip' as const, 'wal-flip' as const),
    offsets: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
  }),
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('flip-old-record' as const), which: fc.nat(), bit: fc.nat(7) }),
  },
  fc.record({ kind: fc.constant('zero-page' as const), page: fc.nat() }),
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 200 }) }),
);

function flipAt(path: string, offsets: readonly number[], bit = 0): void {
  const bytes = readFileSync(path);
  if (bytes.length === 0) return;
  for (const o of offsets) {
    const at = o % bytes.length;
    bytes[at] = (bytes[at] as number) ^ (1 << (bit || o % 8));
  }
  writeFileSync(path, bytes);
}

/** Builds the mutant journal directory; returns a label for the tally. */
function build(dir: string, fromCrashed: boolean, m: Mutation): string {
  const source = fromCrashed ? crashed : clean;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, FILE);
  const wal = `${file}-wal`;
  copyFileSync(join(source, FILE), file);
  if (existsSync(join(source, `${FILE}-wal`))) copyFileSync(join(source, `${FILE}-wal`), wal);
  switch (m.kind) {
    case 'truncate':
      truncateSync(file, m.at % (readFileSync(file).length + 1));
      break;
    case 'flip':
      flipAt(file, m.offsets);
      break;
    case 'flip-old-record': {
      // A byte inside an early record's payload: old history, far from the head checked at open.
      const bytes = readFileSync(file);
      const hits: number[] = [];
      for (
        let i = bytes.indexOf('"instrumentId"');
        i >= 0 && hits.length < 64;
        i = bytes.indexOf('"instrumentId"', i + 1)
      )
        hits.push(i);
      if (hits.length > 0)
        flipAt(file, [(hits[m.which % Math.min(hits.length, 16)] as number) + 20], m.bit + 1);
      break;
    }
    case 'zero-page': {
      const bytes = readFileSync(file);
      const pages = Math.max(1, Math.floor(bytes.length / 4096));
      bytes.fill(0, (m.page % pages) * 4096, (m.page % pages) * 4096 + 4096);
      writeFileSync(file, bytes);
      break;
    }
    case 'foreign-sqlite': {
      rmSync(file);
      rmSync(wal, { force: true });
      const db = new Database(file);
      db.exec(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('not a journal')",
      );
      db.close();
      break;
    }
    case 'text':
      rmSync(wal, { force: true });
      writeFileSync(file, m.text);
      break;
    case 'empty':
      rmSync(wal, { force: true });
      writeFileSync(file, '');
      break;
    case 'directory':
      rmSync(file);
      rmSync(wal, { force: true });
      mkdirSync(file);
      break;
    case 'wal-removed':
      rmSync(wal, { force: true });
      break;
    case 'wal-truncated':
      if (existsSync(wal)) truncateSync(wal, m.at % (readFileSync(wal).length + 1));
      break;
    case 'wal-flip':
      if (existsSync(wal)) flipAt(wal, m.offsets);
      break;
    default:
      break;
  }
  return `${fromCrashed ? 'crashed' : 'clean'} ${m.kind}`;
}

const tallies = {
  verify: new Tally('journal files: journal verify'),
  safety: new Tally('journal files: safety report'),
  replay: new Tally('journal files: replay'),
  run: new Tally('journal files: resuming run'),
};
const findings = new Findings('journal files');

afterAll(() => {
  for (const t of Object.values(tallies)) t.report();
  if (findings.list.length > 0) console.log(`[fuzz] journal files: violations\n${findings.summary()}`);
  rmSync(scratch, { recursive: true, force: true });
});

describe('fuzz: journal files', () => {
  it('the unmutated journals verify and resume', async () => {
    for (const source of [clean, crashed]) {
      expect(existsSync(join(source, FILE))).toBe(true);
      expect(verifyJournal(source).ok).toBe(true);
    }
    expect(existsSync(join(crashed, `${FILE}-wal`)), 'the killed desk left a WAL').toBe(true);
  });

  it('truncated, flipped, foreign and WAL-damaged journals: coded answers, and no resume onto a broken chain', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), mutation, async (fromCrashed, m) => {
        const dir = join(scratch, `mutant-${++serial}`);
        const label = build(dir, fromCrashed, m);
        let verdict = '';
        const verify = await classify(() => {
          verdict = verifyJournal(dir).ok ? 'ok' : 'broken';
        });
        const verifyOutcome = verify === 'ok' ? verdict : verify;
        tallies.verify.add(verifyOutcome);
        const safety = await classify(() => buildSafetyReport(dir));
        tallies.safety.add(safety);
        let replayVerdict = '';
        const replay = await within(
          60_000,
          `replay of ${label}`,
          classify(async () => {
            replayVerdict = (await replayJournal(dir)).ok ? 'ok' : 'differs';
          }),
        );
        tallies.replay.add(replay === 'ok' ? replayVerdict : replay);
        const run = await within(
          60_000,
          `run on ${label}`,
          classify(() =>
            runDesk({
              config: parseDeskConfig({ journal: { dir } }),
              durationMs: 500,
              speed: Number.POSITIVE_INFINITY,
            }),
          ),
        );
        tallies.run.add(run);
        for (const [op, outcome] of [
          ['verify', verify],
          ['safety report', safety],
          ['replay', replay],
          ['run', run],
        ] as const) {
          if (outcome.startsWith('UNCODED')) findings.add(`${op} on ${m.kind}: ${outcome}`);
        }
        if (verifyOutcome !== 'ok' && run === 'ok')
          findings.add(`run resumed onto a journal that verify calls ${verifyOutcome} (${m.kind})`);
        rmSync(dir, { recursive: true, force: true });
      }),
      runs(30, 15_000),
    );
    expect(findings.list, findings.summary()).toEqual([]);
  }, 300_000);
});
