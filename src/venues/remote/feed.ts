/**
 * The venue server's market stream as a market source (the model's `MarketSource`): what a paper
 * desk trades on. Events pushed by the connection queue up here and are handed out in arrival
 * order when the session runner asks; when none is queued, `next()` waits up to `idleMs` of real
 * time for one, then answers `[]` so the runner can check its stop conditions and commands.
 * Reconnections are the connection's business (the stream simply goes on); the feed is done only
 * once closed.
 */
import type { Clock, TimerHandle } from '../../core/index.ts';
import type { Instrument, MarketBatch, MarketEvent, MarketSource } from '../../model/index.ts';
import type { RemoteConnection } from './client.ts';

export interface RemoteMarketFeedOptions {
  /** Real-time clock for the idle wait. */
  readonly wall: Clock;
  /** Longest wait for an event before `next()` answers `[]` (default 10 ms). */
  readonly idleMs?: number;
}

export class RemoteMarketFeed implements MarketSource {
  private queue: MarketEvent[] = [];
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  private readonly wall: Clock;
  private readonly idleMs: number;

  constructor(
    private readonly connection: RemoteConnection,
    options: RemoteMarketFeedOptions,
  ) {
    this.wall = options.wall;
    this.idleMs = options.idleMs ?? 10;
    // The first listener also gets the books the server sent with its hello.
    this.unsubscribe = connection.onMarketEvent((event) => {
      this.queue.push(event);
      this.wake?.();
    });
  }

  instruments(): readonly Instrument[] {
    return this.connection.hello?.instruments ?? [];
  }

  next(): MarketBatch | undefined | Promise<MarketBatch | undefined> {
    if (this.queue.length > 0) return this.take();
    if (this.closed) return undefined;
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = () => {
        if (timer !== undefined) this.wall.clearTimer(timer);
        this.wake = undefined;
        resolve(this.queue.length > 0 ? this.take() : this.closed ? undefined : []);
      };
      this.wake = done;
      timer = this.wall.setTimeout(done, this.idleMs);
    });
  }

  /** Stops listening; events still queued are handed out, then the feed is done. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.wake?.();
  }

  private take(): MarketEvent[] {
    const events = this.queue;
    this.queue = [];
    return events;
  }
}
