import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDecisionShape, decisionSchema } from '../../src/agents/validate.ts';
import { Decimal } from '../../src/core/index.ts';
import { BTC } from './helpers.ts';

// The hand-written fast path must say "valid" exactly where the zod schema does.
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const dec = fc.oneof(
  fc.bigInt({ min: -5n, max: 5n }).map((u) => Decimal.fromUnits(u)),
  fc.constantFrom('1', 1, 1n, null, { units: 1n }),
);
const order = fc.record(
  {
    kind: fc.constantFrom('order', 'plan'),
    instrumentId: fc.constantFrom(BTC.id, '', 5),
    side: fc.constantFrom('buy', 'sell', 'hold'),
    type: fc.constantFrom('market', 'limit'),
    quantity: dec,
    limitPrice: maybe(dec),
  },
  { requiredKeys: ['kind', 'instrumentId', 'side', 'type', 'quantity'] },
);
const riskAdvice = fc.record(
  {
    kind: fc.constantFrom('risk-advice', 'risk'),
    instrumentId: fc.constantFrom(BTC.id, '*', '', 7, undefined),
    veto: fc.constantFrom(true, false, 'no', undefined),
    maxQuantity: maybe(dec),
    reason: fc.constantFrom('why', '', 3, undefined),
    extra: maybe(fc.integer()),
  },
  { requiredKeys: ['kind'] },
);
const plan = fc.record(
  {
    kind: fc.constantFrom('plan', 'order'),
    label: fc.constantFrom('arb', '', 1, undefined),
    legs: fc.oneof(fc.array(order, { maxLength: 3 }), fc.constantFrom(undefined, 'legs', [null])),
    expectedNetEdge: fc.constantFrom(0, 1.5, -2, Number.NaN, Number.POSITIVE_INFINITY, '1', undefined),
  },
  { requiredKeys: ['kind'] },
);

function decision(intents: unknown[]): Record<string, unknown> {
  return { intents, confidence: 0.5, expectedReturn: 0, reasoning: 'r' };
}

describe('decision fast path (risk advice, plans)', () => {
  it('property: agrees with the zod schema on risk-advice-like and plan-like intents', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(riskAdvice, plan, order), { maxLength: 3 }), (intents) => {
        const value = decision(intents);
        expect(checkDecisionShape(value).ok).toBe(decisionSchema.safeParse(value).success);
      }),
      { numRuns: 4000 },
    );
  });

  it('accepts the shapes the library agents send, and rejects a plan without legs', () => {
    const qty = Decimal.from('0.01');
    const leg = { kind: 'order', instrumentId: BTC.id, side: 'buy', type: 'market', quantity: qty };
    const advice = { kind: 'risk-advice', instrumentId: '*', veto: false, maxQuantity: qty, reason: 'cap' };
    const ok = decision([advice, { kind: 'plan', label: 'arb', legs: [leg], expectedNetEdge: 1 }]);
    expect(checkDecisionShape(ok).ok).toBe(true);
    const empty = decision([{ kind: 'plan', label: 'arb', legs: [], expectedNetEdge: 1 }]);
    expect(checkDecisionShape(empty)).toMatchObject({ ok: false });
    const zeroCap = decision([{ ...advice, maxQuantity: Decimal.ZERO }]);
    expect(checkDecisionShape(zeroCap)).toMatchObject({ ok: false });
  });
});
