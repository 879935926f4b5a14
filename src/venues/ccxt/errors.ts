/**
 * ccxt's error hierarchy mapped to Concord's, split by whether a retry can help.
 *
 * ccxt throws `NetworkError` subclasses (timeout, rate limit, unavailable, nonce) that a
 * retry may cure, and `ExchangeError` subclasses (auth, insufficient funds, invalid
 * order, bad symbol) that it never will. Each maps to one stable Concord code
 * (`ERROR_TABLE`); the class is found by walking the error's prototype chain by name,
 * so this file never loads ccxt.
 *
 * A submit is special: what matters is whether the order may exist. `submitOutcome`
 * says `refused` (the venue answered and the order was definitely not placed: it
 * becomes an `order.rejected` event with a venue reject code), `account` (the venue
 * refused for a reason that is not about this order, e.g. bad keys: thrown, not
 * retryable) or `unknown` (timeout, 5xx, connection lost, unreadable answer: thrown
 * as CONCORD_ERR_VENUE_TIMEOUT so the order manager parks the order in UNKNOWN and
 * reconciles it by client order id; it is never sent again).
 */
import { ConcordError } from '../../core/index.ts';

/** What a failed call means for retrying it. */
export type ErrorKind =
  | 'timeout'
  | 'rate-limit'
  | 'unavailable'
  | 'clock'
  | 'auth'
  | 'insufficient-funds'
  | 'invalid-order'
  | 'order-not-found'
  | 'bad-request'
  | 'not-supported'
  | 'exchange'
  | 'unexpected';

export interface ErrorRule {
  /** The ccxt class (the first match walking up the class chain wins). */
  readonly ccxtClass: string;
  readonly kind: ErrorKind;
  readonly code: `CONCORD_ERR_${string}`;
  /** Whether repeating the same read or cancel may succeed. */
  readonly retryable: boolean;
  /** For a submit: was the order definitely not placed (`refused`), refused for account reasons, or unknown? */
  readonly submit: 'refused' | 'account' | 'unknown';
  /** The `order.rejected` code when `submit` is `refused`. */
  readonly rejectCode?: string;
}

/**
 * Most specific class first; every ccxt error class is a subclass of one of the last
 * rows, so each has a rule. Documented in docs/errors.md and docs/venues.md.
 */
