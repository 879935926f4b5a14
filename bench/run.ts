/**
 * `npm run bench`: every performance target of DESIGN.md that exists today, each next to a
 * baseline measured in the same run on the same machine (see docs/PERFORMANCE.md).
 *
 *   npx tsx bench/run.ts [--quick] [--json] [--rounds N] [--only startup,micro,replay,tick,candles,amm,sweep]
 *                        [--sweep-combos N] [--sweep-workers N]
 *
 * Progress goes to stderr; stdout gets the table (or, with --json, the table's notes and
 * then one JSON object as the last line).
 */
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monotonicNs } from '../src/core/index.ts';
import { benchAmm } from './amm.ts';
import { benchApi } from './api.ts';
import { elapsedSeconds, type Figure } from './lib.ts';
import { formatTable, runMicroBenchmarks } from './micro.ts';
import { benchCandleBacktest, benchReplayThroughput, benchTickToOrder } from './pipeline.ts';
import { benchStartup } from './startup.ts';
import { benchSweep } from './sweep.ts';

export const SUITES = ['startup', 'micro', 'replay', 'tick', 'candles', 'amm', 'api', 'sweep'] as const;
export type Suite = (typeof SUITES)[number];

export interface BenchArgs {
  readonly quick: boolean;
  readonly json: boolean;
  /** Rounds per figure (medians); default 5, or 2 with --quick. */
  readonly rounds: number;
  readonly suites: readonly Suite[];
  /** Sweep size (default 100, 8 with --quick) and workers (default: the available cores). */
  readonly sweepCombos: number;
  readonly sweepWorkers?: number;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const roundsAt = argv.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : quick ? 2 : 5;
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error('--rounds needs a whole number ≥ 1');
  const onlyAt = argv.indexOf('--only');
  const suites = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : [...SUITES];
  for (const s of suites) {
    if (!(SUITES as readonly string[]).includes(s))
      throw new Error(`--only takes a list of ${SUITES.join(', ')}; got "${s}"`);
  }
  const combosAt = argv.indexOf('--sweep-combos');
  const sweepCombos = combosAt >= 0 ? Number(argv[combosAt + 1]) : quick ? 8 : 100;
  if (!(Number.isInteger(sweepCombos) && sweepCombos >= 1 && sweepCombos <= 100))
    throw new Error('--sweep-combos needs a whole number from 1 to 100');
  const workersAt = argv.indexOf('--sweep-workers');
  const sweepWorkers = workersAt >= 0 ? Number(argv[workersAt + 1]) : undefined;
  if (sweepWorkers !== undefined && !(Number.isInteger(sweepWorkers) && sweepWorkers >= 1))
    throw new Error('--sweep-workers needs a whole number ≥ 1');
  return {
    quick,
    json: argv.includes('--json'),
    rounds,
    suites: suites as Suite[],
    sweepCombos,
    ...(sweepWorkers === undefined ? {} : { sweepWorkers }),
  };
}

export interface BenchReport {
  readonly date: string;
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    readonly platform: string;
    /** 1-minute load average at the start and the end: how shared the machine was. */
    readonly loadAverage: readonly [number, number];
  };
  readonly args: BenchArgs;
  readonly seconds: number;
  readonly figures: readonly Figure[];
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export async function runBench(args: BenchArgs): Promise<BenchReport> {
  const start = monotonicNs();
  const loadAtStart = loadavg()[0] as number;
  const figures: Figure[] = [];
  const timed = async (suite: Suite, run: () => Promise<Figure[]>) => {
    if (!args.suites.includes(suite)) return;
    const suiteStart = monotonicNs();
    figures.push(...(await run()));
    progress(`${suite} done in ${elapsedSeconds(suiteStart).toFixed(1)} s`);
  };
  // Child processes, short: twice the rounds (at least 5) of each.
  await timed('startup', async () => benchStartup(Math.max(5, 2 * args.rounds), progress));
  await timed('micro', () => {
    progress(`micro-benchmarks, ${args.rounds} rounds`);
    return runMicroBenchmarks({ rounds: args.rounds, journalRecords: args.quick ? 20_000 : 50_000 });
  });
  await timed('replay', async () => [await benchReplayThroughput(args.rounds, progress)]);
  await timed('tick', () =>
    benchTickToOrder(
      { orders: args.quick ? 300 : 500, warmupOrders: args.quick ? 50 : 100, maxSimulatedMs: 3 * 3_600_000 },
      progress,
    ),
  );
  await timed('candles', () => benchCandleBacktest(args.rounds, progress));
  await timed('amm', () =>
    benchAmm({ rounds: args.rounds, updatesPerRound: args.quick ? 2000 : 5000 }, progress),
  );
  // The operator API: /api/metrics vs a bare route, tick-to-order with 50 polling clients (bench/api.ts).
  await timed('api', () => benchApi({ rounds: args.rounds, quick: args.quick }, progress));
  await timed('sweep', () =>
    benchSweep(
      {
        combos: args.sweepCombos,
        ...(args.sweepWorkers === undefined ? {} : { workers: args.sweepWorkers }),
      },
      progress,
    ),
  );
  return {
    // The report's date is the wall clock of the machine that ran it (bench/, not src/).
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: availableParallelism(),
      platform: `${process.platform}-${process.arch}`,
      loadAverage: [loadAtStart, loadavg()[0] as number],
    },
    args,
    seconds: elapsedSeconds(start),
    figures,
  };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  progress(`node ${process.version}, ${availableParallelism()} CPUs, ${args.quick ? 'quick' : 'full'} run`);
  const report = await runBench(args);
  const notes = report.figures.filter((f) => f.note !== undefined).map((f) => `  ${f.name}: ${f.note}`);
  process.stdout.write(`${formatTable(report.figures)}\n\n${notes.join('\n')}\n`);
  const missed = report.figures.filter((f) => !f.met).map((f) => f.name);
  process.stdout.write(
    `\n${report.figures.length - missed.length}/${report.figures.length} targets met` +
      `${missed.length > 0 ? ` (missed: ${missed.join(', ')})` : ''}; ${report.seconds.toFixed(0)} s, ${report.date}, load average ${report.machine.loadAverage.map((l) => l.toFixed(1)).join(' → ')} on ${report.machine.cpus} CPUs\n`,
  );
  if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
