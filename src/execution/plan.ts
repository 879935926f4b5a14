/**
 * Multi-leg plan state, kept as plain data so it serialises as it is. The
 * coordination logic lives in the plan executor (plan-executor.ts).
 */
import { z } from 'zod';
import { Decimal } from '../core/index.ts';
import type { OrderAttribution, OrderableInstrument, OrderIntent } from '../model/index.ts';
import { attributionJsonSchema, parseOrThrow } from './codec.ts';

/** What to do when one leg of a plan filled and another did not. */
export type LegRiskPolicy = 'hedge' | 'unwind' | 'none';
/** Send legs one after another (next leg once the previous FILLED), or all at once. */
export type PlanMode = 'sequential' | 'parallel';
/**
 * running → completed (every leg filled) | failed (nothing filled, nothing to do)
 * running → hedging → hedged (every hedge order filled) | exposed (a hedge did not fill, or policy none)
 */
export type PlanStatus = 'running' | 'hedging' | 'completed' | 'failed' | 'hedged' | 'exposed';

export interface PlanLegState {
  readonly intent: OrderIntent;
  readonly instrument: OrderableInstrument;
  readonly referencePrice: number | undefined;
  readonly clientOrderId: string;
  /** Sequential plans send later legs only once the earlier ones filled. */
  sent: boolean;
}

export interface PlanState {
  /** The plan's decisionId; leg k uses clientOrderId(planId, k), hedges k ≥ legs.length. */
  readonly planId: string;
  readonly label: string;
  /** The plan intent's expected net edge (undefined only for plans journaled before it was kept). */
  readonly expectedNetEdge: number | undefined;
  readonly policy: LegRiskPolicy;
  readonly mode: PlanMode;
  readonly ts: number;
  readonly legs: PlanLegState[];
  readonly hedgeOrderIds: string[];
  status: PlanStatus;
  /** Whose plan this is; every leg and hedge order carries it. */
  readonly attribution: OrderAttribution | undefined;
}

export function isPlanFinished(status: PlanStatus): boolean {
  return status !== 'running' && status !== 'hedging';
}

const DECIMAL_KEYS = ['tickSize', 'lotSize', 'minNotional', 'makerFee', 'takerFee', 'contractSize'] as const;
const decimalString = z
  .string()
  .refine((s) => Decimal.tryFrom(s) !== undefined, { message: 'expected a decimal string' });

const intentSchema = z.object({
  kind: z.literal('order'),
  instrumentId: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit']),
  quantity: decimalString,
  limitPrice: decimalString.optional(),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'POST_ONLY']).optional(),
  reduceOnly: z.boolean().optional(),
});

const instrumentSchema = z
  .object({
    id: z.string(),
    venue: z.string(),
    symbol: z.string(),
    kind: z.enum(['spot', 'perpetual', 'future']),
    base: z.string(),
    quote: z.string(),
    tickSize: decimalString,
    lotSize: decimalString,
    minNotional: decimalString,
    makerFee: decimalString,
    takerFee: decimalString,
    contractSize: decimalString.optional(),
  })
  .loose();

export const planJsonSchema = z.object({
  planId: z.string().min(1),
  label: z.string(),
  expectedNetEdge: z.number().optional(),
  policy: z.enum(['hedge', 'unwind', 'none']),
  mode: z.enum(['sequential', 'parallel']),
  ts: z.number(),
  status: z.enum(['running', 'hedging', 'completed', 'failed', 'hedged', 'exposed']),
  legs: z.array(
    z.object({
      intent: intentSchema,
      instrument: instrumentSchema,
      referencePrice: z.number().nullable(),
      clientOrderId: z.string(),
      sent: z.boolean(),
    }),
  ),
  hedgeOrderIds: z.array(z.string()),
  attribution: attributionJsonSchema.optional(),
});
export type PlanJson = z.infer<typeof planJsonSchema>;

export function planToJson(p: PlanState): PlanJson {
  return {
    planId: p.planId,
    label: p.label,
    ...(p.expectedNetEdge === undefined ? {} : { expectedNetEdge: p.expectedNetEdge }),
    policy: p.policy,
    mode: p.mode,
    ts: p.ts,
    status: p.status,
    legs: p.legs.map((l) => ({
      intent: decimalsToStrings(l.intent) as PlanJson['legs'][number]['intent'],
      instrument: decimalsToStrings(l.instrument) as PlanJson['legs'][number]['instrument'],
      // JSON has no undefined: null stands for "no reference price".
      referencePrice: l.referencePrice ?? null,
      clientOrderId: l.clientOrderId,
      sent: l.sent,
    })),
    hedgeOrderIds: [...p.hedgeOrderIds],
    ...(p.attribution === undefined ? {} : { attribution: p.attribution as PlanJson['attribution'] }),
  };
}

export function planFromJson(value: unknown): PlanState {
  const j = parseOrThrow(planJsonSchema, value, 'plan');
  return {
    planId: j.planId,
    label: j.label,
    expectedNetEdge: j.expectedNetEdge,
    policy: j.policy,
    mode: j.mode,
    ts: j.ts,
    status: j.status,
    legs: j.legs.map((l) => ({
      intent: {
        ...l.intent,
        quantity: Decimal.from(l.intent.quantity),
        ...(l.intent.limitPrice === undefined ? {} : { limitPrice: Decimal.from(l.intent.limitPrice) }),
      } as OrderIntent,
      instrument: instrumentFromJson(l.instrument),
      referencePrice: l.referencePrice ?? undefined,
      clientOrderId: l.clientOrderId,
      sent: l.sent,
    })),
    hedgeOrderIds: [...j.hedgeOrderIds],
    attribution: j.attribution,
  };
}

function instrumentFromJson(j: Record<string, unknown>): OrderableInstrument {
  const out: Record<string, unknown> = { ...j };
  for (const key of DECIMAL_KEYS) if (typeof j[key] === 'string') out[key] = Decimal.from(j[key] as string);
  return out as unknown as OrderableInstrument;
}

function decimalsToStrings(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = v instanceof Decimal ? v.toString() : v;
  }
  return out;
}
