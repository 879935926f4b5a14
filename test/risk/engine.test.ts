import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, SimulatedClock } from '../../src/core/index.ts';
import { spotInstrument } from '../../src/model/index.ts';
import { Portfolio } from '../../src/portfolio/index.ts';
import {
  DEFAULT_RULES,
  parseRiskConfig,
  type RiskConfigInput,
  RiskEngine,
  type RiskOrder,
  type RiskRule,
  type RuleErrorReport,
  type TradingScope,
  type TradingStateChange,
} from '../../src/risk/index.ts';

const BTC = 'sim-a:BTC-USDT';

/** A position source with exact values (like the Portfolio). */
function positions(entries: Record<string, Decimal> = {}) {
  return {
    position: (id: string) => (entries[id] === undefined ? 0 : entries[id]!.toNumber()),
    positionExact: (id: string) => entries[id] ?? Decimal.ZERO,
  };
}

function engine(
  config: RiskConfigInput = {},
  pos: Record<string, Decimal> = {},
  extra: Partial<ConstructorParameters<typeof RiskEngine>[0]> = {},
) {
  return new RiskEngine({
    config: parseRiskConfig(config),
    portfolio: positions(pos),
    clock: new SimulatedClock(1000),
    ...extra,
  });
}

interface OrderInput extends Partial<Omit<RiskOrder, 'quantity' | 'price'>> {
  quantity: string | Decimal;
  price?: string | Decimal | undefined;
}

function order(o: OrderInput): RiskOrder {
  return {
    instrumentId: o.instrumentId ?? BTC,
    venue: o.venue ?? 'sim-a',
    side: o.side ?? 'buy',
    quantity: Decimal.from(o.quantity),
    price: o.price === undefined ? undefined : Decimal.from(o.price),
    referencePrice: 'referencePrice' in o ? o.referencePrice : 100,
    reduceOnly: o.reduceOnly,
    plan: o.plan,
  };
}

const dec = (n: number, dp: number) => Decimal.fromUnits(BigInt(n) * 10n ** BigInt(18 - dp));

