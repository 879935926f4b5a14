/**
 * Bars read once, kept as columns in one SharedArrayBuffer, so several worker threads can replay
 * the same candles without reading or parsing the files again (a parameter sweep).
 *
 * `readBarColumns` reads the files with the ordinary readers (`readRecording`: the same
 * validation, order and instrument ids as a single backtest) and fails with a coded error if the
 * recordings hold anything but bars. `BarColumnsMarket` replays the columns as a market source
 * with the same events, instruments, batch size and read-ahead as `RecordedMarket`, so a run over
 * it is the same run as one over the files.
 */
import { ConcordError } from '../core/index.ts';
import type {
  Bar,
  Instrument,
  InstrumentId,
  MarketBatch,
  MarketEvent,
  MarketSource,
} from '../model/index.ts';
import { recordedInstrument } from './instruments.ts';
import { type RecordingOptions, readRecording } from './readers/recording.ts';

/** Columns per bar, in this order: time, open, high, low, close, volume, instrument index. */
const COLUMNS = 7;

/** Bars as columns in shared memory; plain data, so it can be posted to a worker as is. */
export interface BarColumns {
  /** Float64 columns of `length` values each (see COLUMNS), shared between threads. */
  readonly buffer: SharedArrayBuffer;
  readonly length: number;
  /** Instrument ids in order of first appearance; a bar's instrument is an index into this. */
  readonly instrumentIds: readonly InstrumentId[];
  /** Bar interval (ms) per instrument, as the reader inferred it. */
  readonly intervalsMs: readonly number[];
}

/** Reads candle recordings once into shared columns (CONCORD_ERR_DATA_FORMAT for non-bar events). */
export function readBarColumns(paths: readonly string[], reading: RecordingOptions = {}): BarColumns {
  const ts: number[] = [];
  const open: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  const volume: number[] = [];
  const which: number[] = [];
  const ids: InstrumentId[] = [];
  const intervals: number[] = [];
  const index = new Map<InstrumentId, number>();
  for (const event of readRecording(paths, reading)) {
    if (event.type !== 'bar') {
      throw new ConcordError(
        'CONCORD_ERR_DATA_FORMAT',
        `a sweep shares bars between worker threads, and the data holds a ${event.type} event (${event.instrumentId}); sweep over candle files`,
        { details: { files: [...paths], eventType: event.type, instrumentId: event.instrumentId } },
      );
    }
    let at = index.get(event.instrumentId);
    if (at === undefined) {
      at = ids.length;
      index.set(event.instrumentId, at);
      ids.push(event.instrumentId);
      intervals.push(event.intervalMs);
    }
    ts.push(event.ts);
    open.push(event.open);
    high.push(event.high);
    low.push(event.low);
    close.push(event.close);
    volume.push(event.volume);
    which.push(at);
  }
  const n = ts.length;
  const buffer = new SharedArrayBuffer(n * COLUMNS * Float64Array.BYTES_PER_ELEMENT);
  const all = new Float64Array(buffer);
  [ts, open, high, low, close, volume, which].forEach((column, c) => {
    all.set(column, c * n);
  });
  return { buffer, length: n, instrumentIds: ids, intervalsMs: intervals };
}

/** One bar of the columns, as the reader gave it. */
function barAt(columns: BarColumns, all: Float64Array, i: number): Bar {
  const n = columns.length;
  const k = all[6 * n + i] as number;
  return {
    type: 'bar',
    ts: all[i] as number,
    instrumentId: columns.instrumentIds[k] as InstrumentId,
    intervalMs: columns.intervalsMs[k] as number,
    open: all[n + i] as number,
    high: all[2 * n + i] as number,
    low: all[3 * n + i] as number,
    close: all[4 * n + i] as number,
    volume: all[5 * n + i] as number,
  };
}

export interface BarColumnsMarketOptions {
  /** Taker/maker fee of the instruments (fractions; default 0), as for RecordedMarket. */
  readonly fees?: { readonly maker?: number; readonly taker?: number };
  /** Events read ahead to learn the instruments (default 5000, as RecordedMarket). */
  readonly peek?: number;
  /** Events per `next()` (default 1024, as RecordedMarket). */
  readonly batchSize?: number;
}

/** Replays shared bar columns as a market source; the same events a RecordedMarket gives. */
export class BarColumnsMarket implements MarketSource {
  readonly startTs: number;
  readonly head: readonly MarketEvent[];
  readonly readToEnd: boolean;
  private readonly columns: BarColumns;
  private readonly all: Float64Array;
  private readonly known = new Map<InstrumentId, Instrument>();
  private readonly batchSize: number;
  private at = 0;

