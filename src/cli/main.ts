/**
 * `concord`: the command-line front of the desk. Behaves like a Unix tool: --help,
 * exit codes (0 ok, 1 check failed, 2 bad usage or config, 3 runtime error),
 * --json (the last line is one JSON object), colours and the live panel only on a terminal.
 */
import { isConcordError, LiveClock, toConcordError } from '../core/index.ts';
import { verifyJournal } from '../journal/index.ts';
import {
  type DeskConfig,
  type DeskStatus,
  loadDeskConfig,
  parseDeskConfig,
  type RunSummary,
  replayJournal,
  runDesk,
} from '../kernel/index.ts';
import { arbCommand } from './arb.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import { backtestCommand } from './backtest.ts';
import { createOut, formatDuration, formatMoney, type Out } from './output.ts';
import { renderPanel } from './panel.ts';
import { recordCommand } from './record.ts';
import { haltCommand, resumeCommand, safetyReportCommand } from './safety.ts';

export const EXIT = { ok: 0, checkFailed: 1, usage: 2, runtime: 3 } as const;
const VERSION = '0.1.0';

const RUN_FLAGS: FlagSpecs = {
  seed: {
    type: 'int',
    description: 'seed of the synthetic market and every random source (default 7)',
    placeholder: 'n',
  },
  duration: {
    type: 'duration',
    description: 'simulated time to run, e.g. 30s, 10m, 1h (default: until Ctrl-C)',
    placeholder: 'time',
  },
  speed: {
    type: 'speed',
    description: '"max" (as fast as possible) or a multiple of real time (default 10)',
    placeholder: 'max|n',
  },
  journal: {
    type: 'string',
    description: 'journal directory (default .concord); an existing journal is resumed',
    placeholder: 'dir',
  },
  config: { type: 'string', description: 'desk config file (JSON)', placeholder: 'file' },
  json: { type: 'boolean', description: 'no panel; the last line of output is one JSON summary' },
  live: { type: 'boolean', description: 'allow live trading (also needs live.enabled in the config)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};
const REPLAY_FLAGS: FlagSpecs = {
  json: { type: 'boolean', description: 'the last line of output is one JSON result' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const TOP_HELP = `concord ${VERSION}: coordinated, safety-first trading agents

Usage: concord <command> [options]

Commands:
  run                       run a desk (sandbox by default): agents, consensus, risk gate, paper fills
  backtest --data <files>   run agents over recorded data; JSON result and HTML report
  record --out <file>       record the sandbox market to a Concord recording
  replay <dir>              re-run a journal's inputs and confirm the same journal hash
  journal verify <dir>      check a journal's hash chain; names the first bad record
  halt --journal <dir>      emergency halt of a running desk (--flatten closes positions)
  resume --journal <dir>    resume a halted desk (--operator <name> required)
  safety report <dir>       unintended trades, position accuracy, recoveries, loss-limit days, breaker trips
  arb scan --pools <file>   profitable 2-3 hop DEX cycles in a pool snapshot, with optimal sizes

Run 'concord <command> --help' for a command's options.
Exit codes: 0 ok, 1 a check failed, 2 bad usage or config (nothing started), 3 runtime error.
`;

export async function main(argv: readonly string[], out: Out = createOut()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.line(TOP_HELP);
        return EXIT.ok;
      case '--version':
      case 'version':
        out.line(VERSION);
        return EXIT.ok;
      case 'run':
        return await runCommand(rest, out);
      case 'replay':
        return await replayCommand(rest, out);
      case 'backtest':
        return await backtestCommand(rest, out);
      case 'record':
        return await recordCommand(rest, out);
      case 'halt':
        return await haltCommand(rest, out);
      case 'resume':
        return await resumeCommand(rest, out);
      case 'safety':
        if (rest[0] === 'report') return await safetyReportCommand(rest.slice(1), out);
        out.err(`concord safety: unknown subcommand ${JSON.stringify(rest[0] ?? '')}; expected "report"`);
        return EXIT.usage;
      case 'arb':
        return await arbCommand(rest, out);
      case 'journal':
        if (rest[0] === 'verify') return await verifyCommand(rest.slice(1), out);
        out.err(`concord journal: unknown subcommand ${JSON.stringify(rest[0] ?? '')}; expected "verify"`);
        return EXIT.usage;
      default:
        out.err(`concord: unknown command ${JSON.stringify(command)}\n\n${TOP_HELP}`);
        return EXIT.usage;
    }
  } catch (err) {
    return reportError(err, out, argv.includes('--json'));
  }
}

function reportError(err: unknown, out: Out, json: boolean): number {
  const e = toConcordError(err);
  const usage = isConcordError(e) && /CONFIG|LIVE_NOT_ENABLED|MODE_UNSUPPORTED/.test(e.code);
  if (json) out.line(JSON.stringify({ ok: false, error: e.toJSON() }));
  out.err(`${out.paint('red', 'error')} ${e.code}: ${e.shortMessage}`);
  if (e.code === 'CONCORD_ERR_INTERNAL' && e.cause instanceof Error && e.cause.stack) out.err(e.cause.stack);
  out.err(`see ${e.docsPath}`);
  return usage ? EXIT.usage : EXIT.runtime;
}

async function runCommand(argv: readonly string[], out: Out): Promise<number> {
  const { flags, positionals } = parseArgs(argv, RUN_FLAGS);
  if (flags.help) {
    out.line(
      formatHelp(
        'Usage: concord run [options]',
        'Runs a desk. Sandbox by default, with nothing to configure.',
        RUN_FLAGS,
      ),
    );
    return EXIT.ok;
  }
  if (positionals.length > 0) {
    out.err(`concord run: unexpected argument ${JSON.stringify(positionals[0])}`);
    return EXIT.usage;
  }
  let config: DeskConfig =
    typeof flags.config === 'string' ? loadDeskConfig(flags.config) : parseDeskConfig({});
  if (typeof flags.seed === 'number') config = parseDeskConfig({ ...config, seed: flags.seed }, '--seed');
  if (typeof flags.journal === 'string')
    config = { ...config, journal: { ...config.journal, dir: flags.journal } };
  const json = flags.json === true;
  const speed = typeof flags.speed === 'number' ? flags.speed : 10;
  const durationMs = typeof flags.duration === 'number' ? flags.duration : Number.POSITIVE_INFINITY;

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const panel = out.tty && !json;
  const ui = new LiveClock();
  let lastStatus: DeskStatus | undefined;
  let lastLogged = 0;
  const timer = panel
    ? ui.setInterval(() => lastStatus && out.line(renderPanel(lastStatus, out)), 250)
    : undefined;
  try {
    const summary = await runDesk({
      config,
      durationMs,
      speed,
      live: flags.live === true,
      signal: controller.signal,
      onStatus: (status) => {
        lastStatus = status;
        if (!panel && !json && status.wallMs - lastLogged >= 1000) {
          lastLogged = status.wallMs;
          out.line(statusLine(status));
        }
      },
      onEvent: json || panel ? undefined : (text) => out.line(text),
    });
    if (timer !== undefined) ui.clearTimer(timer);
    if (panel && lastStatus) out.line(renderPanel(lastStatus, out));
    printSummary(summary, out, json);
    return EXIT.ok;
  } finally {
    if (timer !== undefined) ui.clearTimer(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function statusLine(s: DeskStatus): string {
  return `[${formatDuration(s.simulatedMs)} sim] decisions=${s.decisions} orders=${s.orders} fills=${s.fills} pnl=${formatMoney(s.pnl)} state=${s.tradingState}`;
}

function printSummary(s: RunSummary, out: Out, json: boolean): void {
  if (!json) {
    out.line('');
    out.line(out.paint('bold', `Concord run summary (${s.mode}, seed ${s.seed})`));
    out.line(`  simulated time  ${formatDuration(s.simulatedMs)} in ${(s.wallMs / 1000).toFixed(1)} s wall`);
    out.line(`  market events   ${s.marketEvents}   triggers ${s.triggers}   decisions ${s.decisions}`);
    out.line(`  orders          ${s.orders} (denied ${s.denied}, rejected ${s.rejected})   fills ${s.fills}`);
    out.line(
      `  safety          trading ${s.tradingState}   halts ${s.halts}   breaker trips ${s.breakerTrips}`,
    );
    const pnlText = formatMoney(s.pnl);
    out.line(
      `  PnL             ${out.paint(s.pnl >= 0 ? 'green' : 'red', pnlText)} (realised ${formatMoney(s.realizedPnl)}, unrealised ${formatMoney(s.unrealizedPnl)}, fees ${s.fees.toFixed(2)})`,
    );
    for (const p of s.positions) out.line(`  position        ${p.instrumentId} ${p.quantity}`);
    out.line('  agents:');
    out.line(
      `    ${'id'.padEnd(20)} ${'type'.padEnd(22)} ${'state'.padEnd(11)} ${'decisions'.padStart(9)} ${'trust'.padStart(6)} ${'trades'.padStart(6)} ${'realised'.padStart(10)} ${'failures'.padStart(8)}`,
    );
    for (const a of s.agents) {
      out.line(
        `    ${a.id.padEnd(20)} ${a.type.padEnd(22)} ${a.state.padEnd(11)} ${String(a.decisions).padStart(9)} ${a.trust.toFixed(3).padStart(6)} ${String(a.trades).padStart(6)} ${formatMoney(a.pnl).padStart(10)} ${String(a.failures).padStart(8)}`,
      );
    }
    if (s.resumed)
      out.line(
        `  resumed from    seq ${s.resumed.fromSeq}${s.resumed.crashed ? ' after a crash (cut tail detected and skipped)' : ''}`,
      );
    out.line(`  journal         ${s.journalDir} (${s.records} records, head ${s.journalHash.slice(0, 16)}…)`);
    out.line(
      out.paint(
        'dim',
        `  verify with: concord journal verify ${s.journalDir}    replay with: concord replay ${s.journalDir}`,
      ),
    );
    return;
  }
  out.line(JSON.stringify(s));
}

async function replayCommand(argv: readonly string[], out: Out): Promise<number> {
  const { flags, positionals } = parseArgs(argv, REPLAY_FLAGS);
  if (flags.help) {
    out.line(
      formatHelp(
        'Usage: concord replay <journal-dir> [--json]',
        "Re-runs a journal's inputs through a fresh kernel and confirms the same journal hash.",
        REPLAY_FLAGS,
      ),
    );
    return EXIT.ok;
  }
  const dir = positionals[0];
  if (dir === undefined) {
    out.err('concord replay: missing <journal-dir>');
    return EXIT.usage;
  }
  const result = await replayJournal(dir);
  if (flags.json) out.line(JSON.stringify(result));
  else if (result.ok)
    out.line(
      `${out.paint('green', 'replay ok')}: ${result.records} records, journal hash ${result.replayHash}`,
    );
  else out.line(`${out.paint('red', 'replay differs')}: ${result.message}`);
  return result.ok ? EXIT.ok : EXIT.checkFailed;
}

async function verifyCommand(argv: readonly string[], out: Out): Promise<number> {
  const { flags, positionals } = parseArgs(argv, REPLAY_FLAGS);
  if (flags.help) {
    out.line(
      formatHelp(
        'Usage: concord journal verify <journal-dir> [--json]',
        'Checks every record of a journal: its hash, the link to the previous record, the sequence.',
        REPLAY_FLAGS,
      ),
    );
    return EXIT.ok;
  }
  const dir = positionals[0];
  if (dir === undefined) {
    out.err('concord journal verify: missing <journal-dir>');
    return EXIT.usage;
  }
  const report = verifyJournal(dir);
  if (flags.json) out.line(JSON.stringify(report));
  else if (report.ok)
    out.line(`${out.paint('green', 'journal ok')}: ${report.records} records, head ${report.headHash}`);
  else out.line(`${out.paint('red', 'journal broken')}: ${report.message}`);
  return report.ok ? EXIT.ok : EXIT.checkFailed;
}
