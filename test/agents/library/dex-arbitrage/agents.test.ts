import { describe, expect, it } from 'vitest';
import type { AgentContext, BookView, TriggerKind } from '../../../../src/agents/contract.ts';
import {
  CexDexArbitrageAgent,
  cexDexArbitrageConfigSchema,
} from '../../../../src/agents/library/cex-dex-arbitrage/index.ts';
import {
  DexArbitrageAgent,
  dexArbitrageConfigSchema,
} from '../../../../src/agents/library/dex-arbitrage/agent.ts';
import { DEFAULT_DEX_POOLS, gasCost, gasSchema } from '../../../../src/agents/library/dex-arbitrage/pools.ts';
import { Decimal, Random, SimulatedClock } from '../../../../src/core/index.ts';
import { getAmountIn, getAmountOut } from '../../../../src/model/amm/index.ts';
import {
  type Instrument,
  type MarketEvent,
  type OrderIntent,
  type PlanIntent,
  spotInstrument,
} from '../../../../src/model/index.ts';
import {
  DEFAULT_SANDBOX_GAS,
  SandboxDex,
  SimulatedDexVenue,
  sandboxGasCost,
} from '../../../../src/venues/index.ts';

const SPEC = {
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.0001',
  minNotional: '10',
};
const A = 'sandchain:uniswap-v2/BTC-USDT';
const B = 'sandchain:sushiswap/BTC-USDT';
const CEX = spotInstrument({ venue: 'sim-a', ...SPEC, takerFee: '0.0005' });
const dex = new SandboxDex({}, SPEC, new Random(1), 100, 60_000);
const INSTRUMENTS: Instrument[] = [...dex.instruments(), CEX];

/** Reserves for `base` BTC at `price` USDT (raw: 8 and 6 decimals). */
function reserves(base: number, price: number): [bigint, bigint] {
  return [BigInt(base * 1e8), BigInt(Math.round(base * price * 1e6))];
}

function poolEvent(id: string, [r0, r1]: [bigint, bigint], block: number): MarketEvent {
  return {
    type: 'pool',
    ts: 1000,
    instrumentId: id,
    blockNumber: block,
    reserve0: r0.toString(),
    reserve1: r1.toString(),
  };
}

function bookView(id: string, bid: number, ask: number): BookView {
  const bids = Array.from({ length: 10 }, (_, i) => [bid - i * 0.5, 0.5] as const);
  const asks = Array.from({ length: 10 }, (_, i) => [ask + i * 0.5, 0.5] as const);
  return {
    instrumentId: id,
    ts: 1000,
    bestBid: () => bid,
    bestAsk: () => ask,
    mid: () => (bid + ask) / 2,
    bids: (d = 10) => bids.slice(0, d),
    asks: (d = 10) => asks.slice(0, d),
  };
}

function contextOf(
  event: MarketEvent,
  options: { books?: Record<string, BookView>; positions?: Record<string, number>; kind?: TriggerKind } = {},
): AgentContext {
  return {
    ts: 1000,
    trigger: {
      id: 't-1',
      kind: options.kind ?? 'pool',
      instrumentId: event.instrumentId,
      ts: 1000,
      magnitude: 0,
      event,
    },
    market: {
      instruments: () => INSTRUMENTS,
      instrument: (id) => INSTRUMENTS.find((i) => i.id === id),
      book: (id) => options.books?.[id],
      midHistory: () => [],
      lastPrice: () => undefined,
    },
    portfolio: {
      position: (id) => options.positions?.[id] ?? 0,
      equity: () => 200_000,
      cash: () => 100_000,
      grossExposure: () => 0,
    },
  };
}

