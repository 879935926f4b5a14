/**
 * `dex-arbitrage`: cyclic arbitrage across AMM pools of one chain. It keeps an `ArbitrageGraph`
 * of the watched pools, fed by `pool` triggers: each update re-evaluates only the cycles through
 * the updated pool (graph.ts). The best cycle (exact integer optimum, optimum.ts) is sized to the
 * lot grid and capped, re-quoted exactly with the V2 maths, and proposed when its profit net of
 * gas and priority fee (the chain's gas as configured) clears `minProfit`, as one atomic plan:
 * one leg per hop, each a limit order whose price is the hop's slippage bound, tightened so the
 * bundle reverts unless it still makes a profit (like the executor contract's minimum profit).
 *
 * Legs in the pools' order terms: a hop quote → base is a buy of base on that pool (exact output),
 * base → quote a sell (exact input). The sandbox has one pair on two DEXes, so cycles are 2-hop
 * (quote → base on the cheap pool, base → quote on the dear one); the graph also finds 3-hop ones.
 * It never looks at anyone's pending transactions: nothing to front-run or sandwich.
 */
import { z } from 'zod';
import { Decimal } from '../../../core/index.ts';
import { getAmountIn, getAmountOut } from '../../../model/amm/index.ts';
import type {
  Decision,
  Instrument,
  InstrumentId,
  OrderIntent,
  PlanIntent,
  SpotInstrument,
} from '../../../model/index.ts';
import { noAction } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition } from '../../contract.ts';
import { ArbitrageGraph, type CycleOpportunity, type V2PoolInput } from './graph.ts';
import {
  DEFAULT_DEX_POOLS,
  decimalsSchema,
  fromRaw,
  gasCost,
  gasSchema,
  gasSummary,
  PoolBook,
  type PoolSpec,
  poolSpecSchema,
} from './pools.ts';

export const dexArbitrageConfigSchema = z
  .strictObject({
    /** Pools of one chain, all of the same base/quote pair or sharing tokens by symbol. */
    pools: z
      .array(poolSpecSchema)
      .min(2)
      .default([...DEFAULT_DEX_POOLS]),
    decimals: decimalsSchema,
    gas: gasSchema,
    /** Smallest profit net of gas, in the quote asset, worth proposing. */
    minProfit: z.number().min(0).default(1),
    /** Largest intermediate amount of base per cycle. */
    maxQuantity: z.number().positive().default(0.5),
    /** Net profit (quote) at which the confidence reaches 63%. */
    profitScale: z.number().positive().default(20),
  })
  .prefault({});

export type DexArbitrageConfig = z.output<typeof dexArbitrageConfigSchema>;

interface WatchedPool {
  readonly spec: PoolSpec;
  readonly instrument: SpotInstrument;
  /** The graph's address for the pool (lowercased id). */
  readonly address: string;
}

function isSpot(i: Instrument | undefined): i is SpotInstrument {
  return i !== undefined && i.kind === 'spot';
}

export class DexArbitrageAgent implements Agent {
  readonly type = 'dex-arbitrage';
  readonly role = 'proposer' as const;
  readonly triggers = ['pool'] as const;
  readonly instruments: readonly InstrumentId[];
  private readonly pools: readonly WatchedPool[];
  private readonly byAddress = new Map<string, WatchedPool>();
  private readonly watched: ReadonlySet<InstrumentId>;
  private readonly book = new PoolBook();
  private graph: ArbitrageGraph | undefined;
  private readonly quoteToken: string;
  private readonly lot: Decimal;
  private readonly tick: Decimal;

  constructor(
    readonly id: string,
    private readonly config: DexArbitrageConfig,
    instruments: readonly Instrument[],
  ) {
    const byId = new Map(instruments.map((i) => [i.id, i]));
    const pools: WatchedPool[] = [];
    for (const spec of config.pools) {
      const instrument = byId.get(spec.instrumentId);
      if (!isSpot(instrument)) continue;
      const pool = { spec, instrument, address: spec.instrumentId.toLowerCase() };
      pools.push(pool);
      this.byAddress.set(pool.address, pool);
    }
    this.pools = pools;
    this.instruments = pools.map((p) => p.instrument.id);
    this.watched = new Set(this.instruments);
    const first = pools[0]?.instrument;
    this.quoteToken = (first?.quote ?? 'USDT').toLowerCase();
    // Legs share the coarsest lot and tick of the pools.
    this.lot = pools.reduce((m, p) => Decimal.max(m, p.instrument.lotSize), Decimal.fromUnits(1n));
    this.tick = pools.reduce((m, p) => Decimal.max(m, p.instrument.tickSize), Decimal.fromUnits(1n));
  }

