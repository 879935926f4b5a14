/**
 * Supervises agents: every call runs under a real-time deadline, every answer is
 * schema-checked, and a failing agent is restarted with exponential backoff on
 * the desk clock, then quarantined after `maxFailures` consecutive failures.
 *
 *   ok       → consecutive failures reset to 0
 *   failure  → agent.failed; RUNNING → DEGRADED; instance discarded;
 *              after backoff (desk clock) rebuilt from its definition with its
 *              last learned snapshot → agent.restarted; DEGRADED → RUNNING
 *   failure #maxFailures in a row → QUARANTINED; calls are 'skipped' until an
 *              operator calls resetQuarantine() (QUARANTINED → CREATED → STARTING → RUNNING)
 *
 * States are the shared lifecycle vocabulary (src/core/lifecycle.ts).
 *
 * Deadlines are real time (a hang is a real-time phenomenon), measured with
 * core's LiveClock even in simulated mode, where the desk clock does not move
 * while a call is awaited. Backoff is desk time, so simulated restarts are
 * deterministic. A replay passes `forced` to reproduce a journaled miss.
 */
import { z } from 'zod';
import { EVENTS } from '../bus/index.ts';
import {
  type Clock,
  ConcordError,
  Lifecycle,
  type LifecycleState,
  LiveClock,
  monotonicMs,
  type TimerHandle,
} from '../core/index.ts';
import type { Outcome } from '../model/index.ts';
import type {
  Agent,
  AgentCaller,
  AgentCallOptions,
  AgentCallResult,
  AgentContext,
  AgentDefinition,
  AgentDeps,
} from './contract.ts';
import { type AgentRegistry, parseAgentConfig } from './registry.ts';
import { validateDecision } from './validate.ts';
import { type ExtraDefinitionsModule, IsolatedAgent, startIsolatedAgent } from './worker.ts';

export interface SupervisorPolicy {
  /** Consecutive failures that quarantine an agent. */
  readonly maxFailures: number;
  readonly backoffBaseMs: number;
  readonly backoffMultiplier: number;
  readonly backoffMaxMs: number;
  /** Real-time limit for `learn()` (it runs agent code too). */
  readonly learnDeadlineMs: number;
}

export const DEFAULT_SUPERVISOR_POLICY: SupervisorPolicy = Object.freeze({
  maxFailures: 3,
  backoffBaseMs: 1000,
  backoffMultiplier: 2,
  backoffMaxMs: 60_000,
  learnDeadlineMs: 1000,
});

export type AgentFailureStatus = 'timeout' | 'error' | 'invalid';

/** Everything the supervisor reports; the kernel journals these. `ts` is desk time. */
export type SupervisorEvent =
  | {
      readonly type: typeof EVENTS.agentState.name;
      readonly agentId: string;
      readonly ts: number;
      readonly from: LifecycleState;
      readonly to: LifecycleState;
      readonly reason: string;
    }
  | {
      readonly type: typeof EVENTS.agentFailed.name;
      readonly agentId: string;
      readonly ts: number;
      readonly status: AgentFailureStatus;
      readonly reason: string;
      readonly consecutiveFailures: number;
    }
  | {
      readonly type: typeof EVENTS.agentRestarting.name;
      readonly agentId: string;
      readonly ts: number;
      readonly backoffMs: number;
      /** 1 for the first restart after a success, 2 for the next, ... */
      readonly attempt: number;
    }
  | {
      readonly type: typeof EVENTS.agentRestarted.name;
      readonly agentId: string;
      readonly ts: number;
      readonly attempt: number;
      readonly restoredSnapshot: boolean;
    }
  | {
      readonly type: typeof EVENTS.agentQuarantined.name;
      readonly agentId: string;
      readonly ts: number;
      readonly consecutiveFailures: number;
      readonly reason: string;
    };

export interface AgentSpec {
  readonly id: string;
  readonly type: string;
  readonly config?: unknown;
  /** Run in a worker thread, so even a synchronous busy loop cannot freeze the desk. */
  readonly isolated?: boolean;
}

export interface SupervisorOptions {
  /** Desk clock: backoff timing and event timestamps. */
  readonly clock: Clock;
  readonly registry: AgentRegistry;
  readonly deps: AgentDeps;
  readonly policy?: Partial<SupervisorPolicy>;
  readonly onEvent?: (event: SupervisorEvent) => void;
  /** Extra definitions an isolated agent's worker registers (its registry is the builtin one). */
  readonly workerDefinitions?: ExtraDefinitionsModule;
}

