/**
 * Logs and traces of `concord run` (--log-level, --log-format, --log-file, --otlp-endpoint): a pino
 * logger (JSON, or one pretty line each on a terminal) that logs the desk's bus events with their
 * correlation and causation ids and serves as the API's request logger, and, when an OTLP endpoint
 * is given, the tick tracer attached to the desk. Default level warn: stderr stays as it was.
 */
import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConcordError, LOG_LEVELS, type LogLevel } from '../core/index.ts';
import type { Desk } from '../kernel/index.ts';
import { type ConcordLogger, createLogger, type LogFormat, logBusEvents } from '../telemetry/logging.ts';
import type { Out } from './output.ts';

export interface ObservabilityFlags {
  readonly level: unknown;
  readonly format: unknown;
  readonly file: unknown;
  readonly otlpEndpoint: unknown;
}

export interface RunObservability {
  readonly logger: ConcordLogger;
  attach(desk: Desk): Promise<void>;
  close(): Promise<void>;
}

function flagError(flag: string, expected: string, received: unknown): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `flag --${flag}: expected ${expected}, received ${String(received)}`,
    {
      details: { path: `--${flag}`, expected, received },
    },
  );
}

export function observability(flags: ObservabilityFlags, out: Out): RunObservability {
  const level = (flags.level ?? 'warn') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw flagError('log-level', LOG_LEVELS.join('|'), flags.level);
  const file = typeof flags.file === 'string' && flags.file !== '' ? flags.file : undefined;
  const format = (flags.format ??
    (file === undefined && process.stderr.isTTY ? 'pretty' : 'json')) as LogFormat;
  if (format !== 'json' && format !== 'pretty') throw flagError('log-format', 'json|pretty', flags.format);
  const endpoint =
    typeof flags.otlpEndpoint === 'string' && flags.otlpEndpoint !== '' ? flags.otlpEndpoint : undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint))
    throw flagError('otlp-endpoint', 'an http(s) URL', endpoint);
  let stream: { write(line: string): unknown } | undefined;
  if (file !== undefined) {
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, 'a', 0o600);
    stream = { write: (line: string) => writeSync(fd, line) };
  }
  const logger = createLogger({
    level,
    format,
    color: file === undefined && out.tty,
    base: { service: 'concord', pid: process.pid },
    ...(stream === undefined ? {} : { stream }),
  });
  let unsubscribe: (() => void) | undefined;
  let tracer: { shutdown(): Promise<void> } | undefined;
  let closed: Promise<void> | undefined;
  return {
    logger,
    async attach(desk) {
      unsubscribe = logBusEvents(desk.bus, logger.child({ component: 'desk' }));
      logger.info({ mode: desk.config.mode, seed: desk.config.seed }, 'desk started');
      if (endpoint === undefined) return;
      // Loaded only when asked: the OpenTelemetry SDK costs start-up time a plain run need not pay.
      const { createTickTracer } = await import('../telemetry/tracing.ts');
      const t = createTickTracer({ endpoint, attributes: { 'concord.mode': desk.config.mode } });
      tracer = t;
      desk.observeTicks(t.observer);
      logger.info({ endpoint }, 'tracing ticks over OTLP/HTTP');
    },
    close() {
      closed ??= (async () => {
        unsubscribe?.();
        await tracer?.shutdown().catch((error: unknown) => {
          logger.warn({ err: error }, 'could not send the last spans');
        });
      })();
      return closed;
    },
  };
}
