/**
 * Deterministic identifiers. Ids come from counters and hashes of their inputs,
 * never from the wall clock or an unseeded random source, so a replay mints the
 * same ids. A client order id is a pure function of the decision and the leg,
 * which is what lets a restarted desk recognise an order it already sent.
 */
import { sha256Hex } from './hash.ts';

export class IdGenerator {
  private readonly counters = new Map<string, number>();

  constructor(private readonly namespace = '') {}

  next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return this.namespace === '' ? `${prefix}-${n}` : `${this.namespace}-${prefix}-${n}`;
  }

  /** Current counter values, so a restarted desk can continue without reusing ids. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  restore(counters: Record<string, number>): void {
    for (const [k, v] of Object.entries(counters)) {
      if (v > (this.counters.get(k) ?? 0)) this.counters.set(k, v);
    }
  }
}

/** `c` + 24 hex chars of sha256(decisionId, leg): 25 chars, within every major venue's limit (≤ 32). */
export function clientOrderId(decisionId: string, leg: number, attempt = 0): string {
  return `c${sha256Hex(`${decisionId}|${leg}|${attempt}`).slice(0, 24)}`;
}
