/**
 * The component lifecycle shared by agents (and anything else supervised):
 *
 *   READY → STARTING → RUNNING ⇄ DEGRADED → STOPPING → STOPPED
 *   any non-terminal state → FAULTED;  FAULTED → READY only by an operator reset.
 *
 * The table is the single source of truth: `canTransition` reads it and
 * `Lifecycle.transition` refuses anything it does not list, with a coded error.
 */
import { ConcordError } from '../core/index.ts';

export type LifecycleState =
  | 'READY'
  | 'STARTING'
  | 'RUNNING'
  | 'DEGRADED'
  | 'STOPPING'
  | 'STOPPED'
  | 'FAULTED';

export const LIFECYCLE_TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  READY: ['STARTING', 'FAULTED'],
  STARTING: ['RUNNING', 'STOPPING', 'FAULTED'],
  RUNNING: ['DEGRADED', 'STOPPING', 'FAULTED'],
  DEGRADED: ['RUNNING', 'STOPPING', 'FAULTED'],
  STOPPING: ['STOPPED', 'FAULTED'],
  STOPPED: [],
  // Leaving FAULTED is an operator's decision (resetQuarantine), never automatic.
  FAULTED: ['READY'],
};

export const LIFECYCLE_STATES: readonly LifecycleState[] = Object.keys(
  LIFECYCLE_TRANSITIONS,
) as LifecycleState[];

export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return LIFECYCLE_TRANSITIONS[from].includes(to);
}

/** STOPPED is final; FAULTED waits for an operator. Neither is ever called. */
export function isTerminal(state: LifecycleState): boolean {
  return state === 'STOPPED' || state === 'FAULTED';
}

export interface LifecycleTransition {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly reason: string;
}

export class Lifecycle {
  private current: LifecycleState = 'READY';
  private isQuarantined = false;

  /** `name` only makes error messages specific (e.g. `agent momentum-1`). */
  constructor(
    private readonly name: string,
    private readonly onTransition?: (t: LifecycleTransition) => void,
  ) {}

  get state(): LifecycleState {
    return this.current;
  }

  /** A quarantined component is FAULTED and is not called again until `reset()`. */
  get quarantined(): boolean {
    return this.isQuarantined;
  }

  /** True when the component may be asked to do work. */
  get callable(): boolean {
    return this.current === 'RUNNING' || this.current === 'DEGRADED';
  }

  transition(to: LifecycleState, reason = ''): LifecycleTransition {
    const from = this.current;
    if (!canTransition(from, to)) {
      throw new ConcordError(
        'CONCORD_ERR_LIFECYCLE_TRANSITION',
        `${this.name} cannot go from ${from} to ${to}; allowed from ${from}: ${LIFECYCLE_TRANSITIONS[from].join(', ') || 'nothing (final state)'}`,
        { details: { name: this.name, from, to, reason } },
      );
    }
    this.current = to;
    // The flag belongs to FAULTED: whatever leaves it (only a reset can) clears it.
    if (from === 'FAULTED') this.isQuarantined = false;
    const t: LifecycleTransition = { from, to, reason };
    this.onTransition?.(t);
    return t;
  }

  /** Moves to FAULTED and marks the component quarantined. */
  quarantine(reason: string): LifecycleTransition {
    const wasQuarantined = this.isQuarantined;
    // Set first so a transition listener already sees the quarantine.
    this.isQuarantined = true;
    try {
      return this.transition('FAULTED', reason);
    } catch (err) {
      this.isQuarantined = wasQuarantined;
      throw err;
    }
  }

  /** Operator action: FAULTED → READY, clearing the quarantine. */
  reset(reason = 'operator reset'): LifecycleTransition {
    return this.transition('READY', reason);
  }
}
