/**
 * An arbitrage market on anvil: WETH and two tokens A and B, the real Uniswap contracts, two V2
 * pairs (WETH/A on "uniswap-v2", A/B on "sushiswap") and a V3 pool (B/WETH, 0.30 %), balanced at
 * 1 WETH = 2000 A = 2000 B; Concord's executor owned by the dev account and funded with WETH; a
 * pool syncer over the three pools; the chain's gas model with a fixed 1 gwei tip.
 */
import { type Address, parseAbi } from 'viem';
import { expect } from 'vitest';
import { ArbitrageGraph, type CycleOpportunity } from '../../../src/agents/library/dex-arbitrage/graph.ts';
import { getSqrtRatioAtTick } from '../../../src/model/amm/index.ts';
import {
  type CallRequest,
  CONCORD_EXECUTOR,
  EXECUTOR_ABI,
  encodeExecute,
  executorHops,
  GasModel,
  PoolSyncer,
  parseEvmChainConfig,
  parsePoolList,
  poolsFromList,
} from '../../../src/venues/evm/index.ts';
import {
  type Anvil,
  approveAll,
  createV2Pair,
  deployTokens,
  deployUniswap,
  FAR_DEADLINE,
  UNISWAP,
  type UniswapDeployment,
} from '../../helpers/anvil.ts';

export const E18 = 10n ** 18n;
const WETH_ABI = parseAbi(['function deposit() payable']);

export interface ArbMarket {
  readonly anvil: Anvil;
  readonly uni: UniswapDeployment;
  readonly weth: Address;
  readonly tokenA: Address;
  readonly tokenB: Address;
  readonly executor: Address;
  readonly syncer: PoolSyncer;
  readonly gas: GasModel;
  /** Dumps `amountB` of B for A in the A/B pair: WETH → A → B → WETH then pays. */
  dislocate(amountB: bigint): Promise<void>;
  /** Syncs, then the most profitable cycle from WETH (fails the test when there is none). */
  bestCycle(): Promise<CycleOpportunity>;
  /** The executor call of a cycle, with a deadline `deadlineIn` blocks after the synced head. */
  executeCall(
    opportunity: CycleOpportunity,
    minProfit: bigint,
    options?: { from?: Address; deadlineIn?: bigint },
  ): CallRequest;
  balanceOf(token: Address, who: Address): Promise<bigint>;
}

export async function buildArbMarket(anvil: Anvil): Promise<ArbMarket> {
  const uni = await deployUniswap(anvil);
  const weth = uni.weth;
  const [tokenA, tokenB] = (await deployTokens(anvil, 2)) as [Address, Address];
  const hash = await anvil.wallet.writeContract({
    address: weth,
    abi: WETH_ABI,
    functionName: 'deposit',
    value: 1_000n * E18,
    account: anvil.account,
    chain: anvil.wallet.chain,
  });
  await anvil.pub.waitForTransactionReceipt({ hash });
  await approveAll(anvil, [weth, tokenA, tokenB], [uni.router02, uni.npm, uni.swapRouter]);

  const pairWethA = await createV2Pair(anvil, uni.v2Factory, weth, tokenA, 100n * E18, 200_000n * E18);
  const pairAB = await createV2Pair(anvil, uni.v2Factory, tokenA, tokenB, 1_000_000n * E18, 1_000_000n * E18);
  const wethIs0 = weth.toLowerCase() < tokenB.toLowerCase();
  const [t0, t1] = wethIs0 ? [weth, tokenB] : [tokenB, weth];
  const tick = wethIs0 ? 76013 : -76013; // price token1/token0 = 2000 or 1/2000
  await anvil.send(uni.npm, UNISWAP.npm.abi, 'createAndInitializePoolIfNecessary', [
    t0,
    t1,
    3000,
    getSqrtRatioAtTick(tick),
  ]);
  const centre = Math.floor(tick / 60) * 60;
  await anvil.send(uni.npm, UNISWAP.npm.abi, 'mint', [
    {
      token0: t0,
      token1: t1,
      fee: 3000,
      tickLower: centre - 6000,
      tickUpper: centre + 6000,
      amount0Desired: wethIs0 ? 100n * E18 : 200_000n * E18,
      amount1Desired: wethIs0 ? 200_000n * E18 : 100n * E18,
      amount0Min: 0n,
      amount1Min: 0n,
      recipient: anvil.account.address,
      deadline: FAR_DEADLINE,
    },
  ]);
  const v3Pool = await anvil.read<Address>(uni.v3Factory, UNISWAP.v3Factory.abi, 'getPool', [t0, t1, 3000]);

  const executor = await anvil.deploy({ abi: EXECUTOR_ABI, bytecode: CONCORD_EXECUTOR.bytecode }, [
    anvil.account.address,
  ]);
  await anvil.send(weth, UNISWAP.erc20.abi, 'transfer', [executor, 100n * E18]);

  const config = parseEvmChainConfig({
    chain: 'anvil',
    rpc: { http: anvil.url },
    gas: { priorityFee: { kind: 'fixed', wei: '1000000000' } },
  });
  const gas = new GasModel(config.gas, anvil.pub, anvil.url);
  const pools = await poolsFromList(
    anvil.pub,
    anvil.url,
    parsePoolList([
      { address: pairWethA, protocol: 'uniswap-v2', dex: 'uniswap-v2' },
      { address: pairAB, protocol: 'uniswap-v2', dex: 'sushiswap' },
      { address: v3Pool, protocol: 'uniswap-v3', dex: 'uniswap-v3' },
    ]),
  );
  const syncer = new PoolSyncer(anvil.pub, pools, {
    venue: 'evm-31337',
    chainId: 31337,
    endpoint: anvil.url,
  });
  await syncer.start();

  return {
    anvil,
    uni,
    weth,
    tokenA,
    tokenB,
    executor,
    syncer,
    gas,
    async dislocate(amountB) {
      await anvil.send(uni.router02, UNISWAP.router02.abi, 'swapExactTokensForTokens', [
        amountB,
        0n,
        [tokenB, tokenA],
        anvil.account.address,
        FAR_DEADLINE,
      ]);
    },
    async bestCycle() {
      await syncer.sync();
      const graph = new ArbitrageGraph(syncer.graphInputs(), weth, { maxHops: 3 });
      const best = graph.scan()[0];
      expect(best, 'no profitable cycle found').toBeDefined();
      return best as CycleOpportunity;
    },
    executeCall(opportunity, minProfit, options = {}) {
      const hops = executorHops(opportunity, (a) => syncer.info(a));
      const deadlineBlock = syncer.head.number + (options.deadlineIn ?? 2n);
      return {
        from: options.from ?? anvil.account.address,
        to: executor,
        data: encodeExecute({ amountIn: opportunity.amountIn, hops, minProfit, deadlineBlock }),
      };
    },
    balanceOf: (token, who) => anvil.read<bigint>(token, UNISWAP.erc20.abi, 'balanceOf', [who]),
  };
}
