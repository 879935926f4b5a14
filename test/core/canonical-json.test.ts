import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcordError, canonicalJson, Decimal } from '../../src/core/index.ts';

/** The straightforward definition canonicalJson must match byte for byte. */
function reference(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('non-finite');
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'undefined':
      return 'null';
    case 'object': {
      if (value instanceof Decimal) return JSON.stringify(value.toString());
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      const obj = value as Record<string, unknown>;
      if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
        return reference((obj as { toJSON: () => unknown }).toJSON());
      }
      const fields = Object.keys(obj)
        .sort()
        .filter((k) => obj[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`);
      return `{${fields.join(',')}}`;
    }
    default:
      throw new Error(`cannot serialise a ${typeof value}`);
  }
}

/** Any UTF-16 code unit, lone surrogates and control characters included. */
const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const trickyString = fc.constantFrom(
  '',
  '"',
  '\\',
  '\n',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u2028',
  '\ud800',
  '\udc00x',
  '😀',
  '__proto__',
  'constructor',
  'a"b',
  '10',
  '2',
  'é',
);
const key = fc.oneof(
  fc.string({ maxLength: 4 }),
  trickyString,
  anyString,
  fc.constantFrom('a', 'b', 'c', 'type', 'ts'),
);
const finite = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(-0, 0, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, -1.5e300),
);
const decimal = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((units) => Decimal.fromUnits(units));
const leaf = fc.oneof(
  finite,
  anyString,
  trickyString,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  decimal,
);

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('array'),
    tie('object'),
    tie('levels'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  // Book levels, the bulk of journal payloads.
  levels: fc.array(fc.tuple(finite, finite), { maxLength: 6 }),
}));

/** Objects sharing a few shapes (keys in varying insertion order), to exercise the shape cache. */
const shaped = fc
  .array(
    fc.tuple(
      fc.shuffledSubarray(['b', 'a', 'ts', 'type', 'z', '_', 'A']),
      fc.array(leaf, { minLength: 7, maxLength: 7 }),
    ),
    {
      maxLength: 10,
    },
  )
  .map((rows) => rows.map(([keys, values]) => Object.fromEntries(keys.map((k, i) => [k, values[i]]))));

describe('canonicalJson', () => {
  it('is byte-identical to the straightforward definition for any JSON-like value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('is byte-identical across objects of the same and of permuted shapes', () => {
    fc.assert(
      fc.property(shaped, (rows) => {
        for (const row of rows) expect(canonicalJson(row)).toBe(reference(row));
      }),
      { numRuns: 500 },
    );
  });

  it('parses back to the value with sorted keys, strings for Decimals and bigints, no undefined fields', () => {
    const v = {
      z: 1,
      a: [undefined, -0, 2n],
      m: { y: Decimal.fromUnits(15n * 10n ** 17n), x: undefined },
      é: 'é',
    };
    const text = canonicalJson(v);
    expect(text).toBe('{"a":[null,0,"2"],"m":{"y":"1.5"},"z":1,"é":"é"}');
    expect(JSON.parse(text)).toEqual({ a: [null, 0, '2'], m: { y: '1.5' }, z: 1, é: 'é' });
  });

  it('sorts keys by UTF-16 code units (a surrogate pair before U+FFFF), integer-like keys included', () => {
    expect(canonicalJson({ 10: 'a', 2: 'b', b: 1, B: 2, '😀': 3, '\uffff': 4 })).toBe(
      '{"10":"a","2":"b","B":2,"b":1,"😀":3,"\uffff":4}',
    );
  });

  it('escapes like JSON.stringify, lone surrogates included', () => {
    for (const s of ['"\\\n\t\u0000', '\ud800', 'a\udfffb', '😀', '\u2028']) {
      expect(canonicalJson(s)).toBe(JSON.stringify(s));
      expect(canonicalJson({ [s]: s })).toBe(`{${JSON.stringify(s)}:${JSON.stringify(s)}}`);
    }
  });

  it('keeps the historical output for sparse arrays and toJSON objects', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(canonicalJson([1, , 3])).toBe(reference([1, , 3]));
    expect(canonicalJson({ when: { toJSON: () => ({ b: 1, a: 2 }) } })).toBe('{"when":{"a":2,"b":1}}');
  });

  it('rejects NaN and infinities with a coded error, wherever they are', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const v of [bad, [1, bad], [[1, bad]], { a: { b: bad } }]) {
        let caught: unknown;
        try {
          canonicalJson(v);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(ConcordError);
        expect((caught as ConcordError).code).toBe('CONCORD_ERR_CANONICAL_JSON');
        expect((caught as ConcordError).message).toContain('cannot serialise a non-finite number');
        expect((caught as ConcordError).details).toEqual({ value: String(bad) });
      }
    }
  });

  it('rejects functions and symbols with a coded error', () => {
    for (const v of [() => 1, Symbol('s'), { a: () => 1 }]) {
      expect(() => canonicalJson(v)).toThrow(/cannot serialise a (function|symbol)/);
    }
  });
});
