/**
 * The session runner: one way to run a desk over a market source, for every mode (sandbox,
 * backtest, paper; shadow sessions ride along; replay uses the same pieces record by record).
 *
 *   open the journal (verifies the chain, takes the lock)
 *   → resume: last run.start + last checkpoint + the durable tail after it (src/kernel/restore.ts)
 *   → the mode builds its market side (source, venues, clock) for a new run or a resumed one
 *   → run.start | run.resumed → desk.start → commands open → ready (a mode's startup work)
 *   → loop: operator commands, next batch from the source, desk.step each event, pacing, status
 *   → before end (a mode's closing work) → run.end → flush (durable, with a checkpoint) → stop
 *
 * What a mode brings is declarative: how to build its parts, how to pace, when to stop, and a few
 * hooks. Feeding simulated venues their market is the parts' `marketTap` (the desk calls it right
 * after its books took an event), not the kernel's business. Operator commands come from a
 * `CommandSource` (the control-file channel, later the API) and go through the kernel's one
 * handler, `applyCommand`, between two steps.
 *
 * Durable before visible: the status handed to `onStatus` is taken at the desk's commits (figures
 * a crash cannot take back); only the trading state is live. A failure in the loop fails the desk
 * closed, ends the run as well as the journal allows (`run.end` with reason `failed`) and is
 * rethrown.
 */
import type { AgentDefinition } from '../agents/contract.ts';
import { EVENTS, type EventPayload } from '../bus/index.ts';
import { type Clock, ConcordError, LiveClock, monotonicMs, toConcordError } from '../core/index.ts';
import { type JournalHead, SqliteJournal, type VerifyProgress } from '../journal/index.ts';
import { applyCommand, type CommandSource } from '../kernel/commands.ts';
import { type DeskConfig, journaledConfig, parseDeskConfig } from '../kernel/config.ts';
import { Desk, type DeskOptions } from '../kernel/desk.ts';
import {
  applyTail,
  type ResumePoint,
  type RunStartRecord,
  readResumePoint,
  restoredState,
} from '../kernel/restore.ts';
import { type DeskStatus, deskStatus, lifecycleStatus } from '../kernel/status.ts';
import type { MarketBatch, MarketEvent, MarketSource, VenuePort } from '../model/index.ts';

export interface SessionJournal {
  readonly dir: string;
  /** FULL (an fsync per batch, surviving power loss; the default) or NORMAL (surviving a killed process). */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Told how far the verification of an existing journal's chain has got. */
  readonly onVerifyProgress?: VerifyProgress | undefined;
}

/** An existing run the session continues. */
export interface SessionResume {
  readonly point: ResumePoint & { readonly start: RunStartRecord };
  /** The journal's head when this process opened it. */
  readonly fromSeq: number;
  /** The journal was left by a process that did not close it. */
  readonly crashed: boolean;
}

/** What a mode's `open` is told. */
export interface SessionStart {
  /** The run's config: the given one for a new run, the journal's own (`run.start`) when resuming. */
  readonly config: DeskConfig;
  readonly journal: SqliteJournal;
  /** Set when an existing run is resumed. */
  readonly resume: SessionResume | undefined;
}

/** The market side of a session, built by its mode. */
export interface SessionParts {
  readonly clock: Clock;
  readonly source: MarketSource;
  readonly venues: readonly VenuePort[];
  /** Simulated venues fed every market event right after the desk's books took it. */
  readonly marketTap?: ((event: MarketEvent) => void) | undefined;
  /** Desk time of this segment's start, journaled in `run.start` / `run.resumed`. */
  readonly startTs: number;
  /** How the desk journals and watches this mode's data. */
  readonly deskOptions?: Pick<DeskOptions, 'journalMarketEvents' | 'watchDataHealth' | 'holdRecords'>;
  /** Fields added to `run.start` (a backtest's recordings). */
  readonly startRecord?: Pick<RunStartRecord, 'recording'>;
  /** A seeded source's seed for this segment, journaled in `run.resumed` (replay restarts the market from it). */
  readonly seed?: number;
  /** Releases what the parts hold besides the source (a connection); called last. */
  close?(): void;
}