describe('RiskEngine: rules', () => {
  it('passes an ordinary order with the shared ok verdict', () => {
    const e = engine();
    const v = e.check(order({ quantity: '1', price: '100' }));
    expect(v).toEqual({ ok: true });
    expect(e.check(order({ quantity: '2', price: '100' }))).toBe(v);
  });

  it('denies a notional over the per-order maximum with the figures in the message', () => {
    const e = engine({ maxOrderNotional: { default: 1000 } });
    const v = e.check(order({ quantity: '12', price: '100' }));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.denial.code).toBe('NOTIONAL_EXCEEDS_MAX_PER_ORDER');
    expect(v.denial.rule).toBe('max-order-notional');
    // The code is its own field; the message is the figures only (no doubled prefix downstream).
    expect(v.denial.message).toBe('max_notional=1000, notional=1200, instrument=sim-a:BTC-USDT');
    expect(v.denial.details.notional).toBe('1200');
  });

  it('uses the per-instrument notional limit over the default, and the reference for a market order', () => {
    const e = engine({ maxOrderNotional: { default: 1000, perInstrument: { [BTC]: 5000 } } });
    expect(e.check(order({ quantity: '40', price: '100' })).ok).toBe(true);
    expect(e.check(order({ quantity: '40', price: '100', instrumentId: 'sim-a:ETH-USDT' })).ok).toBe(false);
    expect(e.check(order({ quantity: '49', referencePrice: 100 })).ok).toBe(true);
    expect(e.check(order({ quantity: '51', referencePrice: 100 })).ok).toBe(false);
  });

  it('settles a float-ambiguous notional exactly (0.1 × 0.4 equals a 0.04 limit)', () => {
    const e = engine({ maxOrderNotional: { default: '0.04' }, priceBandBps: 10_000 });
    expect(0.1 * 0.4 > 0.04).toBe(true); // the float alone would deny
    expect(e.check(order({ quantity: '0.1', price: '0.4', referencePrice: 0.4 })).ok).toBe(true);
    expect(e.check(order({ quantity: '0.1000001', price: '0.4', referencePrice: 0.4 })).ok).toBe(false);
  });

  it('denies a position over the maximum after the order, but lets an over-limit position shrink', () => {
    const e = engine({ maxPosition: { default: 1 } }, { [BTC]: Decimal.from('0.5') });
    expect(e.check(order({ quantity: '0.5', price: '100' })).ok).toBe(true);
    const v = e.check(order({ quantity: '0.6', price: '100' }));
    expect(!v.ok && v.denial.code).toBe('POSITION_EXCEEDS_MAX');
    expect(!v.ok && v.denial.message).toContain('max_position=1, position_after=1.1');
    // A sell of 2 flips to −1.5: over the limit in the other direction.
    expect(e.check(order({ side: 'sell', quantity: '2', price: '100' })).ok).toBe(false);
    const over = engine({ maxPosition: { default: 1 } }, { [BTC]: Decimal.from('3') });
    expect(over.check(order({ side: 'sell', quantity: '1', price: '100' })).ok).toBe(true);
    expect(over.check(order({ side: 'buy', quantity: '0.1', price: '100' })).ok).toBe(false);
  });

  it('counts pending in-flight quantity as position', () => {
    const e = engine({ maxPosition: { default: 1 } });
    expect(e.check(order({ quantity: '0.6', price: '100' })).ok).toBe(true);
    expect(
      e.check(order({ quantity: '0.6', price: '100' }), { pendingPosition: Decimal.from('0.6') }).ok,
    ).toBe(false);
  });

  it('denies a limit price outside the band around the reference mid (fat finger)', () => {
    const e = engine({ priceBandBps: 100 });
    expect(e.check(order({ quantity: '1', price: '101', referencePrice: 100 })).ok).toBe(true);
    expect(e.check(order({ quantity: '1', price: '99', referencePrice: 100 })).ok).toBe(true);
    const v = e.check(order({ quantity: '1', price: '102', referencePrice: 100 }));
    expect(!v.ok && v.denial.code).toBe('PRICE_OUTSIDE_BAND');
    expect(!v.ok && v.denial.message).toContain('deviation_bps=200, max_bps=100');
    expect(e.check(order({ side: 'sell', quantity: '1', price: '50', referencePrice: 100 })).ok).toBe(false);
  });

  it('denies any order without a usable reference price', () => {
    const e = engine();
    for (const referencePrice of [undefined, Number.NaN, 0, -1, Number.POSITIVE_INFINITY]) {
      const market = e.check(order({ quantity: '1', referencePrice }));
      expect(!market.ok && market.denial.code).toBe('NO_REFERENCE_PRICE');
      expect(e.check(order({ quantity: '1', price: '100', referencePrice })).ok).toBe(false);
    }
  });

  it('denies a reduce-only order that would increase or flip the position', () => {
    const e = engine({}, { [BTC]: Decimal.from('2') });
    expect(e.check(order({ side: 'sell', quantity: '2', price: '100', reduceOnly: true })).ok).toBe(true);
    const v = e.check(order({ side: 'sell', quantity: '3', price: '100', reduceOnly: true }));
    expect(!v.ok && v.denial.code).toBe('REDUCE_ONLY_WOULD_INCREASE');
    expect(e.check(order({ side: 'buy', quantity: '1', price: '100', reduceOnly: true })).ok).toBe(false);
    expect(engine().check(order({ side: 'sell', quantity: '1', price: '100', reduceOnly: true })).ok).toBe(
      false,
    );
  });
});

