/**
 * Shadow simulation: candidate agents run beside the live desk on the same market
 * events, but their intents go only to simulated venues owned by the session. Each
 * session is a second `Desk` (same class, same risk limits) with its own portfolio,
 * order manager and journal (`<journalDir>/shadow/<sessionId>/`); the live desk's
 * journal gets one summary record per start, final report and promotion decision
 * (`shadow.started`, `shadow.report`, `shadow.promotion`, `shadow.faulted`).
 *
 * Isolation: with a simulated main clock the session follows it with a private
 * SimulatedClock, so the shadow's timers (venue latency, agent restarts) never fire
 * inside the live desk's step; a shadow failure faults the session, never the live desk.
 * See docs/shadow.md.
 */
import { join } from 'node:path';
import type { AgentDefinition } from '../agents/contract.ts';
import { EVENTS, type RecordEvent } from '../bus/index.ts';
import {
  type Clock,
  ConcordError,
  Lifecycle,
  type LifecycleState,
  SimulatedClock,
  toConcordError,
} from '../core/index.ts';
import { SqliteJournal } from '../journal/index.ts';
import type { DeskConfig } from '../kernel/config.ts';
import { Desk } from '../kernel/desk.ts';
import { type PromotionThresholds, shadowFieldError } from '../kernel/shadow-config.ts';
import { sortedEntries } from '../kernel/sorted-entries.ts';
import { type AgentSummary, agentSummaries } from '../kernel/status.ts';
import type { BookSequencing, Instrument, MarketEvent } from '../model/index.ts';
import { marketFeed, SimulatedVenue } from '../venues/index.ts';

// ---------------------------------------------------------------------------------------------
// Reports and promotion

/** What the live desk achieved over the same period, for comparison. */
export interface LiveSummary {
  readonly pnl: number;
  readonly decisions?: number;
  readonly orders?: number;
  readonly fills?: number;
}

/** The live desk's figures as a LiveSummary. */
export function liveSummaryOf(desk: Desk): LiveSummary {
  return {
    pnl: desk.portfolio.totalPnlExact().toNumber(),
    decisions: desk.counters.decisions,
    orders: desk.counters.orders,
    fills: desk.counters.fills,
  };
}

/**
 * A session's lifecycle (src/core/lifecycle.ts): CREATED → STARTING → RUNNING → STOPPING →
 * STOPPED, or FAULTED when the shadow desk failed (final: the session stops listening).
 */
export type ShadowState = LifecycleState;

export interface ShadowReport {
  readonly sessionId: string;
  readonly status: ShadowState;
  /** Why the session faulted (a shadow failure never reaches the live desk). */
  readonly faultReason: string | null;
  readonly startTs: number;
  readonly ts: number;
  readonly durationMs: number;
  readonly agents: readonly AgentSummary[];
  readonly marketEvents: number;
  readonly triggers: number;
  readonly decisions: number;
  readonly orders: number;
  readonly denied: number;
  readonly rejected: number;
  readonly fills: number;
  /** The shadow desk portfolio's total PnL (realized + unrealized + funding − fees). */
  readonly pnl: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly fees: number;
  /** Largest peak-to-trough fall of the PnL sampled every `sampleEveryMs` (and now), ≥ 0. */
  readonly maxDrawdown: number;
  /** PnL changes between samples: count, mean, standard deviation, mean/stdDev (0 when flat). */
  readonly returns: {
    readonly samples: number;
    readonly mean: number;
    readonly stdDev: number;
    readonly sharpe: number;
  };
  readonly tradingState: string;
  readonly halts: number;
  readonly journal: { readonly records: number; readonly hash: string };
  readonly vsLive: {
    readonly livePnl: number;
    readonly pnlDelta: number;
    readonly liveDecisions: number | null;
    readonly liveOrders: number | null;
    readonly liveFills: number | null;
  } | null;
}

export interface PromotionCheck {
  readonly name: keyof PromotionThresholds | 'notHalted' | 'noQuarantine' | 'notFaulted';
  readonly ok: boolean;
  readonly actual: number | string | null;
  readonly required: string;
}

