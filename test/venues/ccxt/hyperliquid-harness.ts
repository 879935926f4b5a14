/**
 * Test harness: a loopback Hyperliquid server and a CcxtVenue talking to it through ccxt's
 * `hyperliquid` client, with a fresh API wallet per test (the private key is generated here;
 * the main wallet's key is never involved). `settle()` waits until every order the server
 * holds for the user has reached the venue's listeners in the same state.
 */
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { Decimal, LiveClock } from '../../../src/core/index.ts';
import type { SpotInstrument, VenueOrderEvent } from '../../../src/model/index.ts';
import { CcxtVenue, type CcxtVenueOptions, wireClientId } from '../../../src/venues/ccxt/index.ts';
import { onCleanup } from './harness.ts';
import { type HlSpotSpec, HyperliquidServer, type HyperliquidServerOptions } from './hyperliquid-server.ts';

export { cleanupAfterEachTest } from './harness.ts';

export const BTC: HlSpotSpec = { name: '@1', base: 'UBTC', quote: 'USDC', szDecimals: 4, midPx: '60000' };
export const ETH: HlSpotSpec = { name: '@2', base: 'UETH', quote: 'USDC', szDecimals: 3, midPx: '3000' };
const PURR: HlSpotSpec = { name: 'PURR/USDC', base: 'PURR', quote: 'USDC', szDecimals: 0, midPx: '0.2' };

export interface HyperliquidHarness {
  readonly server: HyperliquidServer;
  readonly venue: CcxtVenue;
  readonly instrument: SpotInstrument;
  /** The user's (main wallet's) address. */
  readonly user: `0x${string}`;
  /** The API wallet's private key (secret material, for the tests that look for leaks). */
  readonly agentKey: `0x${string}`;
  readonly clock: LiveClock;
  readonly options: CcxtVenueOptions;
  setMarket(bids: readonly (readonly [number, number])[], asks: readonly (readonly [number, number])[]): void;
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface HyperliquidHarnessOptions {
  readonly server?: Partial<HyperliquidServerOptions>;
  readonly venue?: Partial<CcxtVenueOptions>;
  readonly balances?: Record<string, string>;
}

interface Seen {
  accepted: boolean;
  filled: Decimal;
  ended: boolean;
}

export async function hyperliquidHarness(
  options: HyperliquidHarnessOptions = {},
): Promise<HyperliquidHarness> {
  const agentKey = generatePrivateKey();
  const agent = privateKeyToAccount(agentKey);
  const user = privateKeyToAccount(generatePrivateKey()).address;
  const server = await HyperliquidServer.start({
    markets: [PURR, BTC, ETH],
    accounts: [
      { user, agents: [agent.address], balances: options.balances ?? { USDC: '100000', UBTC: '10' } },
    ],
    ...options.server,
  });
  onCleanup(() => server.close());
  const clock = new LiveClock();
  const venueOptions: CcxtVenueOptions = {
    exchange: 'hyperliquid',
    clock,
    credentials: { walletAddress: user, privateKey: agentKey },
    urls: server.ccxtUrls(),
    symbols: ['BTC/USDC', 'ETH/USDC'],
    timeoutMs: 3000,
    // ccxt spaces Hyperliquid requests by their weight (an /info costs 20 × 50 ms); the loopback
    // server has no such limit, so the tests run the throttle 25 times faster.
    rateLimitMs: 2,
    pollIntervalMs: 200,
    reconnectDelayMs: 50,
    unknownCheckDelayMs: 100,
    ...options.venue,
  };
  const venue = await CcxtVenue.open(venueOptions);
  onCleanup(() => venue.close());
  const instrument = venue.instruments().find((i) => i.symbol === 'BTC/USDC') as SpotInstrument;
  const seen = new Map<string, Seen>();
  const note = (id: string) => {
    let s = seen.get(id);
    if (s === undefined) {
      s = { accepted: false, filled: Decimal.ZERO, ended: false };
      seen.set(id, s);
    }
    return s;
  };
  // The server knows orders by cloid; the venue reports Concord's ids. Map through the wire id.
  const byCloid = new Map<string, string>();
  venue.onOrderEvent((e: VenueOrderEvent) => {
    const id = e.type === 'order.filled' ? e.fill.clientOrderId : e.clientOrderId;
    byCloid.set(wireId(id), id);
    const s = note(id);
    if (e.type === 'order.filled') s.filled = s.filled.add(e.fill.quantity);
    else if (e.type === 'order.accepted') s.accepted = true;
    else s.ended = true;
  });
  return {
    server,
    venue,
    instrument,
    user,
    agentKey,
    clock,
    options: venueOptions,
    setMarket(bids, asks) {
      server.setBook(BTC.name, bids, asks);
    },
    stop() {
      return venue.close();
    },
    async settle(timeoutMs = 10_000) {
      const deadline = clock.now() + timeoutMs;
      for (;;) {
        const behind = server.orders.filter((o) => {
          const id = o.cloid === undefined ? undefined : byCloid.get(o.cloid);
          const s = id === undefined ? undefined : seen.get(id);
          const filled = o.origSz.sub(o.sz);
          if (s === undefined || !s.accepted || !s.filled.eq(filled)) return true;
          return o.status !== 'open' && o.status !== 'filled' && !s.ended;
        });
        if (behind.length === 0) return;
        if (clock.now() > deadline)
          throw new Error(
            `settle: the venue has not caught up with the server for ${behind
              .map((o) => `${o.cloid} (${o.status}, ${o.origSz.sub(o.sz)} filled)`)
              .join(', ')}`,
          );
        await clock.sleep(5);
      }
    },
  };
}

function wireId(clientOrderId: string): string {
  return wireClientId('hyperliquid', clientOrderId);
}
