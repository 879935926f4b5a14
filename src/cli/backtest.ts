/**
 * `concord backtest`: the same kernel over recorded files on the simulated clock, a
 * progress bar on a terminal, a JSON result (the last line with --json) and a
 * self-contained HTML report.
 */
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildBacktestResult, renderBacktestReport } from '../analysis/report/index.ts';
import { ConcordError } from '../core/index.ts';
import { readPriceSeries } from '../data/index.ts';
import { type AgentSpec, loadDeskConfig } from '../kernel/index.ts';
import { type BacktestRunResult, backtestConfig, runBacktest } from '../modes/index.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import { formatMoney, type Out } from './output.ts';

const FLAGS: FlagSpecs = {
  data: {
    type: 'list',
    description: 'recording file or directory (repeatable; replayed in the order given)',
    placeholder: 'path',
  },
  agent: {
    type: 'list',
    description: "agent type to run (repeatable), e.g. sma-cross; default: the config's agents",
    placeholder: 'type',
  },
  set: {
    type: 'list',
    description: 'agent parameter, e.g. fast=10 (or <agent-id>.fast=10 with several agents)',
    placeholder: 'k=v',
  },
  config: { type: 'string', description: 'desk config file (JSON)', placeholder: 'file' },
  capital: {
    type: 'number',
    description: 'capital the equity curve starts from, in quote currency (default 100000)',
    placeholder: 'n',
  },
  'fee-bps': {
    type: 'number',
    description: 'taker fee in bp for files without a known venue (default 0)',
    placeholder: 'bp',
  },
  report: {
    type: 'string',
    description: 'HTML report path (default backtest-report.html)',
    placeholder: 'file',
  },
  out: { type: 'string', description: 'also write the JSON result to this file', placeholder: 'file' },
  journal: {
    type: 'string',
    description: 'keep the journal in this directory (default: a temporary one, removed at the end)',
    placeholder: 'dir',
  },
  sweep: {
    type: 'list',
    description:
      'sweep an agent parameter over lo..hi[:step] or a,b,c (repeatable: every combination runs, in worker threads)',
    placeholder: 'k=lo..hi:step',
  },
  workers: {
    type: 'number',
    description: 'sweep worker threads (default: the available cores)',
    placeholder: 'n',
  },
  'max-combinations': {
    type: 'number',
    description: 'allow a sweep of more than 1000 combinations (up to n)',
    placeholder: 'n',
  },
  'rank-by': {
    type: 'string',
    description: 'sweep ranking metric: sharpe (default), sortino, totalReturn, calmar, maxDrawdown, …',
    placeholder: 'metric',
  },
  'walk-forward': {
    type: 'number',
    description: 'sweep walk-forward folds: best in sample, reported out of sample',
    placeholder: 'k',
  },
  top: {
    type: 'number',
    description: 'sweep rows shown in the table (default 20; --json has all)',
    placeholder: 'n',
  },
  json: { type: 'boolean', description: 'the last line of output is one JSON result' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const USAGE =
  'Usage: concord backtest --data <files or dir> [--agent sma-cross --set fast=10 --set slow=30] [--json]\n' +
  '       concord backtest --data <candles> --agent sma-cross --sweep fast=5..30:5 --sweep slow=20..100:10 [--workers N] [--walk-forward K] [--json]';
const SUMMARY =
  'Runs agents over recorded data (Binance raw feeds, candles, trades, Concord recordings) through the same kernel\n' +
  "as every mode: simulated clock, simulated venues (market orders on candles fill at the next bar's open),\n" +
  'risk gate and journal. Writes a JSON result and a self-contained HTML report.';

function parseValue(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text !== '' && Number.isFinite(Number(text))) return Number(text);
  return text;
}

const RESERVED_FIELDS = new Set(['__proto__', 'constructor', 'prototype']);

/** Builds agent specs from --agent and --set. */
export function agentsFromFlags(types: readonly string[], sets: readonly string[]): AgentSpec[] {
  const specs: AgentSpec[] = types.map((type) => ({ id: type, type, config: {}, isolated: false }));
  for (const assignment of sets) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        `flag --set: expected key=value, received ${JSON.stringify(assignment)}`,
        {
          details: { path: '--set', expected: 'key=value', received: assignment },
        },
      );
    }
    const key = assignment.slice(0, eq);
    const value = parseValue(assignment.slice(eq + 1));
    const dot = key.indexOf('.');
    const field = dot > 0 ? key.slice(dot + 1) : key;
    // Assigning `__proto__` would change the object instead of adding a field: refuse it as unknown.
    if (field === '' || RESERVED_FIELDS.has(field)) {
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        `flag --set ${assignment}: ${JSON.stringify(field)} is not an agent parameter`,
        { details: { path: '--set', expected: 'key=value with a parameter name', received: assignment } },
      );
    }
    const target =
      dot > 0 ? specs.find((s) => s.id === key.slice(0, dot)) : specs.length === 1 ? specs[0] : undefined;
    if (target === undefined) {
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        `flag --set ${assignment}: name the agent (<agent-id>.${key}=…) when there is not exactly one --agent`,
        { details: { path: '--set', expected: '<agent-id>.key=value', received: assignment } },
      );
    }
    (target.config as Record<string, unknown>)[field] = value;
  }
  return specs;
}