/** How the loop spends real time. */
export type Pacing =
  /** Desk time runs at `speed` × real time (Infinity: as fast as possible, letting signals in). */
  | { readonly kind: 'speed'; readonly speed: number }
  /** As fast as possible, handing the event loop a turn every `everyMs` of work (signals, progress). */
  | { readonly kind: 'yield'; readonly everyMs: number };

export type EndReason = 'duration' | 'interrupted' | 'end-of-data' | 'failed';

/** A running session, as its mode's hooks see it. */
export interface Session {
  readonly desk: Desk;
  readonly clock: Clock;
  readonly journal: SqliteJournal;
  readonly config: DeskConfig;
  readonly parts: SessionParts;
  readonly resume: SessionResume | undefined;
  /**
   * Waits for `work` while the market goes on: events pulled meanwhile only warm the desk (books,
   * clock, journal; no agent). The paper desk reconciles and settles this way.
   */
  warmWhile<T>(work: Promise<T>): Promise<T>;
}

export interface SessionHooks {
  /** The desk exists and `run.start` / `run.resumed` is journaled; before `desk.start()`. */
  attach?(session: Session): void;
  /** After `desk.start()` and the command source opened; before the first step. */
  ready?(session: Session): Promise<void> | void;
  /** After each event went through the desk (awaited when it returns a promise). */
  afterStep?(event: MarketEvent): Promise<void> | undefined;
  /** After each batch. */
  afterBatch?(batch: MarketBatch): void;
  /** The loop ended (or failed); before `run.end`. */
  beforeEnd?(session: Session, reason: EndReason): Promise<void> | void;
}

export interface SessionOptions {
  readonly journal: SessionJournal;
  /** The config given; a resumed run takes the journal's own (with this one's journal settings). */
  readonly config: DeskConfig;
  /**
   * Resume a journal that holds a run (default). False: always begin a new run in it (backtests,
   * which are re-run from their files rather than resumed).
   */
  readonly resume?: boolean;
  /** Checks a new run's config once the journal says it is new (a resumed run's was checked when it began). */
  readonly validate?: (config: DeskConfig) => void;
  /** Builds the market side, once it is known whether the run is new or resumed. */
  readonly open: (start: SessionStart) => SessionParts | Promise<SessionParts>;
  readonly commands?: CommandSource | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Ends the run after this much desk time (from the first step) or real time (from the first step). */
  readonly stopAfter?: { readonly simulatedMs?: number; readonly wallMs?: number };
  readonly pacing?: Pacing;
  /** The desk's status as of its last commit (trading state live), at most every 100 ms of real time, and once at the end. */
  readonly onStatus?: ((status: DeskStatus) => void) | undefined;
  readonly onEvent?: ((text: string) => void) | undefined;
  readonly agentDefinitions?: readonly AgentDefinition<unknown>[] | undefined;
  readonly hooks?: SessionHooks;
}

export interface SessionResult {
  readonly desk: Desk;
  readonly clock: Clock;
  readonly config: DeskConfig;
  readonly reason: EndReason;
  readonly resumed: { readonly fromSeq: number; readonly crashed: boolean } | undefined;
  /** Tail records applied on resume (0 for a new run). */
  readonly tailApplied: number;
  /** The journal was left by a process that did not close it. */
  readonly crashedBefore: boolean;
  readonly head: JournalHead;
  /** Events stepped through the desk. */
  readonly events: number;
  readonly wallMs: number;
  readonly simulatedMs: number;
  readonly startTs: number;
}

const STATUS_EVERY_MS = 100;

