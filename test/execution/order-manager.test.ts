import { describe, expect, it } from 'vitest';
import { clientOrderId, Decimal } from '../../src/core/index.ts';
import { averageFillPrice, OrderManager } from '../../src/execution/index.ts';
import type { Denial } from '../../src/model/index.ts';
import { BTC_A, BTC_B, buy, ctx, harness, sell } from './fake-venue.ts';

describe('OrderManager: submit', () => {
  it('derives the client order id from decision and leg, and sends the exact request', async () => {
    const { a, manager, types } = harness();
    const result = await manager.submitIntent(buy('0.5', '60000.01'), ctx('d1', 3));
    expect(result.outcome).toBe('submitted');
    expect(a.submitted).toHaveLength(1);
    const request = a.last();
    expect(request.clientOrderId).toBe(clientOrderId('d1', 3));
    expect(request.quantity.toString()).toBe('0.5');
    expect(request.price?.toString()).toBe('60000.01');
    expect(request.timeInForce).toBe('GTC');
    expect(manager.order(request.clientOrderId)?.status).toBe('SUBMITTED');
    expect(types()).toEqual(['order.initialized', 'order.submitted']);
  });

  it('denies an order the pre-trade check refuses, and never sends it', async () => {
    const denial: Denial = {
      code: 'NOTIONAL_EXCEEDS_MAX_PER_ORDER',
      rule: 'max-notional',
      message: 'too big',
      details: { max: 1000 },
    };
    const seen: unknown[] = [];
    const { a, manager, events } = harness(
      {},
      {
        check: (o) => {
          seen.push(o);
          return { ok: false, denial };
        },
      },
    );
    const result = await manager.submitIntent(buy('0.5'), ctx('d1'));
    expect(result.outcome).toBe('denied');
    expect(a.submitted).toHaveLength(0);
    expect(manager.order(clientOrderId('d1', 0))?.status).toBe('DENIED');
    expect(manager.openOrders()).toHaveLength(0);
    const denied = events.find((e) => e.type === 'order.denied');
    expect(denied?.payload.denial).toEqual(denial);
    expect(seen).toEqual([
      expect.objectContaining({
        instrumentId: BTC_A.id,
        venue: 'a',
        side: 'buy',
        referencePrice: 60_000,
        quantity: Decimal.from('0.5'),
      }),
    ]);
  });

  it('fails closed when the pre-trade check throws', async () => {
    const { a, manager } = harness(
      {},
      {
        check: () => {
          throw new Error('rule blew up');
        },
      },
    );
    const result = await manager.submitIntent(buy('0.5'), ctx('d1'));
    expect(result.outcome === 'denied' && result.denial).toMatchObject({
      code: 'CHECK_FAILED',
      error: 'CONCORD_ERR_INTERNAL',
      details: { cause: 'rule blew up' },
    });
    expect(a.submitted).toHaveLength(0);
  });

  it('refuses a second submit of the same decision leg (sequential and concurrent)', async () => {
    const { a, manager } = harness();
    const [first, second] = await Promise.all([
      manager.submitIntent(buy('1'), ctx('d1')),
      manager.submitIntent(buy('1'), ctx('d1')),
    ]);
    const third = await manager.submitIntent(buy('2'), ctx('d1'));
    expect(first.outcome).toBe('submitted');
    expect(second.outcome).toBe('duplicate');
    expect(third.outcome).toBe('duplicate');
    expect(a.submitted).toHaveLength(1);
    expect(manager.orders()).toHaveLength(1);
  });

  it('denies an off-grid quantity or price with OFF_GRID (error CONCORD_ERR_ORDER_PRECISION) and never sends it', async () => {
    const { a, manager } = harness();
    const q = await manager.submitIntent(buy('0.0005'), ctx('d1'));
    const p = await manager.submitIntent(buy('1', '60000.005'), ctx('d2'));
    expect(q.outcome === 'denied' && q.denial).toMatchObject({
      code: 'OFF_GRID',
      rule: 'precision',
      error: 'CONCORD_ERR_ORDER_PRECISION',
      details: { quantity: '0.0005' },
    });
    expect(p.outcome === 'denied' && p.denial).toMatchObject({
      code: 'OFF_GRID',
      error: 'CONCORD_ERR_ORDER_PRECISION',
    });
    // One code prefix on the order's reason: the message itself carries none.
    expect(q.order.reason).toBe(`OFF_GRID: ${q.outcome === 'denied' && q.denial.message}`);
    expect(q.order.reason).not.toContain('CONCORD_ERR');
    expect(a.submitted).toHaveLength(0);
  });

  it('denies a market order below the minimum notional at the reference price', async () => {
    const { a, manager } = harness();
    const r = await manager.submitIntent(buy('0.001'), ctx('d1', 0, BTC_A, 1_000)); // 1 USDT < 5
    expect(r.outcome === 'denied' && r.denial.code).toBe('NOTIONAL_BELOW_MIN');
    expect(a.submitted).toHaveLength(0);
  });

  it('denies a limit order below the minimum notional, and a quantity that rounds to zero', async () => {
    const { a, manager } = harness({ gridPolicy: 'round-safe' });
    const low = await manager.submitIntent(buy('0.001', '4999.99'), ctx('d1')); // 4.99999 < 5
    const zero = await manager.submitIntent(buy('0.0009', '60000'), ctx('d2'));
    const exact = await manager.submitIntent(buy('0.001', '5000'), ctx('d3')); // exactly 5
    expect(low.outcome === 'denied' && low.denial).toMatchObject({
      code: 'NOTIONAL_BELOW_MIN',
      error: 'CONCORD_ERR_ORDER_MIN_NOTIONAL',
    });
    expect(zero.outcome === 'denied' && zero.denial.code).toBe('OFF_GRID');
    expect(exact.outcome).toBe('submitted');
    expect(a.submitted).toHaveLength(1);
  });

  it('with round-safe grid policy, rounds quantity down and a limit price away from the market, never up in size', async () => {
    const { a, manager } = harness({ gridPolicy: 'round-safe' });
    await manager.submitIntent(buy('1.0019', '60000.019'), ctx('d1'));
    await manager.submitIntent(sell('1.0019', '60000.011'), ctx('d2'));
    expect(a.submitted.map((r) => [r.side, r.quantity.toString(), r.price?.toString()])).toEqual([
      ['buy', '1.001', '60000.01'],
      ['sell', '1.001', '60000.02'],
    ]);
  });

  it('denies an intent whose instrument differs from the context, or a limit order without price', async () => {
    const { a, manager } = harness();
    const wrong = await manager.submitIntent({ ...buy('1'), instrumentId: 'x:Y' }, ctx('d1'));
    const noPrice = await manager.submitIntent({ ...buy('1'), type: 'limit' }, ctx('d2'));
    expect(wrong.outcome === 'denied' && wrong.denial.code).toBe('INTENT_INVALID');
    expect(noPrice.outcome === 'denied' && noPrice.denial.code).toBe('INTENT_INVALID');
    expect(a.submitted).toHaveLength(0);
  });

  it('moves to REJECTED when the venue refuses with a non-retryable error', async () => {
    const { a, manager } = harness();
    a.behaviour = 'reject';
    const r = await manager.submitIntent(buy('1'), ctx('d1'));
    expect(r.outcome).toBe('rejected');
    expect(r.order.status).toBe('REJECTED');
    expect(a.submitted).toHaveLength(1);
  });
});

