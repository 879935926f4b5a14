/**
 * An agent as `/api/agents` shows it: the kernel's summary (status, decisions, trust, attributed
 * PnL) with its decisions per second of desk time and, when the desk measures them, the kernel's
 * timings of its calls (monotonic clock, never journaled).
 */
import type { AgentSummary, AgentTiming } from '../kernel/index.ts';
import type { DeskView } from './view.ts';

export interface AgentRow extends AgentSummary {
  readonly decisionsPerSec: number;
  readonly calls: number | null;
  readonly latencyMeanMs: number | null;
  readonly latencyMaxMs: number | null;
  readonly callFailures: number | null;
}

export function agentRows(desk: DeskView): AgentRow[] {
  const status = desk.status();
  const timings = new Map<string, AgentTiming>((desk.agentTimings?.() ?? []).map((t) => [t.agentId, t]));
  const measured = desk.agentTimings !== undefined;
  return status.agents.map((a) => {
    const t = timings.get(a.id);
    return {
      ...a,
      decisionsPerSec: status.simulatedMs > 0 ? (a.decisions * 1000) / status.simulatedMs : 0,
      calls: measured ? (t?.calls ?? 0) : null,
      latencyMeanMs: t === undefined || t.calls === 0 ? null : (t.totalSeconds * 1000) / t.calls,
      latencyMaxMs: t === undefined || t.calls === 0 ? null : t.maxSeconds * 1000,
      callFailures: measured ? (t?.failures ?? 0) : null,
    };
  });
}

/** Mean time of one agent call over every agent, ms; null when nothing was timed. */
export function averageDecisionMs(desk: DeskView): number | null {
  let calls = 0;
  let seconds = 0;
  for (const t of desk.agentTimings?.() ?? []) {
    calls += t.calls;
    seconds += t.totalSeconds;
  }
  return calls === 0 ? null : (seconds * 1000) / calls;
}
