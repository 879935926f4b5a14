/**
 * Concord's executor contract on anvil with the real Uniswap contracts: a test-made dislocation
 * across two V2 pairs and a V3 pool (WETH → A → B → WETH) is found by the dex-arbitrage graph on
 * the synced pool states and executed atomically; the realised profit equals the predicted one,
 * and so does the profit net of gas (gas units and price predicted before sending, measured from
 * the receipt). A minimum profit one wei too high fails the simulation gate (and reverts on
 * chain when forced); only the owner can call; no callback is taken from anyone but the pool
 * being swapped with.
 */
import {
  type Address,
  encodeFunctionData,
  type Hex,
  type PrivateKeyAccount,
  serializeTransaction,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSolc } from '../../../scripts/build-contracts.ts';
import type { CycleOpportunity } from '../../../src/agents/library/dex-arbitrage/graph.ts';
import { isConcordError } from '../../../src/core/index.ts';
import {
  decodeExecutorError,
  EXECUTOR_ABI,
  encodeExecute,
  executorDeployData,
  executorHops,
  GasModel,
  measureGas,
  parseEvmChainConfig,
  requireSimulated,
  simulate,
  submitPublic,
} from '../../../src/venues/evm/index.ts';
import { type Anvil, DEV_KEYS, skipWithoutAnvil, startAnvil } from '../../helpers/anvil.ts';
import { type ArbMarket, buildArbMarket, E18 } from './arb-market.ts';

const SKIP = skipWithoutAnvil('evm executor.test');