/** Resolves an output file flag; its directory must exist and the path must not be a directory. */
function outputPath(flag: string, path: string): string {
  const full = resolve(path);
  const problem = (() => {
    try {
      if (statSync(full).isDirectory()) return 'is a directory';
    } catch {
      // Absent: the file is created, if its directory exists.
    }
    try {
      return statSync(dirname(full)).isDirectory() ? undefined : `${dirname(full)} is not a directory`;
    } catch {
      return `directory ${dirname(full)} does not exist`;
    }
  })();
  if (problem === undefined) return full;
  throw new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `flag ${flag}: ${full} cannot be written: ${problem}`,
    {
      details: { path: flag, expected: 'a file path in an existing directory', received: path },
    },
  );
}

function writeOutput(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (cause) {
    const reason = (cause as { code?: string }).code ?? String(cause);
    throw new ConcordError('CONCORD_ERR_OUTPUT_WRITE', `cannot write ${path} (${reason})`, {
      details: { path, reason },
      cause,
    });
  }
}

function progressBar(out: Out): (done: number, events: number) => void {
  if (!process.stderr.isTTY) return () => {};
  let last = -1;
  return (done, events) => {
    const pct = Math.floor(done * 100);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round(done * width);
    process.stderr.write(
      `\r  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%  ${events} events`,
    );
    if (done >= 1) process.stderr.write('\n');
    void out;
  };
}

