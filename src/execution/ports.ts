/**
 * The small ports the order manager needs, defined here so execution stays
 * decoupled from the risk engine and the journal: the kernel adapts them.
 */
import type { EventDef, EventPayload } from '../bus/index.ts';
import type { Decimal } from '../core/index.ts';
import type { InstrumentId, Side, VenueId } from '../model/index.ts';

/** Why our own gate refused an order (never sent). `code` is the risk rule's closed code. */
export interface Denial {
  readonly code: string;
  readonly rule: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export interface PreTradeOrder {
  readonly instrumentId: InstrumentId;
  readonly venue: VenueId;
  readonly side: Side;
  readonly quantity: Decimal;
  readonly price?: Decimal;
  /** Last known market price (float, analytics) for notional checks of market orders. */
  readonly referencePrice: number | undefined;
  readonly reduceOnly?: boolean;
}

export type PreTradeVerdict = { readonly ok: true } | { readonly ok: false; readonly denial: Denial };

/** The risk gate as the order manager sees it. Must be synchronous and side-effect free on denial. */
export interface PreTradeCheck {
  check(order: PreTradeOrder): PreTradeVerdict;
}

/**
 * Where execution events go (the kernel journals and publishes them). Payloads are
 * plain JSON (Decimals as strings), so what is journaled is what `applyJournaledEvent`
 * reads back.
 */
export interface ExecutionEvents {
  emit<E extends EventDef>(event: E, payload: EventPayload<E>): void;
}

export const ALLOW_ALL: PreTradeCheck = { check: () => ({ ok: true }) };
