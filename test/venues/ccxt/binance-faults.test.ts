/**
 * The ccxt venue against a loopback Binance spot server that misbehaves the way the real
 * one can: a submit that is executed but never answered, 429 bursts with Retry-After, and
 * user-data streams that drop while fills happen. The server counts what reached it.
 */
import { describe, expect, it } from 'vitest';
import { clientOrderId, Decimal, isConcordError, Random } from '../../../src/core/index.ts';
import { DEFAULT_READ_RETRY, OrderManager, retryWithBackoff } from '../../../src/execution/index.ts';
import type { Fill, OrderIntent, VenueOrderEvent } from '../../../src/model/index.ts';
import { CcxtVenue } from '../../../src/venues/ccxt/index.ts';
import { type BinanceHarness, binanceHarness, cleanupAfterEachTest } from './harness.ts';

cleanupAfterEachTest();

const BIDS = [
  [59999, 0.5],
  [59998, 1],
] as const;
const ASKS = [
  [60000, 0.5],
  [60001, 1],
] as const;

function manager(h: BinanceHarness) {
  const journal: { type: string; payload: unknown }[] = [];
  const om = new OrderManager({
    venues: { [h.venue.id]: h.venue },
    preTradeCheck: { check: () => ({ ok: true }) },
    events: { emit: (event, payload) => journal.push({ type: event.name, payload }) },
    clock: h.clock,
  });
  const booked: Fill[] = [];
  om.onFill((f) => booked.push(f));
  return { om, journal, booked };
}

function intent(
  h: BinanceHarness,
  side: 'buy' | 'sell',
  type: 'market' | 'limit',
  qty: string,
  price?: string,
): OrderIntent {
  return {
    kind: 'order',
    instrumentId: h.instrument.id,
    side,
    type,
    quantity: Decimal.from(qty),
    ...(price === undefined ? {} : { limitPrice: Decimal.from(price) }),
  };
}

