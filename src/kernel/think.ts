/**
 * Thinking and submitting: a trigger fans out to the agents through the orchestrator, the
 * trigger, decisions and consensus are journaled, and each accepted intent goes to the order
 * manager with its attribution. Owned by the desk; `Desk.step` calls `think` when the
 * orchestrator returns a trigger.
 */

import type { Agent, AgentCallOptions, AgentCallResult, AgentContext, Trigger } from '../agents/contract.ts';
import type { AgentSupervisor } from '../agents/supervisor.ts';
import { EVENTS } from '../bus/index.ts';
import { type Clock, monotonicMs, monotonicNs } from '../core/index.ts';
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
import type { AgentTimings, TickObserver, TickSubmit, TickTrace } from './observe.ts';
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
  /** Per-agent decision times (monotonic clock, never journaled). */
  readonly timings: AgentTimings;
  /** Not journaled: accepted intents handed to the order manager since the desk was built. */
  readonly observed: { intents: number };
  /** The tick observer, when one is attached (tracing); undefined costs nothing. */
  readonly tickObserver: () => TickObserver | undefined;
  /** Monotonic ms at which the current market event's step began (read only while observed). */
  readonly stepStartedMs: () => number;
}

/**
 * The supervisor as the orchestrator calls it, with each call timed on the monotonic clock: two
 * `monotonicNs()` reads and a counter update per call; a promise only when the agent answers
 * asynchronously (a worker), as before.
 */
class TimedCaller {
  /** The tick being traced, when a tick observer is attached. */
  trace: TickTrace | undefined;

  constructor(
    private readonly inner: AgentSupervisor,
    private readonly timings: AgentTimings,
  ) {}

  call(agentId: string, context: AgentContext, options: AgentCallOptions): Promise<AgentCallResult> {
    return Promise.resolve(this.callFast(agentId, context, options));
  }

  callFast(
    agentId: string,
    context: AgentContext,
    options: AgentCallOptions,
  ): AgentCallResult | Promise<AgentCallResult> {
    const trace = this.trace;
    const startMs = trace === undefined ? 0 : monotonicMs();
    const start = monotonicNs();
    const r = this.inner.callFast(agentId, context, options);
    if (r instanceof Promise)
      return r.then((result) => {
        this.done(agentId, start, result, trace, startMs);
        return result;
      });
    this.done(agentId, start, r, trace, startMs);
    return r;
  }

  private done(
    agentId: string,
    start: bigint,
    result: AgentCallResult,
    trace: TickTrace | undefined,
    startMs: number,
  ): void {
    this.timings.record(agentId, Number(monotonicNs() - start), result.status);
    if (trace !== undefined)
      trace.agents.push({ agentId, startMs, endMs: monotonicMs(), status: result.status });
  }
}

export class Thinker {
  private readonly o: ThinkerOptions;
  private readonly caller: TimedCaller;
  /** The trigger being thought about (the correlation id of what it causes), else undefined. */
  correlationId: string | undefined;
  /** The decision whose intent is being submitted (the cause of its order events), else undefined. */
  causationId: string | undefined;
  /** The submit being traced, when a tick observer is attached. */
  private submitTrace: TickSubmit | undefined;

  constructor(options: ThinkerOptions) {
    this.o = options;
    this.caller = new TimedCaller(options.supervisor, options.timings);
  }

  /** A risk check of the submit being traced (the desk's pre-trade check calls this only while traced). */
  get tracingRisk(): boolean {
    return this.submitTrace !== undefined;
  }

  noteRiskCheck(
    order: { readonly instrumentId: string; readonly side: string },
    startMs: number,
    denial: string | undefined,
  ): void {
    this.submitTrace?.checks.push({
      instrumentId: order.instrumentId,
      side: order.side,
      startMs,
      endMs: monotonicMs(),
      denial,
    });
  }

