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
  })
  .strict();

export type RiskConfigInput = z.input<typeof riskConfigSchema>;
export type RiskConfig = z.output<typeof riskConfigSchema>;

/** Validates the `risk` config section; errors name the field path and what was expected. */
export function parseRiskConfig(raw: unknown): RiskConfig {
  const result = riskConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = ['risk', ...issue.path.map(String)].join('.');
  const received = describeReceived(valueAt(raw, issue.path));
  const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(', ')})` : '';
  throw new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `${path}: ${issue.message}${keys}; received ${received}. Fix this field in the risk section of the config`,
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
  private readonly defaultNotional: Limit;
  private readonly notionalById: ReadonlyMap<InstrumentId, Limit>;
  private readonly defaultPosition: Limit | undefined;
  private readonly positionById: ReadonlyMap<InstrumentId, Limit>;

  constructor(readonly config: RiskConfig) {
    this.killSwitch = config.killSwitch;
    this.priceBandBps = config.priceBandBps;
    this.priceBand = config.priceBandBps / 10_000;
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
