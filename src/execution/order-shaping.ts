/**
 * Order shaping: an intent becomes the order the desk records, the request a venue receives and
 * the pre-trade order the risk gate judges, all three from the same figures. Quantities and
 * limit prices are made exact on the instrument's grid (lot, tick) and checked against its
 * minimum notional; what cannot be shaped is a denial with the order still recorded.
 *
 * Pure: no state, no events. The order manager registers the order and runs the gate.
 */
import { Decimal, isConcordError } from '../core/index.ts';
import {
  assertOrderPrecision,
  type Denial,
  type Order,
  type OrderAttribution,
  type OrderableInstrument,
  type OrderIntent,
  type OrderRequest,
  type PlanFacts,
  type PreTradeOrder,
} from '../model/index.ts';

/** `reject`: off-grid quantity or price is denied. `round-safe`: quantity rounds down, a limit price rounds away from the market (buy down, sell up). */
export type GridPolicy = 'reject' | 'round-safe';

export interface SubmitContext {
  readonly decisionId: string;
  readonly leg: number;
  readonly ts: number;
  readonly referencePrice: number | undefined;
  readonly instrument: OrderableInstrument;
  /** What the plan this order is a leg of expects to earn (for the net-edge rule); absent for a lone order. */
  readonly plan?: PlanFacts;
  /** Whose order this is (the decision and agents behind it); it stays with the order and credits its fills. */
  readonly attribution?: OrderAttribution;
}

export type ShapedOrder =
  /** On the grid: the order (INITIALIZED), what to send, and what the gate judges. */
  | {
      readonly ok: true;
      readonly order: Order;
      readonly request: OrderRequest;
      readonly preTrade: PreTradeOrder;
    }
  /** Cannot be sent as asked: the order is recorded and denied with this reason. */
  | { readonly ok: false; readonly order: Order; readonly denial: Denial };

/**
 * Shapes one intent into an order with client order id `clientOrderId`. `reduceOnly` orders keep
 * the flag on the record and for the gate even where the venue (spot) has no such flag.
 */
export function shapeOrder(
  clientOrderId: string,
  intent: OrderIntent,
  ctx: SubmitContext,
  gridPolicy: GridPolicy,
): ShapedOrder {
  const shaped = onTheGrid(intent, ctx.instrument, ctx.referencePrice, gridPolicy);
  const quantity = shaped.quantity ?? intent.quantity;
  const price = shaped.ok ? shaped.price : intent.limitPrice;
  const reduceOnly = intent.reduceOnly === true;
  // Plain literals with every key present: one hidden class, no spread copies on the hot path.
  const timeInForce = intent.timeInForce ?? (intent.type === 'market' ? 'IOC' : 'GTC');
  const order: Order = {
    clientOrderId,
    instrumentId: ctx.instrument.id,
    venue: ctx.instrument.venue,
    side: intent.side,
    type: intent.type,
    quantity,
    price,
    timeInForce,
    // Our record keeps the intent (a flatten or an unwind is reduce-only even where the
    // venue has no such flag); only the request sent to a spot venue drops it.
    reduceOnly: reduceOnly ? true : undefined,
    decisionId: ctx.decisionId,
    leg: ctx.leg,
    ts: ctx.ts,
    status: 'INITIALIZED',
    venueOrderId: undefined,
    filledQuantity: Decimal.ZERO,
    filledNotional: Decimal.ZERO,
    fees: Decimal.ZERO,
    updatedTs: ctx.ts,
    reason: undefined,
    attribution: ctx.attribution,
  };
  if (!shaped.ok) return { ok: false, order, denial: shaped.denial };
  const request: OrderRequest = {
    clientOrderId,
    instrumentId: ctx.instrument.id,
    venue: ctx.instrument.venue,
    side: intent.side,
    type: intent.type,
    quantity,
    price,
    timeInForce,
    // Spot venues have no reduce-only flag; the risk check still sees it.
    reduceOnly: reduceOnly && ctx.instrument.kind !== 'spot' ? true : undefined,
    decisionId: ctx.decisionId,
    leg: ctx.leg,
    ts: ctx.ts,
  };
  const preTrade: PreTradeOrder = {
    instrumentId: order.instrumentId,
    venue: order.venue,
    side: order.side,
    quantity,
    price,
    referencePrice: ctx.referencePrice,
    reduceOnly,
    plan: ctx.plan,
  };
  return { ok: true, order, request, preTrade };
}

