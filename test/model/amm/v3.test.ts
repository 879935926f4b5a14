import { TickMath } from '@uniswap/v3-sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isConcordError } from '../../../src/core/index.ts';
import {
  getSqrtRatioAtTick,
  getTickAtSqrtRatio,
  MAX_SQRT_RATIO,
  MAX_TICK,
  MIN_SQRT_RATIO,
  MIN_TICK,
  mulDiv,
  mulDivRoundingUp,
  nextInitializedTickWithinOneWord,
  swapExactInput,
  swapExactOutput,
  type V3PoolState,
  validateV3Pool,
} from '../../../src/model/amm/index.ts';
import {
  amount,
  arbitraryPool,
  big,
  bigUint,
  jsbi,
  poolFromPositions,
  sdkPool,
  TOKEN0,
  TOKEN1,
} from './helpers.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isConcordError(err) ? err.code : `not a ConcordError: ${String(err)}`;
  }
}

describe('TickMath equals the SDK (and so the contract)', () => {
  it('getSqrtRatioAtTick at the bounds, around zero, and at random ticks', () => {
    expect(MIN_SQRT_RATIO).toBe(big(TickMath.MIN_SQRT_RATIO));
    expect(MAX_SQRT_RATIO).toBe(big(TickMath.MAX_SQRT_RATIO));
    expect(getSqrtRatioAtTick(0)).toBe(1n << 96n);
    for (const t of [MIN_TICK, MIN_TICK + 1, -1, 1, MAX_TICK - 1, MAX_TICK])
      expect(getSqrtRatioAtTick(t)).toBe(big(TickMath.getSqrtRatioAtTick(t)));
    fc.assert(
      fc.property(fc.integer({ min: MIN_TICK, max: MAX_TICK }), (t) => {
        expect(getSqrtRatioAtTick(t)).toBe(big(TickMath.getSqrtRatioAtTick(t)));
      }),
      { numRuns: 1000 },
    );
  });

  it('every bit of the tick exercises its factor: one tick per power of two, both signs', () => {
    for (let k = 0; k < 20; k++) {
      const t = Math.min(1 << k, MAX_TICK);
      expect(getSqrtRatioAtTick(t)).toBe(big(TickMath.getSqrtRatioAtTick(t)));
      expect(getSqrtRatioAtTick(-t)).toBe(big(TickMath.getSqrtRatioAtTick(-t)));
    }
  });

  it('getTickAtSqrtRatio at random prices and right at tick boundaries (±1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN_TICK, max: MAX_TICK - 1 }),
        fc.integer({ min: -1, max: 1 }),
        (t, d) => {
          const s = getSqrtRatioAtTick(t) + BigInt(d);
          if (s < MIN_SQRT_RATIO || s >= MAX_SQRT_RATIO) return;
          expect(getTickAtSqrtRatio(s)).toBe(TickMath.getTickAtSqrtRatio(jsbi(s)));
        },
      ),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: MIN_SQRT_RATIO, max: MAX_SQRT_RATIO - 1n }), (s) => {
        expect(getTickAtSqrtRatio(s)).toBe(TickMath.getTickAtSqrtRatio(jsbi(s)));
      }),
      { numRuns: 500 },
    );
    expect(getTickAtSqrtRatio(MIN_SQRT_RATIO)).toBe(MIN_TICK);
    expect(getTickAtSqrtRatio(MAX_SQRT_RATIO - 1n)).toBe(MAX_TICK - 1);
  });

  it('out-of-range ticks and prices are refused with a coded error', () => {
    expect(codeOf(() => getSqrtRatioAtTick(MAX_TICK + 1))).toBe('CONCORD_ERR_AMM_TICK_RANGE');
    expect(codeOf(() => getSqrtRatioAtTick(MIN_TICK - 1))).toBe('CONCORD_ERR_AMM_TICK_RANGE');
    expect(codeOf(() => getSqrtRatioAtTick(1.5))).toBe('CONCORD_ERR_AMM_TICK_RANGE');
    expect(codeOf(() => getTickAtSqrtRatio(MAX_SQRT_RATIO))).toBe('CONCORD_ERR_AMM_TICK_RANGE');
    expect(codeOf(() => getTickAtSqrtRatio(MIN_SQRT_RATIO - 1n))).toBe('CONCORD_ERR_AMM_TICK_RANGE');
  });
});

