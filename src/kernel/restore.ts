/**
 * Restore: the one resume algorithm of every mode. A restarted desk takes
 *
 *   1. the run's inputs from the last `run.start` (its config and start time),
 *   2. its state from the last `checkpoint` (every durable batch ends with one), and
 *   3. the durable tail after that checkpoint: records a crashed process committed without a
 *      checkpoint after them (the write-ahead flush before a paper submit, a batch that filled up
 *      mid-step, the records a failing run closed its journal with), applied through the order
 *      manager and the portfolio, with the decision and trigger counters moved past every id seen,
 *      so no client order id is ever reused.
 *
 * The session runner reads the resume point from the journal it opened (`readResumePoint`); replay
 * collects the same tail from the original journal as it goes, and both apply it with `applyTail`.
 */
import { EVENT_LIST, EVENTS, type EventPayload } from '../bus/index.ts';
import type { JournalReader, JournalRecord } from '../journal/index.ts';
import type { CompactedRecord } from './compact.ts';
import type { Checkpoint, Desk } from './desk.ts';

/** The `run.start` of a run, as journaled. */
export type RunStartRecord = EventPayload<typeof EVENTS.runStart>;

/** Where a journal's run stands: what a restart restores. */
export interface ResumePoint {
  /** The last `run.start`; undefined in a journal no desk wrote. */
  readonly start: RunStartRecord | undefined;
  /** State at the last checkpoint; undefined when the run died before its first one. */
  readonly checkpoint: Checkpoint | undefined;
  /** Durable records after the last checkpoint that carry state (TAIL_TYPES), in order. */
  readonly tail: readonly JournalRecord[];
  /** Restarts so far: the journal's `run.resumed` records, and those before a compaction's cut. */
  readonly resumes: number;
}

/**
 * Record types of the tail that carry state a restart must not lose: everything the order
 * manager emits, reconciliation's recovered fills and corrections, and the decisions and
 * triggers whose ids the counters must move past. Declared once, in the catalogue
 * (`resumeTail`), so a new order or plan record is restored without a second list to keep.
 */
export const TAIL_TYPES: readonly string[] = EVENT_LIST.filter((e) => e.resumeTail).map((e) => e.name);

const TAIL_TYPE_SET = new Set(TAIL_TYPES);

/** Whether a record belongs to a resume point's tail (when it comes after the last checkpoint). */
export function isTailRecord(type: string): boolean {
  return TAIL_TYPE_SET.has(type);
}

/** The resume point of the journal behind `reader` (a writer's view: its chain was verified on open). */
export function readResumePoint(reader: JournalReader): ResumePoint {
  const start = reader.last([EVENTS.runStart.name])?.payload as RunStartRecord | undefined;
  const checkpointRecord = reader.last([EVENTS.checkpoint.name]);
  // A compacted journal counts the restarts before its cut, so the next seed is the one it would have been.
  const compacted = reader.last([EVENTS.journalCompacted.name])?.payload as CompactedRecord | undefined;
  return {
    start,
    checkpoint: checkpointRecord?.payload as Checkpoint | undefined,
    tail: [...reader.records(TAIL_TYPES, { fromSeq: (checkpointRecord?.seq ?? 0) + 1 })],
    resumes: reader.count(EVENTS.runResumed.name) + (compacted?.resumes ?? 0),
  };
}

/**
 * Applies a resume point's tail to a desk restored from its checkpoint: orders and plans as
 * journaled, fills booked once each, balance corrections; then the decision and trigger counters
 * move past every id seen. Returns the records applied (decisions and triggers not counted).
 */
export function applyTail(desk: Desk, tail: readonly JournalRecord[]): number {
  let applied = 0;
  let maxDecision = 0;
  let maxTrigger = 0;
  for (const r of tail) {
    const payload = r.payload as Record<string, unknown>;
    if (r.type === EVENTS.decision.name) {
      maxDecision = Math.max(maxDecision, counterOf(payload.decisionId, 'd-'));
      maxTrigger = Math.max(maxTrigger, counterOf(payload.triggerId, 't-'));
      continue;
    }
    if (r.type === EVENTS.trigger.name) {
      maxTrigger = Math.max(maxTrigger, counterOf(payload.id, 't-'));
      continue;
    }
    applied++;
    if (r.type.startsWith('order.') || r.type.startsWith('plan.'))
      desk.orders.applyJournaledEvent(r.type, payload);
    bookTailFill(desk, r);
    if (r.type === EVENTS.reconcileAdjusted.name && payload.kind === 'balance') {
      desk.portfolio.adjustBalance(String(payload.venue), String(payload.key), String(payload.delta));
    }
  }
  if (maxDecision > 0 || maxTrigger > 0) {
    const counters = desk.orchestrator.snapshot();
    desk.orchestrator.restore({
      ...counters,
      decisionCount: Math.max(counters.decisionCount, maxDecision),
      triggerCount: Math.max(counters.triggerCount, maxTrigger),
    });
  }
  return applied;
}

/**
 * A tail fill (`order.filled`, `reconcile.fill-recovered`) booked once, through the order manager
 * only: to the portfolio, credited to its order's agents, seen by the risk engine.
 */
function bookTailFill(desk: Desk, r: JournalRecord): void {
  if (r.type !== EVENTS.orderFilled.name && r.type !== EVENTS.reconcileFillRecovered.name) return;
  desk.orders.restoreJournaledFill(r.type, r.payload as Record<string, unknown>);
}

function counterOf(id: unknown, prefix: string): number {
  if (typeof id !== 'string' || !id.startsWith(prefix)) return 0;
  const n = Number.parseInt(id.slice(prefix.length), 10);
  return Number.isFinite(n) ? n : 0;
}

/** What a resumed desk restored, journaled in `run.resumed` so a test (or an auditor) can compare it with the checkpoint. */
export function restoredState(desk: Desk): { positions: unknown; trust: unknown } {
  const cp = desk.checkpoint();
  return {
    positions: (cp.portfolio as { positions: unknown }).positions,
    trust: (cp.orchestrator as { trust: unknown }).trust,
  };
}
