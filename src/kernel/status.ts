/**
 * Read-only views of a running desk for runners and operator surfaces (panel, summaries, API).
 *
 * Every `status` here is a state of the one lifecycle vocabulary (src/core/lifecycle.ts):
 * the desk's, each agent's and each venue's. `tradingState` is the other axis (ACTIVE,
 * REDUCING, HALTED: whether new risk may be taken).
 */
import type { LifecycleState } from '../core/index.ts';
import type { Desk } from './desk.ts';

/**
 * A running desk as shown to an operator. Handed out as of the last durable commit (figures
 * a crash cannot take back), except `tradingState`, `status` and `venues`, which are live.
 */
export interface DeskStatus {
  readonly mode: string;
  readonly seed: number;
  /** The desk's lifecycle (DEGRADED once it has failed closed). */
  readonly status: LifecycleState;
  readonly simulatedMs: number;
  readonly wallMs: number;
  readonly marketEvents: number;
  readonly triggers: number;
  readonly decisions: number;
  readonly decisionsPerSec: number;
  readonly orders: number;
  readonly denied: number;
  readonly rejected: number;
  readonly fills: number;
  readonly pnl: number;
  readonly tradingState: string;
  readonly halts: number;
  readonly breakerTrips: number;
  readonly positions: ReadonlyArray<{ instrumentId: string; quantity: string }>;
  readonly agents: readonly AgentSummary[];
  readonly venues: readonly VenueSummary[];
  readonly recent: readonly string[];
}

export interface AgentSummary {
  readonly id: string;
  /** Realised PnL and fees of the trades this agent's decisions produced (split by weight). */
  readonly pnl: number;
  readonly fees: number;
  readonly trades: number;
  readonly type: string;
  /** See `agentStatus`. */
  readonly status: LifecycleState;
  readonly decisions: number;
  readonly trust: number;
  readonly failures: number;
}

/** The desk's figures now, for a session that ran `simulatedMs` of desk time in `wallMs` of real time. */
export function deskStatus(desk: Desk, wallMs: number, simulatedMs: number): DeskStatus {
  const c = desk.counters;
  return {
    mode: desk.config.mode,
    seed: desk.config.seed,
    ...lifecycleStatus(desk),
    simulatedMs,
    wallMs,
    marketEvents: c.marketEvents,
    triggers: c.triggers,
    decisions: c.decisions,
    decisionsPerSec: simulatedMs > 0 ? (c.decisions * 1000) / simulatedMs : 0,
    orders: c.orders,
    denied: c.denied,
    rejected: c.rejected,
    fills: c.fills,
    pnl: desk.portfolio.totalPnlExact().toNumber(),
    tradingState: desk.tradingState(),
    halts: c.halts,
    breakerTrips: c.breakerTrips,
    positions: desk.portfolio
      .allPositions()
      .filter((p) => !p.quantity.isZero())
      .map((p) => ({ instrumentId: p.instrumentId, quantity: p.quantity.toString() })),
    agents: agentSummaries(desk),
    recent: desk.recent,
  };
}

export interface VenueSummary {
  readonly id: string;
  /** RUNNING for an in-process venue; a remote one is DEGRADED while it redials. */
  readonly status: LifecycleState;
  /** Why it is in that state ('' when nothing was said). */
  readonly reason: string;
}

/**
 * An agent's status: its supervisor's lifecycle state, except that a RUNNING agent whose
 * instruments' data is stale is DEGRADED (left out of fan-outs until its data flows again), and
 * an agent an operator stopped (held QUARANTINED by its supervisor) is shown STOPPED.
 */
export function agentStatus(desk: Desk, agentId: string): LifecycleState {
  const { state, hold } = desk.supervisor.state(agentId);
  if (hold === 'stopped') return 'STOPPED';
  return state === 'RUNNING' && desk.isDataStale(agentId) ? 'DEGRADED' : state;
}

/** Per-agent status, decisions, trust and attributed PnL. */
export function agentSummaries(desk: Desk): AgentSummary[] {
  const trust = desk.orchestrator.trust.lookup;
  const attribution = new Map(desk.portfolio.attribution().map((a) => [a.agentId, a]));
  return desk.config.agents.map((a) => ({
    id: a.id,
    type: a.type,
    status: agentStatus(desk, a.id),
    decisions: desk.agentDecisions.get(a.id) ?? 0,
    trust: trust(a.id),
    pnl: attribution.get(a.id)?.realizedPnl.toNumber() ?? 0,
    fees: attribution.get(a.id)?.fees.toNumber() ?? 0,
    trades: attribution.get(a.id)?.trades ?? 0,
    failures: desk.supervisor.state(a.id).totalFailures,
  }));
}

/** Each venue the desk trades on, in id order. A venue that tracks no lifecycle is shown RUNNING. */
export function venueSummaries(desk: Desk): VenueSummary[] {
  return desk
    .venueList()
    .map((v) => ({ id: v.id, status: v.lifecycle?.state ?? 'RUNNING', reason: v.lifecycle?.reason ?? '' }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The lifecycle part of a `DeskStatus`: the desk's own status and its venues'. */
export function lifecycleStatus(desk: Desk): Pick<DeskStatus, 'status' | 'venues'> {
  return { status: desk.lifecycle.state, venues: venueSummaries(desk) };
}