/** Quantity and price on the instrument's grid, or why they cannot be. */
function onTheGrid(
  intent: OrderIntent,
  instrument: OrderableInstrument,
  referencePrice: number | undefined,
  gridPolicy: GridPolicy,
):
  | { ok: true; quantity: Decimal; price: Decimal | undefined }
  | { ok: false; quantity?: Decimal; denial: Denial } {
  if (intent.instrumentId !== instrument.id) {
    return invalidIntent(
      `intent is for ${intent.instrumentId} but the context instrument is ${instrument.id}`,
      {
        intentInstrument: intent.instrumentId,
        instrument: instrument.id,
      },
    );
  }
  if (intent.type === 'limit' && intent.limitPrice === undefined) {
    return invalidIntent('a limit order needs a limitPrice', { instrument: instrument.id });
  }
  if (intent.type === 'market' && intent.limitPrice !== undefined) {
    return invalidIntent('a market order must not carry a limitPrice (use a limit order with IOC)', {
      instrument: instrument.id,
    });
  }
  let quantity = intent.quantity;
  let price = intent.type === 'limit' ? intent.limitPrice : undefined;
  if (gridPolicy === 'round-safe') {
    // Never bigger, never more aggressive than asked.
    if (quantity.isPositive()) quantity = quantity.roundToStep(instrument.lotSize, 'down');
    if (price?.isPositive())
      price = price.roundToStep(instrument.tickSize, intent.side === 'buy' ? 'floor' : 'ceil');
  }
  try {
    // Exact bigint fast path; the model's check runs only to explain a failure.
    if (!onGrid(instrument, quantity, price)) assertOrderPrecision(instrument, quantity, price);
  } catch (err) {
    if (!isConcordError(err)) throw err;
    return {
      ok: false,
      quantity,
      denial: {
        code: err.code === 'CONCORD_ERR_ORDER_MIN_NOTIONAL' ? 'NOTIONAL_BELOW_MIN' : 'OFF_GRID',
        rule: 'precision',
        message: err.shortMessage,
        details: flatDetails(err.details),
        error: err.code,
      },
    };
  }
  if (
    price === undefined &&
    referencePrice !== undefined &&
    Number.isFinite(referencePrice) &&
    referencePrice > 0 &&
    // Clearly above the minimum in floats (margin ≫ rounding error): the exact check cannot fail.
    !(
      quantity.isPositive() &&
      referencePrice * quantity.toNumber() >= instrument.minNotional.toNumber() * 1.001
    )
  ) {
    const notional = Decimal.fromNumberRounded(referencePrice, 12).mul(quantity);
    if (notional.lt(instrument.minNotional)) {
      return {
        ok: false,
        quantity,
        denial: {
          code: 'NOTIONAL_BELOW_MIN',
          rule: 'precision',
          message: `estimated notional ${notional} at the reference price is below the minimum ${instrument.minNotional}`,
          details: {
            instrument: instrument.id,
            notional: notional.toString(),
            minNotional: instrument.minNotional.toString(),
          },
        },
      };
    }
  }
  return { ok: true, quantity, price };
}

const UNIT_SCALE = 10n ** 18n;

/** True when quantity (and price) are positive multiples of lot (tick) and the notional reaches the minimum, exactly. */
function onGrid(instrument: OrderableInstrument, quantity: Decimal, price: Decimal | undefined): boolean {
  const q = quantity.units;
  if (q <= 0n || q % instrument.lotSize.units !== 0n) return false;
  if (price === undefined) return true;
  const p = price.units;
  return p > 0n && p % instrument.tickSize.units === 0n && p * q >= instrument.minNotional.units * UNIT_SCALE;
}

/** A denial for an intent that cannot become an order (module level: no closure per submit). */
function invalidIntent(
  message: string,
  details: Readonly<Record<string, string>>,
): { ok: false; denial: Denial } {
  return {
    ok: false,
    denial: { code: 'INTENT_INVALID', rule: 'intent', message, details },
  };
}

/** A raised error's details as a denial's flat figures (anything not a scalar becomes its JSON text). */
function flatDetails(details: Readonly<Record<string, unknown>>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(details)) {
    if (value === undefined) continue;
    out[key] =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? value
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
  }
  return out;
}