  constructor(columns: BarColumns, options: BarColumnsMarketOptions = {}) {
    this.columns = columns;
    this.all = new Float64Array(columns.buffer);
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 1024));
    if (columns.length === 0) {
      throw new ConcordError('CONCORD_ERR_DATA_FILE', 'the recordings hold no events', { details: {} });
    }
    const peek = Math.max(1, Math.floor(options.peek ?? 5000));
    const fees = options.fees ?? {};
    const headLength = Math.min(columns.length, peek + 1);
    const head: MarketEvent[] = [];
    for (let i = 0; i < headLength; i++) {
      const bar = barAt(columns, this.all, i);
      head.push(bar);
      if (!this.known.has(bar.instrumentId))
        this.known.set(
          bar.instrumentId,
          recordedInstrument(bar.instrumentId, { makerFee: fees.maker ?? 0, takerFee: fees.taker ?? 0 }),
        );
    }
    this.head = head;
    this.readToEnd = headLength === columns.length && headLength <= peek;
    this.startTs = (head[0] as Bar).ts;
  }

  instruments(): readonly Instrument[] {
    return [...this.known.values()];
  }

  next(): MarketBatch | undefined {
    const n = this.columns.length;
    if (this.at >= n) return undefined;
    const end = Math.min(n, this.at + this.batchSize);
    const batch: MarketEvent[] = [];
    for (let i = this.at; i < end; i++) {
      const bar = i < this.head.length ? (this.head[i] as Bar) : barAt(this.columns, this.all, i);
      if (!this.known.has(bar.instrumentId)) {
        throw new ConcordError(
          'CONCORD_ERR_DATA_FORMAT',
          `instrument ${bar.instrumentId} first appears after the start of the recording; list its file first`,
          { details: { instrumentId: bar.instrumentId, ts: bar.ts } },
        );
      }
      batch.push(bar);
    }
    this.at = end;
    return batch;
  }

  close(): void {
    this.at = this.columns.length;
  }
}

/** A price line of one instrument for a chart: OHLC bars, or a mid/last line for tick data. */
export interface PriceSeries {
  readonly instrumentId: InstrumentId;
  readonly kind: 'candles' | 'mid' | 'last';
  /** Times (ms) ascending; open/high/low/close for candles, `close` alone for a line. */
  readonly ts: readonly number[];
  readonly open: readonly number[];
  readonly high: readonly number[];
  readonly low: readonly number[];
  readonly close: readonly number[];
}

/** Candles of one instrument, from shared columns. */
export function candleSeries(columns: BarColumns, instrumentId?: InstrumentId): PriceSeries | null {
  const k = instrumentId === undefined ? 0 : columns.instrumentIds.indexOf(instrumentId);
  const id = columns.instrumentIds[k];
  if (k < 0 || id === undefined) return null;
  const n = columns.length;
  const all = new Float64Array(columns.buffer);
  const out = {
    ts: [] as number[],
    open: [] as number[],
    high: [] as number[],
    low: [] as number[],
    close: [] as number[],
  };
  for (let i = 0; i < n; i++) {
    if (all[6 * n + i] !== k) continue;
    out.ts.push(all[i] as number);
    out.open.push(all[n + i] as number);
    out.high.push(all[2 * n + i] as number);
    out.low.push(all[3 * n + i] as number);
    out.close.push(all[4 * n + i] as number);
  }
  return { instrumentId: id, kind: 'candles', ...out };
}

/**
 * The price of one instrument over recordings of any format, for a chart: its candles, else the
 * mid of its best bid and ask (quotes), else its last trade price, one point per `stepMs`.
 */
export function readPriceSeries(
  paths: readonly string[],
  instrumentId: InstrumentId | undefined,
  reading: RecordingOptions = {},
  stepMs = 1000,
): PriceSeries | null {
  const bars = {
    ts: [] as number[],
    open: [] as number[],
    high: [] as number[],
    low: [] as number[],
    close: [] as number[],
  };
  const mid: Array<[number, number]> = [];
  const last: Array<[number, number]> = [];
  let id = instrumentId;
  const push = (line: Array<[number, number]>, ts: number, price: number) => {
    const bucket = Math.floor(ts / stepMs) * stepMs;
    const tail = line[line.length - 1];
    if (tail !== undefined && tail[0] === bucket) tail[1] = price;
    else if (tail === undefined || bucket > tail[0]) line.push([bucket, price]);
  };
  for (const e of readRecording(paths, reading)) {
    if (id === undefined && (e.type === 'bar' || e.type === 'quote' || e.type === 'trade'))
      id = e.instrumentId;
    if (e.instrumentId !== id) continue;
    if (e.type === 'bar') {
      bars.ts.push(e.ts);
      bars.open.push(e.open);
      bars.high.push(e.high);
      bars.low.push(e.low);
      bars.close.push(e.close);
    } else if (e.type === 'quote' && e.bid > 0 && e.ask > 0) push(mid, e.ts, (e.bid + e.ask) / 2);
    else if (e.type === 'trade') push(last, e.ts, e.price);
  }
  if (id === undefined) return null;
  if (bars.ts.length > 0) return { instrumentId: id, kind: 'candles', ...bars };
  const line = mid.length > 0 ? mid : last;
  if (line.length === 0) return null;
  const closes = line.map((p) => p[1]);
  return {
    instrumentId: id,
    kind: mid.length > 0 ? 'mid' : 'last',
    ts: line.map((p) => p[0]),
    open: closes,
    high: closes,
    low: closes,
    close: closes,
  };
}
