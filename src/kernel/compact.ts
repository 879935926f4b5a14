/**
 * Compaction: a long-running desk's journal grows with every market event it journals, while
 * what a restart needs is only the run's inputs (`run.start`) and its last checkpoint. `compact`
 * writes a new journal that starts from the last checkpoint of a fully verified source and names
 * the source's head hash, so the two chains stay linked for an auditor:
 *
 *   1 journal.compacted  { source: { records, headSeq, headHash, checkpointSeq, checkpointHash }, resumes, ... }
 *   2 run.start          (the source's, byte for byte)
 *   3 checkpoint         (the source's last, byte for byte)
 *   4… the durable tail after it (src/kernel/restore.ts: orders, plans, fills, corrections, decision
 *      ids), byte for byte, so a restart restores exactly what it would from the source
 *
 * A desk resumes the new journal as it would the old one, and `concord replay` replays it from
 * the checkpoint on. The old journal is left untouched: archive it (it is the only full replay
 * from genesis) or delete it once the new one is in use.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EVENTS } from '../bus/index.ts';
import { ConcordError } from '../core/index.ts';
import {
  JOURNAL_FILE,
  JournalReader,
  type JournalRecord,
  SqliteJournal,
  verifyJournal,
} from '../journal/index.ts';
import { TAIL_TYPES } from './restore.ts';

/** Payload of the first record of a compacted journal. */
export interface CompactedRecord {
  /** 2: the durable tail after the checkpoint is carried too (`carriedTail`). */
  readonly version: 2;
  readonly source: {
    readonly records: number;
    readonly headSeq: number;
    readonly headHash: string;
    readonly checkpointSeq: number;
    readonly checkpointHash: string;
  };
  /** Restarts of the run before the cut (the source's `run.resumed` records, and its own compactions'). */
  readonly resumes: number;
  /**
   * Records after the last checkpoint that carry state (the resume point's tail: orders, plans,
   * fills, corrections, decision ids), copied after the checkpoint so a restart restores them as it
   * would from the source.
   */
  readonly carriedTail: number;
  /** Records after the last checkpoint that a restart does not restore (market data, outputs). */
  readonly droppedAfterCheckpoint: number;
}

export interface CompactResult {
  readonly ok: true;
  readonly source: CompactedRecord['source'] & { readonly dir: string };
  readonly out: { readonly dir: string; readonly records: number; readonly headHash: string };
  readonly droppedAfterCheckpoint: number;
}

/** Writes a compacted copy of the journal in `dir` to `outDir` (which must hold no journal yet). */
export function compactJournal(dir: string, outDir: string): CompactResult {
  if (resolve(dir) === resolve(outDir)) {
    throw compactError(`the compacted journal needs its own directory, not ${dir} itself`, { dir, outDir });
  }
  if (existsSync(join(outDir, JOURNAL_FILE))) {
    throw compactError(`${outDir} already holds a journal; give an empty or new directory`, { dir, outDir });
  }
  // Fail closed: a checkpoint is only carried forward from a chain that verifies end to end.
  const verified = verifyJournal(dir);
  if (!verified.ok) {
    throw new ConcordError(
      'CONCORD_ERR_JOURNAL_CORRUPT',
      `refusing to compact ${dir}: ${verified.message} (${verified.records} records verified before it)`,
      { details: { dir, ...verified.firstBad } },
    );
  }
  const reader = JournalReader.open(dir);
  let compacted: CompactedRecord;
  let start: ReturnType<JournalReader['last']>;
  let checkpoint: ReturnType<JournalReader['last']>;
  let tail: JournalRecord[];
  try {
    const head = reader.head();
    if (head.seq !== verified.records || head.hash !== verified.headHash) {
      throw compactError(`${dir} changed while it was being verified; stop the desk writing it first`, {
        dir,
      });
    }
    start = reader.last([EVENTS.runStart.name]);
    checkpoint = reader.last([EVENTS.checkpoint.name]);
    if (start === undefined || checkpoint === undefined) {
      throw compactError(
        `${dir} has no ${start === undefined ? EVENTS.runStart.name : EVENTS.checkpoint.name} record to start from`,
        {
          dir,
        },
      );
    }
    const earlier = reader.last([EVENTS.journalCompacted.name])?.payload as CompactedRecord | undefined;
    tail = [...reader.records(TAIL_TYPES, { fromSeq: checkpoint.seq + 1 })];
    compacted = {
      version: 2,
      source: {
        records: head.seq,
        headSeq: head.seq,
        headHash: head.hash,
        checkpointSeq: checkpoint.seq,
        checkpointHash: checkpoint.hash,
      },
      resumes: reader.count(EVENTS.runResumed.name) + (earlier?.resumes ?? 0),
      carriedTail: tail.length,
      droppedAfterCheckpoint: head.seq - checkpoint.seq - tail.length,
    };
  } finally {
    reader.close();
  }
  const journal = SqliteJournal.open(outDir);
  try {
    journal.append(EVENTS.journalCompacted.name, checkpoint.ts, compacted);
    const sources = [start, checkpoint, ...tail];
    const copies = sources.map((r) => journal.append(r.type, r.ts, r.payload));
    // The copies must carry the source's exact bytes, or the link by hash would prove nothing.
    for (const [i, source] of sources.entries()) {
      if (copies[i]?.payloadJson !== source.payloadJson) {
        throw compactError(`record ${source.seq} (${source.type}) did not copy byte for byte`, {
          dir,
          seq: source.seq,
        });
      }
    }
    journal.flush();
  } finally {
    journal.close();
  }
  const written = verifyJournal(outDir);
  if (!written.ok) {
    throw new ConcordError(
      'CONCORD_ERR_JOURNAL_CORRUPT',
      `the compacted journal does not verify: ${written.message}`,
      {
        details: { outDir, ...written.firstBad },
      },
    );
  }
  return {
    ok: true,
    source: { dir, ...compacted.source },
    out: { dir: outDir, records: written.records, headHash: written.headHash },
    droppedAfterCheckpoint: compacted.droppedAfterCheckpoint,
  };
}

function compactError(message: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError('CONCORD_ERR_JOURNAL_COMPACT', `cannot compact: ${message}`, { details });
}