/** The plan's legs through the sandbox DEX venue as one bundle; the wallet's USDT change. */
async function execute(plan: PlanIntent, a: [bigint, bigint], b: [bigint, bigint]) {
  const venue = new SimulatedDexVenue({
    id: 'sandchain',
    clock: new SimulatedClock(1000),
    instruments: dex.instruments(),
    balances: { USDT: '100000', BTC: '2' },
    pools: [
      { instrumentId: A, feePips: 3000 },
      { instrumentId: B, feePips: 3000 },
    ],
  });
  venue.onMarketEvent(poolEvent(A, a, 1));
  venue.onMarketEvent(poolEvent(B, b, 1));
  const events: string[] = [];
  venue.onOrderEvent((e) => events.push(e.type));
  await Promise.all(
    plan.legs.map((leg, k) =>
      venue.submitOrder({
        clientOrderId: `c${k}`,
        instrumentId: leg.instrumentId,
        venue: 'sandchain',
        side: leg.side,
        type: leg.type,
        quantity: leg.quantity,
        ...(leg.limitPrice === undefined ? {} : { price: leg.limitPrice }),
        timeInForce: 'IOC',
        decisionId: 'd-1',
        leg: k,
        ts: 1000,
      }),
    ),
  );
  await Promise.resolve();
  const usdt = (await venue.fetchBalances()).find((x) => x.asset === 'USDT')?.total as Decimal;
  return { events, usdtChange: usdt.sub(100_000) };
}

describe('DEX agents: defaults describe the sandbox chain', () => {
  it('pools, fees and gas match the sandbox market and venue', () => {
    expect(DEFAULT_DEX_POOLS.map((p) => [p.instrumentId, p.feePips])).toEqual(
      dex.instruments().map((i) => [i.id, dex.pool(i.id)?.spec.feePips]),
    );
    const gas = gasSchema.parse(undefined);
    for (const swaps of [1, 2, 3])
      expect(gasCost(gas, swaps, 6).eq(sandboxGasCost(DEFAULT_SANDBOX_GAS, swaps, 6))).toBe(true);
  });
});

describe('dex-arbitrage agent', () => {
  const make = () => new DexArbitrageAgent('dex', dexArbitrageConfigSchema.parse(undefined), INSTRUMENTS);

  it('proposes the cycle as one atomic plan whose executed profit net of gas is the one it predicted', async () => {
    const agent = make();
    const a = reserves(40, 60_000);
    const b = reserves(25, 60_900); // 1.5 % dearer: above the two 0.3 % fees and the gas
    expect(agent.process(contextOf(poolEvent(A, a, 1))).intents).toHaveLength(0);
    const decision = agent.process(contextOf(poolEvent(B, b, 2)));
    expect(decision.intents).toHaveLength(1);
    const plan = decision.intents[0] as PlanIntent;
    expect(plan).toMatchObject({ kind: 'plan', atomic: true });
    const [buy, sell] = plan.legs as [OrderIntent, OrderIntent];
    expect(buy).toMatchObject({ instrumentId: A, side: 'buy', type: 'limit' });
    expect(sell).toMatchObject({ instrumentId: B, side: 'sell', type: 'limit' });
    expect(buy.quantity.eq(sell.quantity)).toBe(true);
    expect(buy.quantity.isMultipleOf('0.0001')).toBe(true);
    expect(buy.quantity.lte(0.5)).toBe(true);
    // Predicted net = exact V2 amounts at that size less the gas of a 2-swap transaction.
    const q = buy.quantity.units / 10n ** 10n;
    const cost = getAmountIn(q, a[1], a[0], 3000);
    const proceeds = getAmountOut(q, b[0], b[1], 3000);
    const gas = sandboxGasCost(DEFAULT_SANDBOX_GAS, 2, 6);
    const net = Decimal.fromUnits((proceeds - cost) * 10n ** 12n).sub(gas);
    expect(net.gt(1)).toBe(true);
    expect(decision.reasoning).toContain(`net ${net}`);
    expect(decision.reasoning).toMatch(/exact integer optimum/);
    expect(decision.reasoning).toMatch(/gas 0\.9945 USDT/);
    const done = await execute(plan, a, b);
    expect(done.events).toEqual(['order.accepted', 'order.filled', 'order.accepted', 'order.filled']);
    expect(done.usdtChange.eq(net)).toBe(true);
    // The same plan on a pool that moved against it: the bundle reverts as a whole, nothing spent.
    const moved = await execute(plan, reserves(40, 60_600), b);
    expect(moved.events).toEqual(['order.rejected', 'order.rejected']);
    expect(moved.usdtChange.isZero()).toBe(true);
  });

  it('stays out when the gap does not pay both fees and the gas, and after its own trade until the pools show it', () => {
    const agent = make();
    agent.process(contextOf(poolEvent(A, reserves(40, 60_000), 1)));
    expect(agent.process(contextOf(poolEvent(B, reserves(25, 60_300), 2))).intents).toHaveLength(0);
    expect(agent.process(contextOf(poolEvent(B, reserves(25, 60_900), 3))).intents).toHaveLength(1);
    // Same states again (no newer block): it already proposed on these pools.
    expect(agent.process(contextOf(poolEvent(B, reserves(25, 60_900), 3))).intents).toHaveLength(0);
  });

  it('leaves a pool alone once the desk’s position in it moved since its last state', () => {
    const agent = make();
    agent.process(contextOf(poolEvent(A, reserves(40, 60_000), 1)));
    agent.process(contextOf(poolEvent(B, reserves(25, 60_000), 2)));
    // Someone of ours traded pool A since its state came: its state is stale for us.
    const d = agent.process(contextOf(poolEvent(B, reserves(25, 60_900), 3), { positions: { [A]: 0.1 } }));
    expect(d.intents).toHaveLength(0);
    expect(d.reasoning).toMatch(/waiting for the pools/);
  });
});

