/**
 * What the simulated venues share, whatever they match against: the order
 * table, spot-style accounts (total and locked per asset), positions, id
 * counters, event emission, order checks and fill bookkeeping. A venue extends
 * `LedgerVenue` and keeps only its matching (when and at what price orders fill).
 *
 * Everything here is synchronous and deterministic: events go to subscribers
 * in call order, ids come from counters, balances are exact Decimals.
 */
import { type Clock, ConcordError, Decimal, type DecimalInput, Lifecycle } from '../../core/index.ts';
import type {
  Fill,
  Instrument,
  InstrumentId,
  Liquidity,
  OrderableInstrument,
  OrderRequest,
  OrderStatus,
  VenueBalance,
  VenueCapabilities,
  VenueId,
  VenueOrderEvent,
  VenueOrderState,
  VenuePort,
  VenuePosition,
} from '../../model/index.ts';

export type SimulatedRejectCode =
  | 'UNKNOWN_INSTRUMENT'
  | 'DUPLICATE_CLIENT_ORDER_ID'
  | 'INVALID_ORDER'
  | 'BAD_PRECISION'
  | 'MIN_NOTIONAL'
  | 'INSUFFICIENT_FUNDS'
  | 'POST_ONLY_WOULD_CROSS'
  // The simulated DEX venue (dex-venue.ts): a swap's bound, a bundle whose simulation failed.
  | 'SLIPPAGE_EXCEEDED'
  | 'SIMULATION_FAILED';

/** A refusal: the code and the reason reported in `order.rejected`. */
export type Refusal = [SimulatedRejectCode, string];

/** The options every simulated venue takes. */
export interface LedgerVenueOptions {
  readonly id: VenueId;
  readonly clock: Clock;
  readonly instruments: readonly Instrument[];
  /** Starting balances per asset (total = available). */
  readonly balances: Readonly<Record<string, DecimalInput>>;
  /** Prefix of venue order ids and trade ids (default: the venue id). */
  readonly idPrefix?: string;
}

/** The order fields the ledger reads and writes; venues add their own. */
export interface LedgerOrder {
  readonly request: OrderRequest;
  readonly venueOrderId: string;
  status: OrderStatus;
  filled: Decimal;
  readonly fills: Fill[];
  /** Quote (buy) or base (sell) reserved while the order waits. */
  locked: Decimal;
}

/** Per-instrument state of a venue; the ledger only needs the instrument. */
export interface LedgerMarket {
  readonly instrument: OrderableInstrument;
}

interface Account {
  total: Decimal;
  locked: Decimal;
}

export const OPEN: ReadonlySet<OrderStatus> = new Set(['ACCEPTED', 'PARTIALLY_FILLED']);

export abstract class LedgerVenue<O extends LedgerOrder, M extends LedgerMarket> implements VenuePort {
  readonly id: VenueId;
  readonly has: VenueCapabilities = Object.freeze({
    market: true,
    limit: true,
    ioc: true,
    fok: true,
    postOnly: true,
    cancel: true,
    fetchOrder: true,
  });
  /**
   * In process, so there is nothing to connect: RUNNING from construction until `stop()`, after
   * which submits and cancels are refused (CONCORD_ERR_LIFECYCLE_STATE); reads still answer.
   */
  readonly lifecycle: Lifecycle;
  protected readonly clock: Clock;
  protected readonly idPrefix: string;
  protected readonly markets = new Map<InstrumentId, M>();
  /** Orders known to the venue, in arrival order. */
  protected readonly orders = new Map<string, O>();
  private readonly instrumentList: readonly Instrument[];
  private readonly accounts = new Map<string, Account>();
  private readonly positions = new Map<InstrumentId, Decimal>();
  private handlers: ReadonlyArray<(event: VenueOrderEvent) => void> = [];
  private orderCount = 0;
  private tradeCount = 0;

