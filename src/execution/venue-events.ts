/**
 * What venues say about our orders, applied to the order store: acknowledgements, rejections,
 * fills, cancels and expiries (venue events), the outcome of a submit (a refusal, or an unknown
 * fate: UNKNOWN, never retried), and a venue's answer when asked about one order
 * (`reconcileOrder`).
 *
 * The fill path is here, and it is the only way a fill reaches the portfolio: `bookFill` checks
 * the fill against its order, updates the order, journals it and hands it, with the order (whose
 * attribution says whose trade it is), to the fill handlers the kernel registers. Fills are
 * deduplicated by (venue, tradeId) per order; a fill that would exceed the order's quantity is
 * refused with `order.overfill`. An illegal event leaves the order unchanged and is refused with
 * a coded `order.event-rejected` and counted.
 */
import { EVENTS } from '../bus/index.ts';
import { type Clock, ConcordError, isConcordError, toConcordError } from '../core/index.ts';
import {
  canTransition,
  type Fill,
  isTerminal,
  type Order,
  type OrderStatus,
  type TxProgress,
  type VenueId,
  type VenueOrderEvent,
  type VenueOrderState,
  type VenuePort,
} from '../model/index.ts';
import { fillToJson, orderToJson } from './codec.ts';
import type {
  ExecutionStats,
  FillHandler,
  FillSource,
  ReconcileResult,
  SubmitResult,
} from './order-results.ts';
import { emitOrder, type OrderStore, STATUS_EVENT, tradeKey } from './order-store.ts';
import type { ExecutionEvents } from './ports.ts';

/** The journal event of each phase of an on-chain order's transaction. */
const TX_EVENT = {
  sent: EVENTS.txSent,
  replaced: EVENTS.txReplaced,
  included: EVENTS.txIncluded,
  reorged: EVENTS.txReorged,
  dropped: EVENTS.txDropped,
  stuck: EVENTS.txStuck,
} as const;

/** Codes whose submit outcome is unknown even though the error is not retryable: the order may exist. */
const UNKNOWN_OUTCOME_CODES: ReadonlySet<string> = new Set([
  'CONCORD_ERR_VENUE_TIMEOUT',
  'CONCORD_ERR_EVM_SUBMIT_UNKNOWN',
]);

export interface VenueEventApplierOptions {
  readonly store: OrderStore;
  readonly events: ExecutionEvents;
  readonly clock: Clock;
  readonly venues: ReadonlyMap<VenueId, VenuePort>;
}

export class VenueEventApplier {
  private readonly store: OrderStore;
  private readonly events: ExecutionEvents;
  private readonly clock: Clock;
  private readonly venues: ReadonlyMap<VenueId, VenuePort>;
  private readonly fillHandlers: FillHandler[] = [];
  private duplicateFills = 0;
  private overfills = 0;
  private rejectedEvents = 0;

  constructor(options: VenueEventApplierOptions) {
    this.store = options.store;
    this.events = options.events;
    this.clock = options.clock;
    this.venues = options.venues;
  }

  stats(): ExecutionStats {
    return {
      duplicateFills: this.duplicateFills,
      overfills: this.overfills,
      rejectedEvents: this.rejectedEvents,
    };
  }

  /** Subscribes to every booked fill. Returns an unsubscribe function. */
  onFill(handler: FillHandler): () => void {
    this.fillHandlers.push(handler);
    return () => {
      const i = this.fillHandlers.indexOf(handler);
      if (i >= 0) this.fillHandlers.splice(i, 1);
    };
  }

  // ── venue events ─────────────────────────────────────────────────────────