export interface AgentStatus {
  readonly agentId: string;
  readonly type: string;
  readonly state: LifecycleState;
  /** `state === 'QUARANTINED'`, kept for readers of the flag. */
  readonly quarantined: boolean;
  readonly isolated: boolean;
  readonly consecutiveFailures: number;
  readonly totalFailures: number;
  readonly restarts: number;
  /** Desk time at which a pending restart is due. */
  readonly restartDueTs?: number;
  /**
   * Set while an operator holds the agent out of work (its lifecycle is then QUARANTINED):
   * `stopped` by an operator stop, `quarantined` by an operator quarantine.
   */
  readonly hold?: OperatorHold;
}

/** Why an operator holds an agent out of work (`AgentSupervisor.hold`). */
export type OperatorHold = 'stopped' | 'quarantined';

/** Failure counts and learned state per agent, for rebuilding from the journal. */
export interface SupervisorSnapshot {
  readonly version: 1;
  readonly agents: Readonly<
    Record<
      string,
      {
        readonly learned?: unknown;
        readonly consecutiveFailures: number;
        readonly totalFailures: number;
        readonly restarts: number;
        readonly quarantined: boolean;
        /** Present only while an operator holds the agent (older snapshots have none). */
        readonly hold?: OperatorHold;
      }
    >
  >;
}

const supervisorSnapshotSchema = z.object({
  version: z.literal(1),
  agents: z.record(
    z.string(),
    z.object({
      learned: z.unknown().optional(),
      consecutiveFailures: z.number().int().nonnegative(),
      totalFailures: z.number().int().nonnegative(),
      restarts: z.number().int().nonnegative(),
      quarantined: z.boolean(),
      hold: z.enum(['stopped', 'quarantined']).optional(),
    }),
  ),
});

interface Slot {
  readonly spec: AgentSpec;
  readonly definition: AgentDefinition<unknown>;
  readonly config: unknown;
  readonly lifecycle: Lifecycle;
  /** The live instance; undefined while backing off, restarting or faulted. */
  agent: Agent | undefined;
  /** Bumped whenever an instance is discarded, so a late answer from it is ignored. */
  generation: number;
  consecutiveFailures: number;
  totalFailures: number;
  restarts: number;
  learned: unknown;
  restartTimer: TimerHandle | undefined;
  restartDueTs: number | undefined;
  hold: OperatorHold | undefined;
}

const TIMED_OUT: unique symbol = Symbol('timed out');

export class AgentSupervisor implements AgentCaller {
  private readonly clock: Clock;
  private readonly registry: AgentRegistry;
  private readonly deps: AgentDeps;
  private readonly policy: SupervisorPolicy;
  private readonly onEvent: (event: SupervisorEvent) => void;
  private readonly workerDefinitions: ExtraDefinitionsModule | undefined;
  /** Deadlines are real time whatever the desk clock is. */
  private readonly realTime = new LiveClock();
  private readonly slots = new Map<string, Slot>();
  private readonly pendingRestore = new Map<string, SupervisorSnapshot['agents'][string]>();
  private stopped = false;
  private quiet = false;

  constructor(options: SupervisorOptions) {
    this.clock = options.clock;
    this.registry = options.registry;
    this.deps = options.deps;
    this.policy = checkPolicy({ ...DEFAULT_SUPERVISOR_POLICY, ...options.policy });
    this.onEvent = options.onEvent ?? (() => {});
    this.workerDefinitions = options.workerDefinitions;
  }

