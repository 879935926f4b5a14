import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Out } from '../../src/cli/output.ts';
import { recordCommand } from '../../src/cli/record.ts';
import { readConcordRecording } from '../../src/data/readers/concord.ts';
import { type CliResult, lastJsonLine, ROOT, runCli, tempDir } from '../helpers/cli.ts';

/**
 * `concord record` through the real CLI (bin/concord.js). Until src/cli/main.ts dispatches
 * `record`, the same command runs through an equivalent entry (tsx + recordCommand + createOut)
 * so these tests check the command itself either way.
 */
const dispatched = readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8').includes("case 'record'");

function record(args: readonly string[]): CliResult {
  if (dispatched) return runCli(['record', ...args]);
  const entry = [
    "const { recordCommand } = await import('./src/cli/record.ts');",
    "const { createOut } = await import('./src/cli/output.ts');",
    'process.exitCode = await recordCommand(process.argv.slice(1), createOut());',
  ].join('\n');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', entry, '--', ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('concord record', () => {
  it('records the sandbox and prints one JSON summary line; refuses to overwrite without --force', () => {
    const dir = tempDir();
    const out = join(dir, 'sandbox.concord.ndjson.gz');
    const first = record(['--out', out, '--duration', '30s', '--seed', '3', '--json']);
    expect(first.stderr).toBe(''); // not a terminal: no progress bar
    expect(first.code).toBe(0);
    const summary = lastJsonLine(first.stdout);
    expect(Object.keys(summary).sort()).toEqual(['durationMs', 'events', 'instruments', 'out', 'sha256']);
    expect(summary).toMatchObject({ out, instruments: 3, durationMs: 30_000, sha256: sha256(out) });
    expect(summary.events).toBe([...readConcordRecording(out)].length);
    expect(summary.events as number).toBeGreaterThan(500);

    const refused = record(['--out', out, '--duration', '30s', '--seed', '4', '--json']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('CONCORD_ERR_RECORDING_EXISTS');
    expect(lastJsonLine(refused.stdout)).toMatchObject({
      ok: false,
      error: { code: 'CONCORD_ERR_RECORDING_EXISTS' },
    });
    expect(sha256(out)).toBe(summary.sha256);

    const forced = record(['--out', out, '--duration', '30s', '--seed', '3', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(lastJsonLine(forced.stdout).sha256).toBe(summary.sha256); // same seed, same bytes
  }, 120_000);

  it.each([
    [['--duration', 'ten'], /--duration/],
    [['--source', 'binance'], /--source/],
    [['--seed', '1.5'], /--seed/],
    [['--seed', '-1'], /seed/],
    [['--outt', 'x.gz'], /--outt/],
    [[], /--out/],
    [['stray'], /positional/],
  ])(
    'exits 2 with CONCORD_ERR_CONFIG_INVALID for %j, naming the flag, and writes nothing',
    (args, flag) => {
      const dir = tempDir();
      const needsOut = !args.includes('--outt') && args.length > 0;
      const r = record([...(needsOut ? ['--out', join(dir, 'x.concord.ndjson.gz')] : []), ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('CONCORD_ERR_CONFIG_INVALID');
      expect(r.stderr).toMatch(flag);
      expect(existsSync(join(dir, 'x.concord.ndjson.gz'))).toBe(false);
    },
    60_000,
  );

  it('exits 3 with CONCORD_ERR_RECORDING_WRITE when the directory does not exist', () => {
    const r = record(['--out', join(tempDir(), 'missing', 'x.concord.ndjson.gz'), '--duration', '1s']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('CONCORD_ERR_RECORDING_WRITE');
  }, 60_000);

  it('--help describes the flags and exits 0', () => {
    const r = record(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: concord record --out <file>');
    for (const flag of ['--out', '--source', '--seed', '--duration', '--force', '--json'])
      expect(r.stdout).toContain(flag);
  }, 60_000);
});

describe('recordCommand (in process)', () => {
  function fakeOut() {
    const lines: string[] = [];
    const errors: string[] = [];
    const out: Out = {
      tty: false,
      color: false,
      line: (t = '') => lines.push(t),
      err: (t) => errors.push(t),
      paint: (_c, t) => t,
    };
    return { out, lines, errors };
  }

  it('draws a \\r progress bar on a terminal stderr and clears it at the end; a human summary without --json', async () => {
    const written: string[] = [];
    const tty = { isTTY: true, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
    const { out, lines } = fakeOut();
    const file = join(tempDir(), 'bar.concord.ndjson.gz');
    const code = await recordCommand(['--out', file, '--duration', '2m'], out, tty);
    expect(code).toBe(0);
    expect(written.length).toBeGreaterThan(0);
    expect(written[0]).toMatch(/^\r\[[#-]{30}\] +\d+% {2}\d+ events {2}\d+ events\/s$/);
    expect(written[written.length - 1]).toBe('\r\u001b[2K');
    expect(lines.join('\n')).toMatch(/recorded \d+ events, 3 instruments, 2m00s simulated/);
    expect(lines.join('\n')).toContain(file);
  });

  it('draws nothing when stderr is not a terminal', async () => {
    const written: string[] = [];
    const pipe = { isTTY: false, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
    const { out } = fakeOut();
    expect(
      await recordCommand(
        ['--out', join(tempDir(), 'x.concord.ndjson.gz'), '--duration', '10s', '--json'],
        out,
        pipe,
      ),
    ).toBe(0);
    expect(written).toEqual([]);
  });

  it('refusing an existing file leaves it untouched', async () => {
    const file = join(tempDir(), 'keep.concord.ndjson.gz');
    writeFileSync(file, 'keep');
    const { out, errors } = fakeOut();
    expect(await recordCommand(['--out', file, '--duration', '1s'], out)).toBe(2);
    expect(errors.join('\n')).toMatch(/already exists.*--force/);
    expect(readFileSync(file, 'utf8')).toBe('keep');
  });
});
