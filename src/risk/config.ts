/**
 * Risk limits: a zod schema (the config boundary) and their compiled form for the hot path.
 *
 * Amounts are exact decimals given as numbers or strings. Notional limits are in the quote
 * currency of the instrument; position limits are absolute, in fill quantity units (base units for spot).
 */
import { z } from 'zod';
import { ConcordError, Decimal } from '../core/index.ts';
import type { InstrumentId } from '../model/index.ts';

const POSITIVE_AMOUNT = 'a positive decimal such as 10000 or "0.5"';

const positiveAmount = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const d = Decimal.tryFrom(value);
  if (d === undefined || !d.isPositive()) {
    ctx.addIssue({ code: 'custom', message: POSITIVE_AMOUNT, input: value });
    return z.NEVER;
  }
  return d;
});

const positiveNumber = z.number().positive().finite();
const positiveInt = z.number().int().positive();
const fraction = z.number().positive().max(1);

export const riskConfigSchema = z
  .object({
    /** When on, nothing passes the gate. */
    killSwitch: z.boolean().default(false),
    maxOrderNotional: z
      .object({
        default: positiveAmount.prefault('10000'),
        perInstrument: z.record(z.string(), positiveAmount).prefault({}),
      })
      .strict()
      .prefault({}),
    maxPosition: z
      .object({
        /** null: no position limit for instruments without their own entry. */
        default: positiveAmount.nullable().prefault(null),
        perInstrument: z.record(z.string(), positiveAmount).prefault({}),
      })
      .strict()
      .prefault({}),
    /** A limit price further than this from the reference mid is a fat finger (100 bp = 1%). */
    priceBandBps: z.number().positive().max(10_000).default(500),
    // Portfolio-level limits: floats in the quote currency (they are analytics from float
    // marks, not order math). null disables a limit.
    /** Σ |exposure| over all instruments. */
    maxGrossExposure: positiveNumber.nullable().default(null),
    /** |Σ exposure| (longs minus shorts). */
    maxNetExposure: positiveNumber.nullable().default(null),
    maxOpenOrders: positiveInt.nullable().default(null),
    maxOpenOrdersPerVenue: positiveInt.nullable().default(null),
    /** Σ |exposure| of the positions on one venue. */
    maxPositionPerVenue: positiveNumber.nullable().default(null),
    /** Loss (positive amount) since the daily reset at which only reducing orders pass. */
    maxDailyLoss: positiveNumber.nullable().default(null),
    /** Minute of the UTC day at which the daily loss restarts (must match the portfolio's). */
    dailyResetUtcMinute: z.number().int().min(0).max(1439).default(0),
    /** Fraction of the equity peak (0.1 = 10%) at which only reducing orders pass. */
    maxDrawdown: fraction.nullable().default(null),
    valueAtRisk: z
      .object({
        /** 95% one-sample VaR limit in the quote currency; null disables both methods. */
        limit: positiveNumber.nullable().default(null),
        method: z.enum(['historical', 'parametric', 'both']).default('both'),
        /** Return samples kept (one per sampleIntervalMs). */
        windowSamples: z.number().int().min(20).max(10_000).default(300),
        sampleIntervalMs: positiveInt.default(1000),
        /** Fewer samples than this: the VaR and correlation rules do not judge yet. */
        minSamples: z.number().int().min(2).default(30),
      })
      .strict()
      .prefault({}),
    /** Largest share (0..1) one base asset may take of the gross exposure. */
    maxConcentration: fraction.nullable().default(null),
    /** Concentration is judged only once the gross exposure after the order reaches this. */
    concentrationMinGross: z.number().min(0).default(0),
    /** √(wᵀρw) over the rolling return correlation ρ. */
    maxCorrelatedExposure: positiveNumber.nullable().default(null),
    /** Gross exposure / equity. */
    maxLeverage: positiveNumber.nullable().default(null),
    /** At most maxOrders passed per venue in any rolling windowMs. */
    orderRate: z.object({ maxOrders: positiveInt, windowMs: positiveInt }).strict().nullable().default(null),
    /** Plan legs must expect at least this net edge (after fees), in bp of notional. */
    minNetEdgeBps: z.number().min(0).max(10_000).nullable().default(null),
    /** Default bound for checkSwap when the swap gives none. */
    maxSwapSlippageBps: z.number().positive().max(10_000).default(50),
  })
  .strict();

export type RiskConfigInput = z.input<typeof riskConfigSchema>;
export type RiskConfig = z.output<typeof riskConfigSchema>;

/** Validates the `risk` config section; errors name the field path and what was expected. */
export function parseRiskConfig(raw: unknown): RiskConfig {
  const result = riskConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw configIssueError('risk', raw, result.error.issues[0]!);
}

/**
 * The CONCORD_ERR_CONFIG_INVALID error for the first zod issue of a config section: the message
 * and `details.path` name the field (`<section>.a.b`), what was expected and what was received.
 */
