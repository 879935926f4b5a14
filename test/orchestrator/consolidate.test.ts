import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, Decimal } from '../../src/core/index.ts';
import type { Intent, OrderIntent, PlanIntent, RiskAdviceIntent, Side } from '../../src/model/index.ts';
import {
  type ConsolidationConfig,
  consolidate,
  DEFAULT_CONSOLIDATION_CONFIG,
  decisionWeight,
  parseConsolidationConfig,
  type RoledDecisionRecord,
  weightedMedianQuantity,
} from '../../src/orchestrator/index.ts';

const BTC = 'sim-a:BTC-USDT';
const ETH = 'sim-a:ETH-USDT';

function order(instrumentId: string, side: Side, quantity: string | number): OrderIntent {
  return { kind: 'order', instrumentId, side, type: 'market', quantity: Decimal.from(quantity) };
}

function veto(instrumentId: string, reason = 'too risky'): RiskAdviceIntent {
  return { kind: 'risk-advice', instrumentId, veto: true, reason };
}

function cap(instrumentId: string, maxQuantity: string | number, reason = 'size'): RiskAdviceIntent {
  return { kind: 'risk-advice', instrumentId, veto: false, maxQuantity: Decimal.from(maxQuantity), reason };
}

function plan(label: string, legs: OrderIntent[]): PlanIntent {
  return { kind: 'plan', label, legs, expectedNetEdge: 0.001 };
}

let counter = 0;
function rec(
  agentId: string,
  intents: Intent[],
  confidence = 1,
  role: 'proposer' | 'risk' = 'proposer',
): RoledDecisionRecord {
  counter++;
  return {
    decisionId: `d-${counter}`,
    agentId,
    role,
    ts: 0,
    triggerId: 't-1',
    intents,
    confidence,
    reasoning: '',
    expectedReturn: 0,
  };
}

const trustOne = () => 1;
const qtyOf = (intent: Intent | undefined): string => (intent as OrderIntent).quantity.toString();
const legsOf = (intent: Intent | undefined): readonly OrderIntent[] => (intent as PlanIntent).legs;

