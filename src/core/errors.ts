/**
 * One base error for the whole project. Every error carries a stable code
 * (`CONCORD_ERR_*`) listed in docs/errors.md; a test keeps the two in step.
 * Messages read as help: what went wrong, what was expected, what to do.
 */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface ConcordErrorOptions {
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
  /** True when retrying the same operation may succeed (network, rate limit). */
  readonly retryable?: boolean;
}

export class ConcordError extends Error {
  override readonly name: string = 'ConcordError';
  readonly code: string;
  readonly shortMessage: string;
  readonly details: ErrorDetails;
  readonly retryable: boolean;

  constructor(code: `CONCORD_ERR_${string}`, shortMessage: string, options: ConcordErrorOptions = {}) {
    const details = options.details ?? {};
    const detailText = Object.keys(details).length > 0 ? `\n  details: ${safeJson(details)}` : '';
    super(
      `${code}: ${shortMessage}${detailText}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = details;
    this.retryable = options.retryable ?? false;
  }

  get docsPath(): string {
    return `docs/errors.md#${this.code.toLowerCase()}`;
  }

  /** Walks the `cause` chain, returning the first error for which `fn` is true (or the last one). */
  walk(fn?: (err: unknown) => boolean): unknown {
    let current: unknown = this;
    let last: unknown = this;
    while (current !== undefined && current !== null) {
      if (fn?.(current)) return current;
      last = current;
      current = (current as { cause?: unknown }).cause;
    }
    return fn ? undefined : last;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.shortMessage, details: this.details, retryable: this.retryable };
  }
}

export function isConcordError(err: unknown, code?: string): err is ConcordError {
  return err instanceof ConcordError && (code === undefined || err.code === code);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}

/** Turns anything thrown into a ConcordError, keeping the original as `cause`. */
export function toConcordError(
  err: unknown,
  code: `CONCORD_ERR_${string}` = 'CONCORD_ERR_INTERNAL',
): ConcordError {
  if (err instanceof ConcordError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ConcordError(code, message, { cause: err });
}
