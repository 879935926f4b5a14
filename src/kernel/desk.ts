/**
 * The desk: the kernel that wires every component, identical in every mode.
 * What differs between modes (clock, market source, venues) is injected.
 *
 * One market event goes through `step()` strictly after the previous one has
 * finished (agents included), so a simulated run is a pure function of its inputs:
 * the journal's head hash identifies the run.
 *
 * The desk is the composition root and the public facade; its concerns live next to it:
 * - the step pipeline (`step`, `warm`), data health and marks: here;
 * - the step journal (held records, flush with checkpoint, durable-before-visible lines):
 *   src/kernel/step-journal.ts (`StepJournal`);
 * - thinking and submitting (fan-out, decisions, consensus, intents to orders): src/kernel/think.ts (`Thinker`);
 * - operator actions (halt, resume, flatten): src/kernel/operator-actions.ts (`OperatorActions`);
 * - where the limits come from and the agent types a desk can run: src/kernel/resolve-safety.ts,
 *   src/kernel/agent-registry.ts.
 */

import type { Agent, AgentDefinition, Trigger } from '../agents/contract.ts';
import { AgentSupervisor, type SupervisorEvent } from '../agents/supervisor.ts';
import { Bus, EVENTS, type EventDef, type EventPayload, eventNamed, topics } from '../bus/index.ts';
import {
  type Clock,
  Decimal,
  IdGenerator,
  Lifecycle,
  monotonicMs,
  Random,
  type SimulatedClock,
  toConcordError,
} from '../core/index.ts';
import { MarketData } from '../data/index.ts';
import { DataHealth, type FillSource, OrderManager } from '../execution/index.ts';
import type { DurableOutbox, Journal } from '../journal/index.ts';
import {
  type BookSequencing,
  type Decision,
  type DecisionRecord,
  type Fill,
  type Instrument,
  type InstrumentId,
  isOrderable,
  type MarketEvent,
  type Order,
  type OrderableInstrument,
  type Outcome,
  type VenuePort,
  venueOf,
} from '../model/index.ts';
import { Orchestrator } from '../orchestrator/index.ts';
import { Portfolio } from '../portfolio/index.ts';
import { BreakerBoard, RiskEngine, toBreakerBoardOptions } from '../risk/index.ts';
import { deskRegistry } from './agent-registry.ts';
import type { DeskConfig } from './config.ts';
import { rerootConfigError } from './config.ts';
import { AgentTimings, type TickObserver } from './observe.ts';
import { OperatorActions } from './operator-actions.ts';
import { resolveSafety } from './resolve-safety.ts';
import { sortedEntries } from './sorted-entries.ts';
import { StepJournal } from './step-journal.ts';
import { Thinker } from './think.ts';

export interface DeskOptions {
  readonly config: DeskConfig;
  readonly clock: SimulatedClock | Clock;
  readonly journal: Journal;
  readonly venues: readonly VenuePort[];
  readonly instruments: readonly Instrument[];
  /**
   * How each instrument's book chains its diffs, from whoever built the market source (e.g. the
   * Binance reader's `binanceSequenceMode`). Absent: the book manager's default (update range).
   */
  readonly bookSequencing?: BookSequencing | undefined;
  /**
   * Called with every market event right after the desk's books took it, before marks, risk and
   * agents. The session that composed the desk feeds its simulated venues here (their own book
   * copy, resting orders matched), so the fills an event causes are booked before anyone thinks
   * about it. The kernel itself knows nothing of what is behind it.
   */
  readonly marketTap?: ((event: MarketEvent) => void) | undefined;
  /** Replay: agent deadlines missed in the original run, by trigger id. */
  readonly replayTimeouts?: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Called with short human-readable lines (decisions, fills, halts), each only once the
   * journal records it reports on are durable (committed with a checkpoint), so nothing shown
   * is lost by a crash. A fail-closed alert is the one exception: it is shown at once.
   */
  readonly onEvent?: ((text: string) => void) | undefined;
  /** Agent types beyond the built-in library (embedding, tests). */
  readonly agentDefinitions?: readonly AgentDefinition<unknown>[] | undefined;
  /**
   * Journal every market event as an input (default). Off for recorded files: the run
   * journals the files' hashes instead, and replay reads the files again.
   */
  readonly journalMarketEvents?: boolean;
  /**
   * Watch each instrument's data for staleness and leave agents whose data is stale out of
   * fan-outs (DEGRADED) until it flows again. Default on; backtests turn it off (a recording's
   * gaps are history, not an outage).
   */
  readonly watchDataHealth?: boolean;
  /**
   * Hold a step's records and journal them right after its first order reaches the venue
   * (default): hashing stays off the path to the venue. A desk that must make its journal
   * durable BEFORE an order leaves (write-ahead, the paper desk against a real process)
   * turns this off, so everything that led to the order is in the journal it flushes.
   */
  readonly holdRecords?: boolean;
  /** Resume: state from the last durable checkpoint. */
  readonly checkpoint?: Checkpoint | undefined;
}