describe('consolidate: orders', () => {
  it('accepts a side holding ≥ threshold of the weight, with the weighted median quantity', () => {
    const r = consolidate(
      [
        rec('a', [order(BTC, 'buy', 1)], 0.9),
        rec('b', [order(BTC, 'buy', 3)], 0.8),
        rec('c', [order(BTC, 'sell', 2)], 0.2),
      ],
      trustOne,
    );
    expect(r.accepted).toHaveLength(1);
    const acc = r.accepted[0];
    expect(acc?.intent).toMatchObject({ kind: 'order', side: 'buy' });
    // buy weights 0.9 (qty 1) and 0.8 (qty 3): half of 1.7 is reached at qty 1.
    expect(qtyOf(acc?.intent)).toBe('1');
    expect(acc?.agentIds).toEqual(['a', 'b']);
    expect(acc?.weights).toEqual([0.9, 0.8]);
    expect(r.conflicts).toEqual([
      expect.objectContaining({ instrumentId: BTC, sides: ['buy', 'sell'], winner: 'buy' }),
    ]);
    expect(r.conflicts[0]?.weights.buy).toBeCloseTo(1.7, 12);
    expect(r.conflicts[0]?.weights.sell).toBeCloseTo(0.2, 12);
    expect(r.rejected).toEqual([
      expect.objectContaining({ agentId: 'c', reason: expect.stringContaining('lost the vote') }),
    ]);
  });

  it('stays flat and records why when no side reaches the threshold', () => {
    const r = consolidate(
      [rec('a', [order(BTC, 'buy', 1)], 0.6), rec('b', [order(BTC, 'sell', 1)], 0.4)],
      trustOne,
    );
    expect(r.accepted).toEqual([]);
    expect(r.conflicts[0]?.winner).toBe('none');
    expect(r.conflicts[0]?.reason).toMatch(/no side reached 70%/);
    expect(r.rejected).toHaveLength(2);
  });

  it('weights by confidence × trust', () => {
    const trust = (id: string) => (id === 'good' ? 3 : 0.5);
    const r = consolidate(
      [rec('good', [order(BTC, 'sell', 1)], 0.5), rec('bad', [order(BTC, 'buy', 1)], 1)],
      trust,
    );
    expect(r.accepted[0]?.intent).toMatchObject({ side: 'sell' });
    expect(r.conflicts[0]?.weights).toEqual({ buy: 0.5, sell: 1.5 });
    expect(decisionWeight({ agentId: 'x', confidence: 2 }, () => 2)).toBe(2); // confidence clamped to 1
    expect(decisionWeight({ agentId: 'x', confidence: Number.NaN }, () => 2)).toBe(0);
  });

  it('rejects a lone proposal below the minimum order weight', () => {
    const r = consolidate([rec('a', [order(BTC, 'buy', 1)], 0.1)], trustOne);
    expect(r.accepted).toEqual([]);
    expect(r.rejected[0]?.reason).toMatch(/minimum weight/);
  });

  it('does not let a decision vote for both sides of one instrument', () => {
    const r = consolidate(
      [rec('mm', [order(BTC, 'buy', 1), order(BTC, 'sell', 1)]), rec('b', [order(BTC, 'buy', 2)], 0.5)],
      trustOne,
    );
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]?.agentIds).toEqual(['b']);
    expect(r.rejected.filter((x) => x.agentId === 'mm')).toHaveLength(2);
    expect(r.conflicts).toEqual([]);
  });

  it('sums one decision’s same-side orders on an instrument', () => {
    const r = consolidate([rec('a', [order(BTC, 'buy', 1), order(BTC, 'buy', 2)])], trustOne);
    expect(qtyOf(r.accepted[0]?.intent)).toBe('3');
  });

  it('lets risk agents veto an instrument and cap another, recording agent and reason', () => {
    const r = consolidate(
      [
        rec('a', [order(BTC, 'buy', 5), order(ETH, 'sell', 10)]),
        rec('risk', [veto(BTC, 'drawdown'), cap(ETH, 4, 'exposure')], 1, 'risk'),
      ],
      trustOne,
    );
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]?.intent).toMatchObject({ instrumentId: ETH, side: 'sell' });
    expect(qtyOf(r.accepted[0]?.intent)).toBe('4');
    expect(r.accepted[0]?.reason).toMatch(/capped by risk \(exposure\)/);
    expect(r.vetoes).toEqual([
      { agentId: 'risk', decisionId: expect.any(String), instrumentId: BTC, reason: 'drawdown' },
    ]);
    expect(r.caps[0]).toMatchObject({ agentId: 'risk', instrumentId: ETH, reason: 'exposure' });
    expect(r.caps[0]?.effects.map((e) => [e.instrumentId, e.from.toString(), e.to.toString()])).toEqual([
      [ETH, '10', '4'],
    ]);
    expect(r.rejected[0]?.reason).toBe(`vetoed by risk on ${BTC}: drawdown`);
  });

  it('applies a veto on * to everything and the tightest of several caps', () => {
    const all = consolidate([rec('a', [order(BTC, 'buy', 5)]), rec('r', [veto('*')], 0, 'risk')], trustOne);
    expect(all.accepted).toEqual([]);
    const capped = consolidate(
      [
        rec('a', [order(BTC, 'buy', 5)]),
        rec('r1', [cap('*', 3)], 1, 'risk'),
        rec('r2', [cap(BTC, 2)], 1, 'risk'),
      ],
      trustOne,
    );
    expect(qtyOf(capped.accepted[0]?.intent)).toBe('2');
    expect(capped.caps.find((c) => c.agentId === 'r2')?.effects).toHaveLength(1);
    expect(capped.caps.find((c) => c.agentId === 'r1')?.effects).toHaveLength(0);
  });

  it('does not let risk agents vote or proposers veto', () => {
    const r = consolidate([rec('risk', [order(BTC, 'buy', 1)], 1, 'risk'), rec('p', [veto(ETH)])], trustOne);
    expect(r.accepted).toEqual([]);
    expect(r.vetoes).toEqual([]);
    expect(r.rejected.map((x) => x.reason)).toEqual([
      'only risk agents can veto or cap',
      'risk agents advise (veto or cap); they do not propose trades',
    ]);
  });
});

