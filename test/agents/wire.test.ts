import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  captureContext,
  decodeWire,
  encodeWire,
  reviveContext,
  reviveInstruments,
} from '../../src/agents/wire.ts';
import { Decimal } from '../../src/core/index.ts';
import { BTC, context, ETH, INSTRUMENTS } from './helpers.ts';

const decimal = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((u) => Decimal.fromUnits(u));
const leaf = fc.oneof(
  decimal,
  fc.bigInt(),
  fc.string(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(
      fc.string({ minLength: 1 }).filter((k) => k !== '$decimal' && k !== '__proto__'),
      tie('node'),
      { maxKeys: 4 },
    ),
  ),
})).node;

function sameValue(a: unknown, b: unknown): void {
  if (a instanceof Decimal) {
    expect(b).toBeInstanceOf(Decimal);
    expect((b as Decimal).units).toBe(a.units);
  } else if (Array.isArray(a)) {
    expect(Array.isArray(b)).toBe(true);
    expect((b as unknown[]).length).toBe(a.length);
    for (let i = 0; i < a.length; i++) sameValue(a[i], (b as unknown[])[i]);
  } else if (typeof a === 'object' && a !== null) {
    expect(Object.keys(b as object).sort()).toEqual(Object.keys(a).sort());
    for (const [k, v] of Object.entries(a)) sameValue(v, (b as Record<string, unknown>)[k]);
  } else {
    expect(b).toStrictEqual(a);
  }
}

describe('wire codec', () => {
  it('property: decode(structuredClone(encode(x))) gives back x, Decimals as Decimal instances', () => {
    fc.assert(
      fc.property(tree, (value) => {
        sameValue(value, decodeWire(structuredClone(encodeWire(value))));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a malformed $decimal alone, so the schema check reports it instead of the codec throwing', () => {
    expect(decodeWire({ $decimal: 'NaN' })).toEqual({ $decimal: 'NaN' });
    expect(decodeWire({ $decimal: '1.5', other: 1 })).toEqual({ $decimal: '1.5', other: 1 });
  });

  it('revives instruments with Decimal specs', () => {
    const [btc] = reviveInstruments(structuredClone(encodeWire(INSTRUMENTS)));
    expect(btc?.kind === 'spot' && btc.tickSize instanceof Decimal && btc.tickSize.eq(BTC.tickSize)).toBe(
      true,
    );
  });

  it('captures only what the agent may read and rebuilds the same views', () => {
    const original = context(BTC.id);
    const snap = structuredClone(captureContext(original, [ETH.id], undefined));
    expect(snap.instruments).toBeUndefined();
    const revived = reviveContext(snap, INSTRUMENTS);
    for (const id of [BTC.id, ETH.id]) {
      expect(revived.market.book(id)?.bids()).toEqual(original.market.book(id)?.bids(20));
      expect(revived.market.book(id)?.asks(3)).toEqual(original.market.book(id)?.asks(3));
      expect(revived.market.book(id)?.mid()).toBe(original.market.book(id)?.mid());
      expect(revived.market.lastPrice(id)).toBe(original.market.lastPrice(id));
      expect(revived.portfolio.position(id)).toBe(original.portfolio.position(id));
    }
    expect(revived.market.midHistory(BTC.id, 5)).toEqual(original.market.midHistory(BTC.id, 5));
    expect(revived.market.midHistory(BTC.id, 500)).toHaveLength(200);
    expect(revived.portfolio.cash('USDT')).toBe(70_000);
    expect(revived.portfolio.equity()).toBe(100_000);
    expect(revived.trigger).toEqual(original.trigger);
    expect(revived.market.book('sim-b:NOPE')).toBeUndefined();
  });
});
