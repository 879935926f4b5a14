/**
 * Journal files that are broken, busy, foreign or on a full disk, given to the real CLI as a
 * user would: every case is a coded error naming the path (never INTERNAL, never a stack),
 * and nothing is appended to a journal that does not verify up to its head.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteJournal } from '../../src/journal/index.ts';
import { BIN, type CliResult, lastJsonLine, ROOT, runCli, tempDir } from '../helpers/cli.ts';

const STACK = /\n\s+at .+:\d+:\d+/;
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = tempDir('concord-journal-cli-');
  made.push(dir);
  return dir;
}

/** The CLI under a wide-open umask (000), to show that journal files are private anyway. */
function runCliOpenUmask(args: readonly string[]): CliResult {
  const r = spawnSync('/bin/sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function headOf(dir: string): { n: number; seq: number; hash: string } {
  const db = new Database(join(dir, 'journal.sqlite'), { readonly: true });
  try {
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number };
    const last = db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1').get() as {
      seq: number;
      hash: string;
    };
    return { n, ...last };
  } finally {
    db.close();
  }
}

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

/** A coded error on stderr: the code, the path, no stack, not INTERNAL. */
function expectCoded(r: CliResult, code: string, path: string, exit = 3): void {
  const all = `${r.stdout}\n${r.stderr}`;
  expect(r.code, all).toBe(exit);
  expect(all).toContain(code);
  expect(all).toContain(path);
  expect(all).not.toMatch(STACK);
  expect(all).not.toContain('CONCORD_ERR_INTERNAL');
}