/** Runs one session to its end; see the file comment for the order of things. */
export async function runSession(options: SessionOptions): Promise<SessionResult> {
  const given = options.config;
  // Opening verifies the whole chain and takes the lock: a broken or busy journal stops here,
  // with nothing appended.
  const journal = SqliteJournal.open(options.journal.dir, {
    batchSize: given.journal.maxBatch * 4,
    ...(options.journal.synchronous === undefined ? {} : { synchronous: options.journal.synchronous }),
    ...(options.journal.onVerifyProgress === undefined
      ? {}
      : { onVerifyProgress: options.journal.onVerifyProgress }),
  });
  let parts: SessionParts | undefined;
  let result: SessionResult;
  try {
    const wallStart = monotonicMs();
    const resume = options.resume === false ? undefined : resumeOf(journal, options.journal.dir);
    const config =
      resume === undefined
        ? given
        : parseDeskConfig({ ...resume.point.start.config, journal: given.journal }, 'journal run.start');
    if (resume === undefined) options.validate?.(config);
    parts = await options.open({ config, journal, resume });
    const desk = deskOf(parts, {
      config,
      journal,
      onEvent: options.onEvent,
      agentDefinitions: options.agentDefinitions,
      checkpoint: resume?.point.checkpoint,
    });
    const tailApplied = resume === undefined ? 0 : applyTail(desk, resume.point.tail);
    if (resume === undefined) {
      desk.record(EVENTS.runStart, {
        config: journaledConfig(config),
        startTs: parts.startTs,
        version: 1,
        ...parts.startRecord,
      });
    } else {
      desk.record(
        EVENTS.runResumed,
        resumedRecord(desk, {
          fromSeq: resume.fromSeq,
          crashed: resume.crashed,
          checkpointTs: resume.point.checkpoint?.ts ?? null,
          tailApplied,
          startTs: parts.startTs,
          seed: parts.seed,
        }),
      );
    }
    const runner = new Runner(options, desk, journal, config, parts, resume, wallStart);
    const reason = await runner.run();
    const head = journal.head();
    const status = runner.status();
    options.onStatus?.(status);
    result = {
      desk,
      clock: parts.clock,
      config,
      reason,
      resumed: resume === undefined ? undefined : { fromSeq: resume.fromSeq, crashed: resume.crashed },
      tailApplied,
      crashedBefore: journal.recovery.crashed,
      head,
      events: runner.events,
      wallMs: status.wallMs,
      simulatedMs: status.simulatedMs,
      startTs: parts.startTs,
    };
  } catch (err) {
    // A failure is reported as it happened, not as a close that may fail after it (a journal
    // that could not be written cannot be flushed on close either).
    await closeSession(parts, journal);
    throw err;
  }
  const closeError = await closeSession(parts, journal);
  if (closeError !== undefined) throw closeError;
  return result;
}

/** Closes the source, the mode's parts and the journal, each whatever the others do; returns the first failure. */
async function closeSession(parts: SessionParts | undefined, journal: SqliteJournal): Promise<unknown> {
  let closeError: unknown;
  for (const close of [() => parts?.source.close?.(), () => parts?.close?.(), () => journal.close()]) {
    try {
      await close();
    } catch (err) {
      closeError ??= err;
    }
  }
  return closeError;
}

/** The end of a run: the end record, the final durable batch (with its checkpoint), a clean stop. */
export async function endRun(desk: Desk, reason: string): Promise<void> {
  desk.record(EVENTS.runEnd, { reason, counters: desk.counters });
  desk.flush();
  await desk.stop();
  stopVenues(desk, `run ended (${reason})`);
}

/** In-process venues refuse orders once their run is over (a remote one is closed by its owner). */
function stopVenues(desk: Desk, reason: string): void {
  for (const venue of desk.venueList()) (venue as { stop?: (reason: string) => void }).stop?.(reason);
}

/** The desk over a session's parts: the runner's, and replay's for each run segment. */
export function deskOf(
  parts: SessionParts,
  options: Omit<DeskOptions, 'clock' | 'venues' | 'instruments' | 'bookSequencing' | 'marketTap'>,
): Desk {
  return new Desk({
    ...options,
    clock: parts.clock,
    venues: parts.venues,
    instruments: parts.source.instruments(),
    bookSequencing: parts.source.bookSequencing,
    marketTap: parts.marketTap,
    ...parts.deskOptions,
  });
}