describe('RiskEngine: trading state', () => {
  it('the kill switch denies everything', () => {
    const e = engine({ killSwitch: true }, { [BTC]: Decimal.from('1') });
    const v = e.check(order({ side: 'sell', quantity: '1', price: '100' }));
    expect(!v.ok && v.denial.code).toBe('TRADING_HALTED');
  });

  it('applies the most severe of global, venue and instrument states, and reports changes', () => {
    const changes: TradingStateChange[] = [];
    const e = engine({}, { [BTC]: Decimal.from('1') }, { onTradingStateChange: (c) => changes.push(c) });
    e.setTradingState({ kind: 'venue', venue: 'sim-b' }, 'HALTED', 'venue outage');
    expect(e.check(order({ quantity: '1', price: '100' })).ok).toBe(true);
    const other = e.check(
      order({ venue: 'sim-b', instrumentId: 'sim-b:BTC-USDT', quantity: '1', price: '100' }),
    );
    expect(!other.ok && other.denial.message).toContain('venue outage');
    e.setTradingState({ kind: 'instrument', instrumentId: BTC }, 'REDUCING', 'limit review');
    const buy = e.check(order({ quantity: '1', price: '100' }));
    expect(!buy.ok && buy.denial.code).toBe('REDUCING_ONLY');
    expect(!buy.ok && buy.denial.message).toContain('limit review');
    expect(e.check(order({ side: 'sell', quantity: '1', price: '100' })).ok).toBe(true);
    e.setTradingState({ kind: 'global' }, 'HALTED', 'operator');
    expect(e.check(order({ side: 'sell', quantity: '1', price: '100' })).ok).toBe(false);
    expect(e.effectiveTradingState(BTC, 'sim-a')).toBe('HALTED');
    e.setTradingState({ kind: 'global' }, 'ACTIVE', 'resume');
    e.setTradingState({ kind: 'instrument', instrumentId: BTC }, 'ACTIVE', 'resume');
    expect(e.check(order({ quantity: '1', price: '100' })).ok).toBe(true);
    expect(e.tradingStates()).toEqual([
      { scope: { kind: 'venue', venue: 'sim-b' }, state: 'HALTED', reason: 'venue outage' },
    ]);
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual([
      'ACTIVE>HALTED',
      'ACTIVE>REDUCING',
      'ACTIVE>HALTED',
      'HALTED>ACTIVE',
      'REDUCING>ACTIVE',
    ]);
    expect(changes[0]!.ts).toBe(1000);
  });

  it('reads positions from the Portfolio', () => {
    const p = new Portfolio();
    const inst = spotInstrument({
      venue: 'sim-a',
      symbol: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      tickSize: '0.01',
      lotSize: '0.0001',
    });
    p.applyFill(
      {
        clientOrderId: 'c',
        venueOrderId: 'v',
        tradeId: 't',
        instrumentId: BTC,
        venue: 'sim-a',
        side: 'buy',
        price: Decimal.from(100),
        quantity: Decimal.from('0.3'),
        fee: Decimal.ZERO,
        feeCurrency: 'USDT',
        liquidity: 'taker',
        ts: 0,
      },
      inst,
    );
    const e = new RiskEngine({
      config: parseRiskConfig({ maxPosition: { default: '0.5' } }),
      portfolio: p,
      clock: new SimulatedClock(0),
    });
    expect(e.check(order({ quantity: '0.2', price: '100' })).ok).toBe(true);
    expect(e.check(order({ quantity: '0.2001', price: '100' })).ok).toBe(false);
    e.setTradingState({ kind: 'global' }, 'REDUCING', 'test');
    expect(e.check(order({ side: 'sell', quantity: '0.3', price: '100' })).ok).toBe(true);
    expect(e.check(order({ side: 'sell', quantity: '0.3001', price: '100' })).ok).toBe(false);
  });
});

describe('RiskEngine: fail closed', () => {
  const boom: RiskRule = {
    name: 'boom',
    check: () => {
      throw new Error('no data');
    },
  };

  it('a throwing rule denies with RULE_ERROR, is reported, and drops the desk to REDUCING', () => {
    const reports: RuleErrorReport[] = [];
    const e = engine({}, {}, { rules: [...DEFAULT_RULES, boom], onRuleError: (r) => reports.push(r) });
    const v = e.check(order({ quantity: '1', price: '100' }));
    expect(v.ok).toBe(false);
    expect(!v.ok && v.denial).toMatchObject({ code: 'RULE_ERROR', rule: 'boom' });
    expect(!v.ok && v.denial.message).toContain('no data');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.rule).toBe('boom');
    expect(e.tradingState({ kind: 'global' })).toBe('REDUCING');
    expect(e.ruleErrorCount()).toBe(1);
  });

  it('a throwing position source or reporter still denies instead of crashing', () => {
    const e = new RiskEngine({
      portfolio: {
        position: () => {
          throw new Error('portfolio gone');
        },
      },
      clock: new SimulatedClock(0),
      onRuleError: () => {
        throw new Error('reporter broken');
      },
      reduceOnRuleError: false,
    });
    const v = e.check(order({ quantity: '1', price: '100' }));
    expect(!v.ok && v.denial.code).toBe('RULE_ERROR');
    expect(e.tradingState({ kind: 'global' })).toBe('ACTIVE');
  });

  it('property: a throwing rule anywhere in the chain denies every order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: DEFAULT_RULES.length }),
        fc.integer({ min: 1, max: 1000 }),
        (at, q) => {
          const rules = [...DEFAULT_RULES];
          rules.splice(at, 0, boom);
          const e = engine({}, {}, { rules });
          expect(e.check(order({ quantity: dec(q, 4), price: '100' })).ok).toBe(false);
        },
      ),
    );
  });
});