async function until(h: BinanceHarness, what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = h.clock.now() + timeoutMs;
  while (!ok()) {
    if (h.clock.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await h.clock.sleep(5);
  }
}

describe('ccxt venue × Binance loopback: a submit that times out after the exchange accepted it', () => {
  it('goes UNKNOWN, is never resent, and resolves from the stream: one order at the server, its fills booked once', async () => {
    const h = await binanceHarness({ venue: { timeoutMs: 800 } });
    h.setMarket(BIDS, ASKS);
    const { om, booked } = manager(h);
    h.server.hangOrderResponses(1);
    const result = await om.submitIntent(intent(h, 'buy', 'market', '0.8'), {
      decisionId: 'd-timeout',
      leg: 0,
      ts: h.clock.now(),
      referencePrice: 60_000,
      instrument: h.instrument,
    });
    const id = clientOrderId('d-timeout', 0);
    expect(result.outcome).toBe('unknown');
    expect(result.outcome === 'unknown' && result.error.code).toBe('CONCORD_ERR_VENUE_TIMEOUT');
    await h.settle();
    await om.reconcileOrder(id);
    expect(h.server.counters.orderPosts.get(id)).toBe(1);
    expect(h.server.ordersByClientId(id)).toHaveLength(1);
    const serverTrades = h.server.trades.filter(
      (t) => t.orderId === h.server.ordersByClientId(id)[0]?.orderId,
    );
    expect(booked.map((f) => f.tradeId).sort()).toEqual(serverTrades.map((t) => String(t.id)).sort());
    expect(om.order(id)?.status).toBe('FILLED');
    expect(om.order(id)?.filledQuantity.eq('0.8')).toBe(true);
    expect(om.stats().overfills).toBe(0);
  });

  it('with the user-data stream down too, is resolved by looking the order up by client id (never by resending)', async () => {
    const h = await binanceHarness({ venue: { timeoutMs: 800 } });
    h.setMarket(BIDS, ASKS);
    await until(h, 'the user-data stream', () => h.server.userStreamCount() > 0);
    h.server.suspendUserStreams();
    const { om, booked } = manager(h);
    h.server.hangOrderResponses(1);
    const result = await om.submitIntent(intent(h, 'sell', 'limit', '0.3', '59998'), {
      decisionId: 'd-dark',
      leg: 0,
      ts: h.clock.now(),
      referencePrice: 59_999,
      instrument: h.instrument,
    });
    const id = clientOrderId('d-dark', 0);
    expect(result.outcome).toBe('unknown');
    const reconciled = await om.reconcileOrder(id);
    expect(reconciled.outcome).toBe('resolved');
    expect(om.order(id)?.status).toBe('FILLED');
    expect(h.server.counters.orderPosts.get(id)).toBe(1);
    expect(h.server.counters.byRoute.get('POST /api/v3/order')).toBe(1);
    expect(Decimal.sum(booked.map((f) => f.quantity)).eq('0.3')).toBe(true);
    expect(new Set(booked.map((f) => f.tradeId)).size).toBe(booked.length);
    // A second reconciliation finds nothing new to book.
    await om.reconcileOrder(id);
    expect(Decimal.sum(booked.map((f) => f.quantity)).eq('0.3')).toBe(true);
  });

  it('leaves a resting order found after the timeout open and cancellable', async () => {
    const h = await binanceHarness({ venue: { timeoutMs: 800 } });
    h.setMarket(BIDS, ASKS);
    const { om } = manager(h);
    h.server.hangOrderResponses(1);
    await om.submitIntent(intent(h, 'buy', 'limit', '0.01', '59000'), {
      decisionId: 'd-rest',
      leg: 0,
      ts: h.clock.now(),
      referencePrice: 59_999,
      instrument: h.instrument,
    });
    const id = clientOrderId('d-rest', 0);
    await om.reconcileOrder(id);
    expect(om.order(id)?.status).toBe('ACCEPTED');
    await om.cancel(id);
    await until(h, 'the cancel', () => om.order(id)?.status === 'CANCELED');
    expect(h.server.ordersByClientId(id).map((o) => o.status)).toEqual(['CANCELED']);
  });
});

describe('ccxt venue × Binance loopback: rate limits', () => {
  it('a 429 burst never earns a ban: the account waits out Retry-After (the server counts)', async () => {
    const h = await binanceHarness();
    h.setMarket(BIDS, ASKS);
    h.server.burst429(3, 1);
    const random = new Random(7);
    const policy = { ...DEFAULT_READ_RETRY, maxAttempts: 8 };
    const reads = Array.from({ length: 6 }, (_, i) =>
      retryWithBackoff(
        (): Promise<unknown> => (i % 2 === 0 ? h.venue.fetchBalances() : h.venue.fetchOpenOrders()),
        policy,
        h.clock,
        random,
      ),
    );
    await Promise.all(reads);
    expect(h.server.counters.http429).toBe(3);
    expect(h.server.counters.violations).toBe(0);
    expect(h.server.counters.http418).toBe(0);
    expect(h.venue.health().gate.rateLimited).toBeGreaterThanOrEqual(1);
  });

  it('the server bans a client that ignores Retry-After (so the previous test could fail)', async () => {
    const h = await binanceHarness();
    h.server.burst429(1, 2);
    const url = `http://127.0.0.1:${h.server.port}/api/v3/time`;
    expect((await fetch(url)).status).toBe(429);
    await h.clock.sleep(300);
    const second = await fetch(url);
    expect(second.status).toBe(418);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.server.counters.violations).toBe(1);
  });

  it('backs off the whole account: a second venue object on the same keys holds its requests too', async () => {
    // No grace: the calls below are sequential, so any request inside the window is a violation.
    const h = await binanceHarness({ server: { graceMs: 0 } });
    const credentials = { apiKey: h.apiKey, secret: h.secret };
    // Another ccxt instance (different timeout, so not shared) on the same account.
    const other = await CcxtVenue.open({
      exchange: 'binance',
      clock: h.clock,
      credentials,
      urls: h.server.ccxtUrls(),
      symbols: ['BTC/USDT'],
      timeoutMs: 2500,
      orderEvents: 'poll',
    });
    try {
      h.server.burst429(1, 1);
      await expect(h.venue.fetchOpenOrders()).rejects.toSatisfy(
        (e: unknown) => isConcordError(e, 'CONCORD_ERR_VENUE_RATE_LIMITED') && e.retryable,
      );
      // The other object's read waits for the account's gate instead of hitting the server.
      expect((await other.fetchBalances()).length).toBeGreaterThan(0);
      expect(h.server.counters.violations).toBe(0);
      expect(h.server.counters.http418).toBe(0);
      expect(other.health().gate.held).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it('refuses a submit while the account backs off, without sending it', async () => {
    const h = await binanceHarness();
    h.setMarket(BIDS, ASKS);
    h.server.burst429(1, 2);
    await expect(h.venue.fetchBalances()).rejects.toSatisfy((e: unknown) =>
      isConcordError(e, 'CONCORD_ERR_VENUE_RATE_LIMITED'),
    );
    const events: VenueOrderEvent[] = [];
    h.venue.onOrderEvent((e) => events.push(e));
    await h.venue.submitOrder({
      clientOrderId: 'during-backoff',
      instrumentId: h.instrument.id,
      venue: h.venue.id,
      side: 'buy',
      type: 'limit',
      quantity: Decimal.from('0.01'),
      price: Decimal.from('59000'),
      timeInForce: 'GTC',
      decisionId: 'x',
      leg: 0,
      ts: 0,
    });
    expect(events).toEqual([expect.objectContaining({ type: 'order.rejected', code: 'RATE_LIMITED' })]);
    expect(h.server.counters.orderPosts.has('during-backoff')).toBe(false);
    expect(h.server.counters.violations).toBe(0);
  });
});

describe('ccxt venue × Binance loopback: a user-data stream that drops while fills happen', () => {
  it('loses no fill and books none twice: the fills made while it was down come back by REST', async () => {
    const h = await binanceHarness();
    h.setMarket(BIDS, ASKS);
    const { om, booked } = manager(h);
    await until(h, 'the user-data stream', () => h.server.userStreamCount() > 0);
    await om.submitIntent(intent(h, 'buy', 'limit', '0.5', '59500'), {
      decisionId: 'd-drop',
      leg: 0,
      ts: h.clock.now(),
      referencePrice: 59_999,
      instrument: h.instrument,
    });
    const id = clientOrderId('d-drop', 0);
    await h.settle();
    expect(om.order(id)?.status).toBe('ACCEPTED');

    h.server.suspendUserStreams();
    // The market trades through the resting buy twice while no stream is up.
    h.server.setBook('BTCUSDT', [[59000, 1]], [[59400, 0.2]]);
    h.server.setBook('BTCUSDT', [[59000, 1]], [[59450, 0.1]]);
    await h.settle();
    expect(om.order(id)?.filledQuantity.eq('0.3')).toBe(true);
    expect(h.venue.health().streamErrors).toBeGreaterThan(0);

    h.server.resumeUserStreams();
    await until(h, 'the stream to reconnect', () => h.server.userStreamCount() > 0);
    h.server.setBook('BTCUSDT', [[59000, 1]], [[59480, 0.5]]);
    await h.settle();
    expect(om.order(id)?.status).toBe('FILLED');
    const order = h.server.ordersByClientId(id)[0];
    const serverTrades = h.server.trades.filter((t) => t.orderId === order?.orderId).map((t) => String(t.id));
    expect(booked.map((f) => f.tradeId).sort()).toEqual(serverTrades.sort());
    expect(Decimal.sum(booked.map((f) => f.quantity)).eq('0.5')).toBe(true);
    expect(om.stats().overfills).toBe(0);
  });
});