export interface PromotionDecision {
  readonly sessionId: string;
  readonly eligible: boolean;
  /** One line per failed check; empty when eligible. */
  readonly reasons: string[];
  readonly checks: readonly PromotionCheck[];
}

/** Pure: whether a report meets the thresholds, and why not. Safety checks (halts, quarantine, fault) always apply. */
export function evaluatePromotion(report: ShadowReport, thresholds: PromotionThresholds): PromotionDecision {
  const checks: PromotionCheck[] = [];
  const atLeast = (name: PromotionCheck['name'], actual: number, min: number) =>
    checks.push({ name, ok: actual >= min, actual, required: `≥ ${min}` });
  atLeast('minDecisions', report.decisions, thresholds.minDecisions);
  atLeast('minFills', report.fills, thresholds.minFills);
  atLeast('minPnl', report.pnl, thresholds.minPnl);
  checks.push({
    name: 'maxDrawdown',
    ok: report.maxDrawdown <= thresholds.maxDrawdown,
    actual: report.maxDrawdown,
    required: `≤ ${thresholds.maxDrawdown}`,
  });
  atLeast('minDurationMs', report.durationMs, thresholds.minDurationMs);
  if (thresholds.minPnlVsLive !== undefined) {
    if (report.vsLive === null) {
      checks.push({
        name: 'minPnlVsLive',
        ok: false,
        actual: null,
        required: `≥ ${thresholds.minPnlVsLive} (needs a live summary)`,
      });
    } else atLeast('minPnlVsLive', report.vsLive.pnlDelta, thresholds.minPnlVsLive);
  }
  checks.push({
    name: 'notFaulted',
    ok: report.status !== 'FAULTED',
    actual: report.faultReason,
    required: 'no fault',
  });
  checks.push({ name: 'notHalted', ok: report.halts === 0, actual: report.halts, required: '0 halts' });
  const quarantined = report.agents.filter((a) => a.status === 'QUARANTINED').map((a) => a.id);
  checks.push({
    name: 'noQuarantine',
    ok: quarantined.length === 0,
    actual: quarantined.join(',') || null,
    required: 'no quarantined candidate',
  });
  const reasons = checks.filter((c) => !c.ok).map(describeFailure);
  return { sessionId: report.sessionId, eligible: reasons.length === 0, reasons, checks };
}

