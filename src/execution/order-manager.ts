/**
 * The order manager: the only way an intent becomes an order at a venue.
 *
 * - One deterministic client order id per (decisionId, leg): a second submit is refused.
 * - Quantities and limit prices reach the venue exactly on the instrument's grid.
 * - Every order passes the pre-trade check; a denied order is never sent.
 * - An order moves only through `assertTransition` (model/order.ts). A venue event
 *   that would be illegal is refused with a coded `order.event-rejected` event and counted.
 * - A submit whose outcome is not known goes to UNKNOWN and is never retried;
 *   `reconcileOrder` (alias `resolveUnknown`) asks the venue what became of it.
 * - Fills are deduplicated by (venue, tradeId) per order; a fill that would exceed the order
 *   quantity is refused with `order.overfill`. The trade ids live with their order, so a
 *   checkpoint carries those of open orders only and does not grow with the run: a repeated
 *   fill of a final order is refused by the order's state (or, after a restart, as a fill of
 *   an order the desk no longer tracks), never let through.
 *
 * Every state change is emitted with the order as plain JSON, so the journal alone
 * can rebuild the manager (`applyJournaledEvent`), as can `snapshot()`/`restore()`.
 */
import { type AnyEvent, EVENTS, type EventDef } from '../bus/index.ts';
import {
  type Clock,
  ConcordError,
  Decimal,
  clientOrderId as deriveClientOrderId,
  isConcordError,
  toConcordError,
} from '../core/index.ts';
import {
  assertOrderPrecision,
  assertTransition,
  canTransition,
  type Denial,
  type Fill,
  type InstrumentId,
  isTerminal,
  type Order,
  type OrderableInstrument,
  type OrderIntent,
  type OrderRequest,
  type OrderStatus,
  oppositeSide,
  type PlanFacts,
  type PlanIntent,
  type VenueId,
  type VenueOrderEvent,
  type VenueOrderState,
  type VenuePort,
} from '../model/index.ts';
import {
  fillFromJson,
  fillJsonSchema,
  fillToJson,
  orderFromJson,
  orderJsonSchema,
  orderToJson,
  parseOrThrow,
} from './codec.ts';
import {
  isPlanFinished,
  type LegRiskPolicy,
  type PlanLegState,
  type PlanMode,
  type PlanState,
  planFromJson,
  planToJson,
} from './plan.ts';
import type { ExecutionEvents, PreTradeCheck } from './ports.ts';

/** `reject`: off-grid quantity or price is denied. `round-safe`: quantity rounds down, a limit price rounds away from the market (buy down, sell up). */
export type GridPolicy = 'reject' | 'round-safe';

export interface OrderManagerOptions {
  readonly venues: ReadonlyMap<VenueId, VenuePort> | Readonly<Record<VenueId, VenuePort>>;
  readonly preTradeCheck: PreTradeCheck;
  readonly events: ExecutionEvents;
  readonly clock: Clock;
  /** Default `reject`. */
  readonly gridPolicy?: GridPolicy;
  /** Default leg-risk policy of plans; default `hedge`. */
  readonly legRiskPolicy?: LegRiskPolicy;
  /** Default plan mode; default `sequential`. */
  readonly planMode?: PlanMode;
  /** Latest price for hedge and unwind orders' pre-trade checks; falls back to the plan's reference price. */
  readonly referencePrice?: (instrumentId: InstrumentId) => number | undefined;
}

export interface SubmitContext {
  readonly decisionId: string;
  readonly leg: number;
  readonly ts: number;
  readonly referencePrice: number | undefined;
  readonly instrument: OrderableInstrument;
  /** What the plan this order is a leg of expects to earn (for the net-edge rule); absent for a lone order. */
  readonly plan?: PlanFacts;
}

export type SubmitResult =
  /** The venue took the request; its fate arrives as venue events (the order may already be past SUBMITTED). */
  | { readonly outcome: 'submitted'; readonly order: Readonly<Order> }
  | { readonly outcome: 'denied'; readonly order: Readonly<Order>; readonly denial: Denial }
  | { readonly outcome: 'rejected'; readonly order: Readonly<Order>; readonly error: ConcordError }
  | { readonly outcome: 'unknown'; readonly order: Readonly<Order>; readonly error: ConcordError }
  /** An order with this client order id exists already; nothing was sent. */
  | { readonly outcome: 'duplicate'; readonly order: Readonly<Order> };

export type CancelResult =
  | { readonly outcome: 'requested'; readonly order: Readonly<Order> }
  | { readonly outcome: 'not-open'; readonly order: Readonly<Order> }
  | { readonly outcome: 'failed'; readonly order: Readonly<Order>; readonly error: ConcordError };

export type ReconcileResult =
  | { readonly outcome: 'resolved'; readonly order: Readonly<Order> }
  /** The venue's answer does not fit what we know (flagged with `order.reconcile-mismatch`). */
  | { readonly outcome: 'mismatch'; readonly order: Readonly<Order>; readonly error: ConcordError }
  /** The venue could not be asked; the order keeps its status. */
  | { readonly outcome: 'failed'; readonly order: Readonly<Order>; readonly error: ConcordError };

export interface PlanContext {
  /** Unique per plan: legs use leg numbers 0..n-1, hedge/unwind orders n, n+1, … */
  readonly decisionId: string;
  readonly ts: number;
  /** One per plan leg, in the same order. */
  readonly legs: readonly {
    readonly instrument: OrderableInstrument;
    readonly referencePrice: number | undefined;
  }[];
  readonly policy?: LegRiskPolicy;
  readonly mode?: PlanMode;
}

export type PlanResult = { readonly outcome: 'started' | 'duplicate'; readonly plan: Readonly<PlanState> };

export interface CancelScope {
  readonly venue?: VenueId;
  readonly instrumentId?: InstrumentId;
  readonly decisionId?: string;
}