export interface DeskCounters {
  marketEvents: number;
  triggers: number;
  decisions: number;
  consensus: number;
  orders: number;
  denied: number;
  rejected: number;
  fills: number;
  agentFailures: number;
  halts: number;
  breakerTrips: number;
}

/** State written at the end of every durable batch; a restart resumes from the last one. */
export interface Checkpoint {
  readonly ts: number;
  readonly counters: DeskCounters;
  readonly ids: Record<string, number>;
  readonly portfolio: unknown;
  readonly orders: unknown;
  readonly orchestrator: unknown;
  readonly agents: unknown;
  readonly agentDecisions: Record<string, number>;
}

/**
 * Trade ids of the portfolio's dedup window written to each checkpoint. Duplicates are refused
 * by the order manager per order; this only keeps the portfolio's own guard warm after a restart.
 */
const CHECKPOINT_RECENT_TRADES = 32;

export class Desk {
  readonly config: DeskConfig;
  readonly clock: Clock;
  readonly journal: Journal;
  readonly bus: Bus;
  readonly market: MarketData;
  readonly portfolio: Portfolio;
  readonly risk: RiskEngine;
  readonly breakers: BreakerBoard;
  readonly orders: OrderManager;
  readonly orchestrator: Orchestrator;
  readonly supervisor: AgentSupervisor;
  readonly ids: IdGenerator;
  /**
   * The desk's own lifecycle (src/core/lifecycle.ts): CREATED → STARTING → RUNNING → STOPPING →
   * STOPPED, DEGRADED once it has failed closed. Not journaled; trading state is another axis.
   */
  readonly lifecycle = new Lifecycle('desk');
  readonly counters: DeskCounters = {
    marketEvents: 0,
    triggers: 0,
    decisions: 0,
    consensus: 0,
    orders: 0,
    denied: 0,
    rejected: 0,
    fills: 0,
    agentFailures: 0,
    halts: 0,
    breakerTrips: 0,
  };
  readonly agentDecisions = new Map<string, number>();
  /**
   * How long each agent took to decide (monotonic clock; never journaled, so never part of the
   * hash or a replay). Read by operator surfaces (the API's metrics).
   */
  readonly timings = new AgentTimings();
  /** Counts kept for operator surfaces only (not checkpointed, not journaled): accepted intents handed to the order manager. */
  readonly observed = { intents: 0 };
  private tickObserver: TickObserver | undefined;
  private stepStartMs = 0;
  /** Held records, flushes with checkpoints, and the durable-before-visible lines (src/kernel/step-journal.ts). */
  readonly steps: StepJournal;
  /** The last lines shown (released by `visible`), newest last. */
  readonly recent: string[];
  /**
   * Lines waiting for their journal records to be durable; released after each commit.
   * Subscribe to it (as `onEvent` does) to see only what a crash cannot take back.
   */
  readonly visible: DurableOutbox<string>;
  /** Set when the desk must take no new risk (journal failure, rule error). */
  failClosedReason: string | undefined;
  private readonly operator: OperatorActions;
  private readonly thinker: Thinker;
  private lastRiskObserveTs = Number.NEGATIVE_INFINITY;
  private readonly health: DataHealth | undefined;
  private readonly staleAgents = new Set<string>();
  private activeProxies: Agent[] = [];
  private lastHealthCheckTs = Number.NEGATIVE_INFINITY;
  private readonly journalMarketEvents: boolean;
  /** Hook after each market event is applied (equity sampling in backtests). */
  afterMarketEvent: ((event: MarketEvent) => void) | undefined;

