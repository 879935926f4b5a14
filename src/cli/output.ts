/** Terminal output helpers: colours only on a terminal, never with NO_COLOR. */
import type { LifecycleState } from '../core/index.ts';

export interface Out {
  readonly tty: boolean;
  readonly color: boolean;
  line(text?: string): void;
  err(text: string): void;
  paint(code: 'red' | 'green' | 'yellow' | 'dim' | 'bold' | 'cyan', text: string): string;
  /** One status line on stderr, redrawn in place; '' clears it. Present only when stderr is a terminal. */
  status?(text: string): void;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;

export function createOut(
  stream: NodeJS.WriteStream = process.stdout,
  errStream: NodeJS.WriteStream = process.stderr,
): Out {
  const tty = stream.isTTY === true;
  const color = tty && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  const out: Out = {
    tty,
    color,
    line: (text = '') => stream.write(`${text}\n`),
    err: (text) => errStream.write(`${text}\n`),
    paint: (code, text) => (color ? `\u001b[${CODES[code]}m${text}\u001b[0m` : text),
  };
  if (errStream.isTTY !== true || process.env.TERM === 'dumb') return out;
  return { ...out, status: (text) => errStream.write(`\r\u001b[K${text}`) };
}

/**
 * Progress of the chain verification that opening a journal does (long journals take
 * seconds), as a status line on a terminal; nothing otherwise, and nothing with --json.
 */
export function verifyProgress(
  out: Out,
  json: boolean,
): ((checked: number, total: number) => void) | undefined {
  const status = out.status;
  if (json || status === undefined) return undefined;
  return (checked, total) =>
    status(
      checked >= total
        ? ''
        : `verifying the journal: ${checked.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} records (${Math.floor((checked / total) * 100)}%)`,
    );
}

export function formatMoney(value: number): string {
  const sign = value < 0 ? '-' : value > 0 ? '+' : '';
  return `${sign}${Math.abs(value).toFixed(2)}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '∞';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s`
    : `${m}m${String(sec).padStart(2, '0')}s`;
}

const STATUS_COLOR: Readonly<Record<LifecycleState, 'green' | 'yellow' | 'red' | 'dim'>> = {
  CREATED: 'dim',
  STARTING: 'yellow',
  RUNNING: 'green',
  DEGRADED: 'yellow',
  STOPPING: 'yellow',
  STOPPED: 'dim',
  QUARANTINED: 'red',
  FAULTED: 'red',
};

/** A lifecycle status (desk, agent, venue), padded to `width`, in one colour per state everywhere. */
export function paintStatus(status: LifecycleState, out: Out, width = 0): string {
  return out.paint(STATUS_COLOR[status], status.padEnd(width));
}
