/**
 * Structured logs: pino JSON lines (or one pretty line each on a terminal), secrets redacted by
 * path, and a tap that logs the desk's bus events with their envelope's correlation and causation
 * ids. The CLI composes these; library code sees only the `Logger` port (src/core/log.ts).
 */
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import type { Bus, Envelope } from '../bus/index.ts';
import type { Logger, LogLevel } from '../core/index.ts';

/** Keys whose values never reach a log line, at any depth up to three levels (pino redact paths). */
export const SECRET_KEYS = [
  'key',
  'apiKey',
  'secret',
  'apiSecret',
  'authorization',
  'Authorization',
  'privateKey',
  'password',
  'passphrase',
  'token',
] as const;

export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]),
  // Browsers send the API key of /api/stream as a WebSocket subprotocol (src/api/stream.ts).
  'req.headers["sec-websocket-protocol"]',
];

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Where lines go (stderr by default; a file stream for --log-file). */
  readonly stream?: { write(line: string): unknown };
  /** Colours in the pretty format. */
  readonly color?: boolean;
  /** Bound to every line (e.g. {service: 'concord'}). */
  readonly base?: Record<string, unknown>;
}

export type ConcordLogger = Logger & PinoLogger;

/** A pino logger that redacts secrets; `pretty` turns each JSON line into one readable line. */
export function createLogger(options: LoggerOptions): ConcordLogger {
  const target = options.stream ?? process.stderr;
  const stream: DestinationStream =
    options.format === 'pretty'
      ? { write: (line: string) => void target.write(prettyLine(line, options.color === true)) }
      : { write: (line: string) => void target.write(line) };
  return pino(
    {
      level: options.level,
      base: options.base ?? null,
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    stream,
  ) as ConcordLogger;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_COLOURS: Readonly<Record<number, string>> = {
  10: '90',
  20: '36',
  30: '32',
  40: '33',
  50: '31',
  60: '35',
};

/**
 * One pino JSON line as one readable line: `HH:MM:SS.mmm LEVEL message key=value ...` (UTC).
 * Values are the redacted ones (formatting happens after pino redacted them). A line that is not
 * JSON passes through as it is.
 */
export function prettyLine(json: string, color = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { time, level, msg, ...rest } = o;
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '--:--:--.---';
  const n = typeof level === 'number' ? level : 30;
  const name = (LEVEL_NAMES[n] ?? String(level)).padEnd(5);
  const lvl = color ? `\u001b[${LEVEL_COLOURS[n] ?? '0'}m${name}\u001b[0m` : name;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${lvl} ${typeof msg === 'string' ? msg : ''}${fields === '' ? '' : ` ${fields}`}\n`;
}

/**
 * Logs every event the desk publishes on its bus (debug; order denials and rejections at info)
 * with the envelope's ids: `eventId`, `correlationId` (the trigger that started it) and
 * `causationId` (the decision that caused it). Costs nothing unless debug or info is enabled;
 * returns the unsubscribe function.
 */
export function logBusEvents(bus: Bus, logger: Logger): () => void {
  if (!logger.isLevelEnabled('info')) return () => undefined;
  const debug = logger.isLevelEnabled('debug');
  return bus.subscribe(
    '>',
    (envelope: Envelope) => {
      const notable = /denied|rejected|unknown|halt|breaker/.test(envelope.type);
      if (!debug && !notable) return;
      const fields = {
        event: envelope.type,
        topic: envelope.topic,
        eventId: envelope.id,
        correlationId: envelope.correlationId,
        causationId: envelope.causationId,
        payload: envelope.payload,
      };
      if (notable) logger.info(fields, envelope.type);
      else logger.debug(fields, envelope.type);
    },
    { name: 'log' },
  );
}
