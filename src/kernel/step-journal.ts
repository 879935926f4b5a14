/**
 * The step journal: how the desk's records reach the journal, and its lines the operator.
 *
 * - Records of a step are held (type, desk time, payload) and appended in the same order right
 *   after the step's first order reaches its venue, so canonical JSON and hashing are not on the
 *   path to the venue; the journal's sequence is unchanged.
 * - A batch ends with a checkpoint and is committed durably (`flush`), every `flushEveryMs` of
 *   desk time or `maxBatch` pending records (`maybeFlush`).
 * - Lines for the operator are shown only once the records they report on are durable (the
 *   durable-before-visible outbox), so nothing shown is lost by a crash.
 *
 * Owned by the desk; a journal that cannot be written fails the desk closed (`failClosed`).
 */

import type { EventDef, EventPayload } from '../bus/index.ts';
import { EVENTS } from '../bus/index.ts';
import { type Clock, toConcordError } from '../core/index.ts';
import { DurableOutbox, durableSeq, type Journal } from '../journal/index.ts';
import type { DeskConfig } from './config.ts';
import type { Checkpoint } from './desk.ts';

/** Lines kept in `recent`. */
const RECENT_LINES = 50;

export interface StepJournalOptions {
  readonly journal: Journal;
  readonly clock: Clock;
  /** When the batch is committed: every `flushEveryMs` of desk time or `maxBatch` pending records. */
  readonly flushPolicy: Pick<DeskConfig['journal'], 'flushEveryMs' | 'maxBatch'>;
  /** Hold a step's records until its first order reaches the venue (see `DeskOptions.holdRecords`). */
  readonly holdRecords: boolean;
  /** The state a restart resumes from, written at the end of every batch. */
  readonly checkpoint: () => Checkpoint;
  /** The desk's fail-closed: called when the journal cannot be written or flushed. */
  readonly failClosed: (reason: string) => void;
  /** Every line once shown (see `DeskOptions.onEvent`). */
  readonly onEvent?: ((text: string) => void) | undefined;
}

export class StepJournal {
  /** The last lines shown (released by `visible`), newest last. */
  readonly recent: string[] = [];
  /**
   * Lines waiting for their journal records to be durable; released after each commit.
   * Subscribe to it (as `onEvent` does) to see only what a crash cannot take back.
   */
  readonly visible = new DurableOutbox<string>();
  private readonly journal: Journal;
  private readonly clock: Clock;
  private readonly flushPolicy: StepJournalOptions['flushPolicy'];
  private readonly holdRecords: boolean;
  private readonly checkpoint: () => Checkpoint;
  private readonly failClosed: (reason: string) => void;
  private readonly onEvent: ((text: string) => void) | undefined;
  /** Records of the current step not yet appended (flat: type, ts, payload, ...). */
  private heldRecords: unknown[] | undefined;
  private abandoned = false;
  private lastFlushTs: number;
  private readonly commitListeners: Array<(durableSeq: number) => void> = [];

  constructor(options: StepJournalOptions) {
    this.journal = options.journal;
    this.clock = options.clock;
    this.flushPolicy = options.flushPolicy;
    this.holdRecords = options.holdRecords;
    this.checkpoint = options.checkpoint;
    this.failClosed = options.failClosed;
    this.onEvent = options.onEvent;
    this.visible.subscribe((text) => this.show(text));
    this.lastFlushTs = this.clock.now();
  }

  /** Replay of a crash: nothing more is written (the recorded process died here). */
  abandon(): void {
    this.abandoned = true;
  }

  get isAbandoned(): boolean {
    return this.abandoned;
  }

  /**
   * Appends a record to the journal; a journal that cannot be written fails the desk closed.
   * Inside a step, records are held and appended in order by `releaseHeldRecords`. Payloads are
   * fresh objects.
   */
  record<E extends EventDef>(event: E, payload: EventPayload<E>): void {
    if (this.abandoned) return;
    const held = this.heldRecords;
    if (held !== undefined) {
      held.push(event.name, this.clock.now(), payload);
      return;
    }
    this.appendRecord(event.name, this.clock.now(), payload);
  }

  /** A step begins: its records are held from now on (when holding is on). */
  beginStep(): void {
    if (this.holdRecords) this.heldRecords = [];
  }

  /** An order is about to leave: hold what follows until it is at its venue (when holding is on). */
  holdUntilSent(): void {
    if (this.holdRecords) this.heldRecords ??= [];
  }

  private appendRecord(type: string, ts: number, payload: unknown): void {
    try {
      this.journal.append(type, ts, payload);
    } catch (err) {
      this.failClosed(`journal write failed: ${toConcordError(err).shortMessage}`);
      throw err;
    }
  }

  /** The step failed: its records still go to the journal (a journal failure is already fail-closed). */
  releaseAfterFailure(): void {
    try {
      this.releaseHeldRecords();
    } catch {
      // failClosed() was called by appendRecord; the step's own error is the one to report.
    }
  }

  /** Journals the records held during a step, in order; the first failure is rethrown after all were tried. */
  releaseHeldRecords(): void {
    const held = this.heldRecords;
    this.heldRecords = undefined;
    if (held === undefined || held.length === 0 || this.abandoned) return;
    let failure: unknown;
    for (let i = 0; i < held.length; i += 3) {
      try {
        this.appendRecord(held[i] as string, held[i + 1] as number, held[i + 2]);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** A line for the operator, shown once the records written so far (this step's held ones included) are durable. */
  note(text: string): void {
    const held = this.heldRecords === undefined ? 0 : this.heldRecords.length / 3;
    this.visible.hold(this.journal.head().seq + held, text);
  }

  /** Shows a line now (released by `visible`, or an alert that cannot wait for the journal). */
  show(text: string): void {
    this.recent.push(text);
    if (this.recent.length > RECENT_LINES) this.recent.splice(0, this.recent.length - RECENT_LINES);
    this.onEvent?.(text);
  }

  /**
   * Calls `listener` after every commit of a batch (which ends with a checkpoint), with the
   * journal's durable seq: the desk's state at that moment is exactly what a restart restores.
   * Returns a function that removes the listener.
   */
  onCommit(listener: (durableSeq: number) => void): () => void {
    this.commitListeners.push(listener);
    return () => {
      const i = this.commitListeners.indexOf(listener);
      if (i >= 0) this.commitListeners.splice(i, 1);
    };
  }

  /** Flushes when the batch is due (by desk time or by size). */
  maybeFlush(): void {
    const now = this.clock.now();
    if (
      now - this.lastFlushTs >= this.flushPolicy.flushEveryMs ||
      this.journal.pendingCount() >= this.flushPolicy.maxBatch
    ) {
      this.flush();
    }
  }

  /** Ends the batch with a checkpoint and commits it durably. */
  flush(): void {
    this.releaseHeldRecords();
    this.lastFlushTs = this.clock.now();
    this.record(EVENTS.checkpoint, this.checkpoint());
    try {
      this.journal.flush();
    } catch (err) {
      this.failClosed(`journal flush failed: ${toConcordError(err).shortMessage}`);
      throw err;
    }
    // Durable and covered by the checkpoint just committed: a restart restores all of it.
    const durable = durableSeq(this.journal);
    this.visible.release(durable);
    for (const listener of this.commitListeners) listener(durable);
  }
}
