/**
 * The error mapping, three ways: ccxt's classes (every one it exports), Binance's own
 * error answers parsed by ccxt's Binance error handler, and real calls against the
 * loopback Binance server. Expected values are written out, not derived from the table.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, isConcordError } from '../../../src/core/index.ts';
import type { VenueOrderEvent } from '../../../src/model/index.ts';
import {
  ccxtClassChain,
  classify,
  loadCcxt,
  publicExchange,
  rejectCodeOf,
  toVenueError,
  unknownOutcomeError,
} from '../../../src/venues/ccxt/index.ts';
import { binanceHarness, cleanupAfterEachTest } from './harness.ts';

cleanupAfterEachTest();

type Row = [
  ccxtClass: string,
  code: string,
  retryable: boolean,
  submit: 'refused' | 'account' | 'unknown',
  reject?: string,
];

const BY_CLASS: readonly Row[] = [
  ['RequestTimeout', 'CONCORD_ERR_VENUE_TIMEOUT', true, 'unknown'],
  ['RateLimitExceeded', 'CONCORD_ERR_VENUE_RATE_LIMITED', true, 'refused', 'RATE_LIMITED'],
  ['DDoSProtection', 'CONCORD_ERR_VENUE_RATE_LIMITED', true, 'refused', 'RATE_LIMITED'],
  ['ExchangeNotAvailable', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, 'unknown'],
  ['OnMaintenance', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, 'unknown'],
  ['NetworkError', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, 'unknown'],
  ['ChecksumError', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, 'unknown'],
  ['InvalidNonce', 'CONCORD_ERR_VENUE_CLOCK_SKEW', true, 'refused', 'CLOCK_SKEW'],
  ['BadResponse', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, 'unknown'],
  ['NullResponse', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, 'unknown'],
  ['OperationFailed', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, 'unknown'],
  ['CancelPending', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, 'unknown'],
  ['AuthenticationError', 'CONCORD_ERR_VENUE_AUTH', false, 'account'],
  ['PermissionDenied', 'CONCORD_ERR_VENUE_AUTH', false, 'account'],
  ['AccountNotEnabled', 'CONCORD_ERR_VENUE_AUTH', false, 'account'],
  ['AccountSuspended', 'CONCORD_ERR_VENUE_AUTH', false, 'account'],
  ['InsufficientFunds', 'CONCORD_ERR_VENUE_INSUFFICIENT_FUNDS', false, 'refused', 'INSUFFICIENT_FUNDS'],
  ['InvalidOrder', 'CONCORD_ERR_VENUE_INVALID_ORDER', false, 'refused', 'INVALID_ORDER'],
  ['OrderNotFound', 'CONCORD_ERR_VENUE_ORDER_NOT_FOUND', false, 'refused', 'INVALID_ORDER'],
  ['OrderImmediatelyFillable', 'CONCORD_ERR_VENUE_INVALID_ORDER', false, 'refused', 'POST_ONLY_WOULD_CROSS'],
  ['OrderNotFillable', 'CONCORD_ERR_VENUE_INVALID_ORDER', false, 'refused', 'INVALID_ORDER'],
  ['DuplicateOrderId', 'CONCORD_ERR_VENUE_INVALID_ORDER', false, 'refused', 'DUPLICATE_CLIENT_ORDER_ID'],
  ['BadSymbol', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'UNKNOWN_INSTRUMENT'],
  ['BadRequest', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'INVALID_ORDER'],
  ['MarketClosed', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'MARKET_CLOSED'],
  ['OperationRejected', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'INVALID_ORDER'],
  ['ArgumentsRequired', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'INVALID_ORDER'],
  ['NotSupported', 'CONCORD_ERR_VENUE_NOT_SUPPORTED', false, 'account'],
  ['ExchangeError', 'CONCORD_ERR_VENUE_EXCHANGE', false, 'refused', 'VENUE_REJECTED'],
  ['UnsubscribeError', 'CONCORD_ERR_VENUE_EXCHANGE', false, 'unknown'],
  ['BaseError', 'CONCORD_ERR_VENUE_EXCHANGE', false, 'unknown'],
  ['OrderNotCached', 'CONCORD_ERR_VENUE_INVALID_ORDER', false, 'refused', 'INVALID_ORDER'],
  ['ContractUnavailable', 'CONCORD_ERR_VENUE_INVALID_ORDER', false, 'refused', 'INVALID_ORDER'],
  ['NoChange', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'INVALID_ORDER'],
  ['MarginModeAlreadySet', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'INVALID_ORDER'],
  ['ManualInteractionNeeded', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'INVALID_ORDER'],
  ['RestrictedLocation', 'CONCORD_ERR_VENUE_BAD_REQUEST', false, 'refused', 'INVALID_ORDER'],
  ['InvalidAddress', 'CONCORD_ERR_VENUE_EXCHANGE', false, 'refused', 'VENUE_REJECTED'],
  ['AddressPending', 'CONCORD_ERR_VENUE_EXCHANGE', false, 'refused', 'VENUE_REJECTED'],
  ['InvalidProxySettings', 'CONCORD_ERR_VENUE_EXCHANGE', false, 'refused', 'VENUE_REJECTED'],
  ['ExchangeClosedByUser', 'CONCORD_ERR_VENUE_EXCHANGE', false, 'refused', 'VENUE_REJECTED'],
];

async function ccxtError(name: string): Promise<Error> {
  const ccxt = await loadCcxt();
  const Ctor = ccxt[name] as new (message: string) => Error;
  return new Ctor(`binance ${name} happened`);
}

describe('ccxt error classes → Concord', () => {
  it.each(BY_CLASS)(
    '%s → %s (retryable %s, submit %s, reject %s)',
    async (name, code, retryable, submit, reject) => {
      const err = await ccxtError(name);
      const rule = classify(err);
      expect(rule.code).toBe(code);
      expect(rule.retryable).toBe(retryable);
      expect(rule.submit).toBe(submit);
      if (reject !== undefined) expect(rejectCodeOf(err)).toBe(reject);
      const concord = toVenueError(err, { venue: 'binance', operation: 'fetchOrder' });
      expect(concord.code).toBe(code);
      expect(concord.retryable).toBe(retryable);
      expect(concord.details.ccxtClass).toBe(name);
    },
  );

  it('maps every error class ccxt exports, retryable exactly when ccxt files it under NetworkError or OperationFailed', async () => {
    const ccxt = await loadCcxt();
    const Base = ccxt.BaseError as new (m: string) => Error;
    const classes = Object.entries(ccxt).filter(
      ([, v]) =>
        typeof v === 'function' && (v === Base || (v as { prototype: unknown }).prototype instanceof Base),
    );
    expect(classes.length).toBeGreaterThan(30);
    for (const [name, Ctor] of classes) {
      const err = new (Ctor as new (m: string) => Error)('x');
      const rule = classify(err);
      expect(rule.kind, name).not.toBe('unexpected');
      const chain = ccxtClassChain(err);
      expect(rule.retryable, name).toBe(chain.includes('NetworkError') || chain.includes('OperationFailed'));
    }
    // The table above names every class ccxt has, so a new ccxt class is noticed here.
    expect(classes.map(([name]) => name).sort()).toEqual(BY_CLASS.map(([name]) => name).sort());
  });

  it('treats anything that is not a ccxt error as unexpected, and a submit failing so as outcome unknown', () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(classify(err).kind).toBe('unexpected');
    const unknown = unknownOutcomeError(err, {
      venue: 'binance',
      operation: 'createOrder',
      clientOrderId: 'c1',
    });
    expect(unknown.code).toBe('CONCORD_ERR_VENUE_TIMEOUT');
    expect(unknown.retryable).toBe(false);
  });

  it('never puts a signature or key from a URL into a message', async () => {
    const err = await ccxtError('RequestTimeout');
    err.message =
      'binance GET http://x/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=abcdef0123456789&apiKey=KEY123 request timed out';
    const concord = toVenueError(err, { venue: 'binance', operation: 'fetchOrder' });
    expect(concord.message).not.toContain('abcdef0123456789');
    expect(concord.message).not.toContain('KEY123');
  });
});

/** What ccxt's Binance error handler throws for an answer, as it does inside `fetch`. */
async function binanceAnswer(status: number, body: string, url: string): Promise<unknown> {
  const ex = await publicExchange('binance');
  const handle = ex as unknown as {
    parseJson(text: string): unknown;
    handleErrors(...args: unknown[]): unknown;
    handleHttpStatusCode(...args: unknown[]): void;
  };
  try {
    const parsed = handle.parseJson(body);
    const skip = handle.handleErrors(status, 'reason', url, 'POST', {}, body, parsed, {}, '');
    if (skip === undefined) handle.handleHttpStatusCode(status, 'reason', url, 'POST', body);
  } catch (err) {
    return err;
  }
  return undefined;
}

