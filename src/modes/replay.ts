/**
 * `concord replay`: re-runs a sandbox journal's inputs through fresh desks, built from the same
 * pieces as the session runner (the sandbox's parts, `deskOf`, the resume algorithm's `applyTail`,
 * the `run.resumed` record, the kernel's command handler, `endRun`), and compares the journal it
 * writes with the original record by record: the same inputs must give the same hash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentDefinition } from '../agents/contract.ts';
import { EVENTS, type EventPayload, parsePayload } from '../bus/index.ts';
import { ConcordError, SimulatedClock } from '../core/index.ts';
import { JournalReader, type JournalRecord, SqliteJournal, type VerifyProgress } from '../journal/index.ts';
import { applyCommand, commandOf } from '../kernel/commands.ts';
import { type DeskConfig, parseDeskConfig } from '../kernel/config.ts';
import type { Checkpoint, Desk } from '../kernel/desk.ts';
import { applyTail, isTailRecord, type RunStartRecord } from '../kernel/restore.ts';
import { parseShadowConfig, shadowDeskConfig } from '../kernel/shadow-config.ts';
import type { MarketEvent } from '../model/index.ts';
import { sandboxParts } from './run.ts';
import { deskOf, endRun, resumedRecord, type SessionParts } from './session.ts';
import { liveSummaryOf, ShadowSession } from './shadow.ts';

/**
 * The journal records that carry an input of a sandbox run (something that happened TO the desk,
 * not something it computed), with how replay feeds each back. The one list of them: replay's
 * handler table is typed by it, and the tests generate every entry and replay it.
 */
export const REPLAY_INPUTS = {
  [EVENTS.runStart.name]: 'a fresh desk from the journaled config and start time',
  [EVENTS.runResumed.name]:
    "a fresh desk from the last checkpoint and the durable tail after it, with the resumed segment's seed and start time",
  [EVENTS.journalCompacted.name]:
    "a compacted journal's cut: it, and the run.start, checkpoint and tail after it, are copied as they are",
  [EVENTS.market.name]: 'stepped through the desk (and the shadow session, if any)',
  [EVENTS.agentTimeout.name]: 'the same agent misses the same deadline; nobody else misses one',
  [EVENTS.shadowStarted.name]: 'the shadow session is rebuilt as the run built it',
  [EVENTS.checkpoint.name]:
    'kept as the state the next run.resumed restores (the record itself is recomputed)',
  [EVENTS.controlCommand.name]:
    "the operator's command (halt, resume, ...), applied between the same two market events through the kernel's handler",
  [EVENTS.controlRejected.name]: 'the rejected control file, journaled again at the same point',
  [EVENTS.runEnd.name]: 'the end record, the final durable batch and a clean stop',
} as const satisfies Record<string, string>;

/**
 * Catalogue inputs no desk journals, which replay therefore refuses by name (coded replay error)
 * instead of mistaking them for outputs: a listing watch (src/modes/listing-watch.ts) journals
 * them beside its agent's decisions, outside a desk.
 */
