/**
 * Binance raw combined-stream recordings: one message per line, `<local_receive_ns> <json>`,
 * the JSON being `{stream, data}`; one line without `stream` is the REST depth snapshot
 * (`{lastUpdateId, bids, asks}`) that seeds the book.
 *
 *   `<sym>@depth@100ms` (spot, chained by U/u)   → book.delta {firstSequence: U, sequence: u}
 *   `<sym>@depth@0ms`   (futures, chained by pu) → book.delta {..., previousSequence: pu}
 *   `<sym>@bookTicker`                           → quote {sequence: u}
 *   `<sym>@trade`, `<sym>@aggTrade`               → trade (aggressor from `m`)
 *
 * Several files read by one reader are one continuous feed: state (time, symbol) carries over,
 * so a later file of the same stream continues without a snapshot.
 *
 * Hot path: one JSON.parse per line; level strings are turned into numbers in place in the
 * parsed arrays (no copies), and instrument ids are cached per stream name.
 */
import { basename } from 'node:path';
import type {
  BookDelta,
  BookSequenceMode,
  BookSnapshot,
  InstrumentId,
  Level,
  MarketEvent,
  Quote,
  TradeTick,
} from '../../model/index.ts';
import { dataParseError, isRecordedTime, outOfOrderError, SkipLog } from './errors.ts';
import { readLines, readLinesSync } from './lines.ts';

export type BinanceVenue = 'binance-spot' | 'binance-usdm' | 'binance-coinm';

/**
 * How Binance books chain their diffs (the `bookSequencing` of a market source that reads its
 * feeds): spot by update range (`U`..`u`), futures (USDⓈ-M, COIN-M) by previous id (`pu`).
 * Other venues' instruments are left to the book manager's default.
 */
export function binanceSequenceMode(instrumentId: InstrumentId): BookSequenceMode | undefined {
  if (instrumentId.startsWith('binance-spot:')) return 'update-range';
  if (instrumentId.startsWith('binance-usdm:') || instrumentId.startsWith('binance-coinm:'))
    return 'previous-id';
  return undefined;
}

export interface BinanceFeedOptions {
  /** Venue of every file; otherwise taken from the file name, else from the messages. */
  readonly venue?: BinanceVenue;
  /** Symbol for a snapshot that names none, when no stream line of the file names it either. */
  readonly symbol?: string;
  /**
   * `exchange` (default): event time `E` in ms where present, else local receive time.
   * `receive`: always the local receive time (ns / 1e6), which never goes backwards in a recording.
   */
  readonly timestamps?: 'exchange' | 'receive';
  /** Skip (and count) invalid lines instead of throwing. A skipped depth line shows up as a gap. */
  readonly lenient?: boolean;
}

const DEPTH = 0;
const QUOTE = 1;
const TRADE = 2;
const IGNORED = 3;

interface StreamInfo {
  readonly kind: number;
  readonly symbol: string;
  readonly instrumentId: InstrumentId;
}

export class BinanceFeedReader {
  /** Lines read, events emitted, and the lines lenient mode skipped. */
  lines = 0;
  events = 0;
  readonly skipped = new SkipLog();
  /** Local receive time of the last accepted line, ms. */
  lastReceiveMs = Number.NEGATIVE_INFINITY;

  private readonly useExchangeTime: boolean;
  private readonly lenient: boolean;
  private file = '';
  private fileVenue: BinanceVenue | undefined;
  private fileSymbol: string | undefined;
  private heldSnapshot: BookSnapshotDraft | undefined;
  /** A snapshot released by the line just parsed; emitted before that line's event. */
  private released: BookSnapshot | undefined;
  private readonly streams = new Map<string, StreamInfo>();

  constructor(
    private readonly paths: readonly string[],
    private readonly options: BinanceFeedOptions = {},
  ) {
    this.useExchangeTime = options.timestamps !== 'receive';
    this.lenient = options.lenient === true;
  }

  /** Streams the files (gunzipped on the fly). */
  async *read(): AsyncGenerator<MarketEvent, void, undefined> {
    for (const path of this.paths) {
      this.beginFile(path);
      let lineNo = 0;
      for await (const line of readLines(path)) {
        lineNo++;
        const event = this.parseLineSafely(line, lineNo);
        if (this.released !== undefined) yield this.takeReleased();
        if (event !== undefined) yield event;
      }
      this.endFile();
    }
  }

