/**
 * The exchange's clock offset: measured from its time with the round trip's midpoint,
 * re-measured on an interval, applied to request timestamps (ccxt's nonce), shown in the
 * venue's health. Loopback servers whose clocks are off by a known amount refuse requests
 * outside their window (Binance: recvWindow; Hyperliquid: the nonce window) — refused without
 * the correction, accepted with it.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, isConcordError, LiveClock } from '../../../src/core/index.ts';
import type { OrderRequest, VenueOrderEvent } from '../../../src/model/index.ts';
import { CcxtVenue, ExchangeClock } from '../../../src/venues/ccxt/index.ts';
import { binanceHarness, cleanupAfterEachTest } from './harness.ts';
import { hyperliquidHarness } from './hyperliquid-harness.ts';

cleanupAfterEachTest();

function order(id: string, instrumentId: string, venue: string): OrderRequest {
  return {
    clientOrderId: id,
    instrumentId,
    venue,
    side: 'buy',
    type: 'limit',
    quantity: Decimal.from('0.01'),
    price: Decimal.from('59000'),
    timeInForce: 'GTC',
    decisionId: 'clock',
    leg: 0,
    ts: 0,
  };
}

async function until(clock: LiveClock, what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  while (!ok()) {
    if (clock.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await clock.sleep(5);
  }
}

describe('ExchangeClock', () => {
  it('takes the offset from the round trip midpoint of the shortest sample, and keeps it when a measurement fails', async () => {
    let now = 1_000_000;
    const clock = { now: () => now } as unknown as LiveClock;
    // Server 5,000 ms ahead; trips of 40, 10 and 100 ms (the answer stamped halfway).
    const trips = [40, 10, 100];
    let fail = false;
    const ec = new ExchangeClock(
      {
        canMeasure: true,
        fetchTime: async () => {
          if (fail) throw new Error('down');
          const trip = trips.shift() as number;
          const stamped = now + trip / 2 + 5000 + (trip === 10 ? 0 : 7); // the long trips are noisier
          now += trip;
          return stamped;
        },
      },
      clock,
    );
    expect(ec.correctionMs()).toBe(0);
    const state = await ec.measure(3);
    expect(state.offsetMs).toBe(5000);
    expect(state.rttMs).toBe(10);
    expect(ec.correctionMs()).toBe(5000);
    fail = true;
    const after = await ec.measure(3);
    expect(after.offsetMs).toBe(5000);
    expect(after.errors).toBe(1);
    expect(after.measurements).toBe(1);
  });
});

describe('ccxt venue × Binance loopback with a skewed server clock', () => {
  it('is refused beyond recvWindow until re-measured, then signs in the exchange time and is accepted', async () => {
    const h = await binanceHarness({ venue: { clockSyncIntervalMs: 300 } });
    expect(h.venue.health().clock).toMatchObject({ source: 'fetchTime', applied: true });
    expect(Math.abs(h.venue.health().clock.offsetMs as number)).toBeLessThan(100);
    // The exchange's clock jumps 30 s ahead (ccxt's Binance recvWindow is 10 s).
    h.server.clockSkewMs = 30_000;
    await expect(h.venue.fetchBalances()).rejects.toSatisfy((e: unknown) =>
      isConcordError(e, 'CONCORD_ERR_VENUE_CLOCK_SKEW'),
    );
    const measured = h.venue.health().clock.measurements;
    await until(h.clock, 'a re-measurement', () => h.venue.health().clock.measurements > measured);
    const offset = h.venue.health().clock.offsetMs as number;
    expect(Math.abs(offset - 30_000)).toBeLessThan(250);
    expect((await h.venue.fetchBalances()).length).toBeGreaterThan(0);
    const events: VenueOrderEvent[] = [];
    h.venue.onOrderEvent((e) => events.push(e));
    await h.venue.submitOrder(order('clock-bn', h.instrument.id, h.venue.id));
    await h.settle();
    expect(events[0]?.type).toBe('order.accepted');
    expect(h.server.ordersByClientId('clock-bn')).toHaveLength(1);
  });
});

describe('ccxt venue × Hyperliquid loopback with a skewed server clock', () => {
  it('nonces in the exchange time are accepted; the same account without the correction is refused CLOCK_SKEW', async () => {
    // The exchange's clock is 60 s behind ours; it takes nonces at most 1 s ahead of it.
    const h = await hyperliquidHarness({
      server: { clockSkewMs: -60_000, nonceAheadMs: 1000, nonceBehindMs: 5000 },
    });
    h.setMarket([[59999, 1]], [[60000, 1]]);
    expect(Math.abs((h.venue.health().clock.offsetMs as number) + 60_000)).toBeLessThan(250);
    const events: VenueOrderEvent[] = [];
    h.venue.onOrderEvent((e) => events.push(e));
    await h.venue.submitOrder(order('clock-hl', h.instrument.id, h.venue.id));
    await h.settle();
    expect(events.map((e) => e.type)).toEqual(['order.accepted']);

    const uncorrected = await CcxtVenue.open({ ...h.options, clockSyncIntervalMs: 0, timeoutMs: 2999 });
    try {
      expect(uncorrected.health().clock.measurements).toBe(0);
      const refused: VenueOrderEvent[] = [];
      uncorrected.onOrderEvent((e) => refused.push(e));
      await uncorrected.submitOrder(order('clock-hl-raw', h.instrument.id, h.venue.id));
      expect(refused).toEqual([expect.objectContaining({ type: 'order.rejected', code: 'CLOCK_SKEW' })]);
      expect(h.server.counters.badNonces).toBe(1);
      expect(h.server.orders).toHaveLength(1);
    } finally {
      await uncorrected.close();
    }
  });
});

describe('where the correction goes', () => {
  it("leaves a nonce that is not a millisecond timestamp alone (ccxt's default nonce is in seconds)", async () => {
    const { acquireExchange } = await import('../../../src/venues/ccxt/index.ts');
    const clock = new LiveClock();
    // Binance's nonce is a ms timestamp; Alpaca keeps ccxt's default, in seconds.
    const ms = await acquireExchange({ exchange: 'binance', timeoutMs: 1001 }, clock);
    const other = await acquireExchange({ exchange: 'alpaca', timeoutMs: 1001 }, clock);
    try {
      expect(ms.exchangeClock.state().applied).toBe(true);
      expect(other.exchangeClock.state().applied).toBe(false);
      expect(Math.abs(other.exchange.nonce() - clock.now() / 1000)).toBeLessThan(5);
    } finally {
      await ms.release();
      await other.release();
    }
  });
});