  private readonly venues = new Map<string, VenuePort>();
  private readonly marketTap: ((event: MarketEvent) => void) | undefined;
  private readonly instruments = new Map<InstrumentId, Instrument>();
  private readonly agentIds: string[];
  private agentProxies: Agent[] = [];
  private heldEvents: SupervisorEvent[] | undefined;
  private readonly agentOrder = new Map<string, number>();

  constructor(options: DeskOptions) {
    const { config } = options;
    this.config = config;
    this.clock = options.clock;
    this.journal = options.journal;
    this.journalMarketEvents = options.journalMarketEvents ?? true;
    this.marketTap = options.marketTap;
    this.steps = new StepJournal({
      journal: this.journal,
      clock: this.clock,
      flushPolicy: config.journal,
      holdRecords: options.holdRecords ?? true,
      checkpoint: () => this.checkpoint(),
      failClosed: (reason) => this.failClosed(reason),
      onEvent: options.onEvent,
    });
    this.recent = this.steps.recent;
    this.visible = this.steps.visible;
    this.ids = new IdGenerator();
    this.bus = new Bus({ clock: this.clock, source: 'desk' });
    for (const v of options.venues) this.venues.set(v.id, v);
    for (const i of options.instruments) this.instruments.set(i.id, i);
    // Each feed chains its diffs its own way; the market source's builder says how.
    this.market = new MarketData({
      instruments: options.instruments,
      books: options.bookSequencing === undefined ? {} : { modeFor: options.bookSequencing },
    });
    const cp = options.checkpoint;
    if (cp !== undefined) {
      this.portfolio = Portfolio.restore(cp.portfolio);
    } else {
      this.portfolio = new Portfolio();
      for (const venue of options.venues) {
        // Sorted, so a config read back from the journal (canonical, keys sorted) builds the same state.
        for (const [asset, amount] of sortedEntries(config.venues.balances))
          this.portfolio.deposit(venue.id, asset, amount);
      }
    }
    const { risk: riskConfig, safety } = resolveSafety(config);
    this.health =
      options.watchDataHealth === false
        ? undefined
        : new DataHealth({ clock: this.clock, staleAfterMs: safety.errorRecovery.healthCheckIntervalMs });
    this.breakers = new BreakerBoard({
      ...toBreakerBoardOptions(safety),
      onTransition: (t) => {
        this.record(EVENTS.riskBreaker, t);
        this.note(`breaker ${t.breaker} ${t.scope}: ${t.from} → ${t.to} (${t.reason})`);
        if (t.to === 'OPEN') this.counters.breakerTrips++;
      },
    });
    this.risk = new RiskEngine({
      config: riskConfig,
      portfolio: this.portfolio,
      clock: this.clock,
      breakers: this.breakers,
      instruments: options.instruments,
      openOrders: { openOrders: (venue?: string) => this.openOrderCount(venue) },
      onRuleError: (report) => this.record(EVENTS.riskRuleError, report),
      onTradingStateChange: (change) => {
        this.record(EVENTS.riskTradingState, change);
        if (change.to !== 'ACTIVE') this.counters.halts++;
        this.note(`trading ${change.to}: ${change.reason}`);
      },
    });
    this.orders = new OrderManager({
      venues: this.venues,
      clock: this.clock,
      preTradeCheck: {
        check: (order) => {
          if (this.thinker.tracingRisk) {
            const startMs = monotonicMs();
            const verdict = this.preTradeCheck(order);
            this.thinker.noteRiskCheck(order, startMs, verdict.ok ? undefined : verdict.denial.code);
            return verdict;
          }
          return this.preTradeCheck(order);
        },
      },
      events: { emit: (event, payload) => this.onExecutionEvent(event, payload) },
      legRiskPolicy: config.execution.legPolicy,
      referencePrice: (id) => this.referencePrice(id),
    });
    // Every fill, from a venue, reconciliation or a restart, reaches the portfolio here only.
    this.orders.onFill((fill, order, source) => this.onFill(fill, order, source));
    const random = new Random(config.seed);
    this.supervisor = new AgentSupervisor({
      clock: this.clock,
      registry: deskRegistry(options.agentDefinitions),
      deps: { random: random.fork('agents'), instruments: options.instruments },
      onEvent: (e: SupervisorEvent) => this.onSupervisorEvent(e),
    });
    this.agentIds = config.agents.map((a) => a.id);
    for (const [i, id] of this.agentIds.entries()) this.agentOrder.set(id, i);
    for (const spec of config.agents)
      this.supervisor.add({ id: spec.id, type: spec.type, config: spec.config, isolated: spec.isolated });
    try {
      this.orchestrator = new Orchestrator({
        clock: this.clock,
        // Agents think in microseconds; a generous real-time deadline is only ever missed by a
        // hung agent, so two runs of one seed do not diverge on a busy machine.
        config: { deadlineMs: 1000, ...config.orchestrator },
        midOf: (id: InstrumentId) => this.referencePrice(id),
        onOutcome: (outcome: Outcome) => this.record(EVENTS.outcome, outcome),
        onLearnError: (agentId: string, error: unknown) =>
          this.record(EVENTS.agentLearnFailed, { agentId, error: toConcordError(error).shortMessage }),
      });
    } catch (err) {
      throw rerootConfigError(err, 'orchestrator');
    }
    this.operator = new OperatorActions({
      clock: this.clock,
      steps: this.steps,
      counters: this.counters,
      risk: this.risk,
      orders: this.orders,
      portfolio: this.portfolio,
      instruments: this.instruments,
      referencePrice: (id) => this.referencePrice(id),
    });
    this.thinker = new Thinker({
      clock: this.clock,
      steps: this.steps,
      counters: this.counters,
      agentDecisions: this.agentDecisions,
      market: this.market,
      portfolio: this.portfolio,
      orchestrator: this.orchestrator,
      supervisor: this.supervisor,
      orders: this.orders,
      instruments: this.instruments,
      replayTimeouts: options.replayTimeouts,
      isHalted: () => this.operator.isHalted(),
      activeAgents: () => this.activeProxies,
      referencePrice: (id) => this.referencePrice(id),
      holdAgentEvents: () => {
        this.heldEvents = [];
      },
      releaseAgentEvents: () => this.releaseHeldEvents(),
      timings: this.timings,
      observed: this.observed,
      tickObserver: () => this.tickObserver,
      stepStartedMs: () => this.stepStartMs,
    });
    if (cp !== undefined) this.restore(cp);
  }

