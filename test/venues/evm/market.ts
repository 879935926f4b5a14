/**
 * A small on-chain market for the EVM venue tests: test tokens, Uniswap V2 pairs and V3 pools
 * (positions through the real NonfungiblePositionManager), and random actions on it (swaps
 * through Router02 and SwapRouter, V3 mints and burns, V2 liquidity) that a test can send one per
 * block or several in one block.
 */
import type { Abi, Address, Hex } from 'viem';
import type { Random } from '../../../src/core/index.ts';
import { getSqrtRatioAtTick } from '../../../src/model/amm/index.ts';
import {
  type Anvil,
  approveAll,
  createV2Pair,
  deployTokens,
  deployUniswap,
  FAR_DEADLINE,
  FEE_SPACING,
  UNISWAP,
  type UniswapDeployment,
} from '../../helpers/anvil.ts';

export interface V3PoolSpec {
  readonly address: Address;
  readonly token0: Address;
  readonly token1: Address;
  readonly fee: number;
}

export interface Market {
  readonly anvil: Anvil;
  readonly uni: UniswapDeployment;
  readonly tokens: Address[];
  readonly v2Pairs: Address[];
  readonly v3Pools: V3PoolSpec[];
  /** NonfungiblePositionManager positions still holding liquidity (those not kept). */
  readonly positions: { tokenId: bigint; liquidity: bigint }[];
  /** Positions never burnt. */
  readonly kept: Set<bigint>;
}

export interface Call {
  readonly address: Address;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args: unknown[];
}

const big = (rng: Random, lo: number, hi: number) => BigInt(Math.floor(10 ** rng.uniform(lo, hi)));

/** Three tokens, pairs 0–1 and 1–2, V3 pools 0–1 (0.30 %) and 1–2 (0.05 %) with a few positions. */
export async function buildMarket(anvil: Anvil, rng: Random): Promise<Market> {
  const tokens = await deployTokens(anvil, 3);
  const uni = await deployUniswap(anvil);
  await approveAll(anvil, tokens, [uni.router02, uni.npm, uni.swapRouter]);
  const [a, b, c] = tokens as [Address, Address, Address];
  const v2Pairs = [
    await createV2Pair(anvil, uni.v2Factory, a, b, 10n ** 24n, 2n * 10n ** 24n),
    await createV2Pair(anvil, uni.v2Factory, b, c, 3n * 10n ** 24n, 10n ** 24n),
  ];
  const market: Market = { anvil, uni, tokens, v2Pairs, v3Pools: [], positions: [], kept: new Set() };
  for (const [t0, t1, fee, tick] of [
    [a, b, 3000, 6931],
    [b, c, 500, -10986],
  ] as const) {
    await anvil.send(uni.npm, UNISWAP.npm.abi, 'createAndInitializePoolIfNecessary', [
      t0,
      t1,
      fee,
      getSqrtRatioAtTick(tick) + 12345n,
    ]);
    const address = await anvil.read<Address>(uni.v3Factory, UNISWAP.v3Factory.abi, 'getPool', [t0, t1, fee]);
    market.v3Pools.push({ address, token0: t0, token1: t1, fee });
    // A deep, wide position that is never burnt (random swaps never exhaust the pool), then narrow ones.
    const spacing = FEE_SPACING[fee] as number;
    const wide = Math.floor(20_000 / spacing) * spacing;
    const centre = Math.floor(tick / spacing) * spacing;
    await sendCall(anvil, {
      address: uni.npm,
      abi: UNISWAP.npm.abi,
      functionName: 'mint',
      args: [
        {
          token0: t0,
          token1: t1,
          fee,
          tickLower: centre - wide,
          tickUpper: centre + wide,
          amount0Desired: 10n ** 25n,
          amount1Desired: 10n ** 25n,
          amount0Min: 0n,
          amount1Min: 0n,
          recipient: anvil.account.address,
          deadline: FAR_DEADLINE,
        },
      ],
    });
    await refreshPositions(market);
    for (const p of market.positions) market.kept.add(p.tokenId);
    for (let k = 0; k < 4; k++) await sendCall(anvil, mintCall(market, rng, market.v3Pools.length - 1));
  }
  await refreshPositions(market);
  return market;
}

export async function sendCall(anvil: Anvil, call: Call): Promise<void> {
  await anvil.send(call.address, call.abi, call.functionName, call.args);
}

/** Sends calls without mining, then mines them all in one block. */
export async function sendInOneBlock(anvil: Anvil, calls: readonly Call[]): Promise<void> {
  await anvil.rpc('evm_setAutomine', [false]);
  const hashes: Hex[] = [];
  try {
    for (const call of calls)
      hashes.push(
        await anvil.wallet.writeContract({
          ...call,
          account: anvil.account,
          chain: anvil.wallet.chain,
          gas: 1_500_000n,
        }),
      );
    await anvil.rpc('evm_mine', []);
  } finally {
    await anvil.rpc('evm_setAutomine', [true]);
  }
  for (const hash of hashes) {
    const receipt = await anvil.pub.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error('a call of the block reverted');
  }
}

