import { describe, expect, it } from 'vitest';
import { clientOrderId, Decimal } from '../../src/core/index.ts';
import type { LegRiskPolicy, PlanMode, PreTradeCheck } from '../../src/execution/index.ts';
import type { PlanIntent, PreTradeOrder } from '../../src/model/index.ts';
import { BTC_A, BTC_B, buy, harness, sell } from './fake-venue.ts';

const arb: PlanIntent = {
  kind: 'plan',
  label: 'cross-venue arb',
  legs: [buy('1', undefined, BTC_A), sell('1', undefined, BTC_B)],
  expectedNetEdge: 0.001,
};

function planCtx(policy: LegRiskPolicy, mode: PlanMode = 'sequential') {
  return {
    decisionId: 'p1',
    ts: 1_000,
    policy,
    mode,
    legs: [
      { instrument: BTC_A, referencePrice: 60_000 },
      { instrument: BTC_B, referencePrice: 60_010 },
    ],
  };
}

const leg = (n: number) => clientOrderId('p1', n);

describe('plans', () => {
  it('sequential: sends the next leg only once the previous one filled, and completes', async () => {
    const { a, b, manager, events } = harness();
    const r = await manager.submitPlan(arb, planCtx('hedge'));
    expect(r.outcome).toBe('started');
    expect(a.submitted.map((o) => o.clientOrderId)).toEqual([leg(0)]);
    expect(b.submitted).toHaveLength(0);
    a.fill(a.last(), '1', '60000');
    expect(b.submitted.map((o) => o.clientOrderId)).toEqual([leg(1)]);
    b.fill(b.last(), '1', '60010');
    expect(manager.plan('p1')?.status).toBe('completed');
    const done = events.find((e) => e.type === 'plan.completed');
    expect(done?.payload.outcome).toBe('completed');
    expect((await manager.submitPlan(arb, planCtx('hedge'))).outcome).toBe('duplicate');
  });

  it('hedge: a rejected second leg is completed at market with a deterministic id, and says why', async () => {
    const { a, b, manager, types, events } = harness();
    await manager.submitPlan(arb, planCtx('hedge'));
    a.fill(a.last(), '1', '60000');
    b.reject(leg(1));
    const hedgeId = leg(2);
    expect(b.submitted.map((o) => o.clientOrderId)).toEqual([leg(1), hedgeId]);
    const hedge = b.last();
    expect([hedge.side, hedge.type, hedge.quantity.toString(), hedge.instrumentId]).toEqual([
      'sell',
      'market',
      '1',
      BTC_B.id,
    ]);
    const failed = events.find((e) => e.type === 'plan.leg-failed');
    expect(failed?.payload).toMatchObject({
      leg: 1,
      status: 'REJECTED',
      reason: 'INSUFFICIENT_FUNDS: insufficient funds',
    });
    const hedged = events.find((e) => e.type === 'plan.hedged');
    expect(hedged?.payload).toMatchObject({
      policy: 'hedge',
      orders: [{ clientOrderId: hedgeId, forLeg: 1, side: 'sell', quantity: '1' }],
    });
    expect(manager.plan('p1')?.status).toBe('hedging');
    b.fill(hedge, '1', '60005');
    expect(manager.plan('p1')?.status).toBe('hedged');
    const planEvents = types().filter((t) => t.startsWith('plan.'));
    expect(planEvents).toEqual(['plan.started', 'plan.leg-failed', 'plan.hedged', 'plan.completed']);
  });

  it('unwind: flattens the filled leg back, reduce-only, and reports exposure if that fails', async () => {
    const checks: unknown[] = [];
    const check: PreTradeCheck = {
      check: (o) => {
        checks.push(o);
        return { ok: true };
      },
    };
    const { a, b, manager, events } = harness({}, check);
    await manager.submitPlan(arb, planCtx('unwind'));
    a.fill(a.last(), '1', '60000');
    b.reject(leg(1));
    const unwind = a.last();
    expect(unwind.clientOrderId).toBe(leg(2));
    expect([unwind.side, unwind.type, unwind.quantity.toString()]).toEqual(['sell', 'market', '1']);
    expect(checks.at(-1)).toMatchObject({ reduceOnly: true, side: 'sell', instrumentId: BTC_A.id });
    a.reject(unwind.clientOrderId);
    expect(manager.plan('p1')?.status).toBe('exposed');
    expect(events.at(-1)?.payload.outcome).toBe('exposed');
  });

  it('none: reports the leg failure and the exposure, sends nothing more', async () => {
    const { a, b, manager, types } = harness();
    await manager.submitPlan(arb, planCtx('none'));
    a.fill(a.last(), '1', '60000');
    b.reject(leg(1));
    expect(a.submitted).toHaveLength(1);
    expect(b.submitted).toHaveLength(1);
    expect(manager.plan('p1')?.status).toBe('exposed');
    expect(types().filter((t) => t.startsWith('plan.'))).toEqual([
      'plan.started',
      'plan.leg-failed',
      'plan.completed',
    ]);
  });

  it('sequential: a failed first leg ends the plan, the second is never sent', async () => {
    const { a, b, manager } = harness();
    await manager.submitPlan(arb, planCtx('hedge'));
    a.reject(leg(0));
    expect(b.submitted).toHaveLength(0);
    expect(manager.plan('p1')?.status).toBe('failed');
  });

  it('sequential: a leg denied by the gate after an earlier leg filled is hedged', async () => {
    const check: PreTradeCheck = {
      check: (o) =>
        o.venue === 'b'
          ? {
              ok: false,
              denial: { code: 'POSITION_EXCEEDS_MAX', rule: 'position', message: 'limit', details: {} },
            }
          : { ok: true },
    };
    const { a, b, manager, events } = harness({}, check);
    await manager.submitPlan(arb, planCtx('unwind'));
    a.fill(a.last(), '1', '60000');
    expect(b.submitted).toHaveLength(0);
    expect(events.find((e) => e.type === 'plan.leg-failed')?.payload).toMatchObject({
      leg: 1,
      status: 'DENIED',
    });
    expect(a.last().clientOrderId).toBe(leg(2));
  });

  it("every leg carries the plan's expected net edge to the gate; a hedge order carries none", async () => {
    const seen: PreTradeOrder[] = [];
    const recording: PreTradeCheck = {
      check: (o) => {
        seen.push(o);
        return { ok: true };
      },
    };
    const { a, b, manager } = harness({}, recording);
    await manager.submitPlan(arb, planCtx('hedge'));
    // A restored manager (e.g. after a crash) still knows the plan's edge for its later legs.
    const restored = harness({}, recording);
    restored.manager.restore(manager.snapshot());
    expect(restored.manager.plan('p1')?.expectedNetEdge).toBe(0.001);
    a.fill(a.last(), '1', '60000');
    b.reject(leg(1));
    expect(b.last().clientOrderId).toBe(leg(2));
    expect(seen.map((o) => [o.venue, o.plan])).toEqual([
      ['a', { expectedNetEdge: 0.001 }],
      ['b', { expectedNetEdge: 0.001 }],
      ['b', undefined], // the hedge limits leg risk: never refused for the plan's edge
    ]);
  });

  it('parallel: a denied leg means no leg is sent', async () => {
    const check: PreTradeCheck = {
      check: (o) =>
        o.venue === 'b'
          ? {
              ok: false,
              denial: { code: 'POSITION_EXCEEDS_MAX', rule: 'position', message: 'limit', details: {} },
            }
          : { ok: true },
    };
    const { a, b, manager, events } = harness({}, check);
    await manager.submitPlan(arb, planCtx('hedge', 'parallel'));
    expect(a.submitted).toHaveLength(0);
    expect(b.submitted).toHaveLength(0);
    expect(manager.order(leg(0))?.status).toBe('DENIED');
    expect(manager.order(leg(0))?.reason).toMatch(/^PLAN_LEG_DENIED: another leg of plan/);
    expect(manager.plan('p1')?.status).toBe('failed');
    expect(events.filter((e) => e.type === 'plan.leg-failed')).toHaveLength(2);
  });

  it('parallel: sends all legs; a partially filled IOC leg is hedged for the unmatched quantity', async () => {
    const { a, b, manager } = harness();
    await manager.submitPlan(arb, planCtx('hedge', 'parallel'));
    expect(a.submitted).toHaveLength(1);
    expect(b.submitted).toHaveLength(1);
    a.fill(a.last(), '1', '60000');
    b.fill(b.last(), '0.4', '60010');
    expect(b.submitted).toHaveLength(1);
    b.emit({ type: 'order.expired', clientOrderId: leg(1), venueOrderId: 'v', ts: 3 });
    const hedge = b.last();
    expect(hedge.clientOrderId).toBe(leg(2));
    expect(hedge.quantity.eq(Decimal.from('0.6'))).toBe(true);
  });

  it('waits for an UNKNOWN leg to be reconciled before judging leg risk', async () => {
    const { a, b, manager } = harness();
    b.behaviour = 'timeout';
    await manager.submitPlan(arb, planCtx('hedge', 'parallel'));
    a.fill(a.last(), '1', '60000');
    expect(manager.order(leg(1))?.status).toBe('UNKNOWN');
    expect(manager.plan('p1')?.status).toBe('running');
    b.behaviour = 'ok';
    await manager.resolveUnknown(leg(1)); // not found at the venue → REJECTED
    expect(manager.plan('p1')?.status).toBe('hedging');
    expect(b.last().clientOrderId).toBe(leg(2));
  });

  it('refuses a plan whose context does not describe every leg', async () => {
    const { manager } = harness();
    await expect(manager.submitPlan(arb, { ...planCtx('hedge'), legs: [] })).rejects.toMatchObject({
      code: 'CONCORD_ERR_EXECUTION_INTENT_INVALID',
    });
  });
});