  /** Validates the spec and config and builds the agent (in-process ones at once). State: CREATED. */
  add(spec: AgentSpec): void {
    if (this.slots.has(spec.id)) {
      throw new ConcordError(
        'CONCORD_ERR_AGENT_DUPLICATE_ID',
        `an agent with id "${spec.id}" is already supervised; agent ids must be unique`,
        {
          details: { agentId: spec.id },
        },
      );
    }
    const definition = this.registry.get(spec.type);
    const config = parseAgentConfig(definition, spec.id, spec.config);
    const slot: Slot = {
      spec,
      definition,
      config,
      lifecycle: new Lifecycle(`agent ${spec.id}`, (t) =>
        this.emit({ type: EVENTS.agentState.name, agentId: spec.id, ts: this.clock.now(), ...t }),
      ),
      agent: undefined,
      generation: 0,
      consecutiveFailures: 0,
      totalFailures: 0,
      restarts: 0,
      learned: undefined,
      restartTimer: undefined,
      restartDueTs: undefined,
      hold: undefined,
    };
    if (spec.isolated !== true) slot.agent = this.buildLocal(slot);
    this.slots.set(spec.id, slot);
    const restored = this.pendingRestore.get(spec.id);
    if (restored !== undefined) {
      this.pendingRestore.delete(spec.id);
      this.applyRestore(slot, restored);
    }
  }

  /** Starts every agent still CREATED (so it can be called again after add()). */
  async start(): Promise<void> {
    if (this.stopped) {
      throw new ConcordError(
        'CONCORD_ERR_LIFECYCLE_TRANSITION',
        'the agent supervisor was stopped; build a new one to start again',
        {
          details: { from: 'STOPPED', to: 'STARTING' },
        },
      );
    }
    await Promise.all(
      [...this.slots.values()].filter((s) => s.lifecycle.state === 'CREATED').map((s) => this.startSlot(s)),
    );
  }