export function mintCall(market: Market, rng: Random, poolIndex: number): Call {
  const pool = market.v3Pools[poolIndex] as V3PoolSpec;
  const spacing = FEE_SPACING[pool.fee] as number;
  const centre = pool.fee === 3000 ? 6931 : -10986;
  const lower = (Math.floor(centre / spacing) + Math.round(rng.uniform(-40, 30))) * spacing;
  const upper = lower + (1 + rng.int(40)) * spacing;
  return {
    address: market.uni.npm,
    abi: UNISWAP.npm.abi,
    functionName: 'mint',
    args: [
      {
        token0: pool.token0,
        token1: pool.token1,
        fee: pool.fee,
        tickLower: lower,
        tickUpper: upper,
        amount0Desired: big(rng, 20, 23),
        amount1Desired: big(rng, 20, 23),
        amount0Min: 0n,
        amount1Min: 0n,
        recipient: market.anvil.account.address,
        deadline: FAR_DEADLINE,
      },
    ],
  };
}

/** Reads the position manager's positions of the dev account (token ids and their liquidity). */
export async function refreshPositions(market: Market): Promise<void> {
  const { anvil, uni } = market;
  const count = await anvil.read<bigint>(uni.npm, UNISWAP.npm.abi, 'balanceOf', [anvil.account.address]);
  market.positions.length = 0;
  for (let i = 0n; i < count; i++) {
    const tokenId = await anvil.read<bigint>(uni.npm, UNISWAP.npm.abi, 'tokenOfOwnerByIndex', [
      anvil.account.address,
      i,
    ]);
    const p = await anvil.read<readonly unknown[]>(uni.npm, UNISWAP.npm.abi, 'positions', [tokenId]);
    const liquidity = p[7] as bigint;
    if (liquidity > 0n && !market.kept.has(tokenId)) market.positions.push({ tokenId, liquidity });
  }
}

export function burnCall(market: Market, rng: Random): Call | undefined {
  const p = market.positions[rng.int(market.positions.length)];
  if (p === undefined) return undefined;
  // Half the time the whole position (its ticks may be cleared), else a part.
  const liquidity = rng.bool() ? p.liquidity : p.liquidity / BigInt(2 + rng.int(5));
  p.liquidity -= liquidity;
  if (p.liquidity === 0n) market.positions.splice(market.positions.indexOf(p), 1);
  return {
    address: market.uni.npm,
    abi: UNISWAP.npm.abi,
    functionName: 'decreaseLiquidity',
    args: [{ tokenId: p.tokenId, liquidity, amount0Min: 0n, amount1Min: 0n, deadline: FAR_DEADLINE }],
  };
}

export function v3SwapCall(market: Market, rng: Random): Call {
  const pool = market.v3Pools[rng.int(market.v3Pools.length)] as V3PoolSpec;
  const zeroForOne = rng.bool();
  return {
    address: market.uni.swapRouter,
    abi: UNISWAP.swapRouter.abi,
    functionName: 'exactInputSingle',
    args: [
      {
        tokenIn: zeroForOne ? pool.token0 : pool.token1,
        tokenOut: zeroForOne ? pool.token1 : pool.token0,
        fee: pool.fee,
        recipient: market.anvil.account.address,
        deadline: FAR_DEADLINE,
        amountIn: big(rng, 18, 21.5),
        amountOutMinimum: 0n,
        sqrtPriceLimitX96: 0n,
      },
    ],
  };
}

export function v2SwapCall(market: Market, rng: Random): Call {
  const [a, b, c] = market.tokens as [Address, Address, Address];
  const paths = [
    [a, b],
    [b, a],
    [b, c],
    [c, b],
    [a, b, c],
  ];
  return {
    address: market.uni.router02,
    abi: UNISWAP.router02.abi,
    functionName: 'swapExactTokensForTokens',
    args: [big(rng, 18, 22), 0n, paths[rng.int(paths.length)], market.anvil.account.address, FAR_DEADLINE],
  };
}

export function v2LiquidityCall(market: Market, rng: Random): Call {
  const [a, b] = market.tokens as [Address, Address];
  return {
    address: market.uni.router02,
    abi: UNISWAP.router02.abi,
    functionName: 'addLiquidity',
    args: [a, b, big(rng, 19, 22), big(rng, 19, 22), 0n, 0n, market.anvil.account.address, FAR_DEADLINE],
  };
}

/** One random action (swap, V3 mint or burn, V2 liquidity). */
export function randomCall(market: Market, rng: Random): Call {
  const r = rng.int(10);
  if (r < 3) return v3SwapCall(market, rng);
  if (r < 6) return v2SwapCall(market, rng);
  if (r < 7) return mintCall(market, rng, rng.int(market.v3Pools.length));
  if (r < 9) return burnCall(market, rng) ?? v3SwapCall(market, rng);
  return v2LiquidityCall(market, rng);
}
