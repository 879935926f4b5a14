/**
 * The kernel's observer ports: how long each agent took to decide, and (when someone traces) the
 * phases of a tick. Timings come from the monotonic clock of src/core and are never journaled:
 * they differ from run to run, so they must not touch the journal, its hash or a replay.
 *
 * `AgentTimings` is always on: two `monotonicNs()` reads per agent call and a few counter updates
 * in arrays allocated once per agent. A `TickObserver` is off unless one is attached
 * (`Desk.observeTicks`); then the kernel hands it each tick's phases with their start and end
 * (monotonic ms) after the fact, and the observer turns them into spans or anything else.
 */
import type { AgentCallStatus } from '../agents/contract.ts';

/** Upper bounds (seconds) of the decision-time histogram; a last bucket takes the rest (+Inf). */
export const DECISION_SECONDS_BUCKETS: readonly number[] = [
  0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
  0.25, 0.5, 1,
];

/** One agent's decision times since the desk started. */
export interface AgentTiming {
  readonly agentId: string;
  /** Calls that reached the agent (skipped calls to a quarantined or stopped agent are not counted). */
  readonly calls: number;
  /** Calls that ended in error, an invalid decision or a missed deadline. */
  readonly failures: number;
  readonly totalSeconds: number;
  readonly maxSeconds: number;
  /** Calls per bucket of `DECISION_SECONDS_BUCKETS` (not cumulative), plus one for +Inf. */
  readonly buckets: readonly number[];
}

interface Slot {
  calls: number;
  failures: number;
  totalNs: number;
  maxNs: number;
  readonly buckets: Float64Array;
}

const BUCKET_NS = DECISION_SECONDS_BUCKETS.map((s) => s * 1e9);

/** Per-agent decision times, kept in fixed-size counters (no allocation per call). */
export class AgentTimings {
  private readonly slots = new Map<string, Slot>();

  /** Counts one call of `agentId` that took `ns` nanoseconds and ended with `status`. */
  record(agentId: string, ns: number, status: AgentCallStatus): void {
    if (status === 'skipped') return;
    let slot = this.slots.get(agentId);
    if (slot === undefined) {
      slot = { calls: 0, failures: 0, totalNs: 0, maxNs: 0, buckets: new Float64Array(BUCKET_NS.length + 1) };
      this.slots.set(agentId, slot);
    }
    slot.calls++;
    if (status !== 'ok') slot.failures++;
    slot.totalNs += ns;
    if (ns > slot.maxNs) slot.maxNs = ns;
    let i = 0;
    while (i < BUCKET_NS.length && ns > (BUCKET_NS[i] as number)) i++;
    slot.buckets[i] = (slot.buckets[i] ?? 0) + 1;
  }

  /** A copy of every agent's figures, in the order the agents were first called. */
  snapshot(): AgentTiming[] {
    const out: AgentTiming[] = [];
    for (const [agentId, s] of this.slots)
      out.push({
        agentId,
        calls: s.calls,
        failures: s.failures,
        totalSeconds: s.totalNs / 1e9,
        maxSeconds: s.maxNs / 1e9,
        buckets: [...s.buckets],
      });
    return out;
  }

  /** One agent's figures, if it was ever called. */
  of(agentId: string): AgentTiming | undefined {
    return this.snapshot().find((t) => t.agentId === agentId);
  }
}

/** What a tick observer is told about one tick that made the desk think (all times monotonic ms). */
export interface TickTrace {
  /** The trigger's id: the correlation id of everything the tick caused. */
  readonly correlationId: string;
  readonly triggerKind: string;
  readonly instrumentId: string;
  /** When the market event's step began and when the tick (thinking and submitting) ended. */
  readonly startMs: number;
  endMs: number;
  /** Each agent asked, with the id reserved for its decision. */
  readonly agents: TickAgent[];
  /** From the last agent's answer to the consensus (decision records and consolidation). */
  consensus: { startMs: number; endMs: number; accepted: number } | undefined;
  /** Each accepted intent handed to the order manager. */
  readonly submits: TickSubmit[];
}

export interface TickAgent {
  readonly agentId: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly status: AgentCallStatus;
}

export interface TickSubmit {
  /** `<decisionId>#<index>`: the root of the client order ids of this intent. */
  readonly orderRoot: string;
  readonly decisionId: string;
  readonly agentIds: readonly string[];
  readonly startMs: number;
  endMs: number;
  /** Each risk check of an order of this intent (a plan has one per leg). */
  readonly checks: TickRiskCheck[];
}

export interface TickRiskCheck {
  readonly instrumentId: string;
  readonly side: string;
  readonly startMs: number;
  readonly endMs: number;
  /** The denial code, or undefined when the order passed. */
  readonly denial: string | undefined;
}

/** Told about each tick that made the desk think, once it has ended. Must not throw. */
export interface TickObserver {
  tick(trace: TickTrace): void;
}
