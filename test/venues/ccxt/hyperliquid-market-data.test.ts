/**
 * Public data and listings through ccxt's hyperliquid client against the loopback server:
 * `l2Book` and `trades` on the WebSocket (parsed by ccxt), and a spot market listed mid-run
 * found by the listing watch (`spotMetaAndAssetCtxs` reloaded).
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/core/index.ts';
import { type ListingChange, ListingWatcher } from '../../../src/venues/ccxt/index.ts';
import { onCleanup } from './harness.ts';
import { cleanupAfterEachTest, hyperliquidHarness } from './hyperliquid-harness.ts';

cleanupAfterEachTest();

describe('ccxt venue × Hyperliquid loopback: market data', () => {
  it('follows the l2Book stream (each message a full snapshot)', async () => {
    const h = await hyperliquidHarness();
    h.setMarket(
      [
        [59999, 0.5],
        [59998, 1],
      ],
      [[60000, 0.5]],
    );
    const first = await h.venue.watchBook(h.instrument.id);
    expect(first.instrumentId).toBe(h.instrument.id);
    expect(first.bids).toEqual([
      [59999, 0.5],
      [59998, 1],
    ]);
    const next = h.venue.watchBook(h.instrument.id);
    h.setMarket([[59990, 2]], [[60010, 1]]);
    const book = await next;
    expect({ bids: book.bids, asks: book.asks }).toEqual({ bids: [[59990, 2]], asks: [[60010, 1]] });
    expect(h.venue.health().marketStreamErrors).toBe(0);
  });

  it('shows the public trades our market order prints, at book prices', async () => {
    const h = await hyperliquidHarness();
    h.setMarket(
      [[59999, 1]],
      [
        [60000, 0.5],
        [60001, 1],
      ],
    );
    await h.venue.watchBook(h.instrument.id);
    const trades = h.venue.watchTrades(h.instrument.id);
    const deadline = h.clock.now() + 10_000;
    while (!h.server.tradesSubscribed('@1') && h.clock.now() < deadline) await h.clock.sleep(5);
    await h.venue.submitOrder({
      clientOrderId: 'hl-taker',
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
      expect([60000, 60001]).toContain(t.price);
    }
    // The market order went as an IOC limit priced from the book with ccxt's 5 % slippage (tick 1).
    expect(h.server.orders[0]?.tif).toBe('Ioc');
    expect(h.server.orders[0]?.limitPx.toString()).toBe('63000');
  });
});

describe('listing watch × Hyperliquid loopback', () => {
  it('finds a spot market listed mid-run (no status word: tradable when listed, no trade probe)', async () => {
    const h = await hyperliquidHarness();
    const changes: ListingChange[] = [];
    const watcher = await ListingWatcher.open({
      ...h.options,
      timeoutMs: 2998,
      intervalMs: 100,
      types: ['spot'],
      onChange: (c) => changes.push(c),
    });
    onCleanup(() => watcher.close());
    expect(watcher.symbols()).toEqual(['BTC/USDC', 'ETH/USDC', 'PURR/USDC']);
    h.server.addMarket({ name: '@3', base: 'UNEW', quote: 'USDC', szDecimals: 1, midPx: '1.25' });
    const deadline = h.clock.now() + 10_000;
    while (changes.length === 0 && h.clock.now() < deadline) await h.clock.sleep(10);
    expect(changes).toEqual([
      expect.objectContaining({
        kind: 'listed',
        venue: 'hyperliquid',
        symbol: 'UNEW/USDC',
        state: expect.objectContaining({ tradable: true, status: undefined }),
      }),
    ]);
    await h.clock.sleep(300);
    expect(changes).toHaveLength(1);
    expect(h.server.counters.byType.has('info:userFills')).toBe(false);
  });
});