export const NOT_REPLAYED_INPUTS = {
  [EVENTS.marketListed.name]: 'a listing watch journal, not a desk journal: not replayed yet',
  [EVENTS.marketStatus.name]: 'a listing watch journal, not a desk journal: not replayed yet',
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
 * deadlines, operator commands, rejected control files) through fresh kernels and compares the
 * resulting journal record by record.
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
  // Batches as the run's journal had them: the desk flushes on the pending count too.
  const replay = SqliteJournal.open(scratch, { batchSize: runBatchSize(original) });
  try {
    const timeouts = new Map<string, Set<string>>();
    for (const r of original.records([EVENTS.agentTimeout.name])) {
      const p = parsePayload(EVENTS.agentTimeout, r.payload, r.seq);
      const set = timeouts.get(p.triggerId) ?? new Set<string>();
      timeouts.set(p.triggerId, set);
      set.add(p.agentId);
    }
    let desk: Desk | undefined;
    let parts: SessionParts | undefined;
    let config: DeskConfig | undefined;
    const configOf = (start: RunStartRecord) =>
      parseDeskConfig({ ...start.config, journal: { ...start.config.journal, dir } }, 'journal run.start');
    const newDesk = async (cfg: DeskConfig, seed: number, startTs: number, checkpoint?: Checkpoint) => {
      // A new run segment starts only after the previous process died (resume): it wrote nothing more.
      if (desk !== undefined) await desk.abandon();
      // A restarted process begins with nothing pending: its desk flushes by count from zero.
      replay.flush();
      parts = sandboxParts(cfg, new SimulatedClock(startTs), seed, startTs);
      desk = deskOf(parts, {
        config: cfg,
        journal: replay,
        replayTimeouts: timeouts,
        agentDefinitions: options.agentDefinitions,
        checkpoint,
      });
      return desk;
    };
    // The resume point as a restarted desk read it: the last checkpoint and the tail after it.
    let lastCheckpoint: Checkpoint | undefined;
    let tail: JournalRecord[] = [];
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
        const p = r.payload as RunStartRecord;
        config = configOf(p);
        const d = await newDesk(config, config.seed, p.startTs);
        d.record(EVENTS.runStart, p);
        await d.start();
      },
      [EVENTS.runResumed.name]: async (r) => {
        seeding = false;
        if (config === undefined) throw replayError('run.resumed before run.start', r.seq);
        const p = parsePayload(EVENTS.runResumed, r.payload, r.seq);
        if (p.seed === undefined)
          throw replayError('run.resumed without a seed (replay re-runs sandbox journals)', r.seq);
        const d = await newDesk(config, p.seed, p.startTs, lastCheckpoint);
        const tailApplied = applyTail(d, tail);
        d.record(
          EVENTS.runResumed,
          resumedRecord(d, {
            fromSeq: p.fromSeq,
            crashed: p.crashed,
            checkpointTs: lastCheckpoint?.ts ?? null,
            tailApplied,
            startTs: p.startTs,
            seed: p.seed,
          }),
        );
        await d.start();
      },
      [EVENTS.market.name]: async (r) => {
        const pending = running('market event', r.seq).step(r.payload as MarketEvent);
        if (pending !== undefined) await pending;
        const shadowPending = session?.onMarketEvent(r.payload as MarketEvent);
        if (shadowPending !== undefined) await shadowPending;
      },
      // A compacted journal opens with its cut (journal.compacted, run.start, checkpoint, tail):
      // copied as they are, then the run goes on from the checkpoint at the next run.resumed.
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
        if (config === undefined || parts === undefined)
          throw replayError('shadow session before run.start', r.seq);
        const shadow = parseShadowConfig(config.shadow);
        session = new ShadowSession({
          id: parsePayload(EVENTS.shadowStarted, r.payload, r.seq).sessionId,
          config: shadowDeskConfig(config, shadow.candidates),
          clock: parts.clock,
          instruments: live.instrumentList(),
          bookSequencing: parts.source.bookSequencing,
          journalDir: scratch,
          recordLive: (event, payload) => live.record(event, payload),
          ...(options.agentDefinitions === undefined ? {} : { agentDefinitions: options.agentDefinitions }),
        });
        await session.start();
      },
      [EVENTS.checkpoint.name]: (r) => {
        lastCheckpoint = r.payload as Checkpoint;
      },
      // An operator's command is an input: it came between two market events, and so it does here.
      [EVENTS.controlCommand.name]: async (r) => {
        const p = parsePayload(EVENTS.controlCommand, r.payload, r.seq);
        await applyCommand(running(EVENTS.controlCommand.name, r.seq), commandOf(p.command), {
          channel: p.channel,
          ...(p.requestId === null ? {} : { requestId: p.requestId }),
        });
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
          await endRun(desk, parsePayload(EVENTS.runEnd, r.payload, r.seq).reason);
          desk = undefined;
        }
      },
    };
    for (const r of original.records()) {
      // What a restart reads as its resume point: the last checkpoint, then the durable tail.
      if (r.type === EVENTS.checkpoint.name) tail = [];
      else if (isTailRecord(r.type)) tail.push(r);
      if (seeding && r.type !== EVENTS.runResumed.name) {
        // A compacted journal's cut is copied as it is.
        if (r.type === EVENTS.runStart.name) config = configOf(r.payload as RunStartRecord);
        else if (r.type === EVENTS.checkpoint.name) lastCheckpoint = r.payload as Checkpoint;
        replay.append(r.type, r.ts, r.payload);
        continue;
      }
      if (isReplayInput(r.type)) await feed[r.type](r);
      else if (Object.hasOwn(NOT_REPLAYED_INPUTS, r.type))
        throw replayError(
          `${r.type} records: ${NOT_REPLAYED_INPUTS[r.type as keyof typeof NOT_REPLAYED_INPUTS]}`,
          r.seq,
        );
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

/** The run's journal batch size (the session runner's: four desk batches), from its first run.start. */
function runBatchSize(original: JournalReader): number {
  for (const r of original.records([EVENTS.runStart.name])) {
    const maxBatch = (r.payload as RunStartRecord).config?.journal?.maxBatch;
    if (typeof maxBatch === 'number' && Number.isInteger(maxBatch) && maxBatch > 0) return maxBatch * 4;
    break;
  }
  return 1024;
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
