/**
 * One L2 book per instrument, rebuilt from a snapshot plus sequenced diffs.
 *
 * Chaining is per instrument:
 *  - `update-range` (Binance spot): a delta covers ids firstSequence..sequence; the first one after
 *    a snapshot must straddle snapshot+1, each next one must start at previous sequence + 1.
 *  - `previous-id` (Binance futures): each delta names the previous delta's last id
 *    (`previousSequence`); the first one after a snapshot straddles snapshot+1 (or names it).
 * In both, a delta entirely at or below the book's sequence is old and dropped.
 *
 * A gap, an invalid level or a crossed book after an update puts the book into `resyncing`;
 * only a new snapshot makes it `live` again, and only a live book is tradable. Deltas that
 * arrive before a snapshot (or while resyncing) are buffered, as Binance's own procedure asks,
 * and replayed on top of the next snapshot.
 *
 * Quotes (bookTicker) are checked against the rebuilt book: a quote describes the top of the
 * book from its update id until the next quote's id, so when the book sits at id S and the
 * latest quote at or below S is followed by one above S (or is exactly S), top of book at S
 * must equal it. Each book state is compared at most once.
 */
import { isConcordError } from '../core/index.ts';
import {
  type BookDelta,
  type BookSequenceMode,
  type BookSnapshot,
  type InstrumentId,
  type MarketEvent,
  OrderBook,
  type Quote,
} from '../model/index.ts';

/** How a book's diffs chain (the market-source port's word for it, in model). */
export type SequenceMode = BookSequenceMode;
export type BookStatus = 'awaiting-snapshot' | 'live' | 'resyncing';

/** What one delta or snapshot did to a book. */
export type BookUpdateOutcome =
  | 'applied'
  | 'snapshot'
  | 'buffered'
  | 'dropped'
  | 'gap'
  | 'crossed'
  | 'invalid';

/** Per-book counters, plain data for a replay's JSON result. */
export interface BookStats {
  readonly instrumentId: InstrumentId;
  readonly mode: SequenceMode;
  readonly status: BookStatus;
  /** Last applied update id. */
  readonly sequence: number;
  readonly snapshots: number;
  /** Deltas applied to a live book. */
  readonly updates: number;
  readonly gaps: number;
  /** Times the book left `live` (gap, crossed or invalid). */
  readonly resyncs: number;
  readonly crossed: number;
  readonly invalid: number;
  /** Deltas older than the book, snapshots older than a live book, and buffer overflow. */
  readonly dropped: number;
  readonly bookTickerChecks: number;
  readonly bookTickerMismatches: number;
  readonly bidLevels: number;
  readonly askLevels: number;
}

export interface BookManagerOptions {
  /** Chaining mode for instruments not listed in `modes` (default `update-range`). */
  readonly defaultMode?: SequenceMode;
  readonly modes?: Readonly<Record<InstrumentId, SequenceMode>>;
  /** Or decide per instrument id (e.g. from the venue); wins over defaultMode, not over `modes`. */
  readonly modeFor?: (instrumentId: InstrumentId) => SequenceMode | undefined;
  /** Deltas kept while waiting for a snapshot (oldest dropped beyond it). Default 10 000. */
  readonly maxBufferedDeltas?: number;
  /** Recent quotes kept for the bookTicker check. Default 512. */
  readonly quoteWindow?: number;
  /** Called when a book changes status (e.g. to fetch a new snapshot when it starts resyncing). */
  readonly onStatusChange?: (instrumentId: InstrumentId, status: BookStatus, reason: string) => void;
}

class BookState {
  readonly book: OrderBook;
  status: BookStatus = 'awaiting-snapshot';
  /** True until the first delta after a snapshot has been applied. */
  expectFirst = false;
  snapshots = 0;
  updates = 0;
  gaps = 0;
  resyncs = 0;
  crossed = 0;
  invalid = 0;
  dropped = 0;
  checks = 0;
  mismatches = 0;
  readonly buffer: BookDelta[] = [];
  /** Ring of recent quotes with an update id, oldest overwritten. */
  readonly quotes: Array<Quote | undefined>;
  quoteCount = 0;
  /** Book sequence at which the top was last compared to a quote (-1: not yet). */
  checkedAt = -1;

