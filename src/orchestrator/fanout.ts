/**
 * Fan-out: ask every agent subscribed to a trigger, all at once, each under a deadline.
 * Results come back in agent registration order whatever order the calls finish in,
 * so the consolidation and the journal see the same sequence on every run.
 *
 * The deadline itself is enforced by the AgentCaller (the supervisor). For replay,
 * `forcedOutcomes` makes the calls that timed out in the recorded run time out again,
 * and `defaultForced: 'none'` lifts the deadline for all the others, so a replay does
 * not depend on the speed of the machine.
 */
import type {
  AgentCaller,
  AgentCallOptions,
  AgentCallResult,
  AgentContext,
  AgentRole,
  Trigger,
  TriggerKind,
} from '../agents/contract.ts';
import type { InstrumentId } from '../model/index.ts';

/** The part of an Agent the fan-out needs (an `Agent` satisfies it). */
export interface Subscriber {
  readonly id: string;
  readonly role: AgentRole;
  readonly triggers: readonly TriggerKind[];
  readonly instruments?: readonly InstrumentId[];
}

export type ForcedOutcome = 'timeout' | 'none';

export interface FanOutOptions {
  /** Real-time budget per call, in ms. */
  readonly deadlineMs: number;
  /** Replay: agentId → the outcome the recorded run saw. */
  readonly forcedOutcomes?: ReadonlyMap<string, ForcedOutcome>;
  /** Replay: what to force for agents not in `forcedOutcomes` (`none` = no deadline). */
  readonly defaultForced?: ForcedOutcome;
}

/**
 * Subscribers by trigger kind, in registration order, built once per agent list.
 * An agent with an `instruments` list only hears triggers on those instruments.
 */
export class SubscriptionIndex<A extends Subscriber = Subscriber> {
  private readonly byKind = new Map<
    TriggerKind,
    { agent: A; instruments: ReadonlySet<InstrumentId> | undefined }[]
  >();

  constructor(readonly agents: readonly A[]) {
    for (const agent of agents) {
      const instruments = agent.instruments === undefined ? undefined : new Set(agent.instruments);
      for (const kind of new Set(agent.triggers)) {
        let list = this.byKind.get(kind);
        if (list === undefined) {
          list = [];
          this.byKind.set(kind, list);
        }
        list.push({ agent, instruments });
      }
    }
  }

  /** Agents that want this trigger, in registration order. */
  subscribers(trigger: Pick<Trigger, 'kind' | 'instrumentId'>): A[] {
    const entries = this.byKind.get(trigger.kind);
    const out: A[] = [];
    if (entries === undefined) return out;
    for (const e of entries) {
      if (e.instruments === undefined || e.instruments.has(trigger.instrumentId)) out.push(e.agent);
    }
    return out;
  }
}

const optionsCache = new WeakMap<FanOutOptions, Map<ForcedOutcome | undefined, AgentCallOptions>>();

/** Shares one options object per (fan-out options, forced) pair instead of allocating per call. */
function callOptions(options: FanOutOptions, forced: ForcedOutcome | undefined): AgentCallOptions {
  let byForced = optionsCache.get(options);
  if (byForced === undefined) {
    byForced = new Map();
    optionsCache.set(options, byForced);
  }
  let o = byForced.get(forced);
  if (o === undefined) {
    o =
      forced === undefined ? { deadlineMs: options.deadlineMs } : { deadlineMs: options.deadlineMs, forced };
    byForced.set(forced, o);
  }
  return o;
}

/**
 * Calls every agent in `agents` in parallel and returns one result per agent, in the
 * order of `agents`. A caller that throws (it should not: failures are statuses) becomes
 * an `error` result for that agent instead of failing the whole fan-out.
 */
export function fanOut(
  agents: readonly Subscriber[],
  context: AgentContext,
  caller: AgentCaller,
  options: FanOutOptions,
): Promise<AgentCallResult[]> {
  const calls = new Array<Promise<AgentCallResult>>(agents.length);
  for (let i = 0; i < agents.length; i++) {
    const agentId = (agents[i] as Subscriber).id;
    const forced = options.forcedOutcomes?.get(agentId) ?? options.defaultForced;
    calls[i] = callSafely(caller, agentId, context, callOptions(options, forced));
  }
  return Promise.all(calls);
}

/** An AgentCaller that can answer synchronously (the supervisor, for in-process agents). */
export interface FastAgentCaller extends AgentCaller {
  callFast(
    agentId: string,
    context: AgentContext,
    options: AgentCallOptions,
  ): AgentCallResult | Promise<AgentCallResult>;
}

function isFastCaller(caller: AgentCaller): caller is FastAgentCaller {
  return typeof (caller as Partial<FastAgentCaller>).callFast === 'function';
}

/**
 * `fanOut` without a promise when every agent answered synchronously (the common case for
 * in-process agents): the results array itself, else a promise of it. Same order, same
 * failure handling; the calls still all start before any result is looked at.
 */
export function fanOutFast(
  agents: readonly Subscriber[],
  context: AgentContext,
  caller: AgentCaller,
  options: FanOutOptions,
): AgentCallResult[] | Promise<AgentCallResult[]> {
  if (!isFastCaller(caller)) return fanOut(agents, context, caller, options);
  const results = new Array<AgentCallResult | Promise<AgentCallResult>>(agents.length);
  let pending = false;
  for (let i = 0; i < agents.length; i++) {
    const agentId = (agents[i] as Subscriber).id;
    const forced = options.forcedOutcomes?.get(agentId) ?? options.defaultForced;
    let r: AgentCallResult | Promise<AgentCallResult>;
    try {
      r = caller.callFast(agentId, context, callOptions(options, forced));
    } catch (err) {
      r = callerFailure(agentId, err);
    }
    if (r instanceof Promise) {
      pending = true;
      r = r.then(undefined, (err: unknown) => callerFailure(agentId, err));
    }
    results[i] = r;
  }
  return pending ? Promise.all(results) : (results as AgentCallResult[]);
}

function callSafely(
  caller: AgentCaller,
  agentId: string,
  context: AgentContext,
  options: AgentCallOptions,
): Promise<AgentCallResult> {
  // Not an async function: one promise per call instead of two, on the tick-to-order path.
  try {
    return caller
      .call(agentId, context, options)
      .then(undefined, (err: unknown) => callerFailure(agentId, err));
  } catch (err) {
    return Promise.resolve(callerFailure(agentId, err));
  }
}

function callerFailure(agentId: string, err: unknown): AgentCallResult {
  return {
    agentId,
    status: 'error',
    error: `agent caller failed: ${err instanceof Error ? err.message : String(err)}`,
  };
}