  /**
   * Attaches a tick observer (tracing): each tick that makes the desk think is reported with its
   * phases once it ends. Undefined detaches it; without one the tick path pays nothing.
   */
  observeTicks(observer: TickObserver | undefined): void {
    this.tickObserver = observer;
  }

  /** The gate every order passes: fail closed, else the risk engine's chain. */
  private preTradeCheck(order: Parameters<RiskEngine['check']>[0]): ReturnType<RiskEngine['check']> {
    if (this.failClosedReason !== undefined) {
      return {
        ok: false,
        denial: {
          code: 'FAIL_CLOSED',
          rule: 'kernel',
          message: this.failClosedReason,
          details: {},
        },
      };
    }
    return this.risk.check(order);
  }

  async start(): Promise<void> {
    this.lifecycle.transition('STARTING', 'start');
    // What an order that passes the gate has passed, for `concord explain` and auditors.
    this.record(EVENTS.riskChain, {
      rules: this.risk.rules().map((r) => r.name),
      limits: this.risk.limits().config,
    });
    try {
      await this.supervisor.start();
    } catch (err) {
      this.lifecycle.transitionIfAllowed('FAULTED', `start failed: ${toConcordError(err).shortMessage}`);
      throw err;
    }
    // Stable stand-ins for the orchestrator: the supervisor may replace an agent's instance
    // on restart, so learning goes through the supervisor, never to a stale instance.
    this.agentProxies = this.agentIds.map((id) => {
      const live = this.supervisor.agent(id);
      const spec = this.config.agents.find((a) => a.id === id);
      return {
        id,
        type: spec?.type ?? live?.type ?? 'unknown',
        role: live?.role ?? 'proposer',
        triggers: live?.triggers ?? [],
        ...(live?.instruments === undefined ? {} : { instruments: live.instruments }),
        process: () => {
          throw new Error('agents are called through the supervisor');
        },
        learn: (outcome: Outcome) => {
          void this.supervisor.learn(id, outcome);
        },
      } satisfies Agent;
    });
    this.activeProxies = this.agentProxies;
    this.lifecycle.transition('RUNNING', 'started');
    if (this.failClosedReason !== undefined)
      this.lifecycle.transition('DEGRADED', `failed closed: ${this.failClosedReason}`);
  }

