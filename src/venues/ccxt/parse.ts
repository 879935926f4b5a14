/**
 * ccxt's unified structures → Concord's, checked at the boundary.
 *
 * ccxt hands back plain objects with float fields (and the raw answer in `info`).
 * Everything that becomes a Concord value is checked here: a missing id, a
 * non-finite or negative number, a book that is not a list of [price, size] is
 * CONCORD_ERR_VENUE_BAD_DATA, never a NaN further in. Quantities and prices become
 * exact Decimals through the float's shortest decimal text (what the venue sent).
 */
import { ConcordError, Decimal } from '../../core/index.ts';
import type {
  BookSnapshot,
  Fill,
  InstrumentId,
  Level,
  Liquidity,
  OrderStatus,
  Side,
  TradeTick,
  VenueBalance,
  VenueId,
  VenuePosition,
} from '../../model/index.ts';

/** The fields of a ccxt order the adapter reads. */
export interface CcxtOrderLike {
  readonly id?: unknown;
  readonly clientOrderId?: unknown;
  readonly symbol?: unknown;
  readonly status?: unknown;
  readonly side?: unknown;
  readonly amount?: unknown;
  readonly filled?: unknown;
  readonly timestamp?: unknown;
  readonly trades?: unknown;
  readonly timeInForce?: unknown;
}

/** The fields of a ccxt trade the adapter reads. */
export interface CcxtTradeLike {
  readonly id?: unknown;
  readonly order?: unknown;
  readonly symbol?: unknown;
  readonly side?: unknown;
  readonly price?: unknown;
  readonly amount?: unknown;
  readonly timestamp?: unknown;
  readonly takerOrMaker?: unknown;
  readonly fee?: unknown;
  readonly fees?: unknown;
}

export function badData(what: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_VENUE_BAD_DATA',
    `the venue sent ${what}; the value is not used (an exchange API change, or a bug in its ccxt parser)`,
    { details },
  );
}

/** A finite, non-negative number as an exact Decimal. */
export function amountOf(value: unknown, field: string, venue: VenueId): Decimal {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw badData(`a ${field} that is not a finite non-negative number`, {
      venue,
      field,
      value: String(value),
    });
  return Decimal.fromNumberRounded(value);
}

/** Like `amountOf`, but absent (undefined/null) is allowed. */
export function optionalAmount(value: unknown, field: string, venue: VenueId): Decimal | undefined {
  return value === undefined || value === null ? undefined : amountOf(value, field, venue);
}

export function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * A ccxt order status as a Concord order status. `closed` is FILLED when everything
 * filled, else EXPIRED (the venue ended it, not our cancel); `open` is ACCEPTED or
 * PARTIALLY_FILLED by what has filled.
 */
export function orderStatusOf(status: unknown, filled: Decimal, amount: Decimal | undefined): OrderStatus {
  switch (status) {
    case 'open':
      return filled.isPositive() ? 'PARTIALLY_FILLED' : 'ACCEPTED';
    case 'closed':
      return amount === undefined || filled.gte(amount) ? 'FILLED' : 'EXPIRED';
    case 'canceled':
    case 'cancelled':
      return 'CANCELED';
    case 'expired':
      return 'EXPIRED';
    case 'rejected':
      return 'REJECTED';
    default:
      // Venue words ccxt passes through unmapped (Hyperliquid's `scheduledCancel`, `selfTradeCanceled`,
      // `minTradeNtlRejected`, …): an order that is over is never reported as working.
      if (typeof status === 'string' && /cancel/i.test(status)) return 'CANCELED';
      if (typeof status === 'string' && /rejected$/i.test(status)) return 'REJECTED';
      return filled.isPositive() ? 'PARTIALLY_FILLED' : 'ACCEPTED';
  }
}

export function sideOf(value: unknown): Side | undefined {
  return value === 'buy' || value === 'sell' ? value : undefined;
}

/** The fee of a ccxt trade in one currency (the first non-zero one when there are several). */
function feeOf(trade: CcxtTradeLike, venue: VenueId): { fee: Decimal; currency: string | undefined } {
  const candidates: unknown[] = [];
  if (Array.isArray(trade.fees)) candidates.push(...trade.fees);
  if (trade.fee !== undefined && trade.fee !== null) candidates.push(trade.fee);
  let first: { fee: Decimal; currency: string | undefined } | undefined;
  for (const c of candidates) {
    if (typeof c !== 'object' || c === null) continue;
    const { cost, currency } = c as { cost?: unknown; currency?: unknown };
    if (cost === undefined || cost === null) continue;
    if (typeof cost !== 'number' || !Number.isFinite(cost))
      throw badData('a fee that is not a finite number', { venue, value: String(cost) });
    const entry = {
      fee: Decimal.fromNumberRounded(cost),
      currency: typeof currency === 'string' ? currency : undefined,
    };
    if (!entry.fee.isZero()) return entry;
    first ??= entry;
  }
  return first ?? { fee: Decimal.ZERO, currency: undefined };
}

export interface FillContext {
  readonly venue: VenueId;
  readonly instrumentId: InstrumentId;
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly side: Side;
  /** Currency of a fee the venue did not name (the quote). */
  readonly defaultFeeCurrency: string;
  /** Used when the trade carries no timestamp. */
  readonly now: number;
  /** When the venue does not say (e.g. fills in a create answer): taker is the safe guess. */
  readonly defaultLiquidity?: Liquidity;
}