  process(context: AgentContext): Decision {
    const event = context.trigger.event;
    const position = (id: InstrumentId) => context.portfolio.position(id);
    const state = this.book.apply(event, this.watched, position);
    if (state === undefined) return noAction('not a watched pool state');
    const graph = this.graphNow();
    if (graph === undefined) return noAction('waiting for every pool’s first state');
    const update = graph.updateReserves(event.instrumentId.toLowerCase(), state.reserve0, state.reserve1);
    if (update.candidates === 0)
      return noAction(`pool ${event.instrumentId}: no cycle of ${update.cycles} can profit`);
    const found = graph.opportunities();
    let reasons = '';
    for (const cycle of found) {
      const plan = this.planOf(cycle, position);
      if (typeof plan === 'string') {
        reasons = reasons === '' ? plan : `${reasons}; ${plan}`;
        continue;
      }
      for (const p of cycle.pools) this.book.markTraded(this.poolAt(p).instrument.id);
      return plan;
    }
    return noAction(reasons === '' ? 'no profitable cycle' : reasons);
  }

  /** Builds the graph once every pool has a state; afterwards, the graph. */
  private graphNow(): ArbitrageGraph | undefined {
    if (this.graph !== undefined) return this.graph;
    const inputs: V2PoolInput[] = [];
    for (const p of this.pools) {
      const s = this.book.get(p.instrument.id);
      if (s === undefined) return undefined;
      inputs.push({
        address: p.address,
        dex: p.spec.dex,
        token0: p.instrument.base,
        token1: p.instrument.quote,
        reserve0: s.reserve0,
        reserve1: s.reserve1,
        fee: p.spec.feePips,
      });
    }
    // Profits are in raw quote units; the graph reports what makes at least one of them.
    this.graph = new ArbitrageGraph(inputs, this.quoteToken, { maxHops: 3 });
    return this.graph;
  }

  private poolAt(address: string): WatchedPool {
    return this.byAddress.get(address) as WatchedPool;
  }

