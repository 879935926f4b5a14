/**
 * The order manager: the only way an intent becomes an order at a venue, and the only way a fill
 * reaches the portfolio. It is a facade over four parts, one concern each:
 *
 * - order-store.ts: the orders, their status transitions (model/order.ts's state machine) and
 *   the trade ids of their fills;
 * - order-shaping.ts: intent → order, request and pre-trade order, exact on the instrument's grid;
 * - venue-events.ts: what venues say (acks, fills, cancels, unknown submits, reconciliation
 *   answers), and the fill path (`bookFill`) that feeds the fill handlers;
 * - plan-executor.ts: multi-leg plans, built on this class's public API only.
 *
 * Rules it keeps:
 * - One deterministic client order id per (decisionId, leg): a second submit is refused.
 * - Every order passes the pre-trade check; a denied order is never sent. A check that throws
 *   is a denial (fail closed).
 * - A submit whose outcome is not known goes to UNKNOWN and is never retried;
 *   `reconcileOrder` (alias `resolveUnknown`) asks the venue what became of it.
 * - An order carries its attribution (the decision and agents behind it), so every fill of it,
 *   whether from a venue event, reconciliation or a restart, is credited to the same agents.
 *
 * Every state change is emitted with the order as plain JSON, so the journal alone can rebuild
 * the manager (`applyJournaledEvent`), as can `snapshot()`/`restore()`.
 */
import { EVENTS } from '../bus/index.ts';
import {
  type Clock,
  ConcordError,
  clientOrderId as deriveClientOrderId,
  toConcordError,
} from '../core/index.ts';
import {
  canTransition,
  type Denial,
  type Fill,
  type InstrumentId,
  isTerminal,
  type Order,
  type OrderIntent,
  type PlanIntent,
  type VenueId,
  type VenueOrderEvent,
  type VenuePort,
} from '../model/index.ts';
import {
  fillFromJson,
  fillJsonSchema,
  orderFromJson,
  orderJsonSchema,
  orderToJson,
  parseOrThrow,
} from './codec.ts';
import type {
  CancelResult,
  ExecutionStats,
  FillHandler,
  FillSource,
  PrepareResult,
  ReadyOrder,
  ReconcileResult,
  SubmitResult,
} from './order-results.ts';
import { type GridPolicy, type SubmitContext, shapeOrder } from './order-shaping.ts';
import { emitOrder, OrderStore, type SettledHandler, tradeKey } from './order-store.ts';
import {
  isPlanFinished,
  type LegRiskPolicy,
  type PlanMode,
  type PlanState,
  planFromJson,
  planToJson,
} from './plan.ts';
import { type PlanContext, PlanExecutor, type PlanOrders, type PlanResult } from './plan-executor.ts';
import type { ExecutionEvents, PreTradeCheck } from './ports.ts';
import { VenueEventApplier } from './venue-events.ts';

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

export interface CancelScope {
  readonly venue?: VenueId;
  readonly instrumentId?: InstrumentId;
  readonly decisionId?: string;
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

export class OrderManager implements PlanOrders {
  private readonly venues: ReadonlyMap<VenueId, VenuePort>;
  private readonly check: PreTradeCheck;
  private readonly events: ExecutionEvents;
  private readonly clock: Clock;
  private readonly gridPolicy: GridPolicy;
  private readonly store = new OrderStore();
  private readonly venueEvents: VenueEventApplier;
  private readonly planExecutor: PlanExecutor;
  private readonly unsubscribers: (() => void)[] = [];

  constructor(options: OrderManagerOptions) {
    this.venues = options.venues instanceof Map ? options.venues : new Map(Object.entries(options.venues));
    this.check = options.preTradeCheck;
    this.events = options.events;
    this.clock = options.clock;
    this.gridPolicy = options.gridPolicy ?? 'reject';
    this.venueEvents = new VenueEventApplier({
      store: this.store,
      events: this.events,
      clock: this.clock,
      venues: this.venues,
    });
    this.planExecutor = new PlanExecutor({
      orders: this,
      events: this.events,
      clock: this.clock,
      ...(options.legRiskPolicy === undefined ? {} : { legRiskPolicy: options.legRiskPolicy }),
      ...(options.planMode === undefined ? {} : { planMode: options.planMode }),
      ...(options.referencePrice === undefined ? {} : { referencePrice: options.referencePrice }),
    });
    for (const [venueId, port] of this.venues) {
      this.unsubscribers.push(port.onOrderEvent((event) => this.venueEvents.apply(event, venueId)));
    }
  }

