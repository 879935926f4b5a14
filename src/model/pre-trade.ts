/**
 * The pre-trade gate's vocabulary, shared by the order manager (which builds the order and
 * records the denial) and the risk engine (which judges the order): one order type, one
 * closed set of denial codes. A denial is data, not an error: the order is simply not sent.
 * See docs/adr/0005-denial-codes.md; every code is documented in docs/errors.md.
 */
import type { Decimal } from '../core/index.ts';
import type { InstrumentId, VenueId } from './instrument.ts';
import type { Side } from './order.ts';

/**
 * Every code a denied order can carry. A code never changes meaning; a new reason gets a new
 * code here and a `###` section under "Denial codes" in docs/errors.md (the conventions check
 * and test/core/errors-docs.test.ts keep the two in step).
 */
export const DENIAL_CODES = [
  // Trading state (risk rule trading-state): kill switch, halts, reduce-only desks.
  'TRADING_HALTED',
  'REDUCING_ONLY',
  // Risk rules (src/risk/rules), in the order of the default chain.
  'CIRCUIT_OPEN',
  'REDUCE_ONLY_WOULD_INCREASE',
  'ORDER_RATE_EXCEEDED',
  'PRICE_OUTSIDE_BAND',
  'NO_REFERENCE_PRICE',
  'NET_EDGE_BELOW_MIN',
  'NOTIONAL_EXCEEDS_MAX_PER_ORDER',
  'POSITION_EXCEEDS_MAX',
  'OPEN_ORDERS_EXCEED_MAX',
  'VENUE_OPEN_ORDERS_EXCEED_MAX',
  'DAILY_LOSS_LIMIT_REACHED',
  'DRAWDOWN_LIMIT_REACHED',
  'VENUE_POSITION_EXCEEDS_MAX',
  'GROSS_EXPOSURE_EXCEEDS_MAX',
  'NET_EXPOSURE_EXCEEDS_MAX',
  'LEVERAGE_EXCEEDS_MAX',
  'CONCENTRATION_EXCEEDS_MAX',
  'CORRELATED_EXPOSURE_EXCEEDS_MAX',
  'VAR_EXCEEDS_MAX',
  // The swap slippage check (src/risk/swap.ts).
  'SWAP_UNBOUNDED',
  'SWAP_SLIPPAGE_EXCEEDS_MAX',
  // Fail closed: a rule threw, the whole check threw, or the desk cannot trust its records.
  'RULE_ERROR',
  'CHECK_FAILED',
  'FAIL_CLOSED',
  // Order shaping in the order manager, before the risk rules run.
  'INTENT_INVALID',
  'OFF_GRID',
  'NOTIONAL_BELOW_MIN',
  'NO_VENUE',
  'PLAN_LEG_DENIED',
] as const;

export type DenialCode = (typeof DENIAL_CODES)[number];

const DENIAL_CODE_SET: ReadonlySet<string> = new Set(DENIAL_CODES);

export function isDenialCode(value: unknown): value is DenialCode {
  return typeof value === 'string' && DENIAL_CODE_SET.has(value);
}

/** Why the gate refused an order (never sent). */
export interface Denial {
  readonly code: DenialCode;
  /** The rule or stage that denied: a risk rule's name, `kernel`, `precision`, `intent`, `venue`, `plan`. */
  readonly rule: string;
  /** The figures and the reason, without the code (`limit=5, value=2, unit=bps`). */
  readonly message: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  /** The ConcordError code, when the denial stems from an error that was raised (e.g. CONCORD_ERR_ORDER_PRECISION). */
  readonly error?: string;
}

export type PreTradeVerdict = { readonly ok: true } | { readonly ok: false; readonly denial: Denial };

/** What a multi-leg plan expects to earn, carried by each of its legs to the gate. */
export interface PlanFacts {
  /** Expected edge of the whole plan after every fee, as a fraction of its notional (0.001 = 10 bp). */
  readonly expectedNetEdge: number;
}

/**
 * The order the gate judges, exactly as the order manager builds it. Quantities and limit prices
 * are exact (already on the instrument's grid); the reference is the book's float mid.
 */
export interface PreTradeOrder {
  readonly instrumentId: InstrumentId;
  readonly venue: VenueId;
  readonly side: Side;
  readonly quantity: Decimal;
  /** Limit price; absent for a market order. */
  readonly price?: Decimal;
  /** Mid price from the book, undefined when the book is empty or stale. */
  readonly referencePrice: number | undefined;
  readonly reduceOnly?: boolean;
  /** Contract size (quote value of one unit per unit of price); 1 when absent (spot). */
  readonly multiplier?: number;
  /**
   * Set on the legs of a plan (what the plan expects to earn), undefined on a lone order and on
   * a plan's hedge or unwind orders, which limit leg risk and must not be refused for the edge.
   * Not optional, so every builder of a pre-trade order has to say which it is.
   */
  readonly plan: PlanFacts | undefined;
}
