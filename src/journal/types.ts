/**
 * The journal: an append-only, hash-chained record of everything the desk saw,
 * thought and did. Each record's hash covers the previous record's hash, so a
 * changed, removed or reordered record breaks the chain from there on.
 *
 *   hash = sha256Hex(prevHash + '\n' + seq + '\n' + ts + '\n' + type + '\n' + canonicalJson(payload))
 *
 * with prevHash of record 1 = GENESIS_HASH. The canonical payload text is stored
 * as written, so verification recomputes hashes from the stored bytes.
 *
 * Implementations: SqliteJournal (embedded, default); a PostgreSQL journal can
 * implement the same interface.
 */

export interface JournalRecord {
  /** 1-based and contiguous. */
  readonly seq: number;
  /** Clock time (ms since epoch) the caller gave; part of the hash. */
  readonly ts: number;
  readonly type: string;
  /**
   * From `append`: the value given, as is (not copied; it may hold Decimals or bigints).
   * From `records()`: the stored JSON parsed back (Decimals and bigints are strings there).
   */
  readonly payload: unknown;
  /** canonicalJson(payload): the exact text hashed and stored. */
  readonly payloadJson: string;
  readonly prevHash: string;
  readonly hash: string;
}

export interface JournalHead {
  /** 0 for an empty journal. */
  readonly seq: number;
  /** GENESIS_HASH for an empty journal. */
  readonly hash: string;
}

/** What opening found about the previous session. */
export interface JournalRecovery {
  /** The previous session did not close cleanly (killed, crashed, power lost). */
  readonly crashed: boolean;
  /** Head found on disk at open: last durable record (0 / GENESIS_HASH when empty). */
  readonly lastSeq: number;
  readonly lastHash: string;
  /** Records whose hashes and links were verified at open: all of them, from seq 1. */
  readonly verified: number;
}

export interface Journal {
  readonly recovery: JournalRecovery;
  /**
   * Buffers a record and returns it with its seq and hash at once. Durable only after
   * `flush()` (called automatically when the buffer reaches the batch size; then a write
   * failure throws CONCORD_ERR_JOURNAL_WRITE from `append`, with the record kept buffered).
   */
  append(type: string, ts: number, payload: unknown): JournalRecord;
  /** Writes every buffered record durably in one transaction; on failure throws CONCORD_ERR_JOURNAL_WRITE and keeps them. */
  flush(): void;
  /** Head including buffered records. */
  head(): JournalHead;
  /** Records buffered and not yet durable. */
  pendingCount(): number;
  /** Every record from `fromSeq` (default 1) in seq order, durable and buffered, payloads parsed from JSON. */
  records(fromSeq?: number): IterableIterator<JournalRecord>;
  /** Flushes, marks the session cleanly closed, releases the store. Idempotent. */
  close(): void;
}

export type ChainBreakReason =
  | 'hash-mismatch'
  | 'prev-hash-mismatch'
  | 'seq-gap'
  | 'malformed'
  | 'unreadable';

export interface ChainBreak {
  readonly seq: number;
  readonly reason: ChainBreakReason;
  readonly expected?: string;
  readonly actual?: string;
}

export type VerifyResult =
  | { readonly ok: true; readonly records: number; readonly headHash: string }
  | {
      readonly ok: false;
      /** A broken journal is a corrupt one: the code its writers and readers refuse it with. */
      readonly code: 'CONCORD_ERR_JOURNAL_CORRUPT';
      /** Records that verified before the first bad one. */
      readonly records: number;
      readonly firstBad: ChainBreak;
      readonly message: string;
    };