export async function backtestCommand(argv: readonly string[], out: Out): Promise<number> {
  const { flags, positionals } = parseArgs(argv, FLAGS);
  if (flags.help) {
    out.line(formatHelp(USAGE, SUMMARY, FLAGS));
    return 0;
  }
  const data = [...((flags.data as string[] | undefined) ?? []), ...positionals];
  if (data.length === 0) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      'flag --data: expected at least one recording file or directory',
      {
        details: { path: '--data', expected: 'a file or directory' },
      },
    );
  }
  const raw: Record<string, unknown> =
    typeof flags.config === 'string' ? { ...loadDeskConfig(flags.config) } : {};
  const types = (flags.agent as string[] | undefined) ?? [];
  const sets = (flags.set as string[] | undefined) ?? [];
  if (types.length > 0) raw.agents = agentsFromFlags(types, sets);
  else if (sets.length > 0) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      'flag --set needs --agent (or set parameters in the config file)',
      {
        details: { path: '--set', expected: '--agent <type>' },
      },
    );
  }
  if (typeof flags.journal === 'string')
    raw.journal = { ...((raw.journal as object | undefined) ?? {}), dir: flags.journal };
  delete raw.mode;
  const config = backtestConfig(raw);
  // Where the results go is checked before the run, so a long backtest never ends in a failed write.
  const reportPath = outputPath(
    '--report',
    typeof flags.report === 'string' ? flags.report : 'backtest-report.html',
  );
  const outPath = typeof flags.out === 'string' ? outputPath('--out', flags.out) : undefined;
  const feeBps = typeof flags['fee-bps'] === 'number' ? flags['fee-bps'] : 0;
  if (feeBps < 0) {
    throw new ConcordError('CONCORD_ERR_CONFIG_INVALID', 'flag --fee-bps: expected a fee ≥ 0', {
      details: { path: '--fee-bps', received: feeBps },
    });
  }
  const json = flags.json === true;
  const sweeps = (flags.sweep as string[] | undefined) ?? [];
  if (sweeps.length > 0) {
    if (types.length === 0) {
      throw new ConcordError('CONCORD_ERR_CONFIG_INVALID', 'flag --sweep needs --agent <type>', {
        details: { path: '--sweep', expected: '--agent <type>' },
      });
    }
    if (typeof flags.journal === 'string') {
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        'flag --journal: a sweep keeps no journals (re-run one combination with --set to keep its journal)',
        { details: { path: '--journal' } },
      );
    }
    const { sweepCommand } = await import('./sweep.ts');
    return await sweepCommand(
      {
        data,
        sweeps,
        rawConfig: raw,
        feeBps,
        ...(typeof flags.capital === 'number' ? { initialCapital: flags.capital } : {}),
        ...(typeof flags.workers === 'number' ? { workers: flags.workers } : {}),
        ...(typeof flags['max-combinations'] === 'number'
          ? { maxCombinations: flags['max-combinations'] }
          : {}),
        ...(typeof flags['rank-by'] === 'string' ? { rankBy: flags['rank-by'] } : {}),
        ...(typeof flags['walk-forward'] === 'number' ? { walkForward: flags['walk-forward'] } : {}),
        ...(typeof flags.top === 'number' ? { top: flags.top } : {}),
        json,
        reportPath,
        ...(outPath === undefined ? {} : { outPath }),
        write: writeOutput,
      },
      out,
    );
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  // `on`, not `once`: a second Ctrl-C while the run winds down must not kill the process before
  // it has removed its temporary journal.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let run: BacktestRunResult;
  try {
    run = await runBacktest({
      data,
      config,
      journalDir: typeof flags.journal === 'string' ? flags.journal : undefined,
      signal: controller.signal,
      // Only a terminal shows a bar (counting lines for its total costs a second decompression).
      ...(process.stderr.isTTY ? { onProgress: progressBar(out) } : {}),
      fees: { maker: feeBps / 10_000, taker: feeBps / 10_000 },
      ...(typeof flags.capital === 'number' ? { initialCapital: flags.capital } : {}),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const journalText = run.journalDir ?? 'temporary, removed (pass --journal <dir> to keep it)';

  const series = {
    equity: run.equity,
    initialEquity: run.initialEquity,
    trades: run.trades.map((t) => ({
      ts: t.ts,
      instrumentId: t.instrumentId,
      side: t.side,
      price: t.price,
      quantity: t.quantity,
      fee: t.fee,
      agentIds: [...t.agentIds],
    })),
  };
  const result = buildBacktestResult(
    {
      mode: run.books.length > 0 ? 'replay' : 'backtest',
      dataFiles: run.files.map((f) => f.path),
      startTs: run.period.start,
      endTs: run.period.end,
      seed: config.seed,
      config: Object.fromEntries([
        ...config.agents.map((a) => [`agent ${a.id}`, `${a.type} ${JSON.stringify(a.config)}`] as const),
        ['fee for recordings without a known venue (bp)', feeBps],
        ['journal', journalText],
      ]),
    },
    series,
    { books: run.books },
  );
  // The report's price chart: the traded instrument's candles (or mid/last), read once more.
  const prices = readPriceSeries(
    run.files.map((f) => f.path),
    run.trades[0]?.instrumentId,
    { binance: { timestamps: 'receive' } },
  );
  writeOutput(reportPath, renderBacktestReport({ ...result, series, prices: prices ?? undefined }));

  const output = {
    ok: true,
    mode: result.run.mode,
    files: run.files,
    period: run.period,
    events: run.events,
    decisions: run.decisions,
    orders: run.orders,
    denied: run.denied,
    rejected: run.rejected,
    fills: run.fills,
    pnl: run.pnl,
    fees: run.fees,
    trades: run.trades.map((t) => ({
      ts: t.ts,
      side: t.side,
      price: t.price,
      quantity: t.quantity,
      instrumentId: t.instrumentId,
      fee: t.fee,
      agentIds: t.agentIds,
    })),
    metrics: result.metrics,
    agents: result.agents,
    books: run.books,
    report: reportPath,
    journalDir: run.journalDir,
    journalHash: run.journalHash,
    interrupted: run.interrupted,
    eventsPerSecond: run.eventsPerSecond,
  };
  if (outPath !== undefined) writeOutput(outPath, `${JSON.stringify(output, null, 2)}\n`);
  if (json) {
    out.line(JSON.stringify(output));
    return 0;
  }
  const m = result.metrics;
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);
  const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
  out.line(
    out.paint(
      'bold',
      `Concord ${result.run.mode} · ${run.files.length} file(s) · ${run.events} events in ${(run.wallMs / 1000).toFixed(1)} s`,
    ),
  );
  out.line(
    `  trades ${run.fills}   orders ${run.orders} (denied ${run.denied}, rejected ${run.rejected})   PnL ${formatMoney(run.pnl)}   fees ${run.fees.toFixed(2)}`,
  );
  out.line(
    `  return ${pct(m.totalReturn)}   Sharpe ${num(m.sharpe)}   Sortino ${num(m.sortino)}   max drawdown ${pct(m.maxDrawdown)}   win rate ${pct(m.winRate)}   turnover ${num(m.turnover)}`,
  );
  for (const b of run.books) {
    out.line(
      `  book ${b.instrumentId}: ${b.updates} updates, ${b.gaps} gaps, ${b.resyncs} resyncs, ${b.bookTickerMismatches} bookTicker mismatches of ${b.bookTickerChecks}`,
    );
  }
  out.line(`  report  ${reportPath}`);
  out.line(`  journal ${journalText}`);
  if (run.interrupted)
    out.line(out.paint('yellow', '  interrupted: the figures cover the data up to the stop'));
  return 0;
}
