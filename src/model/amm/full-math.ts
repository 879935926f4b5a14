/**
 * Integer helpers with the EVM's limits. JavaScript bigints never overflow, so every place
 * where the contracts would revert on a uint256 (or uint160 / uint128) overflow checks the bound
 * explicitly and throws CONCORD_ERR_AMM_OVERFLOW: a quote that the chain would refuse must not
 * come back as a number.
 */
import { ConcordError } from '../../core/index.ts';

export const Q96 = 1n << 96n;
export const Q128 = 1n << 128n;
export const MAX_UINT128 = (1n << 128n) - 1n;
export const MAX_UINT160 = (1n << 160n) - 1n;
export const MAX_UINT256 = (1n << 256n) - 1n;

export function overflow(what: string, value: bigint, limit: bigint): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_AMM_OVERFLOW',
    `${what} does not fit the contract's integer type (the chain would revert)`,
    { details: { what, value: value.toString(), limit: limit.toString() } },
  );
}

export function invalidInput(what: string, value: unknown, expected: string): ConcordError {
  return new ConcordError('CONCORD_ERR_AMM_INVALID_INPUT', `${what}: expected ${expected}`, {
    details: { what, value: typeof value === 'bigint' ? value.toString() : value, expected },
  });
}

/** Throws CONCORD_ERR_AMM_OVERFLOW unless 0 ≤ value ≤ limit. */
export function checkUint(what: string, value: bigint, limit: bigint = MAX_UINT256): bigint {
  if (value < 0n || value > limit) throw overflow(what, value, limit);
  return value;
}

/**
 * floor(a·b / d) for uint256 a, b, d > 0, refusing results above uint256 (FullMath.mulDiv's
 * contract: the 512-bit product is fine, only the quotient must fit).
 */
export function mulDiv(a: bigint, b: bigint, d: bigint): bigint {
  if (d <= 0n) throw invalidInput('mulDiv denominator', d, 'a positive integer');
  const q = (a * b) / d;
  if (q > MAX_UINT256) throw overflow('mulDiv result', q, MAX_UINT256);
  return q;
}

/** ceil(a·b / d), with the same bound as mulDiv (the rounded-up result must fit too). */
export function mulDivRoundingUp(a: bigint, b: bigint, d: bigint): bigint {
  if (d <= 0n) throw invalidInput('mulDivRoundingUp denominator', d, 'a positive integer');
  const p = a * b;
  let q = p / d;
  if (p % d !== 0n) q += 1n;
  if (q > MAX_UINT256) throw overflow('mulDivRoundingUp result', q, MAX_UINT256);
  return q;
}

/** ceil(a / d) for a ≥ 0, d > 0 (UnsafeMath.divRoundingUp: no overflow possible). */
export function divRoundingUp(a: bigint, d: bigint): bigint {
  const q = a / d;
  return a % d === 0n ? q : q + 1n;
}

/** floor(√n) for n ≥ 0, exact: a floating-point estimate refined by Newton's iteration. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw invalidInput('isqrt argument', n, 'a non-negative integer');
  if (n < 2n) return n;
  const approx = Number(n);
  let x: bigint;
  if (approx < 2 ** 52) x = BigInt(Math.floor(Math.sqrt(approx)));
  else if (Number.isFinite(approx)) x = BigInt(Math.floor(Math.sqrt(approx) * (1 + 2 ** -50))) + 1n;
  else {
    // Beyond a double's range: 2^ceil(bits/2) is above the root.
    x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  }
  // From above the root, Newton's steps decrease monotonically to ⌊√n⌋.
  if (x * x > n) {
    for (;;) {
      const y = (x + n / x) >> 1n;
      if (y >= x) break;
      x = y;
    }
  }
  // Settle exactly (covers a start that was at or just below the root).
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}
