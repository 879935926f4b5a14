/**
 * A desk view and a journal source built from a journal directory alone: what the API serves for
 * a finished run (and what its tests read). Every call opens the journal read-only, verifies its
 * chain and reads what it needs; a live runner hands in views over its desk instead.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { latestPortfolio, listDecisions } from '../analysis/queries/index.ts';
import { EVENTS } from '../bus/index.ts';
import { isLifecycleState, type LifecycleState } from '../core/index.ts';
import { JournalReader } from '../journal/index.ts';
import type { AgentSummary, DeskStatus } from '../kernel/index.ts';
import type { BreakerView, DeskView, JournalSource, LimitUse, RiskView, StrategyView } from './view.ts';

/**
 * Readers over the journal in `dir` (read-only). A reader verifies the whole chain when it opens
 * and then reads one snapshot, so one is kept open and reused while the directory's files are
 * unchanged (size and mtime), and reopened, verifying again, once they change.
 */
export function journalDirSource(dir: string): JournalSource & { close(): void } {
  let open: { reader: JournalReader; stamp: string } | undefined;
  const stamp = (): string => {
    try {
      return readdirSync(dir)
        .sort()
        .map((name) => {
          const st = statSync(join(dir, name));
          return `${name}:${st.size}:${st.mtimeMs}`;
        })
        .join('|');
    } catch {
      return '';
    }
  };
  const close = (): void => {
    open?.reader.close();
    open = undefined;
  };
  return {
    dir,
    withReader<T>(fn: (reader: JournalReader) => T): T {
      const now = stamp();
      if (open === undefined || open.stamp !== now || now === '') {
        close();
        open = { reader: JournalReader.open(dir), stamp: now };
      }
      return fn(open.reader);
    },
    close,
  };
}

interface RunStartPayload {
  readonly config?: {
    readonly mode?: string;
    readonly seed?: number;
    readonly agents?: ReadonlyArray<{ id: string; type: string; config?: unknown }>;
  };
}

function runStart(reader: JournalReader): RunStartPayload {
  const r = reader.first([EVENTS.runStart.name]);
  return (r?.payload ?? {}) as RunStartPayload;
}

function halted(reader: JournalReader): boolean {
  const last = reader.last([EVENTS.riskHalt.name, EVENTS.riskResume.name]);
  return last?.type === EVENTS.riskHalt.name;
}

/** The last state each breaker reached, from its journaled transitions. */
function breakers(reader: JournalReader): BreakerView[] {
  const byKey = new Map<string, BreakerView>();
  for (const r of reader.records([EVENTS.riskBreaker.name])) {
    const p = (r.payload ?? {}) as Record<string, unknown>;
    const breaker = String(p.breaker ?? '');
    const scope = String(p.scope ?? '');
    const key = `${breaker}\u0000${scope}`;
    const to = String(p.to ?? p.state ?? '');
    const before = byKey.get(key);
    byKey.set(key, {
      breaker,
      scope,
      state: to,
      reason: String(p.reason ?? ''),
      trips: (before?.trips ?? 0) + (to === 'OPEN' ? 1 : 0),
    });
  }
  return [...byKey.values()];
}

function limitUses(reader: JournalReader, gross: number, net: number, drawdown: number): LimitUse[] {
  const chain = reader.first([EVENTS.riskChain.name])?.payload as
    | { limits?: Record<string, unknown> }
    | undefined;
  const limits = chain?.limits ?? {};
  const num = (v: unknown): number | null => {
    const n = typeof v === 'string' ? Number(v) : v;
    return typeof n === 'number' && Number.isFinite(n) ? n : null;
  };
  const use = (name: string, used: number, limit: number | null): LimitUse => ({
    name,
    used,
    limit,
    fraction: limit === null || limit === 0 ? null : used / limit,
  });
  return [
    use('maxGrossExposure', gross, num(limits.maxGrossExposure)),
    use('maxNetExposure', Math.abs(net), num(limits.maxNetExposure)),
    use('maxDrawdown', drawdown, num(limits.maxDrawdown)),
  ];
}

