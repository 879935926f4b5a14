/**
 * A venue server's market stream as a market source (what a paper session pulls): the books sent
 * with the hello first, then the live stream in arrival order; `[]` after a short wait when
 * nothing came; done once closed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveClock } from '../../src/core/index.ts';
import type { MarketEvent } from '../../src/model/index.ts';
import { RemoteConnection } from '../../src/venues/remote/client.ts';
import { RemoteMarketFeed } from '../../src/venues/remote/feed.ts';
import { VenueServer } from '../../src/venues/remote/server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('RemoteMarketFeed', () => {
  it('hands out the stream in order, answers [] while it is quiet, and is done once closed', async () => {
    const wall = new LiveClock();
    const server = await VenueServer.start({
      seed: 3,
      startTs: 1_700_000_000_000,
      balances: { USDT: 100_000, BTC: 1 },
      wall,
      maxRunMs: 20_000,
      stepEveryMs: 5,
    });
    cleanups.push(() => server.stop());
    const connection = await RemoteConnection.open({
      address: { host: '127.0.0.1', port: server.port },
      clock: wall,
    });
    cleanups.push(() => connection.close());
    const feed = new RemoteMarketFeed(connection, { wall, idleMs: 20 });
    expect(feed.instruments().map((i) => i.id)).toEqual(connection.hello?.instruments.map((i) => i.id));

    const events: MarketEvent[] = [];
    while (events.length < 200) {
      const batch = await feed.next();
      expect(batch).toBeDefined();
      events.push(...(batch ?? []));
    }
    // The books sent with the hello come first, then the stream, in time order per instrument.
    expect(events[0]?.type).toBe('book.snapshot');
    const last = new Map<string, number>();
    for (const e of events) {
      expect(e.ts).toBeGreaterThanOrEqual(last.get(e.instrumentId) ?? Number.NEGATIVE_INFINITY);
      last.set(e.instrumentId, e.ts);
    }

    await server.stop();
    // Nothing comes any more: a pull waits its idle time and answers "nothing yet", not "done".
    let quiet = await feed.next();
    while (quiet !== undefined && quiet.length > 0) quiet = await feed.next();
    expect(quiet).toEqual([]);
    feed.close();
    expect(await feed.next()).toBeUndefined();
  });
});