/** The `run.resumed` record of a desk restored from its checkpoint and tail (what it restored included). */
export function resumedRecord(
  desk: Desk,
  facts: {
    readonly fromSeq: number;
    readonly crashed: boolean;
    readonly checkpointTs: number | null;
    readonly tailApplied: number;
    readonly startTs: number;
    readonly seed: number | undefined;
  },
): EventPayload<typeof EVENTS.runResumed> {
  const { seed, ...rest } = facts;
  return { ...rest, ...(seed === undefined ? {} : { seed }), ...restoredState(desk) };
}

function resumeOf(journal: SqliteJournal, dir: string): SessionResume | undefined {
  const head = journal.head();
  if (head.seq === 0) return undefined;
  // What a previous run left, read through the writer's connection from the chain it verified.
  const reader = journal.reader();
  let point: ResumePoint;
  try {
    point = readResumePoint(reader);
  } finally {
    reader.close();
  }
  const start = point.start;
  if (start === undefined) {
    // The chain verified: this is a journal, just not a desk's (a tool's).
    throw new ConcordError(
      'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL',
      `the journal in ${dir} has ${head.seq} records but no run.start record: it was not written by a desk, so there is nothing to resume; use another --journal directory`,
      { details: { dir, kind: 'not-a-desk-journal', records: head.seq } },
    );
  }
  return { point: { ...point, start }, fromSeq: head.seq, crashed: journal.recovery.crashed };
}

/** The part of a session between `run.start` and `run.end`. */
class Runner implements Session {
  readonly clock: Clock;
  events = 0;
  private readonly wall = new LiveClock();
  private readonly source: MarketSource;
  private simStart: number;
  private durableStatus: DeskStatus | undefined;
  private lastCapture = Number.NEGATIVE_INFINITY;
  private lastStatus = 0;

  constructor(
    private readonly options: SessionOptions,
    readonly desk: Desk,
    readonly journal: SqliteJournal,
    readonly config: DeskConfig,
    readonly parts: SessionParts,
    readonly resume: SessionResume | undefined,
    private readonly wallStart: number,
  ) {
    this.clock = parts.clock;
    this.source = parts.source;
    this.simStart = this.clock.now();
  }

  status(): DeskStatus {
    return deskStatus(this.desk, monotonicMs() - this.wallStart, this.clock.now() - this.simStart);
  }

  async run(): Promise<EndReason> {
    const { desk, options } = this;
    const hooks = options.hooks ?? {};
    hooks.attach?.(this);
    let reason: EndReason = 'failed';
    let failure: unknown;
    try {
      await desk.start();
      options.commands?.open?.();
      await hooks.ready?.(this);
      reason = await this.loop();
    } catch (err) {
      failure = err;
      reason = 'failed';
      desk.failClosed(`the session failed: ${toConcordError(err).shortMessage}`);
    }
    try {
      await hooks.beforeEnd?.(this, reason);
    } catch (err) {
      if (failure === undefined) {
        failure = err;
        desk.failClosed(`the session failed while ending: ${toConcordError(err).shortMessage}`);
      }
      reason = 'failed';
    }
    options.commands?.close?.();
    if (failure === undefined) {
      await endRun(desk, reason);
      return reason;
    }
    // As far as the journal allows: the end record and a last durable batch, then a clean stop.
    try {
      desk.record(EVENTS.runEnd, { reason, counters: desk.counters });
      desk.flush();
    } catch {
      // The journal is what failed (the desk is fail-closed); the run's own error is reported.
    }
    try {
      await desk.stop();
    } catch {
      // Same: report the failure that ended the run.
    }
    throw failure;
  }