  /** Applies one event from a venue (`fromVenue`: the venue that reported it, checked against the order's). */
  apply(event: VenueOrderEvent, fromVenue?: VenueId): void {
    if (event.type === 'order.filled') {
      this.bookFill(event.fill, 'venue', fromVenue);
      return;
    }
    const order = this.knownOrder(event.clientOrderId, event.type, fromVenue);
    if (order === undefined) return;
    switch (event.type) {
      case 'order.accepted':
        if (this.venueTransition(order, 'ACCEPTED', event.type, event.ts)) {
          order.venueOrderId = event.venueOrderId;
          emitOrder(this.events, EVENTS.orderAccepted, order);
        }
        return;
      case 'order.rejected':
        if (this.venueTransition(order, 'REJECTED', event.type, event.ts)) {
          order.reason = `${event.code}: ${event.reason}`;
          emitOrder(this.events, EVENTS.orderRejected, order);
          this.store.settle(order);
        }
        return;
      case 'order.canceled':
        if (this.venueTransition(order, 'CANCELED', event.type, event.ts)) {
          if (event.reason !== undefined) order.reason = event.reason;
          emitOrder(this.events, EVENTS.orderCanceled, order);
          this.store.settle(order);
        }
        return;
      case 'order.expired':
        if (this.venueTransition(order, 'EXPIRED', event.type, event.ts)) {
          emitOrder(this.events, EVENTS.orderExpired, order);
          this.store.settle(order);
        }
        return;
      case 'order.tx':
        this.applyTx(order, event.tx);
        return;
    }
  }

  /**
   * The transaction of an on-chain order moved (ADR 0016): journaled, no status change. Fills stay
   * out of the portfolio until final, so a reorg within the finality depth leaves nothing to undo;
   * a reorg that removes a block whose fill was already booked cannot be undone by a venue event
   * and is flagged for an operator (`order.reconcile-mismatch`), as any venue disagreeing with us.
   */
  private applyTx(order: Order, tx: TxProgress): void {
    const payload = { order: orderToJson(order), tx };
    this.events.emit(TX_EVENT[tx.phase], payload);
    if (tx.phase === 'reorged' && tx.final === true)
      this.mismatch(
        order,
        `its transaction ${tx.hash} was booked as final, then a reorg removed block ${tx.blockNumber ?? '?'}`,
        { code: 'CONCORD_ERR_EVM_REORG_PAST_FINALITY', hash: tx.hash, blockHash: tx.blockHash },
      );
  }

  // ── the fill path ────────────────────────────────────────────────────────

