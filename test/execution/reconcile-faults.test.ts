/**
 * The safety net as a whole: a SimulatedVenue inside a FaultyVenue, a real OrderManager,
 * Portfolio and Reconciler, random orders and market moves under random faults. After the
 * faults stop and a final reconciliation, nothing is duplicated, lost or out of step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, Random } from '../../src/core/index.ts';
import type { FaultConfig } from '../../src/venues/faulty/index.ts';
import { setBook, VENUE } from '../venues/faulty-helpers.ts';
import { desk } from './reconcile-helpers.ts';
import { drive, flush } from './recovery-helpers.ts';

const faultsArb: fc.Arbitrary<FaultConfig> = fc.record({
  timeoutAfterSend: fc.double({ min: 0, max: 0.3, noNaN: true }),
  timeoutBeforeSend: fc.double({ min: 0, max: 0.2, noNaN: true }),
  readTimeout: fc.double({ min: 0, max: 0.2, noNaN: true }),
  cancelTimeout: fc.double({ min: 0, max: 0.3, noNaN: true }),
  rateLimit: fc.double({ min: 0, max: 0.1, noNaN: true }),
  reject: fc.double({ min: 0, max: 0.1, noNaN: true }),
  disconnect: fc.double({ min: 0, max: 0.05, noNaN: true }),
  disconnectMs: fc.integer({ min: 10, max: 300 }),
  dropDuringDisconnect: fc.double({ min: 0, max: 1, noNaN: true }),
  splitFill: fc.double({ min: 0, max: 0.5, noNaN: true }),
  delayFill: fc.double({ min: 0, max: 0.5, noNaN: true }),
  maxDelayMs: fc.integer({ min: 0, max: 300 }),
  duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.5, noNaN: true }),
  reorderWindowMs: fc.integer({ min: 0, max: 50 }),
});

async function scenario(seed: number, faults: FaultConfig, steps: number) {
  const d = desk(seed, faults);
  const rnd = new Random(seed ^ 0x5eed);
  let mid = 60_000;
  let sequence = 10;
  for (let step = 0; step < steps; step++) {
    const action = rnd.int(6);
    const lots = 1 + rnd.int(20);
    const quantity = Decimal.from(lots).mul('0.001');
    const side = rnd.bool() ? 'buy' : 'sell';
    if (action <= 1) await d.submit({ side, quantity });
    else if (action === 2) {
      const offset = (rnd.int(5) + 1) * (side === 'buy' ? -1 : 1);
      await d.submit({
        side,
        quantity,
        type: 'limit',
        timeInForce: 'GTC',
        limitPrice: Decimal.from(mid + offset),
      });
    } else if (action === 3) {
      const open = d.orders.openOrders();
      if (open.length > 0) await d.orders.cancel(rnd.pick(open).clientOrderId);
    } else {
      mid += rnd.int(21) - 10;
      setBook(d.inner, d.instrument, d.clock, mid, sequence++);
    }
    d.clock.advanceBy(rnd.int(40));
    if (step % 15 === 14) await drive(d.clock, d.reconciler.reconcileAll());
  }
  // The storm ends: no new faults, every delayed or held event lands, grace periods pass.
  d.venue.setFaults({});
  d.clock.advanceBy(5_000);
  await flush();
  await drive(d.clock, d.reconciler.reconcileAll());
  // A first pass may send lost cancels again; the second must find nothing left to do.
  d.clock.advanceBy(1_000);
  const [final] = await drive(d.clock, d.reconciler.reconcileAll());
  return { d, final };
}

async function checkInvariants(seed: number, faults: FaultConfig, steps: number) {
  const { d, final } = await scenario(seed, faults, steps);
  const id = `${VENUE}:BTC-USDT`;
  // No duplicate order: each client order id reached the venue at most once.
  for (const [coid, n] of d.innerSubmits) expect(n, coid).toBe(1);
  // Every UNKNOWN order is resolved.
  expect(d.orders.orders().filter((o) => o.status === 'UNKNOWN')).toEqual([]);
  // No lost and no doubled fill: the portfolio holds exactly the venue's fills (as presented).
  const venueFills = new Set<string>();
  for (const order of d.orders.orders()) {
    const state = await d.venue.fetchOrder(order.clientOrderId);
    for (const fill of state?.fills ?? []) venueFills.add(`${fill.venue}|${fill.tradeId}`);
  }
  expect(new Set(d.portfolio.snapshot().seenTrades)).toEqual(venueFills);
  // No position or balance mismatch.
  const positions = await d.inner.fetchPositions();
  expect(d.portfolio.positionExact(id).toString()).toBe(
    (positions.find((p) => p.instrumentId === id)?.quantity ?? Decimal.ZERO).toString(),
  );
  for (const b of await d.inner.fetchBalances())
    expect(d.portfolio.balance(VENUE, b.asset).toString(), b.asset).toBe(b.total.toString());
  expect(final?.mismatches).toEqual([]);
  expect(final?.status).toBe('ok');
  return d;
}

describe('reconciliation under injected faults', () => {
  it('property: no duplicate order, no lost fill, no position mismatch, no UNKNOWN left', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), faultsArb, async (seed, faults) => {
        await checkInvariants(seed, faults, 80);
      }),
      { numRuns: Number(process.env.CONCORD_FAULT_RUNS ?? 100) },
    );
  });

  it('exercises the faults it claims to (a heavy mix, one seed)', async () => {
    const heavy: FaultConfig = {
      timeoutAfterSend: 0.3,
      timeoutBeforeSend: 0.15,
      readTimeout: 0.1,
      cancelTimeout: 0.3,
      rateLimit: 0.05,
      reject: 0.05,
      disconnect: 0.04,
      disconnectMs: 200,
      dropDuringDisconnect: 0.5,
      splitFill: 0.5,
      delayFill: 0.5,
      maxDelayMs: 200,
      duplicate: 0.3,
      reorder: 0.5,
      reorderWindowMs: 40,
    };
    const d = await checkInvariants(12345, heavy, 200);
    const counts = d.venue.faultCounts();
    for (const [kind, n] of Object.entries(counts)) expect(n, kind).toBeGreaterThan(0);
    expect(d.orders.orders().length).toBeGreaterThan(50);
  });

  it('is deterministic: the same seed gives the same journal of execution and reconcile events', async () => {
    const faults: FaultConfig = {
      timeoutAfterSend: 0.2,
      disconnect: 0.05,
      delayFill: 0.3,
      duplicate: 0.2,
      reorder: 0.3,
      splitFill: 0.3,
    };
    const a = await scenario(77, faults, 80);
    const b = await scenario(77, faults, 80);
    const text = (x: typeof a) => JSON.stringify(x.d.events.map((e) => [e.type, e.payload]));
    expect(text(a)).toEqual(text(b));
    expect(a.d.venue.faultCounts()).toEqual(b.d.venue.faultCounts());
  });
});