/** A sandbox desk journal of a couple of minutes of simulated time (about 5k records). */
function deskJournal(): string {
  const dir = join(scratch(), 'desk');
  const r = runCli(['run', '--journal', dir, '--duration', '2m', '--speed', 'max', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

describe('concord refuses a journal corrupted in the middle (nothing appended, nothing reported)', () => {
  let dir: string;
  let seq: number;
  let records: number;
  let before: string;
  let head: ReturnType<typeof headOf>;

  beforeAll(() => {
    dir = deskJournal();
    const file = join(dir, 'journal.sqlite');
    const db = new Database(file, { readonly: true });
    const row = db
      .prepare("SELECT seq, payload FROM records WHERE type = 'market' AND seq >= 100 ORDER BY seq LIMIT 1")
      .get() as { seq: number; payload: string };
    records = (db.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number }).n;
    db.close();
    seq = row.seq;
    // Far from the tail: the old open re-verified only the last 256 records.
    expect(records - seq).toBeGreaterThan(1_000);
    // Flip one digit of the record's timestamp in every copy of its bytes in the file.
    const bytes = readFileSync(file);
    const needle = Buffer.from(row.payload);
    const digit = needle.indexOf('"ts":') + 8;
    let flipped = 0;
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      bytes[at + digit] = bytes[at + digit] === 0x31 ? 0x32 : 0x31;
      flipped++;
    }
    expect(flipped).toBeGreaterThan(0);
    writeFileSync(file, bytes);
    before = sha256(file);
    head = headOf(dir);
    expect(head.n).toBe(records);
  }, 120_000);

  const unchanged = () => {
    expect(sha256(join(dir, 'journal.sqlite'))).toBe(before);
    expect(headOf(dir)).toEqual(head);
  };

  it('journal verify names the record (exit 1)', () => {
    const r = runCli(['journal', 'verify', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('CONCORD_ERR_JOURNAL_CORRUPT');
    expect(r.stdout).toContain(`record ${seq}`);
  });

  it('concord run exits non-zero with CONCORD_ERR_JOURNAL_CORRUPT and appends nothing', () => {
    const r = runCli(['run', '--journal', dir, '--duration', '10s', '--speed', 'max']);
    expectCoded(r, 'CONCORD_ERR_JOURNAL_CORRUPT', dir);
    expect(r.stderr).toContain(`record ${seq}`);
    expect(r.stdout).not.toMatch(/run summary/);
    unchanged();
    const json = runCli(['run', '--journal', dir, '--duration', '10s', '--speed', 'max', '--json']);
    expect(json.code).toBe(3);
    expect(lastJsonLine(json.stdout)).toMatchObject({
      ok: false,
      error: { code: 'CONCORD_ERR_JOURNAL_CORRUPT', details: { seq, reason: 'hash-mismatch' } },
    });
    unchanged();
  });

  it('concord safety report fails with the code instead of reporting', () => {
    const r = runCli(['safety', 'report', dir]);
    expectCoded(r, 'CONCORD_ERR_JOURNAL_CORRUPT', dir);
    expect(r.stdout).not.toContain('Concord safety report');
    unchanged();
  });

  it('concord replay fails with the code instead of replaying', () => {
    const r = runCli(['replay', dir]);
    expectCoded(r, 'CONCORD_ERR_JOURNAL_CORRUPT', dir);
    expect(r.stdout).not.toMatch(/replay (ok|differs)/);
    unchanged();
  });
});

describe('two desks on one journal', () => {
  let dir: string;
  let first: ChildProcess;
  let firstExit: Promise<number | null>;

  beforeAll(async () => {
    dir = join(scratch(), 'busy');
    // The first desk runs under a wide-open umask: its journal must be private all the same.
    first = spawn(
      '/bin/sh',
      [
        '-c',
        'umask 000 && exec "$0" "$@"',
        process.execPath,
        BIN,
        'run',
        '--journal',
        dir,
        '--speed',
        '1',
        '--duration',
        '10m',
      ],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    firstExit = new Promise((resolve) => first.on('exit', (code) => resolve(code)));
    let stderr = '';
    first.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    // Running once it prints its first status line (about a second of wall time in).
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`first desk did not start: ${stderr}`)), 60_000);
      first.stdout?.on('data', (c: Buffer) => {
        if (/decisions=/.test(c.toString())) {
          clearTimeout(guard);
          resolve();
        }
      });
      first.on('exit', () => reject(new Error(`first desk exited early: ${stderr}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (first.exitCode === null) first.kill('SIGINT');
    await firstExit;
  }, 60_000);

  it('keeps the running journal private (0700 directory, 0600 database and WAL) under umask 000', () => {
    expect(mode(dir)).toBe('700');
    expect(mode(join(dir, 'journal.sqlite'))).toBe('600');
    for (const sidecar of ['journal.sqlite-wal', 'journal.sqlite-shm']) {
      const path = join(dir, sidecar);
      if (existsSync(path)) expect(mode(path)).toBe('600');
    }
    expect(existsSync(join(dir, 'journal.sqlite-wal'))).toBe(true);
  });

  it('the second desk gets CONCORD_ERR_JOURNAL_LOCKED, saying another process holds it, with no stack', () => {
    const r = runCli(['run', '--journal', dir, '--duration', '5s', '--speed', 'max']);
    expectCoded(r, 'CONCORD_ERR_JOURNAL_LOCKED', dir);
    expect(r.stderr).toMatch(/held by another process/);
  });

  it('journal verify, safety report and replay say locked (exit 3), never broken', () => {
    const verify = runCli(['journal', 'verify', dir]);
    expectCoded(verify, 'CONCORD_ERR_JOURNAL_LOCKED', dir);
    expect(`${verify.stdout}${verify.stderr}`).not.toMatch(/broken|CORRUPT/);
    const json = runCli(['journal', 'verify', dir, '--json']);
    expect(lastJsonLine(json.stdout)).toMatchObject({
      ok: false,
      error: { code: 'CONCORD_ERR_JOURNAL_LOCKED', retryable: true },
    });
    expectCoded(runCli(['safety', 'report', dir]), 'CONCORD_ERR_JOURNAL_LOCKED', dir);
    expectCoded(runCli(['replay', dir]), 'CONCORD_ERR_JOURNAL_LOCKED', dir);
  });

  it('the first desk is unharmed: it stops cleanly and its journal verifies', async () => {
    first.kill('SIGINT');
    expect(await firstExit).toBe(0);
    const r = runCli(['journal', 'verify', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 60_000);
});

describe('files that are not journals, given to run, replay, safety report and journal verify', () => {
  const commands: { name: string; args: (dir: string) => string[] }[] = [
    { name: 'run', args: (d) => ['run', '--journal', d, '--duration', '5s', '--speed', 'max'] },
    { name: 'replay', args: (d) => ['replay', d] },
    { name: 'safety report', args: (d) => ['safety', 'report', d] },
    { name: 'journal verify', args: (d) => ['journal', 'verify', d] },
  ];
  const cases: {
    name: string;
    make: (dir: string) => void;
    code: string;
    /** Where the message points: the journal file, or the directory itself. */
    names: 'file' | 'dir';
    verifyExit: number;
  }[] = [
    {
      name: 'a text file',
      make: (d) => writeFileSync(join(d, 'journal.sqlite'), 'positions:\n  BTC 1.5\n'.repeat(50)),
      code: 'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL',
      names: 'file',
      verifyExit: 3,
    },
    {
      name: 'an empty file',
      make: (d) => writeFileSync(join(d, 'journal.sqlite'), ''),
      code: 'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL',
      names: 'file',
      verifyExit: 3,
    },
    {
      name: 'a directory where the file should be',
      make: (d) => mkdirSync(join(d, 'journal.sqlite')),
      code: 'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL',
      names: 'file',
      verifyExit: 3,
    },
    {
      name: 'an SQLite database of another program',
      make: (d) => {
        const db = new Database(join(d, 'journal.sqlite'));
        db.exec("CREATE TABLE prices (symbol TEXT, price REAL); INSERT INTO prices VALUES ('BTC', 60000)");
        db.close();
      },
      code: 'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL',
      names: 'file',
      verifyExit: 3,
    },
    {
      name: 'a truncated journal',
      make: (d) => {
        const journal = SqliteJournal.open(d, { synchronous: 'NORMAL' });
        for (let i = 1; i <= 3_000; i++) journal.append('x', i, { i, filler: 'x'.repeat(100) });
        journal.close();
        const file = join(d, 'journal.sqlite');
        truncateSync(file, Math.floor(statSync(file).size / 2));
      },
      code: 'CONCORD_ERR_JOURNAL_CORRUPT',
      names: 'dir',
      verifyExit: 1,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: a coded error naming the path for every command, nothing changed`, () => {
      const dir = join(scratch(), 'j');
      mkdirSync(dir);
      c.make(dir);
      const file = join(dir, 'journal.sqlite');
      const fingerprint = () => (statSync(file).isFile() ? sha256(file) : 'directory');
      const before = fingerprint();
      for (const command of commands) {
        const r = runCli(command.args(dir));
        const exit = command.name === 'journal verify' ? c.verifyExit : 3;
        expectCoded(r, c.code, c.names === 'file' ? file : dir, exit);
        expect(fingerprint(), command.name).toBe(before);
      }
      expect(existsSync(join(dir, 'control')), 'the desk never started').toBe(false);
    }, 120_000);
  }

  it('a file given where the journal directory should be: a coded error naming it, for every command', () => {
    const path = join(scratch(), 'journal.sqlite');
    writeFileSync(path, 'not a directory');
    for (const command of commands) {
      expectCoded(runCli(command.args(path)), 'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL', path);
    }
    expect(readFileSync(path, 'utf8')).toBe('not a directory');
  }, 120_000);
});

describe('journal privacy', () => {
  it('creates the journal directory 0700 and its database 0600 under a wide-open umask', () => {
    const base = scratch();
    // The control: under the same shell and umask, an ordinary new file is world-writable.
    const probe = join(base, 'probe');
    spawnSync('/bin/sh', ['-c', 'umask 000 && : > "$0"', probe]);
    expect(mode(probe)).toBe('666');
    const dir = join(base, 'nested', 'journal');
    const r = runCliOpenUmask(['run', '--journal', dir, '--duration', '5s', '--speed', 'max', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(mode(dir)).toBe('700');
    expect(mode(join(dir, 'journal.sqlite'))).toBe('600');
    // A reader may leave SQLite's index files behind: they take the database's mode.
    expect(runCliOpenUmask(['journal', 'verify', dir]).code).toBe(0);
    for (const sidecar of ['journal.sqlite-wal', 'journal.sqlite-shm']) {
      const path = join(dir, sidecar);
      if (existsSync(path)) expect(mode(path)).toBe('600');
    }
  }, 120_000);
});

/** Mounts a small tmpfs (needs root); undefined where that is not allowed. */
function mountTmpfs(sizeKb: number): string | undefined {
  const dir = scratch();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? dir : undefined;
}

describe('a journal on a full disk', () => {
  it('is reported as a full disk (DISK_FULL), not as broken, by every command', (ctx) => {
    const mount = mountTmpfs(3_072);
    if (mount === undefined) {
      ctx.skip('mounting a tmpfs needs root; the storage-condition unit tests cover SQLITE_FULL');
      return;
    }
    try {
      const dir = join(mount, 'j');
      const made = runCli(['run', '--journal', dir, '--duration', '20s', '--speed', 'max', '--json']);
      expect(made.code, made.stderr).toBe(0);
      // Fill the file system to the last block.
      const fd = openSync(join(mount, 'filler'), 'w');
      const block = Buffer.alloc(4096);
      try {
        for (;;) writeSync(fd, block);
      } catch (error) {
        expect((error as { code?: string }).code).toBe('ENOSPC');
      } finally {
        closeSync(fd);
      }
      const file = join(dir, 'journal.sqlite');
      const before = sha256(file);
      expectCoded(
        runCli(['run', '--journal', dir, '--duration', '5s', '--speed', 'max']),
        'CONCORD_ERR_JOURNAL_DISK_FULL',
        dir,
      );
      const verify = runCli(['journal', 'verify', dir]);
      expectCoded(verify, 'CONCORD_ERR_JOURNAL_DISK_FULL', dir);
      expect(verify.stdout).not.toMatch(/broken/);
      expectCoded(runCli(['safety', 'report', dir]), 'CONCORD_ERR_JOURNAL_DISK_FULL', dir);
      expectCoded(runCli(['replay', dir]), 'CONCORD_ERR_JOURNAL_DISK_FULL', dir);
      expect(sha256(file)).toBe(before);
    } finally {
      spawnSync('umount', [mount]);
    }
  }, 180_000);
});