describe('OrderManager: unknown outcomes and reconciliation', () => {
  for (const behaviour of ['timeout', 'retryable', 'throw'] as const) {
    it(`a ${behaviour} submit goes to UNKNOWN and is not retried`, async () => {
      const { a, manager, types } = harness();
      a.behaviour = behaviour;
      const r = await manager.submitIntent(buy('1'), ctx('d1'));
      expect(r.outcome).toBe('unknown');
      expect(r.order.status).toBe('UNKNOWN');
      expect(types()).toContain('order.unknown');
      // A second attempt of the same leg is refused, not resent.
      a.behaviour = 'ok';
      expect((await manager.submitIntent(buy('1'), ctx('d1'))).outcome).toBe('duplicate');
      expect(a.submitted).toHaveLength(1);
      expect(manager.openOrders().map((o) => o.status)).toEqual(['UNKNOWN']);
    });
  }

  it('resolves UNKNOWN from fetchOrder, applying the fills the venue reports (once)', async () => {
    const { a, manager } = harness();
    a.behaviour = 'timeout';
    const r = await manager.submitIntent(buy('1'), ctx('d1'));
    const request = a.last();
    const fill = a.makeFill(request, '1', '60000');
    a.venueStates.set(request.clientOrderId, {
      clientOrderId: request.clientOrderId,
      venueOrderId: 'v1',
      instrumentId: BTC_A.id,
      status: 'FILLED',
      filledQuantity: Decimal.from('1'),
      fills: [fill],
    });
    const fills: unknown[] = [];
    manager.onFill((f) => fills.push(f));
    const resolved = await manager.resolveUnknown(r.order.clientOrderId);
    expect(resolved.outcome).toBe('resolved');
    expect(manager.order(request.clientOrderId)?.status).toBe('FILLED');
    expect(a.fetched).toEqual([request.clientOrderId]);
    // The same fill arriving late as an event is a duplicate.
    a.emit({ type: 'order.filled', fill });
    expect(fills).toHaveLength(1);
    expect(manager.stats().duplicateFills).toBe(1);
    expect(a.submitted).toHaveLength(1);
  });

  it('resolves UNKNOWN to REJECTED when the venue has no trace of the order', async () => {
    const { a, manager } = harness();
    a.behaviour = 'timeout';
    const r = await manager.submitIntent(buy('1'), ctx('d1'));
    await manager.resolveUnknown(r.order.clientOrderId);
    expect(manager.order(r.order.clientOrderId)?.status).toBe('REJECTED');
  });

  it('resolves UNKNOWN to ACCEPTED (still open) or CANCELED with partial fills', async () => {
    const { a, manager } = harness();
    a.behaviour = 'timeout';
    const one = await manager.submitIntent(buy('1', '60000'), ctx('d1'));
    const two = await manager.submitIntent(buy('1', '60000'), ctx('d2'));
    const base = { instrumentId: BTC_A.id, venueOrderId: 'v', fills: [] };
    a.venueStates.set(one.order.clientOrderId, {
      ...base,
      clientOrderId: one.order.clientOrderId,
      status: 'ACCEPTED',
      filledQuantity: Decimal.ZERO,
    });
    const partial = a.makeFill(a.submitted[1]!, '0.4', '59999');
    a.venueStates.set(two.order.clientOrderId, {
      ...base,
      clientOrderId: two.order.clientOrderId,
      status: 'CANCELED',
      filledQuantity: Decimal.from('0.4'),
      fills: [partial],
    });
    const results = await manager.reconcileOpenOrders();
    expect(results.map((r) => r.outcome)).toEqual(['resolved', 'resolved']);
    expect(manager.order(one.order.clientOrderId)?.status).toBe('ACCEPTED');
    const second = manager.order(two.order.clientOrderId);
    expect(second?.status).toBe('CANCELED');
    expect(second?.filledQuantity.toString()).toBe('0.4');
  });

  it('flags a reconciliation the order cannot follow, leaving it unchanged', async () => {
    const { a, manager, types } = harness();
    a.behaviour = 'timeout';
    const r = await manager.submitIntent(buy('1'), ctx('d1'));
    a.venueStates.set(r.order.clientOrderId, {
      clientOrderId: r.order.clientOrderId,
      venueOrderId: 'v',
      instrumentId: BTC_A.id,
      status: 'FILLED',
      filledQuantity: Decimal.from('1'),
      fills: [],
    });
    const res = await manager.resolveUnknown(r.order.clientOrderId);
    expect(res.outcome === 'mismatch' && res.error.code).toBe('CONCORD_ERR_EXECUTION_RECONCILE_MISMATCH');
    expect(manager.order(r.order.clientOrderId)?.status).toBe('UNKNOWN');
    expect(types()).toContain('order.reconcile-mismatch');
  });

  it('a late venue acceptance also resolves UNKNOWN', async () => {
    const { a, manager } = harness();
    a.behaviour = 'timeout';
    const r = await manager.submitIntent(buy('1'), ctx('d1'));
    a.accept(r.order.clientOrderId);
    expect(manager.order(r.order.clientOrderId)?.status).toBe('ACCEPTED');
  });
});

