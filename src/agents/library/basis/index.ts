/**
 * `spot-perp-basis`: trades the basis between a spot listing and a linear perpetual
 * of the same asset (by default Binance spot and USDⓈ-M BTCUSDT) when it strays
 * from its own recent level, and unwinds when it comes back.
 *
 * basis (bp) = (perp mid − spot mid) / spot mid × 10⁴. Every `sampleMs` the basis
 * joins a rolling window of `window` samples (O(1) running sums). The current basis
 * is compared with the window before it joins: deviation = basis − mean, z = deviation / std.
 * Flat, with |deviation| ≥ entryBps, |z| ≥ entryZ and the deviation beyond both legs'
 * taker fees in and out: a two-leg plan buys the cheap leg and sells the rich one,
 * equal base `quantity`. Holding, with |deviation| ≤ exitBps: the reverse plan closes
 * each leg's position (reduce-only).
 */
import { z } from 'zod';
import { ConcordError, Decimal } from '../../../core/index.ts';
import type {
  Decision,
  Instrument,
  InstrumentId,
  OrderableInstrument,
  OrderIntent,
  PlanIntent,
  Side,
} from '../../../model/index.ts';
import { isOrderable, noAction } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition } from '../../contract.ts';
import { toLotQuantity } from '../momentum/sizing.ts';

export const basisConfigSchema = z
  .strictObject({
    /** Spot instrument id. */
    spot: z.string().min(1).default('binance-spot:BTCUSDT'),
    /** Linear perpetual instrument id (one base unit per contract). */
    perp: z.string().min(1).default('binance-usdm:BTCUSDT'),
    /** Base quantity of each leg. */
    quantity: z.number().positive().default(0.01),
    /** Basis samples in the rolling window. */
    window: z.number().int().min(2).max(1_000_000).default(120),
    /** Samples needed before any signal. */
    minSamples: z.number().int().min(2).default(30),
    /** At most one sample per this many ms of the context's time (0: every call). */
    sampleMs: z.number().min(0).default(1000),
    /** |basis − rolling mean| in bp needed to enter. */
    entryBps: z.number().min(0).default(1),
    /** |z-score| needed to enter (0: the bp threshold alone decides). */
    entryZ: z.number().min(0).default(2),
    /** |basis − rolling mean| in bp at or below which a held position is closed. */
    exitBps: z.number().min(0).default(0.25),
    /** Net edge (bp) the entry must keep after both legs' taker fees, in and out. */
    minNetEdgeBps: z.number().default(0),
    /** Quiet time after proposing a plan (ms), so a plan in flight is not proposed again. */
    cooldownMs: z.number().min(0).default(5000),
    /** Allow entries that sell spot (needs base inventory on a spot account). */
    allowSpotSell: z.boolean().default(true),
  })
  .refine((c) => c.spot !== c.perp, {
    message: 'spot and perp must be different instruments',
    path: ['perp'],
  })
  .refine((c) => c.exitBps < c.entryBps || c.entryBps === 0, {
    message: 'exitBps must be below entryBps, or a position would be closed as soon as it is opened',
    path: ['exitBps'],
  })
  .refine((c) => c.minSamples <= c.window, {
    message: 'minSamples cannot exceed window',
    path: ['minSamples'],
  })
  .prefault({});

export type BasisConfig = z.output<typeof basisConfigSchema>;

const RESUM_EVERY = 4096;

/** Mean and standard deviation of the last `capacity` values, O(1) per push. */
export class RollingStats {
  private readonly ring: Float64Array;
  private count = 0;
  private sum = 0;
  private sumSquares = 0;

  constructor(readonly capacity: number) {
    this.ring = new Float64Array(capacity);
  }

  get size(): number {
    return Math.min(this.count, this.capacity);
  }

  push(value: number): void {
    const slot = this.count % this.capacity;
    const leaving = this.count >= this.capacity ? (this.ring[slot] as number) : 0;
    this.ring[slot] = value;
    this.count++;
    if (this.count % RESUM_EVERY === 0) {
      this.resum();
      return;
    }
    this.sum += value - leaving;
    this.sumSquares += value * value - leaving * leaving;
  }

  mean(): number {
    return this.size === 0 ? Number.NaN : this.sum / this.size;
  }

  /** Population standard deviation (never negative, whatever the float noise). */
  std(): number {
    const n = this.size;
    if (n === 0) return Number.NaN;
    const m = this.sum / n;
    return Math.sqrt(Math.max(0, this.sumSquares / n - m * m));
  }

  /** The window, oldest first. */
  values(): number[] {
    const n = this.size;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.ring[(this.count - n + i) % this.capacity] as number;
    return out;
  }

  private resum(): void {
    let sum = 0;
    let squares = 0;
    for (const v of this.values()) {
      sum += v;
      squares += v * v;
    }
    this.sum = sum;
    this.sumSquares = squares;
  }
}