  /** Same events, each file gunzipped whole first: the fastest way through small recordings. */
  *readSync(): Generator<MarketEvent, void, undefined> {
    for (const path of this.paths) {
      this.beginFile(path);
      let lineNo = 0;
      for (const line of readLinesSync(path)) {
        lineNo++;
        const event = this.parseLineSafely(line, lineNo);
        if (this.released !== undefined) yield this.takeReleased();
        if (event !== undefined) yield event;
      }
      this.endFile();
    }
  }

  beginFile(path: string): void {
    this.file = path;
    this.fileVenue = this.options.venue ?? venueFromFileName(path);
    this.fileSymbol = this.options.symbol;
    this.heldSnapshot = undefined;
    this.streams.clear();
  }

  /** A snapshot still waiting for its symbol at the end of a file cannot be placed: an error (a skip when lenient). */
  endFile(): void {
    const held = this.heldSnapshot;
    if (held === undefined) return;
    this.heldSnapshot = undefined;
    const err = dataParseError(
      this.file,
      held.line,
      'depth snapshot names no symbol and no stream line of the file does; pass options.symbol',
    );
    if (!this.lenient) throw err;
    this.skipped.add(err);
  }

  private takeReleased(): BookSnapshot {
    const s = this.released as BookSnapshot;
    this.released = undefined;
    this.events++;
    return s;
  }