describe('FullMath', () => {
  it('mulDiv floors, mulDivRoundingUp ceils, both refuse a quotient above uint256', () => {
    fc.assert(
      fc.property(bigUint(256), bigUint(256), bigUint(256), (a, b, d) => {
        const exact = (a * b) / d;
        if (exact >= 1n << 256n) {
          expect(codeOf(() => mulDiv(a, b, d))).toBe('CONCORD_ERR_AMM_OVERFLOW');
          return;
        }
        expect(mulDiv(a, b, d)).toBe(exact);
        const up = (a * b) % d === 0n ? exact : exact + 1n;
        if (up >= 1n << 256n)
          expect(codeOf(() => mulDivRoundingUp(a, b, d))).toBe('CONCORD_ERR_AMM_OVERFLOW');
        else expect(mulDivRoundingUp(a, b, d)).toBe(up);
      }),
      { numRuns: 500 },
    );
    expect(codeOf(() => mulDiv(1n, 1n, 0n))).toBe('CONCORD_ERR_AMM_INVALID_INPUT');
  });
});

async function compareExactInput(pool: V3PoolState, zeroForOne: boolean, x: bigint, limit?: bigint) {
  const ours = swapExactInput(pool, zeroForOne, x, limit);
  const sdk = sdkPool(pool);
  if (sdk === null) return ours;
  const [out, after] = await sdk.getOutputAmount(
    amount(zeroForOne ? TOKEN0 : TOKEN1, x),
    limit === undefined ? undefined : jsbi(limit),
  );
  expect(ours.amountOut).toBe(big(out.quotient));
  expect(ours.sqrtPriceX96).toBe(big(after.sqrtRatioX96));
  expect(ours.tick).toBe(after.tickCurrent);
  expect(ours.liquidity).toBe(big(after.liquidity));
  return ours;
}

async function compareExactOutput(pool: V3PoolState, zeroForOne: boolean, y: bigint, limit?: bigint) {
  const ours = swapExactOutput(pool, zeroForOne, y, limit);
  const sdk = sdkPool(pool);
  if (sdk === null) return ours;
  const [input, after] = await sdk.getInputAmount(
    amount(zeroForOne ? TOKEN1 : TOKEN0, y),
    limit === undefined ? undefined : jsbi(limit),
  );
  expect(ours.amountIn).toBe(big(input.quotient));
  expect(ours.sqrtPriceX96).toBe(big(after.sqrtRatioX96));
  expect(ours.tick).toBe(after.tickCurrent);
  expect(ours.liquidity).toBe(big(after.liquidity));
  return ours;
}

