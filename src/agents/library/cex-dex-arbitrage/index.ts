/**
 * `cex-dex-arbitrage`: a DEX pool against the CEX books of the same pair. For each watched pool
 * and each CEX listing it compares, size by size, the pool's executable price (exact V2 maths:
 * what buying or selling q base really costs or gives, fee and price impact included) with the
 * book's (walking the bid or ask levels, taker fee included), less the gas of one swap. The best
 * size of the best direction, when its profit net of fees and gas clears `minProfit`, is proposed
 * as a two-leg plan: buy on the cheap venue, sell on the dear one. The DEX leg goes first (a
 * limit order whose price is the swap's slippage bound), the CEX leg (an IOC limit at the worst
 * book level walked) once the swap filled; a failed CEX leg is evened out by the desk's leg-risk
 * policy. Inventory per instrument stays within `maxInventory`.
 */
import { z } from 'zod';
import { Decimal } from '../../../core/index.ts';
import { getAmountIn, getAmountOut } from '../../../model/amm/index.ts';
import type {
  Decision,
  Instrument,
  InstrumentId,
  OrderableInstrument,
  OrderIntent,
  PlanIntent,
  SpotInstrument,
} from '../../../model/index.ts';
import { isOrderable, noAction } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition, BookView } from '../../contract.ts';
import {
  DEFAULT_DEX_POOLS,
  decimalsSchema,
  fromRaw,
  gasCost,
  gasSchema,
  gasSummary,
  PoolBook,
  type PoolReserves,
  type PoolSpec,
  poolSpecSchema,
} from '../dex-arbitrage/pools.ts';

export const cexDexArbitrageConfigSchema = z
  .strictObject({
    pools: z
      .array(poolSpecSchema)
      .min(1)
      .default([...DEFAULT_DEX_POOLS]),
    /** CEX listings to compare with (every orderable listing of the pools' pair off the pools' venue when absent). */
    cex: z.array(z.string().min(1)).min(1).optional(),
    decimals: decimalsSchema,
    gas: gasSchema,
    /** Smallest profit net of fees and gas, in the quote asset. */
    minProfit: z.number().min(0).default(2),
    /** Largest plan, base units. */
    maxQuantity: z.number().positive().default(0.2),
    /** Sizes tried per direction, evenly spaced up to maxQuantity (on the lot grid). */
    sizes: z.number().int().min(1).max(1000).default(20),
    /** Largest absolute position per instrument this agent trades into. */
    maxInventory: z.number().positive().default(0.6),
    /** Book levels read per side. */
    maxLevels: z.number().int().min(1).max(1000).default(20),
    /** Books older than this (ms) are not traded against. */
    maxBookAgeMs: z.number().positive().default(2000),
    /** Net profit (quote) at which the confidence reaches 63%. */
    profitScale: z.number().positive().default(20),
  })
  .prefault({});

export type CexDexArbitrageConfig = z.output<typeof cexDexArbitrageConfigSchema>;

interface WatchedPool {
  readonly spec: PoolSpec;
  readonly instrument: SpotInstrument;
}

/** One direction at one size, priced exactly. */
interface Candidate {
  readonly pool: WatchedPool;
  readonly cex: OrderableInstrument;
  /** True: buy on the pool, sell on the CEX. */
  readonly buyOnDex: boolean;
  readonly quantity: Decimal;
  /** Quote paid or received on the pool (exact), and on the CEX (walk, before fee). */
  readonly dexQuote: Decimal;
  readonly cexQuote: number;
  readonly cexFee: number;
  /** Worst CEX level walked: the CEX leg's limit. */
  readonly cexWorst: number;
  readonly net: number;
}

/** Quote amount and worst price for taking q from one side of a book; undefined when too thin. */
function walk(
  levels: ReadonlyArray<readonly [number, number]>,
  q: number,
): { quote: number; worst: number } | undefined {
  let left = q;
  let quote = 0;
  let worst = 0;
  for (const [price, size] of levels) {
    const take = Math.min(size, left);
    quote += take * price;
    worst = price;
    left -= take;
    if (left <= 1e-12) return { quote, worst };
  }
  return undefined;
}

export class CexDexArbitrageAgent implements Agent {
  readonly type = 'cex-dex-arbitrage';
  readonly role = 'proposer' as const;
  readonly triggers = ['pool', 'price-move'] as const;
  readonly instruments: readonly InstrumentId[];
  private readonly pools: readonly WatchedPool[];
  private readonly watched: ReadonlySet<InstrumentId>;
  private readonly cexFor: ReadonlyMap<InstrumentId, readonly OrderableInstrument[]>;
  private readonly book = new PoolBook();
  /** Gas of one swap in the quote asset, and the size cap, converted once. */
  private readonly gasFee1: number;
  private readonly maxQuantity: Decimal;

