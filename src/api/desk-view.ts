/**
 * Views over a live desk for the API: its status, risk and strategies read from the desk's own
 * state (cheap reads, nothing journaled), and its journal read through the writer's connection.
 * A session runner builds these and hands them to `createApiServer` with its command port.
 */
import { EVENTS } from '../bus/index.ts';
import { ConcordError } from '../core/index.ts';
import type { Journal, JournalReader } from '../journal/index.ts';
import { applyCommand, type Desk, type DeskCommand, type DeskStatus, deskStatus } from '../kernel/index.ts';
import type { CommandSink, DeskView, JournalSource, LimitUse, RiskView } from './view.ts';

export interface LiveDeskViewOptions {
  /** Milliseconds the desk has run on the wall clock (the runner knows when it started). */
  readonly wallMs?: () => number;
  /** Simulated time since the run started (default: the desk clock minus its time at creation). */
  readonly simulatedMs?: () => number;
  /** Where denials by code are read from (incrementally, `order.denied` records only). */
  readonly journal?: JournalSource;
}

function limitUse(name: string, used: number, limit: number | null): LimitUse {
  return { name, used, limit, fraction: limit === null || limit === 0 ? null : used / limit };
}

/** A desk view over a running desk. */
export function liveDeskView(desk: Desk, options: LiveDeskViewOptions = {}): DeskView {
  const createdAt = desk.clock.now();
  const simulated = options.simulatedMs ?? (() => desk.clock.now() - createdAt);
  const denials = new Map<string, number>();
  let deniedSeq = 0;
  const readDenials = (): Record<string, number> => {
    options.journal?.withReader((reader) => {
      for (const r of reader.records([EVENTS.orderDenied.name], { fromSeq: deniedSeq + 1 })) {
        const code = String((r.payload as { denial?: { code?: unknown } })?.denial?.code ?? 'UNKNOWN');
        denials.set(code, (denials.get(code) ?? 0) + 1);
        deniedSeq = r.seq;
      }
    });
    return Object.fromEntries(denials);
  };
  return {
    status(): DeskStatus {
      // The kernel's one status view; a copy of the recent lines, so a response never aliases the desk's.
      const status = deskStatus(desk, options.wallMs?.() ?? 0, simulated());
      return { ...status, recent: [...status.recent] };
    },
    risk(): RiskView {
      const m = desk.portfolio.metrics();
      const limits = desk.risk.limits();
      const gross = desk.portfolio.grossExposure();
      const net = desk.portfolio.netExposure();
      const drawdown = m?.drawdown ?? 0;
      const v = desk.risk.valueAtRisk();
      return {
        tradingState: desk.tradingState(),
        halted: desk.isHalted() || desk.tradingState() === 'HALTED',
        equity: desk.portfolio.equity(),
        peakEquity: m?.peakEquity ?? desk.portfolio.equity(),
        drawdown,
        dailyPnl: desk.portfolio.dailyPnl(),
        grossExposure: gross,
        netExposure: net,
        valueAtRisk: v.value,
        var: {
          historical: v.historical,
          parametric: v.parametric,
          method: v.method,
          confidence: v.confidence,
          horizonMs: v.horizonMs,
          samples: v.samples,
          windowSamples: v.windowSamples,
          limit: v.limit,
        },
        limits: [
          limitUse('maxGrossExposure', gross, limits.maxGrossExposure),
          limitUse('maxNetExposure', Math.abs(net), limits.maxNetExposure),
          limitUse('maxDrawdown', drawdown, limits.maxDrawdown),
          limitUse('maxDailyLoss', Math.max(0, -desk.portfolio.dailyPnl()), limits.maxDailyLoss),
        ],
        breakers: desk.breakers.status().map((b) => ({ ...b })),
      };
    },
    strategies: () => desk.config.agents.map((a) => ({ id: a.id, type: a.type, config: a.config ?? {} })),
    denials: readDenials,
    agentTimings: () => desk.timings.snapshot(),
    busQueueDepth: () => desk.bus.queueDepth(),
    intents: () => desk.observed.intents,
    version: () => {
      const c = desk.counters;
      return `${c.marketEvents}|${c.decisions}|${c.orders}|${c.fills}|${c.denied}|${c.halts}|${desk.tradingState()}|${desk.isHalted()}`;
    },
  };
}

/** Reads through the desk's journal writer (it holds the journal's lock); `dir` is only reported. */
export function liveJournalSource(
  journal: Journal & { reader(): JournalReader },
  dir: string,
): JournalSource {
  return {
    dir,
    withReader: (fn) => fn(journal.reader()),
    pending: () => journal.pendingCount(),
  };
}

/**
 * The API's commands through the kernel's command port (`applyCommand`): one handler for every
 * channel, journaled as `control.command` with the operator's name and key id. A refusal or a
 * failure becomes the ConcordError the server answers with (409 and its code).
 */
export function deskCommandSink(desk: Desk): CommandSink {
  let sequence = 0;
  return {
    async submit(c) {
      const operator = `${c.operator.name} (key ${c.operator.keyId})`;
      const command: DeskCommand =
        c.kind === 'halt'
          ? { kind: 'halt', reason: c.reason, flatten: c.flatten, operator }
          : c.kind === 'simulation'
            ? { kind: 'simulation', enabled: c.enabled, reason: c.reason, operator }
            : c.kind === 'agent'
              ? { kind: 'agent', agentId: c.agentId, action: c.action, reason: c.reason, operator }
              : { kind: 'resume', reason: c.reason, operator };
      const result = await applyCommand(desk, command, { channel: 'api', requestId: `api-${++sequence}` });
      if (!result.ok)
        throw new ConcordError(
          (result.code ?? 'CONCORD_ERR_INTERNAL') as `CONCORD_ERR_${string}`,
          result.message,
          {
            details: {
              command: c.kind,
              tradingState: result.tradingState,
              ...(c.kind === 'agent' ? { agentId: c.agentId, action: c.action } : {}),
            },
          },
        );
    },
  };
}