  /** `marketOf` builds the state of an instrument that accepts orders here (undefined: not tradable). */
  protected constructor(options: LedgerVenueOptions, marketOf: (instrument: Instrument) => M | undefined) {
    this.id = options.id;
    this.clock = options.clock;
    this.idPrefix = options.idPrefix ?? options.id;
    this.lifecycle = new Lifecycle(`venue ${options.id}`);
    this.instrumentList = options.instruments.slice();
    for (const instrument of options.instruments) {
      if (instrument.venue !== options.id) {
        throw configError(
          `instrument ${instrument.id} belongs to venue ${instrument.venue}, not ${options.id}`,
          {
            instrumentId: instrument.id,
          },
        );
      }
      const market = marketOf(instrument);
      if (market !== undefined) this.markets.set(instrument.id, market);
    }
    for (const asset of Object.keys(options.balances).sort()) {
      const amount = Decimal.from(options.balances[asset] as DecimalInput);
      if (amount.isNegative())
        throw configError(`balance of ${asset} must not be negative, got ${amount}`, { asset });
      this.accounts.set(asset, { total: amount, locked: Decimal.ZERO });
    }
    this.lifecycle.transition('STARTING', 'in-process venue');
    this.lifecycle.transition('RUNNING', 'ready');
  }

  /**
   * Stops taking orders: RUNNING → STOPPING → STOPPED. Orders already on their way still arrive
   * (their fate was sealed when they were sent). Calling it again does nothing.
   */
  stop(reason = 'stopped'): void {
    if (!this.lifecycle.transitionIfAllowed('STOPPING', reason)) return;
    this.lifecycle.transition('STOPPED', reason);
  }

  abstract submitOrder(request: OrderRequest): Promise<void>;
  abstract cancelOrder(clientOrderId: string): Promise<void>;

  /** Takes a closed order out of the venue's waiting list for its market. */
  protected abstract unlist(market: M, order: O): void;

  /** The venue's own checks of a request for a known market; undefined when acceptable. */
  protected abstract checkOrder(market: M, request: OrderRequest): Refusal | undefined;

  instruments(): readonly Instrument[] {
    return this.instrumentList;
  }

  onOrderEvent(handler: (event: VenueOrderEvent) => void): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /** An order the venue has not received yet is unknown here, as on a real venue. */
  async fetchOrder(clientOrderId: string): Promise<VenueOrderState | undefined> {
    const order = this.orders.get(clientOrderId);
    return order === undefined ? undefined : stateOf(order);
  }

  async fetchOpenOrders(): Promise<readonly VenueOrderState[]> {
    const open: VenueOrderState[] = [];
    for (const order of this.orders.values()) if (OPEN.has(order.status)) open.push(stateOf(order));
    return open;
  }

  async fetchBalances(): Promise<readonly VenueBalance[]> {
    return [...this.accounts.keys()].sort().map((asset) => {
      const account = this.accounts.get(asset) as Account;
      return { asset, total: account.total, available: account.total.sub(account.locked) };
    });
  }

  /** Net quantity bought minus sold per instrument through this venue. */
  async fetchPositions(): Promise<readonly VenuePosition[]> {
    return [...this.positions.keys()].sort().map((instrumentId) => ({
      instrumentId,
      quantity: this.positions.get(instrumentId) as Decimal,
    }));
  }

  // ── orders ─────────────────────────────────────────────────────────────

  protected nextVenueOrderId(): string {
    return `${this.idPrefix}-o-${++this.orderCount}`;
  }

  protected orderNotFound(clientOrderId: string): ConcordError {
    return new ConcordError(
      'CONCORD_ERR_VENUE_ORDER_NOT_FOUND',
      `no order with clientOrderId ${clientOrderId} was submitted to ${this.id}`,
      {
        details: { venue: this.id, clientOrderId },
      },
    );
  }

