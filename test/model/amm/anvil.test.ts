/**
 * Concord's AMM maths against the real Uniswap contracts on a local EVM: anvil (from npm,
 * @foundry-rs/anvil), the compiled V2 factory/pair/Router02 and V3 factory/pool/QuoterV2/
 * SwapRouter/NonfungiblePositionManager from their npm packages. Quotes must equal the router's
 * getAmountsOut/getAmountsIn and the quoter to the wei, refusals must match reverts, and a few
 * real swaps must pay out exactly the quoted amounts.
 *
 * Without the anvil binary this suite is skipped with a warning naming the missing package,
 * except under CI (CI set), where that is a failure.
 */
import type { Address } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConcordError, Random } from '../../../src/core/index.ts';
import {
  getAmountIn,
  getAmountOut,
  getSqrtRatioAtTick,
  swapExactInput,
  swapExactOutput,
  type V3PoolState,
  type V3Tick,
  validateV3Pool,
} from '../../../src/model/amm/index.ts';
import {
  type Anvil,
  approveAll,
  createV2Pair,
  deployTokens,
  deployUniswap,
  FAR_DEADLINE,
  FEE_SPACING,
  skipWithoutAnvil,
  startAnvil,
  UNISWAP,
} from '../../helpers/anvil.ts';

const SKIP = skipWithoutAnvil('anvil.test');