const orderArb = fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  qty: fc.integer({ min: 1, max: 2_000_000 }), // 4 dp
  price: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: undefined }), // 2 dp
  refDeviationBps: fc.integer({ min: -300, max: 300 }),
  reduceOnly: fc.boolean(),
});

const setupArb = fc.record({
  position: fc.integer({ min: -2_000_000, max: 2_000_000 }), // 4 dp
  maxNotional: fc.integer({ min: 1, max: 20_000_000 }),
  maxPosition: fc.integer({ min: 1, max: 2_000_000 }), // 4 dp
  band: fc.integer({ min: 1, max: 500 }),
});

type OrderCase = typeof orderArb extends fc.Arbitrary<infer T> ? T : never;
type SetupCase = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;

function build(o: OrderCase, s: SetupCase) {
  const limitPrice = o.price === undefined ? undefined : dec(o.price, 2);
  const base = limitPrice?.toNumber() ?? 1234.5;
  const ro: RiskOrder = {
    instrumentId: BTC,
    venue: 'sim-a',
    side: o.side,
    quantity: dec(o.qty, 4),
    price: limitPrice,
    referencePrice: base * (1 + o.refDeviationBps / 10_000),
    reduceOnly: o.reduceOnly,
    plan: undefined,
  };
  const before = dec(s.position, 4);
  const e = engine(
    {
      maxOrderNotional: { default: s.maxNotional },
      maxPosition: { default: dec(s.maxPosition, 4).toString() },
      priceBandBps: s.band,
    },
    { [BTC]: before },
  );
  return { ro, before, e };
}

describe('RiskEngine: properties', () => {
  it('a passing order never exceeds the notional cap, nor takes |position| over the cap (or, if already over, only shrinks it)', () => {
    let passed = 0;
    fc.assert(
      fc.property(orderArb, setupArb, (o, s) => {
        const { ro, before, e } = build(o, s);
        if (!e.check(ro).ok) return;
        passed++;
        const price = ro.price ?? Decimal.from(ro.referencePrice!);
        expect(ro.quantity.mul(price).lte(s.maxNotional)).toBe(true);
        const max = dec(s.maxPosition, 4);
        const after = before.add(ro.side === 'buy' ? ro.quantity : ro.quantity.neg()).abs();
        if (before.abs().lte(max)) expect(after.lte(max)).toBe(true);
        else expect(after.lt(before.abs())).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(passed).toBeGreaterThan(10); // the property is not vacuous
  });

  it('a HALTED scope (global, venue or instrument) or the kill switch passes no order at all', () => {
    const scopes: TradingScope[] = [
      { kind: 'global' },
      { kind: 'venue', venue: 'sim-a' },
      { kind: 'instrument', instrumentId: BTC },
    ];
    fc.assert(
      fc.property(orderArb, setupArb, fc.integer({ min: 0, max: 3 }), (o, s, k) => {
        const { ro, e } = build(o, s);
        if (k === 3) {
          const killed = engine({ killSwitch: true }, { [BTC]: dec(s.position, 4) });
          expect(killed.check(ro).ok).toBe(false);
        } else {
          e.setTradingState(scopes[k]!, 'HALTED', 'test');
          const v = e.check(ro);
          expect(!v.ok && v.denial.code).toBe('TRADING_HALTED');
        }
      }),
    );
  });

  it('REDUCING passes only orders that shrink the position without flipping, and does pass those within limits', () => {
    fc.assert(
      fc.property(orderArb, setupArb, (o, s) => {
        const { ro, before, e } = build(o, s);
        e.setTradingState({ kind: 'global' }, 'REDUCING', 'test');
        const ok = e.check(ro).ok;
        const reduces =
          !before.isZero() && before.sign() !== (ro.side === 'buy' ? 1 : -1) && ro.quantity.lte(before.abs());
        if (ok) expect(reduces).toBe(true);
        const permissive = engine(
          { maxOrderNotional: { default: '1e12' }, priceBandBps: 10_000 },
          { [BTC]: before },
        );
        permissive.setTradingState({ kind: 'global' }, 'REDUCING', 'test');
        expect(permissive.check({ ...ro, referencePrice: ro.referencePrice }).ok).toBe(reduces);
      }),
    );
  });
});
