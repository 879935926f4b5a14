/**
 * On-chain orders in the order manager (ADR 0016), on anvil with the real Uniswap V2 contracts:
 * an order placed through the OrderManager becomes a transaction through the EVM venue, and its
 * receipt books one fill; the risk gate and a failing simulation each stop an order before any
 * transaction exists; a stuck transaction is replaced with bumped fees and the replacement fills
 * the order; `anvil_reorg` removing the block of an order's transaction is seen by the pool syncer
 * (state rolled back) and by the order manager (`tx.reorged`, positions unchanged), and the
 * transaction's final fate is booked once; a send lost in transit leaves the order UNKNOWN and it
 * is resolved from the chain; a restart with a pending transaction resolves it without resending.
 */
import { createServer, type Server } from 'node:http';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  maxUint256,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, SimulatedClock } from '../../../src/core/index.ts';
import { ALLOW_ALL, OrderManager, type PreTradeCheck } from '../../../src/execution/index.ts';
import type { Fill, OrderIntent, SpotInstrument, TxProgress } from '../../../src/model/index.ts';
import { parseRiskConfig, RiskEngine } from '../../../src/risk/index.ts';
import {
  BundleSubmitter,
  EvmVenue,
  type EvmVenueOptions,
  GasModel,
  LocalRelay,
  PoolSyncer,
  parseEvmChainConfig,
  parsePoolList,
  poolsFromList,
} from '../../../src/venues/evm/index.ts';
import {
  type Anvil,
  approveAll,
  createV2Pair,
  DEV_KEYS,
  deployTokens,
  deployUniswap,
  skipWithoutAnvil,
  startAnvil,
  UNISWAP,
  type UniswapDeployment,
} from '../../helpers/anvil.ts';

const SKIP = skipWithoutAnvil('evm onchain-orders.test');

/** One poll of the venue, which must report no trouble. */
async function polled(venue: EvmVenue): Promise<void> {
  expect((await venue.poll()).map((e) => e.message)).toEqual([]);
}
const TRADER = privateKeyToAccount(DEV_KEYS[1] as Hex);
const VENUE = 'evm-31337';

interface Journaled {
  readonly name: string;
  readonly payload: Record<string, unknown>;
}

