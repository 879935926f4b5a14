/**
 * Candle files → `bar` events, validated row by row:
 *  - JSON arrays of `[ts_ms, open, high, low, close, volume]` (freqtrade; a null volume, as in
 *    mark-price files, counts as 0);
 *  - JSON arrays of objects `{time|timestamp, open, high, low, close, volume}` (Bybit, BitMEX
 *    exports; time in s or ms; newest-first files are put in time order);
 *  - CSV with a header naming `timestamp` (or time/date), open, high, low, close[, volume];
 *    timestamps are epoch s/ms or `YYYY-MM-DD[ T]HH:MM[:SS[.frac]]`, UTC unless a zone is given.
 * Each bar must have positive prices, high ≥ max(open, close), low ≤ min(open, close),
 * volume ≥ 0, and open times strictly ascending. The interval is the option, else the
 * smallest step between bars (cross-checked with an interval in the file name).
 *
 * Error `line` is the CSV line, or the 1-based record number for JSON arrays.
 */
import { ConcordError } from '../../core/index.ts';
import type { Bar, InstrumentId } from '../../model/index.ts';
import { parseInterval } from '../bars.ts';
import { dataParseError, isRecordedTime, outOfOrderError, SkipLog } from './errors.ts';
import { fileStem, readTextFile, splitLines } from './lines.ts';

export interface CandleReadOptions {
  /** Default: `recording:<file stem without interval>`, e.g. `recording:XRP_ETH`. */
  readonly instrumentId?: InstrumentId;
  readonly intervalMs?: number;
  /** Skip (and count in `skipped`) invalid rows instead of throwing. */
  readonly lenient?: boolean;
  readonly skipped?: SkipLog;
}

interface Row {
  readonly line: number;
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * A file's rows column by column (plain number arrays, which hold unboxed doubles): no object per
 * row between the text and its bar. A row that could not be read keeps NaNs and its error.
 */
interface Columns {
  readonly line: number[];
  readonly ts: number[];
  readonly open: number[];
  readonly high: number[];
  readonly low: number[];
  readonly close: number[];
  readonly volume: number[];
  /** Errors by row index, in row order. */
  readonly errors: Map<number, ConcordError>;
}

function emptyColumns(): Columns {
  return { line: [], ts: [], open: [], high: [], low: [], close: [], volume: [], errors: new Map() };
}

function pushRow(c: Columns, row: Row | ConcordError, line: number): void {
  if (row instanceof ConcordError) {
    c.errors.set(c.ts.length, row);
    c.line.push(line);
    c.ts.push(Number.NaN);
    c.open.push(Number.NaN);
    c.high.push(Number.NaN);
    c.low.push(Number.NaN);
    c.close.push(Number.NaN);
    c.volume.push(Number.NaN);
    return;
  }
  c.line.push(row.line);
  c.ts.push(row.ts);
  c.open.push(row.open);
  c.high.push(row.high);
  c.low.push(row.low);
  c.close.push(row.close);
  c.volume.push(row.volume);
}

export function readCandles(path: string, options: CandleReadOptions = {}): Generator<Bar, void, undefined> {
  const text = readTextFile(path);
  const rows = /\.csv(\.gz)?$/i.test(path) ? csvRows(path, text) : jsonColumns(path, text);
  return barsFrom(path, rows, options);
}

/**
 * `XRP_ETH-1m.json` → `recording:XRP_ETH`. A name that leaves no symbol (`-1m.csv`, `..csv`) is
 * refused: an instrument without a name cannot be told apart from the next such file.
 */
export function defaultInstrumentId(path: string): InstrumentId {
  const stem = fileStem(path)
    .replace(/[-_](\d+[smhdw]|trades|candles|funding_rate|funding|mark|futures)(?=[-_]|$)/gi, '')
    .trim();
  if (!/[A-Za-z0-9]/.test(stem)) {
    throw new ConcordError(
      'CONCORD_ERR_DATA_FORMAT',
      `cannot name the instrument of ${path}: its file name holds no symbol; name it like BTC_USDT-1m.csv`,
      { details: { file: path, stem } },
    );
  }
  return `recording:${stem}`;
}

function* barsFrom(path: string, rows: Columns, options: CandleReadOptions): Generator<Bar, void, undefined> {
  const instrumentId = options.instrumentId ?? defaultInstrumentId(path);
  const intervalMs = options.intervalMs ?? intervalOrFirstError(path, rows, options.lenient === true);
  const skipped = options.skipped ?? new SkipLog();
  const { line, ts, open, high, low, close, volume, errors } = rows;
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < ts.length; i++) {
    try {
      const error = errors.size === 0 ? undefined : errors.get(i);
      if (error !== undefined) throw error;
      const t = ts[i] as number;
      const o = open[i] as number;
      const h = high[i] as number;
      const l = low[i] as number;
      const c = close[i] as number;
      const v = volume[i] as number;
      checkBar(path, line[i] as number, t, o, h, l, c, v);
      if (t <= previous) throw outOfOrderError(path, line[i] as number, previous, t, 'bar open time');
      previous = t;
      yield { type: 'bar', ts: t, instrumentId, intervalMs, open: o, high: h, low: l, close: c, volume: v };
    } catch (err) {
      if (options.lenient !== true || !(err instanceof ConcordError)) throw err;
      skipped.add(err);
    }
  }
}

