/**
 * `cross-venue-arbitrage`: the same base/quote listed on two venues. When one
 * venue's bids are above the other's asks by more than both taker fees, buy on
 * the cheap venue and sell on the dear one, sized by walking both books (not just
 * the top) while each marginal unit still clears `minNetEdgeBps` after fees.
 * Proposes one two-leg `PlanIntent` per base/quote group, or nothing.
 */
import { z } from 'zod';
import { Decimal } from '../../../core/index.ts';
import type {
  Decision,
  Instrument,
  InstrumentId,
  OrderableInstrument,
  OrderIntent,
  PlanIntent,
} from '../../../model/index.ts';
import { isOrderable, noAction } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition, BookView } from '../../contract.ts';
import { lotsWithin, wholeLots } from '../momentum/sizing.ts';
import { fmt } from '../regime/stats.ts';
import { type CrossWalk, marginalEdge, walkCross } from './walk.ts';

export * from './walk.ts';

export const arbitrageConfigSchema = z
  .strictObject({
    /** Net edge after both taker fees, in bp of the buy notional, that a plan must clear (every unit of it). */
    minNetEdgeBps: z.number().min(0).default(5),
    /** Largest plan, base units. */
    maxQuantity: z.number().positive().default(1),
    /** Book levels read per side. */
    maxLevels: z.number().int().min(1).max(1000).default(50),
    /** Legs as IOC limits at the worst price walked (default) or as market orders. */
    legType: z.enum(['ioc-limit', 'market']).default('ioc-limit'),
    /** Books older than this (ms, against the context's time) are not traded against. */
    maxBookAgeMs: z.number().positive().default(5000),
    /** Net edge (bp) at which the edge part of the confidence reaches 63%. */
    edgeScaleBps: z.number().positive().default(10),
    /** Only these instrument pairs (both orders are checked); all same base/quote pairs when absent. */
    pairs: z
      .array(z.tuple([z.string().min(1), z.string().min(1)]))
      .min(1)
      .optional(),
  })
  .prefault({});

export type ArbitrageConfig = z.output<typeof arbitrageConfigSchema>;

/** Two listings of one base/quote on different venues, with what the walk needs precomputed. */
export interface VenuePair {
  /** `BASE/QUOTE`. */
  readonly key: string;
  readonly first: OrderableInstrument;
  readonly second: OrderableInstrument;
  /** Lot grid both legs share: the coarser lot (pairs whose lots do not nest are left out). */
  readonly lot: Decimal;
  readonly lotFloat: number;
  /** Taker fees and minimum notionals as floats, converted once (Decimal.toNumber goes through a string). */
  readonly firstFee: number;
  readonly secondFee: number;
  readonly firstMinNotional: number;
  readonly secondMinNotional: number;
}

/** Spot, and linear perpetuals/futures with one base unit per contract: quantities mean the same on both legs. */
function isArbitrageable(instrument: Instrument): instrument is OrderableInstrument {
  if (!isOrderable(instrument)) return false;
  return instrument.kind === 'spot' || (!instrument.inverse && instrument.contractSize.eq(Decimal.ONE));
}

function sharedLot(a: OrderableInstrument, b: OrderableInstrument): Decimal | undefined {
  const coarse = Decimal.max(a.lotSize, b.lotSize);
  const fine = Decimal.min(a.lotSize, b.lotSize);
  return coarse.isMultipleOf(fine) ? coarse : undefined;
}

function makePair(a: OrderableInstrument, b: OrderableInstrument): VenuePair | undefined {
  if (a.venue === b.venue || a.base !== b.base || a.quote !== b.quote) return undefined;
  const lot = sharedLot(a, b);
  if (lot === undefined) return undefined;
  return {
    key: `${a.base}/${a.quote}`,
    first: a,
    second: b,
    lot,
    lotFloat: lot.toNumber(),
    firstFee: a.takerFee.toNumber(),
    secondFee: b.takerFee.toNumber(),
    firstMinNotional: a.minNotional.toNumber(),
    secondMinNotional: b.minNotional.toNumber(),
  };
}

