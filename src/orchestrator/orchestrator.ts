/**
 * The orchestrator, as the kernel sees it:
 *   onMarketEvent → a Trigger or nothing (the trigger filter);
 *   think         → fan out to the subscribed agents in parallel, record their decisions,
 *                   consolidate them by weighted consensus;
 *   recordOutcome → update trust and let the agent learn.
 * When a `midOf` lookup is given, directional decisions are judged automatically after
 * `outcomeHorizonMs` of desk time (see outcomes.ts) and fed to recordOutcome.
 *
 * Decision ids are `d-<n>`, reserved for each agent call before the calls start (in
 * registration order), so they are the same on every run even if several `think`s overlap.
 * A call that fails leaves its id unused. Nothing here validates per tick: config is parsed
 * once in the constructor.
 */
import { z } from 'zod';
import type { Agent, AgentCaller, AgentCallResult, AgentContext, Trigger } from '../agents/contract.ts';
import { type Clock, ConcordError } from '../core/index.ts';
import type { MarketEvent, Outcome } from '../model/index.ts';
import { parseConfigSection } from './config.ts';
import {
  ConsolidationConfigSchema,
  type ConsolidationResult,
  consolidate,
  type RoledDecisionRecord,
} from './consolidate.ts';
import { type FanOutOptions, type ForcedOutcome, fanOutFast, SubscriptionIndex } from './fanout.ts';
import { type MidLookup, OutcomeEvaluator } from './outcomes.ts';
import { TriggerFilter, TriggerFilterConfigSchema, type TriggerView } from './triggers.ts';
import { TrustBook, TrustConfigSchema, type TrustSnapshot } from './trust.ts';

export const OrchestratorConfigSchema = z
  .object({
    triggers: TriggerFilterConfigSchema.prefault({}),
    consensus: ConsolidationConfigSchema.prefault({}),
    trust: TrustConfigSchema.prefault({}),
    /** Real-time budget per agent call, in ms. */
    deadlineMs: z.number().positive().default(50),
    /** Desk time after which a directional decision is judged. */
    outcomeHorizonMs: z.number().positive().default(60_000),
  })
  .strict();

export type OrchestratorConfig = z.infer<typeof OrchestratorConfigSchema>;
export type OrchestratorConfigInput = z.input<typeof OrchestratorConfigSchema>;

export function parseOrchestratorConfig(input: unknown, pathPrefix = 'orchestrator'): OrchestratorConfig {
  return parseConfigSection(OrchestratorConfigSchema, input, pathPrefix);
}

export interface OrchestratorOptions {
  readonly clock: Clock;
  /** Raw config section (validated here). */
  readonly config?: unknown;
  /** Current mid per instrument, from the data layer; enables automatic outcome judgement. */
  readonly midOf?: MidLookup;
  /** Called after trust and `learn()` saw an outcome (e.g. to journal it). */
  readonly onOutcome?: (outcome: Outcome) => void;
  /** An agent's `learn()` threw; the outcome still counted for trust. */
  readonly onLearnError?: (agentId: string, error: unknown) => void;
}

export interface ThinkOptions {
  /** Replay: agentId → the outcome the recorded run saw. */
  readonly forcedOutcomes?: ReadonlyMap<string, ForcedOutcome>;
  /** Replay: forced outcome for the agents not listed (`none`: no deadline). */
  readonly defaultForced?: ForcedOutcome;
}

export interface ThinkResult {
  readonly trigger: Trigger;
  /** One per subscribed agent, in registration order. */
  readonly results: AgentCallResult[];
  /** Decision ids reserved per call, aligned with `results`. */
  readonly decisionIds: string[];
  /** One per successful call, in registration order. */
  readonly records: RoledDecisionRecord[];
  readonly consolidation: ConsolidationResult;
}

export interface OrchestratorSnapshot {
  readonly version: 1;
  readonly triggerCount: number;
  readonly decisionCount: number;
  readonly trust: TrustSnapshot;
}

const CountersSchema = z.object({
  version: z.literal(1),
  triggerCount: z.number().int().nonnegative(),
  decisionCount: z.number().int().nonnegative(),
  trust: z.unknown(),
});

export class Orchestrator {
  readonly config: OrchestratorConfig;
  readonly triggers: TriggerFilter;
  readonly trust: TrustBook;
  readonly outcomes: OutcomeEvaluator | undefined;
  private decisionCount = 0;
  private index: SubscriptionIndex<Agent> | undefined;
  private readonly agentsById = new Map<string, Agent>();
  private readonly defaultFanOut: FanOutOptions;

  constructor(private readonly options: OrchestratorOptions) {
    this.config = parseOrchestratorConfig(options.config);
    this.triggers = new TriggerFilter(this.config.triggers);
    this.trust = new TrustBook(this.config.trust);
    this.defaultFanOut = { deadlineMs: this.config.deadlineMs };
    this.outcomes =
      options.midOf === undefined
        ? undefined
        : new OutcomeEvaluator(options.clock, this.config.outcomeHorizonMs, options.midOf, (o) =>
            this.recordOutcome(o),
          );
  }

