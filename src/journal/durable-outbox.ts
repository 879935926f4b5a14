/**
 * Durable before visible: what a desk shows (a fill, an order acknowledgement, a PnL figure)
 * must survive a crash, so it is held until the journal record it depends on is durable.
 *
 * A producer tags each item with the journal seq it depends on (the seq of the last record
 * written, or about to be written, before the item was made) and calls `release` after each
 * commit with the journal's durable seq. Items go out in the order they were held, never
 * before their record is durable; items whose records never become durable (the journal
 * failed) are never delivered, and `withheld()` says how many there are.
 *
 * The hot path pays an array push per held item and one comparison per release.
 */
import type { Journal } from './types.ts';

/** Highest seq whose record is durable: everything appended minus what is still buffered. */
export function durableSeq(journal: Pick<Journal, 'head' | 'pendingCount'>): number {
  return journal.head().seq - journal.pendingCount();
}

export class DurableOutbox<T> {
  private readonly listeners: Array<(item: T) => void> = [];
  private seqs: number[] = [];
  private items: T[] = [];
  /** Index of the first item not yet delivered (the arrays are compacted once drained). */
  private next = 0;
  private releasedUpTo = 0;

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: (item: T) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Holds `item` until the record with seq `dependsOnSeq` is durable (at once if it already is). */
  hold(dependsOnSeq: number, item: T): void {
    if (dependsOnSeq <= this.releasedUpTo && this.next === this.items.length) {
      this.deliver(item);
      return;
    }
    this.seqs.push(dependsOnSeq);
    this.items.push(item);
  }

  /** Delivers, in order, every held item whose record is at or below `durable`. Returns how many. */
  release(durable: number): number {
    if (durable > this.releasedUpTo) this.releasedUpTo = durable;
    let delivered = 0;
    while (this.next < this.items.length && (this.seqs[this.next] as number) <= this.releasedUpTo) {
      const item = this.items[this.next] as T;
      this.next++;
      delivered++;
      this.deliver(item);
    }
    if (this.next === this.items.length && this.next > 0) {
      this.seqs = [];
      this.items = [];
      this.next = 0;
    }
    return delivered;
  }

  /** Items held whose records are not durable yet. */
  withheld(): number {
    return this.items.length - this.next;
  }

  /** The last durable seq passed to `release`. */
  durableSeq(): number {
    return this.releasedUpTo;
  }

  private deliver(item: T): void {
    for (const listener of this.listeners) listener(item);
  }
}
