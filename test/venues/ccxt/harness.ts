/**
 * Test harness: a loopback Binance spot server and a CcxtVenue talking to it, plus a
 * `settle()` that waits until every order the server holds for the account has reached
 * the venue's listeners in the same state (accepted, filled quantity, ended), and fails
 * with what is missing if that does not happen in time.
 */
import { afterEach } from 'vitest';
import { Decimal, LiveClock } from '../../../src/core/index.ts';
import type { SpotInstrument, VenueOrderEvent } from '../../../src/model/index.ts';
import { CcxtVenue, type CcxtVenueOptions } from '../../../src/venues/ccxt/index.ts';
import { type BinanceServerOptions, BinanceSpotServer } from './binance-spot-server.ts';

const cleanups: (() => Promise<void>)[] = [];

/** Registers the cleanup of servers and venues after each test of the file that imports this. */
export function useCleanup(): void {
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
}

/** `useCleanup` under a name lint does not take for a React hook. */
export function cleanupAfterEachTest(): void {
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
}

/** Adds a cleanup run after the current test (other harnesses use it too). */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

let accountSerial = 0;

export interface BinanceHarness {
  readonly server: BinanceSpotServer;
  readonly venue: CcxtVenue;
  readonly instrument: SpotInstrument;
  readonly apiKey: string;
  readonly secret: string;
  readonly clock: LiveClock;
  setMarket(bids: readonly (readonly [number, number])[], asks: readonly (readonly [number, number])[]): void;
  settle(timeoutMs?: number): Promise<void>;
  /** Closes the venue (its lifecycle ends in STOPPED). */
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly server?: Partial<BinanceServerOptions>;
  readonly venue?: Partial<CcxtVenueOptions>;
  readonly balances?: Record<string, string>;
}

interface Seen {
  accepted: boolean;
  filled: Decimal;
  ended: boolean;
}

export async function binanceHarness(options: HarnessOptions = {}): Promise<BinanceHarness> {
  const apiKey = `key-${process.pid}-${++accountSerial}`;
  const secret = `secret-${accountSerial}-${'x'.repeat(20)}`;
  const server = await BinanceSpotServer.start({
    symbols: [
      {
        symbol: 'BTCUSDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.01',
        stepSize: '0.0001',
        minNotional: '10',
      },
      {
        symbol: 'ETHUSDT',
        base: 'ETH',
        quote: 'USDT',
        tickSize: '0.01',
        stepSize: '0.001',
        minNotional: '10',
      },
    ],
    accounts: [{ apiKey, secret, balances: options.balances ?? { USDT: '100000', BTC: '10' } }],
    ...options.server,
  });
  cleanups.push(() => server.close());
  const clock = new LiveClock();
  const venue = await CcxtVenue.open({
    exchange: 'binance',
    clock,
    credentials: { apiKey, secret },
    urls: server.ccxtUrls(),
    symbols: ['BTC/USDT', 'ETH/USDT'],
    timeoutMs: 3000,
    pollIntervalMs: 200,
    reconnectDelayMs: 50,
    unknownCheckDelayMs: 100,
    ...options.venue,
  });
  cleanups.push(() => venue.close());
  const instrument = venue.instruments().find((i) => i.symbol === 'BTC/USDT') as SpotInstrument;
  const seen = new Map<string, Seen>();
  const note = (id: string) => {
    let s = seen.get(id);
    if (s === undefined) {
      s = { accepted: false, filled: Decimal.ZERO, ended: false };
      seen.set(id, s);
    }
    return s;
  };
  venue.onOrderEvent((e: VenueOrderEvent) => {
    if (e.type === 'order.filled') {
      const s = note(e.fill.clientOrderId);
      s.filled = s.filled.add(e.fill.quantity);
    } else {
      const s = note(e.clientOrderId);
      if (e.type === 'order.accepted') s.accepted = true;
      else s.ended = true;
    }
  });
  return {
    server,
    venue,
    instrument,
    apiKey,
    secret,
    clock,
    setMarket(bids, asks) {
      server.setBook('BTCUSDT', bids, asks);
    },
    stop() {
      return venue.close();
    },
    async settle(timeoutMs = 10_000) {
      const deadline = clock.now() + timeoutMs;
      for (;;) {
        const behind = server.orders.filter((o) => {
          const s = seen.get(o.clientOrderId);
          if (s === undefined || !s.accepted || !s.filled.eq(o.executedQty)) return true;
          const open = o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
          return !open && o.status !== 'FILLED' && !s.ended;
        });
        if (behind.length === 0) return;
        if (clock.now() > deadline)
          throw new Error(
            `settle: the venue has not caught up with the server for ${behind
              .map((o) => `${o.clientOrderId} (${o.status}, ${o.executedQty} filled)`)
              .join(', ')}`,
          );
        await clock.sleep(5);
      }
    },
  };
}
