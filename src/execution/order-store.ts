/**
 * The order store: every order the desk made, which of them are still open, and the trade ids
 * of each order's fills. It is the one place an order's status changes (`transition`, checked
 * against the model's state machine) and the one place an order is closed (`settle`, which
 * tells the subscribers, e.g. the plan executor).
 *
 * The trade ids live with their order, so a checkpoint carries those of the orders it keeps
 * (open ones, and those of unfinished plans) and does not grow with the run.
 */
import { type AnyEvent, EVENTS, type EventDef } from '../bus/index.ts';
import { ConcordError, type Decimal } from '../core/index.ts';
import { assertTransition, type Fill, isTerminal, type Order, type OrderStatus } from '../model/index.ts';
import { orderToJson } from './codec.ts';
import type { ExecutionEvents } from './ports.ts';

/** The event that reports an order reaching each status. */
export const STATUS_EVENT = {
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
export type OrderOnlyEvent = EventDef<
  | 'orderInitialized'
  | 'orderSubmitted'
  | 'orderAccepted'
  | 'orderRejected'
  | 'orderPendingCancel'
  | 'orderCancelRequested'
  | 'orderCanceled'
  | 'orderExpired'
>;

/** Called once an order reaches a terminal status, after it left the open set. */
export type SettledHandler = (order: Readonly<Order>) => void;

/** Emits an order event whose payload is the order as it now stands. */
export function emitOrder(events: ExecutionEvents, event: OrderOnlyEvent, order: Readonly<Order>): void {
  events.emit(event, { order: orderToJson(order) });
}

/** `venue|tradeId`: unique per venue, the key fills are deduplicated by. */
export function tradeKey(fill: Fill): string {
  return `${fill.venue}|${fill.tradeId}`;
}

export class OrderStore {
  private readonly byId = new Map<string, Order>();
  private readonly openById = new Map<string, Order>();
  /** clientOrderId → `venue|tradeId` of its fills already seen. */
  private readonly tradesByOrder = new Map<string, Set<string>>();
  private readonly settledHandlers: SettledHandler[] = [];

  get(clientOrderId: string): Order | undefined {
    return this.byId.get(clientOrderId);
  }

  /** The order, or a coded error naming the id. */
  require(clientOrderId: string): Order {
    const order = this.byId.get(clientOrderId);
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

  /** Every order, in creation order. */
  all(): Order[] {
    return [...this.byId.values()];
  }

  /** Orders not in a terminal status (UNKNOWN included: it may be live), in the order they opened. */
  open(): Order[] {
    return [...this.openById.values()];
  }

  /** Registers a new order (open). */
  add(order: Order): void {
    this.byId.set(order.clientOrderId, order);
    this.openById.set(order.clientOrderId, order);
  }

  /** Puts an order as rebuilt from the journal or a snapshot (replacing any with its id). */
  upsert(order: Order): void {
    // Plans refer to orders by id, so replacing the object is safe.
    this.byId.set(order.clientOrderId, order);
    if (isTerminal(order.status)) this.openById.delete(order.clientOrderId);
    else this.openById.set(order.clientOrderId, order);
  }

  /** The one place an order's status changes. Throws (a bug) on a transition the model forbids. */
  transition(order: Order, to: OrderStatus, ts: number): void {
    assertTransition(order.clientOrderId, order.status, to);
    order.status = to;
    order.updatedTs = ts;
  }

  /** An order reached a terminal status: it leaves the open set and the subscribers hear of it. */
  settle(order: Order): void {
    this.openById.delete(order.clientOrderId);
    for (const handler of this.settledHandlers) handler(order);
  }

  /** Subscribes to orders reaching a terminal status (synchronously, in order). Returns an unsubscribe function. */
  onSettled(handler: SettledHandler): () => void {
    this.settledHandlers.push(handler);
    return () => {
      const i = this.settledHandlers.indexOf(handler);
      if (i >= 0) this.settledHandlers.splice(i, 1);
    };
  }

  rememberTrade(clientOrderId: string, key: string): void {
    let trades = this.tradesByOrder.get(clientOrderId);
    if (trades === undefined) {
      trades = new Set();
      this.tradesByOrder.set(clientOrderId, trades);
    }
    trades.add(key);
  }

  hasSeenTrade(clientOrderId: string, key: string): boolean {
    return this.tradesByOrder.get(clientOrderId)?.has(key) === true;
  }

  /** Trade ids of these orders (those with any), for a snapshot. */
  tradesOf(orders: readonly Order[]): Record<string, string[]> {
    const trades: Record<string, string[]> = {};
    for (const o of orders) {
      const seen = this.tradesByOrder.get(o.clientOrderId);
      if (seen !== undefined && seen.size > 0) trades[o.clientOrderId] = [...seen];
    }
    return trades;
  }

  /** Forgets every order and trade id (before a restore); subscribers stay. */
  clear(): void {
    this.byId.clear();
    this.openById.clear();
    this.tradesByOrder.clear();
  }
}

/** Average fill price, exact to 18 decimals (half-even), or undefined before the first fill. */
export function averageFillPrice(order: Readonly<Order>): Decimal | undefined {
  return order.filledQuantity.isZero() ? undefined : order.filledNotional.div(order.filledQuantity);
}