describe('OrderManager: venue events and fills', () => {
  it('follows accepted → partially filled → filled, with an exact average price and fees', async () => {
    const { a, manager, types } = harness();
    const r = await manager.submitIntent(buy('1', '60000.05'), ctx('d1'));
    const request = a.last();
    a.accept(request.clientOrderId);
    a.fill(request, '0.3', '60000.01');
    expect(manager.order(request.clientOrderId)?.status).toBe('PARTIALLY_FILLED');
    a.fill(request, '0.7', '60000.04');
    const order = manager.order(r.order.clientOrderId);
    expect(order?.status).toBe('FILLED');
    expect(order?.venueOrderId).toBe(`v-${request.clientOrderId}`);
    expect(order?.filledNotional.toString()).toBe('60000.031'); // 18000.003 + 42000.028
    expect(order && averageFillPrice(order)?.toString()).toBe('60000.031');
    expect(order?.fees.toString()).toBe('0.02');
    expect(manager.openOrders()).toHaveLength(0);
    expect(types().slice(2)).toEqual(['order.accepted', 'order.filled', 'order.filled']);
  });

  it('applies a duplicated fill event once', async () => {
    const { a, manager } = harness();
    await manager.submitIntent(buy('1'), ctx('d1'));
    const request = a.last();
    const fills: string[] = [];
    manager.onFill((f) => fills.push(f.tradeId));
    a.fill(request, '0.5', '60000', 'T1');
    a.fill(request, '0.5', '60000', 'T1');
    expect(manager.order(request.clientOrderId)?.filledQuantity.toString()).toBe('0.5');
    expect(fills).toEqual(['T1']);
    expect(manager.stats().duplicateFills).toBe(1);
  });

  it('flags an overfill with a coded event and does not apply it', async () => {
    const { a, manager, events } = harness();
    await manager.submitIntent(buy('1'), ctx('d1'));
    const request = a.last();
    a.fill(request, '0.6', '60000');
    a.fill(request, '0.6', '60000');
    const order = manager.order(request.clientOrderId);
    expect(order?.filledQuantity.toString()).toBe('0.6');
    expect(order?.status).toBe('PARTIALLY_FILLED');
    const flagged = events.find((e) => e.type === 'order.overfill');
    expect(flagged?.payload.code).toBe('CONCORD_ERR_ORDER_OVERFILL');
    expect(manager.stats().overfills).toBe(1);
  });

  it('refuses illegal events with a coded event, counts them, and leaves the order unchanged', async () => {
    const { a, manager, events } = harness();
    await manager.submitIntent(buy('1'), ctx('d1'));
    const request = a.last();
    a.fill(request, '1', '60000');
    a.emit({ type: 'order.canceled', clientOrderId: request.clientOrderId, venueOrderId: 'v', ts: 3 });
    a.accept('c-not-ours');
    a.emit({ type: 'order.filled', fill: { ...a.makeFill(request, '0.1', '60000'), side: 'sell' } });
    expect(manager.order(request.clientOrderId)?.status).toBe('FILLED');
    const codes = events.filter((e) => e.type === 'order.event-rejected').map((e) => e.payload.code);
    expect(codes).toEqual([
      'CONCORD_ERR_ORDER_TRANSITION',
      'CONCORD_ERR_EXECUTION_UNKNOWN_ORDER',
      'CONCORD_ERR_EXECUTION_FILL_MISMATCH',
    ]);
    expect(manager.stats().rejectedEvents).toBe(3);
  });

  it('refuses an event for an order reported by a different venue', async () => {
    const { a, b, manager } = harness();
    await manager.submitIntent(buy('1'), ctx('d1'));
    b.accept(a.last().clientOrderId);
    expect(manager.order(a.last().clientOrderId)?.status).toBe('SUBMITTED');
    expect(manager.stats().rejectedEvents).toBe(1);
  });

  it('reports a failing fill handler instead of losing the fill', async () => {
    const { a, manager, types } = harness();
    manager.onFill(() => {
      throw new Error('portfolio down');
    });
    await manager.submitIntent(buy('1'), ctx('d1'));
    a.fill(a.last(), '1', '60000');
    expect(manager.order(a.last().clientOrderId)?.status).toBe('FILLED');
    expect(types()).toContain('execution.handler-failed');
  });

  it('stops listening after dispose', async () => {
    const { a, manager } = harness();
    await manager.submitIntent(buy('1'), ctx('d1'));
    manager.dispose();
    a.accept(a.last().clientOrderId);
    expect(manager.order(a.last().clientOrderId)?.status).toBe('SUBMITTED');
  });
});