/** Basis in bp of the spot mid. */
export function basisBps(spotMid: number, perpMid: number): number {
  return ((perpMid - spotMid) / spotMid) * 1e4;
}

const stateSchema = z.strictObject({
  samples: z.array(z.number()),
  lastSampleTs: z.number().nullable(),
  lastPlanTs: z.number().nullable(),
});

export type BasisState = z.output<typeof stateSchema>;

interface Legs {
  readonly spot: OrderableInstrument;
  readonly perp: OrderableInstrument;
  /** Lot both legs can trade: the coarser one (undefined when the lots do not nest). */
  readonly lot: Decimal | undefined;
  /** Both taker fees as a fraction, in and out. */
  readonly roundTripFees: number;
}

export class BasisAgent implements Agent {
  readonly type = 'spot-perp-basis';
  readonly role = 'proposer';
  readonly triggers = ['price-move', 'spread', 'timer'] as const;
  readonly instruments: readonly InstrumentId[];
  private stats: RollingStats;
  private lastSampleTs: number | undefined;
  private lastPlanTs: number | undefined;
  private legsFrom: readonly Instrument[] | undefined;
  private legs: Legs | string = 'not resolved';

  constructor(
    readonly id: string,
    private readonly config: BasisConfig,
  ) {
    this.instruments = [config.spot, config.perp];
    this.stats = new RollingStats(config.window);
  }

  process(context: AgentContext): Decision {
    const { spot, perp } = this.config;
    const spotMid = context.market.book(spot)?.mid();
    const perpMid = context.market.book(perp)?.mid();
    if (spotMid === undefined || perpMid === undefined || !(spotMid > 0) || !(perpMid > 0)) {
      return noAction(`basis: waiting for both books (${spot}, ${perp})`);
    }
    const basis = basisBps(spotMid, perpMid);
    const mean = this.stats.mean();
    const std = this.stats.std();
    const samples = this.stats.size;
    if (this.lastSampleTs === undefined || context.ts - this.lastSampleTs >= this.config.sampleMs) {
      this.stats.push(basis);
      this.lastSampleTs = context.ts;
    }
    if (samples < this.config.minSamples)
      return noAction(`basis ${fmt(basis)} bp: ${samples} samples, need ${this.config.minSamples}`);
    const legs = this.resolveLegs(context);
    if (typeof legs === 'string') return noAction(`basis: ${legs}`);

    const deviation = basis - mean;
    const zScore =
      std > 0 ? deviation / std : deviation === 0 ? 0 : Math.sign(deviation) * Number.POSITIVE_INFINITY;
    const measured = `basis ${fmt(basis)} bp, mean ${fmt(mean)} bp, deviation ${fmt(deviation)} bp, z ${fmt(zScore)}`;
    const spotPosition = context.portfolio.position(spot);
    const perpPosition = context.portfolio.position(perp);
    const cooling =
      this.config.cooldownMs > 0 &&
      this.lastPlanTs !== undefined &&
      context.ts - this.lastPlanTs < this.config.cooldownMs;

    if (spotPosition !== 0 || perpPosition !== 0) {
      if (Math.abs(deviation) > this.config.exitBps || cooling) return noAction(`basis holding: ${measured}`);
      const plan = this.exitPlan(legs, spotPosition, perpPosition);
      if (plan === undefined) return noAction(`basis holding, exit below one lot: ${measured}`);
      this.lastPlanTs = context.ts;
      return {
        intents: [plan],
        confidence: 1,
        expectedReturn: plan.expectedNetEdge,
        reasoning: `basis reverted (|deviation| ≤ ${this.config.exitBps} bp): close both legs; ${measured}`,
      };
    }

    if (cooling) return noAction(`basis flat, cooling down: ${measured}`);
    const netEdge = Math.abs(deviation) / 1e4 - legs.roundTripFees;
    const enter =
      Math.abs(deviation) >= this.config.entryBps &&
      Math.abs(zScore) >= this.config.entryZ &&
      netEdge * 1e4 >= this.config.minNetEdgeBps &&
      netEdge > 0;
    if (!enter) return noAction(`basis flat, no entry: ${measured}, net edge ${fmt(netEdge * 1e4)} bp`);
    // Perp rich against its usual level: buy spot, sell perp. Perp cheap: the reverse.
    const buySpot = deviation > 0;
    if (!buySpot && !this.config.allowSpotSell)
      return noAction(`basis flat, entry would sell spot: ${measured}`);
    const quantity = this.legQuantity(legs, this.config.quantity);
    if (quantity === undefined) return noAction('basis: quantity is below one lot of both legs');
    const plan: PlanIntent = {
      kind: 'plan',
      label: `basis ${buySpot ? 'long spot / short perp' : 'long perp / short spot'}`,
      legs: [
        leg(legs.spot.id, buySpot ? 'buy' : 'sell', quantity, false),
        leg(legs.perp.id, buySpot ? 'sell' : 'buy', quantity, false),
      ],
      expectedNetEdge: netEdge,
    };
    this.lastPlanTs = context.ts;
    return {
      intents: [plan],
      confidence: 1 - Math.exp(-Math.abs(zScore)),
      expectedReturn: netEdge,
      reasoning: `basis stretched: ${plan.label} ${quantity}; ${measured}, net edge ${fmt(netEdge * 1e4)} bp after round-trip taker fees`,
    };
  }

