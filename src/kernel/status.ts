/**
 * Read-only views of a running desk for runners and operator surfaces (panel, summaries, API).
 */
import type { Desk } from './desk.ts';

/**
 * A running desk as shown to an operator. Handed out as of the last durable commit (figures
 * a crash cannot take back), except `tradingState`, which is live.
 */
export interface DeskStatus {
  readonly mode: string;
  readonly seed: number;
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
  readonly recent: readonly string[];
}

export interface AgentSummary {
  readonly id: string;
  /** Realised PnL and fees of the trades this agent's decisions produced (split by weight). */
  readonly pnl: number;
  readonly fees: number;
  readonly trades: number;
  readonly type: string;
  readonly state: string;
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

/** Per-agent state, decisions, trust and attributed PnL. */
export function agentSummaries(desk: Desk): AgentSummary[] {
  const trust = desk.orchestrator.trust.lookup;
  const attribution = new Map(desk.portfolio.attribution().map((a) => [a.agentId, a]));
  return desk.config.agents.map((a) => ({
    id: a.id,
    type: a.type,
    state: desk.supervisor.state(a.id).quarantined
      ? 'QUARANTINED'
      : desk.isDataStale(a.id)
        ? 'DEGRADED'
        : desk.supervisor.state(a.id).state,
    decisions: desk.agentDecisions.get(a.id) ?? 0,
    trust: trust(a.id),
    pnl: attribution.get(a.id)?.realizedPnl.toNumber() ?? 0,
    fees: attribution.get(a.id)?.fees.toNumber() ?? 0,
    trades: attribution.get(a.id)?.trades ?? 0,
    failures: desk.supervisor.state(a.id).totalFailures,
  }));
}
