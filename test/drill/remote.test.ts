/**
 * The remote venue protocol: line framing, validation at the boundary, deadlines and
 * what a dropped connection means for a submit (unknown outcome, never a clean failure).
 */
import { createServer, type Server } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal, isConcordError, LiveClock } from '../../src/core/index.ts';
import type { OrderRequest } from '../../src/model/index.ts';
import { RemoteConnection } from '../../src/venues/remote/client.ts';
import { VenueServer } from '../../src/venues/remote/server.ts';
import { decodeServerMessage, LineSplitter } from '../../src/venues/remote/wire.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function order(clientOrderId: string, venue = 'sim-a'): OrderRequest {
  return {
    clientOrderId,
    instrumentId: `${venue}:BTC-USDT`,
    venue,
    side: 'buy',
    type: 'market',
    quantity: Decimal.from('0.01'),
    timeInForce: 'IOC',
    decisionId: 'd-1#0',
    leg: 0,
    ts: 0,
  };
}

/** A server that says hello and then never answers a request. */
async function silentServer(): Promise<{ server: Server; port: number }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.write(`${JSON.stringify({ t: 'hello', now: 1, venues: ['v'], instruments: [] })}\n`);
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  server.on('close', () => {});
  const originalClose = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return originalClose(cb);
  }) as Server['close'];
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

describe('LineSplitter', () => {
  it('property: any chunking of a stream gives back exactly its lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '{', '}', 'é', ' ') }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (lines, cuts) => {
          const text = lines.map((l) => `${l}\n`).join('');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const splitter = new LineSplitter();
          const out: string[] = [];
          let from = 0;
          for (const p of [...points, text.length]) {
            splitter.push(text.slice(from, p), (l) => out.push(l));
            from = p;
          }
          expect(out).toEqual(lines.filter((l) => l.length > 0));
        },
      ),
    );
  });
});

describe('wire validation', () => {
  it('refuses a line that is not JSON, and an order event with a bad decimal, with CONCORD_ERR_REMOTE_PROTOCOL', () => {
    expect(() => decodeServerMessage('{oops')).toThrow(/CONCORD_ERR_REMOTE_PROTOCOL/);
    const badFill = {
      t: 'order',
      v: 'sim-a',
      e: {
        type: 'order.filled',
        fill: {
          clientOrderId: 'c',
          venueOrderId: 'o',
          tradeId: 't',
          instrumentId: 'sim-a:BTC-USDT',
          venue: 'sim-a',
          side: 'buy',
          price: 'NaN',
          quantity: '1',
          fee: '0',
          feeCurrency: 'USDT',
          liquidity: 'taker',
          ts: 1,
        },
      },
    };
    expect(() => decodeServerMessage(JSON.stringify(badFill))).toThrow(/CONCORD_ERR_REMOTE_PROTOCOL/);
  });
});

describe('RemoteVenue', () => {
  it('a submit without an answer is CONCORD_ERR_VENUE_TIMEOUT and not retryable (outcome unknown); a read timeout is retryable', async () => {
    const { server, port } = await silentServer();
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const connection = await RemoteConnection.open({
      address: { host: '127.0.0.1', port },
      clock: new LiveClock(),
      requestTimeoutMs: 50,
    });
    cleanups.push(() => connection.close());
    const [venue] = connection.venues();
    const submit = await venue?.submitOrder(order('c1', 'v')).catch((e: unknown) => e);
    expect(isConcordError(submit, 'CONCORD_ERR_VENUE_TIMEOUT')).toBe(true);
    expect((submit as { retryable: boolean }).retryable).toBe(false);
    const read = await venue?.fetchBalances().catch((e: unknown) => e);
    expect(isConcordError(read, 'CONCORD_ERR_VENUE_TIMEOUT')).toBe(true);
    expect((read as { retryable: boolean }).retryable).toBe(true);
  });

  it('trades through a venue server: submit, fill as an event, fetchOrder with exact decimals, balances moved', async () => {
    const wall = new LiveClock();
    const server = await VenueServer.start({
      seed: 3,
      startTs: 1_700_000_000_000,
      balances: { USDT: 100_000, BTC: 1 },
      wall,
      maxRunMs: 20_000,
    });
    cleanups.push(() => server.stop());
    const connection = await RemoteConnection.open({
      address: { host: '127.0.0.1', port: server.port },
      clock: wall,
    });
    cleanups.push(() => connection.close());
    const venue = connection.venues().find((v) => v.id === 'sim-a');
    expect((venue?.instruments()[0] as { lotSize?: Decimal } | undefined)?.lotSize?.toString()).toBe(
      '0.0001',
    );
    const fills: string[] = [];
    venue?.onOrderEvent((e) => {
      if (e.type === 'order.filled') fills.push(e.fill.quantity.toString());
    });
    await wall.sleep(100); // the first steps build the books
    await venue?.submitOrder(order('c-remote-1'));
    for (let i = 0; i < 100 && fills.length === 0; i++) await wall.sleep(10);
    const state = await venue?.fetchOrder('c-remote-1');
    expect(state?.status).toBe('FILLED');
    expect(state?.filledQuantity.eq(Decimal.from('0.01'))).toBe(true);
    expect(fills).toEqual(['0.01']);
    const btc = (await venue?.fetchBalances())?.find((b) => b.asset === 'BTC');
    expect(btc?.total.toString()).toBe('1.01');
    // The same client order id again reaches the engine a second time and is refused there (the drill counts it).
    await venue?.submitOrder(order('c-remote-1'));
    await wall.sleep(50);
    const audit = await server.state();
    expect(audit.venues.find((v) => v.id === 'sim-a')?.resubmitted).toEqual({ 'c-remote-1': 2 });
  });

  it('a dropped connection fails a submit in flight as an unknown outcome, then reconnects', async () => {
    const wall = new LiveClock();
    const server = await VenueServer.start({
      seed: 4,
      startTs: 1_700_000_000_000,
      balances: { USDT: 1000 },
      wall,
      maxRunMs: 20_000,
    });
    cleanups.push(() => server.stop());
    const connection = await RemoteConnection.open({
      address: { host: '127.0.0.1', port: server.port },
      clock: wall,
      reconnectDelayMs: 20,
    });
    cleanups.push(() => connection.close());
    const [venue] = connection.venues();
    let hellos = 0;
    connection.onHello(() => hellos++);
    // Destroy the client's socket under it, with a request in flight.
    const pending = venue?.fetchOpenOrders().catch((e: unknown) => e);
    (connection as unknown as { socket: { destroy(): void } }).socket.destroy();
    const error = await pending;
    expect(isConcordError(error, 'CONCORD_ERR_VENUE_TIMEOUT') || Array.isArray(error)).toBe(true);
    const refused = await venue?.submitOrder(order('c-x')).catch((e: unknown) => e);
    expect(isConcordError(refused, 'CONCORD_ERR_VENUE_DISCONNECTED')).toBe(true);
    for (let i = 0; i < 100 && hellos === 0; i++) await wall.sleep(10);
    expect(hellos).toBe(1);
    expect(connection.isConnected()).toBe(true);
    expect(await venue?.fetchOpenOrders()).toEqual([]);
  });
});
