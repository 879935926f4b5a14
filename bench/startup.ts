/**
 * Start-up of the compiled CLI: `node bin/concord.js --help` against `node -e 0`, run one after
 * the other in each round (same machine load), as child processes timed from spawn to exit.
 * Target (issue 8): at most 3× `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { monotonicNs } from '../src/core/index.ts';
import { type Figure, fmt, median } from './lib.ts';

const BIN = resolve(import.meta.dirname, '../bin/concord.js');
export const STARTUP_TARGET_RATIO = 3;

/** Wall milliseconds of one `node <args>` child, which must exit 0 with an empty stderr. */
function timeNode(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const start = monotonicNs();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 60_000 });
  const ms = Number(monotonicNs() - start) / 1e6;
  if (r.status !== 0 || r.stderr !== '') {
    throw new Error(
      `node ${args.join(' ')} exited ${r.status}${r.stderr === '' ? '' : `: ${r.stderr.trim()}`}` +
        (r.stderr.includes('tsx') ? ' (the start-up figure needs a current build: npm run build)' : ''),
    );
  }
  return ms;
}

export function benchStartup(runs: number, progress: (message: string) => void): Figure[] {
  // Without CONCORD_DEV, so bin/concord.js takes dist/ (a stale build fails the figure, above).
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.CONCORD_DEV;
  progress(`start-up: ${runs} runs of node -e 0 and of concord --help, interleaved`);
  timeNode(['-e', '0'], env); // warm the file cache for both
  timeNode([BIN, '--help'], env);
  const node: number[] = [];
  const cli: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    const baseline = timeNode(['-e', '0'], env);
    const value = timeNode([BIN, '--help'], env);
    node.push(baseline);
    cli.push(value);
    ratios.push(value / baseline);
  }
  const ratio = median(ratios);
  return [
    {
      name: 'startup (concord --help, compiled)',
      value: median(cli),
      unit: 'ms',
      baselineName: 'node -e 0',
      baseline: median(node),
      ratio,
      target: `≤ ${STARTUP_TARGET_RATIO}× node -e 0`,
      met: ratio <= STARTUP_TARGET_RATIO,
      note: `medians of ${runs} interleaved runs; min ${fmt(Math.min(...cli), 1)} ms vs ${fmt(Math.min(...node), 1)} ms (min ratio ${fmt(Math.min(...cli) / Math.min(...node))})`,
    },
  ];
}