describe.skipIf(SKIP)('AMM maths = the real Uniswap contracts on anvil', () => {
  let anvil: Anvil;
  const rng = new Random(20261203);
  const deadline = FAR_DEADLINE;
  const A = UNISWAP;
  let tokens: Address[] = [];
  let router02: Address;
  let v2Factory: Address;
  let quoter: Address;
  let swapRouter: Address;
  const v3Pools: Array<{
    address: Address;
    token0: Address;
    token1: Address;
    fee: number;
    boundaries: number[];
  }> = [];

  const send: Anvil['send'] = (...args) => anvil.send(...args);
  const read = <T>(...args: Parameters<Anvil['read']>) => anvil.read<T>(...args);

  beforeAll(async () => {
    anvil = await startAnvil();
    // Three tokens, sorted by address so token0/token1 are known.
    tokens = await deployTokens(anvil, 3);
    const uni = await deployUniswap(anvil);
    ({ v2Factory, router02, quoter, swapRouter } = uni);
    const npm = uni.npm;
    const v3Factory = uni.v3Factory;
    await approveAll(anvil, tokens, [router02, npm, swapRouter]);

    // V2 pairs with random reserves (tokens sent to the pair, then mint).
    for (const [i, j] of [
      [0, 1],
      [1, 2],
      [0, 2],
    ] as const) {
      const amountI = BigInt(Math.floor(10 ** rng.uniform(18, 26)));
      const amountJ = BigInt(Math.floor(10 ** rng.uniform(18, 26)));
      await createV2Pair(anvil, v2Factory, tokens[i] as Address, tokens[j] as Address, amountI, amountJ);
    }

    // V3 pools: a random price, positions of random widths around it (some crossing, some one-sided).
    for (const [i, j, fee] of [
      [0, 1, 3000],
      [1, 2, 500],
    ] as const) {
      const spacing = FEE_SPACING[fee] as number;
      const tick = Math.round(rng.uniform(-3000, 3000));
      await send(npm, A.npm.abi, 'createAndInitializePoolIfNecessary', [
        tokens[i],
        tokens[j],
        fee,
        getSqrtRatioAtTick(tick) + BigInt(rng.int(1_000_000)),
      ]);
      const boundaries = new Set<number>();
      for (let k = 0; k < 10; k++) {
        const lower = (Math.floor(tick / spacing) + Math.round(rng.uniform(-60, 40))) * spacing;
        const upper = lower + (1 + rng.int(50)) * spacing;
        boundaries.add(lower).add(upper);
        await send(npm, A.npm.abi, 'mint', [
          {
            token0: tokens[i],
            token1: tokens[j],
            fee,
            tickLower: lower,
            tickUpper: upper,
            amount0Desired: BigInt(Math.floor(10 ** rng.uniform(19, 24))),
            amount1Desired: BigInt(Math.floor(10 ** rng.uniform(19, 24))),
            amount0Min: 0n,
            amount1Min: 0n,
            recipient: anvil.account.address,
            deadline,
          },
        ]);
      }
      const address = await read<Address>(v3Factory, A.v3Factory.abi, 'getPool', [tokens[i], tokens[j], fee]);
      v3Pools.push({
        address,
        token0: tokens[i] as Address,
        token1: tokens[j] as Address,
        fee,
        boundaries: [...boundaries],
      });
    }
  }, 60_000);

  afterAll(async () => {
    await anvil?.stop();
  });

  async function v3State(pool: (typeof v3Pools)[number]): Promise<V3PoolState> {
    const [sqrtPriceX96, tick] = await read<readonly [bigint, number]>(pool.address, A.v3Pool.abi, 'slot0');
    const liquidity = await read<bigint>(pool.address, A.v3Pool.abi, 'liquidity');
    const ticks: V3Tick[] = [];
    for (const index of [...pool.boundaries].sort((a, b) => a - b)) {
      const info = await read<readonly [bigint, bigint]>(pool.address, A.v3Pool.abi, 'ticks', [index]);
      if (info[1] !== 0n) ticks.push({ index, liquidityNet: info[1] });
    }
    const state = {
      sqrtPriceX96,
      tick,
      liquidity,
      fee: pool.fee,
      tickSpacing: FEE_SPACING[pool.fee] as number,
      ticks,
    };
    validateV3Pool(state);
    return state;
  }

  async function reserves(tIn: Address, tOut: Address): Promise<[bigint, bigint]> {
    const pair = await read<Address>(v2Factory, A.v2Factory.abi, 'getPair', [tIn, tOut]);
    const [r0, r1] = await read<readonly [bigint, bigint, number]>(pair, A.v2Pair.abi, 'getReserves');
    return tIn.toLowerCase() < tOut.toLowerCase() ? [r0, r1] : [r1, r0];
  }

  /** Ours: a chained quote, or the code of the error that refused it. */
  async function oursOut(path: Address[], amountIn: bigint): Promise<bigint[] | string> {
    const amounts = [amountIn];
    try {
      for (let k = 0; k + 1 < path.length; k++) {
        const [rIn, rOut] = await reserves(path[k] as Address, path[k + 1] as Address);
        amounts.push(getAmountOut(amounts[k] as bigint, rIn, rOut));
      }
    } catch (err) {
      if (isConcordError(err)) return err.code;
      throw err;
    }
    return amounts;
  }

  async function oursIn(path: Address[], amountOut: bigint): Promise<bigint[] | string> {
    const amounts = [amountOut];
    try {
      for (let k = path.length - 1; k > 0; k--) {
        const [rIn, rOut] = await reserves(path[k - 1] as Address, path[k] as Address);
        amounts.unshift(getAmountIn(amounts[0] as bigint, rIn, rOut));
      }
    } catch (err) {
      if (isConcordError(err)) return err.code;
      throw err;
    }
    return amounts;
  }

  async function routerCall(functionName: 'getAmountsOut' | 'getAmountsIn', amount: bigint, path: Address[]) {
    try {
      return [...(await read<readonly bigint[]>(router02, A.router02.abi, functionName, [amount, path]))];
    } catch {
      return 'reverted';
    }
  }

  it('V2: Router02 getAmountsOut / getAmountsIn = ours on 100 random paths, reverts = refusals', async () => {
    const [a, b, c] = tokens as [Address, Address, Address];
    const paths: Address[][] = [
      [a, b],
      [b, a],
      [b, c],
      [c, a],
      [a, b, c],
      [c, b, a],
      [a, c, b],
    ];
    let equal = 0;
    let refused = 0;
    for (let n = 0; n < 100; n++) {
      const path = paths[rng.int(paths.length)] as Address[];
      // Mostly realistic sizes, some dust, some beyond uint256 products (the router reverts).
      const amount =
        n % 10 === 9 ? 2n ** BigInt(150 + rng.int(100)) : BigInt(Math.floor(10 ** rng.uniform(0, 25)));
      const exactIn = n % 2 === 0;
      const theirs = await routerCall(exactIn ? 'getAmountsOut' : 'getAmountsIn', amount, path);
      const ours = exactIn ? await oursOut(path, amount) : await oursIn(path, amount);
      if (theirs === 'reverted') {
        expect(typeof ours).toBe('string');
        refused++;
      } else {
        expect(ours).toEqual(theirs);
        equal++;
      }
    }
    expect(equal).toBeGreaterThan(60);
    expect(refused).toBeGreaterThan(5);
  }, 60_000);

  it('V3: QuoterV2 exact input and exact output = ours on 100 random swaps (with and without price limits)', async () => {
    let compared = 0;
    let crossed = 0;
    for (let n = 0; n < 100; n++) {
      const pool = v3Pools[n % v3Pools.length] as (typeof v3Pools)[number];
      const state = await v3State(pool);
      const zeroForOne = rng.bool();
      const exactIn = rng.bool(0.6);
      const amount = BigInt(Math.floor(10 ** rng.uniform(2, exactIn ? 25 : 23)));
      const withLimit = rng.bool(0.25);
      const limitTick = zeroForOne ? state.tick - 1 - rng.int(3000) : state.tick + 1 + rng.int(3000);
      const limit = withLimit ? getSqrtRatioAtTick(limitTick) : undefined;
      const ours = exactIn
        ? swapExactInput(state, zeroForOne, amount, limit)
        : swapExactOutput(state, zeroForOne, amount, limit);
      const params = {
        tokenIn: zeroForOne ? pool.token0 : pool.token1,
        tokenOut: zeroForOne ? pool.token1 : pool.token0,
        fee: pool.fee,
        sqrtPriceLimitX96: limit ?? 0n,
        ...(exactIn ? { amountIn: amount } : { amount }),
      };
      let theirs: readonly [bigint, bigint, number, bigint] | 'reverted';
      try {
        theirs = (
          await anvil.pub.simulateContract({
            address: quoter,
            abi: A.quoter.abi,
            functionName: exactIn ? 'quoteExactInputSingle' : 'quoteExactOutputSingle',
            args: [params],
          })
        ).result as readonly [bigint, bigint, number, bigint];
      } catch {
        theirs = 'reverted';
      }
      if (!exactIn && !ours.complete && limit === undefined) {
        // QuoterV2 refuses an exact output the pool cannot fill.
        expect(theirs).toBe('reverted');
        continue;
      }
      expect(theirs).not.toBe('reverted');
      if (theirs === 'reverted') continue;
      expect(exactIn ? ours.amountOut : ours.amountIn).toBe(theirs[0]);
      expect(ours.sqrtPriceX96).toBe(theirs[1]);
      compared++;
      if (ours.ticksCrossed > 0) crossed++;
    }
    expect(compared).toBeGreaterThan(80);
    expect(crossed).toBeGreaterThan(10);
  }, 60_000);

  it('real swaps through Router02 and SwapRouter pay exactly what we quote', async () => {
    const [a, b, c] = tokens as [Address, Address, Address];
    const balance = (t: Address) => read<bigint>(t, A.erc20.abi, 'balanceOf', [anvil.account.address]);
    for (let n = 0; n < 5; n++) {
      const path = n % 2 === 0 ? [a, b, c] : [c, a];
      const amountIn = BigInt(Math.floor(10 ** rng.uniform(15, 21)));
      const quoted = (await oursOut(path, amountIn)) as bigint[];
      const out = path[path.length - 1] as Address;
      const before = await balance(out);
      await send(router02, A.router02.abi, 'swapExactTokensForTokens', [
        amountIn,
        0n,
        path,
        anvil.account.address,
        deadline,
      ]);
      expect((await balance(out)) - before).toBe(quoted[quoted.length - 1]);
    }
    for (let n = 0; n < 6; n++) {
      const pool = v3Pools[n % v3Pools.length] as (typeof v3Pools)[number];
      const state = await v3State(pool);
      const zeroForOne = n % 3 !== 0;
      const amountIn = BigInt(Math.floor(10 ** rng.uniform(18, 23)));
      const ours = swapExactInput(state, zeroForOne, amountIn);
      const tokenOut = zeroForOne ? pool.token1 : pool.token0;
      const before = await balance(tokenOut);
      await send(swapRouter, A.swapRouter.abi, 'exactInputSingle', [
        {
          tokenIn: zeroForOne ? pool.token0 : pool.token1,
          tokenOut,
          fee: pool.fee,
          recipient: anvil.account.address,
          deadline,
          amountIn,
          amountOutMinimum: 0n,
          sqrtPriceLimitX96: 0n,
        },
      ]);
      expect((await balance(tokenOut)) - before).toBe(ours.amountOut);
      const [sqrtAfter] = await read<readonly [bigint, number]>(pool.address, A.v3Pool.abi, 'slot0');
      expect(sqrtAfter).toBe(ours.sqrtPriceX96);
    }
  }, 60_000);
});