describe.skipIf(SKIP)('on-chain orders through the order manager (anvil, Uniswap V2)', () => {
  let anvil: Anvil;
  let uni: UniswapDeployment;
  let base: Address;
  let quote: Address;
  let pair: Address;
  let gas: GasModel;
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    anvil = await startAnvil();
    [base, quote] = (await deployTokens(anvil, 2)) as [Address, Address];
    uni = await deployUniswap(anvil);
    pair = await createV2Pair(anvil, uni.v2Factory, base, quote, 10n ** 24n, 2n * 10n ** 24n);
    await approveAll(anvil, [base, quote], [uni.router02]); // the dev account trades too (a competitor)
    // The trader (its own account, so its nonces are the venue's alone) holds both tokens and lets the router spend them.
    for (const t of [base, quote])
      await anvil.send(t, UNISWAP.erc20.abi, 'transfer', [TRADER.address, 10n ** 23n]);
    const wallet = createWalletClient({ chain: foundry, transport: http(anvil.url), account: TRADER });
    for (const t of [base, quote]) {
      const hash = await wallet.writeContract({
        address: t,
        abi: UNISWAP.erc20.abi,
        functionName: 'approve',
        args: [uni.router02, maxUint256],
        chain: foundry,
        account: TRADER,
      });
      await anvil.pub.waitForTransactionReceipt({ hash });
    }
    const config = parseEvmChainConfig({
      chain: 'anvil',
      rpc: { http: anvil.url },
      gas: { priorityFee: { kind: 'fixed', wei: '1000000000' } },
    });
    gas = new GasModel(config.gas, anvil.pub, anvil.url);
  }, 60_000);

  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await anvil.rpc('evm_setAutomine', [true]);
  });

  afterAll(async () => {
    await anvil?.stop();
  });

  interface Desk {
    readonly venue: EvmVenue;
    readonly om: OrderManager;
    readonly clock: SimulatedClock;
    readonly journal: Journaled[];
    readonly fills: Fill[];
    /** Base-token position from booked fills only (the portfolio's view). */
    position(): Decimal;
    instrument: SpotInstrument;
  }

  function desk(
    options: Partial<EvmVenueOptions> = {},
    check: PreTradeCheck = ALLOW_ALL,
    client: PublicClient = anvil.pub,
  ): Desk {
    const clock = options.clock instanceof SimulatedClock ? options.clock : new SimulatedClock(1_000);
    const venue = new EvmVenue({
      id: VENUE,
      chainId: 31337,
      client,
      endpoint: anvil.url,
      account: TRADER,
      gas,
      clock,
      markets: [
        {
          symbol: 'BASE-QUOTE',
          base: { address: base, symbol: 'BASE', decimals: 18 },
          quote: { address: quote, symbol: 'QUOTE', decimals: 18 },
          router: uni.router02,
        },
      ],
      confirmations: 2,
      replaceAfterMs: 10_000,
      ...options,
    });
    const journal: Journaled[] = [];
    const om = new OrderManager({
      venues: { [VENUE]: venue },
      preTradeCheck: check,
      clock,
      events: {
        emit: (event, payload) =>
          void journal.push({ name: event.name, payload: JSON.parse(JSON.stringify(payload)) }),
      },
    });
    const fills: Fill[] = [];
    om.onFill((fill) => fills.push(fill));
    stops.push(
      () => om.dispose(),
      () => venue.stop(),
    );
    const instrument = venue.instruments()[0] as SpotInstrument;
    const position = () =>
      fills.reduce((s, f) => (f.side === 'buy' ? s.add(f.quantity) : s.sub(f.quantity)), Decimal.ZERO);
    return { venue, om, clock, journal, fills, position, instrument };
  }

  let decision = 0;
  function submit(d: Desk, intent: Omit<OrderIntent, 'kind' | 'instrumentId'>) {
    return d.om.submitIntent(
      { kind: 'order', instrumentId: d.instrument.id, ...intent },
      {
        decisionId: `d${++decision}`,
        leg: 0,
        ts: d.clock.now(),
        referencePrice: 2,
        instrument: d.instrument,
      },
    );
  }

  const txEvents = (d: Desk, name: string) =>
    d.journal.filter((e) => e.name === name).map((e) => e.payload.tx as TxProgress);
  const balanceOf = (token: Address) =>
    anvil.read<bigint>(token, UNISWAP.erc20.abi, 'balanceOf', [TRADER.address]);
  const nonceOf = (tag: 'latest' | 'pending') =>
    anvil.pub.getTransactionCount({ address: TRADER.address, blockTag: tag });

  it('an order becomes a transaction; its receipt books one fill once final, with the gas as fee', async () => {
    const d = desk();
    const [base0, quote0] = [await balanceOf(base), await balanceOf(quote)];
    const result = await submit(d, {
      side: 'sell',
      type: 'limit',
      quantity: Decimal.from('10'),
      limitPrice: Decimal.from('1.9'),
    });
    expect(result.outcome).toBe('submitted');
    const id = result.order.clientOrderId;
    expect(d.om.order(id)?.status).toBe('ACCEPTED');
    const [sent] = txEvents(d, 'tx.sent');
    // Anvil's automine mines after the send returns: wait for the block before reading the count.
    await anvil.pub.waitForTransactionReceipt({ hash: sent?.hash as Hex });
    expect(sent?.nonce).toBe((await nonceOf('latest')) - 1);

    await polled(d.venue); // mined by automine: included, one confirmation of two
    expect(txEvents(d, 'tx.included')).toHaveLength(1);
    expect(d.fills).toHaveLength(0);
    expect(d.om.order(id)?.status).toBe('ACCEPTED');

    await anvil.mine(1);
    await polled(d.venue);
    await polled(d.venue);
    expect(d.fills).toHaveLength(1);
    expect(d.om.order(id)?.status).toBe('FILLED');
    const fill = d.fills[0] as Fill;
    const receipt = await anvil.pub.getTransactionReceipt({ hash: sent?.hash as Hex });
    expect(fill.tradeId).toBe(receipt.transactionHash);
    expect(fill.fee.units).toBe(receipt.gasUsed * receipt.effectiveGasPrice);
    expect(fill.quantity.toString()).toBe('10');
    // What the chain moved is what was booked: 10 BASE out, quantity × price QUOTE in (≥ the bound).
    const [base1, quote1] = [await balanceOf(base), await balanceOf(quote)];
    expect(base0 - base1).toBe(10n * 10n ** 18n);
    // The price is the chain's notional ÷ quantity at 18 places (half-even): within 1e-18 per unit.
    const onChain = Decimal.fromUnits(quote1 - quote0);
    expect(
      fill.price.mul(fill.quantity).sub(onChain).abs().lte(fill.quantity.mul('0.000000000000000001')),
    ).toBe(true);
    expect(fill.price.gte('1.9')).toBe(true);
    expect(d.journal.filter((e) => e.name === 'order.filled')).toHaveLength(1);
  }, 30_000);

  it('the risk gate and a failing simulation each stop an order before any transaction exists', async () => {
    // The desk's own risk engine, with a 100 QUOTE cap per order; positions from this desk's fills.
    let position = 0;
    const risk = new RiskEngine({
      config: parseRiskConfig({ maxOrderNotional: { default: 100 }, priceBandBps: 10_000 }),
      portfolio: { position: () => position, positionExact: () => Decimal.fromNumberRounded(position) },
      clock: new SimulatedClock(1_000),
    });
    const gate: PreTradeCheck = { check: (o) => risk.check(o) };
    const d = desk({}, gate);
    d.om.onFill((f) => {
      position += f.side === 'buy' ? f.quantity.toNumber() : -f.quantity.toNumber();
    });
    const before = { pending: await nonceOf('pending'), block: await anvil.pub.getBlockNumber() };

    const denied = await submit(d, {
      side: 'sell',
      type: 'limit',
      quantity: Decimal.from('5000'),
      limitPrice: Decimal.from('1'),
    });
    expect(denied.outcome).toBe('denied');
    expect(denied.outcome === 'denied' && denied.denial.code).toBe('NOTIONAL_EXCEEDS_MAX_PER_ORDER');

    // Asks 3 QUOTE per BASE from a pool at ≈2: the router reverts, so nothing is sent.
    const greedy = await submit(d, {
      side: 'sell',
      type: 'limit',
      quantity: Decimal.from('10'),
      limitPrice: Decimal.from('3'),
    });
    expect(greedy.outcome).toBe('rejected');
    expect(d.om.order(greedy.order.clientOrderId)?.status).toBe('REJECTED');
    const rejected = d.journal.find((e) => e.name === 'order.rejected')?.payload as {
      error: { code: string; details: { reason: string } };
    };
    expect(rejected.error.code).toBe('CONCORD_ERR_EVM_SIMULATION_FAILED');
    expect(rejected.error.details.reason).toMatch(/INSUFFICIENT_OUTPUT_AMOUNT/);

    expect(await nonceOf('pending')).toBe(before.pending);
    expect(await anvil.pub.getBlockNumber()).toBe(before.block);
    expect(d.venue.sent).toEqual({ order: 0, replacement: 0, cancel: 0, rebroadcast: 0 });
    expect(txEvents(d, 'tx.sent')).toHaveLength(0);

    // The nonce handed back is the next order's: no gap.
    const ok = await submit(d, { side: 'buy', type: 'market', quantity: Decimal.from('1') });
    expect(ok.outcome).toBe('submitted');
    expect(txEvents(d, 'tx.sent')[0]?.nonce).toBe(before.pending);
  }, 30_000);

  it('a transaction that passed its simulation and reverts on chain rejects the order with the reason; no fill', async () => {
    const d = desk({ confirmations: 1 });
    await anvil.rpc('evm_setAutomine', [false]);
    // A tight bound: at most 2.05 QUOTE per BASE, against a pool at ≈2.
    const result = await submit(d, {
      side: 'buy',
      type: 'limit',
      quantity: Decimal.from('5'),
      limitPrice: Decimal.from('2.05'),
    });
    expect(result.outcome).toBe('submitted');
    const id = result.order.clientOrderId;
    // Someone else buys a lot of BASE first (a higher tip), moving the price past our bound.
    const amountOut = 50_000n * 10n ** 18n;
    const hash = await anvil.wallet.writeContract({
      address: uni.router02,
      abi: UNISWAP.router02.abi,
      functionName: 'swapTokensForExactTokens',
      args: [amountOut, maxUint256, [quote, base], anvil.account.address, 2n ** 40n],
      chain: foundry,
      account: anvil.account,
      gas: 300_000n,
      maxPriorityFeePerGas: 50_000_000_000n,
      maxFeePerGas: 100_000_000_000n,
    });
    await anvil.mine(1);
    expect((await anvil.pub.getTransactionReceipt({ hash })).status).toBe('success');
    await polled(d.venue);
    expect(d.om.order(id)?.status).toBe('REJECTED');
    expect(d.om.order(id)?.reason).toMatch(
      /^CONCORD_ERR_EVM_TX_REVERTED: transaction 0x[0-9a-f]+ reverted in block/,
    );
    expect(txEvents(d, 'tx.included')[0]?.status).toBe('reverted');
    expect(d.fills).toHaveLength(0);
  }, 30_000);

  it('a nonce used behind the venue’s back: the order is refused unsent, the counter re-reads the chain, the next order goes', async () => {
    const d = desk({ confirmations: 1 });
    const first = await submit(d, { side: 'sell', type: 'market', quantity: Decimal.from('1') });
    expect(first.outcome).toBe('submitted');
    // Another wallet with the same key takes the next nonce.
    const other = createWalletClient({ chain: foundry, transport: http(anvil.url), account: TRADER });
    const hash = await other.sendTransaction({
      to: TRADER.address,
      value: 0n,
      chain: foundry,
      account: TRADER,
    });
    await anvil.pub.waitForTransactionReceipt({ hash });
    const stale = await submit(d, { side: 'sell', type: 'market', quantity: Decimal.from('1') });
    expect(stale.outcome).toBe('rejected');
    expect(stale.order.reason).toMatch(/nonce/i);
    const next = await submit(d, { side: 'sell', type: 'market', quantity: Decimal.from('1') });
    expect(next.outcome).toBe('submitted');
    const sent = txEvents(d, 'tx.sent').at(-1);
    await anvil.pub.waitForTransactionReceipt({ hash: sent?.hash as Hex }); // automine lands after the send returns
    expect(sent?.nonce).toBe((await nonceOf('latest')) - 1);
    await polled(d.venue);
    expect(d.om.order(next.order.clientOrderId)?.status).toBe('FILLED');
  }, 30_000);

  it('a stuck transaction is replaced at the same nonce with bumped fees, and the replacement fills the order', async () => {
    const d = desk();
    await anvil.rpc('evm_setAutomine', [false]);
    const result = await submit(d, { side: 'buy', type: 'market', quantity: Decimal.from('3') });
    expect(result.outcome).toBe('submitted');
    const id = result.order.clientOrderId;
    const original = txEvents(d, 'tx.sent')[0] as TxProgress;

    await polled(d.venue); // not yet timed out
    expect(txEvents(d, 'tx.replaced')).toHaveLength(0);
    d.clock.advanceBy(10_000);
    await polled(d.venue);
    const [replacement] = txEvents(d, 'tx.replaced');
    expect(replacement?.nonce).toBe(original.nonce);
    expect(replacement?.purpose).toBe('order');
    expect(replacement?.replaces).toBe(original.hash);
    expect(BigInt(replacement?.maxPriorityFeePerGas ?? 0) * 8n).toBeGreaterThanOrEqual(
      BigInt(original.maxPriorityFeePerGas ?? 0) * 9n,
    );
    expect(BigInt(replacement?.maxFeePerGas ?? 0) * 8n).toBeGreaterThanOrEqual(
      BigInt(original.maxFeePerGas ?? 0) * 9n,
    );

    await anvil.mine(1);
    const mined = await anvil.pub.getBlock({ blockTag: 'latest' });
    expect(mined.transactions).toEqual([replacement?.hash]);
    await anvil.mine(1);
    await polled(d.venue);
    expect(d.om.order(id)?.status).toBe('FILLED');
    expect(d.fills.map((f) => f.tradeId)).toEqual([replacement?.hash]);
    expect(d.position().toString()).toBe('3');
    expect(d.venue.sent.replacement).toBe(1);
  }, 30_000);

  it('after the replacements and the cancel, nothing more is sent: tx.stuck; the cancel cancels the order', async () => {
    const d = desk({ maxReplacements: 1 });
    await anvil.rpc('evm_setAutomine', [false]);
    const result = await submit(d, {
      side: 'sell',
      type: 'limit',
      quantity: Decimal.from('1'),
      limitPrice: Decimal.from('1'),
    });
    const id = result.order.clientOrderId;
    for (let k = 0; k < 5; k++) {
      d.clock.advanceBy(10_000);
      await polled(d.venue);
    }
    const replaced = txEvents(d, 'tx.replaced');
    expect(replaced.map((t) => t.purpose)).toEqual(['order', 'cancel', 'cancel']);
    const stuck = txEvents(d, 'tx.stuck');
    expect(stuck).toHaveLength(1);
    expect(stuck[0]?.code).toBe('CONCORD_ERR_EVM_TX_STUCK');
    const sentBefore = { ...d.venue.sent };
    d.clock.advanceBy(10_000);
    await polled(d.venue);
    expect(d.venue.sent).toEqual(sentBefore);

    await anvil.mine(2);
    await polled(d.venue);
    expect(d.om.order(id)?.status).toBe('CANCELED');
    expect(d.fills).toHaveLength(0);
  }, 30_000);

  it('anvil_reorg removing the block of an order’s transaction: pool rolled back, tx.reorged, positions unchanged, then booked once when mined again', async () => {
    const d = desk({ confirmations: 3 });
    const infos = await poolsFromList(
      anvil.pub,
      anvil.url,
      parsePoolList([{ address: pair, protocol: 'uniswap-v2', dex: 'uniswap-v2' }]),
    );
    const syncer = new PoolSyncer(anvil.pub, infos, { venue: VENUE, chainId: 31337, endpoint: anvil.url });
    await syncer.start();
    stops.push(d.venue.watchReorgs(syncer));
    const reservesBefore = JSON.stringify(syncer.state(pair), (_k, v) =>
      typeof v === 'bigint' ? v.toString() : v,
    );

    const result = await submit(d, { side: 'sell', type: 'market', quantity: Decimal.from('20') });
    const id = result.order.clientOrderId;
    const hash = txEvents(d, 'tx.sent')[0]?.hash as Hex;
    await syncer.sync();
    await polled(d.venue);
    const included = txEvents(d, 'tx.included')[0] as TxProgress;
    expect(included.hash).toBe(hash);
    expect(
      JSON.stringify(syncer.state(pair), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    ).not.toBe(reservesBefore);

    await anvil.rpc('anvil_reorg', [1, []]);
    await syncer.sync();
    // The syncer rolled the pool back and the order manager heard of the transaction's fate.
    expect(JSON.stringify(syncer.state(pair), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(
      reservesBefore,
    );
    const reorged = txEvents(d, 'tx.reorged');
    expect(reorged).toHaveLength(1);
    expect(reorged[0]).toMatchObject({ hash, blockHash: included.blockHash, final: false });
    expect(d.om.order(id)?.status).toBe('ACCEPTED');
    expect(d.fills).toHaveLength(0);
    expect(d.position().isZero()).toBe(true);

    // Its final fate: anvil_reorg drops the removed block's transactions from its pool, so the venue
    // finds it gone (tx.dropped) and sends the same signed bytes again after a passing simulation.
    await polled(d.venue);
    expect(txEvents(d, 'tx.dropped').map((t) => t.hash)).toEqual([hash]);
    expect(txEvents(d, 'tx.sent').map((t) => t.hash)).toEqual([hash, hash]);
    expect(d.venue.sent).toMatchObject({ order: 1, rebroadcast: 1, replacement: 0, cancel: 0 });
    await anvil.mine(1);
    await polled(d.venue);
    await anvil.mine(3);
    await polled(d.venue);
    await syncer.sync();
    const receipt = await anvil.pub.getTransactionReceipt({ hash });
    expect(receipt.blockHash).not.toBe(included.blockHash);
    expect(d.om.order(id)?.status).toBe('FILLED');
    expect(d.fills).toHaveLength(1);
    expect(d.position().toString()).toBe('-20');
    expect(
      JSON.stringify(syncer.state(pair), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    ).not.toBe(reservesBefore);
    expect(d.journal.filter((e) => e.name === 'order.filled')).toHaveLength(1);
    await polled(d.venue);
    expect(d.fills).toHaveLength(1);
  }, 40_000);

  it('policy expire: a transaction a reorg dropped is voided by a cancel at its nonce and the order expires', async () => {
    const d = desk({ confirmations: 3, onDropped: 'expire' });
    const result = await submit(d, { side: 'buy', type: 'market', quantity: Decimal.from('1') });
    const id = result.order.clientOrderId;
    const sent = txEvents(d, 'tx.sent')[0] as TxProgress;
    await polled(d.venue);
    expect(txEvents(d, 'tx.included')).toHaveLength(1);
    await anvil.rpc('anvil_reorg', [1, []]);
    await polled(d.venue); // without a syncer, the poll sees the receipt gone
    expect(txEvents(d, 'tx.reorged')).toHaveLength(1);
    const [cancel] = txEvents(d, 'tx.replaced');
    expect(cancel).toMatchObject({ purpose: 'cancel', nonce: sent.nonce });
    await anvil.mine(3);
    await polled(d.venue);
    expect(d.om.order(id)?.status).toBe('EXPIRED');
    expect(d.fills).toHaveLength(0);
    expect(d.position().isZero()).toBe(true);
    // The order's own bytes can never land now: its nonce is spent by the cancel.
    expect(await nonceOf('latest')).toBe(sent.nonce + 1);
    await expect(anvil.pub.getTransactionReceipt({ hash: sent.hash as Hex })).rejects.toThrow();
  }, 30_000);

  it('a reorg deeper than the finality depth, after the fill was booked, is flagged for an operator', async () => {
    const d = desk({ confirmations: 1 });
    const infos = await poolsFromList(
      anvil.pub,
      anvil.url,
      parsePoolList([{ address: pair, protocol: 'uniswap-v2', dex: 'uniswap-v2' }]),
    );
    const syncer = new PoolSyncer(anvil.pub, infos, { venue: VENUE, chainId: 31337, endpoint: anvil.url });
    await syncer.start();
    stops.push(d.venue.watchReorgs(syncer));
    const result = await submit(d, {
      side: 'sell',
      type: 'limit',
      quantity: Decimal.from('2'),
      limitPrice: Decimal.from('1'),
    });
    const id = result.order.clientOrderId;
    await syncer.sync();
    await polled(d.venue);
    expect(d.om.order(id)?.status).toBe('FILLED');
    await anvil.rpc('anvil_reorg', [1, []]);
    await syncer.sync();
    const [reorged] = txEvents(d, 'tx.reorged');
    expect(reorged).toMatchObject({ final: true, code: 'CONCORD_ERR_EVM_REORG_PAST_FINALITY' });
    const mismatch = d.journal.find((e) => e.name === 'order.reconcile-mismatch')?.payload as {
      error: { details: { code: string } };
    };
    expect(mismatch.error.details.code).toBe('CONCORD_ERR_EVM_REORG_PAST_FINALITY');
    await polled(d.venue);
    expect(d.venue.sent).toMatchObject({ order: 1, rebroadcast: 0, replacement: 0, cancel: 0 });
  }, 30_000);

  it('private submission: the order goes to the relay as a bundle, the built block fills it; the public mempool never sees it', async () => {
    const relay = await LocalRelay.start({ upstream: anvil.url });
    try {
      const bundles = new BundleSubmitter({
        client: anvil.pub,
        endpoint: anvil.url,
        chainId: 31337,
        relayUrl: relay.url,
        authKey: DEV_KEYS[2] as Hex,
      });
      const d = desk({ confirmations: 1, submission: { kind: 'private', bundles } });
      await anvil.rpc('evm_setAutomine', [false]);
      const result = await submit(d, {
        side: 'sell',
        type: 'limit',
        quantity: Decimal.from('3'),
        limitPrice: Decimal.from('1.5'),
      });
      expect(result.outcome).toBe('submitted');
      const id = result.order.clientOrderId;
      const hash = txEvents(d, 'tx.sent')[0]?.hash as Hex;
      expect(relay.counts).toMatchObject({ eth_callBundle: 1, eth_sendBundle: 1 });
      await expect(anvil.pub.getTransaction({ hash })).rejects.toThrow(); // not in the node's mempool
      await polled(d.venue); // the bundle's block is not built yet: pending, nothing sent again
      expect(txEvents(d, 'tx.dropped')).toHaveLength(0);
      const built = await relay.buildBlock();
      expect(built.included).toHaveLength(1); // our bundle
      expect((await anvil.pub.getTransactionReceipt({ hash })).blockNumber).toBe(built.blockNumber);
      await polled(d.venue);
      expect(d.om.order(id)?.status).toBe('FILLED');
      expect(d.fills.map((f) => f.tradeId)).toEqual([hash]);

      // A bundle whose simulation fails never reaches the relay.
      const before = { ...relay.counts };
      const greedy = await submit(d, {
        side: 'sell',
        type: 'limit',
        quantity: Decimal.from('3'),
        limitPrice: Decimal.from('5'),
      });
      expect(greedy.outcome).toBe('rejected');
      expect(relay.counts).toEqual(before);
    } finally {
      await relay.close();
    }
  }, 30_000);

  it('a send lost in transit leaves the order UNKNOWN; reconciliation resolves it from the chain, nothing is resent', async () => {
    const proxy = await lossyProxy(anvil.url);
    try {
      const client = createPublicClient({
        chain: foundry,
        transport: http(proxy.url, { retryCount: 0 }),
      }) as PublicClient;
      const d = desk({ confirmations: 1 }, ALLOW_ALL, client);
      const result = await submit(d, { side: 'buy', type: 'market', quantity: Decimal.from('2') });
      expect(result.outcome).toBe('unknown');
      const id = result.order.clientOrderId;
      expect(d.om.order(id)?.status).toBe('UNKNOWN');
      expect(proxy.lost).toBe(1);
      const resolved = await d.om.reconcileOrder(id);
      expect(resolved.outcome).toBe('resolved');
      expect(d.om.order(id)?.status).toBe('FILLED');
      expect(d.fills).toHaveLength(1);
      expect(proxy.sends).toBe(1);
      expect(d.venue.sent).toEqual({ order: 0, replacement: 0, cancel: 0, rebroadcast: 0 });
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('a restart with a pending transaction resolves it from the chain without resending', async () => {
    const first = desk({ confirmations: 1 });
    await anvil.rpc('evm_setAutomine', [false]);
    const result = await submit(first, {
      side: 'sell',
      type: 'limit',
      quantity: Decimal.from('4'),
      limitPrice: Decimal.from('1.5'),
    });
    const id = result.order.clientOrderId;
    const hash = txEvents(first, 'tx.sent')[0]?.hash as Hex;
    const nonceBefore = await nonceOf('latest');
    first.om.dispose();
    first.venue.stop();

    // The new process: the order manager and the venue rebuilt from the journal alone.
    const second = desk({ confirmations: 1 });
    for (const e of first.journal) {
      second.om.applyJournaledEvent(e.name, e.payload);
      if (e.name.startsWith('tx.'))
        second.venue.restoreTx(
          (e.payload.order as { clientOrderId: string }).clientOrderId,
          e.payload.tx as TxProgress,
        );
    }
    expect(second.om.order(id)?.status).toBe('ACCEPTED');
    await polled(second.venue); // pending: nothing to do, nothing sent
    await anvil.mine(1);
    const resolved = await second.om.reconcileOrder(id);
    expect(resolved.outcome).toBe('resolved');
    expect(second.om.order(id)?.status).toBe('FILLED');
    expect(second.fills.map((f) => f.tradeId)).toEqual([hash]);
    expect(second.venue.sent).toEqual({ order: 0, replacement: 0, cancel: 0, rebroadcast: 0 });
    expect(await nonceOf('latest')).toBe(nonceBefore + 1);
    const block = await anvil.pub.getBlock({ blockTag: 'latest' });
    expect(block.transactions).toEqual([hash]);
  }, 30_000);
});

/**
 * A loopback JSON-RPC proxy in front of anvil that forwards everything, but answers the first
 * eth_sendRawTransaction by closing the connection after anvil took it: a send lost in transit.
 */
async function lossyProxy(
  target: string,
): Promise<{ url: string; lost: number; sends: number; close(): Promise<void> }> {
  const state = { lost: 0, sends: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const sending = body.includes('eth_sendRawTransaction');
      if (sending) state.sends++;
      const answer = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await answer.text();
      if (sending && state.lost === 0) {
        state.lost++;
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get lost() {
      return state.lost;
    },
    get sends() {
      return state.sends;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