describe('consolidate: plans and pass-through intents', () => {
  const arb = (qa: number, qb: number) =>
    plan('arb:BTC:a>b', [order('a:BTC', 'buy', qa), order('b:BTC', 'sell', qb)]);

  it('passes a single-agent plan that clears minPlanWeight, merging same-label plans', () => {
    const r = consolidate([rec('x', [arb(1, 1)], 0.5), rec('y', [arb(2, 2)], 0.6)], trustOne);
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]?.agentIds).toEqual(['x', 'y']);
    expect(legsOf(r.accepted[0]?.intent)[0]?.quantity.toString()).toBe('2'); // the heaviest plan
    const weak = consolidate([rec('x', [arb(1, 1)], 0.1)], trustOne);
    expect(weak.accepted).toEqual([]);
    expect(weak.rejected[0]?.reason).toMatch(/below the minimum/);
  });

  it('rejects a plan whose leg instrument is disputed or vetoed', () => {
    const disputed = consolidate(
      [
        rec('x', [arb(1, 1)]),
        rec('b', [order('a:BTC', 'buy', 1)], 0.5),
        rec('s', [order('a:BTC', 'sell', 1)], 0.5),
      ],
      trustOne,
    );
    expect(disputed.accepted).toEqual([]);
    expect(disputed.rejected.find((x) => x.agentId === 'x')?.reason).toMatch(/dispute/);
    const vetoed = consolidate([rec('x', [arb(1, 1)]), rec('r', [veto('b:BTC')], 1, 'risk')], trustOne);
    expect(vetoed.accepted).toEqual([]);
  });

  it('scales every leg of a capped plan by the same factor', () => {
    const r = consolidate([rec('x', [arb(4, 2)]), rec('r', [cap('a:BTC', 1)], 1, 'risk')], trustOne);
    const legs = legsOf(r.accepted[0]?.intent);
    expect(legs.map((l) => l.quantity.toString())).toEqual(['1', '0.5']);
    expect(r.caps[0]?.effects).toHaveLength(2);
  });

  it('cancels opposite swaps on one pool and passes the others', () => {
    const swap = (tokenIn: string, tokenOut: string): Intent => ({
      kind: 'swap',
      poolId: 'uni:WETH-USDC',
      tokenIn,
      tokenOut,
      amountIn: 10n,
      minAmountOut: 9n,
    });
    const supply: Intent = { kind: 'supply', marketId: 'aave:USDC', asset: 'USDC', amount: 100n };
    const r = consolidate(
      [rec('a', [swap('WETH', 'USDC'), supply]), rec('b', [swap('USDC', 'WETH')])],
      trustOne,
    );
    expect(r.accepted.map((a) => a.intent.kind)).toEqual(['supply']);
    expect(r.conflicts).toEqual([
      expect.objectContaining({
        instrumentId: 'uni:WETH-USDC',
        winner: 'none',
        sides: ['swap USDC>WETH', 'swap WETH>USDC'],
      }),
    ]);
  });
});

describe('consolidate: config', () => {
  it('refuses a threshold at or below one half, naming the field', () => {
    expect(() => parseConsolidationConfig({ consensusThreshold: 0.5 })).toThrow(
      /orchestrator\.consensus\.consensusThreshold/,
    );
  });
  it('computes a lower weighted median', () => {
    const v = (q: number, weight: number, rank: number) => ({ quantity: Decimal.from(q), weight, rank });
    expect(weightedMedianQuantity([v(1, 1, 0), v(2, 1, 1), v(3, 1, 2)]).toString()).toBe('2');
    expect(weightedMedianQuantity([v(1, 1, 0), v(9, 3, 1)]).toString()).toBe('9');
    expect(weightedMedianQuantity([v(1, 1, 0), v(9, 1, 1)]).toString()).toBe('1');
  });
});

// ---- properties ----

const INSTRUMENTS = [BTC, ETH, 'sim-b:BTC-USDT'];
const AGENTS = ['a', 'b', 'c', 'd', 'e', 'f'];

