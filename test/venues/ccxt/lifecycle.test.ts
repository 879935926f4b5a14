/**
 * The ccxt venue's life outside the order path: opening against an exchange that cannot
 * be reached, what it shows when logged, and an unknown-outcome order the exchange never
 * received (looked up a few times, then left to reconciliation).
 */
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Decimal, isConcordError, LiveClock } from '../../../src/core/index.ts';
import { CcxtVenue } from '../../../src/venues/ccxt/index.ts';
import { binanceHarness, cleanupAfterEachTest } from './harness.ts';

cleanupAfterEachTest();

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ccxt venue lifecycle', () => {
  it('fails to open, quickly and saying so, when the exchange is unreachable', async () => {
    const port = await deadPort();
    const err = await CcxtVenue.open({
      exchange: 'binance',
      clock: new LiveClock(),
      urls: { public: `http://127.0.0.1:${port}/api/v3`, private: `http://127.0.0.1:${port}/api/v3` },
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(isConcordError(err, 'CONCORD_ERR_VENUE_UNREACHABLE')).toBe(true);
    expect((err as Error).message).toMatch(/binance is unreachable/);
  });

  it('refuses a symbol the exchange does not list, naming it', async () => {
    const h = await binanceHarness();
    const err = await CcxtVenue.open({
      exchange: 'binance',
      clock: h.clock,
      urls: h.server.ccxtUrls(),
      symbols: ['BTC/USDT', 'DOGE/EUR'],
    }).catch((e: unknown) => e);
    expect(isConcordError(err, 'CONCORD_ERR_VENUE_CONFIG')).toBe(true);
    expect((err as Error).message).toContain('"DOGE/EUR"');
  });

  it('never shows its keys when serialised or logged', async () => {
    const h = await binanceHarness();
    const shown = `${JSON.stringify(h.venue)} ${inspect(h.venue, { depth: 10 })} ${String(h.venue)}`;
    expect(shown).not.toContain(h.secret);
    expect(shown).not.toContain(h.apiKey);
    expect(shown).toContain('binance');
  });

  it('lists orders it did not send in fetchOpenOrders, with their fills, but raises no events for them', async () => {
    const h = await binanceHarness();
    h.setMarket([[59999, 1]], [[60000, 0.2]]);
    const other = await CcxtVenue.open({
      exchange: 'binance',
      clock: h.clock,
      credentials: { apiKey: h.apiKey, secret: h.secret },
      urls: h.server.ccxtUrls(),
      symbols: ['BTC/USDT'],
      timeoutMs: 2900,
      orderEvents: 'poll',
    });
    const seen: string[] = [];
    h.venue.onOrderEvent((e) => seen.push(e.type));
    try {
      await other.submitOrder({
        clientOrderId: 'foreign-1',
        instrumentId: h.instrument.id,
        venue: other.id,
        side: 'buy',
        type: 'limit',
        quantity: Decimal.from('0.5'),
        price: Decimal.from('60000'),
        timeInForce: 'GTC',
        decisionId: 'f',
        leg: 0,
        ts: 0,
      });
      const open = await h.venue.fetchOpenOrders();
      const foreign = open.find((o) => o.clientOrderId === 'foreign-1');
      expect(foreign?.status).toBe('PARTIALLY_FILLED');
      expect(foreign?.filledQuantity.eq('0.2')).toBe(true);
      expect(foreign?.fills.map((f) => f.quantity.toString())).toEqual(['0.2']);
      await h.clock.sleep(200);
      expect(seen).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('takes a venue "duplicate client id" as an order that exists (UNKNOWN, found by id), not as a refusal', async () => {
    const h = await binanceHarness();
    h.setMarket([[59999, 1]], [[60000, 1]]);
    const earlier = await CcxtVenue.open({
      exchange: 'binance',
      clock: h.clock,
      credentials: { apiKey: h.apiKey, secret: h.secret },
      urls: h.server.ccxtUrls(),
      symbols: ['BTC/USDT'],
      timeoutMs: 2800,
      orderEvents: 'poll',
    });
    const request = {
      clientOrderId: 'sent-before-restart',
      instrumentId: h.instrument.id,
      venue: h.venue.id,
      side: 'buy' as const,
      type: 'limit' as const,
      quantity: Decimal.from('0.01'),
      price: Decimal.from('59000'),
      timeInForce: 'GTC' as const,
      decisionId: 'r',
      leg: 0,
      ts: 0,
    };
    try {
      await earlier.submitOrder(request);
    } finally {
      await earlier.close();
    }
    const seen: string[] = [];
    h.venue.onOrderEvent((e) => seen.push(e.type));
    const err = await h.venue.submitOrder(request).catch((e: unknown) => e);
    expect(isConcordError(err, 'CONCORD_ERR_VENUE_TIMEOUT')).toBe(true);
    expect(seen).not.toContain('order.rejected');
    expect((await h.venue.fetchOrder('sent-before-restart'))?.status).toBe('ACCEPTED');
    expect(h.server.ordersByClientId('sent-before-restart')).toHaveLength(1);
  });

  it('looks up an unknown-outcome order the exchange never got a few times, then leaves it to reconciliation', async () => {
    const h = await binanceHarness({ venue: { orderEvents: 'poll', pollIntervalMs: 50 } });
    h.setMarket([[59999, 1]], [[60000, 1]]);
    h.server.failNext(1, 503, '<html>Service Unavailable</html>');
    const submit = await h.venue
      .submitOrder({
        clientOrderId: 'never-placed',
        instrumentId: h.instrument.id,
        venue: h.venue.id,
        side: 'buy',
        type: 'limit',
        quantity: Decimal.from('0.001'),
        price: Decimal.from('59000'),
        timeInForce: 'GTC',
        decisionId: 'x',
        leg: 0,
        ts: 0,
      })
      .catch((e: unknown) => e);
    expect(isConcordError(submit, 'CONCORD_ERR_VENUE_TIMEOUT')).toBe(true);
    const lookups = () => h.server.counters.byRoute.get('GET /api/v3/order') ?? 0;
    const deadline = h.clock.now() + 10_000;
    while (lookups() < 3 && h.clock.now() < deadline) await h.clock.sleep(10);
    expect(lookups()).toBe(3);
    await h.clock.sleep(500);
    expect(lookups()).toBe(3);
    // Reconciliation still gets an answer when it asks: the venue has no such order.
    expect(await h.venue.fetchOrder('never-placed')).toBeUndefined();
    expect(h.server.counters.byRoute.get('POST /api/v3/order')).toBe(1);
    expect(h.server.ordersByClientId('never-placed')).toEqual([]);
  });
});