const BINANCE: readonly [
  status: number,
  body: string,
  code: string,
  retryable: boolean,
  reject: string | undefined,
][] = [
  [
    400,
    '{"code":-2010,"msg":"Account has insufficient balance for requested action."}',
    'CONCORD_ERR_VENUE_INSUFFICIENT_FUNDS',
    false,
    'INSUFFICIENT_FUNDS',
  ],
  [
    400,
    '{"code":-2010,"msg":"Duplicate order sent."}',
    'CONCORD_ERR_VENUE_INVALID_ORDER',
    false,
    'DUPLICATE_CLIENT_ORDER_ID',
  ],
  [
    400,
    '{"code":-2010,"msg":"Order would immediately match and take."}',
    'CONCORD_ERR_VENUE_INVALID_ORDER',
    false,
    'POST_ONLY_WOULD_CROSS',
  ],
  [
    400,
    '{"code":-1013,"msg":"Filter failure: LOT_SIZE"}',
    'CONCORD_ERR_VENUE_INVALID_ORDER',
    false,
    'BAD_PRECISION',
  ],
  [
    400,
    '{"code":-1013,"msg":"Filter failure: PRICE_FILTER"}',
    'CONCORD_ERR_VENUE_INVALID_ORDER',
    false,
    'BAD_PRECISION',
  ],
  [
    400,
    '{"code":-1013,"msg":"Filter failure: NOTIONAL"}',
    'CONCORD_ERR_VENUE_BAD_REQUEST',
    false,
    'MIN_NOTIONAL',
  ],
  [
    400,
    '{"code":-1121,"msg":"Invalid symbol."}',
    'CONCORD_ERR_VENUE_BAD_REQUEST',
    false,
    'UNKNOWN_INSTRUMENT',
  ],
  [
    400,
    '{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}',
    'CONCORD_ERR_VENUE_CLOCK_SKEW',
    true,
    'CLOCK_SKEW',
  ],
  [
    400,
    '{"code":-1022,"msg":"Signature for this request is not valid."}',
    'CONCORD_ERR_VENUE_AUTH',
    false,
    undefined,
  ],
  [
    401,
    '{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}',
    'CONCORD_ERR_VENUE_AUTH',
    false,
    undefined,
  ],
  [
    429,
    '{"code":-1003,"msg":"Too many requests; current limit of IP(1.2.3.4) is 6000 requests per minute."}',
    'CONCORD_ERR_VENUE_RATE_LIMITED',
    true,
    'RATE_LIMITED',
  ],
  [
    418,
    '{"code":-1003,"msg":"Way too many requests; IP(1.2.3.4) banned until 1700000000000."}',
    'CONCORD_ERR_VENUE_RATE_LIMITED',
    true,
    'RATE_LIMITED',
  ],
  [
    408,
    '{"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}',
    'CONCORD_ERR_VENUE_TIMEOUT',
    true,
    undefined,
  ],
  [
    400,
    '{"code":-2013,"msg":"Order does not exist."}',
    'CONCORD_ERR_VENUE_ORDER_NOT_FOUND',
    false,
    'INVALID_ORDER',
  ],
  [
    400,
    '{"code":-2011,"msg":"Unknown order sent."}',
    'CONCORD_ERR_VENUE_ORDER_NOT_FOUND',
    false,
    'INVALID_ORDER',
  ],
  [503, '<html><body>Service Unavailable</body></html>', 'CONCORD_ERR_VENUE_UNAVAILABLE', true, undefined],
];