export const ERROR_TABLE: readonly ErrorRule[] = [
  {
    ccxtClass: 'RequestTimeout',
    kind: 'timeout',
    code: 'CONCORD_ERR_VENUE_TIMEOUT',
    retryable: true,
    submit: 'unknown',
  },
  {
    ccxtClass: 'DDoSProtection',
    kind: 'rate-limit',
    code: 'CONCORD_ERR_VENUE_RATE_LIMITED',
    retryable: true,
    submit: 'refused',
    rejectCode: 'RATE_LIMITED',
  },
  {
    ccxtClass: 'RateLimitExceeded',
    kind: 'rate-limit',
    code: 'CONCORD_ERR_VENUE_RATE_LIMITED',
    retryable: true,
    submit: 'refused',
    rejectCode: 'RATE_LIMITED',
  },
  {
    // A stream's book failed its checksum: resubscribe (it extends InvalidNonce, but is no clock matter).
    ccxtClass: 'ChecksumError',
    kind: 'unavailable',
    code: 'CONCORD_ERR_VENUE_UNAVAILABLE',
    retryable: true,
    submit: 'unknown',
  },
  {
    ccxtClass: 'InvalidNonce',
    kind: 'clock',
    code: 'CONCORD_ERR_VENUE_CLOCK_SKEW',
    retryable: true,
    submit: 'refused',
    rejectCode: 'CLOCK_SKEW',
  },
  {
    ccxtClass: 'ExchangeNotAvailable',
    kind: 'unavailable',
    code: 'CONCORD_ERR_VENUE_UNAVAILABLE',
    retryable: true,
    submit: 'unknown',
  },
  {
    ccxtClass: 'NetworkError',
    kind: 'unavailable',
    code: 'CONCORD_ERR_VENUE_UNAVAILABLE',
    retryable: true,
    submit: 'unknown',
  },
  {
    ccxtClass: 'OperationFailed',
    kind: 'unavailable',
    code: 'CONCORD_ERR_VENUE_UNAVAILABLE',
    retryable: true,
    submit: 'unknown',
  },
  {
    ccxtClass: 'AuthenticationError',
    kind: 'auth',
    code: 'CONCORD_ERR_VENUE_AUTH',
    retryable: false,
    submit: 'account',
  },
  {
    ccxtClass: 'InsufficientFunds',
    kind: 'insufficient-funds',
    code: 'CONCORD_ERR_VENUE_INSUFFICIENT_FUNDS',
    retryable: false,
    submit: 'refused',
    rejectCode: 'INSUFFICIENT_FUNDS',
  },
  {
    ccxtClass: 'OrderNotFound',
    kind: 'order-not-found',
    code: 'CONCORD_ERR_VENUE_ORDER_NOT_FOUND',
    retryable: false,
    submit: 'refused',
    rejectCode: 'INVALID_ORDER',
  },
  {
    ccxtClass: 'OrderImmediatelyFillable',
    kind: 'invalid-order',
    code: 'CONCORD_ERR_VENUE_INVALID_ORDER',
    retryable: false,
    submit: 'refused',
    rejectCode: 'POST_ONLY_WOULD_CROSS',
  },
  {
    ccxtClass: 'DuplicateOrderId',
    kind: 'invalid-order',
    code: 'CONCORD_ERR_VENUE_INVALID_ORDER',
    retryable: false,
    submit: 'refused',
    rejectCode: 'DUPLICATE_CLIENT_ORDER_ID',
  },
  {
    ccxtClass: 'InvalidOrder',
    kind: 'invalid-order',
    code: 'CONCORD_ERR_VENUE_INVALID_ORDER',
    retryable: false,
    submit: 'refused',
    rejectCode: 'INVALID_ORDER',
  },
  {
    ccxtClass: 'BadSymbol',
    kind: 'bad-request',
    code: 'CONCORD_ERR_VENUE_BAD_REQUEST',
    retryable: false,
    submit: 'refused',
    rejectCode: 'UNKNOWN_INSTRUMENT',
  },
  {
    ccxtClass: 'MarketClosed',
    kind: 'bad-request',
    code: 'CONCORD_ERR_VENUE_BAD_REQUEST',
    retryable: false,
    submit: 'refused',
    rejectCode: 'MARKET_CLOSED',
  },
  {
    ccxtClass: 'BadRequest',
    kind: 'bad-request',
    code: 'CONCORD_ERR_VENUE_BAD_REQUEST',
    retryable: false,
    submit: 'refused',
    rejectCode: 'INVALID_ORDER',
  },
  {
    ccxtClass: 'OperationRejected',
    kind: 'bad-request',
    code: 'CONCORD_ERR_VENUE_BAD_REQUEST',
    retryable: false,
    submit: 'refused',
    rejectCode: 'INVALID_ORDER',
  },
  {
    ccxtClass: 'ArgumentsRequired',
    kind: 'bad-request',
    code: 'CONCORD_ERR_VENUE_BAD_REQUEST',
    retryable: false,
    submit: 'refused',
    rejectCode: 'INVALID_ORDER',
  },
  {
    ccxtClass: 'NotSupported',
    kind: 'not-supported',
    code: 'CONCORD_ERR_VENUE_NOT_SUPPORTED',
    retryable: false,
    submit: 'account',
  },
  {
    ccxtClass: 'ExchangeError',
    kind: 'exchange',
    code: 'CONCORD_ERR_VENUE_EXCHANGE',
    retryable: false,
    submit: 'refused',
    rejectCode: 'VENUE_REJECTED',
  },
  {
    // Any other ccxt error (e.g. a failed unsubscribe): nothing says whether an order was placed.
    ccxtClass: 'BaseError',
    kind: 'exchange',
    code: 'CONCORD_ERR_VENUE_EXCHANGE',
    retryable: false,
    submit: 'unknown',
  },
];

const UNEXPECTED: ErrorRule = {
  ccxtClass: '',
  kind: 'unexpected',
  code: 'CONCORD_ERR_VENUE_UNEXPECTED',
  retryable: false,
  submit: 'unknown',
};

/**
 * Order refusals that ccxt reports with a generic class but whose message names the
 * reason (Binance's `-1013 Filter failure: LOT_SIZE`, `-2010 Duplicate order sent.`).
 * Checked before the class table, only for refused submits.
 */
const REJECT_REFINEMENTS: readonly { readonly pattern: RegExp; readonly rejectCode: string }[] = [
  {
    pattern: /duplicate (order|client ?order ?id)|clientOrderId.*(exists|duplicate)/i,
    rejectCode: 'DUPLICATE_CLIENT_ORDER_ID',
  },
  {
    pattern: /PRICE_FILTER|LOT_SIZE|MARKET_LOT_SIZE|tick size|step size|precision/i,
    rejectCode: 'BAD_PRECISION',
  },
  {
    pattern: /MIN_NOTIONAL|NOTIONAL|minimum (order )?(amount|cost|notional|value)/i,
    rejectCode: 'MIN_NOTIONAL',
  },
  { pattern: /would immediately (match|trigger)|post.?only/i, rejectCode: 'POST_ONLY_WOULD_CROSS' },
  // Hyperliquid answers a nonce outside its window with a plain error (ccxt: ExchangeError).
  { pattern: /invalid nonce|nonce .*too far|outside of the recvWindow/i, rejectCode: 'CLOCK_SKEW' },
];

