/**
 * One circuit breaker: a small explicit state machine.
 *
 *   CLOSED ──trip──▶ OPEN ──cool-down over──▶ HALF_OPEN ──probes succeed / healthy──▶ CLOSED
 *                      ▲                          │
 *                      └──────────trip────────────┘
 *
 * OPEN stops new risk in its scope. HALF_OPEN lets `probes` risk-adding orders through; the
 * breaker closes once they succeed (or its monitor says the scope is healthy again) and opens
 * again on the next trip. Time comes from the caller (the injected clock): the breaker never
 * reads a clock itself, so replays are deterministic.
 */

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';
export type BreakerKind = 'volatility' | 'error-rate' | 'loss';

/** The only transitions a breaker can take, as `from>to`. */
export const LEGAL_BREAKER_TRANSITIONS: ReadonlySet<string> = new Set([
  'CLOSED>OPEN',
  'OPEN>HALF_OPEN',
  'HALF_OPEN>CLOSED',
  'HALF_OPEN>OPEN',
]);

export interface BreakerTransition {
  readonly breaker: BreakerKind;
  /** `instrument:<id>`, `venue:<id>` or `global`. */
  readonly scope: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason: string;
  /** The figures that decided it (thresholds and measured values). */
  readonly numbers: Readonly<Record<string, number>>;
  readonly ts: number;
}

export type BreakerTransitionListener = (transition: BreakerTransition) => void;

export interface CircuitSettings {
  /** Time OPEN before probing may start. */
  readonly cooldownMs: number;
  /** Risk-adding orders allowed through while HALF_OPEN. */
  readonly probes: number;
}

export class CircuitBreaker {
  private current: BreakerState = 'CLOSED';
  private openedAt = Number.NEGATIVE_INFINITY;
  private halfOpenedAt = Number.NEGATIVE_INFINITY;
  private probesPassed = 0;
  private probeSuccesses = 0;
  private lastReason = '';
  private tripCount = 0;

  constructor(
    readonly kind: BreakerKind,
    readonly scope: string,
    readonly settings: CircuitSettings,
    private readonly onTransition: (t: BreakerTransition) => void,
  ) {}

  /** The stored state (an OPEN breaker past its cool-down stays OPEN until `poll`). */
  get state(): BreakerState {
    return this.current;
  }

  /** Times this breaker went to OPEN. */
  get trips(): number {
    return this.tripCount;
  }

  get reason(): string {
    return this.lastReason;
  }

  get reopensAt(): number {
    return this.openedAt + this.settings.cooldownMs;
  }

  get probesUsed(): number {
    return this.probesPassed;
  }

  /** When the breaker entered HALF_OPEN (−Infinity if never). */
  get halfOpenSince(): number {
    return this.halfOpenedAt;
  }

  /** The state a read at `ts` sees, without moving: OPEN past its cool-down reads as HALF_OPEN. */
  stateAt(ts: number): BreakerState {
    if (this.current === 'OPEN' && ts >= this.reopensAt) return 'HALF_OPEN';
    return this.current;
  }

  /** True when a risk-adding order may pass at `ts` (pure read). */
  allowsNewRisk(ts: number): boolean {
    const s = this.stateAt(ts);
    if (s === 'CLOSED') return true;
    if (s === 'OPEN') return false;
    const used = this.current === 'OPEN' ? 0 : this.probesPassed;
    return used < this.settings.probes;
  }

  /** Moves OPEN → HALF_OPEN once the cool-down is over. */
  poll(ts: number): void {
    if (this.current === 'OPEN' && ts >= this.reopensAt) {
      this.probesPassed = 0;
      this.probeSuccesses = 0;
      this.halfOpenedAt = ts;
      this.move('HALF_OPEN', ts, 'cool-down over, probing', {
        cooldown_ms: this.settings.cooldownMs,
        probes: this.settings.probes,
      });
    }
  }

  /** CLOSED or HALF_OPEN → OPEN. Tripping an OPEN breaker changes nothing (the cool-down is not extended). */
  trip(ts: number, reason: string, numbers: Readonly<Record<string, number>>): void {
    this.poll(ts);
    if (this.current === 'OPEN') return;
    this.openedAt = ts;
    this.tripCount++;
    this.move('OPEN', ts, reason, numbers);
  }

  /** A risk-adding order passed the gate in this scope (uses a probe while HALF_OPEN). */
  notePassed(ts: number): void {
    this.poll(ts);
    if (this.current === 'HALF_OPEN') this.probesPassed++;
  }

  /** A probe's outcome was good; the breaker closes after `probes` of them. */
  probeSucceeded(ts: number): void {
    this.poll(ts);
    if (this.current !== 'HALF_OPEN' || this.probeSuccesses >= this.probesPassed) return;
    this.probeSuccesses++;
    if (this.probeSuccesses >= this.settings.probes) {
      this.move('CLOSED', ts, 'probes succeeded', { probes: this.probeSuccesses });
    }
  }

  /** The monitor judges the scope healthy again: HALF_OPEN → CLOSED. */
  recover(ts: number, reason: string, numbers: Readonly<Record<string, number>>): void {
    this.poll(ts);
    if (this.current === 'HALF_OPEN') this.move('CLOSED', ts, reason, numbers);
  }

  private move(
    to: BreakerState,
    ts: number,
    reason: string,
    numbers: Readonly<Record<string, number>>,
  ): void {
    const from = this.current;
    this.current = to;
    this.lastReason = reason;
    this.onTransition({ breaker: this.kind, scope: this.scope, from, to, reason, numbers, ts });
  }
}