function describeFailure(c: PromotionCheck): string {
  switch (c.name) {
    case 'notFaulted':
      return `session faulted: ${String(c.actual)}`;
    case 'notHalted':
      return `shadow desk halted ${String(c.actual)} time(s) (risk or fail-closed)`;
    case 'noQuarantine':
      return `candidate(s) quarantined: ${String(c.actual)}`;
    default:
      return c.actual === null
        ? `${c.name}: no live summary to compare with`
        : `${c.name}: ${String(c.actual)} is not ${c.required}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The session

export interface ShadowSessionOptions {
  /** Lowercase letters, digits and dashes (it names a directory). */
  readonly id: string;
  /** The shadow desk's config: the live config with only the candidates as agents (see shadowDeskConfig). */
  readonly config: DeskConfig;
  /** The live desk's clock. */
  readonly clock: Clock;
  readonly instruments: readonly Instrument[];
  /** How the books chain their diffs: the live session's market source's rule. */
  readonly bookSequencing?: BookSequencing | undefined;
  /** Starting balances per simulated venue (default: config.venues.balances). */
  readonly balances?: Readonly<Record<string, number>>;
  /** The live desk's journal directory; the session's journal goes to `<journalDir>/shadow/<id>/`. */
  readonly journalDir: string;
  /** Appends a summary record to the live desk's journal (`(t, p) => desk.record(t, p)`). */
  readonly recordLive?: RecordEvent;
  readonly agentDefinitions?: readonly AgentDefinition<unknown>[];
  /** Journal market events in the shadow journal too (default false: the live journal has them). */
  readonly journalMarketEvents?: boolean;
  /** PnL sampling period in desk time, for drawdown and returns (default 1000 ms). */
  readonly sampleEveryMs?: number;
}

const SESSION_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export class ShadowSession {
  readonly id: string;
  /** The shadow desk (inspection and tests; never hand its venues to anything else). */
  readonly desk: Desk;
  /** The session's own simulated venues: the only place candidate orders can go. */
  readonly venues: readonly SimulatedVenue[];
  readonly journal: SqliteJournal;
  private readonly liveClock: Clock;
  /** Set when the session follows a simulated live clock with a clock of its own. */
  private readonly ownClock: SimulatedClock | undefined;
  private readonly recordLive: RecordEvent | undefined;
  private readonly sampleEveryMs: number;
  private readonly lifecycle: Lifecycle;
  private faultReason: string | null = null;
  private startTs = 0;
  private lastSampleTs = Number.NEGATIVE_INFINITY;
  private readonly pnlTrack = new PnlTracker();

  constructor(options: ShadowSessionOptions) {
    if (!SESSION_ID.test(options.id)) {
      throw shadowFieldError(
        'shadow.sessionId',
        'lowercase letters, digits and dashes, at most 64',
        options.id,
        'shadow session',
      );
    }
    if (options.config.agents.length === 0) {
      throw shadowFieldError('shadow.candidates', 'at least one candidate agent', [], 'shadow session');
    }
    const sampleEveryMs = options.sampleEveryMs ?? 1000;
    if (!(sampleEveryMs > 0) || !Number.isFinite(sampleEveryMs)) {
      throw shadowFieldError(
        'shadow.sampleEveryMs',
        'a finite number of ms > 0',
        sampleEveryMs,
        'shadow session',
      );
    }
    this.id = options.id;
    this.lifecycle = new Lifecycle(`shadow session ${options.id}`);
    this.liveClock = options.clock;
    this.recordLive = options.recordLive;
    this.sampleEveryMs = sampleEveryMs;
    const simulated = (options.clock as SimulatedClock).kind === 'simulated';
    this.ownClock = simulated ? new SimulatedClock(options.clock.now()) : undefined;
    const clock = this.ownClock ?? options.clock;
    const balances = options.balances ?? options.config.venues.balances;
    // Portfolio and venues start from the same balances.
    const config: DeskConfig = {
      ...options.config,
      venues: { ...options.config.venues, balances: { ...balances } },
    };
    this.venues = buildShadowVenues(this.id, config, clock, options.instruments);
    const dir = join(options.journalDir, 'shadow', this.id);
    this.journal = SqliteJournal.open(dir, { batchSize: config.journal.maxBatch * 4 });
    try {
      if (this.journal.head().seq > 0) {
        throw new ConcordError(
          'CONCORD_ERR_SHADOW_SESSION_EXISTS',
          `shadow session "${this.id}" already has a journal in ${dir}; choose a new session id (sessions are not resumed)`,
          { details: { sessionId: this.id, dir, records: this.journal.head().seq } },
        );
      }
      this.desk = new Desk({
        config,
        clock,
        journal: this.journal,
        venues: this.venues,
        instruments: options.instruments,
        bookSequencing: options.bookSequencing,
        // The session's own venues see the market the live desk sees, event for event.
        marketTap: marketFeed(this.venues),
        agentDefinitions: options.agentDefinitions,
        journalMarketEvents: options.journalMarketEvents ?? false,
      });
    } catch (err) {
      this.journal.close();
      throw err;
    }
  }

  get currentState(): ShadowState {
    return this.lifecycle.state;
  }

  async start(): Promise<void> {
    this.expectState('start', 'CREATED');
    this.lifecycle.transition('STARTING', 'start');
    this.startTs = this.liveClock.now();
    // The live clock may have moved since construction; the shadow starts where it is now.
    if (this.ownClock !== undefined && this.startTs > this.ownClock.now())
      this.ownClock.advanceTo(this.startTs);
    const { dir: _dir, ...journalSettings } = this.desk.config.journal;
    this.desk.record(EVENTS.shadowStart, {
      sessionId: this.id,
      config: { ...this.desk.config, journal: journalSettings },
      startTs: this.startTs,
      version: 1,
    });
    try {
      await this.desk.start();
    } catch (err) {
      this.fault(err);
      throw err;
    }
    this.lifecycle.transition('RUNNING', 'started');
    this.lastSampleTs = this.startTs;
    // Relative path only: where the live journal lives is not part of the run (hashes stay comparable).
    this.recordLive?.(EVENTS.shadowStarted, {
      sessionId: this.id,
      agents: this.desk.config.agents.map((a) => ({ id: a.id, type: a.type, config: a.config })),
      startTs: this.startTs,
      journal: `shadow/${this.id}`,
    });
  }

  /**
   * Feeds one market event to the shadow desk; call after the live desk's own step for
   * the same event, and await the promise if one is returned (determinism). Never throws
   * for a shadow failure: the session faults (journaled live as `shadow.faulted`) and stops listening.
   */
  onMarketEvent(event: MarketEvent): Promise<void> | undefined {
    const state = this.lifecycle.state;
    if (state !== 'RUNNING') {
      if (this.lifecycle.final || state === 'STOPPING') return undefined;
      this.expectState('onMarketEvent', 'RUNNING');
    }
    let pending: Promise<void> | undefined;
    try {
      pending = this.desk.step(event);
    } catch (err) {
      this.fault(err);
      return undefined;
    }
    if (pending === undefined) {
      this.maybeSample();
      return undefined;
    }
    return pending.then(
      () => this.maybeSample(),
      (err: unknown) => this.fault(err),
    );
  }

  /** The session's figures now, compared with the live desk's when given. Journals nothing. */
  report(live?: LiveSummary): ShadowReport {
    const desk = this.desk;
    const c = desk.counters;
    const pnl = finite(desk.portfolio.totalPnlExact().toNumber());
    const returns = this.pnlTrack.returns();
    const head = this.journal.head();
    const now = this.liveClock.now();
    return {
      sessionId: this.id,
      status: this.lifecycle.state,
      faultReason: this.faultReason,
      startTs: this.startTs,
      ts: now,
      durationMs: this.lifecycle.state === 'CREATED' ? 0 : now - this.startTs,
      agents: agentSummaries(desk),
      marketEvents: c.marketEvents,
      triggers: c.triggers,
      decisions: c.decisions,
      orders: c.orders,
      denied: c.denied,
      rejected: c.rejected,
      fills: c.fills,
      pnl,
      realizedPnl: finite(desk.portfolio.realizedExact().toNumber()),
      unrealizedPnl: finite(desk.portfolio.unrealizedPnl()),
      fees: finite(desk.portfolio.feesExact().toNumber()),
      // The current PnL counts as a last sample, without changing the session's state.
      maxDrawdown: finite(this.pnlTrack.maxDrawdownWith(pnl)),
      returns: {
        samples: returns.samples,
        mean: finite(returns.mean),
        stdDev: finite(returns.stdDev),
        sharpe: finite(returns.sharpe),
      },
      tradingState: desk.tradingState(),
      halts: c.halts,
      journal: { records: head.seq, hash: head.hash },
      vsLive:
        live === undefined
          ? null
          : {
              livePnl: live.pnl,
              pnlDelta: finite(pnl - live.pnl),
              liveDecisions: live.decisions ?? null,
              liveOrders: live.orders ?? null,
              liveFills: live.fills ?? null,
            },
    };
  }

  /** Evaluates the thresholds on a fresh report and journals the decision live (`shadow.promotion`). */
  evaluatePromotion(thresholds: PromotionThresholds, live?: LiveSummary): PromotionDecision {
    const decision = evaluatePromotion(this.report(live), thresholds);
    this.recordLive?.(EVENTS.shadowPromotion, {
      ...decision,
      thresholds: { ...thresholds, minPnlVsLive: thresholds.minPnlVsLive ?? null },
    });
    return decision;
  }

  /** Stops the candidates, closes the shadow journal and journals the final report live (`shadow.report`). */
  async stop(live?: LiveSummary): Promise<ShadowReport> {
    if (this.lifecycle.state === 'STOPPED') return this.report(live);
    const wasRunning = this.lifecycle.state === 'RUNNING';
    this.lifecycle.transitionIfAllowed('STOPPING', 'stop');
    if (wasRunning) {
      this.maybeSample(true);
      try {
        this.desk.record(EVENTS.shadowEnd, { sessionId: this.id, counters: this.desk.counters });
        this.desk.flush();
      } catch (err) {
        this.fault(err);
      }
    }
    try {
      // A faulted shadow desk is released without writing more (its journal may be what failed).
      if (this.lifecycle.state === 'FAULTED') await this.desk.abandon();
      else await this.desk.stop();
    } catch (err) {
      this.fault(err);
    }
    for (const venue of this.venues) venue.stop(`shadow session ${this.id} ${this.lifecycle.state}`);
    this.lifecycle.transitionIfAllowed('STOPPED', 'stopped');
    const report = this.report(live);
    this.journal.close();
    this.recordLive?.(EVENTS.shadowReport, report);
    return report;
  }

  private maybeSample(force = false): void {
    const now = this.liveClock.now();
    if (!force && now - this.lastSampleTs < this.sampleEveryMs) return;
    this.lastSampleTs = now;
    this.pnlTrack.observe(this.desk.portfolio.totalPnlExact().toNumber());
  }

  private fault(err: unknown): void {
    if (!this.lifecycle.can('FAULTED')) return;
    this.faultReason = `${toConcordError(err).code}: ${toConcordError(err).shortMessage}`;
    this.lifecycle.transition('FAULTED', this.faultReason);
    this.recordLive?.(EVENTS.shadowFaulted, { sessionId: this.id, reason: this.faultReason });
  }

  private expectState(action: string, expected: ShadowState): void {
    if (this.lifecycle.state !== expected) {
      throw new ConcordError(
        'CONCORD_ERR_SHADOW_STATE',
        `cannot ${action} shadow session "${this.id}" while it is ${this.lifecycle.state}; expected ${expected} (create → start → onMarketEvent… → stop)`,
        { details: { sessionId: this.id, state: this.lifecycle.state, expected, action } },
      );
    }
  }
}

/**
 * PnL samples → drawdown and per-sample returns, O(1) per sample. Starts at PnL 0 (the
 * session's start), so a first loss is a drawdown. Returns are PnL changes between samples
 * (quote currency); `sharpe` is mean/stdDev of those changes, not annualized.
 */
export class PnlTracker {
  private last = 0;
  private peak = 0;
  private drawdown = 0;
  // Welford's running mean and variance.
  private count = 0;
  private mean = 0;
  private m2 = 0;

  observe(pnl: number): void {
    const change = pnl - this.last;
    this.last = pnl;
    this.count++;
    const delta = change - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (change - this.mean);
    if (pnl > this.peak) this.peak = pnl;
    else if (this.peak - pnl > this.drawdown) this.drawdown = this.peak - pnl;
  }

  maxDrawdown(): number {
    return this.drawdown;
  }

  /** The drawdown if `pnl` were observed now, without observing it. */
  maxDrawdownWith(pnl: number): number {
    return Math.max(this.drawdown, Math.max(this.peak, pnl) - pnl);
  }

  returns(): { samples: number; mean: number; stdDev: number; sharpe: number } {
    const stdDev = this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : 0;
    return { samples: this.count, mean: this.mean, stdDev, sharpe: stdDev > 0 ? this.mean / stdDev : 0 };
  }
}

/** One SimulatedVenue per venue of the instruments, as the sandbox builds them, with shadow-marked order ids. */
function buildShadowVenues(
  sessionId: string,
  config: DeskConfig,
  clock: Clock,
  instruments: readonly Instrument[],
): SimulatedVenue[] {
  const venueIds = [...new Set(instruments.map((i) => i.venue))];
  return venueIds.map(
    (venue) =>
      new SimulatedVenue({
        id: venue,
        clock,
        instruments: instruments.filter((i) => i.venue === venue),
        balances: Object.fromEntries(sortedEntries(config.venues.balances)),
        latencyMs: config.venues.latencyMs,
        idPrefix: `shadow-${sessionId}-${venue}`,
      }),
  );
}

/** Journal payloads must be canonical JSON: no NaN or Infinity. */
function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
