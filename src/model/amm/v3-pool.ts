/**
 * Swaps through a concentrated-liquidity (Uniswap V3-style) pool, across initialised ticks, as
 * UniswapV3Pool.swap computes them: same steps, same rounding, same amounts to the wei.
 *
 * The pool's state is what a node reads from chain: slot0 (√price, tick), the in-range
 * liquidity, the fee, the tick spacing, and every initialised tick with its liquidityNet,
 * sorted by index. The swap walks the ticks the way the contract walks its tick bitmap: a step
 * never goes further than the end of the current 256-tick-spacing bitmap word, even when no tick
 * is initialised there. Those extra steps change the rounding, so they are kept.
 */
import { ConcordError } from '../../core/index.ts';
import { invalidInput, MAX_UINT128, MAX_UINT256 } from './full-math.ts';
import { computeSwapStep } from './swap-math.ts';
import {
  getSqrtRatioAtTick,
  getTickAtSqrtRatio,
  MAX_SQRT_RATIO,
  MAX_TICK,
  MIN_SQRT_RATIO,
  MIN_TICK,
} from './tick-math.ts';

export interface V3Tick {
  readonly index: number;
  /** Liquidity added (removed if negative) when the price crosses this tick upwards. */
  readonly liquidityNet: bigint;
}

export interface V3PoolState {
  readonly sqrtPriceX96: bigint;
  readonly tick: number;
  /** Liquidity in range at the current price. */
  readonly liquidity: bigint;
  /** Fee in pips (millionths): 500, 3000, 10000 on Uniswap V3. */
  readonly fee: number;
  readonly tickSpacing: number;
  /** Initialised ticks, strictly ascending by index. */
  readonly ticks: readonly V3Tick[];
}

export interface V3SwapResult {
  /** Input the pool takes, fee included. */
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  readonly feeAmount: bigint;
  /** False when the price limit (or the end of liquidity) stopped the swap before the amount was filled. */
  readonly complete: boolean;
  readonly sqrtPriceX96: bigint;
  readonly tick: number;
  readonly liquidity: bigint;
  /** Initialised ticks crossed. */
  readonly ticksCrossed: number;
}

const MAX_INT256 = MAX_UINT256 >> 1n;

function poolInvalid(message: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError('CONCORD_ERR_AMM_POOL_INVALID', message, { details });
}

/**
 * Checks a pool state read from outside (fee, spacing, tick list, √price and tick in range and
 * consistent with each other, liquidity within uint128 and equal to the sum of the liquidityNet
 * below the current tick). Swaps assume a valid state and do not re-check.
 */
export function validateV3Pool(pool: V3PoolState): void {
  const { fee, tickSpacing, ticks } = pool;
  if (!Number.isInteger(fee) || fee < 0 || fee >= 1_000_000)
    throw poolInvalid('fee must be an integer number of pips in [0, 1000000)', { fee });
  if (!Number.isInteger(tickSpacing) || tickSpacing < 1 || tickSpacing > 16384)
    throw poolInvalid('tickSpacing must be an integer in [1, 16384]', { tickSpacing });
  if (pool.sqrtPriceX96 < MIN_SQRT_RATIO || pool.sqrtPriceX96 >= MAX_SQRT_RATIO)
    throw poolInvalid('sqrtPriceX96 is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)', {
      sqrtPriceX96: pool.sqrtPriceX96.toString(),
    });
  const priceTick = getTickAtSqrtRatio(pool.sqrtPriceX96);
  // After a downward crossing the contract leaves tick one below a price sitting exactly on a tick.
  const onBoundaryBelow = pool.tick === priceTick - 1 && getSqrtRatioAtTick(priceTick) === pool.sqrtPriceX96;
  if (pool.tick !== priceTick && !onBoundaryBelow)
    throw poolInvalid('tick does not match sqrtPriceX96', { tick: pool.tick, tickOfPrice: priceTick });
  if (pool.liquidity < 0n || pool.liquidity > MAX_UINT128)
    throw poolInvalid('liquidity must be within uint128', { liquidity: pool.liquidity.toString() });
  let net = 0n;
  let inRange = 0n;
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i] as V3Tick;
    if (!Number.isInteger(t.index) || t.index < MIN_TICK || t.index > MAX_TICK || t.index % tickSpacing !== 0)
      throw poolInvalid('a tick index is not a multiple of tickSpacing within [MIN_TICK, MAX_TICK]', {
        position: i,
        index: t.index,
      });
    if (i > 0 && t.index <= (ticks[i - 1] as V3Tick).index)
      throw poolInvalid('ticks must be sorted by index without duplicates', { position: i, index: t.index });
    net += t.liquidityNet;
    if (t.index <= pool.tick) inRange += t.liquidityNet;
  }
  if (net !== 0n)
    throw poolInvalid('the liquidityNet of all ticks must sum to zero', { sum: net.toString() });
  if (inRange !== pool.liquidity)
    throw poolInvalid('liquidity differs from the sum of liquidityNet at or below the current tick', {
      liquidity: pool.liquidity.toString(),
      expected: inRange.toString(),
    });
}