  /** The per-tick entry point: is this event worth thinking about? */
  onMarketEvent(event: MarketEvent, view: TriggerView): Trigger | undefined {
    return this.triggers.evaluate(event, view);
  }

  async think(
    trigger: Trigger,
    context: AgentContext,
    caller: AgentCaller,
    agents: readonly Agent[],
    options?: ThinkOptions,
  ): Promise<ThinkResult> {
    return this.thinkFast(trigger, context, caller, agents, options);
  }

  /**
   * `think` without a promise when every agent answered synchronously (in-process agents that
   * return plain values): the result itself, else a promise of it. Same decisions, same ids.
   */
  thinkFast(
    trigger: Trigger,
    context: AgentContext,
    caller: AgentCaller,
    agents: readonly Agent[],
    options?: ThinkOptions,
  ): ThinkResult | Promise<ThinkResult> {
    const subscribers = this.indexFor(agents).subscribers(trigger);
    const decisionIds = new Array<string>(subscribers.length);
    for (let i = 0; i < subscribers.length; i++) decisionIds[i] = `d-${++this.decisionCount}`;
    const fanOptions =
      options === undefined || (options.forcedOutcomes === undefined && options.defaultForced === undefined)
        ? this.defaultFanOut
        : { deadlineMs: this.config.deadlineMs, ...options };

    const fanned = fanOutFast(subscribers, context, caller, fanOptions);
    if (Array.isArray(fanned)) return this.collect(trigger, context, subscribers, decisionIds, fanned);
    return fanned.then((results) => this.collect(trigger, context, subscribers, decisionIds, results));
  }

  private collect(
    trigger: Trigger,
    context: AgentContext,
    subscribers: readonly Agent[],
    decisionIds: string[],
    results: AgentCallResult[],
  ): ThinkResult {
    const records: RoledDecisionRecord[] = [];
    const proposals: RoledDecisionRecord[] = [];
    for (let i = 0; i < results.length; i++) {
      const result = results[i] as AgentCallResult;
      const agent = subscribers[i] as Agent;
      if (result.status !== 'ok' || result.decision === undefined) continue;
      const d = result.decision;
      const record: RoledDecisionRecord = {
        decisionId: decisionIds[i] as string,
        agentId: agent.id,
        role: agent.role,
        ts: context.ts,
        triggerId: trigger.id,
        intents: d.intents,
        confidence: d.confidence,
        reasoning: d.reasoning,
        expectedReturn: d.expectedReturn,
      };
      records.push(record);
      if (agent.role === 'proposer') proposals.push(record);
    }
    let proposed = false;
    for (let i = 0; i < records.length && !proposed; i++)
      proposed = (records[i] as RoledDecisionRecord).intents.length > 0;
    // Nothing proposed (a quiet bar or tick): consolidating no intents gives the empty result.
    const consolidation = proposed
      ? consolidate(records, this.trust.lookup, this.config.consensus)
      : { accepted: [], rejected: [], conflicts: [], vetoes: [], caps: [] };
    this.outcomes?.track(proposals);
    return { trigger, results, decisionIds, records, consolidation };
  }

  /** Updates trust, lets the agent learn, then reports the outcome. */
  recordOutcome(outcome: Outcome): void {
    this.trust.update(outcome);
    const agent = this.agentsById.get(outcome.agentId);
    if (agent?.learn !== undefined) {
      try {
        agent.learn(outcome);
      } catch (err) {
        this.options.onLearnError?.(outcome.agentId, err);
      }
    }
    this.options.onOutcome?.(outcome);
  }

  snapshot(): OrchestratorSnapshot {
    return {
      version: 1,
      triggerCount: this.triggers.count,
      decisionCount: this.decisionCount,
      trust: this.trust.snapshot(),
    };
  }

  /** Restores counters and trust from a journaled snapshot; counters never go backwards. */
  restore(snapshot: unknown): void {
    const parsed = CountersSchema.safeParse(snapshot);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = (issue?.path ?? []).join('.');
      throw new ConcordError(
        'CONCORD_ERR_ORCHESTRATOR_SNAPSHOT_INVALID',
        `the orchestrator snapshot is not valid at ${path || '(root)'}: ${issue?.message}`,
        { details: { path, expected: issue?.message } },
      );
    }
    this.trust.restore(parsed.data.trust);
    this.triggers.restore({ triggerCount: parsed.data.triggerCount });
    if (parsed.data.decisionCount > this.decisionCount) this.decisionCount = parsed.data.decisionCount;
  }

  /**
   * Tells the orchestrator the current agents (registration order), so outcomes reach
   * their `learn()` even before the agent's first think. `think` does this on its own.
   */
  setAgents(agents: readonly Agent[]): void {
    this.indexFor(agents);
  }

  /** Stops pending outcome judgements. */
  stop(): void {
    this.outcomes?.cancelAll();
  }

  private indexFor(agents: readonly Agent[]): SubscriptionIndex<Agent> {
    if (this.index?.agents !== agents) {
      this.index = new SubscriptionIndex(agents);
      for (const a of agents) this.agentsById.set(a.id, a);
    }
    return this.index;
  }
}
