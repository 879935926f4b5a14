/**
 * Amounts between two √prices and the √price after adding or removing an amount, for liquidity L
 * (whitepaper eq. 6.13–6.16): Δx = L·(√pb − √pa)/(√pa·√pb), Δy = L·(√pb − √pa).
 *
 * Rounding always favours the pool (inputs rounded up, outputs down, prices moved so the pool
 * never gives away more), as the contract does. One place depends on uint256 wrap-around: the
 * contract adds token0 with L·2^96·√p/(L·2^96 + x·√p) while x·√p and the sum fit 256 bits, and
 * with the algebraically equal L·2^96/(L·2^96/√p + x) otherwise; the two round differently, so
 * the overflow test is reproduced exactly.
 */
import { ConcordError } from '../../core/index.ts';
import {
  checkUint,
  divRoundingUp,
  invalidInput,
  MAX_UINT160,
  MAX_UINT256,
  mulDiv,
  mulDivRoundingUp,
  Q96,
} from './full-math.ts';

function insufficientLiquidity(message: string, details: Record<string, string>): ConcordError {
  return new ConcordError('CONCORD_ERR_AMM_INSUFFICIENT_LIQUIDITY', message, { details });
}

/** √price after adding (or removing) `amount` of token0: rounds up, so the price falls no further than it must. */
export function getNextSqrtPriceFromAmount0RoundingUp(
  sqrtPX96: bigint,
  liquidity: bigint,
  amount: bigint,
  add: boolean,
): bigint {
  if (amount === 0n) return sqrtPX96;
  const numerator1 = liquidity << 96n;
  const product = amount * sqrtPX96;
  if (add) {
    if (product <= MAX_UINT256) {
      const denominator = numerator1 + product;
      if (denominator <= MAX_UINT256) return mulDivRoundingUp(numerator1, sqrtPX96, denominator);
    }
    return divRoundingUp(numerator1, checkUint('L·2^96/√p + amount', numerator1 / sqrtPX96 + amount));
  }
  if (product > MAX_UINT256 || numerator1 <= product)
    throw insufficientLiquidity('removing this much token0 would take the price past zero', {
      amount: amount.toString(),
      liquidity: liquidity.toString(),
    });
  return checkUint('sqrtPriceX96', mulDivRoundingUp(numerator1, sqrtPX96, numerator1 - product), MAX_UINT160);
}

/** √price after adding (or removing) `amount` of token1: rounds down. */
export function getNextSqrtPriceFromAmount1RoundingDown(
  sqrtPX96: bigint,
  liquidity: bigint,
  amount: bigint,
  add: boolean,
): bigint {
  if (add) {
    // ⌊amount·2^96/L⌋ (the contract's two branches give the same floor).
    const quotient = amount <= MAX_UINT160 ? (amount << 96n) / liquidity : mulDiv(amount, Q96, liquidity);
    return checkUint('sqrtPriceX96', sqrtPX96 + quotient, MAX_UINT160);
  }
  const quotient =
    amount <= MAX_UINT160
      ? divRoundingUp(amount << 96n, liquidity)
      : mulDivRoundingUp(amount, Q96, liquidity);
  if (sqrtPX96 <= quotient)
    throw insufficientLiquidity('removing this much token1 would take the price to zero or below', {
      amount: amount.toString(),
      liquidity: liquidity.toString(),
    });
  return sqrtPX96 - quotient;
}

function checkPriceAndLiquidity(sqrtPX96: bigint, liquidity: bigint): void {
  if (sqrtPX96 <= 0n) throw invalidInput('sqrtPriceX96', sqrtPX96, 'a positive integer');
  if (liquidity <= 0n) throw invalidInput('liquidity', liquidity, 'a positive integer');
}

/** √price after an exact input, never moving past the true price. */
export function getNextSqrtPriceFromInput(
  sqrtPX96: bigint,
  liquidity: bigint,
  amountIn: bigint,
  zeroForOne: boolean,
): bigint {
  checkPriceAndLiquidity(sqrtPX96, liquidity);
  return zeroForOne
    ? getNextSqrtPriceFromAmount0RoundingUp(sqrtPX96, liquidity, amountIn, true)
    : getNextSqrtPriceFromAmount1RoundingDown(sqrtPX96, liquidity, amountIn, true);
}

/** √price after an exact output, always moving at least as far as the true price. */
export function getNextSqrtPriceFromOutput(
  sqrtPX96: bigint,
  liquidity: bigint,
  amountOut: bigint,
  zeroForOne: boolean,
): bigint {
  checkPriceAndLiquidity(sqrtPX96, liquidity);
  return zeroForOne
    ? getNextSqrtPriceFromAmount1RoundingDown(sqrtPX96, liquidity, amountOut, false)
    : getNextSqrtPriceFromAmount0RoundingUp(sqrtPX96, liquidity, amountOut, false);
}

/** Token0 between two √prices for liquidity L: L·2^96·(√pb − √pa)/√pb/√pa, rounded as asked. */
export function getAmount0Delta(sqrtA: bigint, sqrtB: bigint, liquidity: bigint, roundUp: boolean): bigint {
  if (sqrtA > sqrtB) [sqrtA, sqrtB] = [sqrtB, sqrtA];
  if (sqrtA <= 0n) throw invalidInput('sqrtPriceX96', sqrtA, 'a positive integer');
  const numerator1 = liquidity << 96n;
  const numerator2 = sqrtB - sqrtA;
  return roundUp
    ? divRoundingUp(mulDivRoundingUp(numerator1, numerator2, sqrtB), sqrtA)
    : mulDiv(numerator1, numerator2, sqrtB) / sqrtA;
}

/** Token1 between two √prices for liquidity L: L·(√pb − √pa)/2^96, rounded as asked. */
export function getAmount1Delta(sqrtA: bigint, sqrtB: bigint, liquidity: bigint, roundUp: boolean): bigint {
  if (sqrtA > sqrtB) [sqrtA, sqrtB] = [sqrtB, sqrtA];
  return roundUp ? mulDivRoundingUp(liquidity, sqrtB - sqrtA, Q96) : mulDiv(liquidity, sqrtB - sqrtA, Q96);
}