  /**
   * One trigger: fan-out, decisions, consensus, orders. Synchronous (returns undefined) when no
   * tick observer is attached, every agent answered synchronously and nothing was accepted, the
   * common case on quiet bars and ticks; otherwise a promise of the rest. Records and counters
   * are the same either way, and a failure always arrives as a rejected promise.
   */
  think(trigger: Trigger): Promise<void> | undefined {
    const observer = this.o.tickObserver();
    this.correlationId = trigger.id;
    if (observer !== undefined) return this.thinkTraced(trigger, observer);
    let pending: Promise<void> | undefined;
    try {
      pending = this.thinkInner(trigger, undefined);
    } catch (err) {
      this.clearIds();
      return Promise.reject(err);
    }
    if (pending === undefined) {
      this.clearIds();
      return undefined;
    }
    return pending.finally(() => this.clearIds());
  }

  private clearIds(): void {
    this.correlationId = undefined;
    this.causationId = undefined;
  }

  private async thinkTraced(trigger: Trigger, observer: TickObserver): Promise<void> {
    const trace: TickTrace = {
      correlationId: trigger.id,
      triggerKind: trigger.kind,
      instrumentId: trigger.instrumentId,
      startMs: this.o.stepStartedMs(),
      endMs: 0,
      agents: [],
      consensus: undefined,
      submits: [],
    };
    this.caller.trace = trace;
    try {
      await this.thinkInner(trigger, trace);
    } finally {
      this.caller.trace = undefined;
      this.submitTrace = undefined;
      this.clearIds();
      trace.endMs = monotonicMs();
      try {
        observer.tick(trace);
      } catch {
        // An observer never fails the desk.
      }
    }
  }

  private thinkInner(trigger: Trigger, trace: TickTrace | undefined): Promise<void> | undefined {
    const { clock, counters, orchestrator, replayTimeouts } = this.o;
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
        this.caller,
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
          return this.decided(trigger, result, trace);
        },
        (err: unknown) => {
          this.o.releaseAgentEvents();
          throw err;
        },
      );
    }
    this.o.releaseAgentEvents();
    return this.decided(trigger, answered, trace);
  }

  /** Journals what the agents said and submits what consensus accepted (async only then). */
  private decided(
    trigger: Trigger,
    result: ThinkResult,
    trace: TickTrace | undefined,
  ): Promise<void> | undefined {
    const { steps, counters, agentDecisions } = this.o;
    if (trace !== undefined) {
      let last = trace.startMs;
      for (const a of trace.agents) if (a.endMs > last) last = a.endMs;
      trace.consensus = {
        startMs: last,
        endMs: monotonicMs(),
        accepted: result.consolidation.accepted.length,
      };
    }
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
    return this.submitAccepted(consolidation, trace);
  }

  private async submitAccepted(
    consolidation: ThinkResult['consolidation'],
    trace: TickTrace | undefined,
  ): Promise<void> {
    const { steps } = this.o;
    for (let i = 0; i < consolidation.accepted.length; i++) {
      const accepted = consolidation.accepted[i]!;
      const decisionId = accepted.decisionIds[0] as string;
      const attribution = { decisionId, agentIds: [...accepted.agentIds], weights: [...accepted.weights] };
      steps.note(
        `consensus ${describeIntent(accepted.intent as unknown as { kind: string })} by ${accepted.agentIds.join('+')}`,
      );
      const orderRoot = `${decisionId}#${i}`;
      this.causationId = decisionId;
      this.o.observed.intents++;
      if (trace === undefined) {
        await this.submit(accepted.intent as OrderIntent | PlanIntent, orderRoot, attribution);
        continue;
      }
      const traced: TickSubmit = {
        orderRoot,
        decisionId,
        agentIds: attribution.agentIds,
        startMs: monotonicMs(),
        endMs: 0,
        checks: [],
      };
      trace.submits.push(traced);
      this.submitTrace = traced;
      try {
        await this.submit(accepted.intent as OrderIntent | PlanIntent, orderRoot, attribution);
      } finally {
        traced.endMs = monotonicMs();
        this.submitTrace = undefined;
      }
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
      // An atomic plan (one chain transaction) goes out in one go: every leg through the gate
      // first, then all sent together, so the venue can execute them as one bundle.
      const pending = orders.submitPlan(intent, {
        decisionId: orderRoot,
        ts,
        legs,
        attribution,
        ...(intent.atomic === true ? { mode: 'parallel' as const, policy: 'none' as const } : {}),
      });
      steps.releaseHeldRecords();
      await pending;
    }
  }
}