  private async loop(): Promise<EndReason> {
    const { desk, options, clock, source } = this;
    const hooks = options.hooks ?? {};
    const afterStep = hooks.afterStep;
    const afterBatch = hooks.afterBatch;
    const commands = options.commands;
    const signal = options.signal;
    const simulatedLimit = options.stopAfter?.simulatedMs ?? Number.POSITIVE_INFINITY;
    const wallLimit = options.stopAfter?.wallMs ?? Number.POSITIVE_INFINITY;
    this.simStart = clock.now();
    const loopStart = monotonicMs();
    if (options.onStatus !== undefined) {
      desk.onCommit(() => {
        const wallElapsed = monotonicMs() - this.wallStart;
        if (wallElapsed - this.lastCapture < STATUS_EVERY_MS) return;
        this.lastCapture = wallElapsed;
        this.durableStatus = deskStatus(desk, wallElapsed, clock.now() - this.simStart);
      });
    }
    let batches = 0;
    let lastYield = loopStart;
    for (;;) {
      if (signal?.aborted) return 'interrupted';
      if (clock.now() - this.simStart >= simulatedLimit) return 'duration';
      if (wallLimit !== Number.POSITIVE_INFINITY && monotonicMs() - loopStart >= wallLimit) return 'duration';
      if (commands !== undefined) await this.applyCommands(commands);
      const pulled = source.next();
      const batch = pulled instanceof Promise ? await pulled : pulled;
      if (batch === undefined) return 'end-of-data';
      if (afterStep === undefined) {
        for (const event of batch) {
          const pending = desk.step(event);
          if (pending !== undefined) await pending;
        }
      } else {
        for (const event of batch) {
          const pending = desk.step(event);
          if (pending !== undefined) await pending;
          const after = afterStep(event);
          if (after !== undefined) await after;
        }
      }
      this.events += batch.length;
      afterBatch?.(batch);
      batches++;
      // Pacing; a source that answered "nothing yet" at once still lets the event loop in.
      const pacing = options.pacing;
      if (pacing?.kind === 'speed') {
        const wallElapsed = monotonicMs() - this.wallStart;
        const wait = Number.isFinite(pacing.speed)
          ? (clock.now() - this.simStart) / pacing.speed - wallElapsed
          : 0;
        if (wait > 1) await this.wall.sleep(wait);
        // Behind real time (a loaded machine) it never waits: still let signals and timers in.
        else if (batches % 32 === 0) await this.wall.sleep(0);
      } else if (pacing?.kind === 'yield') {
        if (monotonicMs() - lastYield >= pacing.everyMs) {
          await this.wall.sleep(0);
          lastYield = monotonicMs();
        }
      } else if (batch.length === 0 && !(pulled instanceof Promise)) await this.wall.sleep(0);
      if (options.onStatus !== undefined) this.emitStatus(options.onStatus);
    }
  }

  private emitStatus(onStatus: (status: DeskStatus) => void): void {
    const wallElapsed = monotonicMs() - this.wallStart;
    if (wallElapsed - this.lastStatus < STATUS_EVERY_MS || this.durableStatus === undefined) return;
    this.lastStatus = wallElapsed;
    onStatus({
      ...this.durableStatus,
      ...lifecycleStatus(this.desk),
      tradingState: this.desk.tradingState(),
    });
  }

  /** Rejected input is journaled first, then each command goes through the kernel's handler. */
  private async applyCommands(commands: CommandSource): Promise<void> {
    const polled = commands.poll();
    for (const rejected of polled.rejected) {
      try {
        this.desk.record(EVENTS.controlRejected, rejected);
      } catch {
        // A failing journal fails the desk closed by itself; the poll must go on to any halt.
      }
    }
    for (const issued of polled.commands) {
      const result = await applyCommand(this.desk, issued.command, issued.origin);
      try {
        issued.settle?.(result);
      } catch {
        // Telling the issuer is best effort; the journal has the command and its result.
      }
    }
  }

  async warmWhile<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    // Observed here, rethrown below: a rejection must not go unhandled while the market is pulled.
    watched.catch(() => undefined);
    while (!settled) {
      const pulled = this.source.next();
      const batch = pulled instanceof Promise ? await pulled : pulled;
      if (batch === undefined) break;
      for (const event of batch) this.desk.warm(event);
      if (!(pulled instanceof Promise)) await this.wall.sleep(0);
    }
    return watched;
  }
}
