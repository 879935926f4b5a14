/**
 * Running a desk: the sandbox loop (synthetic market, simulated venues, simulated
 * clock paced against real time by --speed), resume after a crash, and replay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentDefinition } from '../agents/contract.ts';
import { EVENTS, type EventPayload, parsePayload } from '../bus/index.ts';
import { ControlChannel, type HaltRequest, type ResumeRequest } from '../control/file-channel.ts';
import { ConcordError, LiveClock, monotonicMs, SimulatedClock } from '../core/index.ts';
import { JournalReader, type JournalRecord, SqliteJournal, type VerifyProgress } from '../journal/index.ts';
import type { CompactedRecord } from '../kernel/compact.ts';
import { type DeskConfig, parseDeskConfig, startTimeMs } from '../kernel/config.ts';
import { type Checkpoint, Desk, sortedEntries } from '../kernel/desk.ts';
import { parseShadowConfig, shadowDeskConfig } from '../kernel/shadow-config.ts';
import { type AgentSummary, agentSummaries, type DeskStatus, lifecycleStatus } from '../kernel/status.ts';
import { validateDeskConfig } from '../kernel/validate.ts';
import type { MarketEvent } from '../model/index.ts';
import { SimulatedVenue, SyntheticMarket } from '../venues/index.ts';
import { liveSummaryOf, ShadowSession } from './shadow.ts';

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
  /** Told how far the verification of an existing journal's chain has got before resuming. */
  readonly onVerifyProgress?: VerifyProgress;
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