  /**
   * Books one fill of one of our orders (see FillSource) and returns whether it was booked: a
   * duplicate, a fill of an unknown order, one that does not match its order, or an overfill is
   * refused, journaled as such and never reaches the fill handlers.
   */
  bookFill(fill: Fill, source: FillSource, fromVenue?: VenueId): boolean {
    if (source === 'restore') return this.restoreFill(fill);
    const key = tradeKey(fill);
    if (this.store.hasSeenTrade(fill.clientOrderId, key)) {
      this.duplicateFills++;
      return false;
    }
    const eventType = source === 'venue' ? EVENTS.orderFilled.name : EVENTS.reconcileFillRecovered.name;
    const order = this.knownOrder(fill.clientOrderId, eventType, fromVenue ?? fill.venue);
    if (order === undefined) return false;
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
      return false;
    }
    const filled = order.filledQuantity.add(fill.quantity);
    if (filled.gt(order.quantity)) {
      this.store.rememberTrade(order.clientOrderId, key);
      this.overfills++;
      this.events.emit(EVENTS.orderOverfill, {
        code: 'CONCORD_ERR_ORDER_OVERFILL',
        message: `fill ${fill.tradeId} of ${fill.quantity} would take order ${order.clientOrderId} to ${filled}, above its quantity ${order.quantity}; not applied, reconcile the position with the venue`,
        order: orderToJson(order),
        fill: fillToJson(fill),
      });
      return false;
    }
    if (source === 'recovered') {
      // The order closed before this fill reached us: its status stands, its totals grow.
      this.addToTotals(order, fill, filled, key);
      this.events.emit(EVENTS.reconcileFillRecovered, {
        ts: this.clock.now(),
        venue: order.venue,
        clientOrderId: order.clientOrderId,
        orderStatus: order.status,
        order: orderToJson(order),
        fill: fillToJson(fill),
      });
      this.dispatch(fill, order, source);
      return true;
    }
    const to: OrderStatus = filled.eq(order.quantity) ? 'FILLED' : 'PARTIALLY_FILLED';
    if (!this.venueTransition(order, to, 'order.filled', fill.ts)) return false;
    this.addToTotals(order, fill, filled, key);
    this.events.emit(EVENTS.orderFilled, { order: orderToJson(order), fill: fillToJson(fill) });
    this.dispatch(fill, order, source);
    if (to === 'FILLED') this.store.settle(order);
    return true;
  }

  /** A journaled fill on restart: the order was rebuilt from the journal, only the handlers need it again. */
  private restoreFill(fill: Fill): boolean {
    const order = this.knownOrder(fill.clientOrderId, 'order.filled', fill.venue);
    if (order === undefined) return false;
    this.dispatch(fill, order, 'restore');
    return true;
  }

  private addToTotals(order: Order, fill: Fill, filled: Order['filledQuantity'], key: string): void {
    this.store.rememberTrade(order.clientOrderId, key);
    order.filledQuantity = filled;
    order.filledNotional = order.filledNotional.add(fill.price.mul(fill.quantity));
    order.fees = order.fees.add(fill.fee);
    if (order.venueOrderId === undefined) order.venueOrderId = fill.venueOrderId;
  }

  private dispatch(fill: Fill, order: Order, source: FillSource): void {
    for (const handler of this.fillHandlers) {
      try {
        handler(fill, order, source);
      } catch (err) {
        // A fill handler failing means downstream state (portfolio) is behind: say so loudly.
        this.events.emit(EVENTS.executionHandlerFailed, {
          error: toConcordError(err).toJSON(),
          clientOrderId: order.clientOrderId,
          tradeId: fill.tradeId,
        });
      }
    }
  }

  // ── the outcome of a submit ──────────────────────────────────────────────

  /** The venue call of a submit threw: REJECTED when the venue clearly refused, else UNKNOWN (never resent). */
  submitFailed(order: Order, err: unknown): SubmitResult {
    const ts = this.clock.now();
    if (isConcordError(err) && !err.retryable && !UNKNOWN_OUTCOME_CODES.has(err.code)) {
      if (order.status === 'SUBMITTED') {
        order.reason = `${err.code}: ${err.shortMessage}`;
        this.store.transition(order, 'REJECTED', ts);
        this.events.emit(EVENTS.orderRejected, { order: orderToJson(order), error: err.toJSON() });
        this.store.settle(order);
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
    this.store.transition(order, 'UNKNOWN', ts);
    this.events.emit(EVENTS.orderUnknown, { order: orderToJson(order), error: error.toJSON() });
  }

  // ── asking the venue ─────────────────────────────────────────────────────

  /** Asks the venue what became of an order (fills included) and moves it there. */
  async reconcileOrder(clientOrderId: string): Promise<ReconcileResult> {
    const order = this.store.require(clientOrderId);
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
        this.store.transition(order, 'REJECTED', ts);
        emitOrder(this.events, EVENTS.orderRejected, order);
        this.store.settle(order);
        return { outcome: 'resolved', order };
      }
      return this.mismatch(order, 'the venue has no record of an order it had acknowledged', {
        status: order.status,
      });
    }
    if (order.venueOrderId === undefined && state.venueOrderId !== '')
      order.venueOrderId = state.venueOrderId;
    for (const fill of state.fills) this.bookFill(fill, 'venue', order.venue);
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
        this.store.transition(order, target, ts);
        emitOrder(this.events, STATUS_EVENT[target], order);
        this.store.settle(order);
        return { outcome: 'resolved', order };
      }
    }
    return this.mismatch(
      order,
      `the venue reports ${state.status}, which order status ${order.status} cannot move to`,
      { venueStatus: state.status },
    );
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

  // ── refusals ─────────────────────────────────────────────────────────────

  private knownOrder(
    clientOrderId: string,
    eventType: string,
    fromVenue: VenueId | undefined,
  ): Order | undefined {
    const order = this.store.get(clientOrderId);
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
    this.store.transition(order, to, ts);
    return true;
  }

  private refuseEvent(
    code: `CONCORD_ERR_${string}`,
    message: string,
    details: Record<string, unknown>,
  ): void {
    this.rejectedEvents++;
    this.events.emit(EVENTS.orderEventRejected, { code, message, details });
  }
}