  /** Stops listening to the venues. */
  dispose(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  // ── queries ──────────────────────────────────────────────────────────────

  order(clientOrderId: string): Readonly<Order> | undefined {
    return this.store.get(clientOrderId);
  }

  orders(): Readonly<Order>[] {
    return this.store.all();
  }

  /** Orders not in a terminal status (UNKNOWN included: it may be live). */
  openOrders(): Readonly<Order>[] {
    return this.store.open();
  }

  plan(planId: string): Readonly<PlanState> | undefined {
    return this.planExecutor.plan(planId);
  }

  plans(): Readonly<PlanState>[] {
    return this.planExecutor.plans();
  }

  stats(): ExecutionStats {
    return this.venueEvents.stats();
  }

  /** Whether a fill (`venue|tradeId`) of this order was already booked or refused as an overfill. */
  hasSeenTrade(clientOrderId: string, key: string): boolean {
    return this.store.hasSeenTrade(clientOrderId, key);
  }

  // ── subscriptions ────────────────────────────────────────────────────────

  /**
   * Called for every fill booked, whatever its source, with its order (attribution included): the
   * kernel feeds the portfolio and the risk engine from here. Returns an unsubscribe function.
   */
  onFill(handler: FillHandler): () => void {
    return this.venueEvents.onFill(handler);
  }

  /** Called when an order reaches a terminal status. Returns an unsubscribe function. */
  onSettled(handler: SettledHandler): () => void {
    return this.store.onSettled(handler);
  }

  // ── submit ───────────────────────────────────────────────────────────────

  /**
   * Turns an intent into an order and sends it. Never throws for venue trouble:
   * the outcome says what happened. The synchronous part (id, grid, risk check,
   * registration) completes before the first await, so a concurrent second
   * submit of the same leg is already a duplicate.
   */
  submitIntent(intent: OrderIntent, ctx: SubmitContext): Promise<SubmitResult> {
    const prepared = this.prepare(intent, ctx);
    if (prepared.outcome !== 'ready') return Promise.resolve(prepared);
    return this.send(prepared);
  }

  /**
   * The first half of a submit: the order is registered (`order.initialized`), shaped and put
   * through the gate; a denial settles it at once. A ready order must then be sent (`send`) or
   * withdrawn (`withdraw`).
   */
  prepare(intent: OrderIntent, ctx: SubmitContext): PrepareResult {
    const id = deriveClientOrderId(ctx.decisionId, ctx.leg);
    const existing = this.store.get(id);
    if (existing !== undefined) return { outcome: 'duplicate', order: existing };
    const shaped = shapeOrder(id, intent, ctx, this.gridPolicy);
    const order = shaped.order;
    this.store.add(order);
    emitOrder(this.events, EVENTS.orderInitialized, order);

    if (!shaped.ok) return this.deny(order, shaped.denial);
    if (!this.venues.has(order.venue)) {
      return this.deny(order, {
        code: 'NO_VENUE',
        rule: 'venue',
        message: `no venue port is registered for venue "${order.venue}"; add it to the order manager's venues`,
        details: { venue: order.venue },
      });
    }
    const verdict = this.runCheck(shaped.preTrade);
    if (verdict !== undefined) return this.deny(order, verdict);
    return { outcome: 'ready', order, request: shaped.request };
  }

  /** The second half of a submit: SUBMITTED, then the venue call. */
  async send(ready: ReadyOrder): Promise<SubmitResult> {
    const order = this.store.require(ready.order.clientOrderId);
    const port = this.venues.get(order.venue) as VenuePort;
    // SUBMITTED before the call: a venue may report events before its promise settles.
    this.store.transition(order, 'SUBMITTED', order.ts);
    emitOrder(this.events, EVENTS.orderSubmitted, order);
    try {
      await port.submitOrder(ready.request);
    } catch (err) {
      return this.venueEvents.submitFailed(order, err);
    }
    return { outcome: 'submitted', order };
  }

  /** Denies a prepared order that will not be sent (e.g. another leg of its plan was denied). */
  withdraw(ready: ReadyOrder, denial: Denial): SubmitResult {
    return this.deny(this.store.require(ready.order.clientOrderId), denial);
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

  private deny(order: Order, denial: Denial): SubmitResult {
    order.reason = `${denial.code}: ${denial.message}`;
    this.store.transition(order, 'DENIED', order.ts);
    this.events.emit(EVENTS.orderDenied, { order: orderToJson(order), denial });
    this.store.settle(order);
    return { outcome: 'denied', order, denial };
  }

  // ── venue events and fills ───────────────────────────────────────────────

  /**
   * Applies one event from a venue. Illegal events (unknown order, wrong venue,
   * illegal transition) leave the order unchanged and emit `order.event-rejected`.
   */
  applyVenueEvent(event: VenueOrderEvent, fromVenue?: VenueId): void {
    this.venueEvents.apply(event, fromVenue);
  }

  /**
   * The one door through which a fill reaches the portfolio (through the `onFill` handlers), with
   * its order's attribution. Reconciliation books the fills it recovers here (`recovered`), a
   * restart the journaled fills after its checkpoint (`restore`). Returns whether it was booked.
   */
  bookFill(fill: Fill, options: { readonly source: FillSource }): boolean {
    return this.venueEvents.bookFill(fill, options.source);
  }

  /**
   * Restart: books again a fill journaled after the last checkpoint (`order.filled` or
   * `reconcile.fill-recovered`). The order is rebuilt from the record first, so the fill is
   * credited to the order's agents even when the checkpoint no longer holds the order.
   */
  restoreJournaledFill(type: string, payload: unknown): boolean {
    this.applyJournaledEvent(type, payload);
    const p = payload as { fill?: unknown } | null;
    if (p === null || typeof p !== 'object' || p.fill === undefined) return false;
    const fill = fillFromJson(parseOrThrow(fillJsonSchema, p.fill, `${type} fill`));
    return this.bookFill(fill, { source: 'restore' });
  }

  // ── cancel ───────────────────────────────────────────────────────────────

  async cancel(clientOrderId: string): Promise<CancelResult> {
    const order = this.store.require(clientOrderId);
    if (isTerminal(order.status) || order.status === 'INITIALIZED') return { outcome: 'not-open', order };
    // SUBMITTED and UNKNOWN have no PENDING_CANCEL edge: ask the venue anyway, the status follows its events.
    if (canTransition(order.status, 'PENDING_CANCEL'))
      this.store.transition(order, 'PENDING_CANCEL', this.clock.now());
    emitOrder(this.events, EVENTS.orderCancelRequested, order);
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
  reconcileOrder(clientOrderId: string): Promise<ReconcileResult> {
    return this.venueEvents.reconcileOrder(clientOrderId);
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

  // ── plans ────────────────────────────────────────────────────────────────

  /** Starts a multi-leg plan (see plan-executor.ts). */
  submitPlan(plan: PlanIntent, ctx: PlanContext): Promise<PlanResult> {
    return this.planExecutor.submit(plan, ctx);
  }

  /** Whether a plan is done (for callers polling a plan's end). */
  static isPlanFinished(plan: Readonly<PlanState>): boolean {
    return isPlanFinished(plan.status);
  }

  // ── snapshot and rebuild ─────────────────────────────────────────────────

  /**
   * State as JSON. `compact` keeps what a restart needs and bounds the size (a checkpoint
   * is written at every durable batch): open orders, unfinished plans and their orders, and
   * the trade ids of those orders only. Terminal history stays in the journal; a fill that
   * still arrives for a terminal order after a restart names an order this manager no longer
   * knows, and is refused (`order.event-rejected`), never applied.
   */
  snapshot(options: { compact?: boolean } = {}): ExecutionSnapshot {
    if (options.compact !== true) {
      const orders = this.store.all();
      return {
        version: 2,
        orders: orders.map(orderToJson),
        plans: this.planExecutor.plans().map(planToJson),
        trades: this.store.tradesOf(orders),
      };
    }
    const plans = this.planExecutor.unfinished();
    const planIds = new Set(plans.map((p) => p.planId));
    // Without an unfinished plan the open orders are enough (same creation order as the store),
    // so a checkpoint does not scan the whole order history.
    const kept: Order[] = [];
    if (planIds.size === 0) {
      for (const o of this.store.open()) if (!isTerminal(o.status)) kept.push(o);
    } else {
      for (const o of this.store.all()) if (!isTerminal(o.status) || planIds.has(o.decisionId)) kept.push(o);
    }
    return {
      version: 2,
      orders: kept.map(orderToJson),
      plans: plans.map(planToJson),
      trades: this.store.tradesOf(kept),
    };
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
    this.store.clear();
    this.planExecutor.clear();
    for (const order of orders) this.store.upsert(order);
    for (const plan of plans) this.planExecutor.upsert(plan);
    if (s.version === 2) {
      for (const [clientOrderId, keys] of Object.entries(s.trades))
        for (const key of keys) this.store.rememberTrade(clientOrderId, key);
      return;
    }
    for (const order of orders) {
      if (!order.filledQuantity.isPositive()) continue;
      const prefix = `${order.venue}|`;
      for (const key of s.seenTrades)
        if (key.startsWith(prefix)) this.store.rememberTrade(order.clientOrderId, key);
    }
  }

  /**
   * Rebuilds state from one journaled execution event (as emitted by this manager), without
   * emitting anything or calling fill handlers (a restart books the fills with `bookFill`,
   * source `restore`). Returns false for event types that carry no execution state.
   */
  applyJournaledEvent(type: string, payload: unknown): boolean {
    const p = payload as { order?: unknown; plan?: unknown; fill?: unknown } | null;
    if (p === null || typeof p !== 'object') return false;
    let applied = false;
    const recovered = type === EVENTS.reconcileFillRecovered.name;
    if ((type.startsWith('order.') || recovered) && p.order !== undefined) {
      this.store.upsert(orderFromJson(parseOrThrow(orderJsonSchema, p.order, `${type} order`)));
      applied = true;
    }
    if (
      (type === EVENTS.orderFilled.name || type === EVENTS.orderOverfill.name || recovered) &&
      p.fill !== undefined
    ) {
      const fill = fillFromJson(parseOrThrow(fillJsonSchema, p.fill, `${type} fill`));
      this.store.rememberTrade(fill.clientOrderId, tradeKey(fill));
    }
    if (type.startsWith('plan.') && p.plan !== undefined) {
      this.planExecutor.upsert(planFromJson(p.plan));
      applied = true;
    }
    return applied;
  }
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
