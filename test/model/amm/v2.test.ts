import { CurrencyAmount } from '@uniswap/sdk-core';
import { InsufficientInputAmountError, InsufficientReservesError, Pair } from '@uniswap/v2-sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isConcordError } from '../../../src/core/index.ts';
import { getAmountIn, getAmountOut, MAX_UINT256 } from '../../../src/model/amm/index.ts';
import { amount, big, bigUint, TOKEN0, TOKEN1 } from './helpers.ts';

const UINT112_BITS = 112;

function pair(reserve0: bigint, reserve1: bigint): Pair {
  return new Pair(
    CurrencyAmount.fromRawAmount(TOKEN0, reserve0.toString()),
    CurrencyAmount.fromRawAmount(TOKEN1, reserve1.toString()),
  );
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isConcordError(err) ? err.code : 'not a ConcordError';
  }
}

describe('V2 amounts equal @uniswap/v2-sdk to the wei', () => {
  it('getAmountOut = Pair.getOutputAmount (0.30 %), both directions', () => {
    let nonZero = 0;
    fc.assert(
      fc.property(
        bigUint(UINT112_BITS),
        bigUint(UINT112_BITS),
        bigUint(UINT112_BITS),
        fc.boolean(),
        (r0, r1, x, zeroForOne) => {
          const [rIn, rOut] = zeroForOne ? [r0, r1] : [r1, r0];
          const ours = getAmountOut(x, rIn, rOut);
          let theirs: bigint;
          try {
            theirs = big(pair(r0, r1).getOutputAmount(amount(zeroForOne ? TOKEN0 : TOKEN1, x))[0].quotient);
          } catch (err) {
            // The SDK refuses a zero output; the library formula returns it.
            expect(err).toBeInstanceOf(InsufficientInputAmountError);
            theirs = 0n;
          }
          if (ours > 0n) nonZero++;
          expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 600 },
    );
    expect(nonZero).toBeGreaterThan(100);
  });

  it('getAmountIn = Pair.getInputAmount, and it buys at least the output asked', () => {
    fc.assert(
      fc.property(
        bigUint(UINT112_BITS, 2),
        bigUint(UINT112_BITS, 2),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (r0, r1, share, zeroForOne) => {
          const [rIn, rOut] = zeroForOne ? [r0, r1] : [r1, r0];
          const out = 1n + (BigInt(Math.floor(share * 2 ** 40)) * (rOut - 1n)) / 2n ** 40n;
          if (out >= rOut) {
            expect(() => pair(r0, r1).getInputAmount(amount(zeroForOne ? TOKEN1 : TOKEN0, out))).toThrow(
              InsufficientReservesError,
            );
            expect(codeOf(() => getAmountIn(out, rIn, rOut))).toBe('CONCORD_ERR_AMM_INSUFFICIENT_LIQUIDITY');
            return;
          }
          const ours = getAmountIn(out, rIn, rOut);
          const theirs = big(
            pair(r0, r1).getInputAmount(amount(zeroForOne ? TOKEN1 : TOKEN0, out))[0].quotient,
          );
          expect(ours).toBe(theirs);
          // Buying nearly the whole reserve needs an input the pair itself could not multiply.
          const roundTrip = codeOf(() => expect(getAmountOut(ours, rIn, rOut)).toBeGreaterThanOrEqual(out));
          expect([undefined, 'CONCORD_ERR_AMM_OVERFLOW']).toContain(roundTrip);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('any fee: the reduced fraction gives the same amounts as the plain 1e6-denominator formula', () => {
    fc.assert(
      fc.property(
        bigUint(100),
        bigUint(100),
        bigUint(100),
        fc.integer({ min: 0, max: 999_999 }),
        (rIn, rOut, x, fee) => {
          const g = BigInt(1_000_000 - fee);
          const expected = (x * g * rOut) / (rIn * 1_000_000n + x * g);
          expect(getAmountOut(x, rIn, rOut, fee)).toBe(expected);
          if (expected > 0n && expected < rOut) {
            const needed = getAmountIn(expected, rIn, rOut, fee);
            expect(needed).toBe((rIn * expected * 1_000_000n) / ((rOut - expected) * g) + 1n);
            expect(getAmountOut(needed, rIn, rOut, fee)).toBeGreaterThanOrEqual(expected);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a higher fee never gives more output', () => {
    fc.assert(
      fc.property(
        bigUint(100),
        bigUint(100),
        bigUint(100),
        fc.integer({ min: 0, max: 999_998 }),
        (rIn, rOut, x, fee) => {
          expect(getAmountOut(x, rIn, rOut, fee + 1)).toBeLessThanOrEqual(getAmountOut(x, rIn, rOut, fee));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('V2 edge cases are refused with a coded error', () => {
  it('overflowing uint256 products, as the contract would revert', () => {
    expect(codeOf(() => getAmountOut(1n << 200n, 10n ** 18n, 1n << 100n))).toBe('CONCORD_ERR_AMM_OVERFLOW');
    expect(codeOf(() => getAmountOut(MAX_UINT256, 1n, 1n))).toBe('CONCORD_ERR_AMM_OVERFLOW');
    expect(codeOf(() => getAmountIn((1n << 200n) - 1n, 1n << 100n, 1n << 200n))).toBe(
      'CONCORD_ERR_AMM_OVERFLOW',
    );
    // Just inside the bound still quotes.
    expect(getAmountOut(1n << 100n, 1n << 100n, 1n << 100n)).toBeGreaterThan(0n);
  });

  it('empty reserves, non-positive amounts, bad fees', () => {
    expect(codeOf(() => getAmountOut(1n, 0n, 5n))).toBe('CONCORD_ERR_AMM_INSUFFICIENT_LIQUIDITY');
    expect(codeOf(() => getAmountOut(0n, 5n, 5n))).toBe('CONCORD_ERR_AMM_INVALID_INPUT');
    expect(codeOf(() => getAmountOut(-1n, 5n, 5n))).toBe('CONCORD_ERR_AMM_INVALID_INPUT');
    expect(codeOf(() => getAmountIn(5n, 5n, 5n))).toBe('CONCORD_ERR_AMM_INSUFFICIENT_LIQUIDITY');
    expect(codeOf(() => getAmountOut(1n, 5n, 5n, 1_000_000))).toBe('CONCORD_ERR_AMM_INVALID_INPUT');
    expect(codeOf(() => getAmountOut(1n, 5n, 5n, 2.5))).toBe('CONCORD_ERR_AMM_INVALID_INPUT');
  });
});
