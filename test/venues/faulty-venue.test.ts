import { expect, it, describe as suite } from 'vitest';
import { ConcordError, Decimal, Random, SimulatedClock } from '../../src/core/index.ts';
import { FAULT_KINDS, type FaultConfig, FaultyVenue } from '../../src/venues/faulty/index.ts';
import { describe, request, setBook, setupFaulty } from './faulty-helpers.ts';

/** Runs a fixed script of calls and market moves; returns what a caller saw. */
async function script(seed: number, faults: FaultConfig) {
  const { clock, instrument, inner, venue, seen, innerSeen } = setupFaulty(seed, faults);
  const outcomes: string[] = [];
  for (let i = 0; i < 40; i++) {
    const side = i % 3 === 0 ? 'sell' : 'buy';
    const limit = i % 4 === 0;
    const req = request(instrument, {
      clientOrderId: `o-${i}`,
      side,
      quantity: '0.012',
      ...(limit ? { type: 'limit', timeInForce: 'GTC', price: side === 'buy' ? '59990' : '60010' } : {}),
    });
    try {
      await venue.submitOrder(req);
      outcomes.push('ok');
    } catch (err) {
      outcomes.push((err as ConcordError).code);
    }
    try {
      await venue.fetchBalances();
    } catch (err) {
      outcomes.push(`read:${(err as ConcordError).code}`);
    }
    clock.advanceBy(20);
    setBook(inner, instrument, clock, 60_000 + ((i * 37) % 30) - 15, i + 2);
  }
  clock.advanceBy(10_000);
  return {
    outcomes,
    events: seen.map(describe),
    innerEvents: innerSeen.map(describe),
    counts: venue.faultCounts(),
    venue,
  };
}

const EVERYTHING: FaultConfig = {
  timeoutAfterSend: 0.1,
  timeoutBeforeSend: 0.1,
  readTimeout: 0.1,
  rateLimit: 0.05,
  reject: 0.05,
  disconnect: 0.03,
  disconnectMs: 100,
  splitFill: 0.5,
  delayFill: 0.3,
  maxDelayMs: 200,
  duplicate: 0.2,
  reorder: 0.3,
  reorderWindowMs: 30,
};

