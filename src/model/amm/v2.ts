/**
 * Constant-product (Uniswap V2-style) amounts, exactly as the pair and its router compute them.
 *
 * The fee is in pips (millionths: 3000 = 0.30 %, V2's fee; forks use others). The fraction
 * (1e6 − fee)/1e6 is reduced first, so the default fee multiplies by 997 and 1000 like the
 * contract does, and the uint256 overflow checks trip at the same amounts as on chain.
 *
 *   out = ⌊ in·γn·R_out / (R_in·γd + in·γn) ⌋             (γ = γn/γd = 1 − fee)
 *   in  = ⌊ R_in·out·γd / ((R_out − out)·γn) ⌋ + 1         (the router's +1, not a ceiling)
 */
import { ConcordError } from '../../core/index.ts';
import { checkUint, invalidInput } from './full-math.ts';

export const FEE_PIPS_DENOMINATOR = 1_000_000;
export const V2_DEFAULT_FEE_PIPS = 3000;

/** γ = 1 − fee as a reduced fraction [numerator, denominator]. */
export interface FeeFraction {
  readonly gamma: bigint;
  readonly denominator: bigint;
}

const feeCache = new Map<number, FeeFraction>();

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The reduced fraction 1 − fee/1e6; refuses a fee that is not an integer in [0, 1e6). */
export function feeFraction(feePips: number): FeeFraction {
  const cached = feeCache.get(feePips);
  if (cached !== undefined) return cached;
  if (!Number.isInteger(feePips) || feePips < 0 || feePips >= FEE_PIPS_DENOMINATOR)
    throw invalidInput('fee', feePips, 'an integer number of pips in [0, 1000000)');
  const g = gcd(FEE_PIPS_DENOMINATOR - feePips, FEE_PIPS_DENOMINATOR);
  const fraction = {
    gamma: BigInt((FEE_PIPS_DENOMINATOR - feePips) / g),
    denominator: BigInt(FEE_PIPS_DENOMINATOR / g),
  };
  feeCache.set(feePips, fraction);
  return fraction;
}

function checkReserves(reserveIn: bigint, reserveOut: bigint): void {
  if (reserveIn <= 0n || reserveOut <= 0n)
    throw new ConcordError('CONCORD_ERR_AMM_INSUFFICIENT_LIQUIDITY', 'a reserve of the pool is zero', {
      details: { reserveIn: reserveIn.toString(), reserveOut: reserveOut.toString() },
    });
}

/**
 * Output for an exact input (UniswapV2Library.getAmountOut). Zero is a valid answer (the pair
 * would then refuse the swap); a non-positive input or an empty reserve is refused.
 */
export function getAmountOut(
  amountIn: bigint,
  reserveIn: bigint,
  reserveOut: bigint,
  feePips: number = V2_DEFAULT_FEE_PIPS,
): bigint {
  if (amountIn <= 0n) throw invalidInput('amountIn', amountIn, 'a positive integer');
  checkReserves(reserveIn, reserveOut);
  const { gamma, denominator } = feeFraction(feePips);
  const inWithFee = checkUint('amountIn × (1 − fee)', amountIn * gamma);
  const numerator = checkUint('amountIn × (1 − fee) × reserveOut', inWithFee * reserveOut);
  const scaledReserve = checkUint('reserveIn × fee denominator', reserveIn * denominator);
  const divisor = checkUint('reserveIn × fee denominator + amountIn × (1 − fee)', scaledReserve + inWithFee);
  return numerator / divisor;
}

/** Input needed for an exact output (UniswapV2Library.getAmountIn); refuses an output ≥ the reserve. */
export function getAmountIn(
  amountOut: bigint,
  reserveIn: bigint,
  reserveOut: bigint,
  feePips: number = V2_DEFAULT_FEE_PIPS,
): bigint {
  if (amountOut <= 0n) throw invalidInput('amountOut', amountOut, 'a positive integer');
  checkReserves(reserveIn, reserveOut);
  if (amountOut >= reserveOut)
    throw new ConcordError(
      'CONCORD_ERR_AMM_INSUFFICIENT_LIQUIDITY',
      'the requested output is not below the output reserve',
      { details: { amountOut: amountOut.toString(), reserveOut: reserveOut.toString() } },
    );
  const { gamma, denominator } = feeFraction(feePips);
  const numerator = checkUint(
    'reserveIn × amountOut × fee denominator',
    checkUint('reserveIn × amountOut', reserveIn * amountOut) * denominator,
  );
  const divisor = checkUint('(reserveOut − amountOut) × (1 − fee)', (reserveOut - amountOut) * gamma);
  return checkUint('amountIn', numerator / divisor + 1n);
}
