/**
 * Orders and their state machine. Commands are imperative (SubmitOrder), events
 * past tense (OrderAccepted, OrderFilled). OrderDenied (our risk gate refused) is
 * kept apart from OrderRejected (the venue refused). UNKNOWN is where a submit
 * whose outcome is not known waits for reconciliation: it is never retried blindly.
 */
import { ConcordError, type Decimal } from '../core/index.ts';
import type { InstrumentId, VenueId } from './instrument.ts';

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'POST_ONLY';

/** Every order status, in lifecycle order (zod schemas at the boundaries enumerate these). */
export const ORDER_STATUSES = [
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
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  INITIALIZED: ['DENIED', 'SUBMITTED'],
  DENIED: [],
  SUBMITTED: ['ACCEPTED', 'REJECTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED', 'UNKNOWN'],
  // REJECTED after ACCEPTED: an on-chain order's transaction was taken by the mempool, then reverted.
  ACCEPTED: ['REJECTED', 'PARTIALLY_FILLED', 'FILLED', 'PENDING_CANCEL', 'CANCELED', 'EXPIRED', 'UNKNOWN'],
  PARTIALLY_FILLED: ['PARTIALLY_FILLED', 'FILLED', 'PENDING_CANCEL', 'CANCELED', 'EXPIRED', 'UNKNOWN'],
  PENDING_CANCEL: ['CANCELED', 'PARTIALLY_FILLED', 'FILLED', 'EXPIRED', 'UNKNOWN'],
  // Reconciliation resolves UNKNOWN to whatever the venue reports.
  UNKNOWN: ['ACCEPTED', 'REJECTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED'],
  FILLED: [],
  REJECTED: [],
  CANCELED: [],
  EXPIRED: [],
};

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'DENIED',
  'REJECTED',
  'FILLED',
  'CANCELED',
  'EXPIRED',
]);

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function allOrderStatuses(): OrderStatus[] {
  return Object.keys(TRANSITIONS) as OrderStatus[];
}

export function assertTransition(clientOrderId: string, from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new ConcordError(
      'CONCORD_ERR_ORDER_TRANSITION',
      `order ${clientOrderId} cannot go from ${from} to ${to}`,
      {
        details: { clientOrderId, from, to },
      },
    );
  }
}

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** What the order manager sends to a venue. */
export interface OrderRequest {
  readonly clientOrderId: string;
  readonly instrumentId: InstrumentId;
  readonly venue: VenueId;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Decimal;
  /** Required for limit orders. */
  readonly price?: Decimal;
  readonly timeInForce: TimeInForce;
  /** Only reduce an existing position. */
  readonly reduceOnly?: boolean;
  /** The decision and plan leg this order comes from (for attribution and dedup). */
  readonly decisionId: string;
  readonly leg: number;
  readonly ts: number;
}

/**
 * Whose order this is: the decision and the agents whose consensus produced it, with their
 * weights (same length as agentIds; equal when absent). It travels with the order (journal,
 * checkpoint), so every fill of the order is credited to the same agents, however it arrives.
 */
export interface OrderAttribution {
  readonly decisionId: string;
  readonly agentIds: readonly string[];
  readonly weights?: readonly number[];
}

export interface Order extends OrderRequest {
  status: OrderStatus;
  venueOrderId?: string;
  filledQuantity: Decimal;
  /** Sum of price × quantity over fills, to compute the average price exactly. */
  filledNotional: Decimal;
  fees: Decimal;
  updatedTs: number;
  reason?: string;
  /** Absent for orders no agent asked for (an operator's flatten). */
  readonly attribution?: OrderAttribution;
}

export type Liquidity = 'maker' | 'taker';

export interface Fill {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  /** Unique per venue; used to drop duplicated fill events. */
  readonly tradeId: string;
  readonly instrumentId: InstrumentId;
  readonly venue: VenueId;
  readonly side: Side;
  readonly price: Decimal;
  readonly quantity: Decimal;
  /** Fee in `feeCurrency`; negative for a rebate. */
  readonly fee: Decimal;
  readonly feeCurrency: string;
  readonly liquidity: Liquidity;
  readonly ts: number;
}

/** Events a venue reports about an order. */
export type VenueOrderEvent =
  | {
      readonly type: 'order.accepted';
      readonly clientOrderId: string;
      readonly venueOrderId: string;
      readonly ts: number;
    }
  | {
      readonly type: 'order.rejected';
      readonly clientOrderId: string;
      readonly reason: string;
      readonly code: string;
      readonly ts: number;
    }
  | {
      readonly type: 'order.canceled';
      readonly clientOrderId: string;
      readonly venueOrderId: string;
      readonly reason?: string;
      readonly ts: number;
    }
  | {
      readonly type: 'order.expired';
      readonly clientOrderId: string;
      readonly venueOrderId: string;
      readonly ts: number;
    }
  | { readonly type: 'order.filled'; readonly fill: Fill }
  /** Progress of an on-chain order's transaction; no status change (the order manager journals it). */
  | {
      readonly type: 'order.tx';
      readonly clientOrderId: string;
      readonly tx: TxProgress;
      readonly ts: number;
    };

/**
 * What happened to the transaction of an on-chain order (ADR 0016). `sent`: first broadcast or a
 * rebroadcast of the same bytes; `replaced`: same nonce, fees bumped (`purpose: cancel` for a
 * self-transfer that voids the order); `included`: mined, provisional until `confirmations`;
 * `reorged`: the block that held it left the canonical chain (`final`: after its fill was
 * booked); `dropped`: gone from the mempool without a receipt; `stuck`: no more replacements.
 * Wei amounts and block numbers are decimal strings.
 */
export interface TxProgress {
  readonly phase: 'sent' | 'replaced' | 'included' | 'reorged' | 'dropped' | 'stuck';
  readonly hash: string;
  readonly from: string;
  readonly nonce: number;
  readonly purpose: 'order' | 'cancel';
  readonly attempt: number;
  readonly instrumentId: InstrumentId;
  readonly side: Side;
  readonly quantity: string;
  readonly maxFeePerGas?: string;
  readonly maxPriorityFeePerGas?: string;
  readonly replaces?: string;
  readonly blockNumber?: string;
  readonly blockHash?: string;
  readonly status?: 'success' | 'reverted';
  readonly confirmations?: number;
  readonly final?: boolean;
  readonly code?: string;
  readonly message?: string;
}

export function signedQuantity(side: Side, quantity: Decimal): Decimal {
  return side === 'buy' ? quantity : quantity.neg();
}

export function oppositeSide(side: Side): Side {
  return side === 'buy' ? 'sell' : 'buy';
}
