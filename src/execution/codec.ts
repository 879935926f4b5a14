/**
 * Orders and fills as plain JSON (Decimals as strings) for events, snapshots and
 * rebuild. What comes back from the journal crosses a boundary, so it is parsed
 * with a schema and a coded error, never trusted as typed.
 */
import { z } from 'zod';
import { ConcordError, Decimal } from '../core/index.ts';
import { type Fill, ORDER_STATUSES, type Order } from '../model/index.ts';

const decimalString = z
  .string()
  .refine((s) => Decimal.tryFrom(s) !== undefined, { message: 'expected a decimal string' });
const side = z.enum(['buy', 'sell']);
const status = z.enum(ORDER_STATUSES);

/** An order's attribution (model OrderAttribution): who gets the order's PnL and fees. */
export const attributionJsonSchema = z.object({
  decisionId: z.string(),
  agentIds: z.array(z.string()),
  weights: z.array(z.number()).optional(),
});

export const orderJsonSchema = z.object({
  clientOrderId: z.string().min(1),
  instrumentId: z.string().min(1),
  venue: z.string().min(1),
  side,
  type: z.enum(['market', 'limit']),
  quantity: decimalString,
  price: decimalString.optional(),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'POST_ONLY']),
  reduceOnly: z.boolean().optional(),
  decisionId: z.string(),
  leg: z.number().int().nonnegative(),
  ts: z.number(),
  status,
  venueOrderId: z.string().optional(),
  filledQuantity: decimalString,
  filledNotional: decimalString,
  fees: decimalString,
  updatedTs: z.number(),
  reason: z.string().optional(),
  attribution: attributionJsonSchema.optional(),
});
export type OrderJson = z.infer<typeof orderJsonSchema>;

export const fillJsonSchema = z.object({
  clientOrderId: z.string(),
  venueOrderId: z.string(),
  tradeId: z.string().min(1),
  instrumentId: z.string(),
  venue: z.string(),
  side,
  price: decimalString,
  quantity: decimalString,
  fee: decimalString,
  feeCurrency: z.string(),
  liquidity: z.enum(['maker', 'taker']),
  ts: z.number(),
});
export type FillJson = z.infer<typeof fillJsonSchema>;

/** Decimal → string, with the common zero case free (it is every new order's filled/notional/fees). */
function decimalText(d: Decimal): string {
  return d.units === 0n ? '0' : d.toString();
}

/** An order's quantity and price never change: their strings are computed once per order. */
const fixedText = new WeakMap<Readonly<Order>, { quantity: string; price: string | undefined }>();

export function orderToJson(o: Readonly<Order>): OrderJson {
  let fixed = fixedText.get(o);
  if (fixed === undefined) {
    fixed = { quantity: o.quantity.toString(), price: o.price?.toString() };
    fixedText.set(o, fixed);
  }
  const json: OrderJson = {
    clientOrderId: o.clientOrderId,
    instrumentId: o.instrumentId,
    venue: o.venue,
    side: o.side,
    type: o.type,
    quantity: fixed.quantity,
    timeInForce: o.timeInForce,
    decisionId: o.decisionId,
    leg: o.leg,
    ts: o.ts,
    status: o.status,
    filledQuantity: decimalText(o.filledQuantity),
    filledNotional: decimalText(o.filledNotional),
    fees: decimalText(o.fees),
    updatedTs: o.updatedTs,
  };
  // Optional keys are left out rather than set to undefined, so JSON round trips compare equal.
  if (fixed.price !== undefined) json.price = fixed.price;
  if (o.reduceOnly !== undefined) json.reduceOnly = o.reduceOnly;
  if (o.venueOrderId !== undefined) json.venueOrderId = o.venueOrderId;
  if (o.reason !== undefined) json.reason = o.reason;
  // Never changes after the order is made: shared, not copied (payloads are serialised, not mutated).
  if (o.attribution !== undefined) json.attribution = o.attribution as OrderJson['attribution'];
  return json;
}

export function orderFromJson(j: OrderJson): Order {
  // Same key order and presence as orders made by the manager (one hidden class).
  return {
    clientOrderId: j.clientOrderId,
    instrumentId: j.instrumentId,
    venue: j.venue,
    side: j.side,
    type: j.type,
    quantity: Decimal.from(j.quantity),
    price: j.price === undefined ? undefined : Decimal.from(j.price),
    timeInForce: j.timeInForce,
    reduceOnly: j.reduceOnly,
    decisionId: j.decisionId,
    leg: j.leg,
    ts: j.ts,
    status: j.status,
    venueOrderId: j.venueOrderId,
    filledQuantity: Decimal.from(j.filledQuantity),
    filledNotional: Decimal.from(j.filledNotional),
    fees: Decimal.from(j.fees),
    updatedTs: j.updatedTs,
    reason: j.reason,
    attribution: j.attribution,
  };
}

export function fillToJson(f: Fill): FillJson {
  return {
    clientOrderId: f.clientOrderId,
    venueOrderId: f.venueOrderId,
    tradeId: f.tradeId,
    instrumentId: f.instrumentId,
    venue: f.venue,
    side: f.side,
    price: f.price.toString(),
    quantity: f.quantity.toString(),
    fee: f.fee.toString(),
    feeCurrency: f.feeCurrency,
    liquidity: f.liquidity,
    ts: f.ts,
  };
}

export function fillFromJson(j: FillJson): Fill {
  return {
    ...j,
    price: Decimal.from(j.price),
    quantity: Decimal.from(j.quantity),
    fee: Decimal.from(j.fee),
  };
}

/** Parses journaled or snapshotted data, or throws CONCORD_ERR_EXECUTION_STATE_INVALID naming the field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ConcordError(
    'CONCORD_ERR_EXECUTION_STATE_INVALID',
    `cannot rebuild execution state: ${what} is malformed at "${issue?.path.join('.') ?? ''}" (${issue?.message ?? 'invalid'}); the journal or snapshot may be corrupt or from an incompatible version`,
    { details: { what, path: issue?.path.join('.') ?? '', issue: issue?.message ?? '' } },
  );
}
