/**
 * The EVM venue's chain side against a real local chain: anvil (from npm) with the real Uniswap
 * V2 and V3 contracts. Pool discovery (list and factory events), block-by-block sync of swaps,
 * mints and burns (state = a fresh read of the chain at every head, V3 quotes = QuoterV2), reorgs
 * (evm_snapshot/evm_revert to a longer branch, anvil_reorg at the same height, one deeper than the
 * kept history), pools created while syncing, WebSocket-driven sync, and the EIP-1559 base fee
 * prediction against the blocks anvil mines.
 */
import type { Address, Hex } from 'viem';
import { encodeFunctionData } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConcordError, Random } from '../../../src/core/index.ts';
import { isValidConcordEvent } from '../../../src/data/readers/concord.ts';
import { swapExactInput } from '../../../src/model/amm/index.ts';
import {
  createEvmClients,
  discoverPools,
  type EvmPoolInfo,
  type FactoryWatch,
  GasModel,
  nextBaseFee,
  PoolSyncer,
  type PoolSyncer as PoolSyncerType,
  type PoolUpdate,
  parseEvmChainConfig,
  parsePoolList,
  poolsFromList,
  type ReorgNotice,
  readPoolState,
  sameState,
  toV3PoolState,
  verifyChainId,
} from '../../../src/venues/evm/index.ts';
import { type Anvil, FAR_DEADLINE, skipWithoutAnvil, startAnvil, UNISWAP } from '../../helpers/anvil.ts';
import {
  buildMarket,
  type Market,
  mintCall,
  randomCall,
  refreshPositions,
  sendCall,
  sendInOneBlock,
  v2SwapCall,
  v3SwapCall,
} from './market.ts';

const SKIP = skipWithoutAnvil('evm sync.test');