  private exitPlan(legs: Legs, spotPosition: number, perpPosition: number): PlanIntent | undefined {
    const orders: OrderIntent[] = [];
    for (const [instrument, position] of [
      [legs.spot, spotPosition],
      [legs.perp, perpPosition],
    ] as const) {
      const quantity = position === 0 ? undefined : this.legQuantity(legs, Math.abs(position), instrument);
      if (quantity !== undefined)
        orders.push(leg(instrument.id, position > 0 ? 'sell' : 'buy', quantity, true));
    }
    if (orders.length === 0) return undefined;
    // Closing earns nothing new; it pays the exit fees.
    const exitFees = legs.roundTripFees / 2;
    return { kind: 'plan', label: 'basis exit', legs: orders, expectedNetEdge: -exitFees };
  }

  /** A quantity on the shared lot grid (or the leg's own lot for an exit), undefined below one lot. */
  private legQuantity(legs: Legs, quantity: number, only?: OrderableInstrument): Decimal | undefined {
    const lot = only?.lotSize ?? legs.lot;
    if (lot === undefined) return undefined;
    return toLotQuantity(quantity, lot);
  }

  /** Finds both instruments and their fees once per instrument list. */
  private resolveLegs(context: AgentContext): Legs | string {
    const list = context.market.instruments();
    if (list === this.legsFrom) return this.legs;
    this.legsFrom = list;
    this.legs = describeLegs(
      context.market.instrument(this.config.spot),
      context.market.instrument(this.config.perp),
      this.config,
    );
    return this.legs;
  }

  snapshot(): BasisState {
    return {
      samples: this.stats.values(),
      lastSampleTs: this.lastSampleTs ?? null,
      lastPlanTs: this.lastPlanTs ?? null,
    };
  }

  restore(state: unknown): void {
    const parsed = stateSchema.safeParse(state);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConcordError(
        'CONCORD_ERR_AGENT_STATE_INVALID',
        `agent ${this.id} cannot restore its saved state: ${issue?.message}`,
        {
          details: { agentId: this.id, type: this.type, path: issue?.path.map(String).join('.') ?? '' },
        },
      );
    }
    const stats = new RollingStats(this.config.window);
    for (const v of parsed.data.samples.slice(-this.config.window)) stats.push(v);
    this.stats = stats;
    this.lastSampleTs = parsed.data.lastSampleTs ?? undefined;
    this.lastPlanTs = parsed.data.lastPlanTs ?? undefined;
  }
}

function describeLegs(
  spot: Instrument | undefined,
  perp: Instrument | undefined,
  config: BasisConfig,
): Legs | string {
  if (spot === undefined || !isOrderable(spot))
    return `${config.spot} is not an orderable instrument of this market`;
  if (perp === undefined || !isOrderable(perp))
    return `${config.perp} is not an orderable instrument of this market`;
  if (perp.kind !== 'spot' && (perp.inverse || !perp.contractSize.eq(Decimal.ONE))) {
    return `${perp.id} is inverse or not one base unit per contract; equal base quantities would not hedge`;
  }
  const coarse = Decimal.max(spot.lotSize, perp.lotSize);
  const fine = Decimal.min(spot.lotSize, perp.lotSize);
  return {
    spot,
    perp,
    lot: coarse.isMultipleOf(fine) ? coarse : undefined,
    roundTripFees: 2 * (Math.max(0, spot.takerFee.toNumber()) + Math.max(0, perp.takerFee.toNumber())),
  };
}

function leg(instrumentId: InstrumentId, side: Side, quantity: Decimal, reduceOnly: boolean): OrderIntent {
  return reduceOnly
    ? { kind: 'order', instrumentId, side, type: 'market', quantity, reduceOnly: true }
    : { kind: 'order', instrumentId, side, type: 'market', quantity };
}

function fmt(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : String(value);
}

export const basisAgent: AgentDefinition<BasisConfig> = {
  type: 'spot-perp-basis',
  description:
    'Spot/perp basis mean reversion: two-leg plan (buy the cheap leg, sell the rich one) when the basis strays from its rolling mean; reverse plan when it reverts.',
  role: 'proposer',
  configSchema: basisConfigSchema,
  create: (id, config) => new BasisAgent(id, config),
};
