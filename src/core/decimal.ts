/**
 * Exact decimal values for prices, quantities and money that reach a venue.
 * A value is a bigint count of 10^-18 units, so addition and comparison are exact
 * and there is no binary rounding. Analytics may use floats; orders may not.
 *
 * Invalid inputs (NaN, Infinity, malformed strings, more than 18 decimals) are
 * rejected where the value is created, with CONCORD_ERR_DECIMAL_INVALID.
 */
import { ConcordError } from './errors.ts';

export const DECIMAL_SCALE = 18;
const ONE = 10n ** 18n;
const DECIMAL_RE = /^([+-])?(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export type RoundingMode = 'down' | 'up' | 'half-even' | 'floor' | 'ceil';

export type DecimalInput = Decimal | string | number | bigint;

export class Decimal {
  /** Value × 10^18. */
  readonly units: bigint;

  private constructor(units: bigint) {
    this.units = units;
  }

  static readonly ZERO = new Decimal(0n);
  static readonly ONE = new Decimal(ONE);

  static fromUnits(units: bigint): Decimal {
    return new Decimal(units);
  }

  /** Parses a decimal string, a finite number (via its shortest round-trip string) or an integer bigint. */
  static from(value: DecimalInput): Decimal {
    if (value instanceof Decimal) return value;
    if (typeof value === 'bigint') return new Decimal(value * ONE);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid(value, 'a finite number');
      if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER)
        return new Decimal(BigInt(value) * ONE);
      return Decimal.parse(String(value), value);
    }
    if (typeof value === 'string') return Decimal.parse(value.trim(), value);
    throw invalid(value, 'a decimal string, number or bigint');
  }

  /** Like `from`, but rounds numbers with more than 18 decimals instead of rejecting them. */
  static fromNumberRounded(
    value: number,
    decimals = DECIMAL_SCALE,
    rounding: RoundingMode = 'half-even',
  ): Decimal {
    if (!Number.isFinite(value)) throw invalid(value, 'a finite number');
    // The shortest round-trip text of a double is its intended decimal (0.1, not 0.1000000000000000055…).
    const exact = Decimal.parse(String(value), value, true);
    const places = Math.max(0, Math.min(decimals, DECIMAL_SCALE));
    return places === DECIMAL_SCALE
      ? exact
      : exact.roundToStep(Decimal.fromUnits(10n ** BigInt(DECIMAL_SCALE - places)), rounding);
  }

  static tryFrom(value: unknown): Decimal | undefined {
    try {
      return Decimal.from(value as DecimalInput);
    } catch {
      return undefined;
    }
  }

  private static parse(text: string, original: unknown, roundExcess = false): Decimal {
    const m = DECIMAL_RE.exec(text);
    if (m === null || (m[2] === undefined && (m[3] === undefined || m[3] === ''))) {
      throw invalid(original, 'a decimal number such as "123.45"');
    }
    const negative = m[1] === '-';
    let digits = (m[2] ?? '') + (m[3] ?? '');
    let fractionLength = (m[3] ?? '').length;
    const exponent = m[4] === undefined ? 0 : Number.parseInt(m[4], 10);
    fractionLength -= exponent;
    if (fractionLength < 0) {
      digits += '0'.repeat(-fractionLength);
      fractionLength = 0;
    }
    if (fractionLength > DECIMAL_SCALE) {
      // Trailing zeros beyond the scale are harmless; anything else would be silently rounded.
      const extra = digits.slice(digits.length - (fractionLength - DECIMAL_SCALE));
      if (/[^0]/.test(extra) && !roundExcess)
        throw invalid(original, `at most ${DECIMAL_SCALE} decimal places`);
      // Beyond 10^-18 a double has nothing meaningful left: truncate.
      digits = digits.slice(0, digits.length - (fractionLength - DECIMAL_SCALE));
      fractionLength = DECIMAL_SCALE;
    }
    const units = BigInt(digits === '' ? '0' : digits) * 10n ** BigInt(DECIMAL_SCALE - fractionLength);
    return new Decimal(negative ? -units : units);
  }

  add(other: DecimalInput): Decimal {
    return new Decimal(this.units + Decimal.from(other).units);
  }

  sub(other: DecimalInput): Decimal {
    return new Decimal(this.units - Decimal.from(other).units);
  }

  mul(other: DecimalInput, rounding: RoundingMode = 'half-even'): Decimal {
    return new Decimal(divRound(this.units * Decimal.from(other).units, ONE, rounding));
  }

  div(other: DecimalInput, rounding: RoundingMode = 'half-even'): Decimal {
    const d = Decimal.from(other).units;
    if (d === 0n) throw new ConcordError('CONCORD_ERR_DECIMAL_DIVISION_BY_ZERO', 'division by zero');
    return new Decimal(divRound(this.units * ONE, d, rounding));
  }

  neg(): Decimal {
    return new Decimal(-this.units);
  }

  abs(): Decimal {
    return this.units < 0n ? new Decimal(-this.units) : this;
  }

  cmp(other: DecimalInput): -1 | 0 | 1 {
    const o = Decimal.from(other).units;
    return this.units < o ? -1 : this.units > o ? 1 : 0;
  }

  eq(other: DecimalInput): boolean {
    return this.units === Decimal.from(other).units;
  }
  lt(other: DecimalInput): boolean {
    return this.units < Decimal.from(other).units;
  }
  lte(other: DecimalInput): boolean {
    return this.units <= Decimal.from(other).units;
  }
  gt(other: DecimalInput): boolean {
    return this.units > Decimal.from(other).units;
  }
  gte(other: DecimalInput): boolean {
    return this.units >= Decimal.from(other).units;
  }

  isZero(): boolean {
    return this.units === 0n;
  }
  isNegative(): boolean {
    return this.units < 0n;
  }
  isPositive(): boolean {
    return this.units > 0n;
  }
  sign(): -1 | 0 | 1 {
    return this.units < 0n ? -1 : this.units > 0n ? 1 : 0;
  }

  /** Rounds to a multiple of `step` (a tick or lot size). */
  roundToStep(step: DecimalInput, rounding: RoundingMode = 'half-even'): Decimal {
    const s = Decimal.from(step).units;
    if (s <= 0n) throw invalid(step, 'a positive step');
    return new Decimal(divRound(this.units, s, rounding) * s);
  }

  isMultipleOf(step: DecimalInput): boolean {
    const s = Decimal.from(step).units;
    return s > 0n && this.units % s === 0n;
  }

  /** Number of decimal places actually used (0..18). */
  decimalPlaces(): number {
    if (this.units % ONE === 0n) return 0;
    let u = this.units < 0n ? -this.units : this.units;
    let places = DECIMAL_SCALE;
    while (u % 10n === 0n) {
      u /= 10n;
      places--;
    }
    return places;
  }

  /** The nearest double (correctly rounded: the decimal text is parsed once). */
  toNumber(): number {
    const u = this.units;
    // Small magnitudes: both operands are exact doubles, so one IEEE division rounds correctly.
    if (u > -9007199254740992n && u < 9007199254740992n) return Number(u) / 1e18;
    return Number(this.toString());
  }

  toString(): string {
    const negative = this.units < 0n;
    const abs = negative ? -this.units : this.units;
    const whole = abs / ONE;
    const frac = abs % ONE;
    let text = whole.toString();
    if (frac !== 0n) text += `.${frac.toString().padStart(DECIMAL_SCALE, '0').replace(/0+$/, '')}`;
    return negative ? `-${text}` : text;
  }

  toFixed(places: number, rounding: RoundingMode = 'half-even'): string {
    const step = 10n ** BigInt(DECIMAL_SCALE - places);
    const rounded = new Decimal(divRound(this.units, step, rounding) * step).toString();
    if (places === 0) return rounded;
    const [whole, frac = ''] = rounded.split('.');
    return `${whole}.${frac.padEnd(places, '0')}`;
  }

  toJSON(): string {
    return this.toString();
  }

  static min(a: Decimal, b: Decimal): Decimal {
    return a.units <= b.units ? a : b;
  }
  static max(a: Decimal, b: Decimal): Decimal {
    return a.units >= b.units ? a : b;
  }
  static sum(values: Iterable<Decimal>): Decimal {
    let total = 0n;
    for (const v of values) total += v.units;
    return new Decimal(total);
  }
}