/** Position of the last tick with index ≤ tick, or −1. */
function lastAtOrBelow(ticks: readonly V3Tick[], tick: number): number {
  let lo = 0;
  let hi = ticks.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((ticks[mid] as V3Tick).index <= tick) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export interface NextTick {
  readonly tick: number;
  readonly initialized: boolean;
  /** Position in the tick list when initialised, else −1. */
  readonly position: number;
}

/**
 * The next initialised tick at or below (`lte`) or above the current tick, but not beyond the
 * current 256-bit word of the tick bitmap: TickBitmap.nextInitializedTickWithinOneWord over a
 * sorted list.
 */
export function nextInitializedTickWithinOneWord(
  ticks: readonly V3Tick[],
  tick: number,
  lte: boolean,
  tickSpacing: number,
): NextTick {
  const compressed = Math.floor(tick / tickSpacing);
  if (lte) {
    const wordStart = (compressed >> 8) * 256 * tickSpacing;
    const at = lastAtOrBelow(ticks, tick);
    if (at < 0 || (ticks[at] as V3Tick).index < wordStart)
      return { tick: wordStart, initialized: false, position: -1 };
    return { tick: (ticks[at] as V3Tick).index, initialized: true, position: at };
  }
  const wordEnd = (((compressed + 1) >> 8) * 256 + 255) * tickSpacing;
  const at = lastAtOrBelow(ticks, tick) + 1;
  if (at >= ticks.length || (ticks[at] as V3Tick).index > wordEnd)
    return { tick: wordEnd, initialized: false, position: -1 };
  return { tick: (ticks[at] as V3Tick).index, initialized: true, position: at };
}

/**
 * With no liquidity in range, the contract still walks the bitmap word by word, but every such
 * step moves the price without any amount or rounding. This returns the last word boundary that
 * walk would cross before the next initialised tick or the limit's tick, so the swap can jump
 * there and leave the price and tick exactly as the walk would; undefined if there is none.
 * Going down, the walk crosses the multiples of 256·spacing at or below the tick; going up, the
 * ticks 256·spacing·k − spacing above it.
 */
function emptyWordsEnd(
  ticks: readonly V3Tick[],
  tick: number,
  zeroForOne: boolean,
  tickSpacing: number,
  limitTick: number,
): number | undefined {
  const word = 256 * tickSpacing;
  const at = lastAtOrBelow(ticks, tick);
  if (zeroForOne) {
    const initialised = at >= 0 ? (ticks[at] as V3Tick).index : MIN_TICK;
    const floor = Math.max(initialised, limitTick, MIN_TICK);
    const lowest = (Math.floor(floor / word) + 1) * word;
    return lowest <= tick ? lowest : undefined;
  }
  const initialised = at + 1 < ticks.length ? (ticks[at + 1] as V3Tick).index : MAX_TICK;
  const ceiling = Math.min(initialised, limitTick, MAX_TICK);
  const highest = Math.ceil((ceiling + tickSpacing) / word) * word - tickSpacing - word;
  return highest > tick ? highest : undefined;
}

function priceLimit(pool: V3PoolState, zeroForOne: boolean, limit: bigint | undefined): bigint {
  const value = limit ?? (zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n);
  const ok = zeroForOne
    ? value < pool.sqrtPriceX96 && value > MIN_SQRT_RATIO
    : value > pool.sqrtPriceX96 && value < MAX_SQRT_RATIO;
  if (!ok)
    throw new ConcordError(
      'CONCORD_ERR_AMM_PRICE_LIMIT',
      zeroForOne
        ? 'a token0 → token1 swap needs a price limit below the current price and above MIN_SQRT_RATIO'
        : 'a token1 → token0 swap needs a price limit above the current price and below MAX_SQRT_RATIO',
      {
        details: {
          zeroForOne,
          sqrtPriceLimitX96: value.toString(),
          sqrtPriceX96: pool.sqrtPriceX96.toString(),
        },
      },
    );
  return value;
}

function swap(
  pool: V3PoolState,
  zeroForOne: boolean,
  amount: bigint,
  exactInput: boolean,
  sqrtPriceLimitX96: bigint | undefined,
): V3SwapResult {
  if (amount <= 0n || amount > MAX_INT256)
    throw invalidInput(exactInput ? 'amountIn' : 'amountOut', amount, 'a positive integer within int256');
  const limit = priceLimit(pool, zeroForOne, sqrtPriceLimitX96);
  const { ticks, tickSpacing, fee } = pool;
  // Positive while input remains to spend, negative while output remains to buy (as the contract).
  let remaining = exactInput ? amount : -amount;
  let calculated = 0n;
  let feeTotal = 0n;
  let sqrtPrice = pool.sqrtPriceX96;
  let tick = pool.tick;
  let liquidity = pool.liquidity;
  let crossed = 0;
  // The tick of the limit price, for skipping empty words (computed on the first empty range).
  let limitTick: number | undefined;
  while (remaining !== 0n && sqrtPrice !== limit) {
    if (liquidity === 0n) {
      limitTick ??= getTickAtSqrtRatio(limit);
      const skipTo = emptyWordsEnd(ticks, tick, zeroForOne, tickSpacing, limitTick);
      if (skipTo !== undefined) {
        sqrtPrice = getSqrtRatioAtTick(skipTo);
        tick = zeroForOne ? skipTo - 1 : skipTo;
        continue;
      }
    }
    const start = sqrtPrice;
    const next = nextInitializedTickWithinOneWord(ticks, tick, zeroForOne, tickSpacing);
    const tickNext = next.tick < MIN_TICK ? MIN_TICK : next.tick > MAX_TICK ? MAX_TICK : next.tick;
    const sqrtAtNext = getSqrtRatioAtTick(tickNext);
    const target = zeroForOne
      ? sqrtAtNext < limit
        ? limit
        : sqrtAtNext
      : sqrtAtNext > limit
        ? limit
        : sqrtAtNext;
    const step = computeSwapStep(sqrtPrice, target, liquidity, remaining, fee);
    sqrtPrice = step.sqrtPriceNextX96;
    feeTotal += step.feeAmount;
    if (exactInput) {
      remaining -= step.amountIn + step.feeAmount;
      calculated += step.amountOut;
    } else {
      remaining += step.amountOut;
      calculated += step.amountIn + step.feeAmount;
    }
    if (sqrtPrice === sqrtAtNext) {
      if (next.initialized) {
        const net = (ticks[next.position] as V3Tick).liquidityNet;
        liquidity += zeroForOne ? -net : net;
        if (liquidity < 0n || liquidity > MAX_UINT128)
          throw poolInvalid('crossing a tick takes liquidity outside uint128 (inconsistent tick list)', {
            tick: tickNext,
            liquidity: liquidity.toString(),
          });
        crossed++;
      }
      tick = zeroForOne ? tickNext - 1 : tickNext;
    } else if (sqrtPrice !== start) {
      tick = getTickAtSqrtRatio(sqrtPrice);
    }
  }
  return {
    amountIn: exactInput ? amount - remaining : calculated,
    amountOut: exactInput ? calculated : amount + remaining,
    feeAmount: feeTotal,
    complete: remaining === 0n,
    sqrtPriceX96: sqrtPrice,
    tick,
    liquidity,
    ticksCrossed: crossed,
  };
}

/** Spends exactly `amountIn` (fee included) unless the price limit or the liquidity runs out first. */
export function swapExactInput(
  pool: V3PoolState,
  zeroForOne: boolean,
  amountIn: bigint,
  sqrtPriceLimitX96?: bigint,
): V3SwapResult {
  return swap(pool, zeroForOne, amountIn, true, sqrtPriceLimitX96);
}

/** Buys exactly `amountOut` unless the price limit or the liquidity runs out first. */
export function swapExactOutput(
  pool: V3PoolState,
  zeroForOne: boolean,
  amountOut: bigint,
  sqrtPriceLimitX96?: bigint,
): V3SwapResult {
  return swap(pool, zeroForOne, amountOut, false, sqrtPriceLimitX96);
}
