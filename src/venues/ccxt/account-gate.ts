/**
 * One gate per exchange account, shared by everything in the process that uses the
 * account (every venue object, every agent, the reconciler). It sits where a REST
 * request leaves for the wire, so nothing slips past it:
 *
 * - A 429 (rate limited) or 418 (banned) answer closes the gate for the account until
 *   the answer's `Retry-After` (seconds) has passed — or, without one, for a backoff that
 *   doubles with each consecutive refusal (`baseBackoffMs` … `maxBackoffMs`). Ignoring a
 *   429 is what earns an IP ban, so while the gate is closed *no* request is sent.
 * - A read or cancel that meets a closed gate waits for it to open when that is within
 *   `maxWaitMs`, else fails with CONCORD_ERR_VENUE_RATE_LIMITED (retryable, with
 *   `details.retryInMs`). A submit never waits: a late order is a different order, so it
 *   is refused at once (the venue adapter turns that into `order.rejected` RATE_LIMITED).
 * - Any successful answer resets the consecutive-refusal count.
 *
 * Time comes from the injected Clock; the registry key is the exchange id plus a hash
 * of the API key, so the key itself is never held as a map key or printed.
 */
import { type Clock, ConcordError, sha256Hex } from '../../core/index.ts';

export interface AccountGateOptions {
  readonly clock: Clock;
  /** Backoff after a refusal without Retry-After; doubles per consecutive refusal (default 1000). */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Longest a read or cancel waits for the gate before failing (default 5000). */
  readonly maxWaitMs?: number;
}

export interface GateState {
  readonly closedUntil: number;
  readonly refusals: number;
  readonly banned: boolean;
  /** 429/418 answers seen, and requests held back because the gate was closed. */
  readonly rateLimited: number;
  readonly held: number;
}

export class AccountGate {
  private readonly clock: Clock;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxWaitMs: number;
  private closedUntil = 0;
  private consecutive = 0;
  private banned = false;
  private rateLimited = 0;
  private held = 0;

  constructor(
    readonly account: string,
    options: AccountGateOptions,
  ) {
    this.clock = options.clock;
    this.baseBackoffMs = options.baseBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 120_000;
    this.maxWaitMs = options.maxWaitMs ?? 5000;
  }

  state(): GateState {
    return {
      closedUntil: this.closedUntil,
      refusals: this.consecutive,
      banned: this.banned && this.clock.now() < this.closedUntil,
      rateLimited: this.rateLimited,
      held: this.held,
    };
  }

  /** Milliseconds until the gate opens (0 when open). */
  remainingMs(): number {
    return Math.max(0, this.closedUntil - this.clock.now());
  }

  /**
   * Resolves when a request may go out now. `submit`: never waits (throws at once
   * when closed); otherwise waits up to `maxWaitMs`, then throws.
   */
  async pass(kind: 'submit' | 'read' | 'cancel', operation: string): Promise<void> {
    for (;;) {
      const wait = this.remainingMs();
      if (wait <= 0) return;
      this.held++;
      if (kind === 'submit' || wait > this.maxWaitMs) throw this.closedError(operation, wait);
      await this.clock.sleep(wait);
    }
  }

  /** Records an answer's HTTP status and Retry-After header (seconds or an HTTP date). */
  observe(status: number, retryAfter: string | undefined): void {
    if (status !== 429 && status !== 418) {
      if (status >= 200 && status < 300) this.consecutive = 0;
      return;
    }
    this.rateLimited++;
    this.consecutive++;
    const now = this.clock.now();
    const told = parseRetryAfter(retryAfter, now);
    const backoff = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (this.consecutive - 1));
    const until = now + (told ?? backoff);
    if (until > this.closedUntil) this.closedUntil = until;
    if (status === 418) this.banned = true;
  }

  private closedError(operation: string, waitMs: number): ConcordError {
    const banned = this.banned;
    return new ConcordError(
      'CONCORD_ERR_VENUE_RATE_LIMITED',
      `${this.account}: ${operation} not sent, the account is ${banned ? 'banned' : 'backing off'} after a ${banned ? '418' : '429'} for ${Math.ceil(waitMs)} ms more; nothing reached the venue`,
      {
        details: { account: this.account, operation, retryInMs: Math.ceil(waitMs), banned },
        retryable: true,
      },
    );
  }
}

/** Seconds (`"3"`) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

const gates = new Map<string, AccountGate>();

/** The gate shared by every user of (exchange, apiKey) in this process. */
export function accountGate(
  exchange: string,
  apiKey: string | undefined,
  options: AccountGateOptions,
): AccountGate {
  const key = `${exchange}:${apiKey === undefined || apiKey === '' ? 'public' : sha256Hex(apiKey).slice(0, 16)}`;
  let gate = gates.get(key);
  if (gate === undefined) {
    gate = new AccountGate(key, options);
    gates.set(key, gate);
  }
  return gate;
}
