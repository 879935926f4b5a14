/**
 * Error-rate breaker, one per venue: venue rejections and timeouts over a rolling window. Trips
 * when at least `minSamples` outcomes are in the window and the error share exceeds
 * `maxErrorRate`. In HALF_OPEN each good outcome is a successful probe and any error re-opens.
 * The window is cleared on closing, so the errors that caused the trip cannot re-trip it.
 */
import { type BreakerTransitionListener, CircuitBreaker, type CircuitSettings } from './circuit-breaker.ts';

export type VenueOutcome = 'ok' | 'rejected' | 'timeout';

export interface ErrorRateBreakerSettings extends CircuitSettings {
  readonly windowMs: number;
  readonly minSamples: number;
  /** 0..1 */
  readonly maxErrorRate: number;
}

export const DEFAULT_ERROR_RATE_BREAKER: ErrorRateBreakerSettings = Object.freeze({
  windowMs: 60_000,
  minSamples: 10,
  maxErrorRate: 0.5,
  cooldownMs: 30_000,
  probes: 3,
});

export class ErrorRateMonitor {
  readonly breaker: CircuitBreaker;
  private times: number[] = [];
  private errorsAt: boolean[] = [];
  private head = 0;
  private errors = 0;

  constructor(
    scope: string,
    readonly settings: ErrorRateBreakerSettings,
    onTransition: BreakerTransitionListener,
  ) {
    this.breaker = new CircuitBreaker('error-rate', scope, settings, onTransition);
  }

  record(outcome: VenueOutcome, ts: number): void {
    const b = this.breaker;
    b.poll(ts);
    const isError = outcome !== 'ok';
    if (b.state === 'HALF_OPEN') {
      if (isError) b.trip(ts, `venue ${outcome} while probing`, { probes_used: b.probesUsed });
      else {
        b.probeSucceeded(ts);
        if ((b.state as string) === 'CLOSED') this.clear();
      }
      return;
    }
    this.times.push(ts);
    this.errorsAt.push(isError);
    if (isError) this.errors++;
    this.evict(ts);
    const count = this.times.length - this.head;
    const rate = count > 0 ? this.errors / count : 0;
    if (b.state === 'CLOSED' && count >= this.settings.minSamples && rate > this.settings.maxErrorRate) {
      b.trip(ts, 'venue error rate over the limit', {
        errors: this.errors,
        outcomes: count,
        error_rate: Math.round(rate * 1e4) / 1e4,
        max_error_rate: this.settings.maxErrorRate,
        window_ms: this.settings.windowMs,
      });
    }
  }

  errorRate(ts: number): number {
    this.evict(ts);
    const count = this.times.length - this.head;
    return count > 0 ? this.errors / count : 0;
  }

  private evict(ts: number): void {
    const cutoff = ts - this.settings.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      if (this.errorsAt[this.head]) this.errors--;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.errorsAt = this.errorsAt.slice(this.head);
      this.head = 0;
    }
  }

  private clear(): void {
    this.times = [];
    this.errorsAt = [];
    this.head = 0;
    this.errors = 0;
  }
}