describe.skipIf(SKIP)('ConcordExecutor: atomic arbitrage on anvil, profit as predicted', () => {
  let anvil: Anvil;
  let m: ArbMarket;
  let weth: Address;
  let executor: Address;
  let syncer: ArbMarket['syncer'];
  let gas: ArbMarket['gas'];
  const owner = () => anvil.account;
  const balanceOf = (token: Address, who: Address) => m.balanceOf(token, who);
  const dislocate = (amountB: bigint) => m.dislocate(amountB);
  const bestCycle = () => m.bestCycle();
  const executeCall = (o: CycleOpportunity, minProfit: bigint, from?: Address) =>
    m.executeCall(o, minProfit, from === undefined ? {} : { from });

  beforeAll(async () => {
    anvil = await startAnvil();
    m = await buildArbMarket(anvil);
    ({ weth, executor, syncer, gas } = m);
  }, 120_000);

  afterAll(async () => {
    await anvil?.stop();
  });

  it('finds the dislocation across two V2 pairs and a V3 pool, executes it atomically, profit = prediction', async () => {
    await dislocate(150_000n * E18);
    const opportunity = await bestCycle();
    // The cycle goes through all three pools: two V2 pairs and the V3 pool.
    expect(opportunity.pools).toHaveLength(3);
    expect(new Set(opportunity.pools.map((p) => syncer.info(p)?.protocol))).toEqual(
      new Set(['uniswap-v2', 'uniswap-v3']),
    );
    expect(opportunity.path[0]).toBe(weth.toLowerCase());
    expect(opportunity.amountIn <= (await balanceOf(weth, executor))).toBe(true);
    expect(opportunity.profit > 0n).toBe(true);

    // Predict: gas units from a simulation of the very call in the block it will land in (its
    // number and timestamp: a V2 pair's price accumulators cost gas only when time has passed),
    // price from the gas model (the next block's base fee and the tip).
    const call = executeCall(opportunity, opportunity.profit);
    const latest = await anvil.pub.getBlock({ blockTag: 'latest' });
    const next = { number: (latest.number as bigint) + 1n, timestamp: latest.timestamp + 12n };
    const [measured] = await measureGas(anvil.pub, anvil.url, [call], { abi: EXECUTOR_ABI, block: next });
    expect(measured?.ok).toBe(true);
    const gasUsed = measured?.gasUsed as bigint;
    const plan = await gas.plan();
    const predictedNet = opportunity.profit - GasModel.cost(plan, gasUsed);
    expect(predictedNet > 0n).toBe(true);

    // The gate: eth_call on the pending block, then the signed transaction itself.
    const sim = await simulate(anvil.pub, anvil.url, call, { abi: EXECUTOR_ABI });
    requireSimulated(sim, 'the arbitrage');
    expect(sim.ok && BigInt(sim.returnData)).toBe(opportunity.profit);
    const nonce = await anvil.pub.getTransactionCount({ address: owner().address, blockTag: 'pending' });
    // The limit must cover the gas spent before refunds (above what the receipt will show as used).
    const limit = measured?.gasLimit as bigint;
    expect(limit > gasUsed).toBe(true);
    const signed = await owner().signTransaction({
      chainId: 31337,
      type: 'eip1559',
      to: executor,
      data: call.data,
      nonce,
      gas: limit,
      maxFeePerGas: plan.maxFeePerGas,
      maxPriorityFeePerGas: plan.maxPriorityFeePerGas,
    });
    const wethBefore = await balanceOf(weth, executor);
    const ethBefore = await anvil.pub.getBalance({ address: owner().address });
    await anvil.rpc('evm_setNextBlockTimestamp', [Number(next.timestamp)]);
    const hash = await submitPublic(anvil.pub, anvil.url, signed, { abi: EXECUTOR_ABI });
    const receipt = await anvil.pub.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect(receipt.blockNumber).toBe(next.number);

    // Realised = predicted, gross and net of gas.
    const realised = (await balanceOf(weth, executor)) - wethBefore;
    expect(realised).toBe(opportunity.profit);
    expect(receipt.gasUsed).toBe(gasUsed);
    expect(receipt.effectiveGasPrice).toBe(plan.effectiveGasPrice);
    const gasPaid = ethBefore - (await anvil.pub.getBalance({ address: owner().address }));
    expect(gasPaid).toBe(receipt.gasUsed * receipt.effectiveGasPrice);
    expect(realised - gasPaid).toBe(predictedNet);

    // The arbitrage closed the loop: the same cycle now pays at most a sliver.
    const after = await bestCycle().catch(() => undefined);
    if (after !== undefined) expect(after.profit < opportunity.profit / 100n).toBe(true);
  }, 120_000);

  it('a minimum profit one wei above the optimum fails the simulation gate, and reverts on chain when forced', async () => {
    await dislocate(120_000n * E18);
    const opportunity = await bestCycle();
    // Exactly the optimum passes; one more wei does not.
    expect((await simulate(anvil.pub, anvil.url, executeCall(opportunity, opportunity.profit))).ok).toBe(
      true,
    );
    const call = executeCall(opportunity, opportunity.profit + 1n);
    const sim = await simulate(anvil.pub, anvil.url, call, { abi: EXECUTOR_ABI });
    expect(sim.ok).toBe(false);
    if (sim.ok) return;
    expect(sim.error?.name).toBe('InsufficientProfit');
    const [before, afterBalance, minProfit] = (sim.error?.args ?? []) as [bigint, bigint, bigint];
    expect(afterBalance - before).toBe(opportunity.profit);
    expect(minProfit).toBe(opportunity.profit + 1n);
    let code = '';
    try {
      requireSimulated(sim, 'the arbitrage');
    } catch (err) {
      code = isConcordError(err) ? err.code : '';
    }
    expect(code).toBe('CONCORD_ERR_EVM_SIMULATION_FAILED');

    // submitPublic refuses to send it: the nonce is not used.
    const plan = await gas.plan();
    const nonce = await anvil.pub.getTransactionCount({ address: owner().address, blockTag: 'pending' });
    const tx = {
      chainId: 31337,
      type: 'eip1559' as const,
      to: executor,
      data: call.data,
      nonce,
      gas: 600_000n,
      maxFeePerGas: plan.maxFeePerGas,
      maxPriorityFeePerGas: plan.maxPriorityFeePerGas,
    };
    const signed = await owner().signTransaction(tx);
    await expect(submitPublic(anvil.pub, anvil.url, signed, { abi: EXECUTOR_ABI })).rejects.toMatchObject({
      code: 'CONCORD_ERR_EVM_SIMULATION_FAILED',
    });
    expect(await anvil.pub.getTransactionCount({ address: owner().address, blockTag: 'pending' })).toBe(
      nonce,
    );

    // Forced past the gate (raw send, fixed gas): the contract itself reverts and keeps its balance.
    const wethBefore = await balanceOf(weth, executor);
    const hash = await anvil.pub.sendRawTransaction({ serializedTransaction: signed });
    const receipt = await anvil.pub.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('reverted');
    expect(await balanceOf(weth, executor)).toBe(wethBefore);
  }, 120_000);

  it('only the owner may execute or withdraw, and no one may call the swap callback directly', async () => {
    const opportunity = await bestCycle();
    const stranger: PrivateKeyAccount = privateKeyToAccount(DEV_KEYS[1] as Hex);
    const asStranger = await simulate(anvil.pub, anvil.url, executeCall(opportunity, 0n, stranger.address), {
      abi: EXECUTOR_ABI,
    });
    expect(asStranger.ok ? '' : asStranger.error?.name).toBe('NotOwner');
    const withdraw = encodeFunctionData({
      abi: EXECUTOR_ABI,
      functionName: 'withdraw',
      args: [weth, stranger.address, 1n],
    });
    const stolen = await simulate(
      anvil.pub,
      anvil.url,
      { from: stranger.address, to: executor, data: withdraw },
      { abi: EXECUTOR_ABI },
    );
    expect(stolen.ok ? '' : stolen.error?.name).toBe('NotOwner');
    // The owner can withdraw.
    expect(
      (await simulate(anvil.pub, anvil.url, { from: owner().address, to: executor, data: withdraw })).ok,
    ).toBe(true);
    // A swap callback outside a swap, even from the owner or from a real pool's address, is refused.
    const callback = encodeFunctionData({
      abi: EXECUTOR_ABI,
      functionName: 'uniswapV3SwapCallback',
      args: [10n ** 18n, 0n, '0x'],
    });
    for (const from of [owner().address, stranger.address, opportunity.pools[2] as Address]) {
      const r = await simulate(
        anvil.pub,
        anvil.url,
        { from, to: executor, data: callback },
        { abi: EXECUTOR_ABI },
      );
      expect(r.ok ? '' : r.error?.name).toBe('UnexpectedCallback');
    }
    // An expired deadline is refused before any swap.
    const hops = executorHops(opportunity, (a) => syncer.info(a));
    const expired = encodeExecute({ amountIn: opportunity.amountIn, hops, minProfit: 0n, deadlineBlock: 1n });
    const r = await simulate(
      anvil.pub,
      anvil.url,
      { from: owner().address, to: executor, data: expired },
      { abi: EXECUTOR_ABI },
    );
    expect(r.ok ? '' : r.error?.name).toBe('Expired');
    expect(decodeExecutorError('0xdeadbeef')).toBeUndefined();
    // The constructor refuses a zero owner; the deploy data carries the owner.
    expect(executorDeployData(owner().address).endsWith(owner().address.slice(2).toLowerCase())).toBe(true);
  }, 60_000);

  it('adds the L1 data fee on an OP Stack chain: GasPriceOracle.getL1Fee of the serialized transaction', async () => {
    const solc = loadSolc();
    expect(solc).toBeDefined();
    if (solc === undefined) return;
    // A stand-in oracle at the OP Stack predeploy address: fee = 1000 + 16 per byte.
    const source =
      'pragma solidity 0.8.30; contract Oracle { function getL1Fee(bytes calldata d) external pure returns (uint256) { return 1000 + 16 * d.length; } }';
    const out = JSON.parse(
      solc.compile(
        JSON.stringify({
          language: 'Solidity',
          sources: { 'O.sol': { content: source } },
          settings: { outputSelection: { '*': { '*': ['evm.deployedBytecode.object'] } } },
        }),
      ),
    ) as { contracts: { 'O.sol': { Oracle: { evm: { deployedBytecode: { object: string } } } } } };
    const code = `0x${out.contracts['O.sol'].Oracle.evm.deployedBytecode.object}`;
    await anvil.rpc('anvil_setCode', ['0x420000000000000000000000000000000000000F', code]);
    const config = parseEvmChainConfig({ chain: 'base', chainId: 8453, rpc: { http: anvil.url } });
    const op = new GasModel(config.gas, anvil.pub, anvil.url);
    const serialized = serializeTransaction({
      chainId: 8453,
      type: 'eip1559',
      to: executor,
      data: '0x12345678',
      nonce: 1,
      gas: 100_000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
    });
    const bytes = BigInt((serialized.length - 2) / 2);
    expect(await op.l1DataFee(serialized)).toBe(1000n + 16n * bytes);
    const plan = op.planWith(100n, 7n);
    expect(GasModel.cost(plan, 50_000n, 1234n)).toBe(50_000n * 107n + 1234n);
    // Ethereum has none.
    const l1 = new GasModel(
      parseEvmChainConfig({ chain: 'ethereum', rpc: { http: anvil.url } }).gas,
      anvil.pub,
      anvil.url,
    );
    expect(await l1.l1DataFee(serialized)).toBe(0n);
  }, 60_000);
});