  constructor(
    readonly id: string,
    private readonly config: CexDexArbitrageConfig,
    instruments: readonly Instrument[],
  ) {
    const byId = new Map(instruments.map((i) => [i.id, i]));
    const pools: WatchedPool[] = [];
    for (const spec of config.pools) {
      const instrument = byId.get(spec.instrumentId);
      if (instrument?.kind === 'spot') pools.push({ spec, instrument });
    }
    this.pools = pools;
    this.watched = new Set(pools.map((p) => p.instrument.id));
    const cexFor = new Map<InstrumentId, OrderableInstrument[]>();
    const chosen = config.cex === undefined ? undefined : new Set(config.cex);
    for (const p of pools) {
      const list = instruments.filter(
        (i): i is OrderableInstrument =>
          isOrderable(i) &&
          i.kind === 'spot' &&
          i.venue !== p.instrument.venue &&
          i.base === p.instrument.base &&
          i.quote === p.instrument.quote &&
          (chosen === undefined || chosen.has(i.id)),
      );
      cexFor.set(p.instrument.id, list);
    }
    this.cexFor = cexFor;
    const all = new Set<InstrumentId>(this.watched);
    for (const list of cexFor.values()) for (const i of list) all.add(i.id);
    this.instruments = [...all];
    this.gasFee1 = gasCost(config.gas, 1, config.decimals.quote).toNumber();
    this.maxQuantity = Decimal.fromNumberRounded(config.maxQuantity, 8);
  }

  process(context: AgentContext): Decision {
    const position = (id: InstrumentId) => context.portfolio.position(id);
    this.book.apply(context.trigger.event, this.watched, position);
    let best: Candidate | undefined;
    let why = '';
    for (const pool of this.pools) {
      if (!this.book.usable(pool.instrument.id, position(pool.instrument.id))) continue;
      const state = this.book.get(pool.instrument.id) as PoolReserves;
      for (const cex of this.cexFor.get(pool.instrument.id) ?? []) {
        const view = context.market.book(cex.id);
        if (view === undefined || context.ts - view.ts > this.config.maxBookAgeMs) continue;
        const found = this.bestAt(pool, state, cex, view, context);
        if (found !== undefined && (best === undefined || found.net > best.net)) best = found;
      }
    }
    if (best === undefined) return noAction(why || 'no pool and book to compare yet');
    if (best.net < this.config.minProfit) {
      why = `best ${best.buyOnDex ? 'buy pool / sell book' : 'buy book / sell pool'} ${best.pool.spec.dex} vs ${best.cex.venue}: net ${best.net.toFixed(2)} at ${best.quantity} is below ${this.config.minProfit}`;
      return noAction(why);
    }
    this.book.markTraded(best.pool.instrument.id);
    return this.decisionOf(best);
  }

  /**
   * The most profitable size and direction of one pool against one book. The scan prices every
   * size exactly in raw units (bigint V2 maths) and only turns the winner into Decimals.
   */
  private bestAt(
    pool: WatchedPool,
    state: PoolReserves,
    cex: OrderableInstrument,
    view: BookView,
    context: AgentContext,
  ): Candidate | undefined {
    const { decimals } = this.config;
    const fee = cex.takerFee.toNumber();
    const gasFee = this.gasFee1;
    const lot = Decimal.max(pool.instrument.lotSize, cex.lotSize);
    const baseScale = 10n ** BigInt(18 - decimals.base);
    const quoteScale = 10 ** decimals.quote;
    const lotRaw = lot.units / baseScale;
    const maxRaw = (this.maxQuantity.units / baseScale / lotRaw) * lotRaw;
    if (lotRaw <= 0n || maxRaw <= 0n) return undefined;
    let unitRaw = (maxRaw / BigInt(this.config.sizes) / lotRaw) * lotRaw;
    if (unitRaw <= 0n) unitRaw = lotRaw;
    const baseUnit = 10 ** decimals.base;
    const bids = view.bids(this.config.maxLevels);
    const asks = view.asks(this.config.maxLevels);
    const poolPos = context.portfolio.position(pool.instrument.id);
    const cexPos = context.portfolio.position(cex.id);
    const cap = this.config.maxInventory;
    let best:
      | { buyOnDex: boolean; raw: bigint; dexRaw: bigint; cexQuote: number; worst: number; net: number }
      | undefined;
    for (let raw = unitRaw; raw <= maxRaw && raw < state.reserve0; raw += unitRaw) {
      const qn = Number(raw) / baseUnit;
      // Buy on the pool, sell on the book.
      if (poolPos + qn <= cap && cexPos - qn >= -cap) {
        const sold = walk(bids, qn);
        if (sold !== undefined) {
          const dexRaw = getAmountIn(raw, state.reserve1, state.reserve0, pool.spec.feePips);
          const net = sold.quote * (1 - fee) - Number(dexRaw) / quoteScale - gasFee;
          if (best === undefined || net > best.net)
            best = { buyOnDex: true, raw, dexRaw, cexQuote: sold.quote, worst: sold.worst, net };
        }
      }
      // Buy on the book, sell on the pool.
      if (poolPos - qn >= -cap && cexPos + qn <= cap) {
        const bought = walk(asks, qn);
        if (bought !== undefined) {
          const dexRaw = getAmountOut(raw, state.reserve0, state.reserve1, pool.spec.feePips);
          const net = Number(dexRaw) / quoteScale - bought.quote * (1 + fee) - gasFee;
          if (best === undefined || net > best.net)
            best = { buyOnDex: false, raw, dexRaw, cexQuote: bought.quote, worst: bought.worst, net };
        }
      }
    }
    if (best === undefined) return undefined;
    return {
      pool,
      cex,
      buyOnDex: best.buyOnDex,
      quantity: fromRaw(best.raw, decimals.base),
      dexQuote: fromRaw(best.dexRaw, decimals.quote),
      cexQuote: best.cexQuote,
      cexFee: fee,
      cexWorst: best.worst,
      net: best.net,
    };
  }

