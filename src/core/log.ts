/**
 * The logging port. Library code never writes to the console: it logs through a `Logger` it is
 * handed (the CLI composes a pino logger, src/telemetry/logging.ts), or through `NOOP_LOGGER`,
 * which drops everything at no cost. Fields go in the first argument, the message in the second,
 * so a JSON log line carries them as keys (`correlationId`, `causationId`, ...).
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export type LogFn = (fields: Record<string, unknown>, message: string) => void;

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** Whether a level would be written (to skip building fields nobody reads). */
  isLevelEnabled(level: LogLevel): boolean;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

const nothing: LogFn = () => undefined;

export const NOOP_LOGGER: Logger = {
  trace: nothing,
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
  isLevelEnabled: () => false,
  child: () => NOOP_LOGGER,
};