suite('FaultyVenue', () => {
  it('is transparent without faults: the same events as the wrapped venue, in the same order', async () => {
    const a = await script(1, {});
    expect(Object.values(a.venue.faultCounts()).every((n) => n === 0)).toBe(true);
    expect(a.events).toEqual(a.innerEvents);
    expect(a.outcomes.every((o) => o === 'ok')).toBe(true);
    const b = await script(2, {});
    expect(a.events).toEqual(b.events);
    expect(a.events.length).toBeGreaterThan(40);
  });

  it('is deterministic: the same seed gives the same faults, outcomes and events; another seed differs', async () => {
    const a = await script(42, EVERYTHING);
    const b = await script(42, EVERYTHING);
    const c = await script(43, EVERYTHING);
    expect(a.outcomes).toEqual(b.outcomes);
    expect(a.events).toEqual(b.events);
    expect(a.counts).toEqual(b.counts);
    expect([a.outcomes, a.events]).not.toEqual([c.outcomes, c.events]);
    // Every kind but the ones this script does not exercise was injected at least once.
    for (const kind of FAULT_KINDS) {
      if (kind === 'cancelTimeout' || kind === 'heldEvent' || kind === 'droppedEvent') continue;
      expect(a.counts[kind], kind).toBeGreaterThan(0);
    }
  });

  it('timeout after send: the venue has the order, the caller gets a non-retryable timeout', async () => {
    const { venue, inner, instrument, clock, innerSubmits } = setupFaulty(1, { timeoutAfterSend: 1 });
    const req = request(instrument);
    const err = await venue.submitOrder(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcordError);
    expect(err).toMatchObject({ code: 'CONCORD_ERR_VENUE_TIMEOUT', retryable: false });
    expect(innerSubmits.get(req.clientOrderId)).toBe(1);
    clock.advanceBy(10);
    expect((await inner.fetchOrder(req.clientOrderId))?.status).toBe('FILLED');
    expect(venue.faultCounts().timeoutAfterSend).toBe(1);
  });

  it('timeout before send: the same error, but nothing reached the venue', async () => {
    const { venue, inner, instrument, clock, innerSubmits } = setupFaulty(1, { timeoutBeforeSend: 1 });
    const req = request(instrument);
    await expect(venue.submitOrder(req)).rejects.toMatchObject({
      code: 'CONCORD_ERR_VENUE_TIMEOUT',
      retryable: false,
    });
    clock.advanceBy(10);
    expect(innerSubmits.has(req.clientOrderId)).toBe(false);
    expect(await inner.fetchOrder(req.clientOrderId)).toBeUndefined();
  });

  it('rate limits every kind of call with a retryable error, reaching nothing', async () => {
    const { venue, instrument, innerSubmits } = setupFaulty(1, { rateLimit: 1 });
    await expect(venue.submitOrder(request(instrument))).rejects.toMatchObject({
      code: 'CONCORD_ERR_VENUE_RATE_LIMITED',
      retryable: true,
    });
    await expect(venue.fetchPositions()).rejects.toMatchObject({ code: 'CONCORD_ERR_VENUE_RATE_LIMITED' });
    await expect(venue.cancelOrder('x')).rejects.toMatchObject({ code: 'CONCORD_ERR_VENUE_RATE_LIMITED' });
    expect(innerSubmits.size).toBe(0);
    expect(venue.faultCounts().rateLimit).toBe(3);
  });

  it('rejects as a venue would: an order.rejected event, nothing at the venue', async () => {
    const { venue, instrument, clock, seen, innerSubmits } = setupFaulty(1, { reject: 1 });
    const req = request(instrument);
    await venue.submitOrder(req);
    expect(seen).toHaveLength(0);
    clock.advanceBy(1);
    expect(seen.map(describe)).toEqual([`order.rejected ${req.clientOrderId}`]);
    expect(innerSubmits.size).toBe(0);
  });

  it('disconnect: calls fail retryably; events are held to reconnect or dropped, and fetchOrder still tells the truth', async () => {
    const { venue, instrument, clock, seen, inner } = setupFaulty(3, { dropDuringDisconnect: 0.5 });
    const reqs = [0, 1, 2, 3, 4, 5].map(() => request(instrument));
    for (const r of reqs) await venue.submitOrder(r);
    venue.disconnectFor(100);
    expect(venue.isDisconnected()).toBe(true);
    await expect(venue.fetchOpenOrders()).rejects.toMatchObject({
      code: 'CONCORD_ERR_VENUE_DISCONNECTED',
      retryable: true,
    });
    clock.advanceBy(10); // the orders reach the engine during the outage
    expect(seen).toHaveLength(0);
    const counts = venue.faultCounts();
    expect(counts.heldEvent + counts.droppedEvent).toBeGreaterThan(0);
    expect(counts.heldEvent).toBeGreaterThan(0);
    expect(counts.droppedEvent).toBeGreaterThan(0);
    clock.advanceBy(100);
    expect(venue.isDisconnected()).toBe(false);
    expect(seen).toHaveLength(counts.heldEvent);
    for (const r of reqs) {
      const state = await venue.fetchOrder(r.clientOrderId);
      expect(state?.status).toBe('FILLED');
      expect(state).toEqual({ ...(await inner.fetchOrder(r.clientOrderId)) });
    }
  });

  it('splits fills on the lot grid, and fetchOrder presents the same split with the same trade ids', async () => {
    const { venue, instrument, clock, seen } = setupFaulty(5, { splitFill: 1 });
    const req = request(instrument, { quantity: '0.5' });
    await venue.submitOrder(req);
    clock.advanceBy(10);
    const fills = seen.flatMap((e) => (e.type === 'order.filled' ? [e.fill] : []));
    expect(fills).toHaveLength(2);
    expect(fills.map((f) => f.tradeId.slice(-2))).toEqual(['.1', '.2']);
    expect(Decimal.sum(fills.map((f) => f.quantity)).toString()).toBe('0.5');
    for (const f of fills) expect(f.quantity.isMultipleOf(instrument.lotSize)).toBe(true);
    const state = await venue.fetchOrder(req.clientOrderId);
    expect(state?.fills.map((f) => `${f.tradeId} ${f.quantity} ${f.fee}`)).toEqual(
      fills.map((f) => `${f.tradeId} ${f.quantity} ${f.fee}`),
    );
    expect(venue.faultCounts().splitFill).toBe(1);
  });

  it('delays fills on the clock, duplicates events, and reorders within the window', async () => {
    const delayed = setupFaulty(7, { delayFill: 1, maxDelayMs: 100 });
    await delayed.venue.submitOrder(request(delayed.instrument));
    delayed.clock.advanceBy(5);
    expect(delayed.seen.map((e) => e.type)).toEqual(['order.accepted']);
    delayed.clock.advanceBy(100);
    expect(delayed.seen.map((e) => e.type)).toEqual(['order.accepted', 'order.filled']);

    const dup = setupFaulty(7, { duplicate: 1, reorderWindowMs: 10 });
    await dup.venue.submitOrder(request(dup.instrument));
    dup.clock.advanceBy(50);
    expect(dup.seen.map((e) => e.type)).toEqual([
      'order.accepted',
      'order.filled',
      'order.accepted',
      'order.filled',
    ]);
    expect(dup.venue.faultCounts().duplicatedEvent).toBe(2);

    let reordered = false;
    for (let seed = 0; seed < 20 && !reordered; seed++) {
      const r = setupFaulty(seed, { reorder: 0.5, reorderWindowMs: 20 });
      await r.venue.submitOrder(request(r.instrument));
      r.clock.advanceBy(50);
      expect(r.seen).toHaveLength(2);
      reordered = r.seen[0]?.type === 'order.filled';
    }
    expect(reordered).toBe(true);
  });

  it('cancel timeouts are retryable (a cancel is idempotent)', async () => {
    const { venue, instrument, clock } = setupFaulty(1, {});
    const req = request(instrument, { type: 'limit', timeInForce: 'GTC', price: '59000' });
    await venue.submitOrder(req);
    clock.advanceBy(10);
    venue.setFaults({ cancelTimeout: 1 });
    await expect(venue.cancelOrder(req.clientOrderId)).rejects.toMatchObject({
      code: 'CONCORD_ERR_VENUE_TIMEOUT',
      retryable: true,
    });
    expect(venue.faultCounts().cancelTimeout).toBe(1);
  });

  it('validates its fault config', () => {
    const { inner } = setupFaulty(1, {});
    const clock = new SimulatedClock(0);
    expect(() => new FaultyVenue({ inner, clock, random: new Random(1), faults: { reject: 1.5 } })).toThrow(
      /reject/,
    );
    expect(
      () => new FaultyVenue({ inner, clock, random: new Random(1), faults: { maxDelayMs: -1 } }),
    ).toThrow(/maxDelayMs/);
  });
});
