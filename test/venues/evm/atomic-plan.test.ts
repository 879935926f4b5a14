/**
 * An atomic plan through the order manager on anvil with the real Uniswap V2 contracts: the two
 * legs of a plan (buy A with WETH on one pair, sell it on another pair of the same tokens, made
 * dislocated by the test) reach the EVM venue in one burst and leave as ONE transaction through
 * Concord's executor contract; both legs are FILLED from its receipt, and the realised profit
 * equals the prediction (exact V2 maths on the reserves), net of the gas booked as the fill fee.
 * A plan whose minimum profit cannot be met fails the simulation: nothing is sent (nonce
 * unchanged) and both legs are rejected with the revert reason.
 */
import { type Address, parseAbi } from 'viem';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, SimulatedClock } from '../../../src/core/index.ts';
import { ALLOW_ALL, OrderManager } from '../../../src/execution/index.ts';
import { getAmountIn, getAmountOut } from '../../../src/model/amm/index.ts';
import type { Fill, OrderableInstrument, PlanIntent } from '../../../src/model/index.ts';
import {
  CONCORD_EXECUTOR,
  EvmVenue,
  EXECUTOR_ABI,
  GasModel,
  parseEvmChainConfig,
} from '../../../src/venues/evm/index.ts';
import {
  type Anvil,
  approveAll,
  createV2Pair,
  deployTokens,
  deployUniswap,
  FAR_DEADLINE,
  skipWithoutAnvil,
  startAnvil,
  UNISWAP,
  type UniswapDeployment,
} from '../../helpers/anvil.ts';

const SKIP = skipWithoutAnvil('evm atomic-plan.test');
const E18 = 10n ** 18n;
const VENUE = 'evm-31337';
const WETH_ABI = parseAbi(['function deposit() payable']);

