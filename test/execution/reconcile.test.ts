import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/core/index.ts';
import type { ReconcileReport } from '../../src/execution/reconcile.ts';
import { VENUE } from '../venues/faulty-helpers.ts';
import { desk, eventsOf } from './reconcile-helpers.ts';
import { drive } from './recovery-helpers.ts';

describe('Reconciler', () => {
  it('resolves an order whose submit timed out after reaching the venue, fills included', async () => {
    const d = desk(1, { timeoutAfterSend: 1, dropDuringDisconnect: 1 });
    const result = await d.submit();
    expect(result.outcome).toBe('unknown');
    expect(d.orders.order(result.order.clientOrderId)?.status).toBe('UNKNOWN');
    // Its events are lost in an outage, so only reconciliation can tell what became of it.
    d.venue.disconnectFor(50);
    d.clock.advanceBy(60);
    expect(d.orders.order(result.order.clientOrderId)?.status).toBe('UNKNOWN');
    const [report] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(report).toMatchObject({ venue: VENUE, unknownResolved: 1, unknownPending: 0, status: 'ok' });
    expect(d.orders.order(result.order.clientOrderId)?.status).toBe('FILLED');
    expect(d.portfolio.positionExact(`${VENUE}:BTC-USDT`).toString()).toBe('0.01');
    expect(eventsOf(d.events, 'reconcile.report')).toHaveLength(1);
    expect(d.failClosed).toEqual([]);
  });

  it('an UNKNOWN order the venue never saw waits out the grace period, then is closed as rejected', async () => {
    const d = desk(1, { timeoutBeforeSend: 1 });
    const result = await d.submit();
    expect(result.outcome).toBe('unknown');
    d.venue.setFaults({});
    d.clock.advanceBy(10);
    const [early] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(early).toMatchObject({ unknownResolved: 0, unknownPending: 1 });
    expect(d.orders.order(result.order.clientOrderId)?.status).toBe('UNKNOWN');
    d.clock.advanceBy(1_000);
    const [late] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(late).toMatchObject({ unknownResolved: 1, unknownPending: 0, status: 'ok' });
    expect(d.orders.order(result.order.clientOrderId)?.status).toBe('REJECTED');
  });

  it('never submits anything itself: reconciliation only reads', async () => {
    const d = desk(2, { timeoutAfterSend: 0.5, timeoutBeforeSend: 0.5 });
    for (let i = 0; i < 10; i++) await d.submit();
    d.venue.setFaults({});
    d.clock.advanceBy(2_000);
    const before = new Map(d.innerSubmits);
    await drive(d.clock, d.reconciler.reconcileAll());
    expect(d.innerSubmits).toEqual(before);
    expect(d.orders.orders().filter((o) => o.status === 'UNKNOWN')).toEqual([]);
  });

  it('books a fill the desk never saw on an order it had already closed', async () => {
    const d = desk(3, { dropDuringDisconnect: 1 });
    const id = `${VENUE}:BTC-USDT`;
    // An IOC that partly fills (3 of 5 at the best ask); every event of it is lost in an outage…
    const result = await d.submit({
      type: 'limit',
      limitPrice: Decimal.from('60005'),
      timeInForce: 'IOC',
      quantity: Decimal.from('5'),
    });
    d.venue.disconnectFor(50);
    d.clock.advanceBy(60);
    expect(d.venue.faultCounts().droppedEvent).toBe(3);
    // …except its expiry, which reaches the order manager first: the order closes without its fill.
    const coid = result.order.clientOrderId;
    d.orders.applyVenueEvent(
      { type: 'order.accepted', clientOrderId: coid, venueOrderId: 'v', ts: d.clock.now() },
      VENUE,
    );
    d.orders.applyVenueEvent(
      { type: 'order.expired', clientOrderId: coid, venueOrderId: 'v', ts: d.clock.now() },
      VENUE,
    );
    expect(d.orders.order(coid)?.status).toBe('EXPIRED');
    expect((await d.inner.fetchOrder(coid))?.filledQuantity.toString()).toBe('3');
    expect(d.portfolio.positionExact(id).isZero()).toBe(true);
    const [report] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(report?.fillsRecovered).toBe(1);
    expect(eventsOf(d.events, 'reconcile.fill-recovered')).toHaveLength(1);
    expect(d.portfolio.positionExact(id).toString()).toBe('3');
    expect(report?.status).toBe('ok');
    d.clock.advanceBy(10);
    const [again] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(again?.fillsRecovered).toBe(0);
    expect(d.portfolio.positionExact(id).toString()).toBe('3');
  });

  it('fixes a balance difference within tolerance with a journaled adjustment', async () => {
    const d = desk(4, {}, { tolerance: { balance: '1' } });
    d.portfolio.deposit(VENUE, 'USDT', '-0.5');
    const [report] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(report?.status).toBe('adjusted');
    expect(report?.adjustments).toEqual([
      { kind: 'balance', key: 'USDT', before: '999999.5', after: '1000000', delta: '0.5' },
    ]);
    expect(eventsOf(d.events, 'reconcile.adjusted')).toHaveLength(1);
    expect(d.portfolio.balance(VENUE, 'USDT').toString()).toBe('1000000');
    expect(d.failClosed).toEqual([]);
    const [next] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(next?.status).toBe('ok');
  });

  it('fails the venue closed (HALTED) on a difference beyond tolerance, and leaves the books alone', async () => {
    const d = desk(5, {}, { tolerance: { balance: '1' } });
    d.portfolio.deposit(VENUE, 'BTC', '2');
    const [report] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(report?.status).toBe('failed-closed');
    expect(report?.mismatches).toMatchObject([
      { kind: 'balance', key: 'BTC', desk: '12', venue: '10', withinTolerance: false, fixed: false },
    ]);
    expect(d.failClosed).toMatchObject([{ scope: { kind: 'venue', venue: VENUE }, state: 'HALTED' }]);
    expect(d.portfolio.balance(VENUE, 'BTC').toString()).toBe('12');
    expect(d.reconciler.failedClosedVenues()).toEqual([VENUE]);
    d.portfolio.deposit(VENUE, 'BTC', '-2');
    await drive(d.clock, d.reconciler.reconcileAll());
    expect(d.recovered).toEqual([VENUE]);
    expect(d.reconciler.failedClosedVenues()).toEqual([]);
  });

  it('caps adjustments per run with autoFixLimit and fails closed (REDUCING) on the rest', async () => {
    const d = desk(6, {}, { tolerance: { balance: '1' }, autoFixLimit: 1 });
    d.portfolio.deposit(VENUE, 'USDT', '0.25');
    d.portfolio.deposit(VENUE, 'BTC', '0.25');
    const [report] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(report?.adjustments).toHaveLength(1);
    expect(report?.status).toBe('failed-closed');
    expect(d.failClosed.map((f) => f.state)).toEqual(['REDUCING']);
  });

  it('adjusts a small position difference with a synthetic fill, leaving the quote balance as it was', async () => {
    const d = desk(7, {}, { tolerance: { position: '0.001', balance: '0.001' }, priceOf: () => 60_000 });
    await d.submit({ quantity: Decimal.from('0.01') });
    d.clock.advanceBy(10);
    const id = `${VENUE}:BTC-USDT`;
    // The venue sold 0.001 BTC the desk does not know about (both position and base balance differ).
    const orphan = {
      ...(await d.inner.fetchOrder(d.orders.orders()[0]!.clientOrderId))!.fills[0]!,
      tradeId: 'orphan',
    };
    expect(orphan).toBeDefined();
    const usdtBefore = d.portfolio.balance(VENUE, 'USDT');
    d.portfolio.applyFill(
      { ...orphan, side: 'buy', quantity: Decimal.from('0.001'), fee: Decimal.ZERO },
      d.instrument,
    );
    d.portfolio.deposit(VENUE, 'USDT', usdtBefore.sub(d.portfolio.balance(VENUE, 'USDT')));
    expect(d.portfolio.positionExact(id).toString()).toBe('0.011');
    const [report] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(report?.status).toBe('adjusted');
    expect(report?.adjustments.map((a) => `${a.kind} ${a.key} ${a.delta}`)).toEqual([
      'position sim-a:BTC-USDT -0.001',
    ]);
    expect(d.portfolio.positionExact(id).toString()).toBe('0.01');
    expect(d.portfolio.balance(VENUE, 'USDT').eq(usdtBefore)).toBe(true);
    expect(d.reconciler.lastSnapshot(VENUE)?.positions).toEqual([
      { instrumentId: id, desk: '0.011', venue: '0.01' },
    ]);
    expect(eventsOf(d.events, 'reconcile.snapshot')).toHaveLength(1);
  });

  it('fails closed when the venue cannot be reached, and retries later by itself', async () => {
    const d = desk(8, {}, { retryAfterMs: 5_000 });
    d.venue.disconnectFor(3_000);
    const [report] = await drive(d.clock, d.reconciler.reconcileAll());
    expect(report?.status).toBe('failed-closed');
    expect(report?.mismatches[0]).toMatchObject({
      kind: 'unreachable',
      code: 'CONCORD_ERR_RECONCILE_INCOMPLETE',
    });
    expect(d.failClosed).toMatchObject([{ scope: { kind: 'venue', venue: VENUE }, state: 'REDUCING' }]);
    const reports = eventsOf(d.events, 'reconcile.report') as ReconcileReport[];
    expect(reports).toHaveLength(1);
    // The retry timer fires on the clock and the venue is back by then.
    d.clock.advanceBy(5_000);
    await drive(d.clock, new Promise((r) => setImmediate(r)));
    for (let i = 0; i < 20 && eventsOf(d.events, 'reconcile.report').length < 2; i++)
      await new Promise((r) => setImmediate(r));
    const after = eventsOf(d.events, 'reconcile.report') as ReconcileReport[];
    expect(after.map((r) => r.status)).toEqual(['failed-closed', 'ok']);
    expect(d.recovered).toEqual([VENUE]);
  });

  it('runs on an interval of the injected clock once started', async () => {
    const d = desk(9, {}, { intervalMs: 1_000 });
    d.reconciler.start();
    for (let t = 0; t < 3; t++) {
      d.clock.advanceBy(1_000);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    }
    expect(eventsOf(d.events, 'reconcile.report').length).toBe(3);
    d.reconciler.stop();
    d.clock.advanceBy(3_000);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(eventsOf(d.events, 'reconcile.report').length).toBe(3);
  });

  it('validates its options', () => {
    expect(() => desk(1, {}, { autoFixLimit: -1 })).toThrow(/autoFixLimit/);
    expect(() => desk(1, {}, { tolerance: { position: '-1' } })).toThrow(/tolerance/);
  });
});