/** Every pair of listings of the same base/quote on different venues (or only the configured pairs). */
export function findVenuePairs(
  instruments: readonly Instrument[],
  only?: ReadonlyArray<readonly [InstrumentId, InstrumentId]>,
): VenuePair[] {
  const eligible = instruments.filter(isArbitrageable);
  const pairs: VenuePair[] = [];
  if (only !== undefined) {
    const byId = new Map(eligible.map((i) => [i.id, i]));
    for (const [firstId, secondId] of only) {
      const first = byId.get(firstId);
      const second = byId.get(secondId);
      const pair = first && second ? makePair(first, second) : undefined;
      if (pair !== undefined) pairs.push(pair);
    }
    return pairs;
  }
  for (let x = 0; x < eligible.length; x++) {
    for (let y = x + 1; y < eligible.length; y++) {
      const pair = makePair(eligible[x] as OrderableInstrument, eligible[y] as OrderableInstrument);
      if (pair !== undefined) pairs.push(pair);
    }
  }
  return pairs;
}

interface PairIndex {
  readonly all: readonly VenuePair[];
  readonly byInstrument: ReadonlyMap<InstrumentId, readonly VenuePair[]>;
}

function indexPairs(pairs: readonly VenuePair[]): PairIndex {
  const byInstrument = new Map<InstrumentId, VenuePair[]>();
  for (const pair of pairs) {
    for (const id of [pair.first.id, pair.second.id]) {
      const list = byInstrument.get(id);
      if (list === undefined) byInstrument.set(id, [pair]);
      else list.push(pair);
    }
  }
  return { all: pairs, byInstrument };
}

/** A sized, fee-checked cross: buy `buy` on its asks, sell `sell` on its bids. */
export interface CrossOpportunity {
  readonly pair: VenuePair;
  readonly buy: OrderableInstrument;
  readonly sell: OrderableInstrument;
  /** On the shared lot grid. */
  readonly quantity: Decimal;
  /** The walk for exactly `quantity`. */
  readonly walk: CrossWalk;
  readonly buyFee: number;
  readonly sellFee: number;
}

export interface CrossParams {
  readonly minNetEdge: number;
  readonly maxQuantity: number;
  readonly maxLevels: number;
}

/**
 * Sizes a cross from `buyBook`'s asks to `sellBook`'s bids, or undefined when no
 * whole lot clears the edge or the minimum notionals. Reads levels only when the
 * top of book already clears the edge (the common case costs no allocation).
 */
export function evaluateCross(
  pair: VenuePair,
  buy: OrderableInstrument,
  buyBook: BookView,
  sell: OrderableInstrument,
  sellBook: BookView,
  params: CrossParams,
): CrossOpportunity | undefined {
  const bestAsk = buyBook.bestAsk();
  const bestBid = sellBook.bestBid();
  if (bestAsk === undefined || bestBid === undefined) return undefined;
  const buyIsFirst = buy === pair.first;
  const buyFee = buyIsFirst ? pair.firstFee : pair.secondFee;
  const sellFee = buyIsFirst ? pair.secondFee : pair.firstFee;
  const top = marginalEdge(bestAsk, bestBid, buyFee, sellFee);
  if (!(top > 0) || top < params.minNetEdge) return undefined;
  const asks = buyBook.asks(params.maxLevels);
  const bids = sellBook.bids(params.maxLevels);
  const greedy = walkCross(asks, bids, buyFee, sellFee, params.maxQuantity, params.minNetEdge);
  const lots = Math.min(
    wholeLots(greedy.quantity, pair.lotFloat),
    lotsWithin(params.maxQuantity, pair.lotFloat),
  );
  if (lots <= 0) return undefined;
  const quantity = pair.lot.mul(lots);
  // Re-walk for exactly the rounded quantity: it drops the worst units, so the edge only improves.
  const walk = walkCross(
    asks,
    bids,
    buyFee,
    sellFee,
    Math.min(quantity.toNumber(), greedy.quantity),
    params.minNetEdge,
  );
  if (!(walk.netEdge >= params.minNetEdge) || !(walk.netEdge > 0)) return undefined;
  const buyMinNotional = buyIsFirst ? pair.firstMinNotional : pair.secondMinNotional;
  const sellMinNotional = buyIsFirst ? pair.secondMinNotional : pair.firstMinNotional;
  if (walk.buyNotional < buyMinNotional || walk.sellNotional < sellMinNotional) return undefined;
  return { pair, buy, sell, quantity, walk, buyFee, sellFee };
}

