import { describeVenueContract } from '../venue-contract.ts';
import { cleanupAfterEachTest, hyperliquidHarness } from './hyperliquid-harness.ts';

cleanupAfterEachTest();

// Order events from the WebSocket (ccxt watchOrders/watchMyTrades: orderUpdates + userFills) …
describeVenueContract('CcxtVenue (ccxt hyperliquid, loopback Hyperliquid server, streams)', () =>
  hyperliquidHarness(),
);

// … and from REST polling alone (orderStatus, userFills).
describeVenueContract('CcxtVenue (ccxt hyperliquid, loopback Hyperliquid server, polling)', () =>
  hyperliquidHarness({ venue: { orderEvents: 'poll', pollIntervalMs: 50 } }),
);
