/**
 * One step of a concentrated-liquidity swap: within a range of constant liquidity, from the
 * current √price towards a target √price (the next initialised tick, a word boundary of the
 * tick bitmap, or the caller's price limit), spending or buying at most `amountRemaining`.
 */
import { mulDiv, mulDivRoundingUp } from './full-math.ts';
import {
  getAmount0Delta,
  getAmount1Delta,
  getNextSqrtPriceFromInput,
  getNextSqrtPriceFromOutput,
} from './sqrt-price-math.ts';

const PIPS = 1_000_000n;

export interface SwapStep {
  readonly sqrtPriceNextX96: bigint;
  /** Input taken by the pool in this step, fee excluded. */
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  readonly feeAmount: bigint;
}

/**
 * `amountRemaining` > 0 is an exact input still to spend (fee included), < 0 an exact output
 * still to buy. The direction is read from the prices (target ≤ current: token0 in).
 */
export function computeSwapStep(
  sqrtCurrentX96: bigint,
  sqrtTargetX96: bigint,
  liquidity: bigint,
  amountRemaining: bigint,
  feePips: number,
): SwapStep {
  const fee = BigInt(feePips);
  const zeroForOne = sqrtCurrentX96 >= sqrtTargetX96;
  const exactIn = amountRemaining >= 0n;
  let sqrtNext: bigint;
  // The whole way to the target, computed first: if the amount covers it, the step ends there.
  let toTarget: bigint;
  if (exactIn) {
    const remainingLessFee = mulDiv(amountRemaining, PIPS - fee, PIPS);
    toTarget = zeroForOne
      ? getAmount0Delta(sqrtTargetX96, sqrtCurrentX96, liquidity, true)
      : getAmount1Delta(sqrtCurrentX96, sqrtTargetX96, liquidity, true);
    sqrtNext =
      remainingLessFee >= toTarget
        ? sqrtTargetX96
        : getNextSqrtPriceFromInput(sqrtCurrentX96, liquidity, remainingLessFee, zeroForOne);
  } else {
    toTarget = zeroForOne
      ? getAmount1Delta(sqrtTargetX96, sqrtCurrentX96, liquidity, false)
      : getAmount0Delta(sqrtCurrentX96, sqrtTargetX96, liquidity, false);
    sqrtNext =
      -amountRemaining >= toTarget
        ? sqrtTargetX96
        : getNextSqrtPriceFromOutput(sqrtCurrentX96, liquidity, -amountRemaining, zeroForOne);
  }
  const reached = sqrtNext === sqrtTargetX96;
  let amountIn: bigint;
  let amountOut: bigint;
  // Amounts of a step that reached its target reuse the amount already computed for it.
  if (zeroForOne) {
    amountIn = reached && exactIn ? toTarget : getAmount0Delta(sqrtNext, sqrtCurrentX96, liquidity, true);
    amountOut = reached && !exactIn ? toTarget : getAmount1Delta(sqrtNext, sqrtCurrentX96, liquidity, false);
  } else {
    amountIn = reached && exactIn ? toTarget : getAmount1Delta(sqrtCurrentX96, sqrtNext, liquidity, true);
    amountOut = reached && !exactIn ? toTarget : getAmount0Delta(sqrtCurrentX96, sqrtNext, liquidity, false);
  }
  // Rounding can compute a hair more output than was asked: never pay out more than asked.
  if (!exactIn && amountOut > -amountRemaining) amountOut = -amountRemaining;
  // A step that stopped short of its target used the whole input: what is left over is fee.
  const feeAmount =
    exactIn && !reached ? amountRemaining - amountIn : mulDivRoundingUp(amountIn, fee, PIPS - fee);
  return { sqrtPriceNextX96: sqrtNext, amountIn, amountOut, feeAmount };
}