  constructor(
    instrumentId: InstrumentId,
    readonly mode: SequenceMode,
    quoteWindow: number,
  ) {
    this.book = new OrderBook(instrumentId);
    this.quotes = new Array<Quote | undefined>(quoteWindow);
  }
}

export class BookManager {
  private readonly states = new Map<InstrumentId, BookState>();
  private readonly maxBuffered: number;
  private readonly quoteWindow: number;

  constructor(private readonly options: BookManagerOptions = {}) {
    this.maxBuffered = options.maxBufferedDeltas ?? 10_000;
    this.quoteWindow = Math.max(2, options.quoteWindow ?? 512);
  }

  /** Applies a book or quote event; true when the book's levels changed. Other events are ignored. */
  apply(event: MarketEvent): boolean {
    switch (event.type) {
      case 'book.snapshot':
        return this.applySnapshot(event) === 'snapshot';
      case 'book.delta':
        return this.applyDelta(event) === 'applied';
      case 'quote':
        this.checkQuote(event);
        return false;
      default:
        return false;
    }
  }

  applySnapshot(snapshot: BookSnapshot): BookUpdateOutcome {
    const state = this.stateOf(snapshot.instrumentId);
    if (state.status === 'live' && snapshot.sequence <= state.book.sequence) {
      state.dropped++; // a live book is already past this snapshot
      return 'dropped';
    }
    try {
      state.book.applySnapshot(snapshot.bids, snapshot.asks, snapshot.sequence, snapshot.ts);
    } catch (err) {
      if (!isConcordError(err, 'CONCORD_ERR_BOOK_LEVEL_INVALID')) throw err;
      state.invalid++;
      this.leaveLive(state, 'invalid level in snapshot');
      return 'invalid';
    }
    if (state.book.isCrossed()) {
      state.crossed++;
      this.leaveLive(state, 'crossed snapshot');
      return 'crossed';
    }
    state.snapshots++;
    state.expectFirst = true;
    state.checkedAt = -1;
    this.setStatus(state, 'live', 'snapshot');
    if (state.buffer.length > 0) {
      const buffered = state.buffer.splice(0, state.buffer.length);
      for (const delta of buffered) this.applyDelta(delta);
    }
    if (state.status === 'live') this.checkTop(state);
    return 'snapshot';
  }

  applyDelta(delta: BookDelta): BookUpdateOutcome {
    const state = this.stateOf(delta.instrumentId);
    if (state.status !== 'live') return this.bufferDelta(state, delta);
    const book = state.book;
    const current = book.sequence;
    if (delta.sequence <= current) {
      state.dropped++;
      return 'dropped';
    }
    if (!this.chains(state, delta, current)) {
      state.gaps++;
      this.leaveLive(state, `gap: book at ${current}, delta ${delta.firstSequence}..${delta.sequence}`);
      this.bufferDelta(state, delta); // it may follow the next snapshot
      return 'gap';
    }
    try {
      book.applyDelta(delta.bids, delta.asks, delta.sequence, delta.ts);
    } catch (err) {
      if (!isConcordError(err, 'CONCORD_ERR_BOOK_LEVEL_INVALID')) throw err;
      state.invalid++;
      this.leaveLive(state, 'invalid level in delta');
      return 'invalid';
    }
    state.expectFirst = false;
    state.updates++;
    if (book.isCrossed()) {
      state.crossed++;
      this.leaveLive(state, `crossed after delta ${delta.sequence}`);
      return 'crossed';
    }
    this.checkTop(state);
    return 'applied';
  }

  /** Records a quote and compares it to the book when the book's state is the one it describes. */
  checkQuote(quote: Quote): void {
    const sequence = quote.sequence;
    if (sequence === undefined) return;
    const state = this.stateOf(quote.instrumentId);
    const window = state.quotes.length;
    const previous = state.quoteCount > 0 ? state.quotes[(state.quoteCount - 1) % window] : undefined;
    state.quotes[state.quoteCount % window] = quote;
    state.quoteCount++;
    if (state.status !== 'live') return;
    const at = state.book.sequence;
    if (state.checkedAt === at) return;
    if (sequence === at) this.compare(state, quote);
    else if (sequence > at && previous !== undefined && (previous.sequence as number) <= at)
      this.compare(state, previous);
  }