/** A ccxt trade of one of our orders as a Concord fill. */
export function fillOf(trade: CcxtTradeLike, ctx: FillContext): Fill {
  const tradeId = idOf(trade.id);
  if (tradeId === undefined)
    throw badData('a trade without an id', { venue: ctx.venue, clientOrderId: ctx.clientOrderId });
  const price = amountOf(trade.price, 'trade price', ctx.venue);
  const quantity = amountOf(trade.amount, 'trade amount', ctx.venue);
  if (!price.isPositive() || !quantity.isPositive())
    throw badData('a trade with a zero price or amount', { venue: ctx.venue, tradeId });
  const { fee, currency } = feeOf(trade, ctx.venue);
  const liquidity: Liquidity =
    trade.takerOrMaker === 'maker' || trade.takerOrMaker === 'taker'
      ? trade.takerOrMaker
      : (ctx.defaultLiquidity ?? 'taker');
  const ts =
    typeof trade.timestamp === 'number' && Number.isFinite(trade.timestamp) ? trade.timestamp : ctx.now;
  return {
    clientOrderId: ctx.clientOrderId,
    venueOrderId: ctx.venueOrderId,
    tradeId,
    instrumentId: ctx.instrumentId,
    venue: ctx.venue,
    side: sideOf(trade.side) ?? ctx.side,
    price,
    quantity,
    fee,
    feeCurrency: currency ?? ctx.defaultFeeCurrency,
    liquidity,
    ts,
  };
}

/** ccxt's balance structure (`{ BTC: { free, used, total }, … }`) as Concord balances, sorted by asset. */
export function balancesOf(balance: unknown, venue: VenueId): VenueBalance[] {
  if (typeof balance !== 'object' || balance === null)
    throw badData('a balance that is not an object', { venue });
  const totals = (balance as { total?: unknown }).total;
  const assets = typeof totals === 'object' && totals !== null ? Object.keys(totals) : [];
  const out: VenueBalance[] = [];
  for (const asset of assets.sort()) {
    const entry = (balance as Record<string, unknown>)[asset];
    if (typeof entry !== 'object' || entry === null) continue;
    const { free, used, total } = entry as { free?: unknown; used?: unknown; total?: unknown };
    const t = optionalAmount(total, `${asset} total`, venue);
    if (t === undefined) continue;
    const f = optionalAmount(free, `${asset} free`, venue);
    const u = optionalAmount(used, `${asset} used`, venue);
    const available = f ?? (u === undefined ? t : t.sub(u));
    out.push({ asset, total: t, available });
  }
  return out;
}

/** ccxt positions (contracts, side) as signed Concord positions; `idOf` maps a ccxt symbol to an instrument. */
export function positionsOf(
  positions: unknown,
  venue: VenueId,
  instrumentOf: (symbol: string) => InstrumentId | undefined,
): VenuePosition[] {
  if (!Array.isArray(positions)) throw badData('positions that are not a list', { venue });
  const out: VenuePosition[] = [];
  for (const p of positions) {
    if (typeof p !== 'object' || p === null) continue;
    const { symbol, contracts, side } = p as { symbol?: unknown; contracts?: unknown; side?: unknown };
    const id = typeof symbol === 'string' ? instrumentOf(symbol) : undefined;
    if (id === undefined) continue;
    const size = optionalAmount(contracts, 'position contracts', venue);
    if (size === undefined || size.isZero()) continue;
    out.push({ instrumentId: id, quantity: side === 'short' ? size.neg() : size });
  }
  return out.sort((a, b) => (a.instrumentId < b.instrumentId ? -1 : a.instrumentId > b.instrumentId ? 1 : 0));
}

// ── market data ─────────────────────────────────────────────────────────────

function levelsOf(side: unknown, field: string, venue: VenueId): Level[] {
  if (!Array.isArray(side)) throw badData(`${field} that are not a list`, { venue, field });
  const out: Level[] = [];
  for (const level of side) {
    if (!Array.isArray(level)) throw badData(`a ${field} level that is not [price, size]`, { venue, field });
    const [price, size] = level as unknown[];
    if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0)
      throw badData(`a ${field} price that is not a positive number`, { venue, field, value: String(price) });
    if (typeof size !== 'number' || !Number.isFinite(size) || size < 0)
      throw badData(`a ${field} size that is not a non-negative number`, {
        venue,
        field,
        value: String(size),
      });
    out.push([price, size]);
  }
  return out;
}

/** A ccxt order book as a Concord snapshot (ccxt's nonce as the sequence, 0 when it has none). */
export function bookSnapshotOf(
  book: unknown,
  instrumentId: InstrumentId,
  venue: VenueId,
  now: number,
): BookSnapshot {
  if (typeof book !== 'object' || book === null)
    throw badData('an order book that is not an object', { venue });
  const { bids, asks, timestamp, nonce } = book as {
    bids?: unknown;
    asks?: unknown;
    timestamp?: unknown;
    nonce?: unknown;
  };
  return {
    type: 'book.snapshot',
    ts: typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : now,
    instrumentId,
    sequence: typeof nonce === 'number' && Number.isSafeInteger(nonce) ? nonce : 0,
    bids: levelsOf(bids, 'bids', venue),
    asks: levelsOf(asks, 'asks', venue),
  };
}

/** A ccxt public trade as a Concord trade tick. */
export function tradeTickOf(
  trade: CcxtTradeLike,
  instrumentId: InstrumentId,
  venue: VenueId,
  now: number,
): TradeTick {
  const tradeId = idOf(trade.id);
  const { price, amount, timestamp } = trade;
  if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0)
    throw badData('a trade price that is not a positive number', { venue, value: String(price) });
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)
    throw badData('a trade amount that is not a positive number', { venue, value: String(amount) });
  const ts = typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : now;
  return {
    type: 'trade',
    ts,
    instrumentId,
    price,
    size: amount,
    aggressor: sideOf(trade.side) ?? 'unknown',
    tradeId: tradeId ?? `${ts}-${price}-${amount}`,
  };
}