export type FillHandler = (fill: Fill, order: Readonly<Order>) => void;

export interface ExecutionStats {
  readonly duplicateFills: number;
  readonly overfills: number;
  /** Venue events refused: illegal transition, unknown order, fill not matching its order. */
  readonly rejectedEvents: number;
}

export interface ExecutionSnapshot {
  readonly version: 2;
  readonly orders: readonly unknown[];
  readonly plans: readonly unknown[];
  /** `venue|tradeId` of the fills already applied (or refused as overfills), per order listed in `orders`. */
  readonly trades: Readonly<Record<string, readonly string[]>>;
}

/** Version 1 (before trade ids were kept per order): one flat list for the whole run. */
interface ExecutionSnapshotV1 {
  readonly version: 1;
  readonly orders: readonly unknown[];
  readonly plans: readonly unknown[];
  readonly seenTrades: readonly string[];
}

const STATUS_EVENT = {
  INITIALIZED: EVENTS.orderInitialized,
  DENIED: EVENTS.orderDenied,
  SUBMITTED: EVENTS.orderSubmitted,
  ACCEPTED: EVENTS.orderAccepted,
  REJECTED: EVENTS.orderRejected,
  PARTIALLY_FILLED: EVENTS.orderFilled,
  FILLED: EVENTS.orderFilled,
  PENDING_CANCEL: EVENTS.orderPendingCancel,
  CANCELED: EVENTS.orderCanceled,
  EXPIRED: EVENTS.orderExpired,
  UNKNOWN: EVENTS.orderUnknown,
} as const satisfies Readonly<Record<OrderStatus, AnyEvent>>;

/** Order events whose payload is the order alone. */
type OrderOnlyEvent = EventDef<
  | 'orderInitialized'
  | 'orderSubmitted'
  | 'orderAccepted'
  | 'orderRejected'
  | 'orderPendingCancel'
  | 'orderCancelRequested'
  | 'orderCanceled'
  | 'orderExpired'
>;

type Prepared =
  | { readonly outcome: 'ready'; readonly order: Order; readonly request: OrderRequest }
  | SubmitResult;

export class OrderManager {
  private readonly venues: ReadonlyMap<VenueId, VenuePort>;
  private readonly check: PreTradeCheck;
  private readonly events: ExecutionEvents;
  private readonly clock: Clock;
  private readonly gridPolicy: GridPolicy;
  private readonly defaultPolicy: LegRiskPolicy;
  private readonly defaultMode: PlanMode;
  private readonly latestPrice: ((instrumentId: InstrumentId) => number | undefined) | undefined;

  private readonly ordersById = new Map<string, Order>();
  private readonly openById = new Map<string, Order>();
  /** clientOrderId → `venue|tradeId` of its fills already seen. */
  private readonly tradesByOrder = new Map<string, Set<string>>();
  private readonly plansById = new Map<string, PlanState>();
  private readonly planByOrderId = new Map<string, PlanState>();
  /** Plans in the middle of a multi-step change; re-entrant advances wait for it to finish. */
  private readonly suspendedPlans = new Set<PlanState>();
  private readonly fillHandlers: FillHandler[] = [];
  private readonly unsubscribers: (() => void)[] = [];
  private duplicateFills = 0;
  private overfills = 0;
  private rejectedEvents = 0;

  constructor(options: OrderManagerOptions) {
    this.venues = options.venues instanceof Map ? options.venues : new Map(Object.entries(options.venues));
    this.check = options.preTradeCheck;
    this.events = options.events;
    this.clock = options.clock;
    this.gridPolicy = options.gridPolicy ?? 'reject';
    this.defaultPolicy = options.legRiskPolicy ?? 'hedge';
    this.defaultMode = options.planMode ?? 'sequential';
    this.latestPrice = options.referencePrice;
    for (const [venueId, port] of this.venues) {
      this.unsubscribers.push(port.onOrderEvent((event) => this.applyVenueEvent(event, venueId)));
    }
  }

