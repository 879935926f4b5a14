/**
 * `concord backtest --sweep name=lo..hi:step …`: every combination of agent parameters over the
 * same data in worker threads (src/modes/sweep.ts), a ranked table, walk-forward folds, the
 * overfitting guard, and an HTML report of the best row with a heatmap of the sweep.
 */
import {
  buildBacktestResult,
  type OverfittingGuard,
  overfittingGuard,
  parseRankMetric,
  RANK_METRICS,
  type RankMetric,
  rankSweep,
  renderBacktestReport,
  type SweepRow,
  seriesOf,
  type WalkForwardResult,
  walkForward,
} from '../analysis/report/index.ts';
import { ConcordError, isConcordError } from '../core/index.ts';
import { candleSeries } from '../data/index.ts';
import { deskRegistry } from '../kernel/agent-registry.ts';
import { validateDeskConfig } from '../kernel/validate.ts';
import {
  applySweepParams,
  backtestConfig,
  DEFAULT_MAX_COMBINATIONS,
  formatParams,
  parseSweepSpec,
  runSweep,
  type SweepParams,
  sweepCombinations,
} from '../modes/index.ts';
import type { Out } from './output.ts';

export interface SweepCommandInput {
  readonly data: readonly string[];
  readonly sweeps: readonly string[];
  /** The desk config before `backtestConfig`, agents (with the fixed --set values) included. */
  readonly rawConfig: Record<string, unknown>;
  readonly feeBps: number;
  readonly initialCapital?: number;
  readonly workers?: number;
  readonly maxCombinations?: number;
  readonly rankBy?: string;
  readonly walkForward?: number;
  readonly top?: number;
  readonly json: boolean;
  readonly reportPath: string;
  readonly outPath?: string;
  readonly write: (path: string, text: string) => void;
}

interface Skipped {
  readonly params: SweepParams;
  readonly reason: string;
}

/** Splits the combinations into runnable ones and the ones the agent's config refuses (with why). */
function checkCombinations(
  rawConfig: Record<string, unknown>,
  combos: readonly SweepParams[],
): { valid: SweepParams[]; skipped: Skipped[] } {
  const valid: SweepParams[] = [];
  const skipped: Skipped[] = [];
  assertKnownParams(rawConfig, combos[0] ?? {});
  for (const params of combos) {
    try {
      validateDeskConfig(backtestConfig(applySweepParams(rawConfig, params)), 'config');
      valid.push(params);
    } catch (err) {
      if (!isConcordError(err)) throw err;
      if (err.code === 'CONCORD_ERR_SWEEP_PARAM_UNKNOWN') throw err;
      const why = err.message.split('\n')[0]?.replace(/^.*?: config field [^:]*: /, '') ?? err.code;
      skipped.push({ params, reason: why });
    }
  }
  return { valid, skipped };
}

/**
 * CONCORD_ERR_SWEEP_PARAM_UNKNOWN when a swept name is not a field of its agent's config (the
 * schema's own verdict: an unrecognised key), before any combination is judged or run.
 */
function assertKnownParams(rawConfig: Record<string, unknown>, params: SweepParams): void {
  const withParams = applySweepParams(rawConfig, params);
  const registry = deskRegistry();
  for (const agent of (withParams.agents as Array<{ id: string; type: string; config: unknown }>) ?? []) {
    let definition: ReturnType<typeof registry.get>;
    try {
      definition = registry.get(agent.type);
    } catch {
      continue; // an unknown agent type is reported by the config check itself
    }
    const parsed = definition.configSchema.safeParse(agent.config);
    if (parsed.success) continue;
    for (const issue of parsed.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      const keys = (issue as { keys?: string[] }).keys ?? [];
      throw new ConcordError(
        'CONCORD_ERR_SWEEP_PARAM_UNKNOWN',
        `flag --sweep: agent "${agent.id}" (${agent.type}) has no parameter ${keys.map((k) => JSON.stringify(k)).join(', ')}`,
        { details: { path: '--sweep', agentId: agent.id, type: agent.type, unknown: keys } },
      );
    }
  }
}

function progressReporter(out: Out, json: boolean): ((done: number, total: number) => void) | undefined {
  if (out.status !== undefined) {
    const status = out.status;
    return (done, total) => {
      const width = 30;
      const filled = Math.round((done / total) * width);
      status(
        done >= total
          ? ''
          : `  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} combinations`,
      );
    };
  }
  if (json) return undefined;
  let shown = 0;
  return (done, total) => {
    const tenth = Math.floor((done / total) * 10);
    if (tenth > shown) {
      shown = tenth;
      out.err(`sweep: ${done}/${total} combinations`);
    }
  };
}

