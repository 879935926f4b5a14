/**
 * The exchange's clock, as seen from here.
 *
 * Signed requests carry a timestamp the exchange checks against its own clock (Binance:
 * `timestamp` within `recvWindow`; Hyperliquid: the action's nonce within a window, and the
 * dead-man switch's deadline is in its time). A local clock that is off by more than that is
 * refused (CLOCK_SKEW) — or worse, a scheduled cancel fires at the wrong moment.
 *
 * The offset is measured with the exchange's own time (`fetchTime`) and the round trip's
 * midpoint: offset = serverTime − (sent + received) / 2, keeping the sample with the shortest
 * round trip (its error is at most half of it). It is applied to every request timestamp
 * through ccxt's `nonce()` — the value Binance signs as `timestamp` and Hyperliquid as the
 * action's nonce — and re-measured on an interval by the venue.
 */
import type { Clock } from '../../core/index.ts';

export interface ClockOffsetState {
  /** Exchange time minus local time, in ms (undefined until measured). */
  readonly offsetMs: number | undefined;
  /** Round trip of the sample the offset comes from; the offset is good to ± half of it. */
  readonly rttMs: number | undefined;
  /** Local time of the last successful measurement. */
  readonly measuredAt: number | undefined;
  readonly measurements: number;
  readonly errors: number;
  /** `fetchTime` when the exchange tells its time, else `none` (timestamps go uncorrected). */
  readonly source: 'fetchTime' | 'none';
  /**
   * Whether request timestamps carry the correction: ccxt's `nonce()` is a millisecond timestamp
   * for this exchange (ccxt's default nonce is in seconds, and some exchanges count instead).
   */
  readonly applied: boolean;
}

export interface TimeSource {
  readonly canMeasure: boolean;
  /** The exchange's current time in ms (one request). */
  fetchTime(): Promise<unknown>;
}

export class ExchangeClock {
  private offset: number | undefined;
  private rtt: number | undefined;
  private measuredAt: number | undefined;
  private measurements = 0;
  private errors = 0;
  private running: Promise<ClockOffsetState> | undefined;
  private applied = false;

  constructor(
    private readonly source: TimeSource,
    private readonly clock: Clock,
  ) {}

  /** Notes that the exchange's nonce carries the correction. */
  markApplied(): void {
    this.applied = true;
  }

  /** The correction to add to local time for a request timestamp (0 until measured). */
  correctionMs(): number {
    return this.offset === undefined ? 0 : Math.round(this.offset);
  }

  state(): ClockOffsetState {
    return {
      offsetMs: this.offset === undefined ? undefined : Math.round(this.offset),
      rttMs: this.rtt,
      measuredAt: this.measuredAt,
      measurements: this.measurements,
      errors: this.errors,
      source: this.source.canMeasure ? 'fetchTime' : 'none',
      applied: this.applied,
    };
  }

  /**
   * Measures the offset from `samples` round trips and keeps the one with the shortest trip.
   * A failed measurement keeps the previous offset (counted in `errors`); concurrent calls share one run.
   */
  measure(samples = 3): Promise<ClockOffsetState> {
    if (!this.source.canMeasure) return Promise.resolve(this.state());
    this.running ??= this.run(samples).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(samples: number): Promise<ClockOffsetState> {
    let best: { offset: number; rtt: number } | undefined;
    for (let i = 0; i < samples; i++) {
      const sent = this.clock.now();
      let raw: unknown;
      try {
        raw = await this.source.fetchTime();
      } catch {
        this.errors++;
        break;
      }
      const received = this.clock.now();
      const serverTime = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(serverTime) || serverTime <= 0) {
        this.errors++;
        break;
      }
      const rtt = received - sent;
      const offset = serverTime - (sent + received) / 2;
      if (best === undefined || rtt < best.rtt) best = { offset, rtt };
    }
    if (best !== undefined) {
      this.offset = best.offset;
      this.rtt = best.rtt;
      this.measuredAt = this.clock.now();
      this.measurements++;
    }
    return this.state();
  }
}