  private parseLineSafely(line: string, lineNo: number): MarketEvent | undefined {
    this.lines++;
    if (!this.lenient) {
      const e = this.parseLine(line, lineNo);
      if (e !== undefined) this.events++;
      return e;
    }
    try {
      const e = this.parseLine(line, lineNo);
      if (e !== undefined) this.events++;
      return e;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'CONCORD_ERR_DATA_PARSE' && code !== 'CONCORD_ERR_DATA_OUT_OF_ORDER') throw err;
      this.skipped.add(err);
      return undefined;
    }
  }

  /** Parses one line; undefined for lines that carry no market event (empty, unknown stream). */
  parseLine(line: string, lineNo: number): MarketEvent | undefined {
    if (line.length === 0) return undefined;
    const space = line.indexOf(' ');
    const receiveNs = space > 0 ? Number(line.slice(0, space)) : Number.NaN;
    if (!(receiveNs >= 0)) throw this.error(lineNo, 'expected "<local_receive_ns> <json>"');
    const receiveMs = receiveNs / 1e6;
    if (!isRecordedTime(receiveMs))
      throw this.error(lineNo, `receive time ${line.slice(0, space)} ns is not a time from 1970 to 9999`);
    if (receiveMs < this.lastReceiveMs)
      throw outOfOrderError(this.file, lineNo, this.lastReceiveMs, receiveMs, 'receive time');
    let message: unknown;
    try {
      message = JSON.parse(line.slice(space + 1));
    } catch (err) {
      throw dataParseError(
        this.file,
        lineNo,
        `invalid JSON (truncated line?): ${(err as Error).message}`,
        err,
      );
    }
    if (message === null || typeof message !== 'object') throw this.error(lineNo, 'expected a JSON object');
    const envelope = message as { stream?: unknown; data?: unknown };
    let event: MarketEvent | undefined;
    if (envelope.stream === undefined) {
      event = this.snapshot(message as RawSnapshot, receiveMs, lineNo);
    } else {
      const data = envelope.data as RawData;
      if (typeof envelope.stream !== 'string' || data === null || typeof data !== 'object') {
        throw this.error(lineNo, 'expected a combined-stream envelope {"stream": string, "data": object}');
      }
      event = this.streamEvent(envelope.stream, data, receiveMs, lineNo);
    }
    this.lastReceiveMs = receiveMs;
    return event;
  }

  private streamEvent(
    stream: string,
    data: RawData,
    receiveMs: number,
    lineNo: number,
  ): MarketEvent | undefined {
    const info = this.streams.get(stream) ?? this.learnStream(stream, data);
    const ts = this.useExchangeTime && isRecordedTime(data.E) ? data.E : receiveMs;
    switch (info.kind) {
      case DEPTH: {
        const first = data.U;
        const last = data.u;
        const previous = data.pu;
        if (!isSequence(first) || !isSequence(last) || (previous !== undefined && !isSequence(previous))) {
          throw this.error(lineNo, 'depth update needs integer update ids U and u (and pu for futures)');
        }
        const delta: BookDelta = {
          type: 'book.delta',
          ts,
          instrumentId: info.instrumentId,
          firstSequence: first,
          sequence: last,
          previousSequence: previous,
          bids: this.levels(data.b, 'bid', lineNo),
          asks: this.levels(data.a, 'ask', lineNo),
        };
        return delta;
      }
      case QUOTE: {
        const bid = toNumber(data.b);
        const bidSize = toNumber(data.B);
        const ask = toNumber(data.a);
        const askSize = toNumber(data.A);
        if (!isPrice(bid) || !isPrice(ask) || !isSize(bidSize) || !isSize(askSize)) {
          throw this.error(lineNo, `invalid bookTicker b=${data.b} B=${data.B} a=${data.a} A=${data.A}`);
        }
        if (!isSequence(data.u)) throw this.error(lineNo, 'bookTicker needs an integer update id u');
        const quote: Quote = {
          type: 'quote',
          ts,
          instrumentId: info.instrumentId,
          bid,
          bidSize,
          ask,
          askSize,
          sequence: data.u,
        };
        return quote;
      }
      case TRADE: {
        const price = toNumber(data.p);
        const size = toNumber(data.q);
        if (!isPrice(price) || !(size > 0 && size < Number.POSITIVE_INFINITY)) {
          throw this.error(lineNo, `invalid trade p=${data.p} q=${data.q}`);
        }
        const id = data.t ?? data.a;
        if (typeof id !== 'number' && typeof id !== 'string')
          throw this.error(lineNo, 'trade needs an id t (or a for aggTrade)');
        const trade: TradeTick = {
          type: 'trade',
          ts,
          instrumentId: info.instrumentId,
          price,
          size,
          aggressor: data.m === true ? 'sell' : data.m === false ? 'buy' : 'unknown',
          tradeId: String(id),
        };
        return trade;
      }
      default:
        return undefined;
    }
  }

  private learnStream(stream: string, data: RawData): StreamInfo {
    const at = stream.indexOf('@');
    const symbol = (at < 0 ? stream : stream.slice(0, at)).toUpperCase();
    const channel = at < 0 ? '' : stream.slice(at + 1);
    const kind = channel.startsWith('depth')
      ? DEPTH
      : channel === 'bookTicker'
        ? QUOTE
        : channel === 'trade' || channel === 'aggTrade'
          ? TRADE
          : IGNORED;
    if (this.fileVenue === undefined && kind !== IGNORED)
      this.fileVenue = venueFromMessage(symbol, kind, data);
    const venue = this.fileVenue ?? 'binance-spot';
    const info: StreamInfo = { kind, symbol, instrumentId: `${venue}:${symbol}` };
    this.streams.set(stream, info);
    if (kind !== IGNORED && this.fileSymbol === undefined) {
      this.fileSymbol = symbol;
      if (this.heldSnapshot !== undefined) {
        this.released = this.finishSnapshot(this.heldSnapshot, symbol);
        this.heldSnapshot = undefined;
      }
    }
    return info;
  }

  private snapshot(raw: RawSnapshot, receiveMs: number, lineNo: number): BookSnapshot | undefined {
    if (!isSequence(raw.lastUpdateId)) {
      throw this.error(
        lineNo,
        'a line without "stream" must be a REST depth snapshot with an integer lastUpdateId',
      );
    }
    const draft: BookSnapshotDraft = {
      line: lineNo,
      ts: this.useExchangeTime && isRecordedTime(raw.E) ? raw.E : receiveMs,
      sequence: raw.lastUpdateId,
      bids: this.levels(raw.bids, 'bid', lineNo),
      asks: this.levels(raw.asks, 'ask', lineNo),
    };
    const symbol = typeof raw.symbol === 'string' ? raw.symbol.toUpperCase() : this.fileSymbol;
    if (symbol === undefined) {
      this.heldSnapshot = draft;
      return undefined;
    }
    return this.finishSnapshot(draft, symbol);
  }

  private finishSnapshot(draft: BookSnapshotDraft, symbol: string): BookSnapshot {
    if (this.fileVenue === undefined && symbol.includes('_')) this.fileVenue = 'binance-coinm';
    const venue = this.fileVenue ?? 'binance-spot';
    return {
      type: 'book.snapshot',
      ts: draft.ts,
      instrumentId: `${venue}:${symbol}`,
      sequence: draft.sequence,
      bids: draft.bids,
      asks: draft.asks,
    };
  }

  /** Turns `[["price","size"], ...]` into numbers in place, rejecting NaN, negative or non-numeric values. */
  private levels(raw: unknown, side: 'bid' | 'ask', lineNo: number): Level[] {
    if (!Array.isArray(raw)) throw this.error(lineNo, `${side}s must be an array of [price, size]`);
    for (let i = 0; i < raw.length; i++) {
      const level = raw[i] as unknown[];
      if (!Array.isArray(level) || level.length < 2)
        throw this.error(lineNo, `${side} level ${i} must be [price, size]`);
      const price = toNumber(level[0]);
      const size = toNumber(level[1]);
      if (!isPrice(price) || !isSize(size)) {
        throw this.error(
          lineNo,
          `invalid ${side} level ${i}: [${JSON.stringify(level[0])}, ${JSON.stringify(level[1])}]`,
        );
      }
      level[0] = price;
      level[1] = size;
    }
    return raw as Level[];
  }

  private error(lineNo: number, reason: string) {
    return dataParseError(this.file, lineNo, reason);
  }
}

