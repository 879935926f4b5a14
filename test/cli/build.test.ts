/**
 * The compiled CLI (dist/, built by `npm install`'s prepare script or `npm run build`) and the rule
 * bin/concord.js follows to choose between dist/ and the TypeScript sources. Every other CLI test
 * runs the sources (CONCORD_DEV=1, test/helpers/cli.ts).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, lastJsonLine, ROOT, tempDir } from '../helpers/cli.ts';

const FALLBACK_NOTICE = 'running the TypeScript sources through tsx';

function node(args: readonly string[], env: Record<string, string | undefined> = {}, cwd = ROOT) {
  const merged: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  if (env.CONCORD_DEV === undefined) delete merged.CONCORD_DEV;
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: merged, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('compiled CLI', () => {
  it('runs from dist/: --help, and a run whose isolated agents start the compiled worker', () => {
    let help = node([BIN, '--help']);
    if (help.stderr.includes(FALLBACK_NOTICE)) {
      // CI installs with `npm ci`, whose prepare script must have built a current dist/.
      expect(process.env.CI, `CI without a current build in dist/: ${help.stderr.trim()}`).toBeFalsy();
      const build = spawnSync('npm', ['run', '-s', 'build'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 180_000,
      });
      expect(build.status, build.stderr).toBe(0);
      help = node([BIN, '--help']);
    }
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: concord <command> [options]');

    const dir = tempDir();
    const config = join(dir, 'desk.json');
    writeFileSync(
      config,
      JSON.stringify({
        agents: [{ id: 'spread-watcher', type: 'spread-watcher', config: {}, isolated: true }],
      }),
    );
    const run = node([
      BIN,
      'run',
      '--config',
      config,
      '--journal',
      join(dir, 'j'),
      '--duration',
      '20s',
      '--speed',
      'max',
      '--json',
      '--no-api',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = lastJsonLine(run.stdout) as {
      agents: { id: string; decisions: number; failures: number }[];
    };
    const agent = summary.agents.find((a) => a.id === 'spread-watcher');
    expect(agent?.failures).toBe(0);
    expect(agent?.decisions).toBeGreaterThan(0);
  }, 240_000);

  it('bin/concord.js takes dist/ only when it is built and no file under src/ is newer', () => {
    // A stand-in package: the real bin, a one-line dist/ and src/ that say which one ran.
    const root = tempDir('concord-bin-');
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    mkdirSync(join(root, 'src', 'cli'), { recursive: true });
    copyFileSync(BIN, join(root, 'bin', 'concord.js'));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    writeFileSync(
      join(root, 'dist', 'cli', 'main.js'),
      "export async function main() { process.stdout.write('dist'); return 0; }\n",
    );
    const srcMain = join(root, 'src', 'cli', 'main.ts');
    writeFileSync(
      srcMain,
      "export async function main(): Promise<number> { process.stdout.write('src'); return 0; }\n",
    );
    const stamp = join(root, 'dist', '.built');
    writeFileSync(stamp, '');
    const bin = join(root, 'bin', 'concord.js');
    const builtAt = new Date('2030-01-01T00:00:00Z');
    const before = new Date('2029-12-31T00:00:00Z');
    const after = new Date('2030-01-02T00:00:00Z');
    for (const path of [join(root, 'src'), join(root, 'src', 'cli'), srcMain])
      utimesSync(path, before, before);
    utimesSync(stamp, builtAt, builtAt);

    const fresh = node([bin], {}, root);
    expect(fresh).toMatchObject({ code: 0, stdout: 'dist', stderr: '' });

    const dev = node([bin], { CONCORD_DEV: '1' }, root);
    expect(dev).toMatchObject({ code: 0, stdout: 'src', stderr: '' });

    utimesSync(join(root, 'src', 'cli'), after, after); // a file added or removed in src/cli
    const stale = node([bin], {}, root);
    expect(stale.stdout).toBe('src');
    expect(stale.stderr).toContain(`src/ changed since the last build; ${FALLBACK_NOTICE}`);
    expect(stale.stderr.trim().split('\n')).toHaveLength(1);

    utimesSync(join(root, 'src', 'cli'), before, before);
    utimesSync(srcMain, after, after); // a file edited in place
    expect(node([bin], {}, root).stdout).toBe('src');

    utimesSync(srcMain, before, before);
    expect(node([bin], {}, root).stdout).toBe('dist');
    rmSync(stamp);
    const unbuilt = node([bin], {}, root);
    expect(unbuilt.stdout).toBe('src');
    expect(unbuilt.stderr).toContain(`dist/ is not built; ${FALLBACK_NOTICE}`);
  }, 120_000);
});
