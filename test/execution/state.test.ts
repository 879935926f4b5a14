import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, clientOrderId, Decimal, sha256Hex } from '../../src/core/index.ts';
import { OrderManager } from '../../src/execution/index.ts';
import {
  canTransition,
  type OrderStatus,
  type PlanIntent,
  type VenueOrderEvent,
} from '../../src/model/index.ts';
import { BTC_A, BTC_B, buy, ctx, FakeVenue, harness, type Recorded, sell } from './fake-venue.ts';

/** A scenario touching every kind of state: open, filled, unknown, canceled, a plan mid-hedge, an overfill. */
async function scenario() {
  const h = harness();
  const { a, b, manager } = h;
  await manager.submitIntent(buy('1', '60000'), ctx('d1'));
  a.accept(clientOrderId('d1', 0));
  a.fill(a.last(), '0.25', '59999.5', 'T1');
  await manager.submitIntent(sell('0.5'), ctx('d2'));
  a.fill(a.last(), '0.5', '60001', 'T2');
  a.fill(a.last(), '0.5', '60001', 'T3'); // overfill
  a.behaviour = 'timeout';
  await manager.submitIntent(buy('2', '59000'), ctx('d3'));
  a.behaviour = 'ok';
  await manager.submitIntent(buy('1', '58000'), ctx('d4'));
  a.accept(clientOrderId('d4', 0));
  await manager.cancel(clientOrderId('d4', 0));
  const plan: PlanIntent = {
    kind: 'plan',
    label: 'arb',
    legs: [buy('1', undefined, BTC_A), sell('1', undefined, BTC_B)],
    expectedNetEdge: 0.001,
  };
  await manager.submitPlan(plan, {
    decisionId: 'p1',
    ts: 1_000,
    policy: 'hedge',
    legs: [
      { instrument: BTC_A, referencePrice: 60_000 },
      { instrument: BTC_B, referencePrice: 60_000 },
    ],
  });
  a.fill(a.last(), '1', '60000', 'T4');
  b.reject(clientOrderId('p1', 1));
  return h;
}

const roundTrip = <T>(v: T): T => JSON.parse(JSON.stringify(v));

function fresh() {
  const a = new FakeVenue('a', [BTC_A]);
  const b = new FakeVenue('b', [BTC_B]);
  const events: Recorded[] = [];
  const manager = new OrderManager({
    venues: { a, b },
    preTradeCheck: { check: () => ({ ok: true }) },
    events: {
      emit: (event, payload) =>
        events.push({ type: event.name, payload: payload as Record<string, unknown> }),
    },
    clock: { now: () => 5_000 } as never,
  });
  return { a, b, events, manager };
}

describe('snapshot, restore and rebuild', () => {
  it('snapshot → JSON → restore gives the same state', async () => {
    const { manager } = await scenario();
    const snap = manager.snapshot();
    expect(snap.orders).toHaveLength(7);
    const target = fresh().manager;
    target.restore(roundTrip(snap));
    expect(target.snapshot()).toEqual(snap);
    expect(target.openOrders().map((o) => o.status)).toEqual([
      'PARTIALLY_FILLED',
      'UNKNOWN',
      'PENDING_CANCEL',
      'SUBMITTED',
    ]);
  });

  it('replaying the journaled events rebuilds the same state, emitting nothing', async () => {
    const { manager, events } = await scenario();
    const target = fresh();
    let applied = 0;
    for (const e of events) if (target.manager.applyJournaledEvent(e.type, roundTrip(e.payload))) applied++;
    expect(applied).toBeGreaterThan(10);
    expect(target.manager.snapshot()).toEqual(manager.snapshot());
    expect(target.events).toEqual([]);
  });

  it('a rebuilt manager carries on: dedups old trades, applies new fills, finishes the plan', async () => {
    const { manager } = await scenario();
    const { a, b, manager: rebuilt } = fresh();
    rebuilt.restore(roundTrip(manager.snapshot()));
    const first = rebuilt.order(clientOrderId('d1', 0));
    a.emit({ type: 'order.filled', fill: { ...a.makeFill(first as never, '0.25', '59999.5', 'T1') } });
    expect(rebuilt.stats().duplicateFills).toBe(1);
    a.fill(first as never, '0.75', '60000', 'T9');
    expect(rebuilt.order(clientOrderId('d1', 0))?.status).toBe('FILLED');
    const hedge = rebuilt.order(clientOrderId('p1', 2));
    expect(hedge?.status).toBe('SUBMITTED');
    b.fill(hedge as never, '1', '60000', 'H1');
    expect(rebuilt.plan('p1')?.status).toBe('hedged');
  });

  it('refuses a malformed snapshot or event with CONCORD_ERR_EXECUTION_STATE_INVALID', () => {
    const { manager } = fresh();
    expect(() => manager.restore({ version: 2 })).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_EXECUTION_STATE_INVALID' }),
    );
    expect(() =>
      manager.restore({ version: 1, orders: [{ clientOrderId: 'x' }], plans: [], seenTrades: [] }),
    ).toThrow(expect.objectContaining({ code: 'CONCORD_ERR_EXECUTION_STATE_INVALID' }));
    expect(() => manager.applyJournaledEvent('order.accepted', { order: { quantity: 'NaN' } })).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_EXECUTION_STATE_INVALID' }),
    );
    expect(manager.applyJournaledEvent('agent.thought', { text: 'hi' })).toBe(false);
  });

  it('is deterministic: the same scenario gives a byte-identical event log', async () => {
    const one = await scenario();
    const two = await scenario();
    expect(sha256Hex(canonicalJson(one.events))).toBe(sha256Hex(canonicalJson(two.events)));
    expect(one.events.length).toBeGreaterThan(20);
  });
});