describe("Binance's error answers, through ccxt's Binance handler → Concord", () => {
  for (const url of ['https://api.binance.com/api/v3/order', 'http://127.0.0.1:9/api/v3/order']) {
    it.each(BINANCE)(
      `${url.startsWith('https') ? 'real' : 'loopback'} host: HTTP %i %s → %s`,
      async (status, body, code, retryable, reject) => {
        const err = await binanceAnswer(status, body, url);
        expect(err).toBeDefined();
        const concord = toVenueError(err, { venue: 'binance', operation: 'createOrder' });
        expect(concord.code).toBe(code);
        expect(concord.retryable).toBe(retryable);
        if (reject !== undefined) {
          expect(classify(err).submit).toBe('refused');
          expect(rejectCodeOf(err)).toBe(reject);
        } else {
          expect(classify(err).submit).not.toBe('refused');
        }
      },
    );
  }
});

describe('errors from real calls against the loopback Binance server', () => {
  it('a wrong secret is an auth error, never retried, and the message holds no key material', async () => {
    const h = await binanceHarness();
    const { CcxtVenue } = await import('../../../src/venues/ccxt/index.ts');
    const wrong = await CcxtVenue.open({
      exchange: 'binance',
      clock: h.clock,
      credentials: { apiKey: h.apiKey, secret: 'not-the-secret-0123456789' },
      urls: h.server.ccxtUrls(),
      symbols: ['BTC/USDT'],
      orderEvents: 'poll',
    });
    try {
      const err = await wrong.fetchBalances().catch((e: unknown) => e);
      expect(isConcordError(err, 'CONCORD_ERR_VENUE_AUTH')).toBe(true);
      expect(isConcordError(err) && err.retryable).toBe(false);
      const text = `${(err as Error).message} ${JSON.stringify((err as { details?: unknown }).details)}`;
      expect(text).not.toContain('not-the-secret');
      expect(text).not.toContain(h.apiKey);
      expect(h.server.counters.badSignatures).toBe(1);
    } finally {
      await wrong.close();
    }
  });

  it('a skewed clock is CLOCK_SKEW (retryable) on reads and a CLOCK_SKEW rejection on a submit', async () => {
    const h = await binanceHarness();
    h.setMarket([[59999, 1]], [[60000, 1]]);
    h.server.clockSkewMs = 120_000;
    const read = await h.venue.fetchBalances().catch((e: unknown) => e);
    expect(isConcordError(read, 'CONCORD_ERR_VENUE_CLOCK_SKEW') && read.retryable).toBe(true);
    const events: VenueOrderEvent[] = [];
    h.venue.onOrderEvent((e) => events.push(e));
    await h.venue.submitOrder(order(h.instrument.id, h.venue.id, 'skewed'));
    expect(events).toEqual([expect.objectContaining({ type: 'order.rejected', code: 'CLOCK_SKEW' })]);
  });

  it('a 503 is UNAVAILABLE (retryable) on a read, and leaves a submit UNKNOWN (never a rejection)', async () => {
    const h = await binanceHarness();
    h.setMarket([[59999, 1]], [[60000, 1]]);
    h.server.failNext(1, 503, '<html>Service Unavailable</html>');
    const read = await h.venue.fetchBalances().catch((e: unknown) => e);
    expect(isConcordError(read, 'CONCORD_ERR_VENUE_UNAVAILABLE') && read.retryable).toBe(true);
    h.server.failNext(1, 503, '<html>Service Unavailable</html>');
    const submit = await h.venue
      .submitOrder(order(h.instrument.id, h.venue.id, 'five-oh-three'))
      .catch((e: unknown) => e);
    expect(isConcordError(submit, 'CONCORD_ERR_VENUE_TIMEOUT')).toBe(true);
    expect(isConcordError(submit) && submit.retryable).toBe(false);
    expect(isConcordError(submit) && submit.details.kind).toBe('unavailable');
  });

  it('a read that times out is VENUE_TIMEOUT and retryable', async () => {
    const h = await binanceHarness({ venue: { timeoutMs: 500 } });
    h.server.hangReads(1);
    const read = await h.venue.fetchBalances().catch((e: unknown) => e);
    expect(isConcordError(read, 'CONCORD_ERR_VENUE_TIMEOUT') && read.retryable).toBe(true);
  });

  it("a market order under the minimum notional is refused by the server's filter and rejected as MIN_NOTIONAL", async () => {
    const h = await binanceHarness();
    h.setMarket([[59999, 1]], [[60000, 1]]);
    const events: VenueOrderEvent[] = [];
    h.venue.onOrderEvent((e) => events.push(e));
    await h.venue.submitOrder({
      ...order(h.instrument.id, h.venue.id, 'tiny', '0.0001'),
      type: 'market',
      price: undefined,
    });
    expect(events).toEqual([expect.objectContaining({ type: 'order.rejected', code: 'MIN_NOTIONAL' })]);
    expect(h.server.counters.orderPosts.get('tiny')).toBe(1);
  });
});

function order(instrumentId: string, venue: string, clientOrderId: string, quantity = '0.001') {
  return {
    clientOrderId,
    instrumentId,
    venue,
    side: 'buy' as const,
    type: 'limit' as const,
    quantity: Decimal.from(quantity),
    price: Decimal.from('59000'),
    timeInForce: 'GTC' as const,
    decisionId: 'e',
    leg: 0,
    ts: 0,
  };
}