  /**
   * Records a new order, then rejects it if its instrument does not trade here
   * (`tradable` names what does, e.g. "a spot instrument") or the venue's checks
   * refuse it. Returns the order's market when it may go on.
   */
  protected admit(order: O, tradable: string): M | undefined {
    const { request } = order;
    this.orders.set(request.clientOrderId, order);
    const market = this.markets.get(request.instrumentId);
    if (market === undefined) {
      this.reject(order, 'UNKNOWN_INSTRUMENT', `${request.instrumentId} is not ${tradable} of ${this.id}`);
      return undefined;
    }
    const refusal = this.checkOrder(market, request);
    if (refusal !== undefined) {
      this.reject(order, refusal[0], refusal[1]);
      return undefined;
    }
    return market;
  }

  protected accept(order: O): void {
    order.status = 'ACCEPTED';
    this.emit({
      type: 'order.accepted',
      clientOrderId: order.request.clientOrderId,
      venueOrderId: order.venueOrderId,
      ts: this.clock.now(),
    });
  }

  /** Cancels an open order (a done or unknown one is left alone, without an event). */
  protected cancelIfOpen(order: O | undefined): void {
    if (order === undefined || !OPEN.has(order.status)) return;
    this.closeOrder(order, 'CANCELED');
    this.emit({
      type: 'order.canceled',
      clientOrderId: order.request.clientOrderId,
      venueOrderId: order.venueOrderId,
      ts: this.clock.now(),
    });
  }

  protected expire(order: O): void {
    this.closeOrder(order, 'EXPIRED');
    this.emit({
      type: 'order.expired',
      clientOrderId: order.request.clientOrderId,
      venueOrderId: order.venueOrderId,
      ts: this.clock.now(),
    });
  }

  protected reject(order: O, code: SimulatedRejectCode, reason: string): void {
    order.status = 'REJECTED';
    this.emitRejected(order.request.clientOrderId, code, reason);
  }

  protected emitRejected(clientOrderId: string, code: SimulatedRejectCode, reason: string): void {
    this.emit({ type: 'order.rejected', clientOrderId, code, reason, ts: this.clock.now() });
  }