describe('OrderManager: cancel', () => {
  it('moves an accepted order to PENDING_CANCEL, then CANCELED on the venue event', async () => {
    const { a, manager } = harness();
    const r = await manager.submitIntent(buy('1', '60000'), ctx('d1'));
    a.accept(r.order.clientOrderId);
    const c = await manager.cancel(r.order.clientOrderId);
    expect(c.outcome).toBe('requested');
    expect(manager.order(r.order.clientOrderId)?.status).toBe('PENDING_CANCEL');
    expect(a.canceled).toEqual([r.order.clientOrderId]);
    a.emit({ type: 'order.canceled', clientOrderId: r.order.clientOrderId, venueOrderId: 'v', ts: 5 });
    expect(manager.order(r.order.clientOrderId)?.status).toBe('CANCELED');
    expect((await manager.cancel(r.order.clientOrderId)).outcome).toBe('not-open');
  });

  it('reports a failed cancel', async () => {
    const { a, manager, types } = harness();
    const r = await manager.submitIntent(buy('1', '60000'), ctx('d1'));
    a.cancelFails = true;
    const c = await manager.cancel(r.order.clientOrderId);
    expect(c.outcome).toBe('failed');
    expect(types()).toContain('order.cancel-failed');
  });

  it('cancelAll cancels only open orders in scope', async () => {
    const { a, b, manager } = harness();
    await manager.submitIntent(buy('1', '60000'), ctx('d1'));
    await manager.submitIntent(buy('1', '60000'), ctx('d2'));
    await manager.submitIntent(buy('1', '60000', BTC_B), ctx('d3', 0, BTC_B));
    a.fill(a.submitted[1]!, '1', '60000');
    const results = await manager.cancelAll({ venue: 'a' });
    expect(results).toHaveLength(1);
    expect(a.canceled).toEqual([clientOrderId('d1', 0)]);
    expect(b.canceled).toEqual([]);
    await manager.cancelAll();
    expect(b.canceled).toEqual([clientOrderId('d3', 0)]);
  });

  it('throws a coded error for an unknown client order id', async () => {
    const { manager } = harness();
    await expect(manager.cancel('nope')).rejects.toMatchObject({
      code: 'CONCORD_ERR_EXECUTION_UNKNOWN_ORDER',
    });
  });
});

describe('OrderManager: venue registry', () => {
  it('denies an order for a venue without a port', async () => {
    const { manager } = harness();
    const other = { ...BTC_A, id: 'z:BTC-USDT', venue: 'z' };
    const r = await manager.submitIntent({ ...buy('1'), instrumentId: other.id }, ctx('d1', 0, other));
    expect(r.outcome === 'denied' && r.denial.code).toBe('NO_VENUE');
  });

  it('accepts venues as a Map', () => {
    const { a } = harness();
    const m = new OrderManager({
      venues: new Map([['a', a]]),
      preTradeCheck: { check: () => ({ ok: true }) },
      events: { emit: () => {} },
      clock: { now: () => 0 } as never,
    });
    expect(m.orders()).toEqual([]);
  });
});
