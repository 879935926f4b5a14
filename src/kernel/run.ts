/**
 * Running a desk: the sandbox loop (synthetic market, simulated venues, simulated
 * clock paced against real time by --speed), resume after a crash, and replay.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentDefinition } from '../agents/contract.ts';
import { ConcordError, LiveClock, monotonicMs, SimulatedClock } from '../core/index.ts';
import { JOURNAL_FILE, JournalReader, SqliteJournal } from '../journal/index.ts';
import type { MarketEvent } from '../model/index.ts';
import { SimulatedVenue, SyntheticMarket } from '../venues/index.ts';
import { COMPACTED_RECORD, type CompactedRecord } from './compact.ts';
import { type DeskConfig, parseDeskConfig, startTimeMs } from './config.ts';
import { ControlChannel, type HaltRequest, type ResumeRequest } from './control.ts';
import { type Checkpoint, Desk, sortedEntries } from './desk.ts';
import { liveSummaryOf, parseShadowConfig, ShadowSession, shadowDeskConfig } from './shadow.ts';
import { validateDeskConfig } from './validate.ts';

export interface RunOptions {
  readonly config: DeskConfig;
  /** Simulated time to run; Infinity = until aborted. */
  readonly durationMs: number;
  /** Multiple of real time; Infinity = as fast as possible. */
  readonly speed: number;
  readonly live?: boolean;
  readonly signal?: AbortSignal;
  readonly onStatus?: (status: DeskStatus) => void;
  readonly onEvent?: ((text: string) => void) | undefined;
  /** Agent types beyond the built-in library (embedding, tests). */
  readonly agentDefinitions?: readonly AgentDefinition<unknown>[];
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

export interface RunSummary extends Omit<DeskStatus, 'recent' | 'decisionsPerSec'> {
  readonly journalHash: string;
  readonly journalDir: string;
  readonly records: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly fees: number;
  readonly resumed?: { fromSeq: number; crashed: boolean };
}

/** Inputs of a run, as journaled: what replay feeds back. */
interface RunStart {
  /** The run's config, without `journal.dir`. */
  readonly config: Omit<DeskConfig, 'journal'> & { journal: Omit<DeskConfig['journal'], 'dir'> };
  readonly startTs: number;
  readonly version: 1;
}

function buildSandbox(config: DeskConfig, clock: SimulatedClock, seed: number, startTs: number) {
  const market = new SyntheticMarket({ seed, startTs, tickMs: config.market.tickMs });
  const instruments = market.instruments();
  const venueIds = [...new Set(instruments.map((i) => i.venue))];
  const venues = venueIds.map(
    (id) =>
      new SimulatedVenue({
        id,
        clock,
        instruments: instruments.filter((i) => i.venue === id),
        balances: Object.fromEntries(sortedEntries(config.venues.balances)),
        latencyMs: config.venues.latencyMs,
      }),
  );
  return { market, instruments, venues };
}