function decimalPrice(price: number, tick: Decimal, rounding: 'up' | 'down'): Decimal {
  // The shortest round-trip string is the exact price the venue sent; toFixed would expose binary noise.
  const exact = Decimal.tryFrom(price) ?? Decimal.fromNumberRounded(price);
  return exact.roundToStep(tick, rounding);
}

function leg(
  instrument: OrderableInstrument,
  side: 'buy' | 'sell',
  quantity: Decimal,
  worstPrice: number,
  legType: ArbitrageConfig['legType'],
): OrderIntent {
  if (legType === 'market')
    return { kind: 'order', instrumentId: instrument.id, side, type: 'market', quantity };
  // A buy limit rounds up and a sell limit down, so every level walked stays inside the limit.
  const limitPrice = decimalPrice(worstPrice, instrument.tickSize, side === 'buy' ? 'up' : 'down');
  return {
    kind: 'order',
    instrumentId: instrument.id,
    side,
    type: 'limit',
    quantity,
    limitPrice,
    timeInForce: 'IOC',
  };
}

/** The two-leg plan for an opportunity. */
export function planFor(opportunity: CrossOpportunity, legType: ArbitrageConfig['legType']): PlanIntent {
  const { buy, sell, quantity, walk, pair } = opportunity;
  return {
    kind: 'plan',
    label: `arbitrage ${pair.key}: buy ${buy.id}, sell ${sell.id}`,
    legs: [
      leg(buy, 'buy', quantity, walk.worstBuyPrice, legType),
      leg(sell, 'sell', quantity, walk.worstSellPrice, legType),
    ],
    expectedNetEdge: walk.netEdge,
  };
}

export class ArbitrageAgent implements Agent {
  readonly type = 'cross-venue-arbitrage';
  readonly role = 'proposer';
  readonly triggers = ['price-move', 'spread', 'timer'] as const;
  private readonly params: CrossParams;
  private indexedFrom: readonly Instrument[] | undefined;
  private index: PairIndex = indexPairs([]);

  constructor(
    readonly id: string,
    private readonly config: ArbitrageConfig,
  ) {
    this.params = {
      minNetEdge: config.minNetEdgeBps / 1e4,
      maxQuantity: config.maxQuantity,
      maxLevels: config.maxLevels,
    };
  }

  /** Pairs are rebuilt only when the market hands over a different instrument list. */
  private pairsFor(context: AgentContext): readonly VenuePair[] {
    const instruments = context.market.instruments();
    if (instruments !== this.indexedFrom) {
      this.index = indexPairs(findVenuePairs(instruments, this.config.pairs));
      this.indexedFrom = instruments;
    }
    return (
      this.index.byInstrument.get(context.trigger.instrumentId) ??
      (context.trigger.kind === 'timer' ? this.index.all : [])
    );
  }

  process(context: AgentContext): Decision {
    const pairs = this.pairsFor(context);
    if (pairs.length === 0)
      return noAction(`arbitrage: no other venue lists ${context.trigger.instrumentId}`);
    let best: CrossOpportunity[] | undefined;
    let skipped = '';
    for (const pair of pairs) {
      const a = context.market.book(pair.first.id);
      const b = context.market.book(pair.second.id);
      if (a === undefined || b === undefined) continue;
      if (!this.tradable(a, context.ts) || !this.tradable(b, context.ts)) {
        skipped = `${pair.key}: a book is stale or crossed`;
        continue;
      }
      const found = better(
        evaluateCross(pair, pair.first, a, pair.second, b, this.params),
        evaluateCross(pair, pair.second, b, pair.first, a, this.params),
      );
      if (found === undefined) continue;
      best ??= [];
      const sameGroup = best.findIndex((o) => o.pair.key === pair.key);
      if (sameGroup < 0) best.push(found);
      else if (profit(found) > profit(best[sameGroup] as CrossOpportunity)) best[sameGroup] = found;
    }
    if (best === undefined) return noAction(this.explainNoPlan(context, pairs, skipped));
    const intents = best.map((o) => planFor(o, this.config.legType));
    const top = best.reduce((x, y) => (profit(y) > profit(x) ? y : x));
    return {
      intents,
      confidence: this.confidence(top),
      expectedReturn: top.walk.netEdge,
      reasoning: best.map(describe).join('; '),
    };
  }

