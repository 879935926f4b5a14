import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, isConcordError } from '../../src/core/index.ts';

const SCALE = 10n ** 18n;
const arbUnits = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n });
const arbDecimal = arbUnits.map((u) => Decimal.fromUnits(u));

describe('Decimal', () => {
  it('parses and prints exact decimal strings', () => {
    expect(Decimal.from('123.4500').toString()).toBe('123.45');
    expect(Decimal.from('-0.000000000000000001').toString()).toBe('-0.000000000000000001');
    expect(Decimal.from('1e-8').toString()).toBe('0.00000001');
    expect(Decimal.from('2.5E3').toString()).toBe('2500');
    expect(Decimal.from(0.1).add(0.2).toString()).toBe('0.3');
    expect(Decimal.from('.5').toString()).toBe('0.5');
  });

  it('rejects NaN, Infinity, malformed text and excess precision with a coded error', () => {
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      'abc',
      '',
      '1.2.3',
      '0.0000000000000000001',
      '--1',
    ]) {
      let caught: unknown;
      try {
        Decimal.from(bad as never);
      } catch (e) {
        caught = e;
      }
      expect(isConcordError(caught, 'CONCORD_ERR_DECIMAL_INVALID'), String(bad)).toBe(true);
    }
  });

  it('round-trips through its string form', () => {
    fc.assert(fc.property(arbDecimal, (d) => Decimal.from(d.toString()).eq(d)));
  });

  it('adds and subtracts exactly (a + b - b = a, commutative, associative)', () => {
    fc.assert(
      fc.property(arbDecimal, arbDecimal, arbDecimal, (a, b, c) => {
        expect(a.add(b).sub(b).eq(a)).toBe(true);
        expect(a.add(b).eq(b.add(a))).toBe(true);
        expect(
          a
            .add(b)
            .add(c)
            .eq(a.add(b.add(c))),
        ).toBe(true);
      }),
    );
  });

  it('multiplies against a bigint oracle with every rounding mode bracketing the exact product', () => {
    fc.assert(
      fc.property(arbUnits, arbUnits, (x, y) => {
        const a = Decimal.fromUnits(x);
        const b = Decimal.fromUnits(y);
        const exactTimesScale = x * y; // true product × 10^36
        const down = a.mul(b, 'floor').units;
        const up = a.mul(b, 'ceil').units;
        expect(down * SCALE <= exactTimesScale).toBe(true);
        expect(up * SCALE >= exactTimesScale).toBe(true);
        expect(up - down <= 1n).toBe(true);
      }),
    );
  });

  it('rounds to a step so the result is on the grid and within one step', () => {
    fc.assert(
      fc.property(arbDecimal, fc.bigInt({ min: 1n, max: 10n ** 20n }), (d, s) => {
        const step = Decimal.fromUnits(s);
        for (const mode of ['down', 'up', 'floor', 'ceil', 'half-even'] as const) {
          const r = d.roundToStep(step, mode);
          expect(r.isMultipleOf(step)).toBe(true);
          expect(r.sub(d).abs().lte(step)).toBe(true);
        }
        expect(d.roundToStep(step, 'floor').lte(d)).toBe(true);
        expect(d.roundToStep(step, 'ceil').gte(d)).toBe(true);
        expect(d.roundToStep(step, 'down').abs().lte(d.abs())).toBe(true);
      }),
    );
  });

  it('divides with rounding and refuses division by zero', () => {
    expect(Decimal.from(1).div(3, 'down').toString()).toBe('0.333333333333333333');
    expect(Decimal.from(2).div(3, 'half-even').toString()).toBe('0.666666666666666667');
    expect(() => Decimal.from(1).div(0)).toThrow(/CONCORD_ERR_DECIMAL_DIVISION_BY_ZERO/);
  });

  it('formats with a fixed number of places', () => {
    expect(Decimal.from('1.005').toFixed(2)).toBe('1.00');
    expect(Decimal.from('1.015').toFixed(2)).toBe('1.02');
    expect(Decimal.from('3').toFixed(3)).toBe('3.000');
    expect(Decimal.from('0.00012').decimalPlaces()).toBe(5);
  });
});

describe('Decimal and floats', () => {
  it('fromNumberRounded keeps the intended decimal of a double and rounds to the places asked', () => {
    expect(Decimal.fromNumberRounded(0.1).toString()).toBe('0.1');
    expect(Decimal.fromNumberRounded(61234.567, 2).toString()).toBe('61234.57');
    expect(Decimal.fromNumberRounded(1e-20).toString()).toBe('0');
    expect(Decimal.fromNumberRounded(2.5e-7).toString()).toBe('0.00000025');
    expect(() => Decimal.fromNumberRounded(Number.NaN)).toThrow(/CONCORD_ERR_DECIMAL_INVALID/);
  });

  it('toNumber is the nearest double of short decimals', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
        const rounded = Number(x.toFixed(6));
        return Decimal.fromNumberRounded(rounded).toNumber() === rounded;
      }),
    );
  });
});

describe('Decimal.toNumber', () => {
  it('is correctly rounded (equals parsing the decimal text)', () => {
    expect(Decimal.from('2.9995').toNumber()).toBe(2.9995);
    fc.assert(fc.property(arbDecimal, (d) => d.toNumber() === Number(d.toString())));
  });
});