const fmt = (x: number | null, digits = 2) => (x === null ? 'n/a' : x.toFixed(digits));
const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);

export async function sweepCommand(input: SweepCommandInput, out: Out): Promise<number> {
  const rankBy: RankMetric = parseRankMetric(input.rankBy ?? 'sharpe');
  const params = input.sweeps.map(parseSweepSpec);
  const max = input.maxCombinations ?? DEFAULT_MAX_COMBINATIONS;
  if (!(Number.isInteger(max) && max >= 1)) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      'flag --max-combinations: expected a whole number ≥ 1',
      {
        details: { path: '--max-combinations', received: max },
      },
    );
  }
  if (
    input.workers !== undefined &&
    !(Number.isInteger(input.workers) && input.workers >= 1 && input.workers <= 256)
  ) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      'flag --workers: expected a whole number from 1 to 256',
      {
        details: { path: '--workers', received: input.workers },
      },
    );
  }
  if (input.walkForward !== undefined && !(Number.isInteger(input.walkForward) && input.walkForward >= 1)) {
    throw new ConcordError(
      'CONCORD_ERR_SWEEP_WALK_FORWARD',
      `flag --walk-forward ${input.walkForward}: expected a whole number of folds ≥ 1`,
      { details: { path: '--walk-forward', received: input.walkForward } },
    );
  }
  const combos = sweepCombinations(params, max);
  const { valid, skipped } = checkCombinations(input.rawConfig, combos);
  if (valid.length === 0) {
    throw new ConcordError(
      'CONCORD_ERR_SWEEP_NO_VALID',
      `none of the ${combos.length} combinations is a valid agent config (first: ${formatParams(skipped[0]?.params ?? {})}: ${skipped[0]?.reason ?? ''})`,
      { details: { path: '--sweep', combinations: combos.length } },
    );
  }
  const fees = { maker: input.feeBps / 10_000, taker: input.feeBps / 10_000 };
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let sweep: Awaited<ReturnType<typeof runSweep>>;
  try {
    const onProgress = progressReporter(out, input.json);
    sweep = await runSweep({
      data: input.data,
      job: {
        rawConfig: input.rawConfig,
        fees,
        ...(input.initialCapital === undefined ? {} : { initialCapital: input.initialCapital }),
      },
      combinations: valid,
      ...(input.workers === undefined ? {} : { workers: input.workers }),
      signal: controller.signal,
      ...(onProgress === undefined ? {} : { onProgress }),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const rows: SweepRow[] = rankSweep(sweep.runs, rankBy);
  let wf: WalkForwardResult | null = null;
  if (input.walkForward !== undefined && sweep.runs.length > 0)
    wf = walkForward(sweep.runs, input.walkForward, rankBy);
  const guard: OverfittingGuard = overfittingGuard(sweep.runs);
  const names = params.map((p) => p.name);

  // The report: the best row's full backtest report, with the sweep's heatmap, table and guard.
  const best = rows[0];
  const bestRun = best === undefined ? undefined : sweep.runs.find((r) => r.params === best.params);
  if (bestRun !== undefined && best !== undefined) {
    const series = seriesOf(bestRun);
    const result = buildBacktestResult(
      {
        title: `Sweep — best by ${rankBy}: ${formatParams(best.params)}`,
        mode: 'backtest',
        dataFiles: sweep.files.map((f) => f.path),
        startTs: bestRun.period.start,
        endTs: bestRun.period.end,
        seed: String(backtestConfig(input.rawConfig).seed),
        config: {
          swept: input.sweeps.join(' '),
          combinations: `${combos.length} (${skipped.length} invalid, ${sweep.failed.length} failed)`,
          'rank by': rankBy,
          'fee for recordings without a known venue (bp)': input.feeBps,
        },
      },
      series,
    );
    input.write(
      input.reportPath,
      renderBacktestReport({
        ...result,
        series,
        prices: candleSeries(sweep.columns, bestRun.trades[0]?.instrumentId) ?? undefined,
        sweep: { names, rankBy, rows, skipped: skipped.length, walkForward: wf, guard },
      }),
    );
  }

  const output = {
    ok: sweep.failed.length === 0,
    sweep: {
      params: params.map((p) => ({ name: p.name, values: p.values })),
      rankBy,
      combinations: combos.length,
      valid: valid.length,
      skipped: skipped.map((s) => ({ params: s.params, reason: s.reason })),
      failed: sweep.failed,
      workers: sweep.workers,
      bars: sweep.bars,
      files: sweep.files,
      readMs: sweep.readMs,
      wallMs: sweep.wallMs,
      combinationsPerSecond: sweep.runs.length / (sweep.wallMs / 1000),
      interrupted: sweep.interrupted,
    },
    rows,
    best: best ?? null,
    walkForward: wf,
    overfitting: guard,
    report: bestRun === undefined ? null : input.reportPath,
  };
  if (input.outPath !== undefined) input.write(input.outPath, `${JSON.stringify(output, null, 2)}\n`);
  const code = sweep.failed.length > 0 ? 3 : 0;
  if (input.json) {
    out.line(JSON.stringify(output));
    return code;
  }
  out.line(
    out.paint(
      'bold',
      `Concord sweep · ${combos.length} combinations (${skipped.length} invalid skipped) · ${sweep.bars} bars read once · ${sweep.workers} worker(s) · ${(sweep.wallMs / 1000).toFixed(1)} s (${output.sweep.combinationsPerSecond.toFixed(2)}/s)`,
    ),
  );
  if (skipped.length > 0) {
    out.line(
      out.paint(
        'dim',
        `  skipped ${skipped.length}: ${skipped
          .slice(0, 3)
          .map((s) => `${formatParams(s.params)} (${s.reason})`)
          .join('; ')}${skipped.length > 3 ? '; …' : ''}`,
      ),
    );
  }
  const top = rows.slice(0, input.top ?? 20);
  const header = ['#', ...names, 'sharpe', 'return', 'max DD', 'trades', 'win rate'];
  const table = top.map((r) => [
    String(r.rank),
    ...names.map((n) => String(r.params[n])),
    fmt(r.metrics.sharpe),
    pct(r.metrics.totalReturn),
    pct(r.metrics.maxDrawdown),
    String(r.trades),
    pct(r.metrics.winRate),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => c.padStart(widths[i] as number)).join('  ')}`;
  out.line(out.paint('bold', line(header)));
  for (const [i, row] of table.entries()) out.line(i === 0 ? out.paint('green', line(row)) : line(row));
  if (rows.length > top.length)
    out.line(out.paint('dim', `  … ${rows.length - top.length} more rows (--json has all)`));
  out.line(`  ranked by ${rankBy} (${RANK_METRICS[rankBy]} is better)`);
  const g = guard;
  out.line(
    `  overfitting guard: PBO ${g.pbo === null ? 'n/a' : `${(g.pbo.pbo * 100).toFixed(1)}% (CSCV, ${g.pbo.blocks} blocks, ${g.pbo.splits} splits)`}` +
      `   deflated Sharpe ${g.deflatedSharpe === null ? 'n/a' : `${(g.deflatedSharpe.dsr * 100).toFixed(1)}% for ${formatParams(g.deflatedSharpe.params)} among ${g.deflatedSharpe.trials} trials`}`,
  );
  if (g.pbo !== null && g.pbo.pbo >= 0.5)
    out.line(
      out.paint(
        'yellow',
        '  the in-sample best is no better than the median out of sample in most splits: treat the top row as luck',
      ),
    );
  if (wf !== null) {
    out.line(`  walk-forward, ${wf.folds.length} folds (in-sample best → out of sample, by ${rankBy}):`);
    for (const f of wf.folds)
      out.line(
        `    fold ${f.fold}: ${formatParams(f.chosen)}  in ${fmt(f.inSampleValue)} → out ${fmt(f.outOfSampleValue)} (rank ${f.outOfSampleRank}/${rows.length}, return ${pct(f.outOfSampleReturn)})`,
      );
    out.line(`    out-of-sample return, compounded: ${pct(wf.outOfSampleReturn)}`);
  }
  for (const f of sweep.failed)
    out.line(out.paint('red', `  failed ${formatParams(f.params)}: ${f.code}: ${f.message}`));
  if (bestRun !== undefined) out.line(`  report  ${input.reportPath}`);
  if (sweep.interrupted)
    out.line(
      out.paint('yellow', '  interrupted: the table covers the combinations finished before the stop'),
    );
  return code;
}