  /** Stops listening to the venues. */
  dispose(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  // ── queries ──────────────────────────────────────────────────────────────

  order(clientOrderId: string): Readonly<Order> | undefined {
    return this.ordersById.get(clientOrderId);
  }

  orders(): Readonly<Order>[] {
    return [...this.ordersById.values()];
  }

  /** Orders not in a terminal status (UNKNOWN included: it may be live). */
  openOrders(): Readonly<Order>[] {
    return [...this.openById.values()];
  }

  plan(planId: string): Readonly<PlanState> | undefined {
    return this.plansById.get(planId);
  }

  plans(): Readonly<PlanState>[] {
    return [...this.plansById.values()];
  }

  stats(): ExecutionStats {
    return {
      duplicateFills: this.duplicateFills,
      overfills: this.overfills,
      rejectedEvents: this.rejectedEvents,
    };
  }

  /** Called after each fill is applied (the kernel feeds the portfolio). Returns an unsubscribe function. */
  onFill(handler: FillHandler): () => void {
    this.fillHandlers.push(handler);
    return () => {
      const i = this.fillHandlers.indexOf(handler);
      if (i >= 0) this.fillHandlers.splice(i, 1);
    };
  }

  // ── submit ───────────────────────────────────────────────────────────────

  /**
   * Turns an intent into an order and sends it. Never throws for venue trouble:
   * the outcome says what happened. The synchronous part (id, grid, risk check,
   * registration) completes before the first await, so a concurrent second
   * submit of the same leg is already a duplicate.
   */
  submitIntent(intent: OrderIntent, ctx: SubmitContext): Promise<SubmitResult> {
    const prepared = this.prepare(intent, ctx, false);
    if (prepared.outcome !== 'ready') return Promise.resolve(prepared);
    return this.send(prepared.order, prepared.request);
  }

  private prepare(intent: OrderIntent, ctx: SubmitContext, reduceOnly: boolean): Prepared {
    const id = deriveClientOrderId(ctx.decisionId, ctx.leg);
    const existing = this.ordersById.get(id);
    if (existing !== undefined) return { outcome: 'duplicate', order: existing };

    const shaped = this.shape(intent, ctx.instrument, ctx.referencePrice);
    const quantity = shaped.quantity ?? intent.quantity;
    const price = shaped.ok ? shaped.price : intent.limitPrice;
    const wantsReduceOnly = reduceOnly || intent.reduceOnly === true;
    // Plain literals with every key present: one hidden class, no spread copies on the hot path.
    const timeInForce = intent.timeInForce ?? (intent.type === 'market' ? 'IOC' : 'GTC');
    // Spot venues have no reduce-only flag; the risk check still sees it.
    const venueReduceOnly = wantsReduceOnly && ctx.instrument.kind !== 'spot' ? true : undefined;
    const request: OrderRequest = {
      clientOrderId: id,
      instrumentId: ctx.instrument.id,
      venue: ctx.instrument.venue,
      side: intent.side,
      type: intent.type,
      quantity,
      price,
      timeInForce,
      reduceOnly: venueReduceOnly,
      decisionId: ctx.decisionId,
      leg: ctx.leg,
      ts: ctx.ts,
    };
    const order: Order = {
      clientOrderId: id,
      instrumentId: ctx.instrument.id,
      venue: ctx.instrument.venue,
      side: intent.side,
      type: intent.type,
      quantity,
      price,
      timeInForce,
      // Our record keeps the intent (a flatten or an unwind is reduce-only even where the
      // venue has no such flag); only the request sent to a spot venue drops it.
      reduceOnly: wantsReduceOnly ? true : undefined,
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
    };
    this.ordersById.set(id, order);
    this.openById.set(id, order);
    this.emitOrder(EVENTS.orderInitialized, order);

    if (!shaped.ok) return this.deny(order, shaped.denial);
    if (!this.venues.has(order.venue)) {
      return this.deny(order, {
        code: 'NO_VENUE',
        rule: 'venue',
        message: `no venue port is registered for venue "${order.venue}"; add it to the order manager's venues`,
        details: { venue: order.venue },
      });
    }
    const verdict = this.runCheck({
      instrumentId: order.instrumentId,
      venue: order.venue,
      side: order.side,
      quantity,
      price,
      referencePrice: ctx.referencePrice,
      reduceOnly: wantsReduceOnly,
      plan: ctx.plan,
    });
    if (verdict !== undefined) return this.deny(order, verdict);
    return { outcome: 'ready', order, request };
  }

  /** Fails closed: a check that throws is a denial. */
  private runCheck(input: Parameters<PreTradeCheck['check']>[0]): Denial | undefined {
    try {
      const verdict = this.check.check(input);
      return verdict.ok ? undefined : verdict.denial;
    } catch (err) {
      const error = toConcordError(err);
      return {
        code: 'CHECK_FAILED',
        rule: 'pre-trade-check',
        message: `the pre-trade check could not be evaluated (${error.shortMessage}); no new risk is taken`,
        details: { cause: error.shortMessage },
        error: error.code,
      };
    }
  }

  private shape(
    intent: OrderIntent,
    instrument: OrderableInstrument,
    referencePrice: number | undefined,
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
    if (this.gridPolicy === 'round-safe') {
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

  private deny(order: Order, denial: Denial): SubmitResult {
    order.reason = `${denial.code}: ${denial.message}`;
    this.transition(order, 'DENIED', order.ts);
    this.events.emit(EVENTS.orderDenied, { order: orderToJson(order), denial });
    this.afterTerminal(order);
    return { outcome: 'denied', order, denial };
  }

  private async send(order: Order, request: OrderRequest): Promise<SubmitResult> {
    const port = this.venues.get(order.venue) as VenuePort;
    // SUBMITTED before the call: a venue may report events before its promise settles.
    this.transition(order, 'SUBMITTED', order.ts);
    this.emitOrder(EVENTS.orderSubmitted, order);
    try {
      await port.submitOrder(request);
    } catch (err) {
      return this.submitFailed(order, err);
    }
    return { outcome: 'submitted', order };
  }

  private submitFailed(order: Order, err: unknown): SubmitResult {
    const ts = this.clock.now();
    if (isConcordError(err) && !err.retryable && err.code !== 'CONCORD_ERR_VENUE_TIMEOUT') {
      if (order.status === 'SUBMITTED') {
        order.reason = `${err.code}: ${err.shortMessage}`;
        this.transition(order, 'REJECTED', ts);
        this.events.emit(EVENTS.orderRejected, { order: orderToJson(order), error: err.toJSON() });
        this.afterTerminal(order);
      } else if (!isTerminal(order.status) && order.status !== 'UNKNOWN') {
        // The venue reported progress, then refused: conflicting news, so reconcile.
        this.markUnknown(order, err, ts);
      }
      return { outcome: 'rejected', order, error: err };
    }
    // A timeout, a retryable error or anything unexpected: the order may exist. Never resend.
    const error = isConcordError(err)
      ? err
      : new ConcordError(
          'CONCORD_ERR_EXECUTION_SUBMIT_UNKNOWN',
          'the venue submit failed with an unexpected error; the order may or may not exist at the venue, so it is UNKNOWN until reconciled',
          { details: { clientOrderId: order.clientOrderId, venue: order.venue }, cause: err },
        );
    if (!isTerminal(order.status) && order.status !== 'UNKNOWN') this.markUnknown(order, error, ts);
    return { outcome: 'unknown', order, error };
  }

  private markUnknown(order: Order, error: ConcordError, ts: number): void {
    order.reason = `${error.code}: ${error.shortMessage}`;
    this.transition(order, 'UNKNOWN', ts);
    this.events.emit(EVENTS.orderUnknown, { order: orderToJson(order), error: error.toJSON() });
  }

  // ── venue events ─────────────────────────────────────────────────────────

  /**
   * Applies one event from a venue. Illegal events (unknown order, wrong venue,
   * illegal transition) leave the order unchanged and emit `order.event-rejected`.
   */
  applyVenueEvent(event: VenueOrderEvent, fromVenue?: VenueId): void {
    if (event.type === 'order.filled') {
      this.applyFill(event.fill, fromVenue);
      return;
    }
    const order = this.knownOrder(event.clientOrderId, event.type, fromVenue);
    if (order === undefined) return;
    switch (event.type) {
      case 'order.accepted':
        if (this.venueTransition(order, 'ACCEPTED', event.type, event.ts)) {
          order.venueOrderId = event.venueOrderId;
          this.emitOrder(EVENTS.orderAccepted, order);
        }
        return;
      case 'order.rejected':
        if (this.venueTransition(order, 'REJECTED', event.type, event.ts)) {
          order.reason = `${event.code}: ${event.reason}`;
          this.emitOrder(EVENTS.orderRejected, order);
          this.afterTerminal(order);
        }
        return;
      case 'order.canceled':
        if (this.venueTransition(order, 'CANCELED', event.type, event.ts)) {
          if (event.reason !== undefined) order.reason = event.reason;
          this.emitOrder(EVENTS.orderCanceled, order);
          this.afterTerminal(order);
        }
        return;
      case 'order.expired':
        if (this.venueTransition(order, 'EXPIRED', event.type, event.ts)) {
          this.emitOrder(EVENTS.orderExpired, order);
          this.afterTerminal(order);
        }
        return;
    }
  }

  private knownOrder(
    clientOrderId: string,
    eventType: string,
    fromVenue: VenueId | undefined,
  ): Order | undefined {
    const order = this.ordersById.get(clientOrderId);
    if (order === undefined) {
      this.refuseEvent(
        'CONCORD_ERR_EXECUTION_UNKNOWN_ORDER',
        `venue event ${eventType} names order ${clientOrderId}, which this desk never created`,
        {
          clientOrderId,
          event: eventType,
          venue: fromVenue,
        },
      );
      return undefined;
    }
    if (fromVenue !== undefined && fromVenue !== order.venue) {
      this.refuseEvent(
        'CONCORD_ERR_EXECUTION_FILL_MISMATCH',
        `venue ${fromVenue} reported ${eventType} for order ${clientOrderId}, which lives on ${order.venue}`,
        {
          clientOrderId,
          event: eventType,
          venue: fromVenue,
          orderVenue: order.venue,
        },
      );
      return undefined;
    }
    return order;
  }

  private venueTransition(order: Order, to: OrderStatus, eventType: string, ts: number): boolean {
    if (!canTransition(order.status, to)) {
      this.refuseEvent(
        'CONCORD_ERR_ORDER_TRANSITION',
        `venue event ${eventType} would move order ${order.clientOrderId} from ${order.status} to ${to}; ignored`,
        {
          clientOrderId: order.clientOrderId,
          event: eventType,
          from: order.status,
          to,
        },
      );
      return false;
    }
    this.transition(order, to, ts);
    return true;
  }

  private applyFill(fill: Fill, fromVenue?: VenueId): void {
    const key = tradeKey(fill);
    if (this.tradesByOrder.get(fill.clientOrderId)?.has(key) === true) {
      this.duplicateFills++;
      return;
    }
    const order = this.knownOrder(fill.clientOrderId, 'order.filled', fromVenue ?? fill.venue);
    if (order === undefined) return;
    if (
      fill.instrumentId !== order.instrumentId ||
      fill.side !== order.side ||
      !fill.quantity.isPositive() ||
      !fill.price.isPositive()
    ) {
      this.refuseEvent(
        'CONCORD_ERR_EXECUTION_FILL_MISMATCH',
        `fill ${fill.tradeId} does not match order ${order.clientOrderId} (instrument, side, or a non-positive price or quantity)`,
        {
          clientOrderId: order.clientOrderId,
          fill: fillToJson(fill),
        },
      );
      return;
    }
    const filled = order.filledQuantity.add(fill.quantity);
    if (filled.gt(order.quantity)) {
      this.rememberTrade(order.clientOrderId, key);
      this.overfills++;
      this.events.emit(EVENTS.orderOverfill, {
        code: 'CONCORD_ERR_ORDER_OVERFILL',
        message: `fill ${fill.tradeId} of ${fill.quantity} would take order ${order.clientOrderId} to ${filled}, above its quantity ${order.quantity}; not applied, reconcile the position with the venue`,
        order: orderToJson(order),
        fill: fillToJson(fill),
      });
      return;
    }
    const to: OrderStatus = filled.eq(order.quantity) ? 'FILLED' : 'PARTIALLY_FILLED';
    if (!this.venueTransition(order, to, 'order.filled', fill.ts)) return;
    this.rememberTrade(order.clientOrderId, key);
    order.filledQuantity = filled;
    order.filledNotional = order.filledNotional.add(fill.price.mul(fill.quantity));
    order.fees = order.fees.add(fill.fee);
    if (order.venueOrderId === undefined) order.venueOrderId = fill.venueOrderId;
    this.events.emit(EVENTS.orderFilled, { order: orderToJson(order), fill: fillToJson(fill) });
    for (const handler of this.fillHandlers) {
      try {
        handler(fill, order);
      } catch (err) {
        // A fill handler failing means downstream state (portfolio) is behind: say so loudly.
        this.events.emit(EVENTS.executionHandlerFailed, {
          error: toConcordError(err).toJSON(),
          clientOrderId: order.clientOrderId,
          tradeId: fill.tradeId,
        });
      }
    }
    if (to === 'FILLED') this.afterTerminal(order);
  }

  private rememberTrade(clientOrderId: string, key: string): void {
    let trades = this.tradesByOrder.get(clientOrderId);
    if (trades === undefined) {
      trades = new Set();
      this.tradesByOrder.set(clientOrderId, trades);
    }
    trades.add(key);
  }

  /** Whether a fill (`venue|tradeId`) of this order was already applied or refused as an overfill. */
  hasSeenTrade(clientOrderId: string, key: string): boolean {
    return this.tradesByOrder.get(clientOrderId)?.has(key) === true;
  }

  private refuseEvent(
    code: `CONCORD_ERR_${string}`,
    message: string,
    details: Record<string, unknown>,
  ): void {
    this.rejectedEvents++;
    this.events.emit(EVENTS.orderEventRejected, { code, message, details });
  }

  // ── cancel ───────────────────────────────────────────────────────────────

  async cancel(clientOrderId: string): Promise<CancelResult> {
    const order = this.requireOrder(clientOrderId);
    if (isTerminal(order.status) || order.status === 'INITIALIZED') return { outcome: 'not-open', order };
    // SUBMITTED and UNKNOWN have no PENDING_CANCEL edge: ask the venue anyway, the status follows its events.
    if (canTransition(order.status, 'PENDING_CANCEL'))
      this.transition(order, 'PENDING_CANCEL', this.clock.now());
    this.emitOrder(EVENTS.orderCancelRequested, order);
    const port = this.venues.get(order.venue);
    try {
      if (port === undefined)
        throw new ConcordError('CONCORD_ERR_EXECUTION_NO_VENUE', `no venue port for "${order.venue}"`, {
          details: { venue: order.venue },
        });
      await port.cancelOrder(clientOrderId);
    } catch (err) {
      const error = toConcordError(err);
      this.events.emit(EVENTS.orderCancelFailed, { order: orderToJson(order), error: error.toJSON() });
      return { outcome: 'failed', order, error };
    }
    return { outcome: 'requested', order };
  }

  /** Cancels every open order in scope (all when no scope), requests sent in creation order. */
  cancelAll(scope: CancelScope = {}): Promise<CancelResult[]> {
    const targets = this.openOrders().filter(
      (o) =>
        (scope.venue === undefined || o.venue === scope.venue) &&
        (scope.instrumentId === undefined || o.instrumentId === scope.instrumentId) &&
        (scope.decisionId === undefined || o.decisionId === scope.decisionId),
    );
    return Promise.all(targets.map((o) => this.cancel(o.clientOrderId)));
  }

  // ── reconciliation ───────────────────────────────────────────────────────

  /** Asks the venue what became of an order (fills included) and moves it there. */
  async reconcileOrder(clientOrderId: string): Promise<ReconcileResult> {
    const order = this.requireOrder(clientOrderId);
    const port = this.venues.get(order.venue);
    let state: VenueOrderState | undefined;
    try {
      if (port === undefined)
        throw new ConcordError('CONCORD_ERR_EXECUTION_NO_VENUE', `no venue port for "${order.venue}"`, {
          details: { venue: order.venue },
        });
      state = await port.fetchOrder(clientOrderId);
    } catch (err) {
      return { outcome: 'failed', order, error: toConcordError(err) };
    }
    if (isTerminal(order.status)) return { outcome: 'resolved', order };
    const ts = this.clock.now();
    if (state === undefined) {
      if (order.status === 'UNKNOWN' || order.status === 'SUBMITTED') {
        // The venue has no trace of it: the submit never arrived.
        order.reason = 'not found at the venue during reconciliation';
        this.transition(order, 'REJECTED', ts);
        this.emitOrder(EVENTS.orderRejected, order);
        this.afterTerminal(order);
        return { outcome: 'resolved', order };
      }
      return this.mismatch(order, 'the venue has no record of an order it had acknowledged', {
        status: order.status,
      });
    }
    if (order.venueOrderId === undefined && state.venueOrderId !== '')
      order.venueOrderId = state.venueOrderId;
    for (const fill of state.fills) this.applyFill(fill, order.venue);
    if (order.filledQuantity.lt(state.filledQuantity)) {
      return this.mismatch(
        order,
        `the venue reports ${state.filledQuantity} filled but only ${order.filledQuantity} arrived as fills`,
        {
          venueFilled: state.filledQuantity.toString(),
          filled: order.filledQuantity.toString(),
        },
      );
    }
    const target: OrderStatus = state.status === 'SUBMITTED' ? 'ACCEPTED' : state.status;
    if (target === order.status || target === 'PARTIALLY_FILLED' || target === 'FILLED')
      return { outcome: 'resolved', order };
    if (target === 'ACCEPTED' || target === 'CANCELED' || target === 'EXPIRED' || target === 'REJECTED') {
      if (canTransition(order.status, target)) {
        this.transition(order, target, ts);
        this.emitOrder(STATUS_EVENT[target], order);
        this.afterTerminal(order);
        return { outcome: 'resolved', order };
      }
    }
    return this.mismatch(
      order,
      `the venue reports ${state.status}, which order status ${order.status} cannot move to`,
      { venueStatus: state.status },
    );
  }

  /** Same as `reconcileOrder`: resolves an UNKNOWN order from what the venue reports. */
  resolveUnknown(clientOrderId: string): Promise<ReconcileResult> {
    return this.reconcileOrder(clientOrderId);
  }

  /** Reconciles every open order, one after another (after a restart, or periodically). */
  async reconcileOpenOrders(): Promise<ReconcileResult[]> {
    const results: ReconcileResult[] = [];
    for (const order of this.openOrders()) results.push(await this.reconcileOrder(order.clientOrderId));
    return results;
  }

  private mismatch(order: Order, message: string, details: Record<string, unknown>): ReconcileResult {
    const error = new ConcordError(
      'CONCORD_ERR_EXECUTION_RECONCILE_MISMATCH',
      `order ${order.clientOrderId}: ${message}; an operator must check the venue`,
      {
        details: { clientOrderId: order.clientOrderId, venue: order.venue, ...details },
      },
    );
    this.events.emit(EVENTS.orderReconcileMismatch, { order: orderToJson(order), error: error.toJSON() });
    return { outcome: 'mismatch', order, error };
  }

  private requireOrder(clientOrderId: string): Order {
    const order = this.ordersById.get(clientOrderId);
    if (order === undefined) {
      throw new ConcordError(
        'CONCORD_ERR_EXECUTION_UNKNOWN_ORDER',
        `no order with client order id ${clientOrderId}; list them with orders()`,
        {
          details: { clientOrderId },
        },
      );
    }
    return order;
  }

  // ── plans ────────────────────────────────────────────────────────────────

  /** Starts a multi-leg plan. Leg outcomes arrive as venue events; leg risk is handled by the plan's policy. */
  async submitPlan(plan: PlanIntent, ctx: PlanContext): Promise<PlanResult> {
    const existing = this.plansById.get(ctx.decisionId);
    if (existing !== undefined) return { outcome: 'duplicate', plan: existing };
    if (plan.legs.length === 0 || ctx.legs.length !== plan.legs.length) {
      throw new ConcordError(
        'CONCORD_ERR_EXECUTION_INTENT_INVALID',
        `plan "${plan.label}" has ${plan.legs.length} legs but the context describes ${ctx.legs.length}; give one instrument and reference price per leg`,
        {
          details: { label: plan.label, legs: plan.legs.length, contextLegs: ctx.legs.length },
        },
      );
    }
    const state: PlanState = {
      planId: ctx.decisionId,
      label: plan.label,
      expectedNetEdge: plan.expectedNetEdge,
      policy: ctx.policy ?? this.defaultPolicy,
      mode: ctx.mode ?? this.defaultMode,
      ts: ctx.ts,
      status: 'running',
      legs: plan.legs.map((intent, leg) => {
        const legCtx = ctx.legs[leg] as PlanContext['legs'][number];
        return {
          intent,
          instrument: legCtx.instrument,
          referencePrice: legCtx.referencePrice,
          clientOrderId: deriveClientOrderId(ctx.decisionId, leg),
          sent: false,
        };
      }),
      hedgeOrderIds: [],
    };
    this.plansById.set(state.planId, state);
    for (const leg of state.legs) this.planByOrderId.set(leg.clientOrderId, state);
    this.emitPlan(EVENTS.planStarted, state);

    if (state.mode === 'sequential') {
      await this.sendLeg(state, 0);
      return { outcome: 'started', plan: state };
    }
    // Parallel: every leg passes the gate before any is sent, so a denial costs nothing.
    const ready: { order: Order; request: OrderRequest }[] = [];
    let denied = false;
    this.suspendedPlans.add(state);
    for (let leg = 0; leg < state.legs.length; leg++) {
      (state.legs[leg] as PlanLegState).sent = true;
      const prepared = this.prepareLeg(state, leg);
      if (prepared.outcome === 'ready') ready.push(prepared);
      else denied = true;
    }
    if (denied) {
      for (const r of ready) {
        this.deny(r.order, {
          code: 'PLAN_LEG_DENIED',
          rule: 'plan',
          message: `another leg of plan "${state.label}" was denied, so this leg is not sent`,
          details: { planId: state.planId },
        });
      }
    }
    this.suspendedPlans.delete(state);
    if (denied) {
      this.advancePlan(state);
      return { outcome: 'started', plan: state };
    }
    await Promise.all(ready.map((r) => this.send(r.order, r.request)));
    return { outcome: 'started', plan: state };
  }

  private prepareLeg(plan: PlanState, leg: number): Prepared {
    const l = plan.legs[leg] as PlanLegState;
    return this.prepare(
      l.intent,
      {
        decisionId: plan.planId,
        leg,
        ts: plan.ts,
        referencePrice: l.referencePrice,
        instrument: l.instrument,
        // Every leg carries the plan's edge to the gate; hedge and unwind orders do not (see PreTradeOrder.plan).
        plan: plan.expectedNetEdge === undefined ? undefined : { expectedNetEdge: plan.expectedNetEdge },
      },
      false,
    );
  }

  private async sendLeg(plan: PlanState, leg: number): Promise<void> {
    (plan.legs[leg] as PlanLegState).sent = true;
    const prepared = this.prepareLeg(plan, leg);
    if (prepared.outcome === 'ready') await this.send(prepared.order, prepared.request);
  }

  private afterTerminal(order: Order): void {
    this.openById.delete(order.clientOrderId);
    const plan = this.planByOrderId.get(order.clientOrderId);
    if (plan !== undefined) this.advancePlan(plan);
  }

  /** Moves a plan on after one of its orders reached a terminal status. Re-entrant safe: it only acts on settled facts. */
  private advancePlan(plan: PlanState): void {
    if (this.suspendedPlans.has(plan)) return;
    if (plan.status === 'hedging') {
      if (plan.hedgeOrderIds.some((id) => !this.isSettled(id))) return;
      const allFilled = plan.hedgeOrderIds.every((id) => this.ordersById.get(id)?.status === 'FILLED');
      this.finishPlan(plan, allFilled ? 'hedged' : 'exposed');
      return;
    }
    if (plan.status !== 'running') return;
    const sentLegs = plan.legs.filter((l) => l.sent);
    if (sentLegs.some((l) => !this.isSettled(l.clientOrderId))) return;
    const failed = sentLegs.filter((l) => this.ordersById.get(l.clientOrderId)?.status !== 'FILLED');
    if (failed.length === 0) {
      if (sentLegs.length < plan.legs.length) {
        // Sequential: the previous legs filled, send the next one.
        this.detach(this.sendLeg(plan, sentLegs.length));
        return;
      }
      this.finishPlan(plan, 'completed');
      return;
    }
    for (const leg of failed) {
      const order = this.ordersById.get(leg.clientOrderId) as Order;
      this.events.emit(EVENTS.planLegFailed, {
        plan: planToJson(plan),
        leg: plan.legs.indexOf(leg),
        clientOrderId: order.clientOrderId,
        status: order.status,
        filledQuantity: order.filledQuantity.toString(),
        reason: order.reason ?? order.status,
      });
    }
    this.handleLegRisk(plan);
  }

  private isSettled(clientOrderId: string): boolean {
    const order = this.ordersById.get(clientOrderId);
    return order !== undefined && isTerminal(order.status);
  }

  /** Evens out the legs after a failure, by policy. Quantities only ever round down to the lot. */
  private handleLegRisk(plan: PlanState): void {
    const fractions = plan.legs.map((l) => {
      const order = this.ordersById.get(l.clientOrderId);
      return order === undefined ? Decimal.ZERO : order.filledQuantity.div(order.quantity, 'down');
    });
    let max = Decimal.ZERO;
    let min: Decimal | undefined;
    for (const f of fractions) {
      max = Decimal.max(max, f);
      min = min === undefined ? f : Decimal.min(min, f);
    }
    if (max.isZero()) {
      this.finishPlan(plan, 'failed');
      return;
    }
    const corrections: { leg: number; intent: OrderIntent }[] = [];
    plan.legs.forEach((l, leg) => {
      const order = this.ordersById.get(l.clientOrderId);
      const quantity = order?.quantity ?? l.intent.quantity;
      const filled = order?.filledQuantity ?? Decimal.ZERO;
      const lot = l.instrument.lotSize;
      if (plan.policy === 'hedge') {
        // Complete the lagging leg at market up to the best-filled leg's fraction.
        const missing = quantity.mul(max, 'down').sub(filled).roundToStep(lot, 'down');
        if (missing.isPositive())
          corrections.push({
            leg,
            intent: {
              kind: 'order',
              instrumentId: l.instrument.id,
              side: l.intent.side,
              type: 'market',
              quantity: missing,
            },
          });
      } else if (plan.policy === 'unwind') {
        // Take the leading legs back down to the worst-filled leg's fraction.
        const excess = filled.sub(quantity.mul(min ?? Decimal.ZERO, 'up')).roundToStep(lot, 'down');
        if (excess.isPositive()) {
          corrections.push({
            leg,
            intent: {
              kind: 'order',
              instrumentId: l.instrument.id,
              side: oppositeSide(l.intent.side),
              type: 'market',
              quantity: excess,
              reduceOnly: true,
            },
          });
        }
      }
    });
    if (plan.policy === 'none' || corrections.length === 0) {
      this.finishPlan(plan, plan.policy === 'none' ? 'exposed' : 'hedged');
      return;
    }
    plan.status = 'hedging';
    this.suspendedPlans.add(plan);
    const ts = this.clock.now();
    const prepared: Prepared[] = [];
    for (const c of corrections) {
      const legNumber = plan.legs.length + plan.hedgeOrderIds.length;
      const id = deriveClientOrderId(plan.planId, legNumber);
      plan.hedgeOrderIds.push(id);
      this.planByOrderId.set(id, plan);
      const l = plan.legs[c.leg] as PlanLegState;
      const referencePrice = this.latestPrice?.(l.instrument.id) ?? l.referencePrice;
      prepared.push(
        this.prepare(
          c.intent,
          { decisionId: plan.planId, leg: legNumber, ts, referencePrice, instrument: l.instrument },
          plan.policy === 'unwind',
        ),
      );
    }
    this.events.emit(EVENTS.planHedged, {
      plan: planToJson(plan),
      policy: plan.policy,
      orders: corrections.map((c, i) => ({
        clientOrderId: plan.hedgeOrderIds[plan.hedgeOrderIds.length - corrections.length + i],
        forLeg: c.leg,
        instrumentId: c.intent.instrumentId,
        side: c.intent.side,
        quantity: c.intent.quantity.toString(),
      })),
    });
    this.suspendedPlans.delete(plan);
    for (const p of prepared) if (p.outcome === 'ready') this.detach(this.send(p.order, p.request));
    // Covers the case where every correction was denied synchronously.
    this.advancePlan(plan);
  }

  /** Runs a send started from an event handler; a throw there is a bug, reported rather than lost. */
  private detach(work: Promise<unknown>): void {
    work.catch((err: unknown) =>
      this.events.emit(EVENTS.executionInternalError, { error: toConcordError(err).toJSON() }),
    );
  }

  private finishPlan(plan: PlanState, status: PlanState['status']): void {
    plan.status = status;
    this.emitPlan(EVENTS.planCompleted, plan);
  }

  // ── state: transitions, snapshot, rebuild ────────────────────────────────

  /** The one place an order's status changes. */
  private transition(order: Order, to: OrderStatus, ts: number): void {
    assertTransition(order.clientOrderId, order.status, to);
    order.status = to;
    order.updatedTs = ts;
  }

  private emitOrder(event: OrderOnlyEvent, order: Order): void {
    this.events.emit(event, { order: orderToJson(order) });
  }

  private emitPlan(event: EventDef<'planStarted' | 'planCompleted'>, plan: PlanState): void {
    this.events.emit(event, { plan: planToJson(plan), outcome: plan.status });
  }

  /**
   * State as JSON. `compact` keeps what a restart needs and bounds the size (a checkpoint
   * is written at every durable batch): open orders, unfinished plans and their orders, and
   * the trade ids of those orders only. Terminal history stays in the journal; a fill that
   * still arrives for a terminal order after a restart names an order this manager no longer
   * knows, and is refused (`order.event-rejected`), never applied.
   */
  snapshot(options: { compact?: boolean } = {}): ExecutionSnapshot {
    if (options.compact !== true) {
      const orders = [...this.ordersById.values()];
      return {
        version: 2,
        orders: orders.map(orderToJson),
        plans: [...this.plansById.values()].map(planToJson),
        trades: this.tradesOf(orders),
      };
    }
    const plans = [...this.plansById.values()].filter((p) => !isPlanFinished(p.status));
    const planIds = new Set(plans.map((p) => p.planId));
    // Without an unfinished plan the open orders are enough (same creation order as ordersById),
    // so a checkpoint does not scan the whole order history.
    const kept: Order[] = [];
    if (planIds.size === 0) {
      for (const o of this.openById.values()) if (!isTerminal(o.status)) kept.push(o);
    } else {
      for (const o of this.ordersById.values())
        if (!isTerminal(o.status) || planIds.has(o.decisionId)) kept.push(o);
    }
    return {
      version: 2,
      orders: kept.map(orderToJson),
      plans: plans.map(planToJson),
      trades: this.tradesOf(kept),
    };
  }

  private tradesOf(orders: readonly Order[]): Record<string, string[]> {
    const trades: Record<string, string[]> = {};
    for (const o of orders) {
      const seen = this.tradesByOrder.get(o.clientOrderId);
      if (seen !== undefined && seen.size > 0) trades[o.clientOrderId] = [...seen];
    }
    return trades;
  }

  /**
   * Replaces the manager's state with a snapshot (validated: it comes from storage). A version 1
   * snapshot's flat trade list is given to each restored order on the trade's venue that has
   * filled something: trade ids are unique per venue, so a repeat of any of them is refused.
   */
  restore(snapshot: unknown): void {
    const s = parseExecutionSnapshot(snapshot);
    const orders = s.orders.map((o) => orderFromJson(parseOrThrow(orderJsonSchema, o, 'order')));
    const plans = s.plans.map((p) => planFromJson(p));
    this.ordersById.clear();
    this.openById.clear();
    this.plansById.clear();
    this.planByOrderId.clear();
    this.tradesByOrder.clear();
    for (const order of orders) this.upsertOrder(order);
    for (const plan of plans) this.upsertPlan(plan);
    if (s.version === 2) {
      for (const [clientOrderId, keys] of Object.entries(s.trades))
        for (const key of keys) this.rememberTrade(clientOrderId, key);
      return;
    }
    for (const order of orders) {
      if (!order.filledQuantity.isPositive()) continue;
      const prefix = `${order.venue}|`;
      for (const key of s.seenTrades)
        if (key.startsWith(prefix)) this.rememberTrade(order.clientOrderId, key);
    }
  }

  /**
   * Rebuilds state from one journaled execution event (as emitted by this class),
   * without emitting anything or calling fill handlers. Returns false for event
   * types that carry no execution state.
   */
  applyJournaledEvent(type: string, payload: unknown): boolean {
    const p = payload as { order?: unknown; plan?: unknown; fill?: unknown } | null;
    if (p === null || typeof p !== 'object') return false;
    let applied = false;
    if (type.startsWith('order.') && p.order !== undefined) {
      this.upsertOrder(orderFromJson(parseOrThrow(orderJsonSchema, p.order, `${type} order`)));
      applied = true;
    }
    if ((type === EVENTS.orderFilled.name || type === EVENTS.orderOverfill.name) && p.fill !== undefined) {
      const fill = fillFromJson(parseOrThrow(fillJsonSchema, p.fill, `${type} fill`));
      this.rememberTrade(fill.clientOrderId, tradeKey(fill));
    }
    if (type.startsWith('plan.') && p.plan !== undefined) {
      this.upsertPlan(planFromJson(p.plan));
      applied = true;
    }
    return applied;
  }

  private upsertOrder(order: Order): void {
    // Plans refer to orders by id, so replacing the object is safe.
    this.ordersById.set(order.clientOrderId, order);
    if (isTerminal(order.status)) this.openById.delete(order.clientOrderId);
    else this.openById.set(order.clientOrderId, order);
  }

  private upsertPlan(plan: PlanState): void {
    this.plansById.set(plan.planId, plan);
    for (const leg of plan.legs) this.planByOrderId.set(leg.clientOrderId, plan);
    for (const id of plan.hedgeOrderIds) this.planByOrderId.set(id, plan);
  }

  /** Whether a plan is done (for callers polling a plan's end). */
  static isPlanFinished(plan: Readonly<PlanState>): boolean {
    return isPlanFinished(plan.status);
  }
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

/** Average fill price, exact to 18 decimals (half-even), or undefined before the first fill. */
export function averageFillPrice(order: Readonly<Order>): Decimal | undefined {
  return order.filledQuantity.isZero() ? undefined : order.filledNotional.div(order.filledQuantity);
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

function tradeKey(fill: Fill): string {
  return `${fill.venue}|${fill.tradeId}`;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function parseExecutionSnapshot(raw: unknown): ExecutionSnapshot | ExecutionSnapshotV1 {
  const s = raw as Partial<ExecutionSnapshot> & Partial<Omit<ExecutionSnapshotV1, 'version'>>;
  const shapeOk = s !== null && typeof s === 'object' && Array.isArray(s.orders) && Array.isArray(s.plans);
  if (shapeOk && s.version === 2) {
    const trades = s.trades as unknown;
    if (
      trades !== null &&
      typeof trades === 'object' &&
      !Array.isArray(trades) &&
      Object.values(trades as Record<string, unknown>).every(isStringArray)
    )
      return s as ExecutionSnapshot;
  }
  if (shapeOk && (s.version as number) === 1 && isStringArray(s.seenTrades))
    return s as unknown as ExecutionSnapshotV1;
  throw new ConcordError(
    'CONCORD_ERR_EXECUTION_STATE_INVALID',
    'cannot restore execution state: expected { version: 2, orders: [], plans: [], trades: { <clientOrderId>: [] } } (or version 1 with seenTrades: [])',
    {
      details: { what: 'snapshot' },
    },
  );
}
