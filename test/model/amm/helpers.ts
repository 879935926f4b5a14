/**
 * Random concentrated-liquidity pools for property tests, and their twins in @uniswap/v3-sdk
 * (the oracle: it reproduces the contract's arithmetic exactly).
 */
import { CurrencyAmount, Token } from '@uniswap/sdk-core';
import { Pool, Tick, TickListDataProvider } from '@uniswap/v3-sdk';
import fc from 'fast-check';
import {
  getSqrtRatioAtTick,
  MAX_TICK,
  MIN_TICK,
  type V3PoolState,
  type V3Tick,
} from '../../../src/model/amm/index.ts';

export const TOKEN0 = new Token(1, '0x0000000000000000000000000000000000000001', 18, 'T0');
export const TOKEN1 = new Token(1, '0x0000000000000000000000000000000000000002', 18, 'T1');

/** The fee tiers the SDK knows, with the tick spacing it implies. */
export const FEE_TIERS: ReadonlyArray<readonly [number, number]> = [
  [100, 1],
  [500, 10],
  [3000, 60],
  [10000, 200],
  [400, 8],
];

/** A positive bigint of a random bit length in [1, maxBits]: small and huge values alike. */
export function bigUint(maxBits: number, minBits = 1): fc.Arbitrary<bigint> {
  return fc
    .integer({ min: minBits, max: maxBits })
    .chain((bits) =>
      fc.bigInt({ min: bits === 1 ? 1n : 1n << BigInt(bits - 1), max: (1n << BigInt(bits)) - 1n }),
    );
}

export interface PositionSpec {
  readonly lower: number;
  readonly upper: number;
  readonly liquidity: bigint;
}

/** Builds a valid pool state from positions (ticks with their net liquidity, in-range liquidity). */
export function poolFromPositions(
  fee: number,
  tickSpacing: number,
  sqrtPriceX96: bigint,
  tick: number,
  positions: readonly PositionSpec[],
): V3PoolState {
  const net = new Map<number, bigint>();
  let liquidity = 0n;
  for (const p of positions) {
    net.set(p.lower, (net.get(p.lower) ?? 0n) + p.liquidity);
    net.set(p.upper, (net.get(p.upper) ?? 0n) - p.liquidity);
    if (p.lower <= tick && tick < p.upper) liquidity += p.liquidity;
  }
  const ticks: V3Tick[] = [...net.entries()]
    .filter(([, n]) => n !== 0n)
    .sort((a, b) => a[0] - b[0])
    .map(([index, liquidityNet]) => ({ index, liquidityNet }));
  return { sqrtPriceX96, tick, liquidity, fee, tickSpacing, ticks };
}

const usableMin = (s: number) => Math.ceil(MIN_TICK / s) * s;
const usableMax = (s: number) => Math.floor(MAX_TICK / s) * s;

/**
 * A random pool: a fee tier, a current price anywhere in a tick (or exactly on its lower bound),
 * narrow positions around it (so swaps cross many ticks and bitmap words), a few wide ones, and
 * sometimes a full-range one.
 */
export function arbitraryPool(
  options: { tickRange?: number; maxPositions?: number } = {},
): fc.Arbitrary<V3PoolState> {
  const tickRange = options.tickRange ?? 60_000;
  return fc
    .record({
      tier: fc.constantFrom(...FEE_TIERS),
      tick: fc.integer({ min: -tickRange, max: tickRange }),
      offset: fc.oneof(fc.constant(0n), bigUint(96)),
      narrow: fc.array(
        fc.record({
          a: fc.integer({ min: -300, max: 300 }),
          w: fc.integer({ min: 1, max: 40 }),
          l: bigUint(90, 20),
        }),
        { minLength: 1, maxLength: options.maxPositions ?? 12 },
      ),
      wide: fc.array(
        fc.record({
          a: fc.integer({ min: -4000, max: 4000 }),
          w: fc.integer({ min: 1, max: 1500 }),
          l: bigUint(100, 20),
        }),
        { maxLength: 3 },
      ),
      // Rare: a full-range position makes big swaps walk the whole tick range (slow in the SDK).
      fullRange: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 9 },
        { arbitrary: bigUint(80, 10), weight: 1 },
      ),
    })
    .map(({ tier, tick, offset, narrow, wide, fullRange }) => {
      const [fee, spacing] = tier;
      const lower = getSqrtRatioAtTick(tick);
      const width = getSqrtRatioAtTick(tick + 1) - lower;
      const sqrtPriceX96 = lower + (offset % width);
      const base = Math.floor(tick / spacing);
      const positions: PositionSpec[] = [];
      const clamp = (t: number) => Math.max(usableMin(spacing), Math.min(usableMax(spacing), t));
      for (const { a, w, l } of [...narrow, ...wide]) {
        const lo = clamp((base + a) * spacing);
        const hi = clamp(lo + w * spacing);
        if (hi > lo) positions.push({ lower: lo, upper: hi, liquidity: l });
      }
      if (fullRange !== undefined)
        positions.push({ lower: usableMin(spacing), upper: usableMax(spacing), liquidity: fullRange });
      return poolFromPositions(fee, spacing, sqrtPriceX96, tick, positions);
    });
}

/** The same pool in @uniswap/v3-sdk (null when the SDK cannot represent it: no initialised tick). */
export function sdkPool(pool: V3PoolState): Pool | null {
  if (pool.ticks.length === 0) return null;
  const ticks = pool.ticks.map(
    (t) =>
      new Tick({
        index: t.index,
        liquidityGross: (t.liquidityNet < 0n ? -t.liquidityNet : t.liquidityNet).toString(),
        liquidityNet: t.liquidityNet.toString(),
      }),
  );
  return new Pool(
    TOKEN0,
    TOKEN1,
    pool.fee,
    pool.sqrtPriceX96.toString(),
    pool.liquidity.toString(),
    pool.tick,
    new TickListDataProvider(ticks, pool.tickSpacing),
  );
}

/** A JSBI value (what the SDK's functions take), without importing jsbi directly. */
export const jsbi = (x: bigint) => CurrencyAmount.fromRawAmount(TOKEN0, x.toString()).quotient;
export const amount = (token: Token, x: bigint) => CurrencyAmount.fromRawAmount(token, x.toString());
export const big = (x: { toString(): string }) => BigInt(x.toString());