export function configIssueError(
  section: string,
  raw: unknown,
  issue: { readonly path: readonly PropertyKey[]; readonly message: string },
): ConcordError {
  const path = [section, ...issue.path.map(String)].join('.');
  const received = describeReceived(valueAt(raw, issue.path));
  const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(', ')})` : '';
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `${path}: ${issue.message}${keys}; received ${received}. Fix this field in the ${section.split('.')[0]} section of the config`,
    { details: { path, expected: issue.message, received } },
  );
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describeReceived(v: unknown): string {
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** A limit in both forms: the float for fast comparisons, the exact value near the threshold. */
export interface Limit {
  readonly exact: Decimal;
  readonly float: number;
}

function limit(d: Decimal): Limit {
  return { exact: d, float: Number(d.units) / 1e18 };
}

/** Limits compiled for lookups on the hot path (no allocation per check). */
export class RiskLimits {
  readonly killSwitch: boolean;
  readonly priceBandBps: number;
  /** priceBandBps as a fraction. */
  readonly priceBand: number;
  readonly maxGrossExposure: number | null;
  readonly maxNetExposure: number | null;
  readonly maxOpenOrders: number | null;
  readonly maxOpenOrdersPerVenue: number | null;
  readonly maxPositionPerVenue: number | null;
  readonly maxDailyLoss: number | null;
  readonly dailyResetUtcMinute: number;
  readonly maxDrawdown: number | null;
  readonly varLimit: number | null;
  readonly varHistorical: boolean;
  readonly varParametric: boolean;
  readonly varWindowSamples: number;
  readonly varSampleIntervalMs: number;
  readonly varMinSamples: number;
  readonly maxConcentration: number | null;
  readonly concentrationMinGross: number;
  readonly maxCorrelatedExposure: number | null;
  readonly maxLeverage: number | null;
  readonly orderRate: { readonly maxOrders: number; readonly windowMs: number } | null;
  readonly minNetEdge: number | null;
  readonly minNetEdgeBps: number | null;
  readonly maxSwapSlippageBps: number;
  /** True when any rule needs exposure figures (the engine skips computing them otherwise). */
  readonly needsExposure: boolean;
  private readonly defaultNotional: Limit;
  private readonly notionalById: ReadonlyMap<InstrumentId, Limit>;
  private readonly defaultPosition: Limit | undefined;
  private readonly positionById: ReadonlyMap<InstrumentId, Limit>;

  constructor(readonly config: RiskConfig) {
    this.killSwitch = config.killSwitch;
    this.priceBandBps = config.priceBandBps;
    this.priceBand = config.priceBandBps / 10_000;
    this.maxGrossExposure = config.maxGrossExposure;
    this.maxNetExposure = config.maxNetExposure;
    this.maxOpenOrders = config.maxOpenOrders;
    this.maxOpenOrdersPerVenue = config.maxOpenOrdersPerVenue;
    this.maxPositionPerVenue = config.maxPositionPerVenue;
    this.maxDailyLoss = config.maxDailyLoss;
    this.dailyResetUtcMinute = config.dailyResetUtcMinute;
    this.maxDrawdown = config.maxDrawdown;
    const v = config.valueAtRisk;
    this.varLimit = v.limit;
    this.varHistorical = v.method !== 'parametric';
    this.varParametric = v.method !== 'historical';
    this.varWindowSamples = v.windowSamples;
    this.varSampleIntervalMs = v.sampleIntervalMs;
    this.varMinSamples = Math.min(v.minSamples, v.windowSamples);
    this.maxConcentration = config.maxConcentration;
    this.concentrationMinGross = config.concentrationMinGross;
    this.maxCorrelatedExposure = config.maxCorrelatedExposure;
    this.maxLeverage = config.maxLeverage;
    this.orderRate = config.orderRate;
    this.minNetEdgeBps = config.minNetEdgeBps;
    this.minNetEdge = config.minNetEdgeBps === null ? null : config.minNetEdgeBps / 10_000;
    this.maxSwapSlippageBps = config.maxSwapSlippageBps;
    this.needsExposure =
      config.maxGrossExposure !== null ||
      config.maxNetExposure !== null ||
      config.maxPositionPerVenue !== null ||
      config.maxConcentration !== null ||
      config.maxLeverage !== null ||
      config.maxCorrelatedExposure !== null ||
      v.limit !== null;
    this.defaultNotional = limit(config.maxOrderNotional.default);
    this.notionalById = new Map(
      Object.entries(config.maxOrderNotional.perInstrument).map(([id, d]) => [id, limit(d)]),
    );
    this.defaultPosition =
      config.maxPosition.default === null ? undefined : limit(config.maxPosition.default);
    this.positionById = new Map(
      Object.entries(config.maxPosition.perInstrument).map(([id, d]) => [id, limit(d)]),
    );
  }

  maxOrderNotional(id: InstrumentId): Limit {
    return this.notionalById.get(id) ?? this.defaultNotional;
  }

  /** Undefined when the instrument has no position limit. */
  maxPosition(id: InstrumentId): Limit | undefined {
    return this.positionById.get(id) ?? this.defaultPosition;
  }
}
