/** Payload types of the catalogue events the order manager and the reconciler emit, bound to their keys in src/bus/catalogue.ts. */
import type { ErrorJson } from '../bus/catalogue.ts';
import type { Denial, InstrumentId, OrderStatus, Side, TxProgress, VenueId } from '../model/index.ts';
import type { FillJson, OrderJson } from './codec.ts';
import type { PlanJson } from './plan.ts';
import type { ReconcileAdjustment, ReconcileReport, ReconcileSnapshot } from './reconcile.ts';

/** Payload of the order events that carry only the order as it now stands. */
export interface OrderPayload {
  readonly order: OrderJson;
}

interface OrderErrorPayload extends OrderPayload {
  readonly error: ErrorJson;
}

/** Payload of the tx.* events: the order as it stands and its transaction's progress. */
export interface TxPayload extends OrderPayload {
  readonly tx: TxProgress;
}

interface PlanPayload {
  readonly plan: PlanJson;
  readonly outcome: PlanJson['status'];
}

declare module '../bus/catalogue.ts' {
  interface EventPayloads {
    orderInitialized: OrderPayload;
    orderDenied: OrderPayload & { readonly denial: Denial };
    orderSubmitted: OrderPayload;
    orderAccepted: OrderPayload;
    /** `error` when the submit itself was refused; absent when the venue rejected it later. */
    orderRejected: OrderPayload & { readonly error?: ErrorJson };
    orderFilled: OrderPayload & { readonly fill: FillJson };
    orderPendingCancel: OrderPayload;
    orderCancelRequested: OrderPayload;
    orderCancelFailed: OrderErrorPayload;
    orderCanceled: OrderPayload;
    orderExpired: OrderPayload;
    orderUnknown: OrderErrorPayload;
    orderOverfill: OrderPayload & {
      readonly code: 'CONCORD_ERR_ORDER_OVERFILL';
      readonly message: string;
      readonly fill: FillJson;
    };
    orderReconcileMismatch: OrderErrorPayload;
    txSent: TxPayload;
    txReplaced: TxPayload;
    txIncluded: TxPayload;
    txReorged: TxPayload;
    txDropped: TxPayload;
    txStuck: TxPayload;
    planStarted: PlanPayload;
    planLegFailed: {
      readonly plan: PlanJson;
      readonly leg: number;
      readonly clientOrderId: string;
      readonly status: OrderStatus;
      readonly filledQuantity: string;
      readonly reason: string;
    };
    planHedged: {
      readonly plan: PlanJson;
      readonly policy: PlanJson['policy'];
      readonly orders: readonly {
        clientOrderId: string | undefined;
        forLeg: number;
        instrumentId: InstrumentId;
        side: Side;
        quantity: string;
      }[];
    };
    planCompleted: PlanPayload;
    reconcileFillRecovered: {
      readonly ts: number;
      readonly venue: VenueId;
      readonly clientOrderId: string;
      readonly orderStatus: OrderStatus;
      /** The order with the fill added (its status unchanged), so the journal alone rebuilds it. */
      readonly order: OrderJson;
      readonly fill: FillJson;
    };
    reconcileSnapshot: ReconcileSnapshot;
    reconcileAdjusted: ReconcileAdjustment & { readonly ts: number; readonly venue: VenueId };
    reconcileReport: ReconcileReport;
  }
}
