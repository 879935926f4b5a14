/**
 * Ticks and square-root prices of a concentrated-liquidity pool (Uniswap V3 whitepaper §6.1):
 * the price at tick i is 1.0001^i, kept as √price in Q64.96 (`sqrtPriceX96`).
 *
 * The contract evaluates 1/√1.0001^|i| as a product over the bits of |i| of the factors
 * 1/√1.0001^(2^k) in Q128, each rounded to the nearest integer, truncating after every
 * multiplication; a positive tick then takes the reciprocal (uint256 max / ratio) and the Q128
 * result is rounded *up* to Q96. Being equal to the chain to the wei means using the same factors
 * and the same truncations, so the factors are derived below from 1.0001 itself, with 128 guard
 * bits (the closest any factor's fraction comes to ½ is 0.0075 of a unit: far above the error).
 */
import { ConcordError } from '../../core/index.ts';
import { isqrt, MAX_UINT256 } from './full-math.ts';

/** The extreme ticks: 1.0001^±887272 is the widest range whose √price fits Q64.96 both ways. */
export const MIN_TICK = -887272;
export const MAX_TICK = 887272;

const GUARD = 128n;
const ONE_Q128 = 1n << 128n;

/** round(2^128 / √1.0001^(2^k)) for k = 0..19 (|tick| < 2^20). */
const TICK_FACTORS: readonly bigint[] = (() => {
  const scale = 1n << (128n + GUARD);
  // √(10000/10001) at scale 2^(128+GUARD), then repeated squaring.
  let s = isqrt((scale * scale * 10000n) / 10001n);
  const out: bigint[] = [];
  for (let k = 0; k < 20; k++) {
    out.push((s + (1n << (GUARD - 1n))) >> GUARD);
    s = (s * s) / scale;
  }
  return out;
})();

function tickRange(tick: number): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_AMM_TICK_RANGE',
    `tick ${tick} is outside [${MIN_TICK}, ${MAX_TICK}]`,
    {
      details: { tick, min: MIN_TICK, max: MAX_TICK },
    },
  );
}

/** √(1.0001^tick) in Q64.96, exactly as TickMath.getSqrtRatioAtTick. */
export function getSqrtRatioAtTick(tick: number): bigint {
  if (!Number.isInteger(tick) || tick < MIN_TICK || tick > MAX_TICK) throw tickRange(tick);
  const abs = tick < 0 ? -tick : tick;
  let ratio = abs & 1 ? (TICK_FACTORS[0] as bigint) : ONE_Q128;
  for (let k = 1; k < 20; k++) {
    if (abs & (1 << k)) ratio = (ratio * (TICK_FACTORS[k] as bigint)) >> 128n;
  }
  if (tick > 0) ratio = MAX_UINT256 / ratio;
  // Q128 → Q96, rounding up so that getTickAtSqrtRatio(getSqrtRatioAtTick(t)) = t.
  return (ratio >> 32n) + ((ratio & 0xffffffffn) === 0n ? 0n : 1n);
}

export const MIN_SQRT_RATIO = getSqrtRatioAtTick(MIN_TICK);
export const MAX_SQRT_RATIO = getSqrtRatioAtTick(MAX_TICK);

const LN_SQRT_1_0001 = Math.log(1.0001) / 2;
const LN_2_96 = 96 * Math.LN2;

/** Natural log of a positive bigint, accurate to ~1e-15 relative even above 2^1024. */
function lnBig(x: bigint): number {
  const bits = x.toString(16).length * 4;
  const shift = bits > 960 ? BigInt(bits - 960) : 0n;
  return Math.log(Number(x >> shift)) + Number(shift) * Math.LN2;
}

/**
 * The greatest tick whose √price is ≤ `sqrtPriceX96` (TickMath.getTickAtSqrtRatio's definition),
 * for MIN_SQRT_RATIO ≤ sqrtPriceX96 < MAX_SQRT_RATIO. Found from a floating-point logarithm (off by
 * at most one tick) and settled exactly against getSqrtRatioAtTick.
 */
export function getTickAtSqrtRatio(sqrtPriceX96: bigint): number {
  if (sqrtPriceX96 < MIN_SQRT_RATIO || sqrtPriceX96 >= MAX_SQRT_RATIO)
    throw new ConcordError(
      'CONCORD_ERR_AMM_TICK_RANGE',
      'sqrtPriceX96 is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)',
      {
        details: {
          sqrtPriceX96: sqrtPriceX96.toString(),
          min: MIN_SQRT_RATIO.toString(),
          max: MAX_SQRT_RATIO.toString(),
        },
      },
    );
  let tick = Math.floor((lnBig(sqrtPriceX96) - LN_2_96) / LN_SQRT_1_0001);
  if (tick < MIN_TICK) tick = MIN_TICK;
  if (tick > MAX_TICK - 1) tick = MAX_TICK - 1;
  while (tick > MIN_TICK && getSqrtRatioAtTick(tick) > sqrtPriceX96) tick--;
  while (tick < MAX_TICK - 1 && getSqrtRatioAtTick(tick + 1) <= sqrtPriceX96) tick++;
  return tick;
}