  /** Stops the agents. Safe to call again (and after `abandon`): only the first call moves the lifecycle. */
  async stop(): Promise<void> {
    const reason = this.steps.isAbandoned ? 'abandoned' : 'stop';
    const moving = this.lifecycle.transitionIfAllowed('STOPPING', reason);
    this.orchestrator.stop();
    await this.supervisor.stop();
    if (moving) this.lifecycle.transitionIfAllowed('STOPPED', reason);
  }

  /**
   * Replay of a crash: the recorded process died without stopping, so this desk is
   * released without writing anything more (its workers still end).
   */
  async abandon(): Promise<void> {
    this.steps.abandon();
    await this.stop();
  }

  /**
   * Appends a record to the journal through the step journal: held during a step and appended in
   * order right after the step's first order reaches its venue; a journal that cannot be written
   * fails the desk closed. Payloads are fresh objects.
   */
  record<E extends EventDef>(event: E, payload: EventPayload<E>): void {
    this.steps.record(event, payload);
  }

  /** Ends the batch with a checkpoint and commits it durably (`StepJournal.flush`). */
  flush(): void {
    this.steps.flush();
  }

  /**
   * Calls `listener` after every commit of a batch (which ends with a checkpoint), with the
   * journal's durable seq: the desk's state at that moment is exactly what a restart restores.
   * Returns a function that removes the listener.
   */
  onCommit(listener: (durableSeq: number) => void): () => void {
    return this.steps.onCommit(listener);
  }

  /** Invariant 3: when the desk cannot trust its own records, it takes no new risk. */
  failClosed(reason: string): void {
    if (this.failClosedReason !== undefined) return;
    this.failClosedReason = reason;
    this.counters.halts++;
    // Still stepping (and able to reduce), but it can no longer trust itself: no way back to RUNNING.
    if (this.lifecycle.state === 'RUNNING') this.lifecycle.transition('DEGRADED', `failed closed: ${reason}`);
    // Shown at once: the operator must learn that the desk stopped even if its journal cannot say so.
    const withheld = this.visible.withheld();
    this.steps.show(
      `HALT: ${reason}${withheld > 0 ? ` (${withheld} later line(s) not shown: their journal records are not durable)` : ''}`,
    );
  }

  tradingState(): string {
    return this.failClosedReason === undefined ? this.risk.tradingState({ kind: 'global' }) : 'HALTED';
  }