/** Integer division with an explicit rounding mode. */
function divRound(n: bigint, d: bigint, mode: RoundingMode): bigint {
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n) return q;
  const negative = n < 0n !== d < 0n;
  switch (mode) {
    case 'down':
      return q;
    case 'up':
      return negative ? q - 1n : q + 1n;
    case 'floor':
      return negative ? q - 1n : q;
    case 'ceil':
      return negative ? q : q + 1n;
    case 'half-even': {
      const twice = (r < 0n ? -r : r) * 2n;
      const absD = d < 0n ? -d : d;
      if (twice < absD) return q;
      if (twice > absD || q % 2n !== 0n) return negative ? q - 1n : q + 1n;
      return q;
    }
  }
}

function invalid(value: unknown, expected: string): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_DECIMAL_INVALID',
    `invalid decimal ${JSON.stringify(String(value))}: expected ${expected}`,
    {
      details: { value: String(value), expected },
    },
  );
}

/** A strictly positive decimal (price or quantity), else CONCORD_ERR_DECIMAL_INVALID. */
export function positiveDecimal(value: DecimalInput, field: string): Decimal {
  const d = Decimal.from(value);
  if (!d.isPositive()) {
    throw new ConcordError(
      'CONCORD_ERR_DECIMAL_INVALID',
      `${field} must be greater than zero, got ${d.toString()}`,
      {
        details: { field, value: d.toString(), expected: '> 0' },
      },
    );
  }
  return d;
}
