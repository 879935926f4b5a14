/**
 * `concord record`: writes a market recording (`concord-recording/1`, gzip NDJSON)
 * that `concord backtest` replays. Today the source is the sandbox market, run as
 * fast as possible for the simulated duration asked.
 */
import { ConcordError, isConcordError, monotonicMs, toConcordError } from '../core/index.ts';
import { parseDeskConfig } from '../kernel/config.ts';
import {
  type RecordProgress,
  type RecordResult,
  recordExchange,
  recordSource,
  sandboxRecordingSource,
} from '../modes/record.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import { formatDuration, type Out } from './output.ts';

const EXIT = { ok: 0, usage: 2, runtime: 3 } as const;
const CREATED_BY = 'concord 0.1.0';
const DEFAULT_DURATION_MS = 10 * 60_000;
const SOURCES = ['sandbox'] as const;

const RECORD_FLAGS: FlagSpecs = {
  out: {
    type: 'string',
    description: 'file to write (name it <name>.concord.ndjson.gz)',
    placeholder: 'file',
  },
  source: {
    type: 'string',
    description: 'where the events come from: sandbox (the synthetic market; default)',
    placeholder: 'sandbox',
  },
  seed: {
    type: 'int',
    description: 'seed of the synthetic market (default 7, as concord run)',
    placeholder: 'n',
  },
  duration: {
    type: 'duration',
    description: 'simulated time to record, e.g. 30s, 10m, 1h (default 10m)',
    placeholder: 'time',
  },
  venue: {
    type: 'string',
    description: "record an exchange's live public data (books, trades) through ccxt, e.g. binance",
    placeholder: 'id',
  },
  symbols: {
    type: 'list',
    description: 'with --venue: ccxt symbols, comma separated (BTC/USDT,ETH/USDT)',
    placeholder: 'list',
  },
  'venue-urls': {
    type: 'string',
    description:
      "with --venue: ccxt API URLs as JSON or a JSON file (testnet, proxy), merged into ccxt's urls.api",
    placeholder: 'json|file',
  },
  force: { type: 'boolean', description: 'replace the --out file if it exists' },
  json: { type: 'boolean', description: 'the last line of output is one JSON summary' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const USAGE =
  'Usage: concord record --out <file> [--source sandbox] [--seed n] [--duration 10m] [--force] [--json]\n' +
  '       concord record --out <file> --venue <id> --symbols BTC/USDT,... [--venue-urls <json|file>] [--duration 1m]';
const SUMMARY =
  'Records a market to a gzip NDJSON file (header with the instruments, then one event per line),\n' +
  'as fast as the machine allows. Replay it with concord backtest <file>.\n' +
  "With --venue: the exchange's live books and trades for --duration of real time (default 10m).";

/** Runs `concord record`; returns the exit code (0 ok, 2 bad usage, 3 runtime error). */
export async function recordCommand(
  argv: readonly string[],
  out: Out,
  progressStream: NodeJS.WriteStream = process.stderr,
): Promise<number> {
  const json = argv.includes('--json');
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    const { flags, positionals } = parseArgs(argv, RECORD_FLAGS);
    if (flags.help === true) {
      out.line(formatHelp(USAGE, SUMMARY, RECORD_FLAGS));
      return EXIT.ok;
    }
    if (positionals.length > 0)
      throw usageError('arguments', 'no positional arguments (use --out <file>)', positionals[0]);
    const file = flags.out;
    if (typeof file !== 'string')
      throw usageError('--out', 'the file to write, e.g. --out btc.concord.ndjson.gz', null);
    if (typeof flags.venue === 'string') {
      const { parseVenueUrls, symbolsOf } = await import('./exchange.ts');
      const symbols = symbolsOf(Array.isArray(flags.symbols) ? flags.symbols : []);
      if (symbols.length === 0)
        throw usageError('--symbols', 'the symbols to record, e.g. --symbols BTC/USDT,ETH/USDT', null);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const result = await recordExchange(
        file,
        {
          exchange: flags.venue,
          symbols,
          durationMs: typeof flags.duration === 'number' ? flags.duration : DEFAULT_DURATION_MS,
          ...(typeof flags['venue-urls'] === 'string' ? { urls: parseVenueUrls(flags['venue-urls']) } : {}),
          force: flags.force === true,
          signal: controller.signal,
        },
        CREATED_BY,
      );
      printResult(result, out, json);
      return EXIT.ok;
    }
    const source = flags.source ?? 'sandbox';
    if (!SOURCES.includes(source as (typeof SOURCES)[number])) {
      throw usageError('--source', `one of ${SOURCES.join(', ')}`, source);
    }
    const config =
      typeof flags.seed === 'number' ? parseDeskConfig({ seed: flags.seed }, '--seed') : parseDeskConfig({});
    const durationMs = typeof flags.duration === 'number' ? flags.duration : DEFAULT_DURATION_MS;

    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    bar = progressStream.isTTY === true ? progressBar(progressStream) : undefined;
    const result = await recordSource(file, sandboxRecordingSource({ config, durationMs }), CREATED_BY, {
      force: flags.force === true,
      signal: controller.signal,
      onProgress: bar?.update,
    });
    bar?.finish();
    printResult(result, out, json);
    return EXIT.ok;
  } catch (err) {
    bar?.finish();
    return reportError(err, out, json);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function usageError(flag: string, expected: string, received: unknown): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `concord record ${flag}: expected ${expected}, received ${JSON.stringify(received)}`,
    {
      details: { path: flag, expected, received },
    },
  );
}

function printResult(r: RecordResult, out: Out, json: boolean): void {
  if (json) {
    out.line(
      JSON.stringify({
        out: r.out,
        events: r.events,
        instruments: r.instruments,
        durationMs: r.durationMs,
        sha256: r.sha256,
      }),
    );
    return;
  }
  const rate = r.wallMs > 0 ? Math.round((r.events * 1000) / r.wallMs) : r.events;
  const note = r.interrupted ? out.paint('yellow', ' (interrupted: the file holds what was recorded)') : '';
  out.line(
    `${out.paint('green', 'recorded')} ${r.events} events, ${r.instruments} instruments, ${formatDuration(r.durationMs)} simulated${note}`,
  );
  out.line(
    `  file     ${r.out} (${r.bytes} bytes, ${(r.wallMs / 1000).toFixed(1)} s wall, ${rate} events/s)`,
  );
  out.line(`  sha256   ${r.sha256}`);
  out.line(out.paint('dim', `  replay with: concord backtest ${r.out}`));
}

/** Refusals before anything is written are usage errors (2); anything else is a runtime error (3). */
function reportError(err: unknown, out: Out, json: boolean): number {
  const e = toConcordError(err);
  const usage = isConcordError(e) && /CONFIG_INVALID|RECORDING_EXISTS/.test(e.code);
  if (json) out.line(JSON.stringify({ ok: false, error: e.toJSON() }));
  out.err(`${out.paint('red', 'error')} ${e.code}: ${e.shortMessage}`);
  if (e.code === 'CONCORD_ERR_INTERNAL' && e.cause instanceof Error && e.cause.stack) out.err(e.cause.stack);
  out.err(`see ${e.docsPath}`);
  return usage ? EXIT.usage : EXIT.runtime;
}

const BAR_WIDTH = 30;

/** A one-line `\r` bar (percentage, events, events/s), redrawn at most ten times a second. */
function progressBar(stream: NodeJS.WriteStream) {
  const start = monotonicMs();
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const draw = (p: RecordProgress) => {
    const elapsed = monotonicMs() - start;
    const filled = Math.round(p.done * BAR_WIDTH);
    const rate = elapsed > 0 ? Math.round((p.events * 1000) / elapsed) : 0;
    const percent = `${Math.floor(p.done * 100)}%`.padStart(4);
    stream.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent}  ${p.events} events  ${rate} events/s`,
    );
    drawn = true;
  };
  return {
    update: (p: RecordProgress) => {
      const now = monotonicMs();
      if (now - lastDraw < 100 && p.done < 1) return;
      lastDraw = now;
      draw(p);
    },
    finish: () => {
      if (drawn) stream.write('\r\u001b[2K');
    },
  };
}