  /**
   * One market event through the whole pipeline. Synchronous unless the event
   * triggers a fan-out to agents: callers `await` only the promise they get.
   */
  step(event: MarketEvent): Promise<void> | undefined {
    const clock = this.clock as SimulatedClock;
    if (clock.kind === 'simulated' && event.ts > clock.now()) {
      // Restart timers of agents that failed in one fan-out may share a due time; their
      // creation order followed the machine's completion order, so order their records here.
      this.heldEvents = [];
      try {
        clock.advanceTo(event.ts);
      } finally {
        this.releaseHeldEvents();
      }
    }
    if (this.tickObserver !== undefined) this.stepStartMs = monotonicMs();
    this.steps.beginStep();
    let trigger: Trigger | undefined;
    try {
      if (this.journalMarketEvents) this.record(EVENTS.market, event);
      this.counters.marketEvents++;
      if (this.health !== undefined) {
        this.health.observe(venueOf(event.instrumentId), event.instrumentId, event.ts);
        if (event.ts - this.lastHealthCheckTs >= 1000) {
          this.lastHealthCheckTs = event.ts;
          this.checkDataHealth();
        }
      }
      this.market.apply(event);
      this.marketTap?.(event);
      const book = this.market.book(event.instrumentId);
      const mid = book?.mid();
      const mark = mid ?? (event.type === 'bar' ? event.close : undefined);
      if (mark !== undefined) {
        this.portfolio.mark(event.instrumentId, mark);
        this.risk.observePrice(event.instrumentId, mark, event.ts);
      }
      // Equity, peak and daily PnL in exact decimals cost microseconds: sample them every
      // 250 ms of desk time (and after every fill), not on every book update.
      if (event.ts - this.lastRiskObserveTs >= 250) {
        this.lastRiskObserveTs = event.ts;
        this.risk.observe(event.ts);
      }
      if (event.type === 'funding') {
        // Perpetuals: a funding print moves cash between longs and shorts (the portfolio ignores repeats).
        const fundingMark = event.markPrice ?? mark ?? this.market.lastPrice(event.instrumentId);
        if (fundingMark !== undefined && this.portfolio.positionExact(event.instrumentId).sign() !== 0) {
          const paid = this.portfolio.applyFunding(event.instrumentId, event.rate, fundingMark, event.ts);
          if (!paid.isZero())
            this.record(EVENTS.portfolioFunding, {
              instrumentId: event.instrumentId,
              rate: event.rate,
              mark: fundingMark,
              amount: paid,
            });
        }
      }
      this.afterMarketEvent?.(event);
      trigger = this.orchestrator.onMarketEvent(event, { mid: mark, spread: book?.spread() });
    } catch (err) {
      this.steps.releaseAfterFailure();
      throw err;
    }
    if (trigger !== undefined) return this.thinkThenFlush(trigger);
    this.steps.releaseHeldRecords();
    this.steps.maybeFlush();
    return undefined;
  }

  /**
   * The books (and a simulated clock) take one event, and nothing else: no marks, no risk, no
   * agents, not counted as a step. A session warms its desk this way while it does not trade
   * (startup reconciliation, settling at the end). Journaled like any market event, so the
   * journal holds the books the desk traded from.
   */
  warm(event: MarketEvent): void {
    const clock = this.clock as SimulatedClock;
    if (clock.kind === 'simulated' && event.ts > clock.now()) clock.advanceTo(event.ts);
    if (this.journalMarketEvents) this.record(EVENTS.market, event);
    this.market.apply(event);
    this.marketTap?.(event);
  }