/** The class names of an error, most derived first (`['RateLimitExceeded', 'NetworkError', …]`). */
export function ccxtClassChain(err: unknown): string[] {
  const names: string[] = [];
  if (typeof err !== 'object' || err === null) return names;
  for (let proto = Object.getPrototypeOf(err); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name !== 'string' || name === 'Object') break;
    names.push(name);
    if (name === 'BaseError' || name === 'Error') break;
  }
  return names;
}

/** True when the error is one of ccxt's (its chain reaches ccxt's `BaseError`). */
export function isCcxtError(err: unknown): boolean {
  return ccxtClassChain(err).includes('BaseError');
}

/** The rule that applies to an error (ccxt's or anything else). */
export function classify(err: unknown): ErrorRule {
  if (!isCcxtError(err)) return UNEXPECTED;
  for (const name of ccxtClassChain(err)) {
    const rule = ERROR_TABLE.find((r) => r.ccxtClass === name);
    if (rule !== undefined) return rule;
  }
  return UNEXPECTED;
}

/** The `order.rejected` code for a refused submit, refined by the venue's message. */
export function rejectCodeOf(err: unknown, rule: ErrorRule = classify(err)): string {
  const generic = rule.rejectCode ?? 'VENUE_REJECTED';
  // A specific class (funds, post-only, rate limit, bad symbol) says more than any message.
  if (generic !== 'INVALID_ORDER' && generic !== 'VENUE_REJECTED') return generic;
  const message = err instanceof Error ? err.message : String(err);
  return REJECT_REFINEMENTS.find((r) => r.pattern.test(message))?.rejectCode ?? generic;
}

/**
 * The venue's message without anything secret: ccxt messages carry the exchange's
 * answer body, never the request, but a URL with a query could carry a signature.
 */
export function venueMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .replace(/([?&](signature|apiKey|api_key|sign|key|token|listenKey)=)[^&\s"]+/gi, '$1***')
    .slice(0, 500);
}

export interface VenueErrorContext {
  readonly venue: string;
  readonly operation: string;
  readonly clientOrderId?: string;
  readonly symbol?: string;
}

/** Any error from a ccxt call as a coded ConcordError, with the ccxt class and venue message in details. */
export function toVenueError(err: unknown, context: VenueErrorContext): ConcordError {
  if (err instanceof ConcordError) return err;
  const rule = classify(err);
  const message = venueMessage(err);
  const advice = rule.retryable
    ? 'retry with backoff'
    : rule.kind === 'auth'
      ? 'check the API key, its permissions and IP whitelist'
      : rule.kind === 'unexpected'
        ? 'a bug or an answer the adapter does not understand: report it with the venue message'
        : 'retrying the same request will not help';
  return new ConcordError(
    rule.code,
    `${context.venue} ${context.operation} failed (${rule.kind}): ${message}; ${advice}`,
    {
      details: {
        venue: context.venue,
        operation: context.operation,
        kind: rule.kind,
        ccxtClass: ccxtClassChain(err)[0] ?? typeof err,
        ...(context.clientOrderId === undefined ? {} : { clientOrderId: context.clientOrderId }),
        ...(context.symbol === undefined ? {} : { symbol: context.symbol }),
      },
      retryable: rule.retryable,
      cause: err,
    },
  );
}

/**
 * A submit whose outcome is unknown, as the order manager expects it: code
 * CONCORD_ERR_VENUE_TIMEOUT, not retryable (the order may exist: reconcile by client
 * order id, never resend).
 */
export function unknownOutcomeError(err: unknown, context: VenueErrorContext): ConcordError {
  const rule = classify(err);
  return new ConcordError(
    'CONCORD_ERR_VENUE_TIMEOUT',
    `${context.venue} createOrder ${context.clientOrderId ?? ''} ended without a clear answer (${rule.kind}: ${venueMessage(err)}); the order may or may not exist at the venue: leave it UNKNOWN and reconcile by client order id, never resend`,
    {
      details: {
        venue: context.venue,
        operation: context.operation,
        kind: rule.kind,
        ccxtClass: ccxtClassChain(err)[0] ?? typeof err,
        ...(context.clientOrderId === undefined ? {} : { clientOrderId: context.clientOrderId }),
        ...(context.symbol === undefined ? {} : { symbol: context.symbol }),
      },
      retryable: false,
      cause: err,
    },
  );
}
