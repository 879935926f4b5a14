/**
 * Error recovery: what to do when a venue or a data source misbehaves.
 *
 * - `retryWithBackoff`: exponential backoff with full jitter, for retryable errors only.
 *   A submit is never retried (invariant 2): its outcome may be unknown, so a second
 *   send could double the order. Asking to retry a submit is refused in code.
 * - `DataHealth`: marks a market-data source stale after `staleAfterMs` without data,
 *   fails over to the next source of the same instrument, and names the agents whose
 *   instruments have no fresh source (so the kernel can mark them DEGRADED).
 *
 * Time and randomness are injected (Clock, Random): a simulated run is deterministic.
 */
import { type Clock, ConcordError, type Random, toConcordError } from '../core/index.ts';
import type { InstrumentId } from '../model/index.ts';

// ── retry ────────────────────────────────────────────────────────────────

/** What the retried operation does. `submit` is never retried. */
export type OperationKind = 'read' | 'cancel' | 'submit';

export interface RetryPolicy {
  readonly kind: OperationKind;
  /** Total attempts including the first (≥ 1). */
  readonly maxAttempts: number;
  /** Cap of the first backoff, in ms of the clock (> 0). */
  readonly baseDelayMs: number;
  /** No backoff is longer than this (≥ baseDelayMs). */
  readonly maxDelayMs: number;
  /** Growth factor of the backoff cap per attempt; default 2. */
  readonly multiplier?: number;
}

export interface RetryHooks {
  /** Called before each wait, with the error that caused it. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: ConcordError }) => void;
}

export const DEFAULT_READ_RETRY: RetryPolicy = Object.freeze({
  kind: 'read',
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
});

/**
 * Runs `fn` until it succeeds, a non-retryable error is thrown, or attempts run out
 * (then the last error is thrown as it was). Backoff before attempt n+1 is uniform in
 * [0, min(maxDelay, base × multiplier^(n-1))) ("full jitter"), drawn from `random`.
 * Refuses `kind: 'submit'` without calling `fn`.
 */
export async function retryWithBackoff<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  random: Random,
  hooks: RetryHooks = {},
): Promise<T> {
  assertRetryPolicy(policy);
  const multiplier = policy.multiplier ?? 2;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const error = toConcordError(err);
      if (!error.retryable || attempt >= policy.maxAttempts) throw err;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * multiplier ** (attempt - 1));
      const delayMs = random.uniform(0, cap);
      hooks.onRetry?.({ attempt, delayMs, error });
      await clock.sleep(delayMs);
    }
  }
}

function assertRetryPolicy(policy: RetryPolicy): void {
  if (policy.kind === 'submit') {
    throw new ConcordError(
      'CONCORD_ERR_RETRY_SUBMIT_FORBIDDEN',
      'a submit is never retried: its outcome may be unknown and a second send could double the order; leave it UNKNOWN and let reconciliation resolve it',
      { details: { kind: policy.kind } },
    );
  }
  const bad = (path: string, expected: string, received: unknown) =>
    new ConcordError('CONCORD_ERR_CONFIG_INVALID', `retry policy ${path} must be ${expected}`, {
      details: { path: `retry.${path}`, expected, received },
    });
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)
    throw bad('maxAttempts', 'an integer ≥ 1', policy.maxAttempts);
  if (!(policy.baseDelayMs > 0) || !Number.isFinite(policy.baseDelayMs))
    throw bad('baseDelayMs', 'a finite number > 0', policy.baseDelayMs);
  if (!(policy.maxDelayMs >= policy.baseDelayMs) || !Number.isFinite(policy.maxDelayMs))
    throw bad('maxDelayMs', 'a finite number ≥ baseDelayMs', policy.maxDelayMs);
  if (policy.multiplier !== undefined && (!(policy.multiplier >= 1) || !Number.isFinite(policy.multiplier)))
    throw bad('multiplier', 'a finite number ≥ 1', policy.multiplier);
}

// ── data staleness and failover ──────────────────────────────────────────

export interface DataHealthOptions {
  readonly clock: Clock;
  /** A source with no data for this long is stale (> 0). */
  readonly staleAfterMs: number;
  /** Preferred order of sources per instrument key; unlisted sources follow in order of first sight. */
  readonly sources?: Readonly<Record<string, readonly string[]>>;
  /** Called when a (source, instrument) becomes stale or fresh again. */
  readonly onChange?: (change: { source: string; instrumentId: string; stale: boolean; ts: number }) => void;
}

export interface DataHealthReport {
  readonly ts: number;
  /** `source|instrument` pairs with no data for `staleAfterMs`. */
  readonly staleFeeds: readonly { source: string; instrumentId: string; lastSeen: number | undefined }[];
  /** Instruments with no fresh source at all. */
  readonly staleInstruments: readonly string[];
  /** The source in use per instrument (omitted when none is fresh). */
  readonly preferred: Readonly<Record<string, string>>;
}

/**
 * Tracks the freshness of market data per (source, instrument). `instrumentId` is the
 * key sources share: use the same key for one market seen through two feeds.
 * Cheap on the hot path: `observe` is one map lookup and a store.
 */
