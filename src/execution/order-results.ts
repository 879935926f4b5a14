/**
 * What the order manager's calls return and what its subscribers receive. Kept apart from the
 * classes so the plan executor, the reconciler and the kernel can name them without importing
 * the order manager itself.
 */
import type { ConcordError } from '../core/index.ts';
import type { Denial, Fill, Order, OrderRequest } from '../model/index.ts';

export type SubmitResult =
  /** The venue took the request; its fate arrives as venue events (the order may already be past SUBMITTED). */
  | { readonly outcome: 'submitted'; readonly order: Readonly<Order> }
  | { readonly outcome: 'denied'; readonly order: Readonly<Order>; readonly denial: Denial }
  | { readonly outcome: 'rejected'; readonly order: Readonly<Order>; readonly error: ConcordError }
  | { readonly outcome: 'unknown'; readonly order: Readonly<Order>; readonly error: ConcordError }
  /** An order with this client order id exists already; nothing was sent. */
  | { readonly outcome: 'duplicate'; readonly order: Readonly<Order> };

/** An order that passed shaping and the gate and is registered (INITIALIZED), not yet sent. */
export interface ReadyOrder {
  readonly outcome: 'ready';
  readonly order: Readonly<Order>;
  readonly request: OrderRequest;
}

/** The first half of a submit: ready to send, or already settled (denied, duplicate). */
export type PrepareResult = ReadyOrder | SubmitResult;

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

/**
 * How a fill reached the order manager. `venue`: a venue event (or a venue's answer during
 * reconciliation) the order's state machine took. `recovered`: a fill the venue reports that the
 * order's status could no longer take (it closed before the fill arrived); it is added to the
 * order's totals without a status change. `restore`: a journaled fill written after the last
 * checkpoint, booked again on restart (the order was already rebuilt from the journal).
 */
export type FillSource = 'venue' | 'recovered' | 'restore';

/** Called for every fill the order manager books, with the order (its attribution included). */
export type FillHandler = (fill: Fill, order: Readonly<Order>, source: FillSource) => void;

export interface ExecutionStats {
  readonly duplicateFills: number;
  readonly overfills: number;
  /** Venue events refused: illegal transition, unknown order, fill not matching its order. */
  readonly rejectedEvents: number;
}
