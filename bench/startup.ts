/**
 * Start-up of the compiled CLI: `node bin/concord.js --help` against `node -e 0`, run one after
 * the other in each round (same machine load), as child processes timed from spawn to exit.
 * Target (issue 8): at most 3× `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { monotonicNs } from '../src/core/index.ts';
import { type Figure, fmt, median } from './lib.ts';

const BIN = resolve(import.meta.dirname, '../bin/concord.js');
export const STARTUP_TARGET_RATIO = 3;

/**
 * CPU milliseconds (user + system) of the waited-for children so far, from /proc (Linux; undefined
 * elsewhere). Less sensitive than wall time to a loaded machine; 10 ms ticks, so summed over runs.
 */
function childCpuMs(): number | undefined {
  try {
    const fields = (readFileSync('/proc/self/stat', 'utf8').split(') ')[1] ?? '').split(' ');
    // cutime and cstime: fields 16 and 17 of proc(5), counted from `state` (field 3) here.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

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
  let nodeCpu = 0;
  let cliCpu = 0;
  for (let i = 0; i < runs; i++) {
    const cpu0 = childCpuMs() ?? 0;
    const baseline = timeNode(['-e', '0'], env);
    const cpu1 = childCpuMs() ?? 0;
    const value = timeNode([BIN, '--help'], env);
    nodeCpu += cpu1 - cpu0;
    cliCpu += (childCpuMs() ?? 0) - cpu1;
    node.push(baseline);
    cli.push(value);
    ratios.push(value / baseline);
  }
  const ratio = median(ratios);
  const cpuNote =
    nodeCpu > 0
      ? `; CPU ${fmt(cliCpu / runs, 0)} ms vs ${fmt(nodeCpu / runs, 0)} ms per start (ratio ${fmt(cliCpu / nodeCpu)})`
      : '';
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
      note: `medians of ${runs} interleaved runs; min ${fmt(Math.min(...cli), 1)} ms vs ${fmt(Math.min(...node), 1)} ms (min ratio ${fmt(Math.min(...cli) / Math.min(...node))})${cpuNote}`,
    },
  ];
}