function assertModeAllowed(config: DeskConfig, live: boolean): void {
  if (config.mode === 'live' && !(config.live.enabled && live)) {
    throw new ConcordError(
      'CONCORD_ERR_LIVE_NOT_ENABLED',
      'live trading needs live.enabled: true in the config AND --live on the command line',
      {
        details: { configEnabled: config.live.enabled, flag: live },
      },
    );
  }
  if (config.mode !== 'sandbox') {
    throw new ConcordError(
      'CONCORD_ERR_MODE_UNSUPPORTED',
      `mode "${config.mode}" is not implemented yet; use "sandbox" (or concord replay)`,
      {
        details: { mode: config.mode },
      },
    );
  }
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

function summarize(desk: Desk, wallMs: number, simulatedMs: number): DeskStatus {
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

/** Runs the sandbox desk until the duration elapses or the signal aborts; resumes an existing journal. */
export async function runDesk(options: RunOptions): Promise<RunSummary> {
  const { config } = options;
  assertModeAllowed(config, options.live === true);
  validateDeskConfig(config, 'config', options.agentDefinitions);
  // What a previous run left, read before the writer takes its exclusive lock.
  const previous = readResumePoint(config.journal.dir);
  // A simulated desk needs its journal to survive the process being killed (WAL + NORMAL does);
  // FULL (an fsync per batch, surviving power loss) is for desks whose orders reach real venues.
  const journal = SqliteJournal.open(config.journal.dir, {
    batchSize: config.journal.maxBatch * 4,
    synchronous: config.mode === 'sandbox' ? 'NORMAL' : 'FULL',
  });
  const wall = new LiveClock();
  const wallStart = monotonicMs();
  try {
    const head = journal.head();
    let startTs = startTimeMs(config);
    let checkpoint: Checkpoint | undefined;
    let resumed: RunSummary['resumed'];
    let runConfig = config;
    let resumeCount = 0;
    if (head.seq > 0) {
      if (previous?.start === undefined) {
        throw new ConcordError(
          'CONCORD_ERR_JOURNAL_CORRUPT',
          'journal has records but no run.start record; cannot resume',
          {
            details: { dir: config.journal.dir },
          },
        );
      }
      const start = previous.start;
      runConfig = parseDeskConfig({ ...start.config, journal: config.journal }, 'journal run.start');
      checkpoint = previous.checkpoint;
      startTs = (checkpoint?.ts ?? start.startTs) + runConfig.market.tickMs;
      resumed = { fromSeq: head.seq, crashed: journal.recovery.crashed };
      resumeCount = previous.resumes + 1;
    }
    const clock = new SimulatedClock(startTs);
    const seed = (runConfig.seed + resumeCount * 0x9e3779b1) >>> 0;
    const sandbox = buildSandbox(runConfig, clock, seed, startTs);
    const desk = new Desk({
      config: runConfig,
      clock,
      journal,
      venues: sandbox.venues,
      instruments: sandbox.instruments,
      onEvent: options.onEvent,
      agentDefinitions: options.agentDefinitions,
      checkpoint,
    });
    if (resumed !== undefined) {
      desk.record('run.resumed', {
        fromSeq: head.seq,
        crashed: journal.recovery.crashed,
        checkpointTs: checkpoint?.ts ?? null,
        seed,
        startTs,
        ...restoredState(desk),
      });
    } else {
      // Where the journal lives is not part of the run: two runs in two directories hash alike.
      const { dir: _dir, ...journalSettings } = runConfig.journal;
      desk.record('run.start', {
        config: { ...runConfig, journal: journalSettings },
        startTs,
        version: 1,
      } satisfies RunStart);
    }
    await desk.start();
    // Operators reach a running desk through files in <journal>/control (concord halt / resume).
    const control = new ControlChannel(config.journal.dir, {
      onRejected: (rejected) => desk.record('control.rejected', rejected),
    });
    const controlHandlers = {
      halt: (r: HaltRequest) =>
        desk.halt({
          reason: r.reason,
          flatten: r.flatten,
          ...(r.operator === undefined ? {} : { operator: r.operator }),
        }),
      resume: (r: ResumeRequest) => desk.resume({ operator: r.operator, reason: r.reason }),
      tradingState: () => desk.tradingState(),
    };
    const shadow = parseShadowConfig(runConfig.shadow);
    const session = shadow.enabled
      ? new ShadowSession({
          id: `shadow-${startTs}`,
          config: shadowDeskConfig(runConfig, shadow.candidates),
          clock,
          instruments: sandbox.instruments,
          journalDir: config.journal.dir,
          recordLive: (type, payload) => desk.record(type, payload),
          ...(options.agentDefinitions === undefined ? {} : { agentDefinitions: options.agentDefinitions }),
        })
      : undefined;
    await session?.start();
    const simStart = clock.now();
    // Durable before visible: the status handed out (fills, orders, PnL, positions) is the one
    // taken at the last commit, which a crash cannot take back; only the trading state is live
    // (a halt is shown at once). Taken at most every 100 ms of wall time.
    let durableStatus: DeskStatus | undefined;
    let lastCapture = Number.NEGATIVE_INFINITY;
    if (options.onStatus !== undefined) {
      desk.onCommit(() => {
        const wallElapsed = monotonicMs() - wallStart;
        if (wallElapsed - lastCapture < 100) return;
        lastCapture = wallElapsed;
        durableStatus = summarize(desk, wallElapsed, clock.now() - simStart);
      });
    }
    let lastStatus = 0;
    let steps = 0;
    while (!options.signal?.aborted && clock.now() - simStart < options.durationMs) {
      await control.handle(controlHandlers);
      const events = sandbox.market.next();
      for (const e of events) {
        const pending = desk.step(e);
        if (pending !== undefined) await pending;
        const shadowPending = session?.onMarketEvent(e);
        if (shadowPending !== undefined) await shadowPending;
      }
      steps++;
      const wallElapsed = monotonicMs() - wallStart;
      if (Number.isFinite(options.speed)) {
        const wait = (clock.now() - simStart) / options.speed - wallElapsed;
        if (wait > 1) await wall.sleep(wait);
      } else if (steps % 32 === 0) {
        await wall.sleep(0); // let signals and the panel run
      }
      if (wallElapsed - lastStatus >= 100 && durableStatus !== undefined) {
        lastStatus = wallElapsed;
        options.onStatus?.({ ...durableStatus, tradingState: desk.tradingState() });
      }
    }
    if (session !== undefined) {
      session.evaluatePromotion(shadow.promotion, liveSummaryOf(desk));
      await session.stop(liveSummaryOf(desk));
    }
    desk.record('run.end', {
      reason: options.signal?.aborted ? 'interrupted' : 'duration',
      counters: desk.counters,
    });
    desk.flush();
    await desk.stop();
    const status = summarize(desk, monotonicMs() - wallStart, clock.now() - simStart);
    options.onStatus?.(status);
    const { recent: _recent, decisionsPerSec: _dps, ...rest } = status;
    const finalHead = journal.head();
    return {
      ...rest,
      journalHash: finalHead.hash,
      journalDir: config.journal.dir,
      records: finalHead.seq,
      realizedPnl: desk.portfolio.realizedExact().toNumber(),
      unrealizedPnl: desk.portfolio.unrealizedPnl(),
      fees: desk.portfolio.feesExact().toNumber(),
      ...(resumed === undefined ? {} : { resumed }),
    };
  } finally {
    journal.close();
  }
}

/** What a resumed desk restored, journaled so a test (or an auditor) can compare it with the checkpoint. */
function restoredState(desk: Desk): { positions: unknown; trust: unknown } {
  const cp = desk.checkpoint();
  return {
    positions: (cp.portfolio as { positions: unknown }).positions,
    trust: (cp.orchestrator as { trust: unknown }).trust,
  };
}

function readResumePoint(
  dir: string,
): { start?: RunStart; checkpoint?: Checkpoint; resumes: number } | undefined {
  if (!existsSync(join(dir, JOURNAL_FILE))) return undefined;
  const reader = JournalReader.open(dir);
  try {
    const start = reader.last(['run.start'])?.payload as RunStart | undefined;
    const checkpoint = reader.last(['checkpoint'])?.payload as Checkpoint | undefined;
    // A compacted journal counts the restarts before its cut, so the next seed is the one it would have been.
    const compacted = reader.last([COMPACTED_RECORD])?.payload as CompactedRecord | undefined;
    return {
      ...(start === undefined ? {} : { start }),
      ...(checkpoint === undefined ? {} : { checkpoint }),
      resumes: reader.count('run.resumed') + (compacted?.resumes ?? 0),
    };
  } finally {
    reader.close();
  }
}

export interface ReplayResult {
  readonly ok: boolean;
  readonly records: number;
  readonly originalHash: string;
  readonly replayHash: string;
  readonly message: string;
  readonly firstDivergence?: { seq: number; originalType: string; replayType: string };
}

/**
 * Re-runs a journal's inputs (run starts and resumes, market events, missed agent
 * deadlines) through fresh kernels and compares the resulting journal record by record.
 */
export async function replayJournal(
  dir: string,
  options: { outDir?: string; agentDefinitions?: readonly AgentDefinition<unknown>[] } = {},
): Promise<ReplayResult> {
  const original = JournalReader.open(dir);
  const scratch = options.outDir ?? mkdtempSync(join(tmpdir(), 'concord-replay-'));
  const replay = SqliteJournal.open(scratch);
  try {
    const timeouts = new Map<string, Set<string>>();
    for (const r of original.records()) {
      if (r.type === 'agent.timeout') {
        const p = r.payload as { triggerId: string; agentId: string };
        const set = timeouts.get(p.triggerId) ?? new Set<string>();
        timeouts.set(p.triggerId, set);
        set.add(p.agentId);
      }
    }
    let desk: Desk | undefined;
    let clock: SimulatedClock | undefined;
    let config: DeskConfig | undefined;
    const newDesk = async (cfg: DeskConfig, seed: number, startTs: number, checkpoint?: Checkpoint) => {
      // A new run segment starts only after the previous process died (resume): it wrote nothing more.
      if (desk !== undefined) await desk.abandon();
      clock = new SimulatedClock(startTs);
      const sandbox = buildSandbox(cfg, clock, seed, startTs);
      desk = new Desk({
        config: cfg,
        clock,
        journal: replay,
        venues: sandbox.venues,
        instruments: sandbox.instruments,
        replayTimeouts: timeouts,
        agentDefinitions: options.agentDefinitions,
        checkpoint,
      });
      return desk;
    };
    let lastCheckpoint: Checkpoint | undefined;
    let session: ShadowSession | undefined;
    // A compacted journal opens with its cut (journal.compacted, run.start, checkpoint): copied as
    // they are, then the run goes on from the checkpoint at the next run.resumed.
    let seeding = false;
    for (const r of original.records()) {
      if (seeding && (r.type === 'run.start' || r.type === 'checkpoint')) {
        if (r.type === 'run.start') {
          const p = r.payload as RunStart;
          config = parseDeskConfig(
            { ...p.config, journal: { ...p.config.journal, dir } },
            'journal run.start',
          );
        } else lastCheckpoint = r.payload as Checkpoint;
        replay.append(r.type, r.ts, r.payload);
        continue;
      }
      switch (r.type) {
        case COMPACTED_RECORD:
          if (r.seq !== 1) throw replayError(`${COMPACTED_RECORD} after the first record`, r.seq);
          seeding = true;
          replay.append(r.type, r.ts, r.payload);
          break;
        case 'run.start': {
          const p = r.payload as RunStart;
          config = parseDeskConfig(
            { ...p.config, journal: { ...p.config.journal, dir } },
            'journal run.start',
          );
          const d = await newDesk(config, config.seed, p.startTs);
          d.record('run.start', p);
          await d.start();
          break;
        }
        case 'run.resumed': {
          if (config === undefined) throw replayError('run.resumed before run.start', r.seq);
          seeding = false;
          const p = r.payload as { seed: number; startTs: number };
          const d = await newDesk(config, p.seed, p.startTs, lastCheckpoint);
          d.record('run.resumed', r.payload);
          await d.start();
          break;
        }
        case 'market':
          if (desk === undefined) throw replayError('market event before run.start', r.seq);
          {
            const pending = desk.step(r.payload as MarketEvent);
            if (pending !== undefined) await pending;
            const shadowPending = session?.onMarketEvent(r.payload as MarketEvent);
            if (shadowPending !== undefined) await shadowPending;
          }
          break;
        case 'shadow.started': {
          // The shadow session is rebuilt as the recorded run built it; its own journal goes to scratch.
          if (desk === undefined || config === undefined || clock === undefined)
            throw replayError('shadow session before run.start', r.seq);
          const shadow = parseShadowConfig(config.shadow);
          const live = desk;
          session = new ShadowSession({
            id: (r.payload as { sessionId: string }).sessionId,
            config: shadowDeskConfig(config, shadow.candidates),
            clock,
            instruments: live.instrumentList(),
            journalDir: scratch,
            recordLive: (type, payload) => live.record(type, payload),
            ...(options.agentDefinitions === undefined ? {} : { agentDefinitions: options.agentDefinitions }),
          });
          await session.start();
          break;
        }
        case 'checkpoint':
          lastCheckpoint = r.payload as Checkpoint;
          break;
        case 'risk.halt': {
          // An operator's halt is an input: it happened between two market events, and so it does here.
          const p = r.payload as { reason: string; flatten: boolean; operator: string | null };
          await desk?.halt({
            reason: p.reason,
            flatten: p.flatten,
            ...(p.operator === null ? {} : { operator: p.operator }),
          });
          break;
        }
        case 'risk.resume': {
          const p = r.payload as { operator: string; reason: string };
          desk?.resume({ operator: p.operator, reason: p.reason });
          break;
        }
        case 'run.end':
          if (session !== undefined && desk !== undefined && config !== undefined) {
            session.evaluatePromotion(parseShadowConfig(config.shadow).promotion, liveSummaryOf(desk));
            await session.stop(liveSummaryOf(desk));
            session = undefined;
          }
          if (desk !== undefined) {
            // As the recorded process did: end record, final durable batch, then a clean stop.
            desk.record('run.end', {
              reason: (r.payload as { reason: string }).reason,
              counters: desk.counters,
            });
            desk.flush();
            await desk.stop();
            desk = undefined;
          }
          break;
        default:
          break;
      }
    }
    // A journal whose last segment has no run.end was cut by a crash: that process never stopped.
    if (desk !== undefined) await desk.abandon();
    replay.flush();
    const a = original.head();
    const b = replay.head();
    if (a.hash === b.hash && a.seq === b.seq) {
      return {
        ok: true,
        records: a.seq,
        originalHash: a.hash,
        replayHash: b.hash,
        message: 'replay reproduced the journal hash',
      };
    }
    const divergence = firstDivergence(original, replay);
    return {
      ok: false,
      records: a.seq,
      originalHash: a.hash,
      replayHash: b.hash,
      message: divergence
        ? `replay diverges at record ${divergence.seq}: original ${divergence.originalType}, replay ${divergence.replayType}`
        : `replay produced ${b.seq} records, the journal has ${a.seq}`,
      ...(divergence === undefined ? {} : { firstDivergence: divergence }),
    };
  } finally {
    original.close();
    replay.close();
    if (options.outDir === undefined) rmSync(scratch, { recursive: true, force: true });
  }
}

function firstDivergence(a: JournalReader, b: SqliteJournal): ReplayResult['firstDivergence'] {
  const ib = b.records();
  for (const ra of a.records()) {
    const rb = ib.next();
    if (rb.done) return { seq: ra.seq, originalType: ra.type, replayType: '(none)' };
    if (rb.value.hash !== ra.hash) return { seq: ra.seq, originalType: ra.type, replayType: rb.value.type };
  }
  return undefined;
}

function replayError(message: string, seq: number): ConcordError {
  return new ConcordError('CONCORD_ERR_REPLAY', `cannot replay: ${message} (record ${seq})`, {
    details: { seq },
  });
}
