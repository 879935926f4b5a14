/**
 * Concord's own recording format, `concord-recording/1`: gzip-compressed NDJSON
 * (`<name>.concord.ndjson.gz`). Line 1 is a header naming the source and the
 * instruments (Decimals as strings); every further line is one `MarketEvent`, exactly
 * the model's object, in time order (timestamps never decrease).
 *
 * Every line is checked at this boundary (zod): a NaN, infinite or negative price, an
 * unknown event type, a missing field, a timestamp going backwards or a truncated gzip
 * stream is a coded error naming the file and the line. Events are parsed lazily, one
 * per `next()`; the file is gunzipped whole into a Buffer first (Node has no
 * incremental synchronous gunzip), but lines are decoded one at a time, so no giant
 * string is ever built.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { ConcordError, Decimal } from '../../core/index.ts';
import type { Instrument, MarketEvent } from '../../model/index.ts';
import { dataParseError, isRecordedTime, MAX_RECORDED_TS, outOfOrderError, SkipLog } from './errors.ts';

export const CONCORD_RECORDING_FORMAT = 'concord-recording/1';
export const CONCORD_RECORDING_SUFFIX = '.concord.ndjson.gz';

/** Where the events came from; `kind` plus whatever reproduces them (seed, start, step…). */
export interface ConcordRecordingSource {
  readonly kind: string;
  readonly [key: string]: unknown;
}

export interface ConcordRecordingHeader {
  readonly format: typeof CONCORD_RECORDING_FORMAT;
  readonly createdBy: string;
  readonly source: ConcordRecordingSource;
  readonly instruments: readonly Instrument[];
}

export interface ConcordReadOptions {
  /** Skip (and count in `skipped`) invalid event lines instead of throwing. A bad header or a truncated file still throws. */
  readonly lenient?: boolean;
  readonly skipped?: SkipLog;
}

/** True for names this format is written under (`.concord.ndjson.gz`, or `.concord.ndjson` uncompressed). */
export function isConcordRecordingName(path: string): boolean {
  return /\.concord\.ndjson(\.gz)?$/i.test(basename(path));
}

/** True when a file's first line is a Concord recording header. */
export function isConcordHeaderLine(line: string): boolean {
  return /^\{\s*"format"\s*:\s*"concord-recording\//.test(line);
}

// ---------------------------------------------------------------- schemas

const decimalString = z.string().transform((text, ctx) => {
  const value = Decimal.tryFrom(text);
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a decimal string, received ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return value;
});
const positiveDecimalString = decimalString.refine((d) => d.isPositive(), 'expected a positive decimal');
const nonEmpty = z.string().min(1);

const instrumentBase = {
  id: nonEmpty,
  venue: nonEmpty,
  symbol: nonEmpty,
  base: nonEmpty,
  quote: nonEmpty,
};
const tradable = {
  tickSize: positiveDecimalString,
  lotSize: positiveDecimalString,
  minNotional: decimalString,
  makerFee: decimalString,
  takerFee: decimalString,
};
const instrumentSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ ...instrumentBase, kind: z.literal('spot'), ...tradable }),
    z.strictObject({
      ...instrumentBase,
      kind: z.enum(['perpetual', 'future']),
      ...tradable,
      settle: nonEmpty,
      contractSize: positiveDecimalString,
      inverse: z.boolean(),
      expiry: z.number().int().nonnegative().optional(),
    }),
    z.strictObject({
      ...instrumentBase,
      kind: z.literal('amm-pool'),
      protocol: nonEmpty,
      chainId: z.number().int().positive(),
      address: nonEmpty,
      token0: nonEmpty,
      token1: nonEmpty,
      feePips: z.number().int().nonnegative(),
    }),
    z.strictObject({
      ...instrumentBase,
      kind: z.literal('lending-market'),
      protocol: nonEmpty,
      chainId: z.number().int().positive(),
      address: nonEmpty,
      asset: nonEmpty,
      liquidationThreshold: decimalString,
      liquidationBonus: decimalString,
    }),
  ])
  .refine((i) => i.id === `${i.venue}:${i.symbol}`, {
    message: 'id must be "<venue>:<symbol>"',
    path: ['id'],
  });

const headerSchema = z.strictObject({
  format: z.literal(CONCORD_RECORDING_FORMAT),
  createdBy: z.string(),
  source: z.looseObject({ kind: nonEmpty }),
  instruments: z.array(instrumentSchema),
});

