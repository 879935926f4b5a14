import { describeVenueContract } from '../venue-contract.ts';
import { binanceHarness, cleanupAfterEachTest } from './harness.ts';

cleanupAfterEachTest();

// Order events from the user-data WebSocket (ccxt watchOrders/watchMyTrades) …
describeVenueContract('CcxtVenue (ccxt binance, loopback Binance spot server, streams)', () =>
  binanceHarness(),
);

// … and from REST polling alone, the path every exchange without order streams takes.
describeVenueContract('CcxtVenue (ccxt binance, loopback Binance spot server, polling)', () =>
  binanceHarness({ venue: { orderEvents: 'poll', pollIntervalMs: 50 } }),
);