function checkBar(
  file: string,
  line: number,
  ts: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
): void {
  if (!(open > 0 && high > 0 && low > 0 && close > 0) || !Number.isFinite(open + high + low + close)) {
    throw dataParseError(
      file,
      line,
      `prices must be positive finite numbers (o=${open} h=${high} l=${low} c=${close})`,
    );
  }
  if (!(volume >= 0 && volume < Number.POSITIVE_INFINITY))
    throw dataParseError(file, line, `volume must be ≥ 0, got ${volume}`);
  if (!(high >= open && high >= close))
    throw dataParseError(file, line, `high ${high} is below open ${open} or close ${close}`);
  if (!(low <= open && low <= close))
    throw dataParseError(file, line, `low ${low} is above open ${open} or close ${close}`);
  if (!isRecordedTime(ts))
    throw dataParseError(file, line, `timestamp is not a valid time from 1970 to 9999 (got ${ts})`);
}

/** A broken row explains a failed inference better than "too few bars" does. */
function intervalOrFirstError(path: string, rows: Columns, lenient: boolean): number {
  try {
    return inferInterval(path, rows);
  } catch (err) {
    const broken = rows.errors.values().next().value;
    throw !lenient && broken !== undefined ? broken : err;
  }
}

function inferInterval(path: string, rows: Columns): number {
  let smallest = Number.POSITIVE_INFINITY;
  let prev: number | undefined;
  const ts = rows.ts;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i] as number;
    // Rows that could not be read hold NaN.
    if (!Number.isFinite(t)) continue;
    if (prev !== undefined && t > prev && t - prev < smallest) smallest = t - prev;
    prev = t;
  }
  const token = /(?:^|[-_])(\d+[smhdw])(?=[-_.]|$)/i.exec(fileStem(path))?.[1];
  const named = token === undefined ? undefined : parseInterval(token.toLowerCase());
  if (named !== undefined && (smallest === Number.POSITIVE_INFINITY || smallest % named === 0)) return named;
  if (smallest < Number.POSITIVE_INFINITY) return smallest;
  throw new ConcordError(
    'CONCORD_ERR_DATA_INTERVAL',
    `cannot infer the bar interval of ${path} (fewer than two bars); pass intervalMs`,
    {
      details: { file: path },
    },
  );
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const line = at === undefined ? 0 : lineAt(text, Number(at));
    throw dataParseError(path, line, `invalid JSON (truncated file?): ${(err as Error).message}`, err);
  }
}

/** JSON arrays of rows, shared with the trade readers. */
export function jsonArray(path: string, text: string): unknown[] {
  const data = parseJson(path, text);
  if (!Array.isArray(data)) throw dataParseError(path, 1, 'expected a JSON array of rows');
  return data;
}

