/**
 * Thinking and submitting: a trigger fans out to the agents through the orchestrator, the
 * trigger, decisions and consensus are journaled, and each accepted intent goes to the order
 * manager with its attribution. Owned by the desk; `Desk.step` calls `think` when the
 * orchestrator returns a trigger.
 */

import type { Agent, AgentContext, Trigger } from '../agents/contract.ts';
import type { AgentSupervisor } from '../agents/supervisor.ts';
import { EVENTS } from '../bus/index.ts';
import type { Clock } from '../core/index.ts';
import type { MarketData } from '../data/index.ts';
import type { OrderManager } from '../execution/index.ts';
import {
  type Instrument,
  type InstrumentId,
  isOrderable,
  type OrderAttribution,
  type OrderIntent,
  type PlanIntent,
} from '../model/index.ts';
import type { Orchestrator, ThinkResult } from '../orchestrator/index.ts';
import type { Portfolio } from '../portfolio/index.ts';
import { describeIntent } from './describe-intent.ts';
import type { DeskCounters } from './desk.ts';
import type { StepJournal } from './step-journal.ts';

export interface ThinkerOptions {
  readonly clock: Clock;
  readonly steps: StepJournal;
  readonly counters: DeskCounters;
  readonly agentDecisions: Map<string, number>;
  readonly market: MarketData;
  readonly portfolio: Portfolio;
  readonly orchestrator: Orchestrator;
  readonly supervisor: AgentSupervisor;
  readonly orders: OrderManager;
  readonly instruments: ReadonlyMap<InstrumentId, Instrument>;
  /** Replay: agent deadlines missed in the original run, by trigger id. */
  readonly replayTimeouts: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  /** A halted desk does not ask its agents. */
  readonly isHalted: () => boolean;
  /** The agents a fan-out asks (those whose data is not stale). */
  readonly activeAgents: () => Agent[];
  readonly referencePrice: (id: InstrumentId) => number | undefined;
  /** Hold supervisor events during a fan-out, then journal them in a stable order. */
  readonly holdAgentEvents: () => void;
  readonly releaseAgentEvents: () => void;
}

export class Thinker {
  private readonly o: ThinkerOptions;

  constructor(options: ThinkerOptions) {
    this.o = options;
  }

  /**
   * One trigger: fan-out, decisions, consensus, orders. Synchronous (returns undefined) when
   * every agent answered synchronously and nothing was accepted, the common case on quiet bars
   * and ticks; otherwise a promise of the rest. Records and counters are the same either way.
   */
  think(trigger: Trigger): Promise<void> | undefined {
    const { clock, counters, orchestrator, supervisor, replayTimeouts } = this.o;
    counters.triggers++;
    // A halted desk does not ask its agents: nothing they propose could be acted on.
    if (this.o.isHalted()) return undefined;
    const context: AgentContext = {
      ts: clock.now(),
      trigger,
      market: this.o.market,
      portfolio: this.o.portfolio,
    };
    const replayed = replayTimeouts === undefined ? undefined : replayTimeouts.get(trigger.id);
    this.o.holdAgentEvents();
    let answered: ThinkResult | Promise<ThinkResult>;
    try {
      answered = orchestrator.thinkFast(
        trigger,
        context,
        supervisor,
        this.o.activeAgents(),
        replayTimeouts === undefined
          ? undefined
          : {
              // Replay: a deadline missed in the recorded run is missed again; nobody else has one.
              forcedOutcomes: new Map([...(replayed ?? [])].map((id) => [id, 'timeout' as const])),
              defaultForced: 'none',
            },
      );
    } catch (err) {
      this.o.releaseAgentEvents();
      throw err;
    }
    if (answered instanceof Promise) {
      return answered.then(
        (result) => {
          this.o.releaseAgentEvents();
          return this.decided(trigger, result);
        },
        (err: unknown) => {
          this.o.releaseAgentEvents();
          throw err;
        },
      );
    }
    this.o.releaseAgentEvents();
    return this.decided(trigger, answered);
  }

  /** Journals what the agents said and submits what consensus accepted (async only then). */
  private decided(trigger: Trigger, result: ThinkResult): Promise<void> | undefined {
    const { steps, counters, agentDecisions } = this.o;
    for (const r of result.results) {
      if (r.status === 'timeout')
        steps.record(EVENTS.agentTimeout, { triggerId: trigger.id, agentId: r.agentId });
      else if (r.status !== 'ok' && r.status !== 'skipped') counters.agentFailures++;
    }
    // A trigger, its decisions and the consensus are journaled when some agent had something to
    // say (an intent or a non-zero confidence); empty answers are only counted.
    let journaled = false;
    for (const rec of result.records) {
      counters.decisions++;
      agentDecisions.set(rec.agentId, (agentDecisions.get(rec.agentId) ?? 0) + 1);
      if (rec.intents.length === 0 && rec.confidence === 0) continue;
      if (!journaled) {
        journaled = true;
        const { event: _event, ...triggerRecord } = trigger;
        steps.record(EVENTS.trigger, triggerRecord);
      }
      steps.record(EVENTS.decision, rec);
    }
    const consolidation = result.consolidation;
    if (journaled) steps.record(EVENTS.consensus, { triggerId: trigger.id, ...consolidation });
    if (consolidation.accepted.length === 0) return undefined;
    counters.consensus++;
    return this.submitAccepted(consolidation);
  }

  private async submitAccepted(consolidation: ThinkResult['consolidation']): Promise<void> {
    const { steps } = this.o;
    for (let i = 0; i < consolidation.accepted.length; i++) {
      const accepted = consolidation.accepted[i]!;
      const decisionId = accepted.decisionIds[0] as string;
      const attribution = { decisionId, agentIds: [...accepted.agentIds], weights: [...accepted.weights] };
      steps.note(
        `consensus ${describeIntent(accepted.intent as unknown as { kind: string })} by ${accepted.agentIds.join('+')}`,
      );
      await this.submit(accepted.intent as OrderIntent | PlanIntent, `${decisionId}#${i}`, attribution);
    }
  }

  /**
   * Hands an accepted intent to the order manager. The order id root is unique per
   * accepted intent (`<decisionId>#<index>`), so two intents of one decision never share ids.
   * The attribution goes with the order (and every leg and hedge of a plan): its fills are
   * credited to these agents however they arrive.
   */
  async submit(
    intent: OrderIntent | PlanIntent,
    orderRoot: string,
    attribution: OrderAttribution,
  ): Promise<void> {
    const { clock, steps, orders, instruments, referencePrice } = this.o;
    const ts = clock.now();
    if (intent.kind === 'order') {
      const instrument = instruments.get(intent.instrumentId);
      if (instrument === undefined || !isOrderable(instrument)) return;
      steps.holdUntilSent();
      const pending = orders.submitIntent(intent, {
        decisionId: orderRoot,
        leg: 0,
        ts,
        referencePrice: referencePrice(intent.instrumentId),
        instrument,
        attribution,
      });
      // The order is at its venue (or denied): now journal what led to it, in order.
      steps.releaseHeldRecords();
      await pending;
    } else {
      const legs = [];
      for (const leg of intent.legs) {
        const instrument = instruments.get(leg.instrumentId);
        if (instrument === undefined || !isOrderable(instrument)) return;
        legs.push({ instrument, referencePrice: referencePrice(leg.instrumentId) });
      }
      steps.holdUntilSent();
      const pending = orders.submitPlan(intent, { decisionId: orderRoot, ts, legs, attribution });
      steps.releaseHeldRecords();
      await pending;
    }
  }
}