// z.number() already refuses NaN and ±Infinity (zod 4); JSON itself cannot carry them.
const ts = z.number().nonnegative().max(MAX_RECORDED_TS);
const price = z.number().positive();
const amount = z.number().nonnegative();
const sequence = z.number().int().nonnegative();
const level = z.tuple([price, amount]);
const common = { ts, instrumentId: nonEmpty };
const rawUnits = z.string().regex(/^\d+$/, 'expected raw integer units as a decimal string');
const BLOCK_HASH = /^0x[0-9a-f]{64}$/;
const SIGNED_UNITS = /^-?\d+$/;

const EVENT_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  [
    'book.snapshot',
    z.strictObject({
      type: z.literal('book.snapshot'),
      ...common,
      sequence,
      bids: z.array(level),
      asks: z.array(level),
    }),
  ],
  [
    'book.delta',
    z.strictObject({
      type: z.literal('book.delta'),
      ...common,
      firstSequence: sequence,
      sequence,
      previousSequence: sequence.optional(),
      bids: z.array(level),
      asks: z.array(level),
    }),
  ],
  [
    'quote',
    z.strictObject({
      type: z.literal('quote'),
      ...common,
      bid: price,
      bidSize: amount,
      ask: price,
      askSize: amount,
      sequence: sequence.optional(),
    }),
  ],
  [
    'trade',
    z.strictObject({
      type: z.literal('trade'),
      ...common,
      price,
      // A trade of nothing did not happen (the other readers refuse it too).
      size: price,
      aggressor: z.enum(['buy', 'sell', 'unknown']),
      tradeId: z.string(),
    }),
  ],
  [
    'bar',
    z.strictObject({
      type: z.literal('bar'),
      ...common,
      intervalMs: z.number().int().positive(),
      open: price,
      high: price,
      low: price,
      close: price,
      volume: amount,
    }),
  ],
  [
    'funding',
    z.strictObject({
      type: z.literal('funding'),
      ...common,
      rate: z.number(),
      markPrice: price.optional(),
      nextFundingTs: ts.optional(),
    }),
  ],
  [
    'pool',
    z.strictObject({
      type: z.literal('pool'),
      ...common,
      blockNumber: sequence,
      blockHash: z.string().regex(BLOCK_HASH, 'a block hash (0x and 64 hex digits)').optional(),
      reserve0: rawUnits.optional(),
      reserve1: rawUnits.optional(),
      sqrtPriceX96: rawUnits.optional(),
      liquidity: rawUnits.optional(),
      tick: z.number().int().optional(),
      ticks: z
        .array(
          z.strictObject({
            index: z.number().int(),
            liquidityNet: z.string().regex(SIGNED_UNITS, 'a signed integer as a decimal string'),
          }),
        )
        .optional(),
    }),
  ],
  [
    'lending',
    z.strictObject({
      type: z.literal('lending'),
      ...common,
      supplyApy: amount,
      borrowApy: amount,
      utilization: amount,
    }),
  ],
]);

const EVENT_TYPES = [...EVENT_SCHEMAS.keys()].join(', ');

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'value';
  return `${where}: ${issue.message}`;
}

// ---------------------------------------------------------------- parsing

function parseJsonLine(file: string, lineNo: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw dataParseError(file, lineNo, `not valid JSON (${(err as Error).message})`, err);
  }
}

/** Validates line 1 of a recording and turns its instruments back into model objects. */
export function parseConcordHeader(file: string, text: string): ConcordRecordingHeader {
  const raw = parseJsonLine(file, 1, text);
  const result = headerSchema.safeParse(raw);
  if (!result.success) {
    const format = (raw as { format?: unknown } | null)?.format;
    const reason =
      format !== CONCORD_RECORDING_FORMAT
        ? `not a ${CONCORD_RECORDING_FORMAT} header (format ${JSON.stringify(format)}); re-record the file with this version of concord`
        : `invalid header: ${describeIssue(result.error)}`;
    throw dataParseError(file, 1, reason);
  }
  return result.data as ConcordRecordingHeader;
}

// Hot path: a hand-written check that accepts exactly what the zod schemas accept (a
// property test holds the two together) and returns the parsed object as it is. Zod
// runs only when this says no, to name the problem. It keeps replay near JSON.parse speed.
type Check = (value: unknown) => boolean;
interface FastSpec {
  readonly fields: Readonly<Record<string, Check>>;
  readonly optional: ReadonlySet<string>;
  readonly required: number;
}