export class DataHealth {
  private readonly clock: Clock;
  private readonly staleAfterMs: number;
  private readonly order = new Map<string, string[]>();
  private readonly lastSeen = new Map<string, Map<string, number>>();
  /** Staleness last reported per `source|instrument`, to fire onChange on edges only. */
  private readonly reported = new Map<string, boolean>();
  private readonly onChange: DataHealthOptions['onChange'];

  constructor(options: DataHealthOptions) {
    if (!(options.staleAfterMs > 0) || !Number.isFinite(options.staleAfterMs)) {
      throw new ConcordError('CONCORD_ERR_CONFIG_INVALID', 'staleAfterMs must be a finite number of ms > 0', {
        details: { path: 'dataHealth.staleAfterMs', expected: '> 0', received: options.staleAfterMs },
      });
    }
    this.clock = options.clock;
    this.staleAfterMs = options.staleAfterMs;
    this.onChange = options.onChange;
    for (const [instrumentId, sources] of Object.entries(options.sources ?? {}))
      this.order.set(instrumentId, [...sources]);
  }

  /** Records data from `source` for `instrumentId` at `ts` (default: the clock's now). */
  observe(source: string, instrumentId: InstrumentId, ts = this.clock.now()): void {
    let bySource = this.lastSeen.get(instrumentId);
    if (bySource === undefined) {
      bySource = new Map();
      this.lastSeen.set(instrumentId, bySource);
    }
    const previous = bySource.get(source);
    if (previous === undefined) {
      let sources = this.order.get(instrumentId);
      if (sources === undefined) {
        sources = [];
        this.order.set(instrumentId, sources);
      }
      if (!sources.includes(source)) sources.push(source);
    }
    if (previous === undefined || ts > previous) bySource.set(source, ts);
    if (this.onChange !== undefined && this.reported.get(`${source}|${instrumentId}`) === true)
      this.notify(source, instrumentId, false);
  }

  /** Convenience for market events: any event type counts as a sign of life. */
  onMarketEvent(source: string, event: { readonly instrumentId: InstrumentId; readonly ts: number }): void {
    this.observe(source, event.instrumentId, event.ts);
  }

  isStale(source: string, instrumentId: InstrumentId, now = this.clock.now()): boolean {
    const seen = this.lastSeen.get(instrumentId)?.get(source);
    return seen === undefined || now - seen >= this.staleAfterMs;
  }

  /** The first fresh source in priority order, or undefined when every source is stale (or none known). */
  preferredSource(instrumentId: InstrumentId): string | undefined {
    const now = this.clock.now();
    for (const source of this.order.get(instrumentId) ?? [])
      if (!this.isStale(source, instrumentId, now)) return source;
    return undefined;
  }

  /** True when at least one source of the instrument is fresh. */
  isFresh(instrumentId: InstrumentId): boolean {
    return this.preferredSource(instrumentId) !== undefined;
  }

  /** Instruments (known or listed) with no fresh source, sorted. */
  staleInstruments(): InstrumentId[] {
    return [...this.order.keys()].filter((id) => !this.isFresh(id)).sort();
  }

  /**
   * Agents whose instruments include one with no fresh source, sorted: the kernel marks
   * them DEGRADED. An instrument never seen and never listed counts as stale.
   */
  staleAgents(
    agentInstruments:
      | Readonly<Record<string, readonly InstrumentId[]>>
      | ReadonlyMap<string, readonly InstrumentId[]>,
  ): string[] {
    const entries =
      agentInstruments instanceof Map ? [...agentInstruments.entries()] : Object.entries(agentInstruments);
    return entries
      .filter(([, instruments]) => instruments.some((id: InstrumentId) => !this.isFresh(id)))
      .map(([agentId]) => agentId)
      .sort();
  }

  /** Checks every feed, fires onChange for feeds that went stale, and returns the picture. */
  check(): DataHealthReport {
    const now = this.clock.now();
    const staleFeeds: { source: string; instrumentId: string; lastSeen: number | undefined }[] = [];
    const preferred: Record<string, string> = {};
    for (const instrumentId of [...this.order.keys()].sort()) {
      for (const source of this.order.get(instrumentId) ?? []) {
        const stale = this.isStale(source, instrumentId, now);
        if (stale)
          staleFeeds.push({ source, instrumentId, lastSeen: this.lastSeen.get(instrumentId)?.get(source) });
        if (
          this.onChange !== undefined &&
          (this.reported.get(`${source}|${instrumentId}`) ?? false) !== stale
        ) {
          this.notify(source, instrumentId, stale);
        }
      }
      const p = this.preferredSource(instrumentId);
      if (p !== undefined) preferred[instrumentId] = p;
    }
    return { ts: now, staleFeeds, staleInstruments: this.staleInstruments(), preferred };
  }

  private notify(source: string, instrumentId: string, stale: boolean): void {
    this.reported.set(`${source}|${instrumentId}`, stale);
    this.onChange?.({ source, instrumentId, stale, ts: this.clock.now() });
  }
}
