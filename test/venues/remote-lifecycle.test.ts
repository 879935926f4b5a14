/**
 * A remote venue connection's lifecycle, against a real loopback server that says hello on
 * every connection and can drop them: RUNNING once connected, DEGRADED while redialling,
 * RUNNING again at the next hello, STOPPING → STOPPED on close.
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isConcordError, type LifecycleTransition, LiveClock } from '../../src/core/index.ts';
import { RemoteConnection } from '../../src/venues/remote/client.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `silent`: accept connections but say nothing (the client stays without a hello). */
async function helloServer(): Promise<{ port: number; drop(): void; silent: boolean }> {
  const sockets = new Set<Socket>();
  const control = { silent: false };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (!control.silent)
      socket.write(`${JSON.stringify({ t: 'hello', now: 1, venues: ['v1', 'v2'], instruments: [] })}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    drop: () => {
      for (const s of sockets) s.destroy();
    },
    get silent() {
      return control.silent;
    },
    set silent(value: boolean) {
      control.silent = value;
    },
  };
}

/** Polls until `ok()` (real time, generous bound: a loaded machine is slow, never wrong). */
async function until(ok: () => boolean, what: string): Promise<void> {
  const clock = new LiveClock();
  for (let i = 0; i < 1000 && !ok(); i++) await clock.sleep(10);
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe('remote venue connection lifecycle', () => {
  it('is RUNNING once connected, DEGRADED while it redials a dropped connection, RUNNING again, STOPPED on close', async () => {
    const server = await helloServer();
    const connection = await RemoteConnection.open({
      address: { host: '127.0.0.1', port: server.port },
      clock: new LiveClock(),
      reconnectDelayMs: 20,
    });
    cleanups.push(() => connection.close());
    expect(connection.lifecycle.state).toBe('RUNNING');
    expect(connection.lifecycle.reason).toBe('connected');
    const venues = connection.venues();
    // Every venue of one server shares the connection's lifecycle.
    for (const v of venues) expect(v.lifecycle).toBe(connection.lifecycle);

    const seen: LifecycleTransition[] = [];
    connection.lifecycle.onTransition((t) => seen.push(t));
    server.drop();
    await until(() => seen.some((t) => t.to === 'RUNNING'), 'the reconnection');
    expect(seen.map((t) => `${t.from}>${t.to}`)).toEqual(['RUNNING>DEGRADED', 'DEGRADED>RUNNING']);
    expect(seen[0]?.reason).toContain('connection dropped');
    expect(seen[1]?.reason).toBe('reconnected');
    expect(connection.reconnects).toBe(1);

    connection.close();
    expect(connection.lifecycle.state).toBe('STOPPED');
    expect(seen.slice(2).map((t) => `${t.from}>${t.to}`)).toEqual(['RUNNING>STOPPING', 'STOPPING>STOPPED']);
    // Closed for good: a call is refused, and closing again changes nothing.
    await expect(venues[0]?.fetchOpenOrders()).rejects.toSatisfy((e: unknown) =>
      isConcordError(e, 'CONCORD_ERR_VENUE_DISCONNECTED'),
    );
    connection.close();
    expect(seen).toHaveLength(4);
  });

  it('stays DEGRADED, refusing calls, until the server says hello again (a bare TCP connection is not enough)', async () => {
    const server = await helloServer();
    const connection = await RemoteConnection.open({
      address: { host: '127.0.0.1', port: server.port },
      clock: new LiveClock(),
      reconnectDelayMs: 20,
    });
    cleanups.push(() => connection.close());
    server.silent = true;
    server.drop();
    await until(() => connection.lifecycle.state === 'DEGRADED', 'the drop');
    await expect(connection.request('fetchOpenOrders', 'v1')).rejects.toSatisfy((e: unknown) =>
      isConcordError(e, 'CONCORD_ERR_VENUE_DISCONNECTED'),
    );
    expect(connection.lifecycle.state).toBe('DEGRADED');
    server.silent = false;
    server.drop(); // the silent connection: the client redials and is greeted this time
    await until(() => connection.lifecycle.state === 'RUNNING', 'the reconnection');
    expect(connection.isConnected()).toBe(true);
  });
});