const orderArb = fc.record({
  instrumentId: fc.constantFrom(...INSTRUMENTS),
  side: fc.constantFrom<Side>('buy', 'sell'),
  quantity: fc.integer({ min: 1, max: 1000 }).map((n) => Decimal.from(n).div(10)),
});
const adviceArb = fc.record({
  instrumentId: fc.constantFrom(...INSTRUMENTS, '*'),
  veto: fc.boolean(),
  maxQuantity: fc.option(
    fc.integer({ min: 0, max: 1000 }).map((n) => Decimal.from(n).div(10)),
    { nil: undefined },
  ),
});

const recordsArb = fc
  .array(
    fc.record({
      agentId: fc.constantFrom(...AGENTS, 'risk1', 'risk2'),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
      orders: fc.array(orderArb, { maxLength: 3 }),
      advice: fc.array(adviceArb, { maxLength: 2 }),
      planQty: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
    }),
    { maxLength: 10 },
  )
  .map((raw) =>
    raw.map((r, i): RoledDecisionRecord => {
      const role = r.agentId.startsWith('risk') ? 'risk' : 'proposer';
      const intents: Intent[] =
        role === 'risk'
          ? r.advice.map((a) => ({ kind: 'risk-advice', ...a, reason: 'r' }))
          : r.orders.map((o) => ({ kind: 'order', type: 'market', ...o }));
      if (role === 'proposer' && r.planQty !== undefined) {
        intents.push(plan('p', [order(BTC, 'buy', r.planQty), order('sim-b:BTC-USDT', 'sell', r.planQty)]));
      }
      return {
        decisionId: `d-${i + 1}`,
        agentId: r.agentId,
        role,
        ts: 0,
        triggerId: 't',
        intents,
        confidence: r.confidence,
        reasoning: '',
        expectedReturn: 0,
      };
    }),
  );

const trustArb = fc
  .dictionary(fc.constantFrom(...AGENTS), fc.double({ min: 0.1, max: 3, noNaN: true }))
  .map((t) => (id: string) => t[id] ?? 1);

const configArb: fc.Arbitrary<ConsolidationConfig> = fc.record({
  consensusThreshold: fc.double({ min: 0.51, max: 1, noNaN: true }),
  minOrderWeight: fc.double({ min: 0, max: 1, noNaN: true }),
  minPlanWeight: fc.double({ min: 0, max: 1, noNaN: true }),
});

/** Per instrument: the decisions that vote (proposers, weight > 0, one side only) and their side/quantity. */
function votesOn(
  records: readonly RoledDecisionRecord[],
  trust: (id: string) => number,
  instrumentId: string,
) {
  const out: { side: Side; quantity: Decimal; weight: number }[] = [];
  for (const r of records) {
    if (r.role !== 'proposer') continue;
    const w = decisionWeight(r, trust);
    if (w === 0) continue;
    const mine = r.intents.filter(
      (i): i is OrderIntent => i.kind === 'order' && i.instrumentId === instrumentId,
    );
    if (mine.length === 0) continue;
    const sides = new Set(mine.map((i) => i.side));
    if (sides.size > 1) continue;
    out.push({ side: mine[0]?.side as Side, quantity: Decimal.sum(mine.map((i) => i.quantity)), weight: w });
  }
  return out;
}

function touches(intent: Intent, instrumentId: string): boolean {
  if (intent.kind === 'order') return intent.instrumentId === instrumentId;
  if (intent.kind === 'plan') return intent.legs.some((l) => l.instrumentId === instrumentId);
  return false;
}

