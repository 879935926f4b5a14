/**
 * The lifecycle every long-lived component shares (the desk, agents, venues, shadow sessions),
 * so an operator reads one status vocabulary everywhere:
 *
 *   CREATED → STARTING → RUNNING ⇄ DEGRADED → STOPPING → STOPPED
 *
 *   CREATED     built, not started yet (config checked, nothing running)
 *   STARTING    starting: a worker booting, a connection being dialled
 *   RUNNING     doing its work
 *   DEGRADED    still working, with less than it should have: an agent backing off before a
 *               restart, a venue connection lost and redialling, a desk failed closed (it steps
 *               market data and may reduce, but takes no new risk)
 *   STOPPING    releasing what it holds
 *   STOPPED     final: released after a stop
 *   QUARANTINED held out of all work by its supervisor after failing too often; only an
 *               operator's reset (→ CREATED) lets it start again
 *   FAULTED     final: failed in a way it cannot recover from (a shadow session whose desk threw,
 *               a venue connection that never opened); rebuild it to try again
 *
 * Trading states (ACTIVE / REDUCING / HALTED, src/risk/trading-states.ts) are another axis:
 * whether new risk may be taken. A RUNNING desk can be HALTED, and a fail-closed desk is both
 * DEGRADED here and HALTED there.
 *
 * The table is the single source of truth: `canLifecycleTransition` reads it and `Lifecycle.transition`
 * refuses anything it does not list with CONCORD_ERR_LIFECYCLE_TRANSITION.
 */
import { ConcordError } from './errors.ts';

export const LIFECYCLE_STATES = [
  'CREATED',
  'STARTING',
  'RUNNING',
  'DEGRADED',
  'STOPPING',
  'STOPPED',
  'QUARANTINED',
  'FAULTED',
] as const;

export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export const LIFECYCLE_TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> =
  Object.freeze({
    // A component built but never started may still be released (CREATED → STOPPING).
    CREATED: ['STARTING', 'STOPPING', 'QUARANTINED', 'FAULTED'],
    STARTING: ['RUNNING', 'STOPPING', 'QUARANTINED', 'FAULTED'],
    RUNNING: ['DEGRADED', 'STOPPING', 'QUARANTINED', 'FAULTED'],
    DEGRADED: ['RUNNING', 'STOPPING', 'QUARANTINED', 'FAULTED'],
    STOPPING: ['STOPPED', 'FAULTED'],
    STOPPED: [],
    // Leaving a quarantine is an operator's decision, never automatic; a stop leaves it as it is.
    QUARANTINED: ['CREATED'],
    FAULTED: [],
  });

export function isLifecycleState(value: unknown): value is LifecycleState {
  return typeof value === 'string' && (LIFECYCLE_STATES as readonly string[]).includes(value);
}

export function canLifecycleTransition(from: LifecycleState, to: LifecycleState): boolean {
  return LIFECYCLE_TRANSITIONS[from].includes(to);
}

/** STOPPED and FAULTED: nothing leaves them. */
export function isFinalLifecycleState(state: LifecycleState): boolean {
  return LIFECYCLE_TRANSITIONS[state].length === 0;
}

/** RUNNING or DEGRADED: the component may be asked to do work. */
export function isWorkingLifecycleState(state: LifecycleState): boolean {
  return state === 'RUNNING' || state === 'DEGRADED';
}

export interface LifecycleTransition {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly reason: string;
}

export type LifecycleListener = (transition: LifecycleTransition) => void;

/** What a status view needs of a component's lifecycle (a `Lifecycle` is one). */
export interface LifecycleView {
  readonly state: LifecycleState;
  /** The reason given for the transition into the current state ('' while CREATED). */
  readonly reason: string;
  onTransition(listener: LifecycleListener): () => void;
}

/**
 * One component's lifecycle: starts CREATED, moves only along the table, and tells its listeners
 * every transition, in the order they were taken (a transition a listener requests is told after
 * the one being told). A listener that throws does not undo the transition nor keep the others
 * from hearing it; the first such error is rethrown once all were told.
 */
export class Lifecycle implements LifecycleView {
  private current: LifecycleState = 'CREATED';
  private currentReason = '';
  private listeners: readonly LifecycleListener[] = [];
  private readonly queue: LifecycleTransition[] = [];
  private telling = false;

  /** `name` makes error messages specific (`agent momentum-1`, `venue binance`, `desk`). */
  constructor(
    readonly name: string,
    listener?: LifecycleListener,
  ) {
    if (listener !== undefined) this.listeners = [listener];
  }

  get state(): LifecycleState {
    return this.current;
  }

  get reason(): string {
    return this.currentReason;
  }

  /** RUNNING or DEGRADED. */
  get working(): boolean {
    return isWorkingLifecycleState(this.current);
  }

  get final(): boolean {
    return isFinalLifecycleState(this.current);
  }

  can(to: LifecycleState): boolean {
    return canLifecycleTransition(this.current, to);
  }

  onTransition(listener: LifecycleListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Moves to `to`, or throws CONCORD_ERR_LIFECYCLE_TRANSITION and stays where it is. */
  transition(to: LifecycleState, reason = ''): LifecycleTransition {
    const from = this.current;
    if (!canLifecycleTransition(from, to)) {
      const allowed = LIFECYCLE_TRANSITIONS[from];
      throw new ConcordError(
        'CONCORD_ERR_LIFECYCLE_TRANSITION',
        `${this.name} cannot go from ${from} to ${to}; allowed from ${from}: ${allowed.join(', ') || 'nothing (final state)'}`,
        { details: { name: this.name, from, to, reason } },
      );
    }
    this.current = to;
    this.currentReason = reason;
    const t: LifecycleTransition = { from, to, reason };
    this.queue.push(t);
    if (!this.telling) this.tell();
    return t;
  }

  /** `transition` when the table allows it; otherwise nothing. True when it moved. */
  transitionIfAllowed(to: LifecycleState, reason = ''): boolean {
    if (!this.can(to)) return false;
    this.transition(to, reason);
    return true;
  }

  /** Throws CONCORD_ERR_LIFECYCLE_STATE unless the component is RUNNING or DEGRADED. */
  assertWorking(action: string): void {
    if (this.working) return;
    throw new ConcordError(
      'CONCORD_ERR_LIFECYCLE_STATE',
      `${this.name} cannot ${action} while ${this.current}${this.currentReason === '' ? '' : ` (${this.currentReason})`}; it works only while RUNNING or DEGRADED`,
      { details: { name: this.name, state: this.current, action } },
    );
  }

  private tell(): void {
    this.telling = true;
    let failure: unknown;
    let failed = false;
    try {
      for (let t = this.queue.shift(); t !== undefined; t = this.queue.shift()) {
        for (const listener of this.listeners) {
          try {
            listener(t);
          } catch (err) {
            if (!failed) {
              failed = true;
              failure = err;
            }
          }
        }
      }
    } finally {
      this.telling = false;
    }
    if (failed) throw failure;
  }
}
