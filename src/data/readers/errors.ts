/** Coded errors for recorded data: every one names the file and the line (or record) at fault. */
import { ConcordError } from '../../core/index.ts';

/**
 * Latest time a recording may carry, ms since epoch (the end of year 9999): later times (a digit
 * too many, a value in ns) cannot be shown as dates, so they are refused where they are read.
 */
export const MAX_RECORDED_TS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A time a recording may carry: a number of ms from 1970 to the end of 9999. */
export function isRecordedTime(ts: unknown): ts is number {
  return typeof ts === 'number' && ts >= 0 && ts <= MAX_RECORDED_TS;
}

export function dataParseError(file: string, line: number, reason: string, cause?: unknown): ConcordError {
  return new ConcordError('CONCORD_ERR_DATA_PARSE', `${file}:${line}: ${reason}`, {
    details: { file, line, reason },
    cause,
  });
}

export function outOfOrderError(
  file: string,
  line: number,
  previous: number,
  current: number,
  what = 'timestamp',
): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_DATA_OUT_OF_ORDER',
    `${file}:${line}: ${what} ${current} is before the previous ${previous}; recordings must be in time order`,
    { details: { file, line, reason: `${what} went backwards`, previous, current } },
  );
}

/** A line that lenient mode skipped instead of failing on it. */
export interface SkippedLine {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/** Keeps the first few skipped lines for the report, counts all of them. */
export class SkipLog {
  count = 0;
  readonly first: SkippedLine[] = [];
  constructor(private readonly keep = 100) {}

  add(error: unknown): void {
    this.count++;
    if (this.first.length >= this.keep) return;
    const details = (error as { details?: Record<string, unknown> }).details ?? {};
    this.first.push({
      file: String(details.file ?? ''),
      line: Number(details.line ?? 0),
      reason: String(details.reason ?? (error as Error).message),
    });
  }
}