function lineAt(text: string, position: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < position; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function jsonColumns(path: string, text: string): Columns {
  const columns = emptyColumns();
  for (const row of jsonRows(path, text)) pushRow(columns, row, row instanceof ConcordError ? 0 : row.line);
  return columns;
}

function jsonRows(path: string, text: string): (Row | ConcordError)[] {
  const data = jsonArray(path, text);
  const rows = data.map((item, i) => jsonRow(path, item, i + 1));
  // Exchange exports of objects are often newest first: put them in time order (records keep their numbers).
  // Arrays of arrays (freqtrade) are always oldest first, so a time going back there is an error.
  const first = rows.find((r): r is Row => !(r instanceof ConcordError));
  const last = rows.findLast((r): r is Row => !(r instanceof ConcordError));
  if (!Array.isArray(data[0]) && first !== undefined && last !== undefined && first.ts > last.ts)
    rows.reverse();
  return rows;
}

function jsonRow(path: string, item: unknown, record: number): Row | ConcordError {
  if (Array.isArray(item)) {
    if (item.length < 5) return dataParseError(path, record, 'expected [ts, open, high, low, close, volume]');
    return {
      line: record,
      ts: num(item[0]),
      open: num(item[1]),
      high: num(item[2]),
      low: num(item[3]),
      close: num(item[4]),
      volume: item[5] === null || item[5] === undefined ? 0 : num(item[5]),
    };
  }
  if (item !== null && typeof item === 'object') {
    const o = item as Record<string, unknown>;
    const time = o.time ?? o.timestamp ?? o.ts ?? o.t;
    return {
      line: record,
      ts: typeof time === 'string' && !/^\d+(\.\d+)?$/.test(time) ? parseTime(time) : epochMs(num(time)),
      open: num(o.open ?? o.o),
      high: num(o.high ?? o.h),
      low: num(o.low ?? o.l),
      close: num(o.close ?? o.c),
      volume: o.volume === null || o.volume === undefined ? 0 : num(o.volume),
    };
  }
  return dataParseError(path, record, 'expected an array or an object per candle');
}

function csvRows(path: string, text: string): Columns {
  const lines = splitLines(text);
  const header = lines.next();
  if (header.done === true) throw dataParseError(path, 1, 'empty CSV file');
  const names = header.value.split(',').map((h) => h.trim().toLowerCase());
  const col = (...candidates: string[]) => names.findIndex((n) => candidates.includes(n));
  const iTime = col('timestamp', 'time', 'date', 'datetime', 'ts', 'open_time');
  const iOpen = col('open', 'o');
  const iHigh = col('high', 'h');
  const iLow = col('low', 'l');
  const iClose = col('close', 'c');
  const iVolume = col('volume', 'v');
  if (iTime < 0 || iOpen < 0 || iHigh < 0 || iLow < 0 || iClose < 0) {
    throw dataParseError(
      path,
      1,
      `CSV header must name timestamp, open, high, low, close (got "${header.value}")`,
    );
  }
  const rows = emptyColumns();
  let line = 1;
  for (const text of lines) {
    line++;
    if (text.length === 0) continue;
    const f = text.split(',');
    if (f.length < names.length) {
      pushRow(
        rows,
        dataParseError(path, line, `expected ${names.length} fields, got ${f.length} (truncated line?)`),
        line,
      );
      continue;
    }
    rows.line.push(line);
    rows.ts.push(csvTime(f[iTime] as string));
    rows.open.push(num(f[iOpen]));
    rows.high.push(num(f[iHigh]));
    rows.low.push(num(f[iLow]));
    rows.close.push(num(f[iClose]));
    rows.volume.push(iVolume < 0 ? 0 : num(f[iVolume]));
  }
  return rows;
}

const TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** `2021-12-31 23:01:00.000000` (UTC when no zone is given) → epoch ms; NaN when not a time. */
export function parseTime(text: string): number {
  const m = TIME_RE.exec(text.trim());
  if (m === null) return Number.NaN;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? 0, m[5] ?? 0, m[6] ?? 0].map(
    Number,
  ) as [number, number, number, number, number, number];
  // Date.UTC rolls 2021-13-45 over into 2022 without a word: a field out of range is not a time.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    return Number.NaN;
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  let ms =
    Date.UTC(
      +(m[1] as string),
      +(m[2] as string) - 1,
      +(m[3] as string),
      +(m[4] ?? 0),
      +(m[5] ?? 0),
      +(m[6] ?? 0),
    ) + fraction;
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const offset = (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000;
    ms -= digits[0] === '-' ? -offset : offset;
  }
  return ms;
}

/** A CSV time cell: epoch s/ms, or a calendar time (the common exact shape parsed without a regex). */
function csvTime(time: string): number {
  const c0 = time.charCodeAt(0);
  if (time.length >= 19 && time.charCodeAt(4) === 45 && c0 >= 48 && c0 <= 57) {
    const fast = plainUtcTime(time);
    if (!Number.isNaN(fast)) return fast;
    return parseTime(time);
  }
  return /^\d+(\.\d+)?$/.test(time) ? epochMs(+time) : parseTime(time);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at `at` as a number, or −1. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DD[ T]HH:MM:SS[.digits]` (UTC) → epoch ms, exactly as `parseTime` reads it; NaN for
 * any other shape (zones, short forms, stray spaces), which `parseTime` then decides.
 */
export function plainUtcTime(t: string): number {
  const n = t.length;
  const sep = t.charCodeAt(10);
  if (
    n < 19 ||
    t.charCodeAt(4) !== 45 ||
    t.charCodeAt(7) !== 45 ||
    (sep !== 32 && sep !== 84) ||
    t.charCodeAt(13) !== 58 ||
    t.charCodeAt(16) !== 58
  )
    return Number.NaN;
  const hi = twoDigits(t, 0);
  const lo = twoDigits(t, 2);
  const month = twoDigits(t, 5);
  const day = twoDigits(t, 8);
  const hour = twoDigits(t, 11);
  const minute = twoDigits(t, 14);
  const second = twoDigits(t, 17);
  if ((hi | lo | month | day | hour | minute | second) < 0) return Number.NaN;
  let fractionZero = true;
  if (n > 19) {
    if (t.charCodeAt(19) !== 46 || n === 20) return Number.NaN;
    for (let i = 20; i < n; i++) {
      const d = t.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return Number.NaN;
      if (d !== 0) fractionZero = false;
    }
  }
  const year = hi * 100 + lo;
  // Date.UTC reads years 0–99 as 1900–1999: leave those (and their leap days) to parseTime.
  if (year < 1000) return Number.NaN;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return Number.NaN;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return fractionZero ? ms : ms + Number(`0.${t.slice(20)}`) * 1000;
}

/** Epoch seconds or milliseconds → ms (values below 1e11 are seconds: before 1973 in ms). */
export function epochMs(value: number): number {
  return value < 1e11 ? value * 1000 : value;
}

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim().length > 0) return +value;
  return Number.NaN;
}