const isPrice: Check = (v) => typeof v === 'number' && v > 0 && v < Number.POSITIVE_INFINITY;
const isAmount: Check = (v) => typeof v === 'number' && v >= 0 && v < Number.POSITIVE_INFINITY;
const isFiniteNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isSequence: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const isNonEmptyString: Check = (v) => typeof v === 'string' && v.length > 0;
const isString: Check = (v) => typeof v === 'string';
const isRawUnits: Check = (v) => typeof v === 'string' && /^\d+$/.test(v);
const isPoolTicks: Check = (v) => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i];
    if (typeof t !== 'object' || t === null || Array.isArray(t)) return false;
    const keys = Object.keys(t);
    const { index, liquidityNet } = t as { index?: unknown; liquidityNet?: unknown };
    if (
      keys.length !== 2 ||
      !Number.isSafeInteger(index) ||
      typeof liquidityNet !== 'string' ||
      !SIGNED_UNITS.test(liquidityNet)
    )
      return false;
  }
  return true;
};
const isLevels: Check = (v) => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const level: unknown = v[i];
    if (!Array.isArray(level) || level.length !== 2 || !isPrice(level[0]) || !isAmount(level[1]))
      return false;
  }
  return true;
};

function fastSpec(
  type: string,
  required: Record<string, Check>,
  optional: Record<string, Check> = {},
): FastSpec {
  const isType: Check = (v) => v === type;
  return {
    // No prototype: a field named `constructor` or `toString` must not find a "check".
    fields: Object.assign(
      Object.create(null) as Record<string, Check>,
      { type: isType, ts: isRecordedTime, instrumentId: isNonEmptyString },
      required,
      optional,
    ),
    optional: new Set(Object.keys(optional)),
    required: 3 + Object.keys(required).length,
  };
}

const FAST_SPECS: ReadonlyMap<string, FastSpec> = new Map([
  ['book.snapshot', fastSpec('book.snapshot', { sequence: isSequence, bids: isLevels, asks: isLevels })],
  [
    'book.delta',
    fastSpec(
      'book.delta',
      { firstSequence: isSequence, sequence: isSequence, bids: isLevels, asks: isLevels },
      { previousSequence: isSequence },
    ),
  ],
  [
    'quote',
    fastSpec(
      'quote',
      { bid: isPrice, bidSize: isAmount, ask: isPrice, askSize: isAmount },
      { sequence: isSequence },
    ),
  ],
  [
    'trade',
    fastSpec('trade', {
      price: isPrice,
      size: isPrice,
      aggressor: (v) => v === 'buy' || v === 'sell' || v === 'unknown',
      tradeId: isString,
    }),
  ],
  [
    'bar',
    fastSpec('bar', {
      intervalMs: (v) => Number.isSafeInteger(v) && (v as number) > 0,
      open: isPrice,
      high: isPrice,
      low: isPrice,
      close: isPrice,
      volume: isAmount,
    }),
  ],
  [
    'funding',
    fastSpec('funding', { rate: isFiniteNumber }, { markPrice: isPrice, nextFundingTs: isRecordedTime }),
  ],
  [
    'pool',
    fastSpec(
      'pool',
      { blockNumber: isSequence },
      {
        reserve0: isRawUnits,
        reserve1: isRawUnits,
        sqrtPriceX96: isRawUnits,
        liquidity: isRawUnits,
        tick: Number.isSafeInteger,
        blockHash: (v) => typeof v === 'string' && BLOCK_HASH.test(v),
        ticks: isPoolTicks,
      },
    ),
  ],
  ['lending', fastSpec('lending', { supplyApy: isAmount, borrowApy: isAmount, utilization: isAmount })],
]);

/** True when `raw` is a valid event of its type, with no unknown fields. */
export function isValidConcordEvent(raw: unknown): raw is MarketEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const spec = FAST_SPECS.get((raw as { type?: unknown }).type as string);
  if (spec === undefined) return false;
  // Keys are unique and each must be known, so counting the required ones proves all are there.
  let required = 0;
  for (const key in raw) {
    const check = spec.fields[key];
    if (check === undefined || !check((raw as Record<string, unknown>)[key])) return false;
    if (!spec.optional.has(key)) required++;
  }
  return required === spec.required;
}