describe('cex-dex-arbitrage agent', () => {
  const make = () =>
    new CexDexArbitrageAgent('cexdex', cexDexArbitrageConfigSchema.parse(undefined), INSTRUMENTS);

  it('buys on the cheap pool and sells on the dear book, net of the pool fee, the taker fee and the gas', () => {
    const agent = make();
    const a = reserves(40, 60_000);
    const book = { [CEX.id]: bookView(CEX.id, 60_600, 60_601) };
    const d = agent.process(contextOf(poolEvent(A, a, 1), { books: book }));
    expect(d.intents).toHaveLength(1);
    const plan = d.intents[0] as PlanIntent;
    const [dexLeg, cexLeg] = plan.legs as [OrderIntent, OrderIntent];
    expect(dexLeg).toMatchObject({ instrumentId: A, side: 'buy', type: 'limit' });
    expect(cexLeg).toMatchObject({ instrumentId: CEX.id, side: 'sell', type: 'limit', timeInForce: 'IOC' });
    expect(plan.atomic).toBeUndefined();
    // Its figure: the book walked (0.5 per level, 0.5 apart) less the taker fee, less the exact pool cost and the gas.
    const q = dexLeg.quantity.toNumber();
    let left = q;
    let proceeds = 0;
    for (let i = 0; left > 1e-12; i++) {
      const take = Math.min(0.5, left);
      proceeds += take * (60_600 - i * 0.5);
      left -= take;
    }
    const cost = Number(getAmountIn(dexLeg.quantity.units / 10n ** 10n, a[1], a[0], 3000)) / 1e6;
    const net = proceeds * (1 - 0.0005) - cost - 0.5445;
    expect(d.reasoning).toContain(`net ${net.toFixed(2)} USDT`);
    expect(net).toBeGreaterThan(2);
    // The swap's bound never lets it pay more than the book gives back.
    expect(dexLeg.limitPrice?.mul(dexLeg.quantity).toNumber()).toBeLessThanOrEqual(proceeds * (1 - 0.0005));
  });

  it('sells on the pool when the book is cheaper; nothing when the prices agree; no more inventory than allowed', () => {
    const agent = make();
    const a = reserves(40, 60_000);
    const cheap = { [CEX.id]: bookView(CEX.id, 59_400, 59_401) };
    const d = agent.process(contextOf(poolEvent(A, a, 1), { books: cheap }));
    const [dexLeg, cexLeg] = (d.intents[0] as PlanIntent).legs as [OrderIntent, OrderIntent];
    expect(dexLeg.side).toBe('sell');
    expect(cexLeg.side).toBe('buy');
    const fair = { [CEX.id]: bookView(CEX.id, 59_990, 60_010) };
    const b = make();
    expect(b.process(contextOf(poolEvent(A, a, 1), { books: fair })).intents).toHaveLength(0);
    const full = make();
    const at = contextOf(poolEvent(A, a, 1), { books: cheap, positions: { [A]: -0.6, [CEX.id]: 0.6 } });
    expect(full.process(at).intents).toHaveLength(0);
  });
});