function summarize(desk: Desk, wallMs: number, simulatedMs: number): DeskStatus {
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

/** Runs the sandbox desk until the duration elapses or the signal aborts; resumes an existing journal. */
export async function runDesk(options: RunOptions): Promise<RunSummary> {
  const { config } = options;
  assertModeAllowed(config, options.live === true);
  validateDeskConfig(config, 'config', options.agentDefinitions);
  // A simulated desk needs its journal to survive the process being killed (WAL + NORMAL does);
  // FULL (an fsync per batch, surviving power loss) is for desks whose orders reach real venues.
  // Opening verifies the whole chain and takes the lock: a broken or busy journal stops here,
  // with nothing appended.
  const journal = SqliteJournal.open(config.journal.dir, {
    batchSize: config.journal.maxBatch * 4,
    synchronous: config.mode === 'sandbox' ? 'NORMAL' : 'FULL',
    ...(options.onVerifyProgress === undefined ? {} : { onVerifyProgress: options.onVerifyProgress }),
  });
  const wall = new LiveClock();
  const wallStart = monotonicMs();
  try {
    // What a previous run left, read through the writer's connection from the chain it verified.
    const previous = readResumePoint(journal);
    const head = journal.head();
    let startTs = startTimeMs(config);
    let checkpoint: Checkpoint | undefined;
    let resumed: RunSummary['resumed'];
    let runConfig = config;
    let resumeCount = 0;
    if (head.seq > 0) {
      if (previous.start === undefined) {
        // The chain verified: this is a journal, just not a desk's (a backtest's, a tool's).
        throw new ConcordError(
          'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL',
          `the journal in ${config.journal.dir} has ${head.seq} records but no run.start record: it was not written by a desk, so there is nothing to resume; use another --journal directory`,
          {
            details: { dir: config.journal.dir, kind: 'not-a-desk-journal', records: head.seq },
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
      desk.record(EVENTS.runResumed, {
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
      desk.record(EVENTS.runStart, {
        config: { ...runConfig, journal: journalSettings },
        startTs,
        version: 1,
      } satisfies RunStart);
    }
    await desk.start();
    // Operators reach a running desk through files in <journal>/control (concord halt / resume).
    const control = new ControlChannel(config.journal.dir, {
      onRejected: (rejected) => desk.record(EVENTS.controlRejected, rejected),
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
          recordLive: (event, payload) => desk.record(event, payload),
          ...(options.agentDefinitions === undefined ? {} : { agentDefinitions: options.agentDefinitions }),
        })
      : undefined;
    await session?.start();
    const simStart = clock.now();
    // Durable before visible: the status handed out (fills, orders, PnL, positions) is the one
    // taken at the last commit, which a crash cannot take back; the trading state and the
    // lifecycle statuses are live (a halt or a failure is shown at once). Taken at most every
    // 100 ms of wall time.
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
        // Behind real time (a loaded machine) it never waits: still let signals and timers in.
        else if (steps % 32 === 0) await wall.sleep(0);
      } else if (steps % 32 === 0) {
        await wall.sleep(0); // let signals and the panel run
      }
      if (wallElapsed - lastStatus >= 100 && durableStatus !== undefined) {
        lastStatus = wallElapsed;
        options.onStatus?.({ ...durableStatus, ...lifecycleStatus(desk), tradingState: desk.tradingState() });
      }
    }
    if (session !== undefined) {
      session.evaluatePromotion(shadow.promotion, liveSummaryOf(desk));
      await session.stop(liveSummaryOf(desk));
    }
    desk.record(EVENTS.runEnd, {
      reason: options.signal?.aborted ? 'interrupted' : 'duration',
      counters: desk.counters,
    });
    desk.flush();
    await desk.stop();
    for (const venue of sandbox.venues) venue.stop('run ended');
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

function readResumePoint(journal: SqliteJournal): {
  start?: RunStart;
  checkpoint?: Checkpoint;
  resumes: number;
} {
  const reader = journal.reader();
  try {
    const start = reader.last([EVENTS.runStart.name])?.payload as RunStart | undefined;
    const checkpoint = reader.last([EVENTS.checkpoint.name])?.payload as Checkpoint | undefined;
    // A compacted journal counts the restarts before its cut, so the next seed is the one it would have been.
    const compacted = reader.last([EVENTS.journalCompacted.name])?.payload as CompactedRecord | undefined;
    return {
      ...(start === undefined ? {} : { start }),
      ...(checkpoint === undefined ? {} : { checkpoint }),
      resumes: reader.count(EVENTS.runResumed.name) + (compacted?.resumes ?? 0),
    };
  } finally {
    reader.close();
  }
}

/**
 * The journal records that carry an input of a sandbox run (something that happened TO the desk,
 * not something it computed), with how replay feeds each back. The one list of them: replay's
 * handler table is typed by it, and the tests generate every entry and replay it.
 */
export const REPLAY_INPUTS = {
  [EVENTS.runStart.name]: 'a fresh desk from the journaled config and start time',
  [EVENTS.runResumed.name]:
    "a fresh desk from the last checkpoint, with the resumed segment's seed and start time",
  [EVENTS.journalCompacted.name]:
    "a compacted journal's cut: it, and the run.start and checkpoint after it, are copied as they are",
  [EVENTS.market.name]: 'stepped through the desk (and the shadow session, if any)',
  [EVENTS.agentTimeout.name]: 'the same agent misses the same deadline; nobody else misses one',
  [EVENTS.shadowStarted.name]: 'the shadow session is rebuilt as the run built it',
  [EVENTS.checkpoint.name]:
    'kept as the state the next run.resumed restores (the record itself is recomputed)',
  [EVENTS.riskHalt.name]: "the operator's halt, applied between the same two market events",
  [EVENTS.riskResume.name]: "the operator's resume, likewise",
  [EVENTS.controlRejected.name]: 'the rejected control file, journaled again at the same point',
  [EVENTS.runEnd.name]: 'the end record, the final durable batch and a clean stop',
} as const satisfies Record<string, string>;

export type ReplayInputType = keyof typeof REPLAY_INPUTS;

export function isReplayInput(type: string): type is ReplayInputType {
  return Object.hasOwn(REPLAY_INPUTS, type);
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
 * Re-runs a journal's inputs (REPLAY_INPUTS: run starts and resumes, market events, missed agent
 * deadlines, operator halts and resumes, rejected control files) through fresh kernels and
 * compares the resulting journal record by record.
 */
export async function replayJournal(
  dir: string,
  options: {
    outDir?: string;
    agentDefinitions?: readonly AgentDefinition<unknown>[];
    /** Told how far the verification of the journal's chain has got before replaying it. */
    onVerifyProgress?: VerifyProgress;
  } = {},
): Promise<ReplayResult> {
  // Verifies the whole chain first: a broken journal is refused (CORRUPT), never replayed.
  const original = JournalReader.open(
    dir,
    options.onVerifyProgress === undefined ? {} : { onVerifyProgress: options.onVerifyProgress },
  );
  const scratch = options.outDir ?? mkdtempSync(join(tmpdir(), 'concord-replay-'));
  const replay = SqliteJournal.open(scratch);
  try {
    const timeouts = new Map<string, Set<string>>();
    for (const r of original.records()) {
      if (r.type === EVENTS.agentTimeout.name) {
        const p = parsePayload(EVENTS.agentTimeout, r.payload, r.seq);
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
    let seeding = false;
    const running = (what: string, seq: number): Desk => {
      if (desk === undefined)
        throw replayError(`${what} outside a run (no run.start or run.resumed before it)`, seq);
      return desk;
    };
    // Typed by REPLAY_INPUTS: an input added to the list without a way to feed it back does not compile.
    const feed: { readonly [T in ReplayInputType]: (r: JournalRecord) => Promise<void> | void } = {
      [EVENTS.runStart.name]: async (r) => {
        const p = r.payload as RunStart;
        config = parseDeskConfig({ ...p.config, journal: { ...p.config.journal, dir } }, 'journal run.start');
        const d = await newDesk(config, config.seed, p.startTs);
        d.record(EVENTS.runStart, p);
        await d.start();
      },
      [EVENTS.runResumed.name]: async (r) => {
        seeding = false;
        if (config === undefined) throw replayError('run.resumed before run.start', r.seq);
        const p = parsePayload(EVENTS.runResumed, r.payload, r.seq);
        if (!('seed' in p))
          throw replayError('run.resumed without a seed (replay re-runs sandbox journals)', r.seq);
        const d = await newDesk(config, p.seed, p.startTs, lastCheckpoint);
        d.record(EVENTS.runResumed, r.payload as EventPayload<typeof EVENTS.runResumed>);
        await d.start();
      },
      [EVENTS.market.name]: async (r) => {
        const pending = running('market event', r.seq).step(r.payload as MarketEvent);
        if (pending !== undefined) await pending;
        const shadowPending = session?.onMarketEvent(r.payload as MarketEvent);
        if (shadowPending !== undefined) await shadowPending;
      },
      // A compacted journal opens with its cut (journal.compacted, run.start, checkpoint): copied as
      // they are, then the run goes on from the checkpoint at the next run.resumed.
      [EVENTS.journalCompacted.name]: (r) => {
        if (r.seq !== 1) throw replayError(`${EVENTS.journalCompacted.name} after the first record`, r.seq);
        seeding = true;
        replay.append(r.type, r.ts, r.payload);
      },
      // Fed back inside the desk's fan-out (the `timeouts` map above), where the run met it.
      [EVENTS.agentTimeout.name]: () => undefined,
      [EVENTS.shadowStarted.name]: async (r) => {
        // The shadow session is rebuilt as the recorded run built it; its own journal goes to scratch.
        const live = running('shadow session', r.seq);
        if (config === undefined || clock === undefined)
          throw replayError('shadow session before run.start', r.seq);
        const shadow = parseShadowConfig(config.shadow);
        session = new ShadowSession({
          id: parsePayload(EVENTS.shadowStarted, r.payload, r.seq).sessionId,
          config: shadowDeskConfig(config, shadow.candidates),
          clock,
          instruments: live.instrumentList(),
          journalDir: scratch,
          recordLive: (event, payload) => live.record(event, payload),
          ...(options.agentDefinitions === undefined ? {} : { agentDefinitions: options.agentDefinitions }),
        });
        await session.start();
      },
      [EVENTS.checkpoint.name]: (r) => {
        lastCheckpoint = r.payload as Checkpoint;
      },
      // An operator's halt is an input: it happened between two market events, and so it does here.
      [EVENTS.riskHalt.name]: async (r) => {
        const p = parsePayload(EVENTS.riskHalt, r.payload, r.seq);
        await running(EVENTS.riskHalt.name, r.seq).halt({
          reason: p.reason,
          flatten: p.flatten,
          ...(p.operator === null ? {} : { operator: p.operator }),
        });
      },
      [EVENTS.riskResume.name]: (r) => {
        const p = parsePayload(EVENTS.riskResume, r.payload, r.seq);
        running(EVENTS.riskResume.name, r.seq).resume({ operator: p.operator, reason: p.reason });
      },
      // A bad file in <journal>/control is an input too: the desk journaled it between two events.
      [EVENTS.controlRejected.name]: (r) => {
        running(EVENTS.controlRejected.name, r.seq).record(
          EVENTS.controlRejected,
          r.payload as EventPayload<typeof EVENTS.controlRejected>,
        );
      },
      [EVENTS.runEnd.name]: async (r) => {
        if (session !== undefined && desk !== undefined && config !== undefined) {
          session.evaluatePromotion(parseShadowConfig(config.shadow).promotion, liveSummaryOf(desk));
          await session.stop(liveSummaryOf(desk));
          session = undefined;
        }
        if (desk !== undefined) {
          // As the recorded process did: end record, final durable batch, then a clean stop.
          desk.record(EVENTS.runEnd, {
            reason: parsePayload(EVENTS.runEnd, r.payload, r.seq).reason,
            counters: desk.counters,
          });
          desk.flush();
          await desk.stop();
          desk = undefined;
        }
      },
    };
    for (const r of original.records()) {
      if (seeding && (r.type === EVENTS.runStart.name || r.type === EVENTS.checkpoint.name)) {
        if (r.type === EVENTS.runStart.name) {
          const p = r.payload as RunStart;
          config = parseDeskConfig(
            { ...p.config, journal: { ...p.config.journal, dir } },
            'journal run.start',
          );
        } else lastCheckpoint = r.payload as Checkpoint;
        replay.append(r.type, r.ts, r.payload);
        continue;
      }
      if (isReplayInput(r.type)) await feed[r.type](r);
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
