/**
 * Outcome evaluator: judges each directional decision `horizonMs` after it was made
 * (on the desk Clock, so a simulated run judges identically), by the move of the mid:
 *
 *   for each order intent of the decision with a mid at decision time m0 and later m1:
 *     pnl_i = sign(side) × quantity × (m1 − m0)          (quote currency, float analytics)
 *   realizedReturn = Σ pnl_i / Σ quantity × m0             (a fraction of notional)
 *   correct = realizedReturn > 0                           (a flat mid is not "right")
 *
 * Only proposers' order intents are judged, accepted or not: trust learns how good an
 * agent's calls are, whatever the vote decided. Plans (arbitrage) are judged by their fills,
 * not by direction, and risk advice is not judged. Legs without a mid at either time are
 * left out; a decision with no leg left gives no outcome.
 */
import type { Clock, TimerHandle } from '../core/index.ts';
import type { DecisionRecord, InstrumentId, Outcome } from '../model/index.ts';

export type MidLookup = (instrumentId: InstrumentId) => number | undefined;

export interface TrackedLeg {
  readonly instrumentId: InstrumentId;
  /** +1 buy, −1 sell. */
  readonly sign: 1 | -1;
  readonly quantity: number;
  readonly midAtDecision: number;
}

export interface TrackedDecision {
  readonly decisionId: string;
  readonly agentId: string;
  readonly legs: readonly TrackedLeg[];
}

const usableMid = (m: number | undefined): m is number => m !== undefined && m > 0 && Number.isFinite(m);

/** The legs of a decision that can be judged, with the mids now; undefined when none. */
export function trackDecision(record: DecisionRecord, midOf: MidLookup): TrackedDecision | undefined {
  let legs: TrackedLeg[] | undefined;
  for (const intent of record.intents) {
    if (intent.kind !== 'order') continue;
    const mid = midOf(intent.instrumentId);
    if (!usableMid(mid)) continue;
    legs ??= [];
    legs.push({
      instrumentId: intent.instrumentId,
      sign: intent.side === 'buy' ? 1 : -1,
      quantity: intent.quantity.toNumber(),
      midAtDecision: mid,
    });
  }
  return legs === undefined ? undefined : { decisionId: record.decisionId, agentId: record.agentId, legs };
}

/** Pure judgement of a tracked decision against the mids at the horizon. */
export function judgeDecision(tracked: TrackedDecision, midOf: MidLookup, ts: number): Outcome | undefined {
  let pnl = 0;
  let notional = 0;
  for (const leg of tracked.legs) {
    const later = midOf(leg.instrumentId);
    if (!usableMid(later)) continue;
    pnl += leg.sign * leg.quantity * (later - leg.midAtDecision);
    notional += leg.quantity * leg.midAtDecision;
  }
  if (!(notional > 0)) return undefined;
  const realizedReturn = pnl / notional;
  return {
    decisionId: tracked.decisionId,
    agentId: tracked.agentId,
    ts,
    realizedReturn,
    correct: realizedReturn > 0,
    pnl,
  };
}

export class OutcomeEvaluator {
  private readonly timers = new Set<TimerHandle>();
  private waiting = 0;

  constructor(
    private readonly clock: Clock,
    readonly horizonMs: number,
    private readonly midOf: MidLookup,
    private readonly onOutcome: (outcome: Outcome) => void,
  ) {}

  /** Captures the mids now and judges the decisions after the horizon (one timer per batch). */
  track(records: readonly DecisionRecord[]): number {
    let batch: TrackedDecision[] | undefined;
    for (const r of records) {
      const tracked = trackDecision(r, this.midOf);
      if (tracked === undefined) continue;
      batch ??= [];
      batch.push(tracked);
    }
    if (batch === undefined) return 0;
    const decisions = batch;
    this.waiting += decisions.length;
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      this.waiting -= decisions.length;
      const ts = this.clock.now();
      for (const d of decisions) {
        const outcome = judgeDecision(d, this.midOf, ts);
        if (outcome !== undefined) this.onOutcome(outcome);
      }
    }, this.horizonMs);
    this.timers.add(handle);
    return decisions.length;
  }

  /** Decisions waiting for their horizon. */
  pending(): number {
    return this.waiting;
  }

  /** Drops every pending judgement (on stop). */
  cancelAll(): void {
    for (const h of this.timers) this.clock.clearTimer(h);
    this.timers.clear();
    this.waiting = 0;
  }
}