  protected emit(event: VenueOrderEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  /** Ends an order: frees what it reserved and takes it off its market's list. */
  private closeOrder(order: O, status: 'CANCELED' | 'EXPIRED'): void {
    order.status = status;
    const market = this.markets.get(order.request.instrumentId);
    if (market === undefined) return;
    const asset = order.request.side === 'buy' ? market.instrument.quote : market.instrument.base;
    this.release(order, asset, order.locked);
    this.unlist(market, order);
  }

  // ── money ──────────────────────────────────────────────────────────────

  /**
   * Books one fill of `quantity` at `price` (`notional` = price × quantity):
   * balances, position, order state, then the `order.filled` event.
   */
  protected bookFill(
    instrument: OrderableInstrument,
    order: O,
    price: Decimal,
    quantity: Decimal,
    notional: Decimal,
    fee: Decimal,
    liquidity: Liquidity,
  ): void {
    const request = order.request;
    const quote = this.account(instrument.quote);
    const base = this.account(instrument.base);
    if (request.side === 'buy') {
      quote.total = quote.total.sub(notional).sub(fee);
      base.total = base.total.add(quantity);
    } else {
      quote.total = quote.total.add(notional).sub(fee);
      base.total = base.total.sub(quantity);
    }
    const position = this.positions.get(instrument.id) ?? Decimal.ZERO;
    this.positions.set(
      instrument.id,
      request.side === 'buy' ? position.add(quantity) : position.sub(quantity),
    );
    order.filled = order.filled.add(quantity);
    order.status = order.filled.eq(request.quantity) ? 'FILLED' : 'PARTIALLY_FILLED';
    const fill: Fill = {
      clientOrderId: request.clientOrderId,
      venueOrderId: order.venueOrderId,
      tradeId: `${this.idPrefix}-t-${++this.tradeCount}`,
      instrumentId: instrument.id,
      venue: this.id,
      side: request.side,
      price,
      quantity,
      fee,
      feeCurrency: instrument.quote,
      liquidity,
      ts: this.clock.now(),
    };
    order.fills.push(fill);
    this.emit({ type: 'order.filled', fill });
  }

  protected available(asset: string): Decimal {
    const account = this.accounts.get(asset);
    return account === undefined ? Decimal.ZERO : account.total.sub(account.locked);
  }

  protected lock(order: O, asset: string, amount: Decimal): void {
    const account = this.account(asset);
    account.locked = account.locked.add(amount);
    order.locked = order.locked.add(amount);
  }

  protected release(order: O, asset: string, amount: Decimal): void {
    if (amount.isZero()) return;
    const account = this.account(asset);
    account.locked = account.locked.sub(amount);
    order.locked = order.locked.sub(amount);
  }

  private account(asset: string): Account {
    let account = this.accounts.get(asset);
    if (account === undefined) {
      account = { total: Decimal.ZERO, locked: Decimal.ZERO };
      this.accounts.set(asset, account);
    }
    return account;
  }
}

/**
 * Shape and precision of a request: a limit needs a price, a market order cannot
 * be post-only, quantity and price sit on the lot and tick grids. Undefined when fine.
 */
export function checkShape(instrument: OrderableInstrument, request: OrderRequest): Refusal | undefined {
  const { quantity, price } = request;
  if (request.type === 'limit' && price === undefined)
    return ['INVALID_ORDER', 'a limit order needs a price'];
  if (request.type === 'market' && request.timeInForce === 'POST_ONLY')
    return ['INVALID_ORDER', 'a market order cannot be post-only'];
  if (!quantity.isPositive() || !quantity.isMultipleOf(instrument.lotSize)) {
    return [
      'BAD_PRECISION',
      `quantity ${quantity} is not a positive multiple of lot size ${instrument.lotSize}`,
    ];
  }
  if (
    request.type === 'limit' &&
    price !== undefined &&
    (!price.isPositive() || !price.isMultipleOf(instrument.tickSize))
  ) {
    return ['BAD_PRECISION', `price ${price} is not a positive multiple of tick size ${instrument.tickSize}`];
  }
  return undefined;
}

/** MIN_NOTIONAL when `reference` × quantity is below the instrument's minimum (no reference: no check). */
export function checkMinNotional(
  instrument: OrderableInstrument,
  reference: Decimal | undefined,
  quantity: Decimal,
): Refusal | undefined {
  if (reference?.mul(quantity).lt(instrument.minNotional)) {
    return [
      'MIN_NOTIONAL',
      `notional ${reference.mul(quantity)} is below the minimum ${instrument.minNotional}`,
    ];
  }
  return undefined;
}

/** The fee on a fill's notional for the given side of the trade. */
export function feeOn(instrument: OrderableInstrument, notional: Decimal, liquidity: Liquidity): Decimal {
  return notional.mul(liquidity === 'maker' ? instrument.makerFee : instrument.takerFee);
}

/** The larger of the two fees (and never a rebate): what a limit order may be charged. */
export function worstFee(instrument: OrderableInstrument): Decimal {
  return Decimal.max(Decimal.max(instrument.takerFee, instrument.makerFee), Decimal.ZERO);
}

/** "selling q BASE needs that much available" when the base balance is short, else undefined. */
export function saleShortfall(available: Decimal, quantity: Decimal, base: string): string | undefined {
  return available.lt(quantity)
    ? `selling ${quantity} ${base} needs that much available, have ${available}`
    : undefined;
}

/** "needs x QUOTE incl. fees" when the quote balance is short of `need`, else undefined. */
export function purchaseShortfall(available: Decimal, need: Decimal, quote: string): string | undefined {
  return available.lt(need) ? `needs ${need} ${quote} incl. fees, have ${available} available` : undefined;
}

export function configError(message: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError('CONCORD_ERR_SIMULATED_VENUE_CONFIG', message, { details });
}

function stateOf(order: LedgerOrder): VenueOrderState {
  return {
    clientOrderId: order.request.clientOrderId,
    venueOrderId: order.venueOrderId,
    instrumentId: order.request.instrumentId,
    status: order.status,
    filledQuantity: order.filled,
    fills: order.fills.slice(),
  };
}
