/**
 * The market-source port: where a session's market events come from. The synthetic sandbox
 * market, recorded files, the remote venue feed of a paper desk, and later exchange streams
 * (ccxt) and chain blocks are all market sources; the session runner (src/modes/session.ts)
 * pulls from one and steps the desk with each event, whatever is behind it.
 *
 *   instruments()  what the source's events are about, known before the first event
 *   next()         the next events in time order: a batch, `[]` (nothing yet), or `undefined` (done)
 *   close()        releases what the source holds (files, sockets)
 *
 * A pull port, not a callback: the runner decides when to ask (between two desk steps, after an
 * operator command, paced against real time), so a fast source can never run ahead of the desk
 * and a simulated run stays a pure function of its inputs.
 */
import type { Instrument, InstrumentId } from './instrument.ts';
import type { MarketEvent } from './market.ts';

/** How an instrument's order-book diffs chain to each other (venue specific). */
export type BookSequenceMode = 'update-range' | 'previous-id';

/** Chooses the chaining of each instrument's book; `undefined` leaves the book manager's default. */
export type BookSequencing = (instrumentId: InstrumentId) => BookSequenceMode | undefined;

/** Events of one pull, in time order. Valid until the next call to `next()`. */
export type MarketBatch = readonly MarketEvent[];

export interface MarketSource {
  /** The instruments the source's events are about, known before the first event. */
  instruments(): readonly Instrument[];
  /**
   * The next events, in time order. `[]`: nothing yet (a live feed between messages; the runner
   * checks its stop conditions and asks again), so a source with nothing to give should wait a
   * little (return a promise) rather than answer `[]` at once. `undefined`: the source is done
   * (end of the recording, a bounded market's last step, a feed closed for good).
   */
  next(): MarketBatch | undefined | Promise<MarketBatch | undefined>;
  /**
   * How the source's order books chain their diffs, when it knows (a venue's own rule, e.g.
   * Binance spot by update range, its futures by previous id). Absent: the book manager's default.
   */
  readonly bookSequencing?: BookSequencing | undefined;
  close?(): void | Promise<void>;
}

/**
 * Something that keeps its own copy of the market: a simulated venue matching resting orders
 * against the books and trades it is shown. Fed by whoever composes the session, never by the kernel.
 */
export interface MarketSink {
  onMarketEvent(event: MarketEvent): void;
}