// ── property: random venue event sequences never break the state machine ──

type Action =
  | { kind: 'accept' | 'reject' | 'cancel' | 'expire'; order: number }
  | { kind: 'fill'; order: number; qty: number; trade: number; price: number }
  | { kind: 'foreign' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom('accept', 'reject', 'cancel', 'expire'), order: fc.nat(2) }),
  fc.record({
    kind: fc.constant('fill'),
    order: fc.nat(2),
    qty: fc.integer({ min: 1, max: 700 }),
    trade: fc.nat(12),
    price: fc.integer({ min: 1, max: 9 }),
  }),
  fc.record({ kind: fc.constant('foreign') }),
) as fc.Arbitrary<Action>;

describe('property: venue event sequences', () => {
  it('never make an illegal transition; refused events are counted and change nothing; filled ≤ quantity', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('ok', 'timeout'), { minLength: 3, maxLength: 3 }),
        fc.array(actionArb, { maxLength: 40 }),
        async (behaviours, actions) => {
          const { a, manager, events } = harness();
          const ids: string[] = [];
          for (let i = 0; i < 3; i++) {
            a.behaviour = behaviours[i] as 'ok' | 'timeout';
            const r = await manager.submitIntent(buy('1', '60000'), ctx(`d${i}`)); // quantity 1 = 1000 lots
            ids.push(r.order.clientOrderId);
          }
          const appliedFills = new Map<string, Decimal>();
          manager.onFill((f, o) =>
            appliedFills.set(
              o.clientOrderId,
              (appliedFills.get(o.clientOrderId) ?? Decimal.ZERO).add(f.quantity),
            ),
          );
          for (const action of actions) {
            const before = manager
              .orders()
              .map((o) => ({ status: o.status, filled: o.filledQuantity.toString() }));
            const refusedBefore =
              manager.stats().rejectedEvents + manager.stats().overfills + manager.stats().duplicateFills;
            const id = action.kind === 'foreign' ? 'c-foreign' : (ids[action.order] as string);
            const request = a.submitted.find((r) => r.clientOrderId === id) ?? a.submitted[0];
            let event: VenueOrderEvent;
            switch (action.kind) {
              case 'accept':
              case 'foreign':
                event = { type: 'order.accepted', clientOrderId: id, venueOrderId: 'v', ts: 2 };
                break;
              case 'reject':
                event = { type: 'order.rejected', clientOrderId: id, reason: 'no', code: 'X', ts: 2 };
                break;
              case 'cancel':
                event = { type: 'order.canceled', clientOrderId: id, venueOrderId: 'v', ts: 2 };
                break;
              case 'expire':
                event = { type: 'order.expired', clientOrderId: id, venueOrderId: 'v', ts: 2 };
                break;
              case 'fill':
                event = {
                  type: 'order.filled',
                  fill: a.makeFill(
                    request as never,
                    (action.qty / 1000).toString(),
                    `6000${action.price}`,
                    `T${action.trade}`,
                  ),
                };
                break;
            }
            a.emit(event);
            const after = manager.orders();
            const refusedAfter =
              manager.stats().rejectedEvents + manager.stats().overfills + manager.stats().duplicateFills;
            after.forEach((o, i) => {
              const prev = before[i] as { status: OrderStatus; filled: string };
              if (o.status !== prev.status || o.filledQuantity.toString() !== prev.filled) {
                expect(refusedAfter).toBe(refusedBefore);
                if (o.status !== prev.status) expect(canTransition(prev.status, o.status)).toBe(true);
              }
              expect(o.filledQuantity.lte(o.quantity)).toBe(true);
              expect(o.filledQuantity.isNegative()).toBe(false);
              expect(o.status === 'FILLED').toBe(o.filledQuantity.eq(o.quantity));
              expect(o.filledQuantity.eq(appliedFills.get(o.clientOrderId) ?? Decimal.ZERO)).toBe(true);
            });
            if (refusedAfter !== refusedBefore) {
              expect(after.map((o) => ({ status: o.status, filled: o.filledQuantity.toString() }))).toEqual(
                before,
              );
            }
          }
          const s = manager.stats();
          expect(events.filter((e) => e.type === 'order.event-rejected')).toHaveLength(s.rejectedEvents);
          expect(events.filter((e) => e.type === 'order.overfill')).toHaveLength(s.overfills);
          // Every emitted status change, read back from the event stream, is a legal transition.
          const last = new Map<string, OrderStatus>();
          for (const e of events) {
            const o = e.payload.order as { clientOrderId: string; status: OrderStatus } | undefined;
            if (o === undefined) continue;
            const prev = last.get(o.clientOrderId);
            if (prev !== undefined && prev !== o.status) expect(canTransition(prev, o.status)).toBe(true);
            last.set(o.clientOrderId, o.status);
          }
          // The journal alone rebuilds the same state.
          const rebuilt = fresh().manager;
          for (const e of events) rebuilt.applyJournaledEvent(e.type, roundTrip(e.payload));
          expect(rebuilt.snapshot()).toEqual(manager.snapshot());
        },
      ),
      { numRuns: 300 },
    );
  });
});