  /**
   * Thinks about a trigger, then journals the step's held records and flushes when due. Stays
   * synchronous when the thinking did (agents answered at once and nothing was ordered): a quiet
   * bar costs no promise. A failure is always a rejected promise, as from an async step.
   */
  private thinkThenFlush(trigger: Trigger): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    try {
      pending = this.thinker.think(trigger);
    } catch (err) {
      return this.finishThinking(Promise.reject(err));
    }
    if (pending !== undefined) return this.finishThinking(pending);
    try {
      this.steps.releaseHeldRecords();
      this.steps.maybeFlush();
    } catch (err) {
      return Promise.reject(err);
    }
    return undefined;
  }

  private async finishThinking(pending: Promise<void>): Promise<void> {
    try {
      await pending;
    } finally {
      this.steps.releaseHeldRecords();
    }
    this.steps.maybeFlush();
  }

  /**
   * Emergency halt: no new risk anywhere, every open order cancelled, and if asked every
   * position flattened (`OperatorActions.halt`, src/kernel/operator-actions.ts).
   */
  halt(request: { reason: string; flatten?: boolean; operator?: string }): Promise<void> {
    return this.operator.halt(request);
  }

  /** Closes every open position with reduce-only market orders; returns how many were sent (`OperatorActions.flatten`). */
  flatten(): Promise<number> {
    return this.operator.flatten();
  }

  /** Resuming after a halt takes an explicit operator action (`OperatorActions.resume`). */
  resume(request: { operator: string; reason: string }): void {
    this.operator.resume(request);
  }

  isHalted(): boolean {
    return this.operator.isHalted();
  }

  private openOrderCount(venue?: string): number {
    let n = 0;
    for (const o of this.orders.openOrders()) if (venue === undefined || o.venue === venue) n++;
    return n;
  }

  instrumentList(): Instrument[] {
    return [...this.instruments.values()];
  }

  /** The venues the desk trades on (for status views). */
  venueList(): VenuePort[] {
    return [...this.venues.values()];
  }

  /** The agents whose decision produced an order (for attribution in reports). */
  agentsOfOrder(clientOrderId: string): readonly string[] {
    return this.orders.order(clientOrderId)?.attribution?.agentIds ?? [];
  }

  /**
   * Agents whose instruments (all instruments when they name none) have stale data are
   * DEGRADED: left out of fan-outs, journaled, and back when their data flows again.
   */
  private checkDataHealth(): void {
    const health = this.health;
    if (health === undefined || this.agentProxies.length === 0) return;
    const all = [...this.instruments.keys()];
    const needs = new Map(this.agentProxies.map((a) => [a.id, a.instruments ?? all]));
    // Only instruments that have had data can go stale: one not seen yet is still warming up.
    const staleInstruments = new Set(health.staleInstruments());
    const stale = new Set(
      [...needs].filter(([, ids]) => ids.some((i) => staleInstruments.has(i))).map(([id]) => id),
    );
    let changed = false;
    for (const id of this.agentIds) {
      const isStale = stale.has(id);
      if (isStale === this.staleAgents.has(id)) continue;
      changed = true;
      const instruments = (needs.get(id) ?? []).filter((i) => staleInstruments.has(i));
      if (isStale) {
        this.staleAgents.add(id);
        this.record(EVENTS.agentDataStale, { agentId: id, instruments });
        this.note(`agent ${id} DEGRADED: no fresh data for ${instruments.join(', ')}`);
      } else {
        this.staleAgents.delete(id);
        this.record(EVENTS.agentDataFresh, { agentId: id });
        this.note(`agent ${id} data fresh again`);
      }
    }
    if (changed) this.activeProxies = this.agentProxies.filter((a) => !this.staleAgents.has(a.id));
  }

  /** Whether an agent is left out because its data is stale. */
  isDataStale(agentId: string): boolean {
    return this.staleAgents.has(agentId);
  }

  /** Reference price for risk checks: the book's mid, else the last trade or bar close. */
  referencePrice(id: InstrumentId): number | undefined {
    return this.market.book(id)?.mid() ?? this.market.lastPrice(id);
  }

  private onExecutionEvent<E extends EventDef>(event: E, payload: EventPayload<E>): void {
    this.record(event, payload);
    if (event === EVENTS.orderSubmitted) this.counters.orders++;
    else if (event === EVENTS.orderDenied) {
      this.counters.denied++;
      const p = payload as { denial?: { code?: string } };
      this.note(`denied ${p.denial?.code ?? ''}`);
    } else if (event === EVENTS.orderRejected) {
      this.counters.rejected++;
      this.breakers.recordOutcome(venueOfPayload(payload), 'rejected', this.clock.now());
    } else if (event === EVENTS.orderUnknown) {
      this.breakers.recordOutcome(venueOfPayload(payload), 'timeout', this.clock.now());
    } else if (event === EVENTS.orderAccepted) {
      this.breakers.recordOutcome(venueOfPayload(payload), 'ok', this.clock.now());
    }
    // Order events carry the trigger that led to them (correlation) and the decision (causation).
    this.bus.publish(topics.event(event), event.name, payload, {
      version: event.version,
      correlationId: this.thinker.correlationId,
      causationId: this.thinker.causationId,
    });
  }

  /**
   * The portfolio's one source of fills: whatever the fill's source, it is credited to its
   * order's agents and the risk engine sees the new PnL at once. A restored fill was shown
   * before the restart, so it is not shown again.
   */
  private onFill(fill: Fill, order: Readonly<Order>, source: FillSource): void {
    this.counters.fills++;
    const instrument = this.instruments.get(fill.instrumentId);
    if (instrument === undefined || !isOrderable(instrument)) return;
    this.portfolio.applyFill(fill, instrument as OrderableInstrument, order.attribution);
    this.risk.observe(this.clock.now());
    if (source !== 'restore')
      this.note(
        `fill ${fill.side} ${fill.quantity} ${fill.instrumentId} @ ${fill.price} (${fill.liquidity})${source === 'recovered' ? ' recovered' : ''}`,
      );
  }

  private onSupervisorEvent(e: SupervisorEvent): void {
    // During a fan-out, agents finish in whatever order the machine runs them: hold their
    // events and journal them in registration order once every agent has answered.
    if (this.heldEvents !== undefined) {
      this.heldEvents.push(e);
      return;
    }
    this.journalSupervisorEvent(e);
  }

  /** Journals held supervisor events by time, then agent registration order (stable per agent). */
  private releaseHeldEvents(): void {
    const held = this.heldEvents;
    this.heldEvents = undefined;
    if (held === undefined || held.length === 0) return;
    held.sort(
      (a, b) => a.ts - b.ts || (this.agentOrder.get(a.agentId) ?? 0) - (this.agentOrder.get(b.agentId) ?? 0),
    );
    for (const e of held) this.journalSupervisorEvent(e);
  }

  private journalSupervisorEvent(e: SupervisorEvent): void {
    this.record(eventNamed(e.type), e);
    if (e.type === EVENTS.agentFailed.name) this.note(`agent ${e.agentId} failed (${e.status}): ${e.reason}`);
    else if (e.type === EVENTS.agentQuarantined.name)
      this.note(`agent ${e.agentId} QUARANTINED after ${e.consecutiveFailures} failures`);
    else if (e.type === EVENTS.agentRestarted.name)
      this.note(`agent ${e.agentId} restarted (attempt ${e.attempt})`);
  }

  /** A line for the operator, shown once the records it reports on are durable (`StepJournal.note`). */
  private note(text: string): void {
    this.steps.note(text);
  }

  checkpoint(): Checkpoint {
    return {
      ts: this.clock.now(),
      counters: { ...this.counters },
      ids: this.ids.snapshot(),
      // Bounded whatever the run's length: open orders with their own trade ids, and a short
      // window of the portfolio's; the full history is in the journal itself.
      portfolio: this.portfolio.snapshot({ recentTrades: CHECKPOINT_RECENT_TRADES }),
      orders: this.orders.snapshot({ compact: true }),
      orchestrator: this.orchestrator.snapshot(),
      agents: this.supervisor.snapshot(),
      agentDecisions: Object.fromEntries(this.agentDecisions),
    };
  }

  /** Restores what the portfolio (restored in the constructor) does not hold. */
  private restore(cp: Checkpoint): void {
    Object.assign(this.counters, cp.counters);
    this.ids.restore(cp.ids);
    this.orders.restore(cp.orders);
    this.orchestrator.restore(cp.orchestrator);
    this.supervisor.restore(cp.agents);
    for (const [k, v] of Object.entries(cp.agentDecisions)) this.agentDecisions.set(k, v);
  }
}

export type { Decision, DecisionRecord };
export { Decimal, monotonicMs };

function venueOfPayload(payload: unknown): string {
  const order = (payload as { order?: { venue?: string } }).order;
  return order?.venue ?? 'unknown';
}