export function readBinanceFeed(
  paths: readonly string[],
  options?: BinanceFeedOptions,
): AsyncGenerator<MarketEvent, void, undefined> {
  return new BinanceFeedReader(paths, options).read();
}

export function readBinanceFeedSync(
  paths: readonly string[],
  options?: BinanceFeedOptions,
): Generator<MarketEvent, void, undefined> {
  return new BinanceFeedReader(paths, options).readSync();
}

/** `spot_btcusdt.gz` → spot, `usdm_…`/`BINANCE_FUTURES…` → USDⓈ-M, `cm_…`/`BINANCE_DELIVERY…` → COIN-M. */
export function venueFromFileName(path: string): BinanceVenue | undefined {
  const name = basename(path).toLowerCase();
  if (/(^|[^a-z])(cm|coinm|coin-m|delivery)([^a-z]|$)/.test(name)) return 'binance-coinm';
  if (/(^|[^a-z])(usdm|um|usd-m|futures)([^a-z]|$)/.test(name)) return 'binance-usdm';
  if (/(^|[^a-z])spot([^a-z]|$)/.test(name)) return 'binance-spot';
  return undefined;
}

/** Futures messages carry fields spot ones do not (`pu`, `e` on bookTicker, `X` on trades); COIN-M symbols have `_`. */
function venueFromMessage(symbol: string, kind: number, data: RawData): BinanceVenue {
  if (symbol.includes('_')) return 'binance-coinm';
  if (kind === DEPTH) return data.pu !== undefined ? 'binance-usdm' : 'binance-spot';
  if (kind === QUOTE) return data.e !== undefined ? 'binance-usdm' : 'binance-spot';
  return data.X !== undefined ? 'binance-usdm' : 'binance-spot';
}

interface RawData {
  readonly e?: unknown;
  readonly E?: unknown;
  readonly U?: unknown;
  readonly u?: unknown;
  readonly pu?: unknown;
  readonly b?: unknown;
  readonly a?: unknown;
  readonly B?: unknown;
  readonly A?: unknown;
  readonly p?: unknown;
  readonly q?: unknown;
  readonly t?: unknown;
  readonly m?: unknown;
  readonly X?: unknown;
}

interface RawSnapshot {
  readonly lastUpdateId?: unknown;
  readonly E?: unknown;
  readonly symbol?: unknown;
  readonly bids?: unknown;
  readonly asks?: unknown;
}

interface BookSnapshotDraft {
  readonly line: number;
  readonly ts: number;
  readonly sequence: number;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

function toNumber(value: unknown): number {
  if (typeof value === 'string') return value.length === 0 ? Number.NaN : +value;
  return typeof value === 'number' ? value : Number.NaN;
}

function isPrice(x: number): boolean {
  return x > 0 && x < Number.POSITIVE_INFINITY;
}

function isSize(x: number): boolean {
  return x >= 0 && x < Number.POSITIVE_INFINITY;
}

function isSequence(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}
