import { describe, expect, it } from 'vitest';
import { clientOrderId, Decimal, SimulatedClock } from '../../src/core/index.ts';
import { averageFillPrice, OrderManager } from '../../src/execution/index.ts';
import { type PlanIntent, type SpotInstrument, spotInstrument } from '../../src/model/index.ts';
import { SimulatedVenue } from '../../src/venues/index.ts';

function instrument(venue: string): SpotInstrument {
  return spotInstrument({
    venue,
    symbol: 'BTC-USDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.01',
    lotSize: '0.0001',
    minNotional: '10',
    takerFee: '0.0005',
  });
}

function setup(latencyMs: number) {
  const clock = new SimulatedClock(1_700_000_000_000);
  const a = instrument('sim-a');
  const b = instrument('sim-b');
  // sim-b holds no BTC, so selling there is refused: a real leg failure.
  const venueA = new SimulatedVenue({
    id: 'sim-a',
    clock,
    instruments: [a],
    balances: { USDT: '100000', BTC: '10' },
    latencyMs,
  });
  const venueB = new SimulatedVenue({
    id: 'sim-b',
    clock,
    instruments: [b],
    balances: { USDT: '100000' },
    latencyMs,
  });
  for (const [venue, inst] of [
    [venueA, a],
    [venueB, b],
  ] as const) {
    venue.onMarketEvent({
      type: 'book.snapshot',
      ts: clock.now(),
      instrumentId: inst.id,
      sequence: 1,
      bids: [
        [59_990, 2],
        [59_980, 5],
      ],
      asks: [
        [60_000, 0.3],
        [60_010, 5],
      ],
    });
  }
  const events: { type: string; payload: unknown }[] = [];
  const manager = new OrderManager({
    venues: { 'sim-a': venueA, 'sim-b': venueB },
    preTradeCheck: { check: () => ({ ok: true }) },
    events: { emit: (event, payload) => events.push({ type: event.name, payload }) },
    clock,
  });
  const settle = () => clock.advanceBy(latencyMs + 1);
  return { clock, a, b, venueA, manager, events, settle };
}

describe('OrderManager × SimulatedVenue', () => {
  for (const latencyMs of [0, 20]) {
    it(`fills a market buy across two levels with an exact average price (latency ${latencyMs} ms)`, async () => {
      const { a, manager, settle } = setup(latencyMs);
      const fills: string[] = [];
      manager.onFill((f) => fills.push(`${f.quantity}@${f.price}`));
      const intent = {
        kind: 'order' as const,
        instrumentId: a.id,
        side: 'buy' as const,
        type: 'market' as const,
        quantity: Decimal.from('0.5'),
      };
      const r = await manager.submitIntent(intent, {
        decisionId: 'd1',
        leg: 0,
        ts: 0,
        referencePrice: 60_000,
        instrument: a,
      });
      expect(r.outcome).toBe('submitted');
      expect(
        (
          await manager.submitIntent(intent, {
            decisionId: 'd1',
            leg: 0,
            ts: 0,
            referencePrice: 60_000,
            instrument: a,
          })
        ).outcome,
      ).toBe('duplicate');
      settle();
      const order = manager.order(clientOrderId('d1', 0));
      expect(order?.status).toBe('FILLED');
      expect(fills).toEqual(['0.3@60000', '0.2@60010']);
      expect(order && averageFillPrice(order)?.toString()).toBe('60004');
      expect(manager.stats()).toEqual({ duplicateFills: 0, overfills: 0, rejectedEvents: 0 });
    });
  }

  it('unwinds a plan whose second leg the venue refuses, and reconciles to the same state', async () => {
    const { a, b, venueA, manager, events, settle } = setup(10);
    const plan: PlanIntent = {
      kind: 'plan',
      label: 'arb',
      legs: [
        { kind: 'order', instrumentId: a.id, side: 'buy', type: 'market', quantity: Decimal.from('0.2') },
        { kind: 'order', instrumentId: b.id, side: 'sell', type: 'market', quantity: Decimal.from('0.2') },
      ],
      expectedNetEdge: 0.001,
    };
    await manager.submitPlan(plan, {
      decisionId: 'p1',
      ts: 0,
      policy: 'unwind',
      mode: 'parallel',
      legs: [
        { instrument: a, referencePrice: 60_000 },
        { instrument: b, referencePrice: 59_990 },
      ],
    });
    settle();
    expect(manager.order(clientOrderId('p1', 0))?.status).toBe('FILLED');
    expect(manager.order(clientOrderId('p1', 1))?.status).toBe('REJECTED');
    const unwind = manager.order(clientOrderId('p1', 2));
    expect([unwind?.side, unwind?.quantity.toString(), unwind?.instrumentId]).toEqual(['sell', '0.2', a.id]);
    settle();
    expect(manager.plan('p1')?.status).toBe('hedged');
    expect(events.map((e) => e.type).filter((t) => t.startsWith('plan.'))).toEqual([
      'plan.started',
      'plan.leg-failed',
      'plan.hedged',
      'plan.completed',
    ]);
    const positions = await venueA.fetchPositions();
    expect(positions.find((p) => p.instrumentId === a.id)?.quantity.isZero()).toBe(true);
    // Reconciling finished orders against the venue changes nothing.
    const before = manager.snapshot();
    for (const o of manager.orders()) await manager.reconcileOrder(o.clientOrderId);
    expect(manager.snapshot()).toEqual(before);
  });
});
