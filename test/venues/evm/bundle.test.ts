/**
 * Private submission through a local stand-in Flashbots-style relay (src/venues/evm/local-relay.ts)
 * in front of anvil: a bundle whose simulation fails never reaches eth_sendBundle (the relay counts
 * what it received), neither when our own simulation fails nor when the relay's does; a passing
 * bundle is sent once, built into its target block and tracked to inclusion; one the builder leaves
 * out is tracked as not included; and an anvil_reorg that takes the block away rolls the pool state
 * back and moves the transaction from included back to pending.
 */
import { createPublicClient, type Hex, http, keccak256, maxUint256, toBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CycleOpportunity } from '../../../src/agents/library/dex-arbitrage/graph.ts';
import {
  BundleSubmitter,
  type CallRequest,
  EXECUTOR_ABI,
  LocalRelay,
  readPoolState,
  sameState,
} from '../../../src/venues/evm/index.ts';
import {
  type Anvil,
  DEV_KEYS,
  FAR_DEADLINE,
  freePort,
  skipWithoutAnvil,
  startAnvil,
  UNISWAP,
} from '../../helpers/anvil.ts';
import { type ArbMarket, buildArbMarket, E18 } from './arb-market.ts';

const SKIP = skipWithoutAnvil('evm bundle.test');
const AUTH_KEY = DEV_KEYS[2] as Hex;