  /** Stops every agent: pending restarts cancelled, workers terminated. Quarantined agents stay QUARANTINED. */
  async stop(): Promise<void> {
    this.stopped = true;
    const closing: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      this.cancelRestart(slot);
      // Quarantined agents stay QUARANTINED (the operator still sees why), and final ones final.
      if (!slot.lifecycle.can('STOPPING')) continue;
      slot.lifecycle.transition('STOPPING', 'supervisor stop');
      closing.push(
        this.discard(slot).then(() => {
          slot.lifecycle.transition('STOPPED', 'supervisor stop');
        }),
      );
    }
    await Promise.all(closing);
  }

  async call(agentId: string, context: AgentContext, options: AgentCallOptions): Promise<AgentCallResult> {
    return this.callFast(agentId, context, options);
  }

  /**
   * `call`, answered synchronously when the agent's `process()` returns a plain value and
   * nothing fails: a fan-out to in-process agents then pays no promise per agent. A thenable
   * answer or any failure comes back as a promise (failures may wait for a worker to end).
   */
  callFast(
    agentId: string,
    context: AgentContext,
    options: AgentCallOptions,
  ): AgentCallResult | Promise<AgentCallResult> {
    const slot = this.slotOf(agentId);
    const agent = slot.agent;
    if (agent === undefined || !slot.lifecycle.working)
      return { agentId, status: 'skipped', error: this.skipReason(slot) };
    const generation = slot.generation;
    if (options.forced === 'timeout') {
      // Same words as a real miss, so a replay journals byte-identical events.
      return this.fail(slot, generation, 'timeout', missedDeadline(options.deadlineMs));
    }
    const deadlineMs = options.forced === 'none' ? undefined : options.deadlineMs;
    let answer: unknown;
    try {
      const started = monotonicMs();
      answer = agent.process(context);
      if (isThenable(answer)) return this.settleAsync(slot, agent, generation, answer, deadlineMs);
      // A synchronous answer cannot be interrupted, but a late one is still stale.
      if (deadlineMs !== undefined && monotonicMs() - started > deadlineMs) {
        return this.fail(slot, generation, 'timeout', missedDeadline(deadlineMs));
      }
    } catch (err) {
      return this.fail(slot, generation, 'error', `process() threw: ${describe(err)}`);
    }
    return this.judge(slot, agent, generation, answer);
  }

  private async settleAsync(
    slot: Slot,
    agent: Agent,
    generation: number,
    pending: PromiseLike<unknown>,
    deadlineMs: number | undefined,
  ): Promise<AgentCallResult> {
    let answer: unknown;
    try {
      if (deadlineMs === undefined) answer = await pending;
      else {
        answer = await this.race(pending, deadlineMs);
        if (answer === TIMED_OUT) return this.fail(slot, generation, 'timeout', missedDeadline(deadlineMs));
      }
    } catch (err) {
      return this.fail(slot, generation, 'error', `process() threw: ${describe(err)}`);
    }
    return this.judge(slot, agent, generation, answer);
  }

  /** Schema and agent checks of an answer, then the failure bookkeeping. */
  private judge(
    slot: Slot,
    agent: Agent,
    generation: number,
    answer: unknown,
  ): AgentCallResult | Promise<AgentCallResult> {
    const agentId = slot.spec.id;
    let verdict: ReturnType<typeof validateDecision>;
    try {
      verdict = validateDecision(agent, answer);
    } catch (err) {
      verdict = { ok: false, reason: `decision could not be inspected: ${describe(err)}` };
    }
    if (!verdict.ok) return this.fail(slot, generation, 'invalid', verdict.reason);
    // The instance was discarded while it was thinking (a failure of a concurrent call, or stop()).
    if (generation !== slot.generation)
      return { agentId, status: 'skipped', error: 'agent was discarded while answering' };
    slot.consecutiveFailures = 0;
    return { agentId, status: 'ok', decision: verdict.decision };
  }

  /**
   * Feeds an outcome to the agent and records its learned state (what a restart
   * restores). Dropped while the agent is not running. A throw or a hang counts
   * as a failure, like in process().
   */
  async learn(agentId: string, outcome: Outcome): Promise<void> {
    const slot = this.slotOf(agentId);
    const agent = slot.agent;
    if (agent === undefined || !slot.lifecycle.working) return;
    const generation = slot.generation;
    try {
      if (agent instanceof IsolatedAgent) {
        if (!agent.hasLearn) return;
        const learned = await this.race(agent.learnAndSnapshot(outcome), this.policy.learnDeadlineMs);
        if (learned === TIMED_OUT) {
          await this.fail(
            slot,
            generation,
            'timeout',
            `learn() gave no answer within ${this.policy.learnDeadlineMs} ms`,
          );
          return;
        }
        if (generation === slot.generation) slot.learned = learned;
      } else if (agent.learn !== undefined) {
        agent.learn(outcome);
        if (agent.snapshot !== undefined) slot.learned = agent.snapshot();
      }
    } catch (err) {
      await this.fail(slot, generation, 'error', `learn() threw: ${describe(err)}`);
    }
  }

  state(agentId: string): AgentStatus {
    const slot = this.slotOf(agentId);
    return {
      agentId,
      type: slot.spec.type,
      state: slot.lifecycle.state,
      quarantined: slot.lifecycle.state === 'QUARANTINED',
      isolated: slot.spec.isolated === true,
      consecutiveFailures: slot.consecutiveFailures,
      totalFailures: slot.totalFailures,
      restarts: slot.restarts,
      ...(slot.restartDueTs === undefined ? {} : { restartDueTs: slot.restartDueTs }),
      ...(slot.hold === undefined ? {} : { hold: slot.hold }),
    };
  }

  states(): AgentStatus[] {
    return [...this.slots.keys()].map((id) => this.state(id));
  }

  ids(): string[] {
    return [...this.slots.keys()];
  }

  /** The live agent instance (for wiring: role, triggers, instruments). Undefined while not running. */
  agent(agentId: string): Agent | undefined {
    return this.slotOf(agentId).agent;
  }

  snapshot(): SupervisorSnapshot {
    const agents: Record<string, SupervisorSnapshot['agents'][string]> = {};
    for (const [id, slot] of this.slots) {
      const agent = slot.agent;
      if (agent !== undefined && !(agent instanceof IsolatedAgent) && agent.snapshot !== undefined) {
        try {
          slot.learned = agent.snapshot();
        } catch {
          // Keep the last good snapshot; the agent's next call will show whether it is broken.
        }
      }
      agents[id] = {
        ...(slot.learned === undefined ? {} : { learned: slot.learned }),
        consecutiveFailures: slot.consecutiveFailures,
        totalFailures: slot.totalFailures,
        restarts: slot.restarts,
        quarantined: slot.lifecycle.state === 'QUARANTINED',
        ...(slot.hold === undefined ? {} : { hold: slot.hold }),
      };
    }
    return { version: 1, agents };
  }

  /**
   * Rebuild from the journal: learned state and failure counts. Agents not added
   * yet get theirs when added. Emits no events (they were journaled the first time).
   */
  restore(snapshot: unknown): void {
    const parsed = supervisorSnapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConcordError(
        'CONCORD_ERR_AGENT_SNAPSHOT',
        `supervisor snapshot is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        {
          details: { path: issue?.path.join('.') ?? '', issues: parsed.error.issues.length },
        },
      );
    }
    for (const [id, entry] of Object.entries(parsed.data.agents)) {
      const slot = this.slots.get(id);
      if (slot === undefined) this.pendingRestore.set(id, entry);
      else this.applyRestore(slot, entry);
    }
  }

  /** Operator action: QUARANTINED → CREATED → STARTING → RUNNING, failure count cleared, last snapshot restored. */
  async resetQuarantine(agentId: string): Promise<void> {
    const slot = this.slotOf(agentId);
    slot.lifecycle.transition('CREATED', 'operator reset of the quarantine');
    slot.consecutiveFailures = 0;
    slot.hold = undefined;
    if (this.stopped) return;
    await this.startSlot(slot);
  }

  /**
   * Operator action: hold an agent out of work (`stopped` or `quarantined`). Its instance is
   * discarded and it is no longer asked; its lifecycle is QUARANTINED (only an operator's start
   * lets it out), and `hold` says which operator action put it there. An operator quarantine is
   * journaled like a supervisor one (`agent.quarantined`); a stop only as the state change.
   * Refused (CONCORD_ERR_LIFECYCLE_TRANSITION) for an agent already held, quarantined or final.
   */
  async hold(agentId: string, hold: OperatorHold, reason: string): Promise<void> {
    const slot = this.slotOf(agentId);
    const state = slot.lifecycle.state;
    if (state === 'QUARANTINED' || !slot.lifecycle.can('QUARANTINED') || this.stopped) {
      throw new ConcordError(
        'CONCORD_ERR_LIFECYCLE_TRANSITION',
        `agent ${agentId} cannot be ${hold === 'stopped' ? 'stopped' : 'quarantined'}: it is ${describeState(state, slot.hold)}`,
        { details: { agentId, from: state, hold: slot.hold ?? null, action: hold } },
      );
    }
    this.cancelRestart(slot);
    const discarding = this.discard(slot);
    const why = `${hold === 'stopped' ? 'stopped' : 'quarantined'} by an operator: ${reason}`;
    slot.hold = hold;
    if (hold === 'quarantined') this.quarantine(slot, why);
    else slot.lifecycle.transition('QUARANTINED', why);
    await discarding;
  }

  /**
   * Operator action: let a held or quarantined agent work again (QUARANTINED → CREATED →
   * STARTING → RUNNING, as `resetQuarantine`). Refused (CONCORD_ERR_LIFECYCLE_TRANSITION) for
   * an agent that is not held out of work.
   */
  async release(agentId: string): Promise<void> {
    const slot = this.slotOf(agentId);
    if (slot.lifecycle.state !== 'QUARANTINED' || this.stopped) {
      throw new ConcordError(
        'CONCORD_ERR_LIFECYCLE_TRANSITION',
        `agent ${agentId} cannot be started: it is ${describeState(slot.lifecycle.state, slot.hold)}, not stopped or quarantined`,
        { details: { agentId, from: slot.lifecycle.state, action: 'start' } },
      );
    }
    await this.resetQuarantine(agentId);
  }

  private async startSlot(slot: Slot): Promise<void> {
    slot.lifecycle.transition('STARTING', 'start');
    let agent: Agent;
    try {
      agent =
        slot.agent ?? (slot.spec.isolated === true ? await this.buildIsolated(slot) : this.buildLocal(slot));
    } catch (err) {
      if (slot.lifecycle.state !== 'STARTING') return; // stopped meanwhile
      slot.consecutiveFailures++;
      slot.totalFailures++;
      const reason = `could not start: ${describe(err)}`;
      this.emit({
        type: EVENTS.agentFailed.name,
        agentId: slot.spec.id,
        ts: this.clock.now(),
        status: 'error',
        reason,
        consecutiveFailures: slot.consecutiveFailures,
      });
      this.quarantine(slot, reason);
      return;
    }
    if (slot.lifecycle.state !== 'STARTING') {
      // stop() ran while a worker was booting: do not leak the thread.
      if (agent instanceof IsolatedAgent) await agent.terminate();
      return;
    }
    slot.agent = agent;
    slot.lifecycle.transition('RUNNING', 'started');
  }

  private buildLocal(slot: Slot): Agent {
    const agent = slot.definition.create(slot.spec.id, slot.config, this.agentDeps(slot.spec.id));
    if (slot.learned !== undefined) agent.restore?.(slot.learned);
    return agent;
  }

  private buildIsolated(slot: Slot): Promise<IsolatedAgent> {
    return startIsolatedAgent({
      id: slot.spec.id,
      type: slot.spec.type,
      config: slot.spec.config,
      seed: this.deps.random.fork(`agent:${slot.spec.id}`).nextUint32(),
      instruments: this.deps.instruments,
      ...(slot.learned === undefined ? {} : { snapshot: slot.learned }),
      ...(this.workerDefinitions === undefined ? {} : { extraDefinitions: this.workerDefinitions }),
    });
  }

  /** Each agent gets its own random stream, the same one again after a restart. */
  private agentDeps(agentId: string): AgentDeps {
    return { ...this.deps, random: this.deps.random.fork(`agent:${agentId}`) };
  }

  private async fail(
    slot: Slot,
    generation: number,
    status: AgentFailureStatus,
    reason: string,
  ): Promise<AgentCallResult> {
    const agentId = slot.spec.id;
    const result: AgentCallResult = { agentId, status, error: reason };
    // A late answer from an instance already discarded changes nothing.
    if (generation !== slot.generation || !slot.lifecycle.working) return result;
    slot.consecutiveFailures++;
    slot.totalFailures++;
    this.emit({
      type: EVENTS.agentFailed.name,
      agentId,
      ts: this.clock.now(),
      status,
      reason,
      consecutiveFailures: slot.consecutiveFailures,
    });
    const discarding = this.discard(slot);
    if (slot.consecutiveFailures >= this.policy.maxFailures) {
      this.quarantine(slot, `${slot.consecutiveFailures} consecutive failures; last: ${reason}`);
    } else {
      if (slot.lifecycle.state === 'RUNNING') slot.lifecycle.transition('DEGRADED', `${status}: ${reason}`);
      this.scheduleRestart(slot);
    }
    await discarding;
    return result;
  }

  private quarantine(slot: Slot, reason: string): void {
    slot.lifecycle.transition('QUARANTINED', reason);
    this.emit({
      type: EVENTS.agentQuarantined.name,
      agentId: slot.spec.id,
      ts: this.clock.now(),
      consecutiveFailures: slot.consecutiveFailures,
      reason,
    });
  }

  private scheduleRestart(slot: Slot): void {
    const attempt = slot.consecutiveFailures;
    const backoffMs = backoffDelay(this.policy, attempt);
    slot.restartDueTs = this.clock.now() + backoffMs;
    this.emit({
      type: EVENTS.agentRestarting.name,
      agentId: slot.spec.id,
      ts: this.clock.now(),
      backoffMs,
      attempt,
    });
    slot.restartTimer = this.clock.setTimeout(() => {
      slot.restartTimer = undefined;
      slot.restartDueTs = undefined;
      void this.restart(slot, attempt);
    }, backoffMs);
  }

  private async restart(slot: Slot, attempt: number): Promise<void> {
    if (this.stopped || slot.lifecycle.state !== 'DEGRADED') return;
    const generation = slot.generation;
    let agent: Agent;
    try {
      agent = slot.spec.isolated === true ? await this.buildIsolated(slot) : this.buildLocal(slot);
    } catch (err) {
      slot.agent = undefined;
      await this.fail(slot, generation, 'error', `restart failed: ${describe(err)}`);
      return;
    }
    if (this.stopped || generation !== slot.generation || slot.lifecycle.state !== 'DEGRADED') {
      if (agent instanceof IsolatedAgent) await agent.terminate();
      return;
    }
    slot.agent = agent;
    slot.restarts++;
    this.emit({
      type: EVENTS.agentRestarted.name,
      agentId: slot.spec.id,
      ts: this.clock.now(),
      attempt,
      restoredSnapshot: slot.learned !== undefined,
    });
    slot.lifecycle.transition('RUNNING', `restarted after failure ${attempt}`);
  }

  private cancelRestart(slot: Slot): void {
    if (slot.restartTimer !== undefined) this.clock.clearTimer(slot.restartTimer);
    slot.restartTimer = undefined;
    slot.restartDueTs = undefined;
  }

  /** Drops the current instance (terminating its worker); late answers from it are ignored. */
  private async discard(slot: Slot): Promise<void> {
    const agent = slot.agent;
    slot.agent = undefined;
    slot.generation++;
    if (agent instanceof IsolatedAgent) await agent.terminate();
  }

  private applyRestore(slot: Slot, entry: SupervisorSnapshot['agents'][string]): void {
    slot.learned = entry.learned;
    slot.consecutiveFailures = entry.consecutiveFailures;
    slot.totalFailures = entry.totalFailures;
    slot.restarts = entry.restarts;
    const agent = slot.agent;
    if (entry.learned !== undefined && agent !== undefined) {
      if (agent instanceof IsolatedAgent) void agent.restoreState(entry.learned).catch(() => {});
      else agent.restore?.(entry.learned);
    }
    if (entry.quarantined && slot.lifecycle.can('QUARANTINED')) {
      slot.hold = entry.hold;
      this.quiet = true;
      try {
        this.cancelRestart(slot);
        void this.discard(slot);
        slot.lifecycle.transition('QUARANTINED', 'quarantined in the restored snapshot');
      } finally {
        this.quiet = false;
      }
    }
  }

  private race(promise: PromiseLike<unknown>, ms: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const handle = this.realTime.setTimeout(() => resolve(TIMED_OUT), ms);
      promise.then(
        (value) => {
          this.realTime.clearTimer(handle);
          resolve(value);
        },
        (err: unknown) => {
          this.realTime.clearTimer(handle);
          reject(err);
        },
      );
    });
  }

  private skipReason(slot: Slot): string {
    if (slot.hold === 'stopped') return 'stopped by an operator';
    if (slot.lifecycle.state === 'QUARANTINED') return 'quarantined: waiting for an operator reset';
    if (slot.restartDueTs !== undefined) return `backing off: restart due at ${slot.restartDueTs}`;
    if (slot.lifecycle.state === 'DEGRADED') return 'restarting';
    return `not running (${slot.lifecycle.state})`;
  }

  private slotOf(agentId: string): Slot {
    const slot = this.slots.get(agentId);
    if (slot === undefined) {
      throw new ConcordError(
        'CONCORD_ERR_AGENT_UNKNOWN',
        `no supervised agent has id "${agentId}"; supervised: ${[...this.slots.keys()].join(', ') || '(none)'}`,
        {
          details: { agentId, known: [...this.slots.keys()] },
        },
      );
    }
    return slot;
  }

  private emit(event: SupervisorEvent): void {
    if (!this.quiet) this.onEvent(event);
  }
}

/** Delay before restart number `attempt` (1-based): base × multiplier^(attempt−1), capped. */
export function backoffDelay(policy: SupervisorPolicy, attempt: number): number {
  const raw = policy.backoffBaseMs * policy.backoffMultiplier ** Math.max(0, attempt - 1);
  return Math.min(policy.backoffMaxMs, raw);
}

function checkPolicy(policy: SupervisorPolicy): SupervisorPolicy {
  const ok =
    Number.isInteger(policy.maxFailures) &&
    policy.maxFailures >= 1 &&
    policy.backoffBaseMs >= 0 &&
    policy.backoffMultiplier >= 1 &&
    policy.backoffMaxMs >= policy.backoffBaseMs &&
    policy.learnDeadlineMs > 0 &&
    Number.isFinite(policy.backoffMaxMs) &&
    Number.isFinite(policy.learnDeadlineMs);
  if (!ok) {
    throw new ConcordError(
      'CONCORD_ERR_AGENT_POLICY',
      'supervisor policy needs maxFailures ≥ 1 (integer), backoffBaseMs ≥ 0, backoffMultiplier ≥ 1, a finite backoffMaxMs ≥ backoffBaseMs and learnDeadlineMs > 0',
      { details: { ...policy } },
    );
  }
  return policy;
}

function describeState(state: LifecycleState, hold: OperatorHold | undefined): string {
  if (hold === 'stopped') return 'stopped by an operator';
  if (hold === 'quarantined') return 'quarantined by an operator';
  return state;
}

/** Deterministic wording (no measured durations): timeout events are journaled and replayed. */
function missedDeadline(deadlineMs: number): string {
  return `missed the ${deadlineMs} ms deadline`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
