/**
 * `concord`: the command-line front of the desk. Behaves like a Unix tool: --help,
 * exit codes (0 ok, 1 check failed, 2 bad usage or config, 3 runtime error),
 * --json (the last line is one JSON object), colours and the live panel only on a terminal.
 */
import { join } from 'node:path';
import { ConcordError, isConcordError, LiveClock, toConcordError } from '../core/index.ts';
import type { DeskConfig, DeskStatus } from '../kernel/index.ts';
import type { RunSummary } from '../modes/index.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import { createOut, formatDuration, formatMoney, type Out, paintStatus, verifyProgress } from './output.ts';

// Each command loads what it needs when it runs (the kernel, zod's schemas, SQLite): loaded up
// front, they made a compiled `concord --help` ≈ 4× `node -e 0` instead of ≈ 1.3× (docs/PERFORMANCE.md).
const kernel = () => import('../kernel/index.ts');
const modes = () => import('../modes/index.ts');
const control = () => import('../control/index.ts');
const safety = () => import('./safety.ts');

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
  'api-port': {
    type: 'int',
    description: 'port of the operator API (default 7070; in use: a free one; 0 = any free port)',
    placeholder: 'n',
  },
  'api-host': {
    type: 'string',
    description: 'address the API listens on (default 127.0.0.1; others warn)',
    placeholder: 'host',
  },
  'api-keys': {
    type: 'string',
    description: 'API keys file (default <journal>/api-keys.json; made with one operator key when missing)',
    placeholder: 'file',
  },
  'no-api': { type: 'boolean', description: 'do not serve the operator API' },
  'log-level': {
    type: 'string',
    description: 'structured logs: trace, debug, info, warn (default), error, fatal or silent',
    placeholder: 'level',
  },
  'log-format': {
    type: 'string',
    description: 'json (default off a terminal) or pretty (default on a terminal)',
    placeholder: 'json|pretty',
  },
  'log-file': {
    type: 'string',
    description: 'write the logs to this file instead of stderr',
    placeholder: 'path',
  },
  'otlp-endpoint': {
    type: 'string',
    description:
      'export OpenTelemetry tick spans over OTLP/HTTP (default: OTEL_EXPORTER_OTLP_ENDPOINT, else off)',
    placeholder: 'url',
  },
  mode: {
    type: 'string',
    description: 'sandbox (default), paper (live exchange data, simulated fills) or live (real orders)',
    placeholder: 'mode',
  },
  venue: {
    type: 'string',
    description: 'ccxt exchange id for paper and live mode, e.g. binance (concord venues lists them)',
    placeholder: 'id',
  },
  symbols: {
    type: 'list',
    description: 'ccxt symbols to trade on --venue, comma separated: BTC/USDT,ETH/USDT',
    placeholder: 'list',
  },
  'venue-urls': {
    type: 'string',
    description:
      "ccxt API URLs of --venue as JSON or a JSON file (testnet, proxy); merged into ccxt's urls.api",
    placeholder: 'json|file',
  },
  'keys-file': {
    type: 'string',
    description: 'live mode: JSON key file (mode 0600) instead of CONCORD_<VENUE>_API_KEY / _SECRET',
    placeholder: 'file',
  },
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
  journal compact <dir> --out <new>  a new journal from the last checkpoint (bounds a long run's disk)
  halt --journal <dir>      emergency halt of a running desk (--flatten closes positions)
  resume --journal <dir>    resume a halted desk (--operator <name> required)
  safety report <dir>       unintended trades, position accuracy, recoveries, loss-limit days, breaker trips
  explain <dir> <id>        why an order was placed: event, agents' votes and weights, consensus, risk rules, fills
  arb scan --pools <file>   profitable 2-3 hop DEX cycles in a pool snapshot, with optimal sizes
  venues                    exchanges reachable through ccxt and what each supports (--json)
  keys create --role <role> an API key for the operator API (viewer, operator, admin), printed once

Run 'concord <command> --help' for a command's options.
Exit codes: 0 ok, 1 a check failed, 2 bad usage or config (nothing started), 3 runtime error.
`;

const JOURNAL_HELP = `Usage: concord journal <subcommand> [options]

Subcommands:
  verify <journal-dir>      check every record's hash, its link to the previous one and the sequence
  compact <journal-dir> --out <new-dir>   a new journal from the last checkpoint, naming the old head

Run 'concord journal verify --help' or 'concord journal compact --help' for their options.
`;

const SAFETY_HELP = `Usage: concord safety <subcommand> [options]

Subcommands:
  report <journal-dir>      unintended trades, position accuracy, recoveries, loss-limit days, breaker trips

Run 'concord safety report --help' for its options.
`;

const HELP_WORDS = new Set(['--help', '-h', 'help']);

/** A command group (`journal`, `safety`) without a known subcommand: help on request, else usage error. */
function groupHelp(group: string, sub: string | undefined, help: string, out: Out): number {
  if (sub !== undefined && HELP_WORDS.has(sub)) {
    out.line(help);
    return EXIT.ok;
  }
  const problem = sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`;
  out.err(`concord ${group}: ${problem}\n\n${help}`);
  return EXIT.usage;
}

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
        return await (await import('./backtest.ts')).backtestCommand(rest, out);
      case 'record':
        return await (await import('./record.ts')).recordCommand(rest, out);
      case 'halt':
        return await (await safety()).haltCommand(rest, out);
      case 'resume':
        return await (await safety()).resumeCommand(rest, out);
      case 'safety':
        if (rest[0] === 'report') return await (await safety()).safetyReportCommand(rest.slice(1), out);
        return groupHelp('safety', rest[0], SAFETY_HELP, out);
      case 'explain':
        return await (await import('./explain.ts')).explainCommand(rest, out);
      case 'arb':
        return await (await import('./arb.ts')).arbCommand(rest, out);
      case 'venues':
        return await (await import('./venues.ts')).venuesCommand(rest, out);
      case 'keys':
        return await (await import('./keys.ts')).keysCommand(rest, out);
      case 'journal':
        if (rest[0] === 'verify') return await verifyCommand(rest.slice(1), out);
        if (rest[0] === 'compact')
          return await (await import('./journal-compact.ts')).compactCommand(rest.slice(1), out);
        return groupHelp('journal', rest[0], JOURNAL_HELP, out);
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
  const usage =
    isConcordError(e) &&
    /CONFIG|LIVE_NOT_ENABLED|MODE_UNSUPPORTED|AGENT_NO_DATA|SECRETS|SWEEP_(SPEC|PARAM_UNKNOWN|TOO_MANY|NO_VALID|WALK_FORWARD)/.test(
      e.code,
    );
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
        'Runs a desk. Sandbox by default, with nothing to configure. Serves the operator API on\n' +
          'http://127.0.0.1:7070 while it runs (URL and, on first run, an operator key on stderr).',
        RUN_FLAGS,
      ),
    );
    return EXIT.ok;
  }
  if (positionals.length > 0) {
    out.err(`concord run: unexpected argument ${JSON.stringify(positionals[0])}`);
    return EXIT.usage;
  }
  const { loadDeskConfig, parseDeskConfig } = await kernel();
  const { runDesk } = await modes();
  const { FileCommandSource } = await control();
  const { renderPanel } = await import('./panel.ts');
  let config: DeskConfig =
    typeof flags.config === 'string' ? loadDeskConfig(flags.config) : parseDeskConfig({});
  if (typeof flags.seed === 'number') config = parseDeskConfig({ ...config, seed: flags.seed }, '--seed');
  if (typeof flags.journal === 'string')
    config = { ...config, journal: { ...config.journal, dir: flags.journal } };
  const json = flags.json === true;
  if (typeof flags.mode === 'string' && !['sandbox', 'paper', 'live'].includes(flags.mode))
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      `flag --mode: expected sandbox, paper or live, received ${JSON.stringify(flags.mode)}`,
      { details: { path: '--mode', expected: 'sandbox, paper or live', received: flags.mode } },
    );
  const onExchange =
    typeof flags.venue === 'string' ||
    flags.mode === 'paper' ||
    flags.mode === 'live' ||
    config.mode === 'paper' ||
    config.mode === 'live';
  if (onExchange && flags.mode !== 'sandbox') return exchangeRun(flags, config, out, json);
  const speed = typeof flags.speed === 'number' ? flags.speed : 10;
  const durationMs = typeof flags.duration === 'number' ? flags.duration : Number.POSITIVE_INFINITY;
  const apiPort = typeof flags['api-port'] === 'number' ? flags['api-port'] : 7070;
  if (apiPort < 0 || apiPort > 65535)
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      `flag --api-port: expected 0-65535, received ${apiPort}`,
      {
        details: { path: '--api-port', expected: '0-65535', received: apiPort },
      },
    );
  const apiOptions =
    flags['no-api'] === true
      ? undefined
      : {
          host: typeof flags['api-host'] === 'string' ? flags['api-host'] : '127.0.0.1',
          port: apiPort,
          keysPath:
            typeof flags['api-keys'] === 'string'
              ? flags['api-keys']
              : join(config.journal.dir, 'api-keys.json'),
          journalDir: config.journal.dir,
        };
  let api: { url: string; close(): Promise<void> } | undefined;
  const { observability } = await import('./observability.ts');
  const obs = observability(
    {
      level: flags['log-level'],
      format: flags['log-format'],
      file: flags['log-file'],
      otlpEndpoint: flags['otlp-endpoint'] ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
    },
    out,
  );

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
  const progress = verifyProgress(out, json);
  try {
    const summary = await runDesk({
      ...(progress === undefined ? {} : { onVerifyProgress: progress }),
      config,
      durationMs,
      speed,
      live: flags.live === true,
      signal: controller.signal,
      // Operators reach the running desk through files in <journal>/control (concord halt / resume).
      commands: new FileCommandSource(config.journal.dir),
      onStatus: (status) => {
        lastStatus = status;
        if (!panel && !json && status.wallMs - lastLogged >= 1000) {
          lastLogged = status.wallMs;
          out.line(statusLine(status));
        }
      },
      onEvent: json || panel ? undefined : (text) => out.line(text),
      onReady: async (desk, journal) => {
        await obs.attach(desk);
        if (apiOptions === undefined) return;
        // Loaded only when served: fastify costs start-up time a --no-api run need not pay.
        const { serveRunApi } = await import('./serve.ts');
        api = await serveRunApi(desk, journal, { ...apiOptions, logger: obs.logger }, out);
      },
      onEnd: async () => {
        await api?.close();
        await obs.close();
      },
    });
    if (timer !== undefined) ui.clearTimer(timer);
    if (panel && lastStatus) out.line(renderPanel(lastStatus, out));
    printSummary(summary, out, json, api?.url);
    return EXIT.ok;
  } finally {
    await api?.close();
    await obs.close();
    if (timer !== undefined) ui.clearTimer(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `concord run --mode paper|live --venue <id> --symbols ...`: a desk on a real exchange. */
async function exchangeRun(
  flags: Record<string, unknown>,
  given: DeskConfig,
  out: Out,
  json: boolean,
): Promise<number> {
  const { exchangeConfig, parseVenueUrls, symbolsOf } = await import('./exchange.ts');
  const venues = Object.keys(given.exchanges);
  const venue = typeof flags.venue === 'string' ? flags.venue : venues.length === 1 ? venues[0] : undefined;
  // The two opt-ins come first: whatever else is missing, live trading without both is refused as such.
  const mode = typeof flags.mode === 'string' ? flags.mode : given.mode;
  if (mode === 'live' && !(given.live.enabled && flags.live === true))
    throw new ConcordError(
      'CONCORD_ERR_LIVE_NOT_ENABLED',
      'live trading needs live.enabled: true in the config AND --live on the command line',
      { details: { configEnabled: given.live.enabled, flag: flags.live === true } },
    );
  if (venue === undefined)
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      'flag --venue: paper and live mode need the exchange, e.g. --venue binance --symbols BTC/USDT',
      { details: { path: '--venue', expected: 'a ccxt exchange id' } },
    );
  const config = exchangeConfig(given, {
    ...(typeof flags.mode === 'string' ? { mode: flags.mode } : {}),
    venue,
    symbols: symbolsOf(Array.isArray(flags.symbols) ? (flags.symbols as string[]) : []),
    ...(typeof flags['venue-urls'] === 'string' ? { urls: parseVenueUrls(flags['venue-urls']) } : {}),
  });
  const { runExchangeDesk } = await modes();
  const { FileCommandSource } = await control();
  const credentials =
    config.mode === 'live'
      ? (await import('./secrets.ts')).loadCredentials(
          venue,
          typeof flags['keys-file'] === 'string' ? flags['keys-file'] : undefined,
        )
      : undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastLogged = 0;
  try {
    const summary = await runExchangeDesk({
      config,
      exchange: venue,
      live: flags.live === true,
      credentials,
      durationMs: typeof flags.duration === 'number' ? flags.duration : Number.POSITIVE_INFINITY,
      signal: controller.signal,
      commands: new FileCommandSource(config.journal.dir),
      onEvent: json ? undefined : (text) => out.line(text),
      onStatus: (status) => {
        if (!json && status.wallMs - lastLogged >= 1000) {
          lastLogged = status.wallMs;
          out.line(statusLine(status));
        }
      },
      onReady: () => {
        if (!json)
          out.line(
            `${config.mode} desk on ${venue} (${(config.exchanges[venue]?.symbols ?? []).join(', ')}): trading`,
          );
      },
    });
    if (json) out.line(JSON.stringify(summary));
    else {
      out.line('');
      out.line(out.paint('bold', `Concord ${summary.mode} run on ${summary.exchange} (${summary.reason})`));
      out.line(
        `  market events   ${summary.marketEvents}   decisions ${summary.decisions}   orders ${summary.orders}   fills ${summary.fills}`,
      );
      out.line(`  trading         ${summary.tradingState}   reconciliations ${summary.reconcileRuns}`);
      for (const p of summary.positions) out.line(`  position        ${p.instrumentId} ${p.quantity}`);
      out.line(`  journal         ${summary.journal.dir} (${summary.journal.seq} records)`);
    }
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function statusLine(s: DeskStatus): string {
  return `[${formatDuration(s.simulatedMs)} sim] decisions=${s.decisions} orders=${s.orders} fills=${s.fills} pnl=${formatMoney(s.pnl)} desk=${s.status} state=${s.tradingState}`;
}

function printSummary(s: RunSummary, out: Out, json: boolean, apiUrl: string | undefined): void {
  if (!json) {
    out.line('');
    out.line(out.paint('bold', `Concord run summary (${s.mode}, seed ${s.seed})`));
    out.line(`  simulated time  ${formatDuration(s.simulatedMs)} in ${(s.wallMs / 1000).toFixed(1)} s wall`);
    out.line(`  market events   ${s.marketEvents}   triggers ${s.triggers}   decisions ${s.decisions}`);
    out.line(`  orders          ${s.orders} (denied ${s.denied}, rejected ${s.rejected})   fills ${s.fills}`);
    out.line(
      `  safety          trading ${s.tradingState}   halts ${s.halts}   breaker trips ${s.breakerTrips}`,
    );
    out.line(
      `  status          desk ${paintStatus(s.status, out)}${s.venues.map((v) => `   ${v.id} ${paintStatus(v.status, out)}`).join('')}`,
    );
    const pnlText = formatMoney(s.pnl);
    out.line(
      `  PnL             ${out.paint(s.pnl >= 0 ? 'green' : 'red', pnlText)} (realised ${formatMoney(s.realizedPnl)}, unrealised ${formatMoney(s.unrealizedPnl)}, fees ${s.fees.toFixed(2)})`,
    );
    for (const p of s.positions) out.line(`  position        ${p.instrumentId} ${p.quantity}`);
    out.line('  agents:');
    out.line(
      `    ${'id'.padEnd(20)} ${'type'.padEnd(22)} ${'status'.padEnd(11)} ${'decisions'.padStart(9)} ${'trust'.padStart(6)} ${'trades'.padStart(6)} ${'realised'.padStart(10)} ${'failures'.padStart(8)}`,
    );
    for (const a of s.agents) {
      out.line(
        `    ${a.id.padEnd(20)} ${a.type.padEnd(22)} ${paintStatus(a.status, out, 11)} ${String(a.decisions).padStart(9)} ${a.trust.toFixed(3).padStart(6)} ${String(a.trades).padStart(6)} ${formatMoney(a.pnl).padStart(10)} ${String(a.failures).padStart(8)}`,
      );
    }
    if (s.resumed)
      out.line(
        `  resumed from    seq ${s.resumed.fromSeq}${s.resumed.crashed ? ' after a crash (cut tail detected and skipped)' : ''}`,
      );
    if (apiUrl !== undefined) out.line(`  api             ${apiUrl} (closed)`);
    out.line(`  journal         ${s.journalDir} (${s.records} records, head ${s.journalHash.slice(0, 16)}…)`);
    out.line(
      out.paint(
        'dim',
        `  verify with: concord journal verify ${s.journalDir}    replay with: concord replay ${s.journalDir}`,
      ),
    );
    return;
  }
  // Only the URL: the API key is never part of the output.
  out.line(JSON.stringify(apiUrl === undefined ? s : { ...s, api: { url: apiUrl } }));
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
  const progress = verifyProgress(out, flags.json === true);
  const result = await (await modes()).replayJournal(
    dir,
    progress === undefined ? {} : { onVerifyProgress: progress },
  );
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
  // Exit 1 only for a broken journal; locked, not a journal, unreadable are thrown (exit 3).
  const progress = verifyProgress(out, flags.json === true);
  const report = (await import('../journal/index.ts')).verifyJournal(
    dir,
    progress === undefined ? {} : { onProgress: progress },
  );
  if (flags.json) out.line(JSON.stringify(report));
  else if (report.ok)
    out.line(`${out.paint('green', 'journal ok')}: ${report.records} records, head ${report.headHash}`);
  else
    out.line(
      `${out.paint('red', 'journal broken')} (${report.code}) in ${dir}: ${report.message}; ${report.records} records verify before it`,
    );
  return report.ok ? EXIT.ok : EXIT.checkFailed;
}