/** Everything a journal says about its desk, read again whenever the journal's head moves. */
export function journalDeskView(source: JournalSource): DeskView {
  const memo = new Map<string, { hash: string; value: unknown }>();
  const cached = <T>(name: string, fn: (reader: JournalReader) => T): T =>
    source.withReader((reader) => {
      const hash = reader.head().hash;
      const hit = memo.get(name);
      if (hit !== undefined && hit.hash === hash) return hit.value as T;
      const value = fn(reader);
      memo.set(name, { hash, value });
      return value;
    });
  return {
    status: () => cached('status', statusOf),
    risk: () =>
      cached('risk', (reader): RiskView => {
        const p = latestPortfolio(reader);
        const isHalted = halted(reader);
        return {
          tradingState: isHalted ? 'HALTED' : 'ACTIVE',
          halted: isHalted,
          equity: p?.equity ?? 0,
          peakEquity: p?.peakEquity ?? 0,
          drawdown: p?.drawdown ?? 0,
          dailyPnl: p?.dailyPnl ?? 0,
          grossExposure: p?.grossExposure ?? 0,
          netExposure: p?.netExposure ?? 0,
          // The journal keeps no VaR figure; a live desk's view reads its risk engine's.
          valueAtRisk: null,
          var: null,
          limits: limitUses(reader, p?.grossExposure ?? 0, p?.netExposure ?? 0, p?.drawdown ?? 0),
          breakers: breakers(reader),
        };
      }),
    strategies: () =>
      cached('strategies', (reader): StrategyView[] =>
        (runStart(reader).config?.agents ?? []).map((a) => ({
          id: a.id,
          type: a.type,
          config: a.config ?? {},
        })),
      ),
    denials: () =>
      cached('denials', (reader) => {
        const out: Record<string, number> = {};
        for (const r of reader.records([EVENTS.orderDenied.name])) {
          const code = String((r.payload as { denial?: { code?: unknown } })?.denial?.code ?? 'UNKNOWN');
          out[code] = (out[code] ?? 0) + 1;
        }
        return out;
      }),
  };
}

function statusOf(reader: JournalReader): DeskStatus {
  const start = runStart(reader);
  const first = reader.first([EVENTS.market.name]);
  const last = reader.last([EVENTS.market.name]);
  const simulatedMs = first !== undefined && last !== undefined ? last.ts - first.ts : 0;
  const decisions = listDecisions(reader);
  const byAgent = new Map<string, { decisions: number; trust: number }>();
  for (const d of decisions) {
    const a = byAgent.get(d.agentId) ?? { decisions: 0, trust: d.trust };
    byAgent.set(d.agentId, { decisions: a.decisions + 1, trust: d.trust });
  }
  const ended = reader.last([EVENTS.runEnd.name]) !== undefined;
  const states = new Map<string, LifecycleState>();
  const failures = new Map<string, number>();
  for (const r of reader.records([EVENTS.agentState.name, EVENTS.agentFailed.name])) {
    const p = (r.payload ?? {}) as { agentId?: unknown; to?: unknown };
    if (typeof p.agentId !== 'string') continue;
    if (r.type === EVENTS.agentFailed.name) failures.set(p.agentId, (failures.get(p.agentId) ?? 0) + 1);
    else if (isLifecycleState(p.to)) states.set(p.agentId, p.to);
  }
  const agents: AgentSummary[] = (start.config?.agents ?? []).map((a) => ({
    id: a.id,
    type: a.type,
    status: states.get(a.id) ?? (ended ? 'STOPPED' : 'RUNNING'),
    decisions: byAgent.get(a.id)?.decisions ?? 0,
    trust: byAgent.get(a.id)?.trust ?? 1,
    // Attributed PnL is the portfolio's (a live desk view has it); the journal view leaves it out.
    pnl: 0,
    fees: 0,
    trades: 0,
    failures: failures.get(a.id) ?? 0,
  }));
  const portfolio = latestPortfolio(reader);
  const isHalted = halted(reader);
  return {
    mode: start.config?.mode ?? 'unknown',
    seed: start.config?.seed ?? 0,
    status: ended ? 'STOPPED' : 'RUNNING',
    simulatedMs,
    wallMs: 0,
    marketEvents: reader.count(EVENTS.market.name),
    triggers: reader.count(EVENTS.trigger.name),
    decisions: decisions.length,
    decisionsPerSec: simulatedMs > 0 ? (decisions.length * 1000) / simulatedMs : 0,
    orders: reader.count(EVENTS.orderSubmitted.name),
    denied: reader.count(EVENTS.orderDenied.name),
    rejected: reader.count(EVENTS.orderRejected.name),
    fills: reader.count(EVENTS.orderFilled.name),
    pnl: portfolio === undefined ? 0 : portfolio.realizedPnl + portfolio.unrealizedPnl,
    tradingState: isHalted ? 'HALTED' : 'ACTIVE',
    halts: reader.count(EVENTS.riskHalt.name),
    breakerTrips: breakers(reader).reduce((n, b) => n + b.trips, 0),
    positions: (portfolio?.positions ?? []).map((p) => ({
      instrumentId: p.instrumentId,
      quantity: p.quantity,
    })),
    agents,
    venues: [],
    recent: [],
  };
}
