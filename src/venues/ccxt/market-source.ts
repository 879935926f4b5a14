/**
 * An exchange's live public data as a market source (the model's `MarketSource`): what a paper
 * or live desk on a ccxt exchange trades on, and what `concord record --venue` writes.
 *
 * One loop per instrument and stream kind keeps asking the venue for the next book
 * (`watchBook`: ccxt's `watchOrderBook`, which checks the exchange's update ids and resyncs on
 * a gap; REST `fetchOrderBook` when the stream fails) and the next public trades (`watchTrades`,
 * REST `fetchTrades` as fallback). What they bring is queued here and handed to the session
 * runner when it asks; with nothing queued, `next()` waits up to `idleMs` and answers `[]`.
 *
 * - Time: events are stamped with the local clock when they arrived (monotone), not the
 *   exchange's clock: the desk acts on what it knew when, and a skewed exchange clock cannot
 *   move the desk's time backwards. A REST fallback's trade list repeats trades already seen;
 *   trades are deduplicated by trade id (bounded memory).
 * - Books are cut to `depth` levels a side (default 20): enough for the desk and the simulated
 *   fills, and the journal does not carry a thousand levels per update.
 * - A loop that fails (both stream and REST) backs off (doubling to 5 s) and tries again; the
 *   desk's data-health watch sees the instrument go stale meanwhile (DEGRADED), and the
 *   resubscription is ccxt's (a new watch call opens a new subscription).
 */
import type { Clock, TimerHandle } from '../../core/index.ts';
import type {
  BookSnapshot,
  Instrument,
  InstrumentId,
  MarketBatch,
  MarketEvent,
  MarketSource,
  TradeTick,
} from '../../model/index.ts';

/** What the source needs of a venue: its instruments and the two public watches (a `CcxtVenue`). */
export interface PublicDataVenue {
  instruments(): readonly Instrument[];
  watchBook(instrumentId: InstrumentId, depth?: number): Promise<BookSnapshot>;
  watchTrades(instrumentId: InstrumentId): Promise<TradeTick[]>;
}

export interface CcxtMarketSourceOptions {
  /** Local clock: event stamps, idle waits and backoff. */
  readonly clock: Clock;
  /** Instruments to follow (default: all the venue's). */
  readonly instrumentIds?: readonly InstrumentId[];
  /** Book levels kept a side (default 20). */
  readonly depth?: number;
  /** Follow public trades too (default true). */
  readonly trades?: boolean;
  /** Longest wait for an event before `next()` answers `[]` (default 20 ms). */
  readonly idleMs?: number;
  /** First delay after a failed read; doubles to 5 s (default 250 ms). */
  readonly retryDelayMs?: number;
  /** Told of each failed read (the error is the venue's coded one). */
  readonly onError?: (instrumentId: InstrumentId, kind: 'book' | 'trades', err: unknown) => void;
}

export interface CcxtMarketSourceStats {
  readonly books: number;
  readonly trades: number;
  readonly errors: number;
  readonly duplicateTrades: number;
}

const SEEN_TRADES = 5000;

export class CcxtMarketSource implements MarketSource {
  private queue: MarketEvent[] = [];
  private closed = false;
  private wake: (() => void) | undefined;
  private lastTs = Number.NEGATIVE_INFINITY;
  private readonly list: readonly Instrument[];
  private readonly clock: Clock;
  private readonly depth: number;
  private readonly idleMs: number;
  private readonly retryDelayMs: number;
  private readonly seenTrades = new Map<InstrumentId, Set<string>>();
  private readonly loops: Promise<void>[] = [];
  private counts = { books: 0, trades: 0, errors: 0, duplicateTrades: 0 };

  constructor(
    private readonly venue: PublicDataVenue,
    private readonly options: CcxtMarketSourceOptions,
  ) {
    this.clock = options.clock;
    this.depth = options.depth ?? 20;
    this.idleMs = options.idleMs ?? 20;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    const wanted = options.instrumentIds === undefined ? undefined : new Set(options.instrumentIds);
    this.list = venue.instruments().filter((i) => wanted === undefined || wanted.has(i.id));
  }

  /** Starts the watch loops (once); `next()` starts them too. */
  start(): void {
    if (this.loops.length > 0 || this.closed) return;
    for (const instrument of this.list) {
      this.loops.push(this.loop(instrument.id, 'book'));
      if (this.options.trades !== false) this.loops.push(this.loop(instrument.id, 'trades'));
    }
  }

  instruments(): readonly Instrument[] {
    return this.list;
  }

  stats(): CcxtMarketSourceStats {
    return { ...this.counts };
  }

  next(): MarketBatch | undefined | Promise<MarketBatch | undefined> {
    this.start();
    if (this.queue.length > 0) return this.take();
    if (this.closed) return undefined;
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = () => {
        if (timer !== undefined) this.clock.clearTimer(timer);
        this.wake = undefined;
        resolve(this.queue.length > 0 ? this.take() : this.closed ? undefined : []);
      };
      this.wake = done;
      timer = this.clock.setTimeout(done, this.idleMs);
    });
  }

  /** Stops the loops (a watch in flight is left to the venue's close); queued events are still handed out. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
  }

  private async loop(instrumentId: InstrumentId, kind: 'book' | 'trades'): Promise<void> {
    let delay = this.retryDelayMs;
    while (!this.closed) {
      try {
        if (kind === 'book') {
          const book = await this.venue.watchBook(instrumentId, this.depth);
          if (this.closed) return;
          this.push({
            ...book,
            ts: this.stamp(),
            bids: book.bids.slice(0, this.depth),
            asks: book.asks.slice(0, this.depth),
          });
          this.counts.books++;
        } else {
          const trades = await this.venue.watchTrades(instrumentId);
          if (this.closed) return;
          for (const trade of trades) {
            if (!this.firstSight(instrumentId, trade.tradeId)) continue;
            this.push({ ...trade, ts: this.stamp() });
            this.counts.trades++;
          }
        }
        delay = this.retryDelayMs;
      } catch (err) {
        if (this.closed) return;
        this.counts.errors++;
        this.options.onError?.(instrumentId, kind, err);
        await this.clock.sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private firstSight(instrumentId: InstrumentId, tradeId: string): boolean {
    let seen = this.seenTrades.get(instrumentId);
    if (seen === undefined) {
      seen = new Set();
      this.seenTrades.set(instrumentId, seen);
    }
    if (seen.has(tradeId)) {
      this.counts.duplicateTrades++;
      return false;
    }
    seen.add(tradeId);
    if (seen.size > SEEN_TRADES) {
      const oldest = seen.values().next().value as string;
      seen.delete(oldest);
    }
    return true;
  }

  private stamp(): number {
    const now = this.clock.now();
    this.lastTs = Math.max(this.lastTs, now);
    return this.lastTs;
  }

  private push(event: MarketEvent): void {
    this.queue.push(event);
    this.wake?.();
  }

  private take(): MarketEvent[] {
    const events = this.queue;
    this.queue = [];
    return events;
  }
}