describe('consolidate: properties', () => {
  it('does not depend on the order of the records', () => {
    fc.assert(
      fc.property(recordsArb, trustArb, configArb, fc.func(fc.integer()), (records, trust, config, key) => {
        const shuffled = [...records].sort((a, b) => key(a.decisionId) - key(b.decisionId));
        expect(canonicalJson(consolidate(shuffled, trust, config))).toBe(
          canonicalJson(consolidate(records, trust, config)),
        );
      }),
    );
  });

  it('never accepts a side holding less than the threshold share, or less than the minimum weight', () => {
    fc.assert(
      fc.property(recordsArb, trustArb, configArb, (records, trust, config) => {
        const result = consolidate(records, trust, config);
        for (const a of result.accepted) {
          if (a.intent.kind !== 'order') continue;
          const votes = votesOn(records, trust, a.intent.instrumentId);
          const total = votes.reduce((s, v) => s + v.weight, 0);
          const mine = votes
            .filter((v) => v.side === (a.intent as OrderIntent).side)
            .reduce((s, v) => s + v.weight, 0);
          expect(mine / total).toBeGreaterThanOrEqual(config.consensusThreshold - 1e-12);
          expect(mine).toBeGreaterThanOrEqual(config.minOrderWeight - 1e-12);
        }
      }),
    );
  });

  it('removes every intent on a vetoed instrument', () => {
    fc.assert(
      fc.property(recordsArb, trustArb, configArb, (records, trust, config) => {
        const result = consolidate(records, trust, config);
        const vetoed = new Set<string>();
        for (const r of records) {
          if (r.role !== 'risk') continue;
          for (const i of r.intents) if (i.kind === 'risk-advice' && i.veto) vetoed.add(i.instrumentId);
        }
        for (const a of result.accepted) {
          expect(vetoed.has('*')).toBe(false);
          for (const id of vetoed) expect(touches(a.intent, id)).toBe(false);
        }
      }),
    );
  });

  it('never exceeds a cap nor the largest proposal, and caps never increase a size', () => {
    fc.assert(
      fc.property(recordsArb, trustArb, configArb, (records, trust, config) => {
        const result = consolidate(records, trust, config);
        const capsOn = (id: string) => {
          const caps: Decimal[] = [];
          for (const r of records) {
            if (r.role !== 'risk') continue;
            for (const i of r.intents) {
              if (
                i.kind === 'risk-advice' &&
                !i.veto &&
                i.maxQuantity !== undefined &&
                (i.instrumentId === id || i.instrumentId === '*')
              ) {
                caps.push(i.maxQuantity);
              }
            }
          }
          return caps;
        };
        for (const c of result.caps) for (const e of c.effects) expect(e.to.lte(e.from)).toBe(true);
        for (const id of INSTRUMENTS) {
          const accepted = result.accepted.filter(
            (a) => a.intent.kind === 'order' && a.intent.instrumentId === id,
          );
          expect(accepted.length).toBeLessThanOrEqual(1);
          const total = Decimal.sum(accepted.map((a) => (a.intent as OrderIntent).quantity));
          const maxProposed = votesOn(records, trust, id).reduce(
            (m, v) => Decimal.max(m, v.quantity),
            Decimal.ZERO,
          );
          expect(total.lte(maxProposed)).toBe(true);
          for (const cap of capsOn(id)) expect(total.lte(cap)).toBe(true);
          for (const a of result.accepted) {
            if (a.intent.kind !== 'plan') continue;
            for (const leg of a.intent.legs)
              if (leg.instrumentId === id)
                for (const cap of capsOn(id)) expect(leg.quantity.lte(cap)).toBe(true);
          }
        }
      }),
    );
  });

  it('accounts for every proposed trade: accepted or rejected with a reason', () => {
    fc.assert(
      fc.property(recordsArb, trustArb, (records, trust) => {
        const result = consolidate(records, trust, DEFAULT_CONSOLIDATION_CONFIG);
        for (const r of records) {
          for (const i of r.intents) {
            if (i.kind === 'risk-advice' && r.role === 'risk') continue;
            const accepted = result.accepted.some(
              (a) => a.decisionIds.includes(r.decisionId) && touchesSame(a.intent, i),
            );
            const rejected = result.rejected.some(
              (x) => x.decisionId === r.decisionId && x.intent === i && x.reason !== '',
            );
            expect(accepted || rejected).toBe(true);
          }
        }
      }),
    );
  });
});

function touchesSame(accepted: Intent, proposed: Intent): boolean {
  if (accepted.kind === 'order' && proposed.kind === 'order') {
    return accepted.instrumentId === proposed.instrumentId && accepted.side === proposed.side;
  }
  if (accepted.kind === 'plan' && proposed.kind === 'plan') return accepted.label === proposed.label;
  return false;
}