describe('V3 swaps across ticks equal @uniswap/v3-sdk Pool to the wei', () => {
  it('random pools are valid states', () => {
    fc.assert(
      fc.property(arbitraryPool(), (pool) => {
        validateV3Pool(pool);
      }),
      { numRuns: 200 },
    );
  });

  it('exact input, both directions, amounts from 1 wei to past all liquidity', async () => {
    let crossedMany = 0;
    let incomplete = 0;
    await fc.assert(
      fc.asyncProperty(
        arbitraryPool(),
        fc.boolean(),
        fc.oneof({ arbitrary: bigUint(100), weight: 8 }, { arbitrary: bigUint(140), weight: 1 }),
        async (pool, zeroForOne, x) => {
          const r = await compareExactInput(pool, zeroForOne, x);
          if (r.ticksCrossed >= 5) crossedMany++;
          if (!r.complete) incomplete++;
          expect(r.amountIn).toBeLessThanOrEqual(x);
          if (r.complete) expect(r.amountIn).toBe(x);
        },
      ),
      { numRuns: 300 },
    );
    // The generator must reach the interesting regions, or this test proves little.
    expect(crossedMany).toBeGreaterThan(20);
    expect(incomplete).toBeGreaterThan(5);
  }, 240_000);

  it('exact output, both directions', async () => {
    let complete = 0;
    await fc.assert(
      fc.asyncProperty(
        arbitraryPool(),
        fc.boolean(),
        fc.oneof({ arbitrary: bigUint(100), weight: 8 }, { arbitrary: bigUint(120), weight: 1 }),
        async (pool, zeroForOne, y) => {
          const r = await compareExactOutput(pool, zeroForOne, y);
          if (r.complete) {
            complete++;
            expect(r.amountOut).toBe(y);
          } else expect(r.amountOut).toBeLessThan(y);
        },
      ),
      { numRuns: 300 },
    );
    expect(complete).toBeGreaterThan(50);
  }, 240_000);

  it('with a price limit: the swap stops at the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbitraryPool(),
        fc.boolean(),
        bigUint(140),
        fc.integer({ min: 1, max: 5000 }),
        fc.boolean(),
        async (pool, zeroForOne, x, ticksAway, exactIn) => {
          const limitTick = zeroForOne
            ? Math.max(MIN_TICK, pool.tick - ticksAway)
            : Math.min(MAX_TICK, pool.tick + ticksAway);
          const limit = getSqrtRatioAtTick(limitTick);
          if (zeroForOne ? limit >= pool.sqrtPriceX96 : limit <= pool.sqrtPriceX96) return;
          const r = exactIn
            ? await compareExactInput(pool, zeroForOne, x, limit)
            : await compareExactOutput(pool, zeroForOne, x, limit);
          if (zeroForOne) expect(r.sqrtPriceX96).toBeGreaterThanOrEqual(limit);
          else expect(r.sqrtPriceX96).toBeLessThanOrEqual(limit);
          if (!r.complete) expect(r.sqrtPriceX96).toBe(limit);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splitting an exact input never gives more than one swap (rounding favours the pool)', () => {
    fc.assert(
      fc.property(
        arbitraryPool(),
        fc.boolean(),
        bigUint(100, 2),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (pool, zeroForOne, x, share) => {
          const first = BigInt(Math.floor(Number(x) * share)) || 1n;
          if (first >= x) return;
          const whole = swapExactInput(pool, zeroForOne, x);
          const a = swapExactInput(pool, zeroForOne, first);
          if (!a.complete) return;
          const b = swapExactInput(
            { ...pool, sqrtPriceX96: a.sqrtPriceX96, tick: a.tick, liquidity: a.liquidity },
            zeroForOne,
            x - first,
          );
          expect(a.amountOut + b.amountOut).toBeLessThanOrEqual(whole.amountOut);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('V3 edge cases', () => {
  const spacing = 60;

  it('zero liquidity in range: the swap skips the gap and trades in the next range (SDK agrees)', async () => {
    const pool = poolFromPositions(3000, spacing, getSqrtRatioAtTick(0), 0, [
      { lower: -6000, upper: -3000, liquidity: 10n ** 20n },
      { lower: 3000, upper: 6000, liquidity: 10n ** 20n },
    ]);
    expect(pool.liquidity).toBe(0n);
    for (const zeroForOne of [true, false]) {
      const r = await compareExactInput(pool, zeroForOne, 10n ** 16n);
      expect(r.amountOut).toBeGreaterThan(0n);
      expect(zeroForOne ? r.tick < -3000 : r.tick >= 3000).toBe(true);
    }
  });

  it('no liquidity at all: nothing comes out and the price runs to the limit', () => {
    const pool: V3PoolState = {
      sqrtPriceX96: 1n << 96n,
      tick: 0,
      liquidity: 0n,
      fee: 3000,
      tickSpacing: 200,
      ticks: [],
    };
    const r = swapExactInput(pool, true, 10n ** 18n);
    expect(r.amountOut).toBe(0n);
    expect(r.amountIn).toBe(0n);
    expect(r.complete).toBe(false);
    expect(r.sqrtPriceX96).toBe(MIN_SQRT_RATIO + 1n);
    const up = swapExactOutput(pool, false, 5n);
    expect(up.amountOut).toBe(0n);
    expect(up.sqrtPriceX96).toBe(MAX_SQRT_RATIO - 1n);
  });

  it('crossing hundreds of initialised ticks in one swap', async () => {
    const positions = Array.from({ length: 300 }, (_, i) => ({
      lower: (i - 150) * spacing,
      upper: (i - 149) * spacing,
      liquidity: 10n ** 18n + BigInt(i) * 10n ** 15n,
    }));
    const pool = poolFromPositions(3000, spacing, getSqrtRatioAtTick(30), 30, positions);
    validateV3Pool(pool);
    const r = await compareExactInput(pool, true, 10n ** 24n);
    expect(r.ticksCrossed).toBeGreaterThan(140);
    const back = await compareExactOutput(pool, false, 10n ** 17n);
    expect(back.complete).toBe(true);
  });

  it('the price can run to the minimum and maximum ticks of a full-range pool', async () => {
    const lo = Math.ceil(MIN_TICK / spacing) * spacing;
    const hi = Math.floor(MAX_TICK / spacing) * spacing;
    const pool = poolFromPositions(3000, spacing, getSqrtRatioAtTick(0), 0, [
      { lower: lo, upper: hi, liquidity: 10n ** 6n },
    ]);
    const down = await compareExactInput(pool, true, 1n << 120n);
    expect(down.complete).toBe(false);
    expect(down.sqrtPriceX96).toBe(MIN_SQRT_RATIO + 1n);
    expect(down.tick).toBe(MIN_TICK);
    const up = await compareExactInput(pool, false, 1n << 120n);
    expect(up.sqrtPriceX96).toBe(MAX_SQRT_RATIO - 1n);
    expect(up.tick).toBe(MAX_TICK - 1);
  });

  it('word boundaries of the tick bitmap bound every step, as TickBitmap does', () => {
    const ticks = [
      { index: -600, liquidityNet: 1n },
      { index: 600, liquidityNet: -1n },
    ];
    // lte from tick 0 (compressed 0, word 0 starts at tick 0): the word start, not tick −600.
    expect(nextInitializedTickWithinOneWord(ticks, 0, true, 1)).toMatchObject({
      tick: 0,
      initialized: false,
    });
    expect(nextInitializedTickWithinOneWord(ticks, -1, true, 1)).toMatchObject({
      tick: -256,
      initialized: false,
    });
    expect(nextInitializedTickWithinOneWord(ticks, -1, true, 60)).toMatchObject({
      tick: -600,
      initialized: true,
    });
    expect(nextInitializedTickWithinOneWord(ticks, 0, false, 1)).toMatchObject({
      tick: 255,
      initialized: false,
    });
    expect(nextInitializedTickWithinOneWord(ticks, 255, false, 1)).toMatchObject({
      tick: 511,
      initialized: false,
    });
    expect(nextInitializedTickWithinOneWord(ticks, 0, false, 60)).toMatchObject({
      tick: 600,
      initialized: true,
    });
  });

  it('bad price limits, amounts and pool states are refused with coded errors', () => {
    const pool = poolFromPositions(3000, spacing, getSqrtRatioAtTick(0), 0, [
      { lower: -600, upper: 600, liquidity: 10n ** 18n },
    ]);
    expect(codeOf(() => swapExactInput(pool, true, 1n, pool.sqrtPriceX96 + 1n))).toBe(
      'CONCORD_ERR_AMM_PRICE_LIMIT',
    );
    expect(codeOf(() => swapExactInput(pool, true, 1n, MIN_SQRT_RATIO))).toBe('CONCORD_ERR_AMM_PRICE_LIMIT');
    expect(codeOf(() => swapExactInput(pool, false, 1n, MAX_SQRT_RATIO))).toBe('CONCORD_ERR_AMM_PRICE_LIMIT');
    expect(codeOf(() => swapExactInput(pool, true, 0n))).toBe('CONCORD_ERR_AMM_INVALID_INPUT');
    expect(codeOf(() => swapExactInput(pool, true, 1n << 255n))).toBe('CONCORD_ERR_AMM_INVALID_INPUT');
    expect(codeOf(() => validateV3Pool({ ...pool, liquidity: pool.liquidity + 1n }))).toBe(
      'CONCORD_ERR_AMM_POOL_INVALID',
    );
    expect(codeOf(() => validateV3Pool({ ...pool, tick: 7 }))).toBe('CONCORD_ERR_AMM_POOL_INVALID');
    expect(codeOf(() => validateV3Pool({ ...pool, ticks: [...pool.ticks].reverse() }))).toBe(
      'CONCORD_ERR_AMM_POOL_INVALID',
    );
    expect(
      codeOf(() =>
        validateV3Pool({
          ...pool,
          ticks: [
            { index: -601, liquidityNet: 1n },
            { index: 600, liquidityNet: -1n },
          ],
        }),
      ),
    ).toBe('CONCORD_ERR_AMM_POOL_INVALID');
    // A tick list whose crossing would take liquidity below zero is refused mid-swap.
    const broken: V3PoolState = {
      ...pool,
      ticks: [
        { index: -600, liquidityNet: 10n ** 19n },
        { index: 600, liquidityNet: -(10n ** 19n) },
      ],
    };
    expect(codeOf(() => swapExactInput(broken, true, 10n ** 30n))).toBe('CONCORD_ERR_AMM_POOL_INVALID');
  });

  it('an input whose price step would overflow uint160 is refused', () => {
    // A tiny liquidity near the top of the range: adding token1 pushes √price past 160 bits.
    const t = MAX_TICK - 1;
    const pool = poolFromPositions(100, 1, getSqrtRatioAtTick(t), t, [
      { lower: t - 1, upper: MAX_TICK, liquidity: 1n },
    ]);
    const code = codeOf(() => swapExactInput(pool, false, 1n << 200n, MAX_SQRT_RATIO - 1n));
    // Either the contract's uint160 cast would revert, or the step stops at the limit price.
    expect([undefined, 'CONCORD_ERR_AMM_OVERFLOW']).toContain(code);
  });
});