/** Validates one event line (1-based `lineNo`, for the error). */
export function parseConcordEvent(file: string, lineNo: number, text: string): MarketEvent {
  const raw = parseJsonLine(file, lineNo, text);
  if (isValidConcordEvent(raw)) return raw;
  const type = (raw as { type?: unknown } | null)?.type;
  const schema = typeof type === 'string' ? EVENT_SCHEMAS.get(type) : undefined;
  if (schema === undefined) {
    throw dataParseError(
      file,
      lineNo,
      `unknown event type ${JSON.stringify(type)}; expected one of ${EVENT_TYPES}`,
    );
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw dataParseError(file, lineNo, `${type}: ${describeIssue(result.error)}`);
  return result.data as MarketEvent;
}

// ---------------------------------------------------------------- files

function readWhole(path: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw fileError(path, err);
  }
  if (!isGzip(raw)) return raw;
  try {
    return gunzipSync(raw);
  } catch (err) {
    throw dataParseError(
      path,
      brokenLine(raw),
      `gzip stream ends early (${(err as Error).message}); the file is truncated or corrupt, record it again`,
      err,
    );
  }
}

/** The line a broken gzip stream ends in: one past the lines that decompress whole (0 if none do). */
function brokenLine(raw: Buffer): number {
  try {
    return countLines(gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH })) + 1;
  } catch {
    return 0;
  }
}

function countLines(bytes: Buffer): number {
  let lines = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines++;
  return lines;
}

/**
 * The events of a recording, validated line by line, lazily. The header is checked
 * when iteration starts.
 */
export function* readConcordRecording(
  path: string,
  options: ConcordReadOptions = {},
): Generator<MarketEvent, void, undefined> {
  const bytes = readWhole(path);
  const lenient = options.lenient === true;
  const skipped = options.skipped ?? new SkipLog();
  let start = 0;
  let lineNo = 0;
  let previousTs = Number.NEGATIVE_INFINITY;
  const length = bytes.length;
  while (start < length) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = length;
    const stop = end > start && bytes[end - 1] === 13 ? end - 1 : end;
    const text = bytes.toString('utf8', start, stop);
    start = end + 1;
    lineNo++;
    if (lineNo === 1) {
      parseConcordHeader(path, text);
      continue;
    }
    let event: MarketEvent;
    try {
      event = parseConcordEvent(path, lineNo, text);
      if (event.ts < previousTs) throw outOfOrderError(path, lineNo, previousTs, event.ts, 'event time');
    } catch (err) {
      if (!lenient) throw err;
      skipped.add(err);
      continue;
    }
    previousTs = event.ts;
    yield event;
  }
  if (lineNo === 0)
    throw dataParseError(path, 1, `empty file; expected a ${CONCORD_RECORDING_FORMAT} header line`);
}

/** The header of a recording (its source and instruments), reading only the start of the file. */
export function readConcordHeader(path: string): ConcordRecordingHeader {
  return parseConcordHeader(path, firstLineOf(path));
}

const HEAD_BYTES = 1 << 20;

function firstLineOf(path: string): string {
  let head: Buffer;
  let size: number;
  try {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(HEAD_BYTES);
      head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
      size = head.length;
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw fileError(path, err);
  }
  let text: Buffer = head;
  if (isGzip(head)) {
    try {
      text = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch (err) {
      throw dataParseError(path, 1, `not a readable gzip stream (${(err as Error).message})`, err);
    }
  }
  const end = text.indexOf(10);
  if (end >= 0) return text.toString('utf8', 0, end > 0 && text[end - 1] === 13 ? end - 1 : end);
  // A header longer than the first megabyte (thousands of instruments), or a one-line file.
  if (size < HEAD_BYTES) {
    if (text.length === 0)
      throw dataParseError(path, 1, `empty file; expected a ${CONCORD_RECORDING_FORMAT} header line`);
    return text.toString('utf8');
  }
  const whole = readWhole(path);
  const wholeEnd = whole.indexOf(10);
  return whole.toString('utf8', 0, wholeEnd < 0 ? whole.length : wholeEnd);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function fileError(path: string, err: unknown): ConcordError {
  const code = (err as { code?: string }).code;
  return new ConcordError(
    'CONCORD_ERR_DATA_FILE',
    `recording ${path} ${code === 'ENOENT' ? 'does not exist' : 'cannot be read'}; check the path`,
    { details: { file: path, reason: code ?? String(err) }, cause: err },
  );
}
