/**
 * Orders and fills as plain JSON (Decimals as strings) for events, snapshots and
 * rebuild. What comes back from the journal crosses a boundary, so it is parsed
 * with a schema and a coded error, never trusted as typed.
 */
import { z } from 'zod';
import { ConcordError, Decimal } from '../core/index.ts';
import type { Fill, Order } from '../model/index.ts';

const decimalString = z
  .string()
  .refine((s) => Decimal.tryFrom(s) !== undefined, { message: 'expected a decimal string' });
const side = z.enum(['buy', 'sell']);
const status = z.enum([
  'INITIALIZED',
  'DENIED',
  'SUBMITTED',
  'ACCEPTED',
  'REJECTED',
  'PARTIALLY_FILLED',
  'FILLED',
  'PENDING_CANCEL',
  'CANCELED',
  'EXPIRED',
  'UNKNOWN',
]);

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

export function orderToJson(o: Readonly<Order>): OrderJson {
  const json: OrderJson = {
    clientOrderId: o.clientOrderId,
    instrumentId: o.instrumentId,
    venue: o.venue,
    side: o.side,
    type: o.type,
    quantity: o.quantity.toString(),
    timeInForce: o.timeInForce,
    decisionId: o.decisionId,
    leg: o.leg,
    ts: o.ts,
    status: o.status,
    filledQuantity: o.filledQuantity.toString(),
    filledNotional: o.filledNotional.toString(),
    fees: o.fees.toString(),
    updatedTs: o.updatedTs,
  };
  // Optional keys are left out rather than set to undefined, so JSON round trips compare equal.
  if (o.price !== undefined) json.price = o.price.toString();
  if (o.reduceOnly !== undefined) json.reduceOnly = o.reduceOnly;
  if (o.venueOrderId !== undefined) json.venueOrderId = o.venueOrderId;
  if (o.reason !== undefined) json.reason = o.reason;
  return json;
}

export function orderFromJson(j: OrderJson): Order {
  const order: Order = {
    clientOrderId: j.clientOrderId,
    instrumentId: j.instrumentId,
    venue: j.venue,
    side: j.side,
    type: j.type,
    quantity: Decimal.from(j.quantity),
    timeInForce: j.timeInForce,
    decisionId: j.decisionId,
    leg: j.leg,
    ts: j.ts,
    status: j.status,
    filledQuantity: Decimal.from(j.filledQuantity),
    filledNotional: Decimal.from(j.filledNotional),
    fees: Decimal.from(j.fees),
    updatedTs: j.updatedTs,
    ...(j.price === undefined ? {} : { price: Decimal.from(j.price) }),
    ...(j.reduceOnly === undefined ? {} : { reduceOnly: j.reduceOnly }),
  };
  if (j.venueOrderId !== undefined) order.venueOrderId = j.venueOrderId;
  if (j.reason !== undefined) order.reason = j.reason;
  return order;
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
