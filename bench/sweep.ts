/**
 * Parameter sweep: N SMA-cross combinations over the 45k-bar BTC-PERP month, in worker threads over
 * bars read once (`runSweep`, what `concord backtest --sweep` runs), against the same-run baseline
 * of the same combinations run one at a time in this process (`runBacktest` per combination, as a
 * loop over `concord backtest --set` would, minus the process start-ups).
 *
 * The combinations: fast 5..50:5 × slow 60..150:10 (100, all valid), or the first `combos` of them.
 * The sweep's cost is the per-bar path times the combinations divided by the workers; the bar path
 * itself is another figure (candle-backtest), so a small `combos` measures the same ratio faster.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { backtestConfig, runBacktest, runSweep, type SweepParams } from '../src/modes/index.ts';
import { elapsedSeconds, type Figure, nowNs } from './lib.ts';

type Progress = (message: string) => void;

const CSV = resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'candles', 'btc-perp-1m-2022-01.csv');

export function sweepCombos(count: number): SweepParams[] {
  const all: SweepParams[] = [];
  for (let fast = 5; fast <= 50; fast += 5)
    for (let slow = 60; slow <= 150; slow += 10) all.push({ fast, slow });
  return all.slice(0, Math.max(1, Math.min(all.length, count)));
}

const RAW = { agents: [{ id: 'sma-cross', type: 'sma-cross', config: {} }] };

export async function benchSweep(
  options: { combos: number; workers?: number },
  progress: Progress,
): Promise<Figure[]> {
  const combos = sweepCombos(options.combos);
  const workers = options.workers ?? availableParallelism();
  progress(`sweep: ${combos.length} combinations one at a time in process (baseline)`);
  const baseStart = nowNs();
  let trades = 0;
  for (const [i, params] of combos.entries()) {
    const config = backtestConfig({ agents: [{ id: 'sma-cross', type: 'sma-cross', config: params }] });
    const run = await runBacktest({ data: [CSV], config });
    trades += run.fills;
    if ((i + 1) % 10 === 0) progress(`sweep baseline: ${i + 1}/${combos.length}`);
  }
  const baseSeconds = elapsedSeconds(baseStart);
  progress(`sweep: ${combos.length} combinations in ${workers} worker threads`);
  const sweepStart = nowNs();
  const sweep = await runSweep({
    data: [CSV],
    job: { rawConfig: RAW },
    combinations: combos,
    workers,
    onProgress: (done, total) => {
      if (done % 10 === 0 || done === total) progress(`sweep: ${done}/${total}`);
    },
  });
  const sweepSeconds = elapsedSeconds(sweepStart);
  const sweepTrades = sweep.runs.reduce((n, r) => n + r.fills, 0);
  const value = sweep.runs.length / sweepSeconds;
  const baseline = combos.length / baseSeconds;
  const projected100 = 100 / value;
  return [
    {
      name: `sweep (${combos.length} SMA-cross combos)`,
      value,
      unit: 'combos/s',
      baselineName: 'the same combinations one at a time in process (combos/s)',
      baseline,
      ratio: value / baseline,
      target: '100 combos ≤ 3 s wall (≥ 33 combos/s)',
      met: projected100 <= 3,
      note:
        `${combos.length} combinations of fast 5..50:5 × slow 60..150:10 over ${sweep.bars} bars (read once, ${sweep.readMs.toFixed(0)} ms), ` +
        `${sweep.workers} workers: ${sweepSeconds.toFixed(1)} s (100 would take ≈ ${projected100.toFixed(0)} s) vs ${baseSeconds.toFixed(1)} s one at a time; ` +
        `fills ${sweepTrades} in the sweep, ${trades} one at a time${sweepTrades === trades && sweep.failed.length === 0 ? ' (the same)' : ' (DIFFERENT)'}`,
    },
  ];
}