  /** After the book moved to a new id: find the quote that describes it, if already known for sure. */
  private checkTop(state: BookState): void {
    const at = state.book.sequence;
    if (state.checkedAt === at) return;
    const window = state.quotes.length;
    const oldest = Math.max(0, state.quoteCount - window);
    for (let i = state.quoteCount - 1; i >= oldest; i--) {
      const quote = state.quotes[i % window] as Quote;
      const sequence = quote.sequence as number;
      if (sequence > at) continue;
      // The newest quote at or below `at` describes the top at `at` if a later quote is known, or if it is exactly `at`.
      if (i < state.quoteCount - 1 || sequence === at) this.compare(state, quote);
      return;
    }
  }

  private compare(state: BookState, quote: Quote): void {
    state.checkedAt = state.book.sequence;
    state.checks++;
    if (quote.bid !== state.book.bestBid() || quote.ask !== state.book.bestAsk()) state.mismatches++;
  }

  private chains(state: BookState, delta: BookDelta, current: number): boolean {
    if (state.mode === 'update-range') {
      return state.expectFirst ? delta.firstSequence <= current + 1 : delta.firstSequence === current + 1;
    }
    if (delta.previousSequence === current) return true;
    return state.expectFirst && delta.firstSequence <= current + 1;
  }

  private bufferDelta(state: BookState, delta: BookDelta): BookUpdateOutcome {
    if (this.maxBuffered <= 0) {
      state.dropped++;
      return 'dropped';
    }
    if (state.buffer.length >= this.maxBuffered) {
      state.buffer.shift();
      state.dropped++;
    }
    state.buffer.push(delta);
    return 'buffered';
  }

  private leaveLive(state: BookState, reason: string): void {
    if (state.status === 'live') state.resyncs++;
    state.expectFirst = false;
    this.setStatus(state, 'resyncing', reason);
  }

  private setStatus(state: BookState, status: BookStatus, reason: string): void {
    if (state.status === status) return;
    state.status = status;
    this.options.onStatusChange?.(state.book.instrumentId, status, reason);
  }

  private stateOf(instrumentId: InstrumentId): BookState {
    let state = this.states.get(instrumentId);
    if (state === undefined) {
      const mode =
        this.options.modes?.[instrumentId] ??
        this.options.modeFor?.(instrumentId) ??
        this.options.defaultMode ??
        'update-range';
      state = new BookState(instrumentId, mode, this.quoteWindow);
      this.states.set(instrumentId, state);
    }
    return state;
  }

  /** The book whatever its status (for inspection); use `isTradable` before acting on it. */
  book(instrumentId: InstrumentId): OrderBook | undefined {
    return this.states.get(instrumentId)?.book;
  }

  /** The book only when it is live, else undefined: what anything that trades should read. */
  liveBook(instrumentId: InstrumentId): OrderBook | undefined {
    const state = this.states.get(instrumentId);
    return state !== undefined && state.status === 'live' ? state.book : undefined;
  }

  status(instrumentId: InstrumentId): BookStatus | undefined {
    return this.states.get(instrumentId)?.status;
  }

  isTradable(instrumentId: InstrumentId): boolean {
    return this.states.get(instrumentId)?.status === 'live';
  }

  instrumentIds(): InstrumentId[] {
    return [...this.states.keys()];
  }

  stats(instrumentId: InstrumentId): BookStats | undefined {
    const s = this.states.get(instrumentId);
    if (s === undefined) return undefined;
    return {
      instrumentId,
      mode: s.mode,
      status: s.status,
      sequence: s.book.sequence,
      snapshots: s.snapshots,
      updates: s.updates,
      gaps: s.gaps,
      resyncs: s.resyncs,
      crossed: s.crossed,
      invalid: s.invalid,
      dropped: s.dropped,
      bookTickerChecks: s.checks,
      bookTickerMismatches: s.mismatches,
      bidLevels: s.book.bidLevelCount(),
      askLevels: s.book.askLevelCount(),
    };
  }

  /** Stats of every book, sorted by instrument id (stable for journals and JSON results). */
  allStats(): BookStats[] {
    return this.instrumentIds()
      .sort()
      .map((id) => this.stats(id) as BookStats);
  }
}