  /**
   * The cycle as an atomic plan sized to the lot grid (or why not). Only 2-hop cycles quote →
   * base → quote map onto buy/sell legs of one base amount; others are reported, not traded.
   */
  private planOf(cycle: CycleOpportunity, position: (id: InstrumentId) => number): Decision | string {
    const { decimals, gas } = this.config;
    const where = cycle.pools.map((a) => this.poolAt(a).spec.dex).join(' → ');
    if (cycle.pools.length !== 2)
      return `${cycle.pools.length}-hop cycle via ${where}: only 2-hop cycles are traded`;
    const buyPool = this.poolAt(cycle.pools[0] as string);
    const sellPool = this.poolAt(cycle.pools[1] as string);
    const usable = (p: WatchedPool) => this.book.usable(p.instrument.id, position(p.instrument.id));
    if (!usable(buyPool) || !usable(sellPool))
      return `cycle via ${where}: waiting for the pools’ next states after our last trade`;
    const a = this.book.get(buyPool.instrument.id);
    const b = this.book.get(sellPool.instrument.id);
    if (a === undefined || b === undefined) return `cycle via ${where}: pool state missing`;
    // Base bought with the optimal input, down to the lot, capped.
    const optimalBase = getAmountOut(cycle.amountIn, a.reserve1, a.reserve0, buyPool.spec.feePips);
    const lotRaw = this.lot.units / 10n ** BigInt(18 - decimals.base);
    const capRaw =
      Decimal.fromNumberRounded(this.config.maxQuantity, decimals.base).units /
      10n ** BigInt(18 - decimals.base);
    let baseRaw = optimalBase < capRaw ? optimalBase : capRaw;
    baseRaw = lotRaw > 0n ? (baseRaw / lotRaw) * lotRaw : baseRaw;
    if (baseRaw <= 0n) return `cycle via ${where}: optimum below one lot`;
    const cost = getAmountIn(baseRaw, a.reserve1, a.reserve0, buyPool.spec.feePips);
    const proceeds = getAmountOut(baseRaw, b.reserve0, b.reserve1, sellPool.spec.feePips);
    const gasFee = gasCost(gas, 2, decimals.quote);
    const costD = fromRaw(cost, decimals.quote);
    const proceedsD = fromRaw(proceeds, decimals.quote);
    const net = proceedsD.sub(costD).sub(gasFee);
    const quantity = fromRaw(baseRaw, decimals.base);
    const optimum = `optimal input ${fromRaw(cycle.amountIn, decimals.quote)} → ${fromRaw(cycle.amountOut, decimals.quote)} ${this.quoteToken.toUpperCase()} (${cycle.exact ? 'exact integer optimum' : 'near optimum'}, gross ${fromRaw(cycle.profit, decimals.quote)})`;
    if (net.lt(Decimal.fromNumberRounded(this.config.minProfit, decimals.quote)))
      return `cycle via ${where}: ${optimum}; at ${quantity} base net ${net} after gas ${gasFee} is below ${this.config.minProfit}`;
    // Bounds: each leg may give up half the net profit (and no more), so the bundle reverts
    // rather than lose money; limit prices on the tick grid, rounded to stay within that.
    const slack = net.div(2, 'down');
    const buyLimit = costD.add(slack).div(quantity, 'down').roundToStep(this.tick, 'down');
    const sellLimit = proceedsD.sub(slack).div(quantity, 'up').roundToStep(this.tick, 'up');
    if (buyLimit.mul(quantity).lt(costD) || sellLimit.mul(quantity).gt(proceedsD))
      return `cycle via ${where}: net ${net} leaves no room for tick-sized bounds at ${quantity} base`;
    const legs: OrderIntent[] = [
      {
        kind: 'order',
        instrumentId: buyPool.instrument.id,
        side: 'buy',
        type: 'limit',
        quantity,
        limitPrice: buyLimit,
        timeInForce: 'IOC',
      },
      {
        kind: 'order',
        instrumentId: sellPool.instrument.id,
        side: 'sell',
        type: 'limit',
        quantity,
        limitPrice: sellLimit,
        timeInForce: 'IOC',
      },
    ];
    const edge = net.toNumber() / costD.toNumber();
    const plan: PlanIntent = {
      kind: 'plan',
      label: `dex-cycle ${buyPool.spec.dex}>${sellPool.spec.dex}`,
      legs,
      expectedNetEdge: edge,
      atomic: true,
    };
    const quoteSym = this.quoteToken.toUpperCase();
    const baseSym = buyPool.instrument.base;
    return {
      intents: [plan],
      confidence: Math.min(0.95, 0.5 + 0.45 * (1 - Math.exp(-net.toNumber() / this.config.profitScale))),
      expectedReturn: edge,
      reasoning:
        `dex cycle ${quoteSym}→${baseSym}→${quoteSym} via ${where}: ${optimum}; ` +
        `trade ${quantity} ${baseSym}: in ${costD} ${quoteSym} on ${buyPool.spec.dex}, out ${proceedsD} ${quoteSym} on ${sellPool.spec.dex}, ` +
        `gas ${gasFee} ${quoteSym} (${gasSummary(gas, 2)}), net ${net} ${quoteSym}; atomic, bounds buy ≤ ${buyLimit} sell ≥ ${sellLimit}`,
    };
  }
}

export const dexArbitrageAgent: AgentDefinition<DexArbitrageConfig> = {
  type: 'dex-arbitrage',
  description:
    'Cyclic arbitrage across AMM pools of one chain: an incremental cycle graph, the exact integer optimum, profit net of gas and priority fee, atomic plans with slippage bounds',
  role: 'proposer',
  configSchema: dexArbitrageConfigSchema as unknown as z.ZodType<DexArbitrageConfig>,
  create: (id, config, deps) => new DexArbitrageAgent(id, config, deps.instruments),
};