describe.skipIf(SKIP)('EVM pool sync on anvil with the real Uniswap contracts', () => {
  let anvil: Anvil;
  let market: Market;
  let infos: EvmPoolInfo[];
  let factories: FactoryWatch[];
  const rng = new Random(11);

  beforeAll(async () => {
    anvil = await startAnvil();
    market = await buildMarket(anvil, rng);
    factories = [
      { address: market.uni.v2Factory.toLowerCase(), protocol: 'uniswap-v2', dex: 'uniswap-v2', fee: 3000 },
      { address: market.uni.v3Factory.toLowerCase(), protocol: 'uniswap-v3', dex: 'uniswap-v3', fee: 3000 },
    ];
    infos = await poolsFromList(anvil.pub, anvil.url, listed());
  }, 120_000);

  const listed = () =>
    parsePoolList([
      ...market.v2Pairs.map((address) => ({ address, protocol: 'uniswap-v2', dex: 'uniswap-v2' })),
      ...market.v3Pools.map((p) => ({ address: p.address, protocol: 'uniswap-v3', dex: 'uniswap-v3' })),
    ]);

  afterAll(async () => {
    await anvil?.stop();
  });

  function newSyncer(
    options: { maxReorgDepth?: number; factories?: FactoryWatch[]; pools?: EvmPoolInfo[] } = {},
  ) {
    return new PoolSyncer(anvil.pub, options.pools ?? infos, {
      venue: 'evm-31337',
      chainId: 31337,
      endpoint: anvil.url,
      maxReorgDepth: options.maxReorgDepth ?? 64,
      factories: options.factories,
    });
  }

  /** Every tracked pool's synced state equals a fresh read of the chain at the syncer's head. */
  async function expectMatchesChain(syncer: PoolSyncerType): Promise<void> {
    const head = syncer.head;
    const canonical = await anvil.pub.getBlock({ blockNumber: head.number });
    expect(canonical.hash).toBe(head.hash);
    for (const info of syncer.poolInfos()) {
      const fresh = await readPoolState(anvil.pub, info, head.number);
      const ours = syncer.state(info.address);
      expect(ours, `pool ${info.address}`).toBeDefined();
      if (ours === undefined) continue;
      expect(sameState(ours, fresh), `pool ${info.address} (${info.protocol}) at block ${head.number}`).toBe(
        true,
      );
    }
  }

  it('discovers the pools from the factories’ events and from a list, with the same facts', async () => {
    const latest = await anvil.pub.getBlockNumber();
    const discovered = await discoverPools(anvil.pub, anvil.url, factories, {
      fromBlock: 0n,
      toBlock: latest,
      chunk: 7,
    });
    expect(discovered.map((p) => p.address).sort()).toEqual(
      [...market.v2Pairs, ...market.v3Pools.map((p) => p.address)].map((a) => a.toLowerCase()).sort(),
    );
    const fromList = await poolsFromList(anvil.pub, anvil.url, listed());
    const byAddress = (ps: EvmPoolInfo[]) => [...ps].sort((x, y) => (x.address < y.address ? -1 : 1));
    expect(byAddress(fromList)).toEqual(byAddress(discovered));
    const v3 = fromList.find((p) => p.address === market.v3Pools[1]?.address.toLowerCase());
    expect(v3).toMatchObject({ protocol: 'uniswap-v3', fee: 500, tickSpacing: 10 });
  });

  it('refuses a bad pool list with a coded error naming the entry', () => {
    const bad = [
      [{ address: '0x12', protocol: 'uniswap-v2' }],
      [{ address: market.v2Pairs[0], protocol: 'uniswap-v4' }],
      [
        { address: market.v2Pairs[0], protocol: 'uniswap-v2' },
        { address: market.v2Pairs[0], protocol: 'uniswap-v2' },
      ],
      [{ address: market.v3Pools[0]?.address, protocol: 'uniswap-v3', fee: 3000 }],
    ];
    for (const list of bad) {
      try {
        parsePoolList(list);
        expect.unreachable('a bad pool list was accepted');
      } catch (err) {
        expect(isConcordError(err, 'CONCORD_ERR_EVM_POOL_LIST_INVALID')).toBe(true);
        expect((err as Error).message).toMatch(/^CONCORD_ERR_EVM_POOL_LIST_INVALID: pools\.\d/);
      }
    }
  });

  it('follows swaps, mints and burns block by block: the state equals the chain at every head', async () => {
    const syncer = newSyncer();
    const updates: PoolUpdate[] = [];
    syncer.onUpdate((u) => updates.push(u));
    const start = await syncer.start();
    expect(updates.filter((u) => u.cause === 'start')).toHaveLength(infos.length);
    await expectMatchesChain(syncer);
    let blocks = 0;
    for (let round = 0; round < 8; round++) {
      // Mostly one action per block, sometimes several in one block (their order matters).
      if (round % 3 === 2) {
        await sendInOneBlock(anvil, [
          mintCall(market, rng, 0),
          v3SwapCall(market, rng),
          v2SwapCall(market, rng),
          v3SwapCall(market, rng),
        ]);
        blocks++;
      } else
        for (let k = 0; k < 3; k++) {
          await sendCall(anvil, randomCall(market, rng));
          blocks++;
        }
      await refreshPositions(market);
      updates.length = 0;
      const report = await syncer.sync();
      expect(report.caughtUp).toBe(true);
      expect(report.reorgs).toEqual([]);
      await expectMatchesChain(syncer);
      // One update per pool and block; each a valid market event; V3 tick lists only after Mint/Burn.
      const keys = updates.map((u) => `${u.pool.address}@${u.block.number}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const u of updates) {
        expect(u.cause).toBe('block');
        expect(isValidConcordEvent(u.event)).toBe(true);
        expect(u.event.blockHash).toBe(u.block.hash);
      }
    }
    expect(syncer.head.number - start.number).toBe(BigInt(blocks));

    // Quotes on the synced V3 state equal the real QuoterV2.
    for (const spec of market.v3Pools) {
      const info = syncer.info(spec.address) as EvmPoolInfo;
      const state = toV3PoolState(info, syncer.state(spec.address) as never);
      expect(state).toBeDefined();
      if (state === undefined) continue;
      for (const zeroForOne of [true, false]) {
        const amountIn = 3n * 10n ** 22n;
        const quoted = await anvil.pub.simulateContract({
          address: market.uni.quoter,
          abi: UNISWAP.quoter.abi,
          functionName: 'quoteExactInputSingle',
          args: [
            {
              tokenIn: zeroForOne ? spec.token0 : spec.token1,
              tokenOut: zeroForOne ? spec.token1 : spec.token0,
              fee: spec.fee,
              amountIn,
              sqrtPriceLimitX96: 0n,
            },
          ],
        });
        const ours = swapExactInput(state, zeroForOne, amountIn);
        expect(ours.amountOut).toBe((quoted.result as readonly bigint[])[0]);
      }
    }
  }, 180_000);

  it('rolls back to the common ancestor after evm_revert to a longer branch, then re-syncs it', async () => {
    const syncer = newSyncer();
    await syncer.start();
    const ancestor = syncer.head;
    const snapshot = await anvil.rpc<Hex>('evm_snapshot', []);
    for (let k = 0; k < 3; k++)
      await sendCall(anvil, k === 1 ? mintCall(market, rng, 1) : v3SwapCall(market, rng));
    await syncer.sync();
    const abandoned = syncer.head;
    expect(abandoned.number).toBe(ancestor.number + 3n);

    expect(await anvil.rpc('evm_revert', [snapshot])).toBe(true);
    await refreshPositions(market);
    for (let k = 0; k < 4; k++)
      await sendCall(anvil, k % 2 ? v2SwapCall(market, rng) : v3SwapCall(market, rng));
    const reorgs: ReorgNotice[] = [];
    const rolledBack: PoolUpdate[] = [];
    syncer.onReorg((r) => reorgs.push(r));
    syncer.onUpdate((u) => {
      if (u.cause === 'rollback') rolledBack.push(u);
    });
    const report = await syncer.sync();
    expect(reorgs).toHaveLength(1);
    expect(report.reorgs).toEqual(reorgs);
    expect(reorgs[0]?.ancestor.hash).toBe(ancestor.hash);
    expect(reorgs[0]?.depth).toBe(3);
    expect(reorgs[0]?.dropped.map((b) => b.number)).toEqual([1n, 2n, 3n].map((d) => ancestor.number + d));
    expect(reorgs[0]?.dropped[2]?.hash).toBe(abandoned.hash);
    // The pools the abandoned branch changed were reported back at the ancestor's state.
    expect(rolledBack.length).toBeGreaterThan(0);
    for (const u of rolledBack) expect(u.block.hash).toBe(ancestor.hash);
    expect(syncer.head.number).toBe(ancestor.number + 4n);
    await expectMatchesChain(syncer);
  }, 120_000);

  it('detects anvil_reorg at the same height from the head hash, rolls back and re-syncs', async () => {
    const syncer = newSyncer();
    await syncer.start();
    for (let k = 0; k < 3; k++) await sendCall(anvil, v3SwapCall(market, rng));
    await syncer.sync();
    const before = syncer.head;
    // Replace the last two blocks: the new first one carries a different swap.
    const swap = v2SwapCall(market, rng);
    const data = encodeFunctionData({ abi: swap.abi, functionName: swap.functionName, args: swap.args });
    await anvil.rpc('anvil_reorg', [
      2,
      [[{ from: anvil.account.address, to: swap.address, data, gas: '0x100000' }, 0]],
    ]);
    const after = await anvil.pub.getBlock({ blockTag: 'latest' });
    expect(after.number).toBe(before.number);
    expect(after.hash).not.toBe(before.hash);
    const report = await syncer.sync();
    expect(report.reorgs).toHaveLength(1);
    expect(report.reorgs[0]?.depth).toBe(2);
    expect(report.reorgs[0]?.ancestor.number).toBe(before.number - 2n);
    expect(syncer.head.hash).toBe(after.hash);
    await expectMatchesChain(syncer);
  }, 120_000);

  it('fails closed on a reorg deeper than the kept history, until start() reads everything again', async () => {
    const syncer = newSyncer({ maxReorgDepth: 2 });
    await syncer.start();
    for (let k = 0; k < 4; k++) await sendCall(anvil, v3SwapCall(market, rng));
    await syncer.sync();
    expect(syncer.depth).toBe(2);
    await anvil.rpc('anvil_reorg', [3, []]);
    const codes: string[] = [];
    for (let k = 0; k < 2; k++) {
      try {
        await syncer.sync();
      } catch (err) {
        codes.push(isConcordError(err) ? err.code : String(err));
      }
    }
    expect(codes).toEqual(['CONCORD_ERR_EVM_REORG_TOO_DEEP', 'CONCORD_ERR_EVM_REORG_TOO_DEEP']);
    await syncer.start();
    await expectMatchesChain(syncer);
    await sendCall(anvil, v3SwapCall(market, rng));
    expect((await syncer.sync()).applied).toBe(1);
    await expectMatchesChain(syncer);
  }, 120_000);

  it('adds pools the watched factories create while syncing, and a reorg removes them again', async () => {
    const syncer = newSyncer({ factories });
    await syncer.start();
    const snapshot = await anvil.rpc<Hex>('evm_snapshot', []);
    const [a, , c] = market.tokens as [Address, Address, Address];
    await sendCall(anvil, {
      address: market.uni.router02,
      abi: UNISWAP.router02.abi,
      functionName: 'addLiquidity',
      args: [a, c, 10n ** 22n, 5n * 10n ** 21n, 0n, 0n, anvil.account.address, FAR_DEADLINE],
    });
    const pair = (
      await anvil.read<Address>(market.uni.v2Factory, UNISWAP.v2Factory.abi, 'getPair', [a, c])
    ).toLowerCase();
    await syncer.sync();
    // Created, funded and synced in one block.
    expect(syncer.state(pair)).toEqual({
      kind: 'v2',
      reserve0: expect.any(BigInt),
      reserve1: expect.any(BigInt),
    });
    await expectMatchesChain(syncer);
    expect(syncer.graphInputs().some((p) => p.address === pair)).toBe(true);

    await anvil.rpc('evm_revert', [snapshot]);
    await refreshPositions(market);
    await sendCall(anvil, v3SwapCall(market, rng));
    await sendCall(anvil, v3SwapCall(market, rng));
    await syncer.sync();
    expect(syncer.state(pair)).toBeUndefined();
    await expectMatchesChain(syncer);
  }, 120_000);

  it('syncs on the new heads a WebSocket endpoint announces (config-driven clients)', async () => {
    const config = parseEvmChainConfig({ chain: 'anvil', rpc: { http: anvil.url, ws: anvil.wsUrl } });
    const clients = createEvmClients(config);
    await verifyChainId(config, clients.http);
    expect(clients.ws).toBeDefined();
    if (clients.ws === undefined) return;
    const syncer = new PoolSyncer(clients.http, infos, {
      venue: 'evm-31337',
      chainId: 31337,
      endpoint: config.rpc.http,
    });
    await syncer.start();
    const seen: bigint[] = [];
    syncer.onBlock((b) => seen.push(b.number));
    const errors: unknown[] = [];
    const stop = syncer.watch(clients.ws, (err) => errors.push(err));
    try {
      await sendCall(anvil, v3SwapCall(market, rng));
      await sendCall(anvil, v2SwapCall(market, rng));
      // Any head announced after the last swap brings the syncer to the latest block; mine empty
      // blocks until one is (the subscription may still be starting: no fixed sleep is relied on).
      let target = await anvil.pub.getBlockNumber();
      for (let round = 0; round < 20 && syncer.head.number < target; round++) {
        for (let i = 0; i < 40 && syncer.head.number < target; i++)
          await new Promise((r) => setTimeout(r, 25));
        if (syncer.head.number < target) {
          await anvil.mine(1);
          target++;
        }
      }
      expect(errors).toEqual([]);
      expect(syncer.head.number).toBe(target);
      expect(seen).toContain(target);
      await expectMatchesChain(syncer);
    } finally {
      stop();
      await clients.ws.transport.getRpcClient?.().then((c: { close(): void }) => c.close());
    }
    // A config naming another chain is refused against this node.
    const wrong = parseEvmChainConfig({ chain: 'ethereum', rpc: { http: anvil.url } });
    await expect(verifyChainId(wrong, clients.http)).rejects.toMatchObject({
      code: 'CONCORD_ERR_EVM_CONFIG_INVALID',
    });
  }, 60_000);

  it('predicts each block’s EIP-1559 base fee from its parent header, as anvil computes it', async () => {
    const config = parseEvmChainConfig({ chain: 'anvil', rpc: { http: anvil.url } });
    const gas = new GasModel(config.gas, anvil.pub, anvil.url);
    let compared = 0;
    for (let k = 0; k < 6; k++) {
      const parent = await anvil.pub.getBlock({ blockTag: 'latest' });
      const predicted = await gas.predictBaseFee();
      expect(predicted).toBe(
        nextBaseFee(
          {
            baseFeePerGas: parent.baseFeePerGas as bigint,
            gasUsed: parent.gasUsed,
            gasLimit: parent.gasLimit,
          },
          { denominator: 8, elasticity: 2 },
        ),
      );
      // Blocks of very different fullness: empty, one swap, several swaps.
      if (k % 3 === 0) await anvil.mine(1);
      else if (k % 3 === 1) await sendCall(anvil, v3SwapCall(market, rng));
      else
        await sendInOneBlock(anvil, [
          v3SwapCall(market, rng),
          v2SwapCall(market, rng),
          v3SwapCall(market, rng),
        ]);
      const mined = await anvil.pub.getBlock({ blockTag: 'latest' });
      expect(mined.number).toBe((parent.number as bigint) + 1n);
      expect(mined.baseFeePerGas).toBe(predicted);
      compared++;
    }
    expect(compared).toBe(6);
  }, 60_000);
});
