import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agents/contract.ts';
import {
  checkDecisionShape,
  decisionSchema,
  MAX_REASONING_CHARS,
  validateDecision,
} from '../../src/agents/validate.ts';
import { Decimal } from '../../src/core/index.ts';
import { BTC, buy, ETH, noAction } from './helpers.ts';

function agent(extra: Partial<Agent> = {}): Agent {
  return { id: 'a1', type: 't', role: 'proposer', triggers: ['spread'], process: () => noAction(), ...extra };
}

const decision = (intents: unknown[], extra: Record<string, unknown> = {}) => ({
  intents,
  confidence: 0.5,
  reasoning: 'because',
  expectedReturn: 0.001,
  ...extra,
});

function reasonOf(value: unknown, a: Agent = agent()): string {
  const v = validateDecision(a, value);
  expect(v.ok).toBe(false);
  return v.ok ? '' : v.reason;
}

describe('validateDecision', () => {
  it('accepts a well-formed decision of every intent kind and returns the same object', () => {
    const all = decision([
      buy(),
      { ...buy(), type: 'limit', limitPrice: Decimal.from('60000.5'), timeInForce: 'IOC', reduceOnly: true },
      {
        kind: 'plan',
        label: 'arb',
        legs: [buy(), { ...buy(ETH.id), side: 'sell' }],
        expectedNetEdge: 0.0004,
      },
      {
        kind: 'swap',
        poolId: 'uni:WETH-USDC',
        tokenIn: 'WETH',
        tokenOut: 'USDC',
        amountIn: 10n ** 18n,
        minAmountOut: 0n,
      },
      {
        kind: 'liquidation',
        marketId: 'aave:USDC',
        borrower: '0xabc',
        debtAsset: 'USDC',
        collateralAsset: 'WETH',
        repayAmount: 5n,
      },
      { kind: 'supply', marketId: 'aave:USDC', asset: 'USDC', amount: 1n },
      { kind: 'withdraw', marketId: 'aave:USDC', asset: 'USDC', amount: 2n },
      { kind: 'risk-advice', instrumentId: '*', veto: true, reason: 'vol spike' },
      {
        kind: 'risk-advice',
        instrumentId: BTC.id,
        veto: false,
        maxQuantity: Decimal.from('0.5'),
        reason: 'cap',
      },
    ]);
    const v = validateDecision(agent(), all);
    expect(v).toEqual({ ok: true, decision: all });
    expect(v.ok && v.decision).toBe(all);
  });

  it.each([
    ['null', null, 'decision'],
    ['undefined', undefined, 'decision'],
    ['a string', 'buy!', 'decision'],
    ['NaN confidence', decision([], { confidence: Number.NaN }), 'confidence'],
    ['confidence above 1', decision([], { confidence: 1.01 }), 'confidence'],
    ['negative confidence', decision([], { confidence: -0.1 }), 'confidence'],
    [
      'infinite expected return',
      decision([], { expectedReturn: Number.POSITIVE_INFINITY }),
      'expectedReturn',
    ],
    ['missing reasoning', { intents: [], confidence: 0, expectedReturn: 0 }, 'reasoning'],
    ['reasoning too long', decision([], { reasoning: 'x'.repeat(MAX_REASONING_CHARS + 1) }), 'reasoning'],
    ['intents not an array', decision([], { intents: 'none' }), 'intents'],
    ['negative quantity', decision([buy(BTC.id, '-1')]), 'intents.0.quantity'],
    ['zero quantity', decision([buy(BTC.id, '0')]), 'intents.0.quantity'],
    ['quantity as a number', decision([{ ...buy(), quantity: 1 }]), 'intents.0.quantity'],
    ['quantity as a string', decision([{ ...buy(), quantity: '1' }]), 'intents.0.quantity'],
    ['limit order without a price', decision([{ ...buy(), type: 'limit' }]), 'intents.0.limitPrice'],
    ['unknown intent kind', decision([{ kind: 'yolo', instrumentId: BTC.id }]), 'intents.0'],
    ['bad side', decision([{ ...buy(), side: 'up' }]), 'intents.0.side'],
    [
      'swap amount as a number',
      decision([{ kind: 'swap', poolId: 'p', tokenIn: 'a', tokenOut: 'b', amountIn: 5, minAmountOut: 0n }]),
      'intents.0.amountIn',
    ],
    [
      'zero liquidation',
      decision([
        {
          kind: 'liquidation',
          marketId: 'm',
          borrower: 'b',
          debtAsset: 'd',
          collateralAsset: 'c',
          repayAmount: 0n,
        },
      ]),
      'intents.0.repayAmount',
    ],
    ['empty plan', decision([{ kind: 'plan', label: 'x', legs: [], expectedNetEdge: 0 }]), 'intents.0.legs'],
    [
      'plan leg with negative quantity',
      decision([{ kind: 'plan', label: 'x', legs: [buy(BTC.id, '-2')], expectedNetEdge: 0 }]),
      'intents.0.legs.0.quantity',
    ],
  ])('rejects %s as invalid, naming the field', (_name, value, where) => {
    expect(reasonOf(value)).toMatch(new RegExp(`^${where.replace(/\./g, '\\.')}`));
  });

  it('rejects an intent for an instrument the agent does not cover, when it declares instruments', () => {
    const covering = agent({ instruments: [BTC.id] });
    expect(validateDecision(covering, decision([buy(BTC.id)])).ok).toBe(true);
    expect(reasonOf(decision([buy(ETH.id)]), covering)).toContain(`targets ${ETH.id}`);
    expect(
      reasonOf(
        decision([{ kind: 'plan', label: 'x', legs: [buy(BTC.id), buy(ETH.id)], expectedNetEdge: 0 }]),
        covering,
      ),
    ).toContain(ETH.id);
    expect(
      validateDecision(
        covering,
        decision([{ kind: 'risk-advice', instrumentId: '*', veto: true, reason: 'r' }]),
      ).ok,
    ).toBe(true);
    // Without a declared list, anything goes.
    expect(validateDecision(agent(), decision([buy(ETH.id)])).ok).toBe(true);
  });

  it("then applies the agent's own validateDecision, and a throw there is invalid too", () => {
    const picky = agent({
      validateDecision: (d) => (d.confidence > 0.9 ? { ok: false, reason: 'too sure' } : { ok: true }),
    });
    expect(validateDecision(picky, decision([], { confidence: 0.5 })).ok).toBe(true);
    expect(reasonOf(decision([], { confidence: 0.95 }), picky)).toBe('too sure');
    const throwing = agent({
      validateDecision: () => {
        throw new Error('boom');
      },
    });
    expect(reasonOf(decision([]), throwing)).toContain('boom');
    // Schema failures come first: the agent's rules never see garbage.
    let seen = 0;
    const counting = agent({
      validateDecision: () => {
        seen++;
        return { ok: true };
      },
    });
    validateDecision(counting, null);
    expect(seen).toBe(0);
  });

  it('property: the hand-written fast path agrees with the zod schema on no-intent decisions', () => {
    const num = fc.oneof(
      fc.double(),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 0, 1, -1e-300, 1 + 1e-15),
      fc.string(),
      fc.constant(undefined),
    );
    const reasoning = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('x'.repeat(MAX_REASONING_CHARS), 'x'.repeat(MAX_REASONING_CHARS + 1)),
      fc.integer(),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(num, num, reasoning, fc.boolean(), (confidence, expectedReturn, r, extraField) => {
        const value: Record<string, unknown> = { intents: [], confidence, expectedReturn, reasoning: r };
        if (extraField) value.extra = 1;
        expect(checkDecisionShape(value).ok).toBe(decisionSchema.safeParse(value).success);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the fast path agrees with the zod schema on order-like intents', () => {
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const dec = fc.oneof(
      fc.bigInt({ min: -5n, max: 5n }).map((u) => Decimal.fromUnits(u)),
      fc.constantFrom('1', 1, 1n, null, { units: 1n }),
    );
    const order = fc.record(
      {
        kind: fc.constantFrom('order', 'orders', 'swap'),
        instrumentId: fc.constantFrom(BTC.id, '', 5, undefined),
        side: fc.constantFrom('buy', 'sell', 'hold', undefined),
        type: fc.constantFrom('market', 'limit', 'stop'),
        quantity: dec,
        limitPrice: maybe(dec),
        timeInForce: maybe(fc.constantFrom('GTC', 'IOC', 'FOK', 'POST_ONLY', 'DAY', 3)),
        reduceOnly: maybe(fc.constantFrom(true, false, 'yes', 0)),
        extra: maybe(fc.integer()),
      },
      { requiredKeys: ['kind'] },
    );
    const intent = fc.oneof(order, fc.constantFrom(null, 1, [], 'order'));
    fc.assert(
      fc.property(
        fc.array(intent, { maxLength: 3 }),
        fc.constantFrom(0, 0.5, 1, Number.NaN),
        (intents, confidence) => {
          const value = decision(intents, { confidence });
          expect(checkDecisionShape(value).ok).toBe(decisionSchema.safeParse(value).success);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('property: any order with a positive decimal quantity passes, any non-positive one fails', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), (units) => {
        const d = decision([{ ...buy(), quantity: Decimal.fromUnits(units) }]);
        expect(validateDecision(agent(), d).ok).toBe(units > 0n);
      }),
    );
  });
});
