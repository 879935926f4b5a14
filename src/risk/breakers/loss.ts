/**
 * Loss breaker (global): trips when the PnL (or equity) falls more than `maxDrop` below its
 * highest value within the last `windowMs` (a monotonic deque keeps that maximum in O(1)
 * amortized). In HALF_OPEN, a reading back within the limit closes it once the probes have been
 * used or a cool-down has passed.
 */
import { type BreakerTransitionListener, CircuitBreaker, type CircuitSettings } from './circuit-breaker.ts';

export interface LossBreakerSettings extends CircuitSettings {
  readonly windowMs: number;
  /** Largest tolerated drop in the quote currency. */
  readonly maxDrop: number;
}

export const DEFAULT_LOSS_BREAKER: Omit<LossBreakerSettings, 'maxDrop'> = Object.freeze({
  windowMs: 300_000,
  cooldownMs: 300_000,
  probes: 1,
});

export class LossMonitor {
  readonly breaker: CircuitBreaker;
  private times: number[] = [];
  private values: number[] = [];
  private head = 0;

  constructor(
    readonly settings: LossBreakerSettings,
    onTransition: BreakerTransitionListener,
  ) {
    this.breaker = new CircuitBreaker('loss', 'global', settings, onTransition);
  }

  /** The drop below the window's high after the last observation. */
  drop = 0;

  observe(pnl: number, ts: number): void {
    if (!Number.isFinite(pnl)) return;
    // Keep values decreasing from the head: anything ≤ the new value can never be the max again.
    while (this.values.length > this.head && this.values[this.values.length - 1]! <= pnl) {
      this.values.pop();
      this.times.pop();
    }
    this.values.push(pnl);
    this.times.push(ts);
    const cutoff = ts - this.settings.windowMs;
    while (this.times[this.head]! < cutoff) this.head++;
    if (this.head > 1024) {
      this.values = this.values.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    const high = this.values[this.head]!;
    this.drop = high - pnl;
    const b = this.breaker;
    b.poll(ts);
    const numbers = { drop: this.drop, max_drop: this.settings.maxDrop, window_ms: this.settings.windowMs };
    if (this.drop > this.settings.maxDrop) b.trip(ts, 'PnL drop over the window beyond the limit', numbers);
    else if (
      b.state === 'HALF_OPEN' &&
      (b.probesUsed >= b.settings.probes || ts - b.halfOpenSince >= b.settings.cooldownMs)
    ) {
      b.recover(ts, 'PnL drop back within the limit', numbers);
    }
  }
}
