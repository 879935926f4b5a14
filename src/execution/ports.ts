/**
 * The small ports the order manager needs, defined here so execution stays
 * decoupled from the risk engine and the journal: the kernel adapts them. The order and
 * the verdict are model types (model/pre-trade.ts), the same ones the risk rules read.
 */
import type { EventDef, EventPayload } from '../bus/index.ts';
import type { PreTradeOrder, PreTradeVerdict } from '../model/index.ts';

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
