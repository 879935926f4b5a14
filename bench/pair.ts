/**
 * Same-process before/after of the candle backtest: the baseline is another tree of this repository
 * (e.g. `git archive <commit> | tar -x -C /tmp/before`, with a node_modules link), both trees'
 * `candleOnce` run alternately in one process, and the figure is the median of the per-pair ratios
 * of CPU time. On a shared machine the load changes between two processes far more than between
 * two neighbouring runs in one, so this is the comparison to trust for a code change.
 *
 *   npx tsx bench/pair.ts --base /tmp/before [--pairs 8] [--figure candles|book-replay]
 *
 * `book-replay` compares the Binance reader + books (`replayLinesPerSecond`, bench/micro.ts) of
 * the two trees instead: the median per-pair ratio of lines per second (this tree ÷ base).
 *
 * The first two pairs are JIT warm-up and not counted. Each run must give the same 1,890 trades
 * and both trees the same journal head hash (the records are byte for byte the same), else it stops.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { binanceFiles, replayLinesPerSecond } from './micro.ts';
import { candleFile, candleOnce } from './pipeline.ts';

type CandleOnce = typeof candleOnce;

async function main(argv: readonly string[]): Promise<void> {
  const baseAt = argv.indexOf('--base');
  if (baseAt < 0 || argv[baseAt + 1] === undefined)
    throw new Error('usage: bench/pair.ts --base <tree> [--pairs N]');
  const pairsAt = argv.indexOf('--pairs');
  const pairs = pairsAt >= 0 ? Number(argv[pairsAt + 1]) : 8;
  const figureAt = argv.indexOf('--figure');
  if (figureAt >= 0 && argv[figureAt + 1] === 'book-replay') {
    await bookReplayPairs(argv[baseAt + 1] as string, pairs);
    return;
  }
  const baseModule = pathToFileURL(resolve(argv[baseAt + 1] as string, 'bench/pipeline.ts')).href;
  const baseOnce = ((await import(baseModule)) as { candleOnce: CandleOnce }).candleOnce;
  const file = candleFile();
  const cpuRun = async (once: CandleOnce) => {
    const before = process.cpuUsage();
    const { result } = await once(file);
    const used = process.cpuUsage(before);
    return { ms: (used.user + used.system) / 1000, result };
  };
  const ratios: number[] = [];
  const baseMs: number[] = [];
  const newMs: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const b = await cpuRun(baseOnce);
    const n = await cpuRun(candleOnce);
    if (n.result.trades.length !== b.result.trades.length || n.result.journalHash !== b.result.journalHash)
      throw new Error(
        `the trees disagree: ${b.result.trades.length} vs ${n.result.trades.length} trades, journal ${b.result.journalHash} vs ${n.result.journalHash}`,
      );
    process.stderr.write(`[pair] ${i}: base ${b.ms.toFixed(0)} ms, this tree ${n.ms.toFixed(0)} ms\n`);
    if (i < 2) continue;
    ratios.push(b.ms / n.ms);
    baseMs.push(b.ms);
    newMs.push(n.ms);
  }
  const median = (a: readonly number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
  const bars = 45_031;
  process.stdout.write(
    `${JSON.stringify({
      pairs: ratios.length,
      baseCpuMs: Math.round(median(baseMs)),
      cpuMs: Math.round(median(newMs)),
      baseBarsPerCpuSecond: Math.round((bars / median(baseMs)) * 1000),
      barsPerCpuSecond: Math.round((bars / median(newMs)) * 1000),
      speedup: Number(median(ratios).toFixed(3)),
      ratios: ratios.map((r) => Number(r.toFixed(3))),
    })}\n`,
  );
}

async function bookReplayPairs(base: string, pairs: number): Promise<void> {
  const baseModule = pathToFileURL(resolve(base, 'bench/micro.ts')).href;
  const baseReplay = ((await import(baseModule)) as { replayLinesPerSecond: typeof replayLinesPerSecond })
    .replayLinesPerSecond;
  const files = binanceFiles();
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate which tree goes first, so neither always runs on a warmer cache.
    const first = i % 2 === 0 ? baseReplay(files) : replayLinesPerSecond(files);
    const second = i % 2 === 0 ? replayLinesPerSecond(files) : baseReplay(files);
    const [b, n] = i % 2 === 0 ? [first, second] : [second, first];
    process.stderr.write(`[pair] ${i}: base ${Math.round(b)} lines/s, this tree ${Math.round(n)} lines/s\n`);
    if (i >= 1) ratios.push(n / b);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  process.stdout.write(
    `${JSON.stringify({ figure: 'book-replay', pairs: ratios.length, ratio: Number((sorted[Math.floor(sorted.length / 2)] as number).toFixed(3)), ratios: ratios.map((r) => Number(r.toFixed(3))) })}\n`,
  );
}

await main(process.argv.slice(2));
