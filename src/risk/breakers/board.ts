/**
 * All circuit breakers of a desk and what the gate reads from them. Volatility breakers are per
 * instrument (created on the first price), error-rate breakers per venue (on the first outcome),
 * and one loss breaker (when configured). Every transition goes to `onTransition`, which the
 * kernel journals as a risk event.
 *
 * `blocking` is the hot-path read: one counter check when every breaker is CLOSED.
 */
import type { InstrumentId, VenueId } from '../../model/index.ts';
import type { BlockingBreaker, BreakerReader } from '../types.ts';
import type { BreakerTransition, BreakerTransitionListener, CircuitBreaker } from './circuit-breaker.ts';
import {
  DEFAULT_ERROR_RATE_BREAKER,
  type ErrorRateBreakerSettings,
  ErrorRateMonitor,
  type VenueOutcome,
} from './error-rate.ts';
import { type LossBreakerSettings, LossMonitor } from './loss.ts';
import {
  DEFAULT_VOLATILITY_BREAKER,
  type VolatilityBreakerSettings,
  VolatilityMonitor,
} from './volatility.ts';

export interface BreakerBoardOptions {
  /** Volatility breaker settings; false turns the kind off. */
  readonly volatility?: Partial<VolatilityBreakerSettings> | false;
  readonly errorRate?: Partial<ErrorRateBreakerSettings> | false;
  /** The loss breaker exists only when given (it needs a maxDrop). */
  readonly loss?: LossBreakerSettings;
  readonly onTransition?: BreakerTransitionListener;
}

export interface BreakerStatus {
  readonly breaker: string;
  readonly scope: string;
  readonly state: string;
  readonly reason: string;
  readonly trips: number;
}

export class BreakerBoard implements BreakerReader {
  private readonly volatility = new Map<InstrumentId, VolatilityMonitor>();
  private readonly errors = new Map<VenueId, ErrorRateMonitor>();
  private readonly loss: LossMonitor | undefined;
  private readonly volatilitySettings: VolatilityBreakerSettings | undefined;
  private readonly errorSettings: ErrorRateBreakerSettings | undefined;
  private readonly listener: BreakerTransitionListener;
  /** Breakers not CLOSED; 0 makes `blocking` free. */
  private notClosed = 0;

  constructor(options: BreakerBoardOptions = {}) {
    const user = options.onTransition;
    this.listener = (t: BreakerTransition) => {
      if (t.from === 'CLOSED') this.notClosed++;
      if (t.to === 'CLOSED') this.notClosed--;
      user?.(t);
    };
    this.volatilitySettings =
      options.volatility === false ? undefined : { ...DEFAULT_VOLATILITY_BREAKER, ...options.volatility };
    this.errorSettings =
      options.errorRate === false ? undefined : { ...DEFAULT_ERROR_RATE_BREAKER, ...options.errorRate };
    this.loss = options.loss === undefined ? undefined : new LossMonitor(options.loss, this.listener);
  }

  /** A mid or mark (on market events). */
  observePrice(instrumentId: InstrumentId, price: number, ts: number): void {
    const settings = this.volatilitySettings;
    if (settings === undefined) return;
    let m = this.volatility.get(instrumentId);
    if (m === undefined) {
      m = new VolatilityMonitor(`instrument:${instrumentId}`, settings, this.listener);
      this.volatility.set(instrumentId, m);
    }
    m.observe(price, ts);
  }

  /** A venue's answer to a submit or cancel: accepted ('ok'), rejected, or timed out. */
  recordOutcome(venue: VenueId, outcome: VenueOutcome, ts: number): void {
    const settings = this.errorSettings;
    if (settings === undefined) return;
    let m = this.errors.get(venue);
    if (m === undefined) {
      m = new ErrorRateMonitor(`venue:${venue}`, settings, this.listener);
      this.errors.set(venue, m);
    }
    m.record(outcome, ts);
  }

  /** Total PnL or equity (for the loss breaker). */
  observePnl(pnl: number, ts: number): void {
    this.loss?.observe(pnl, ts);
  }

  /** Moves every OPEN breaker whose cool-down is over to HALF_OPEN (and reports it). */
  poll(ts: number): void {
    if (this.notClosed === 0) return;
    for (const b of this.all()) b.poll(ts);
  }

  blocking(instrumentId: InstrumentId, venue: VenueId, now: number): BlockingBreaker | undefined {
    if (this.notClosed === 0) return undefined;
    const candidates = [
      this.loss?.breaker,
      this.errors.get(venue)?.breaker,
      this.volatility.get(instrumentId)?.breaker,
    ];
    for (const b of candidates) {
      if (b === undefined || b.allowsNewRisk(now)) continue;
      const state = b.stateAt(now);
      return {
        breaker: b.kind,
        scope: b.scope,
        state: state === 'CLOSED' ? 'OPEN' : state,
        reason: b.reason,
        reopensAt: b.reopensAt,
      };
    }
    return undefined;
  }

  /** A risk-adding order passed the gate: it uses a probe of each HALF_OPEN breaker in its scope. */
  notePassed(instrumentId: InstrumentId, venue: VenueId, ts: number): void {
    if (this.notClosed === 0) return;
    this.loss?.breaker.notePassed(ts);
    this.errors.get(venue)?.breaker.notePassed(ts);
    this.volatility.get(instrumentId)?.breaker.notePassed(ts);
  }

  /** Every breaker with its state and trip count, for the operator and tests. */
  status(): BreakerStatus[] {
    return this.all().map((b) => ({
      breaker: b.kind,
      scope: b.scope,
      state: b.state,
      reason: b.reason,
      trips: b.trips,
    }));
  }

  volatilityMonitor(instrumentId: InstrumentId): VolatilityMonitor | undefined {
    return this.volatility.get(instrumentId);
  }

  private all(): CircuitBreaker[] {
    const out: CircuitBreaker[] = [];
    if (this.loss !== undefined) out.push(this.loss.breaker);
    for (const m of this.errors.values()) out.push(m.breaker);
    for (const m of this.volatility.values()) out.push(m.breaker);
    return out;
  }
}
