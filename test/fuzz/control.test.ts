/**
 * Fuzz: the control directory (`<journal>/control/`), where `concord halt` / `resume` leave requests
 * for a running desk. Junk is put there (odd and overflowing names, invalid or huge contents,
 * symlinks, directories, stale and mismatched requests), then an operator's halt is written the way
 * the CLI writes it and the desk's channel polls:
 *  - in process (volume): writing the halt and polling never throw uncoded errors, and the halt is
 *    always among the requests the desk takes (an emergency stop never depends on the directory);
 *  - end to end (one real desk): with junk, a symlink and a FIFO in its control directory,
 *    `concord halt` halts it within its timeout, and the desk obeys SIGINT afterwards.
 * Violations are counted per kind and the test fails on any (the control channel's robustness is
 * being fixed on another branch).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlChannel, requestHalt } from '../../src/control/index.ts';
import { JOURNAL_FILE } from '../../src/journal/index.ts';
import { BIN, tempDir } from '../helpers/cli.ts';
import { classify, Findings, runs, STACK_LINE, Tally } from './harness.ts';

const scratch = tempDir('concord-fuzz-control-');
let serial = 0;

type Junk =
  | { kind: 'file'; name: string; content: string }
  | { kind: 'big'; name: string }
  | { kind: 'symlink'; name: string; target: 'dangling' | 'dir' | 'outside' | 'valid-request' }
  | { kind: 'dir'; name: string };

const NAMES = fc.oneof(
  fc.constantFrom(
    '999999999999999-halt.json',
    '99999999999999999999-halt.json',
    '00000001-halt.json',
    '00000001-resume.json',
    '1-halt.json',
    '0-halt.json',
    '-1-halt.json',
    '1e3-halt.json',
    'halt.json',
    '.hidden-halt.json',
    '00000002-halt.json.tmp',
    'x.json',
    'é-halt.json',
  ),
  fc.tuple(fc.nat(), fc.constantFrom('halt', 'resume', 'stop')).map(([n, k]) => `${n}-${k}.json`),
  fc.string({ minLength: 1, maxLength: 12 }).map((s) => `${s.replace(/[/\0]/g, '_')}.json`),
);

const CONTENTS = fc.oneof(
  fc.constantFrom(
    '',
    'junk',
    '{}',
    'null',
    '{"version":1,"kind":"halt","id":"x","requestedAt":0,"reason":"stale","flatten":false}',
    '{"version":1,"kind":"resume","id":"x","requestedAt":1e300,"operator":"o","reason":"future"}',
    '{"version":1,"kind":"resume","id":"x","requestedAt":NOW,"operator":"o","reason":"mismatched kind"}',
    '{"version":1,"kind":"halt","id":"x","requestedAt":NOW,"reason":"r","flatten":false,"extra":1}',
  ),
  fc.json({ maxDepth: 2 }),
);

const junk: fc.Arbitrary<Junk> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('file' as const), name: NAMES, content: CONTENTS }) },
  fc.record({ kind: fc.constant('big' as const), name: NAMES }),
  fc.record({
    kind: fc.constant('symlink' as const),
    name: NAMES,
    target: fc.constantFrom(
      'dangling' as const,
      'dir' as const,
      'outside' as const,
      'valid-request' as const,
    ),
  }),
  fc.record({ kind: fc.constant('dir' as const), name: NAMES }),
);

function place(control: string, j: Junk, now: number): void {
  const path = join(control, j.name);
  try {
    if (j.kind === 'file') writeFileSync(path, j.content.replaceAll('NOW', String(now)));
    else if (j.kind === 'big') writeFileSync(path, Buffer.alloc(3 * 1024 * 1024, 0x7b));
    else if (j.kind === 'dir') mkdirSync(path);
    else {
      const target =
        j.target === 'dangling'
          ? join(scratch, 'nowhere')
          : j.target === 'dir'
            ? scratch
            : j.target === 'outside'
              ? join(scratch, 'outside.txt')
              : join(scratch, 'valid-request.json');
      symlinkSync(target, path);
    }
  } catch {
    // Two junk entries with one name: the first stays.
  }
}

const tally = new Tally('control files: junk + halt, in process');
const findings = new Findings('control files');
const e2e = new Tally('control files: junk + FIFO + halt, real desk');
const examples: string[] = [];

afterAll(() => {
  tally.report();
  e2e.report();
  if (findings.list.length > 0)
    console.log(
      `[fuzz] control files: violations\n${findings.summary()}\nfor example: ${examples.join(' | ')}`,
    );
  rmSync(scratch, { recursive: true, force: true });
});

describe('fuzz: control directory', () => {
  it('whatever is in control/, an operator halt is written and taken by the desk', async () => {
    writeFileSync(join(scratch, 'outside.txt'), 'not a request');
    writeFileSync(
      join(scratch, 'valid-request.json'),
      JSON.stringify({
        version: 1,
        kind: 'halt',
        id: 'elsewhere',
        requestedAt: Date.now(),
        reason: 'via link',
        flatten: false,
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { minLength: 1, maxLength: 5 }), async (entries) => {
        const journal = join(scratch, `journal-${++serial}`);
        // Where a desk journals: `concord halt` refuses a directory that holds no journal.
        mkdirSync(journal);
        writeFileSync(join(journal, JOURNAL_FILE), '');
        const rejected: string[] = [];
        let channel: ControlChannel | undefined;
        const opened = await classify(() => {
          channel = new ControlChannel(journal, { onRejected: (r) => rejected.push(r.file) });
        });
        for (const j of entries) place(join(journal, 'control'), j, Date.now());
        let ticketFile: string | undefined;
        const written = await classify(() => {
          ticketFile = requestHalt(journal, { reason: 'fuzz', operator: 'ops' }).file;
        });
        let taken: string[] = [];
        const polled = await classify(() => {
          taken = (channel?.poll() ?? []).map((r) => `${r.id}.json`);
        });
        const halted = ticketFile !== undefined && taken.includes(ticketFile);
        tally.add(
          `open ${opened}, write ${written}, poll ${polled}, ${halted ? 'halt taken' : 'HALT NOT TAKEN'}`.replaceAll(
            'CONCORD_ERR_',
            '',
          ),
        );
        for (const [op, outcome] of [
          ['open', opened],
          ['requestHalt', written],
          ['poll', polled],
        ] as const)
          if (outcome.startsWith('UNCODED')) findings.add(`${op}: ${outcome}`);
        if (!halted) {
          const overflow = entries.some((e) => /^\d{15,}-/.test(e.name));
          findings.add(
            `halt not taken (write ${written}, poll ${polled})${overflow ? ' with a 15+-digit seq name in control/' : ''}`,
          );
          if (examples.length < 3) examples.push(entries.map((e) => `${e.kind}:${e.name}`).join(', '));
        }
      }),
      runs(300, 8000),
    );
    expect(findings.list, findings.summary()).toEqual([]);
  }, 120_000);

  it('a real desk with junk, a symlink and a FIFO in control/ is halted by concord halt', async () => {
    const journal = join(scratch, 'live-desk');
    const desk = spawn(process.execPath, [BIN, 'run', '--journal', journal, '--speed', '10'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    desk.stdout.on('data', (c) => {
      out += String(c);
    });
    desk.stderr.on('data', (c) => {
      out += String(c);
    });
    const exited = new Promise<number | null>((resolve) => desk.on('exit', (code) => resolve(code)));
    const killer = setTimeout(() => desk.kill('SIGKILL'), 150_000);
    try {
      const deadline = Date.now() + 90_000;
      while (!/decisions=\d+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(/decisions=/);
      const control = join(journal, 'control');
      place(control, { kind: 'file', name: '999999999999999-halt.json', content: 'junk' }, Date.now());
      place(control, { kind: 'big', name: '00000001-halt.json' }, Date.now());
      place(control, { kind: 'symlink', name: '00000002-resume.json', target: 'outside' }, Date.now());
      const fifo = spawnSync('mkfifo', [join(control, '00000003-halt.json')]);
      expect(fifo.status, 'mkfifo').toBe(0);
      const started = Date.now();
      const halt = spawnSync(
        process.execPath,
        [BIN, 'halt', '--journal', journal, '--timeout', '20s', '--json'],
        {
          encoding: 'utf8',
          timeout: 90_000,
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      const tookMs = Date.now() - started;
      e2e.add(`halt exit ${halt.status} in ${Math.round(tookMs / 1000)} s`);
      console.log(
        `[fuzz] control files: concord halt with junk + FIFO: exit ${halt.status} after ${tookMs} ms`,
      );
      expect(halt.stderr).not.toMatch(STACK_LINE);
      expect(halt.status, `${halt.stdout}\n${halt.stderr}`).toBe(0);
      desk.kill('SIGINT');
      const code = await exited;
      e2e.add(`desk exit ${code} after SIGINT`);
      expect(code).toBe(0);
    } finally {
      clearTimeout(killer);
      desk.kill('SIGKILL');
    }
  }, 240_000);
});