  private decisionOf(c: Candidate): Decision {
    const { decimals, gas } = this.config;
    const tick = Decimal.max(c.pool.instrument.tickSize, c.cex.tickSize);
    const q = c.quantity;
    // The swap's bound: the pool's average price now, give or take half the expected profit.
    const slack = Decimal.fromNumberRounded(c.net / 2, decimals.quote);
    const dexLimit = c.buyOnDex
      ? c.dexQuote.add(slack).div(q, 'down').roundToStep(tick, 'down')
      : c.dexQuote.sub(slack).div(q, 'up').roundToStep(tick, 'up');
    const cexLimit = Decimal.fromNumberRounded(c.cexWorst, 8).roundToStep(tick, c.buyOnDex ? 'down' : 'up');
    const dexLeg: OrderIntent = {
      kind: 'order',
      instrumentId: c.pool.instrument.id,
      side: c.buyOnDex ? 'buy' : 'sell',
      type: 'limit',
      quantity: q,
      limitPrice: dexLimit,
      timeInForce: 'IOC',
    };
    const cexLeg: OrderIntent = {
      kind: 'order',
      instrumentId: c.cex.id,
      side: c.buyOnDex ? 'sell' : 'buy',
      type: 'limit',
      quantity: q,
      limitPrice: cexLimit,
      timeInForce: 'IOC',
    };
    const notional = c.buyOnDex ? c.dexQuote.toNumber() : c.cexQuote;
    const edge = c.net / notional;
    const plan: PlanIntent = {
      kind: 'plan',
      label: `cex-dex ${c.pool.spec.dex}<>${c.cex.venue}`,
      legs: [dexLeg, cexLeg],
      expectedNetEdge: edge,
    };
    const quote = c.pool.instrument.quote;
    const base = c.pool.instrument.base;
    const gasFee = gasCost(gas, 1, decimals.quote);
    const [cheap, dear] = c.buyOnDex ? [c.pool.spec.dex, c.cex.venue] : [c.cex.venue, c.pool.spec.dex];
    return {
      intents: [plan],
      confidence: Math.min(0.95, 0.5 + 0.45 * (1 - Math.exp(-c.net / this.config.profitScale))),
      expectedReturn: edge,
      reasoning:
        `cex-dex ${base}/${quote}: buy ${q} on ${cheap}, sell on ${dear}; ` +
        `pool ${c.buyOnDex ? 'cost' : 'proceeds'} ${c.dexQuote} ${quote} (exact, fee ${c.pool.spec.feePips / 10_000}%), ` +
        `book ${c.buyOnDex ? 'proceeds' : 'cost'} ${c.cexQuote.toFixed(2)} ${quote} to ${c.cexWorst} (taker ${(c.cexFee * 100).toFixed(3)}%), ` +
        `gas ${gasFee} ${quote} (${gasSummary(gas, 1)}), net ${c.net.toFixed(2)} ${quote}; swap bound ${dexLimit}, book limit ${cexLimit}`,
    };
  }
}

export const cexDexArbitrageAgent: AgentDefinition<CexDexArbitrageConfig> = {
  type: 'cex-dex-arbitrage',
  description:
    'A DEX pool against the CEX books: exact, size-aware pool prices vs book depth, net of taker fees and gas; two-leg plans, the swap first with its slippage bound',
  role: 'proposer',
  configSchema: cexDexArbitrageConfigSchema as unknown as z.ZodType<CexDexArbitrageConfig>,
  create: (id, config, deps) => new CexDexArbitrageAgent(id, config, deps.instruments),
};
