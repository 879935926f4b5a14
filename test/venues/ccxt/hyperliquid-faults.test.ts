/**
 * The ccxt venue against a loopback Hyperliquid server that misbehaves the way the real one
 * can: an order action executed but never answered, 429 bursts, WebSockets that drop while
 * fills happen; and the exchange's dead-man switch (`scheduleCancel`), armed through ccxt's
 * `cancelAllOrdersAfter`. The server verifies every action's EIP-712 signature and counts
 * what reached it.
 */
import { generatePrivateKey } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { clientOrderId, Decimal, Random } from '../../../src/core/index.ts';
import { DEFAULT_READ_RETRY, OrderManager, retryWithBackoff } from '../../../src/execution/index.ts';
import type { Fill, OrderIntent, OrderRequest, VenueOrderEvent } from '../../../src/model/index.ts';
import { acquireExchange, CcxtVenue, wireClientId } from '../../../src/venues/ccxt/index.ts';
import { cleanupAfterEachTest, type HyperliquidHarness, hyperliquidHarness } from './hyperliquid-harness.ts';

cleanupAfterEachTest();

const BIDS = [
  [59999, 0.5],
  [59998, 1],
] as const;
const ASKS = [
  [60000, 0.5],
  [60001, 1],
] as const;

function manager(h: HyperliquidHarness) {
  const om = new OrderManager({
    venues: { [h.venue.id]: h.venue },
    preTradeCheck: { check: () => ({ ok: true }) },
    events: { emit: () => undefined },
    clock: h.clock,
  });
  const booked: Fill[] = [];
  om.onFill((f) => booked.push(f));
  return { om, booked };
}