describe.skipIf(SKIP)('an atomic plan on the EVM venue: one executor transaction (anvil, Uniswap V2)', () => {
  let anvil: Anvil;
  let uni: UniswapDeployment;
  let weth: Address;
  let tokenA: Address;
  let cheap: Address;
  let rich: Address;
  let executor: Address;
  let gas: GasModel;
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    anvil = await startAnvil();
    uni = await deployUniswap(anvil);
    weth = uni.weth;
    [tokenA] = (await deployTokens(anvil, 1)) as [Address];
    const hash = await anvil.wallet.writeContract({
      address: weth,
      abi: WETH_ABI,
      functionName: 'deposit',
      value: 500n * E18,
      account: anvil.account,
      chain: anvil.wallet.chain,
    });
    await anvil.pub.waitForTransactionReceipt({ hash });
    await approveAll(anvil, [weth, tokenA], [uni.router02]);
    // The same pair (WETH/A) on two factories, both at 1 WETH = 2000 A.
    const otherFactory = await anvil.deploy(UNISWAP.v2Factory, [anvil.account.address]);
    cheap = await createV2Pair(anvil, uni.v2Factory, weth, tokenA, 100n * E18, 200_000n * E18);
    rich = await createV2Pair(anvil, otherFactory, weth, tokenA, 100n * E18, 200_000n * E18);
    // The dislocation: A dumped into the first pair makes A cheap there.
    await anvil.send(uni.router02, UNISWAP.router02.abi, 'swapExactTokensForTokens', [
      30_000n * E18,
      0n,
      [tokenA, weth],
      anvil.account.address,
      FAR_DEADLINE,
    ]);
    executor = await anvil.deploy({ abi: EXECUTOR_ABI, bytecode: CONCORD_EXECUTOR.bytecode }, [
      anvil.account.address,
    ]);
    await anvil.send(weth, UNISWAP.erc20.abi, 'transfer', [executor, 50n * E18]);
    const config = parseEvmChainConfig({
      chain: 'anvil',
      rpc: { http: anvil.url },
      gas: { priorityFee: { kind: 'fixed', wei: '1000000000' } },
    });
    gas = new GasModel(config.gas, anvil.pub, anvil.url);
  }, 120_000);

  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  afterAll(async () => {
    await anvil?.stop();
  });

  function desk() {
    const clock = new SimulatedClock(1_000);
    const token = (address: Address, symbol: string) => ({ address, symbol, decimals: 18 });
    const market = (symbol: string, pool: Address) => ({
      symbol,
      base: token(tokenA, 'A'),
      quote: token(weth, 'WETH'),
      router: uni.router02,
      pool,
    });
    const venue = new EvmVenue({
      id: VENUE,
      chainId: 31337,
      client: anvil.pub,
      endpoint: anvil.url,
      account: anvil.account,
      gas,
      clock,
      markets: [market('uni/A-WETH', cheap), market('other/A-WETH', rich)],
      confirmations: 1,
      executor,
    });
    const journal: { name: string; payload: unknown }[] = [];
    const om = new OrderManager({
      venues: { [VENUE]: venue },
      preTradeCheck: ALLOW_ALL,
      clock,
      events: { emit: (event, payload) => void journal.push({ name: event.name, payload }) },
    });
    const fills: Fill[] = [];
    om.onFill((fill) => fills.push(fill));
    stops.push(
      () => om.dispose(),
      () => venue.stop(),
    );
    const [buyOn, sellOn] = venue.instruments() as OrderableInstrument[];
    return {
      venue,
      om,
      clock,
      fills,
      journal,
      buyOn: buyOn as OrderableInstrument,
      sellOn: sellOn as OrderableInstrument,
    };
  }

  const PAIR_ABI = parseAbi(['function getReserves() view returns (uint112, uint112, uint32)']);
  /** A pair's reserves as [WETH, A]. */
  async function reserves(pair: Address): Promise<[bigint, bigint]> {
    const [r0, r1] = await anvil.read<[bigint, bigint, number]>(pair, PAIR_ABI, 'getReserves');
    return weth.toLowerCase() < tokenA.toLowerCase() ? [r0, r1] : [r1, r0];
  }
  const balanceOf = (t: Address, who: Address) =>
    anvil.read<bigint>(t, UNISWAP.erc20.abi, 'balanceOf', [who]);
  const nonce = () => anvil.pub.getTransactionCount({ address: anvil.account.address, blockTag: 'pending' });
  /** A price in 1e-8 steps (the default tick), rounded up or down. */
  const price = (num: bigint, den: bigint, up: boolean) => {
    const steps = (num * 10n ** 8n + (up ? den - 1n : 0n)) / den;
    return Decimal.fromUnits(steps * 10n ** 10n);
  };

  function plan(d: ReturnType<typeof desk>, q: bigint, buyLimit: Decimal, sellLimit: Decimal, id: string) {
    const quantity = Decimal.fromUnits(q);
    const intent: PlanIntent = {
      kind: 'plan',
      label: 'A across two pairs',
      expectedNetEdge: 0.01,
      atomic: true,
      legs: [
        {
          kind: 'order',
          instrumentId: d.buyOn.id,
          side: 'buy',
          type: 'limit',
          quantity,
          limitPrice: buyLimit,
        },
        {
          kind: 'order',
          instrumentId: d.sellOn.id,
          side: 'sell',
          type: 'limit',
          quantity,
          limitPrice: sellLimit,
        },
      ],
    };
    return d.om.submitPlan(intent, {
      decisionId: id,
      ts: d.clock.now(),
      legs: [
        { instrument: d.buyOn, referencePrice: buyLimit.toNumber() },
        { instrument: d.sellOn, referencePrice: sellLimit.toNumber() },
      ],
      mode: 'parallel',
      policy: 'none',
    });
  }

  /** Lets the burst's microtask and the venue's queue run. */
  async function settle(d: ReturnType<typeof desk>, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (
        ids.every((id) =>
          ['FILLED', 'REJECTED', 'CANCELED', 'EXPIRED'].includes(String(d.om.order(id)?.status)),
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 25));
      if (i % 4 === 0) expect((await d.venue.poll()).map((e) => e.message)).toEqual([]);
    }
  }

  it('two legs in one burst → one executor transaction; both FILLED; realised profit = prediction, net of gas', async () => {
    const d = desk();
    // Predict on the reserves: buy q A on the cheap pair (q what 1 WETH buys there), sell q on the rich one.
    const [w1, a1] = await reserves(cheap);
    const [w2, a2] = await reserves(rich);
    const q = getAmountOut(E18, w1, a1);
    const amountIn = getAmountIn(q, w1, a1);
    const out = getAmountOut(q, a2, w2);
    const profit = out - amountIn;
    expect(profit > 0n).toBe(true);
    const nonceBefore = await nonce();
    const wethBefore = await balanceOf(weth, executor);
    const ethBefore = await anvil.pub.getBalance({ address: anvil.account.address });
    const head = await anvil.pub.getBlockNumber();

    const started = await plan(
      d,
      q,
      price(amountIn * 101n, q * 100n, true),
      price(out * 99n, q * 100n, false),
      'p1',
    );
    expect(started.outcome).toBe('started');
    const ids = started.plan.legs.map((l) => l.clientOrderId);
    await settle(d, ids);

    // One transaction on chain, to the executor, in one block.
    expect(await nonce()).toBe(nonceBefore + 1);
    expect(d.venue.sent.order).toBe(1);
    const block = await anvil.pub.getBlock({ blockNumber: head + 1n, includeTransactions: true });
    expect(block.transactions).toHaveLength(1);
    expect(block.transactions[0]?.to?.toLowerCase()).toBe(executor.toLowerCase());
    expect(await anvil.pub.getBlockNumber()).toBe(head + 1n);

    for (const id of ids) expect(d.om.order(id)?.status).toBe('FILLED');
    expect(d.fills).toHaveLength(2);
    const [buy, sell] = d.fills as [Fill, Fill];
    expect(buy.side).toBe('buy');
    expect(buy.quantity.units).toBe(q);
    expect(sell.quantity.units).toBe(q);
    // The fill price is the pair's quote amount over the quantity, to 18 decimals: q × price is
    // that amount within the rounding of the price (q / 1e18 raw units).
    const near = (a: bigint, b: bigint) => (a > b ? a - b : b - a) <= q / E18 + 1n;
    expect(near(buy.quantity.mul(buy.price).units, amountIn)).toBe(true);
    expect(near(sell.quantity.mul(sell.price).units, out)).toBe(true);

    // Realised = predicted: the executor's WETH gain; the gas, paid by the owner, is the fill fee.
    const realised = (await balanceOf(weth, executor)) - wethBefore;
    expect(realised).toBe(profit);
    const gasPaid = ethBefore - (await anvil.pub.getBalance({ address: anvil.account.address }));
    expect(buy.fee.units).toBe(gasPaid);
    expect(sell.fee.units).toBe(0n);
    expect(realised - gasPaid).toBe(profit - buy.fee.units);
    expect(gasPaid > 0n).toBe(true);
  }, 60_000);

  it('a plan whose minimum profit cannot be met is simulated, never sent: nonce unchanged, both legs rejected', async () => {
    const d = desk();
    const [w1, a1] = await reserves(cheap);
    const [w2, a2] = await reserves(rich);
    const q = getAmountOut(E18 / 2n, w1, a1);
    const amountIn = getAmountIn(q, w1, a1);
    const out = getAmountOut(q, a2, w2);
    const nonceBefore = await nonce();
    const head = await anvil.pub.getBlockNumber();
    // The sell leg asks 1 % more than the rich pair pays: the minimum profit is out of reach.
    const started = await plan(
      d,
      q,
      price(amountIn * 101n, q * 100n, true),
      price(out * 101n, q * 100n, true),
      'p2',
    );
    const ids = started.plan.legs.map((l) => l.clientOrderId);
    await settle(d, ids);

    expect(await nonce()).toBe(nonceBefore);
    expect(await anvil.pub.getBlockNumber()).toBe(head);
    expect(d.venue.sent.order).toBe(0);
    expect(d.fills).toHaveLength(0);
    for (const id of ids) expect(d.om.order(id)?.status).toBe('REJECTED');
    const rejections = d.journal.filter((e) => JSON.stringify(e.payload).includes('InsufficientProfit'));
    expect(rejections.length).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect(rejections.some((e) => JSON.stringify(e.payload).includes(id))).toBe(true);
  }, 60_000);

  it('legs that do not chain into a cycle are refused before anything is simulated or sent', async () => {
    const d = desk();
    const nonceBefore = await nonce();
    const quantity = Decimal.from('10');
    const leg = (instrumentId: string) => ({
      kind: 'order' as const,
      instrumentId,
      side: 'buy' as const,
      type: 'limit' as const,
      quantity,
      limitPrice: Decimal.from('0.001'),
    });
    const started = await d.om.submitPlan(
      {
        kind: 'plan',
        label: 'two buys',
        expectedNetEdge: 0.01,
        atomic: true,
        legs: [leg(d.buyOn.id), leg(d.sellOn.id)],
      },
      {
        decisionId: 'p3',
        ts: d.clock.now(),
        legs: [
          { instrument: d.buyOn, referencePrice: 0.0005 },
          { instrument: d.sellOn, referencePrice: 0.0005 },
        ],
        mode: 'parallel',
        policy: 'none',
      },
    );
    const ids = started.plan.legs.map((l) => l.clientOrderId);
    await settle(d, ids);
    for (const id of ids) expect(d.om.order(id)?.status).toBe('REJECTED');
    expect(JSON.stringify(d.journal)).toMatch(/CONCORD_ERR_EVM_PATH_INVALID/);
    expect(await nonce()).toBe(nonceBefore);
    expect(d.venue.sent.order).toBe(0);
  }, 60_000);
});
