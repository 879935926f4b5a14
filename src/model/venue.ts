/**
 * The venue port: the one interface through which the order manager reaches a
 * venue, simulated or real. Every adapter (simulated/, ccxt/, evm/) implements it
 * and passes the same contract test suite. Capabilities follow ccxt's `has` map.
 *
 * A submit either resolves (the venue received it; its fate arrives as events),
 * or rejects with a ConcordError whose `retryable` and `code` say what is known:
 * CONCORD_ERR_VENUE_TIMEOUT means the outcome is UNKNOWN and must never be retried
 * blindly; reconciliation resolves it through `fetchOrder` / `fetchOpenOrders`.
 */
import type { Decimal, LifecycleView } from '../core/index.ts';
import type { Instrument, InstrumentId, VenueId } from './instrument.ts';
import type { Fill, OrderRequest, OrderStatus, VenueOrderEvent } from './order.ts';

export interface VenueOrderState {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly instrumentId: InstrumentId;
  readonly status: OrderStatus;
  readonly filledQuantity: Decimal;
  readonly fills: readonly Fill[];
}

export interface VenueBalance {
  readonly asset: string;
  readonly total: Decimal;
  readonly available: Decimal;
}

export interface VenuePosition {
  readonly instrumentId: InstrumentId;
  /** Signed: positive long, negative short. */
  readonly quantity: Decimal;
}

export interface VenueCapabilities {
  readonly market: boolean;
  readonly limit: boolean;
  readonly ioc: boolean;
  readonly fok: boolean;
  readonly postOnly: boolean;
  readonly cancel: boolean;
  readonly fetchOrder: boolean;
}

export interface VenuePort {
  readonly id: VenueId;
  readonly has: VenueCapabilities;
  instruments(): readonly Instrument[];
  submitOrder(request: OrderRequest): Promise<void>;
  cancelOrder(clientOrderId: string): Promise<void>;
  /** Subscribes to order events; returns an unsubscribe function. */
  onOrderEvent(handler: (event: VenueOrderEvent) => void): () => void;
  fetchOrder(clientOrderId: string): Promise<VenueOrderState | undefined>;
  fetchOpenOrders(): Promise<readonly VenueOrderState[]>;
  fetchBalances(): Promise<readonly VenueBalance[]>;
  fetchPositions(): Promise<readonly VenuePosition[]>;
  /**
   * The venue's lifecycle in the shared vocabulary (src/core/lifecycle.ts): RUNNING while it takes
   * calls, DEGRADED while a connection is lost and redialled, STOPPED once closed. Status views
   * read it; a wrapper forwards its inner venue's.
   */
  readonly lifecycle?: LifecycleView | undefined;
}