function intent(
  h: HyperliquidHarness,
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

function limit(
  h: HyperliquidHarness,
  id: string,
  side: 'buy' | 'sell',
  qty: string,
  price: string,
): OrderRequest {
  return {
    clientOrderId: id,
    instrumentId: h.instrument.id,
    venue: h.venue.id,
    side,
    type: 'limit',
    quantity: Decimal.from(qty),
    price: Decimal.from(price),
    timeInForce: 'GTC',
    decisionId: 'x',
    leg: 0,
    ts: 0,
  };
}

async function until(
  h: HyperliquidHarness,
  what: string,
  ok: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = h.clock.now() + timeoutMs;
  while (!ok()) {
    if (h.clock.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await h.clock.sleep(5);
  }
}

describe('ccxt venue × Hyperliquid loopback: signatures', () => {
  it('signs every action so that the server recovers the API wallet (none refused)', async () => {
    const h = await hyperliquidHarness();
    h.setMarket(BIDS, ASKS);
    await h.venue.submitOrder(limit(h, 'sig-ok', 'buy', '0.01', '59000'));
    await h.venue.cancelOrder('sig-ok');
    await h.settle();
    expect(h.server.counters.byType.get('exchange:order')).toBe(1);
    expect(h.server.counters.byType.get('exchange:cancelByCloid')).toBe(1);
    expect(h.server.counters.badSignatures).toBe(0);
    // No builder fee approved and no referral code registered on the user's behalf.
    expect(h.server.counters.byType.has('exchange:approveBuilderFee')).toBe(false);
    expect(h.server.counters.byType.has('exchange:setReferrer')).toBe(false);
  });

  it('an action signed by a key that is not an API wallet of the user is refused (the server really checks)', async () => {
    const h = await hyperliquidHarness();
    h.setMarket(BIDS, ASKS);
    const stranger = await CcxtVenue.open({
      ...h.options,
      credentials: { walletAddress: h.user, privateKey: generatePrivateKey() },
      timeoutMs: 2999, // a separate ccxt instance
    });
    try {
      const events: VenueOrderEvent[] = [];
      stranger.onOrderEvent((e) => events.push(e));
      await stranger.submitOrder(limit(h, 'sig-bad', 'buy', '0.01', '59000'));
      expect(events.map((e) => e.type)).toEqual(['order.rejected']);
      expect(h.server.counters.badSignatures).toBe(1);
      expect(h.server.orders).toHaveLength(0);
    } finally {
      await stranger.close();
    }
  });
});

describe('ccxt venue × Hyperliquid loopback: an order action that times out after the exchange accepted it', () => {
  it('goes UNKNOWN, is never resent, and resolves: one order at the server (by cloid), its fills booked once', async () => {
    const h = await hyperliquidHarness({ venue: { timeoutMs: 800 } });
    h.setMarket(BIDS, ASKS);
    const { om, booked } = manager(h);
    h.server.hangOrderResponses(1);
    const result = await om.submitIntent(intent(h, 'buy', 'market', '0.8'), {
      decisionId: 'hl-timeout',
      leg: 0,
      ts: h.clock.now(),
      referencePrice: 60_000,
      instrument: h.instrument,
    });
    const id = clientOrderId('hl-timeout', 0);
    const cloid = wireClientId('hyperliquid', id);
    expect(result.outcome).toBe('unknown');
    await h.settle();
    await om.reconcileOrder(id);
    expect(h.server.counters.orderPosts.get(cloid)).toBe(1);
    expect(h.server.ordersByCloid(cloid)).toHaveLength(1);
    const oid = h.server.ordersByCloid(cloid)[0]?.oid;
    const serverFills = h.server.fills.filter((f) => f.oid === oid).map((f) => String(f.tid));
    expect(serverFills.length).toBeGreaterThan(1);
    expect(booked.map((f) => f.tradeId).sort()).toEqual(serverFills.sort());
    expect(om.order(id)?.status).toBe('FILLED');
    expect(om.order(id)?.filledQuantity.eq('0.8')).toBe(true);
    expect(om.stats().overfills).toBe(0);
  });

  it('with the WebSocket down too, is resolved by orderStatus by cloid (never by resending)', async () => {
    const h = await hyperliquidHarness({ venue: { timeoutMs: 800 } });
    h.setMarket(BIDS, ASKS);
    await until(h, 'the order stream', () => h.server.orderStreamCount() > 0);
    h.server.suspendWebSockets();
    const { om, booked } = manager(h);
    h.server.hangOrderResponses(1);
    const result = await om.submitIntent(intent(h, 'sell', 'limit', '0.3', '59998'), {
      decisionId: 'hl-dark',
      leg: 0,
      ts: h.clock.now(),
      referencePrice: 59_999,
      instrument: h.instrument,
    });
    const id = clientOrderId('hl-dark', 0);
    expect(result.outcome).toBe('unknown');
    const reconciled = await om.reconcileOrder(id);
    expect(reconciled.outcome).toBe('resolved');
    expect(om.order(id)?.status).toBe('FILLED');
    expect(h.server.counters.byType.get('exchange:order')).toBe(1);
    expect(Decimal.sum(booked.map((f) => f.quantity)).eq('0.3')).toBe(true);
    expect(new Set(booked.map((f) => f.tradeId)).size).toBe(booked.length);
  });
});

describe('ccxt venue × Hyperliquid loopback: rate limits', () => {
  it('a 429 burst never earns a ban: the account backs off (the server counts)', async () => {
    const h = await hyperliquidHarness();
    h.setMarket(BIDS, ASKS);
    h.server.burst429(3);
    const random = new Random(7);
    const policy = { ...DEFAULT_READ_RETRY, maxAttempts: 8 };
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        retryWithBackoff(
          (): Promise<unknown> => (i % 2 === 0 ? h.venue.fetchBalances() : h.venue.fetchOpenOrders()),
          policy,
          h.clock,
          random,
        ),
      ),
    );
    expect(h.server.counters.http429).toBe(3);
    expect(h.server.counters.violations).toBe(0);
    expect(h.server.counters.bans).toBe(0);
  });

  it('the server counts a client that ignores the back-off (so the previous test could fail)', async () => {
    const h = await hyperliquidHarness();
    h.server.burst429(1);
    const post = () =>
      fetch(`http://127.0.0.1:${h.server.port}/info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'exchangeStatus' }),
      });
    expect((await post()).status).toBe(429);
    await h.clock.sleep(300);
    expect((await post()).status).toBe(429);
    expect(h.server.counters.violations).toBe(1);
    expect(h.server.counters.bans).toBe(1);
  });
});

describe('ccxt venue × Hyperliquid loopback: a WebSocket that drops while fills happen', () => {
  it('loses no fill and books none twice (REST while down, the userFills snapshot on resubscribe)', async () => {
    const h = await hyperliquidHarness();
    h.setMarket(BIDS, ASKS);
    const { om, booked } = manager(h);
    await until(h, 'the order stream', () => h.server.orderStreamCount() > 0);
    await om.submitIntent(intent(h, 'buy', 'limit', '0.5', '59500'), {
      decisionId: 'hl-drop',
      leg: 0,
      ts: h.clock.now(),
      referencePrice: 59_999,
      instrument: h.instrument,
    });
    const id = clientOrderId('hl-drop', 0);
    await h.settle();
    expect(om.order(id)?.status).toBe('ACCEPTED');

    const connections = h.server.counters.wsConnections;
    h.server.suspendWebSockets();
    h.server.setBook('@1', [[59000, 1]], [[59400, 0.2]]);
    h.server.setBook('@1', [[59000, 1]], [[59450, 0.1]]);
    await h.settle();
    expect(om.order(id)?.filledQuantity.eq('0.3')).toBe(true);
    expect(h.venue.health().streamErrors).toBeGreaterThan(0);

    h.server.resumeWebSockets();
    await until(h, 'the stream to reconnect', () => h.server.orderStreamCount() > 0);
    expect(h.server.counters.wsConnections).toBeGreaterThan(connections);
    h.server.setBook('@1', [[59000, 1]], [[59480, 0.5]]);
    await h.settle();
    expect(om.order(id)?.status).toBe('FILLED');
    const oid = h.server.ordersByCloid(wireClientId('hyperliquid', id))[0]?.oid;
    const serverFills = h.server.fills.filter((f) => f.oid === oid).map((f) => String(f.tid));
    expect(serverFills).toHaveLength(3);
    expect(booked.map((f) => f.tradeId).sort()).toEqual(serverFills.sort());
    expect(om.stats().overfills).toBe(0);
  });
});

describe("ccxt venue × Hyperliquid loopback: the exchange's dead-man switch", () => {
  it('cancelAllOrdersAfter (through ccxt) arms scheduleCancel; at the deadline the server cancels every open order', async () => {
    const h = await hyperliquidHarness({ server: { scheduleCancelMinDelayMs: 200 } });
    h.setMarket(BIDS, ASKS);
    const events: VenueOrderEvent[] = [];
    h.venue.onOrderEvent((e) => events.push(e));
    await h.venue.submitOrder(limit(h, 'dms-1', 'buy', '0.01', '59000'));
    await h.venue.submitOrder(limit(h, 'dms-2', 'buy', '0.02', '58000'));
    await h.settle();
    expect(h.server.openOrdersOf(h.user)).toHaveLength(2);

    // The same shared ccxt instance the venue uses (same account and options).
    const shared = await acquireExchange(h.options, h.clock);
    try {
      const ex = shared.exchange as unknown as { cancelAllOrdersAfter(ms: number): Promise<unknown> };
      const before = h.server.now();
      const answer = await shared.call('cancel', 'cancelAllOrdersAfter', () => ex.cancelAllOrdersAfter(600));
      expect(answer).toEqual({ status: 'ok', response: { type: 'default' } });
      const at = h.server.scheduledCancelAt(h.user) as number;
      expect(at - before).toBeGreaterThanOrEqual(550);
      expect(at - before).toBeLessThan(1500);
      expect(h.server.openOrdersOf(h.user)).toHaveLength(2);
    } finally {
      await shared.release();
    }
    await until(h, 'the scheduled cancel', () => h.server.counters.scheduledCancelsFired === 1, 5000);
    expect(h.server.openOrdersOf(h.user)).toHaveLength(0);
    expect(h.server.counters.ordersCanceledBySchedule).toBe(2);
    await h.settle();
    // The venue reports them canceled (Hyperliquid's status `scheduledCancel`), and reconciliation agrees.
    for (const id of ['dms-1', 'dms-2']) {
      expect(
        events.filter((e) => e.type !== 'order.filled' && e.clientOrderId === id).map((e) => e.type),
      ).toEqual(['order.accepted', 'order.canceled']);
      expect((await h.venue.fetchOrder(id))?.status).toBe('CANCELED');
    }
    expect(await h.venue.fetchOpenOrders()).toEqual([]);
  });

  it('refuses a deadline closer than the exchange allows, and arms nothing', async () => {
    const h = await hyperliquidHarness();
    const shared = await acquireExchange(h.options, h.clock);
    try {
      const ex = shared.exchange as unknown as { cancelAllOrdersAfter(ms: number): Promise<unknown> };
      await expect(ex.cancelAllOrdersAfter(1000)).rejects.toThrow(/too early/);
      expect(h.server.scheduledCancelAt(h.user)).toBeUndefined();
    } finally {
      await shared.release();
    }
  });
});