describe.skipIf(SKIP)('bundles through a local Flashbots-style relay, simulation first', () => {
  let anvil: Anvil;
  let m: ArbMarket;
  let relay: LocalRelay;
  let submitter: BundleSubmitter;

  beforeAll(async () => {
    anvil = await startAnvil();
    m = await buildArbMarket(anvil);
    relay = await LocalRelay.start({ upstream: anvil.url });
  }, 120_000);

  afterAll(async () => {
    await relay?.close();
    await anvil?.stop();
  });

  beforeEach(() => {
    relay.counts.eth_callBundle = 0;
    relay.counts.eth_sendBundle = 0;
    relay.counts.refused = 0;
    submitter = new BundleSubmitter({
      client: anvil.pub,
      endpoint: anvil.url,
      chainId: 31337,
      relayUrl: relay.url,
      authKey: AUTH_KEY,
      abi: EXECUTOR_ABI,
    });
  });

  /** The owner's signed executor call, priced for the next block. */
  async function signed(call: CallRequest): Promise<Hex> {
    const plan = await m.gas.plan();
    const nonce = await anvil.pub.getTransactionCount({
      address: anvil.account.address,
      blockTag: 'pending',
    });
    return anvil.account.signTransaction({
      chainId: 31337,
      type: 'eip1559',
      to: call.to,
      data: call.data,
      nonce,
      gas: 800_000n,
      maxFeePerGas: plan.maxFeePerGas,
      maxPriorityFeePerGas: plan.maxPriorityFeePerGas,
    });
  }

  async function opportunity(amountB: bigint): Promise<CycleOpportunity> {
    await m.dislocate(amountB);
    return m.bestCycle();
  }

  it('never sends a bundle whose own simulation fails: the relay receives nothing', async () => {
    const o = await opportunity(150_000n * E18);
    const tx = await signed(m.executeCall(o, o.profit + 1n));
    const target = (await anvil.pub.getBlockNumber()) + 1n;
    await expect(submitter.submit([tx], { targetBlock: target })).rejects.toMatchObject({
      code: 'CONCORD_ERR_EVM_SIMULATION_FAILED',
      details: expect.objectContaining({ error: 'InsufficientProfit' }),
    });
    expect(submitter.sent).toEqual({ eth_callBundle: 0, eth_sendBundle: 0 });
    expect(relay.counts).toEqual({ eth_callBundle: 0, eth_sendBundle: 0, refused: 0 });
    expect(relay.bundles()).toHaveLength(0);
  }, 60_000);

  it('never sends a bundle the relay’s simulation of the target block rejects', async () => {
    const o = await opportunity(10_000n * E18);
    // Valid in the next block (our eth_call on the pending block passes), expired in the target block.
    const tx = await signed(m.executeCall(o, o.profit, { deadlineIn: 1n }));
    const target = (await anvil.pub.getBlockNumber()) + 2n;
    await expect(submitter.submit([tx], { targetBlock: target })).rejects.toMatchObject({
      code: 'CONCORD_ERR_EVM_SIMULATION_FAILED',
    });
    expect(relay.counts).toEqual({ eth_callBundle: 1, eth_sendBundle: 0, refused: 0 });
    expect(submitter.sent).toEqual({ eth_callBundle: 1, eth_sendBundle: 0 });
  }, 60_000);

  it('sends a passing bundle once, the relay builds it into its target block, inclusion is tracked', async () => {
    const o = await opportunity(50_000n * E18);
    const tx = await signed(m.executeCall(o, o.profit));
    const target = (await anvil.pub.getBlockNumber()) + 1n;
    const handle = await submitter.submit([tx], { targetBlock: target, decisionId: 'decision-1' });
    expect(relay.counts).toEqual({ eth_callBundle: 1, eth_sendBundle: 1, refused: 0 });
    expect(relay.bundles()[0]?.searcher?.toLowerCase()).toBe(
      privateKeyToAccount(AUTH_KEY).address.toLowerCase(),
    );
    expect(handle.status).toBe('pending');
    expect(handle.txs[0]).toMatchObject({
      status: 'pending',
      decisionId: 'decision-1',
      leg: 0,
      from: anvil.account.address,
    });
    // Nothing went to the public mempool: the tx is nowhere until the relay builds.
    expect(await submitter.track()).toEqual([]);

    const before = await m.balanceOf(m.weth, m.executor);
    const built = await relay.buildBlock();
    expect(built).toEqual({ blockNumber: target, included: [handle.bundleHash], leftOut: [] });
    const changed = await submitter.track();
    expect(changed).toEqual([handle]);
    expect(handle.status).toBe('included');
    expect(handle.includedIn).toBe(target);
    expect(handle.txs[0]).toMatchObject({ status: 'included', blockNumber: Number(target) });
    expect(handle.txs[0]?.gasUsed).toBe(handle.simulatedGas[0]);
    expect((await m.balanceOf(m.weth, m.executor)) - before).toBe(o.profit);

    // The fate changes with a reorg: the pools roll back, the transaction is pending again, and
    // as its bundle was only valid for that block, then not included.
    const ancestor = target - 1n;
    const poolStatesBefore = await Promise.all(
      m.syncer.poolInfos().map((info) => readPoolState(anvil.pub, info, ancestor)),
    );
    await m.syncer.sync();
    expect(m.syncer.head.number).toBe(target);
    await anvil.rpc('anvil_reorg', [1, []]);
    const report = await m.syncer.sync();
    expect(report.reorgs).toHaveLength(1);
    expect(report.reorgs[0]?.ancestor.number).toBe(ancestor);
    m.syncer.poolInfos().forEach((info, i) => {
      expect(sameState(m.syncer.state(info.address) as never, poolStatesBefore[i] as never)).toBe(true);
    });
    await submitter.track();
    expect(handle.history.map((h) => h.status)).toEqual(['pending', 'included', 'pending', 'not-included']);
    expect(handle.txs[0]).toMatchObject({ status: 'dropped', blockNumber: undefined });
    expect(await m.balanceOf(m.weth, m.executor)).toBe(before);
  }, 120_000);

  it('a bundle the builder leaves out of its block (state moved first) is tracked as not included', async () => {
    // Another trader, with A to sell, ready to trade before our target block.
    const other = privateKeyToAccount(DEV_KEYS[1] as Hex);
    await anvil.send(m.tokenA, UNISWAP.erc20.abi, 'transfer', [other.address, 200_000n * E18]);
    const approve = await anvil.wallet.writeContract({
      address: m.tokenA,
      abi: UNISWAP.erc20.abi,
      functionName: 'approve',
      args: [m.uni.router02, maxUint256],
      account: other,
      chain: anvil.wallet.chain,
    });
    await anvil.pub.waitForTransactionReceipt({ hash: approve });

    const o = await opportunity(100_000n * E18);
    const tx = await signed(m.executeCall(o, o.profit, { deadlineIn: 3n }));
    const target = (await anvil.pub.getBlockNumber()) + 2n;
    const handle = await submitter.submit([tx], { targetBlock: target });
    expect(relay.counts.eth_sendBundle).toBe(1);
    // The other trader buys B back in the block before the target: our cycle no longer pays.
    const swap = await anvil.wallet.writeContract({
      address: m.uni.router02,
      abi: UNISWAP.router02.abi,
      functionName: 'swapExactTokensForTokens',
      args: [150_000n * E18, 0n, [m.tokenA, m.tokenB], other.address, FAR_DEADLINE],
      account: other,
      chain: anvil.wallet.chain,
      gas: 300_000n,
    });
    expect((await anvil.pub.waitForTransactionReceipt({ hash: swap })).status).toBe('success');
    const built = await relay.buildBlock();
    expect(built.blockNumber).toBe(target);
    expect(built.leftOut).toEqual([handle.bundleHash]);
    expect(relay.bundles().find((b) => b.bundleHash === handle.bundleHash)).toMatchObject({
      status: 'left-out',
      leftOutBecause: 'reverted',
    });
    await submitter.track();
    expect(handle.status).toBe('not-included');
    expect(handle.txs[0]?.status).toBe('dropped');
    // Ended bundles are watched for reorgs for 64 blocks, then let go.
    expect(submitter.handles()).toEqual([handle]);
    await anvil.mine(65);
    await submitter.track();
    expect(submitter.handles()).toEqual([]);
  }, 60_000);

  it('a simulation that cannot run blocks the send (CONCORD_ERR_EVM_RPC, never a pass); so does an unreachable relay', async () => {
    const o = await opportunity(50_000n * E18);
    const tx = await signed(m.executeCall(o, o.profit));
    const deadPort = await freePort();
    const dead = createPublicClient({
      transport: http(`http://127.0.0.1:${deadPort}/key`, { retryCount: 0 }),
    });
    const noNode = new BundleSubmitter({
      client: dead as never,
      endpoint: `http://127.0.0.1:${deadPort}/key`,
      chainId: 31337,
      relayUrl: relay.url,
      authKey: AUTH_KEY,
    });
    const target = (await anvil.pub.getBlockNumber()) + 1n;
    const err = await noNode.submit([tx], { targetBlock: target }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONCORD_ERR_EVM_RPC', retryable: true });
    expect((err as Error).message).not.toContain('/key');
    expect(relay.counts).toEqual({ eth_callBundle: 0, eth_sendBundle: 0, refused: 0 });

    const noRelay = new BundleSubmitter({
      client: anvil.pub,
      endpoint: anvil.url,
      chainId: 31337,
      relayUrl: `http://127.0.0.1:${deadPort}`,
      authKey: AUTH_KEY,
    });
    await expect(noRelay.submit([tx], { targetBlock: target })).rejects.toMatchObject({
      code: 'CONCORD_ERR_EVM_RELAY',
    });
    expect(noRelay.sent).toEqual({ eth_callBundle: 1, eth_sendBundle: 0 });
  }, 60_000);

  it('refuses unsigned, badly signed and malformed requests', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_sendBundle',
      params: [{ txs: [], blockNumber: '0x1' }],
    });
    const post = (headers: Record<string, string>, text = body) =>
      fetch(relay.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: text,
      });
    expect((await post({})).status).toBe(403);
    const other = privateKeyToAccount(DEV_KEYS[1] as Hex);
    const sig = await other.signMessage({ message: keccak256(toBytes(body)) });
    // Signed by one key, claiming another.
    expect(
      (await post({ 'x-flashbots-signature': `${privateKeyToAccount(AUTH_KEY).address}:${sig}` })).status,
    ).toBe(403);
    // Properly signed but invalid params (no transactions): a JSON-RPC error, nothing queued.
    const r = await post({ 'x-flashbots-signature': `${other.address}:${sig}` });
    expect(((await r.json()) as { error?: { code: number } }).error?.code).toBe(-32602);
    expect(relay.counts.eth_sendBundle).toBe(0);
    expect(relay.counts.refused).toBe(3);
  });
});