  private tradable(book: BookView, now: number): boolean {
    const bid = book.bestBid();
    const ask = book.bestAsk();
    if (bid !== undefined && ask !== undefined && bid >= ask) return false;
    return Math.abs(now - book.ts) <= this.config.maxBookAgeMs;
  }

  /** Grows with the net edge (saturating at a few edgeScaleBps) and with how much of maxQuantity the depth allowed. */
  private confidence(o: CrossOpportunity): number {
    const edgeTerm = 1 - Math.exp(-(o.walk.netEdge * 1e4) / this.config.edgeScaleBps);
    const depthTerm = Math.min(1, o.walk.quantity / this.config.maxQuantity);
    return edgeTerm * (0.5 + 0.5 * depthTerm);
  }

  private explainNoPlan(context: AgentContext, pairs: readonly VenuePair[], skipped: string): string {
    const parts: string[] = [];
    for (const pair of pairs) {
      const a = context.market.book(pair.first.id);
      const b = context.market.book(pair.second.id);
      if (a === undefined || b === undefined) continue;
      const ab = grossBps(a.bestAsk(), b.bestBid());
      const ba = grossBps(b.bestAsk(), a.bestBid());
      const fees = (pair.firstFee + pair.secondFee) * 1e4;
      parts.push(
        `${pair.first.id}→${pair.second.id} ${fmt(ab)} bp, ${pair.second.id}→${pair.first.id} ${fmt(ba)} bp gross vs fees ${fmt(fees)} bp`,
      );
    }
    const detail = parts.length > 0 ? parts.join('; ') : 'no books';
    return `arbitrage: no cross clears ${this.config.minNetEdgeBps} bp net; ${detail}${skipped ? `; ${skipped}` : ''}`;
  }
}

function grossBps(ask: number | undefined, bid: number | undefined): number {
  return ask === undefined || bid === undefined ? Number.NaN : (bid / ask - 1) * 1e4;
}

function profit(o: CrossOpportunity): number {
  return o.walk.netEdge * o.walk.buyNotional;
}

function better(
  x: CrossOpportunity | undefined,
  y: CrossOpportunity | undefined,
): CrossOpportunity | undefined {
  if (x === undefined) return y;
  if (y === undefined) return x;
  return profit(y) > profit(x) ? y : x;
}

function describe(o: CrossOpportunity): string {
  const w = o.walk;
  return (
    `arbitrage ${o.pair.key}: buy ${o.quantity} on ${o.buy.id} (asks to ${w.worstBuyPrice}, ${w.buyLevels} levels, fee ${fmt(o.buyFee * 1e4)} bp), ` +
    `sell on ${o.sell.id} (bids to ${w.worstSellPrice}, ${w.sellLevels} levels, fee ${fmt(o.sellFee * 1e4)} bp); ` +
    `gross ${fmt((w.sellNotional / w.buyNotional - 1) * 1e4)} bp, net ${fmt(w.netEdge * 1e4)} bp after fees`
  );
}

export const arbitrageAgent: AgentDefinition<ArbitrageConfig> = {
  type: 'cross-venue-arbitrage',
  description:
    'Buys a base/quote on the venue with the lower ask and sells on the one with the higher bid, walking both books, when the edge after both taker fees clears minNetEdgeBps.',
  role: 'proposer',
  configSchema: arbitrageConfigSchema,
  create: (id, config) => new ArbitrageAgent(id, config),
};
