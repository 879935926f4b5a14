/**
 * Agent trust as the desk had it at any point of its journal, rebuilt from the journal alone.
 * Trust is a pure function of the outcomes (src/orchestrator/trust.ts), so replaying the
 * journaled `outcome` records in order through a TrustBook gives the trust the consensus used:
 *
 *   run.start          a fresh book with the run's `orchestrator.trust` config
 *   run.resumed        the trust the resumed desk restored (`trust`, sandbox desks); a resume
 *                      without it (the paper desk re-applies its tail) keeps the book as it is
 *   journal.compacted  the trust of the checkpoint the compacted journal starts from
 *   outcome            `TrustBook.update`
 *
 * Every weight rebuilt this way can be checked against the journal: the consensus record carries
 * the weights of the decisions behind each accepted intent (see trace.ts).
 */
import { EVENTS } from '../../bus/index.ts';
import type { JournalReader, JournalRecord } from '../../journal/index.ts';
import { TrustBook } from '../../orchestrator/index.ts';
import { outcomeSchema } from './records.ts';

/** Where the rebuilt trust started from. */
export interface TrustOrigin {
  readonly type: string;
  readonly seq: number;
}

export interface TrustState {
  readonly book: TrustBook;
  /** The last run.start, run.resumed or journal.compacted record before the point, if any. */
  readonly origin: TrustOrigin | undefined;
  /** Outcomes applied since the origin. */
  readonly outcomesApplied: number;
  /** Why the rebuilt trust may not be the desk's (a snapshot that did not parse, ...). */
  readonly problems: string[];
}

const TYPES: readonly string[] = [
  EVENTS.runStart.name,
  EVENTS.runResumed.name,
  EVENTS.journalCompacted.name,
  EVENTS.outcome.name,
];

/**
 * Follows trust along the journal. Feed it records of the types in `TrustTracker.TYPES` in seq
 * order (other types are ignored); `book` is the trust in force after the last record fed.
 */
export class TrustTracker {
  static readonly TYPES = TYPES;
  book: TrustBook = new TrustBook();
  origin: TrustOrigin | undefined;
  outcomesApplied = 0;
  readonly problems: string[] = [];
  private trustConfig: unknown = {};
  private compacted: { record: JournalRecord; snapshot: unknown; checkpointSeq: number } | undefined;

  constructor(private readonly reader: JournalReader) {}

  feed(record: JournalRecord): void {
    switch (record.type) {
      case EVENTS.runStart.name: {
        this.trustConfig = trustConfigOf(record.payload);
        const compacted = this.compacted;
        this.compacted = undefined;
        if (compacted === undefined) {
          this.reset(record);
          return;
        }
        // The source's run.start copied into a compacted journal: the run goes on from the
        // carried checkpoint's trust, now with the run's own trust config.
        this.reset(compacted.record);
        this.restore(compacted.snapshot, compacted.checkpointSeq);
        return;
      }
      case EVENTS.runResumed.name: {
        const trust = (record.payload as { trust?: unknown } | null)?.trust;
        if (trust === undefined) return;
        this.reset(record);
        this.restore(trust, record.seq);
        return;
      }
      case EVENTS.journalCompacted.name: {
        // A compacted journal: journal.compacted, the run's run.start, then the checkpoint it starts from.
        const cp = this.reader.first([EVENTS.checkpoint.name], { fromSeq: record.seq });
        this.reset(record);
        if (cp === undefined) {
          this.problems.push(`journal.compacted at ${record.seq} is not followed by a checkpoint`);
          return;
        }
        const orchestrator = (cp.payload as { orchestrator?: { trust?: unknown } } | null)?.orchestrator;
        this.compacted = { record, snapshot: orchestrator?.trust, checkpointSeq: cp.seq };
        this.restore(orchestrator?.trust, cp.seq);
        return;
      }
      case EVENTS.outcome.name: {
        const parsed = outcomeSchema.safeParse(record.payload);
        if (!parsed.success) {
          this.problems.push(`outcome record ${record.seq} is malformed`);
          return;
        }
        this.book.update(parsed.data);
        this.outcomesApplied++;
        return;
      }
      default:
        return;
    }
  }

  state(): TrustState {
    return {
      book: this.book,
      origin: this.origin,
      outcomesApplied: this.outcomesApplied,
      problems: [...this.problems],
    };
  }

  private reset(record: JournalRecord): void {
    try {
      this.book = new TrustBook(this.trustConfig);
    } catch {
      this.problems.push(`the orchestrator.trust config of the run is invalid; defaults used`);
      this.book = new TrustBook();
    }
    this.origin = { type: record.type, seq: record.seq };
    this.outcomesApplied = 0;
  }

  private restore(snapshot: unknown, seq: number): void {
    try {
      this.book.restore(snapshot);
    } catch {
      this.problems.push(`the trust snapshot at record ${seq} is invalid; initial trust used`);
    }
  }
}

/** The trust in force just before record `seq` (every outcome journaled before it applied). */
export function trustBefore(reader: JournalReader, seq: number): TrustState {
  const tracker = new TrustTracker(reader);
  for (const record of reader.records(TYPES, { toSeq: seq - 1 })) tracker.feed(record);
  return tracker.state();
}

function trustConfigOf(runStart: unknown): unknown {
  const config = (runStart as { config?: { orchestrator?: { trust?: unknown } } } | null)?.config;
  return config?.orchestrator?.trust ?? {};
}
