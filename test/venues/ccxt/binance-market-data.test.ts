/**
 * Public market data through the ccxt venue from the loopback Binance server's own streams:
 * ccxt's watchOrderBook (REST snapshot + `@depth` diffs checked by update id) and
 * watchTrades (`@trade`), turned into Concord books and trades; REST when a stream fails.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/core/index.ts';
import type { BookSnapshot } from '../../../src/model/index.ts';
import { binanceHarness, cleanupAfterEachTest } from './harness.ts';

cleanupAfterEachTest();

function levels(book: BookSnapshot): string {
  return JSON.stringify({ bids: book.bids, asks: book.asks });
}

describe('ccxt venue × Binance loopback: market data', () => {
  it("follows the server's book through snapshot and diffs, levels removed included", async () => {
    const h = await binanceHarness();
    h.setMarket(
      [
        [59999, 0.5],
        [59998, 1],
      ],
      [
        [60000, 0.5],
        [60001, 1],
      ],
    );
    const first = await h.venue.watchBook(h.instrument.id);
    expect(first.instrumentId).toBe(h.instrument.id);
    expect(first.bids[0]).toEqual([59999, 0.5]);
    // The market moves: a level goes, another changes, one appears. (A watch resolves on the
    // next update, so it is started before the change.)
    const next = h.venue.watchBook(h.instrument.id);
    h.setMarket(
      [[59999, 0.7]],
      [
        [60001, 2],
        [60005, 1],
      ],
    );
    const expected = JSON.stringify({
      bids: [[59999, 0.7]],
      asks: [
        [60001, 2],
        [60005, 1],
      ],
    });
    expect(levels(await next)).toBe(expected);
    expect(h.venue.health().marketStreamErrors).toBe(0);
  });

  it('shows public trades printed by fills, and our fill taking liquidity off the book', async () => {
    const h = await binanceHarness();
    h.setMarket(
      [[59999, 1]],
      [
        [60000, 0.5],
        [60001, 1],
      ],
    );
    await h.venue.watchBook(h.instrument.id);
    const trades = h.venue.watchTrades(h.instrument.id);
    const bookAfter = h.venue.watchBook(h.instrument.id);
    const deadline = h.clock.now() + 10_000;
    while (!h.server.subscribed('btcusdt@trade') && h.clock.now() < deadline) await h.clock.sleep(5);
    await h.venue.submitOrder({
      clientOrderId: 'taker',
      instrumentId: h.instrument.id,
      venue: h.venue.id,
      side: 'buy',
      type: 'market',
      quantity: Decimal.from('0.7'),
      timeInForce: 'IOC',
      decisionId: 'm',
      leg: 0,
      ts: 0,
    });
    const printed = await trades;
    expect(printed.length).toBeGreaterThan(0);
    for (const t of printed) {
      expect(t.aggressor).toBe('buy');
      expect(t.price).toBeGreaterThanOrEqual(60000);
    }
    expect((await bookAfter).asks).toEqual([[60001, 0.8]]);
  });
});
