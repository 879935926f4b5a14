/**
 * A simulated venue for candle backtests: it sees only `bar` events (others are
 * ignored) and fills orders against the bars that arrive after them.
 *
 * - Market orders submitted while bar t is the latest fill at the open of bar t+1
 *   (`fillAt: 'next-open'`, the default), or at once at bar t's close
 *   (`fillAt: 'close'`; with no bar seen yet they wait for the next open).
 *   `slippageBps` moves market fills against the taker, rounded to the tick away from it.
 * - Limit orders fill at the first later bar whose range touches the limit: a buy
 *   when low ≤ limit, at min(open, limit); a sell when high ≥ limit, at max(open, limit).
 *   A fill at the open (the bar gapped through the limit) is a taker fill, inside
 *   the bar a maker fill (post-only orders always fill at their limit, as maker).
 *   IOC and FOK limits get one bar, then expire. In `close` mode a limit marketable
 *   at the last close fills at that close at once (an IOC/FOK that is not expires).
 *   Orders fill whole (bars carry no depth): no partial fills.
 * - Accounting is linear in the quote currency (spot, or a linear perpetual traded
 *   like spot): buys need quote incl. the fee, sells need base unless `allowShort`
 *   (margin-like backtests: base may go negative). Resting limit buys and spot
 *   sells reserve what they may spend. A market buy is checked at submit against
 *   the last close and again at its fill; if the open gapped beyond the funds it expires.
 * - Events reach subscribers synchronously: refusals and acceptances inside
 *   `submitOrder`, fills inside `onMarketEvent` for the bar that fills them (the
 *   kernel advances its clock to the bar's time first). Ids come from counters.
 *
 * Hot path: a bar with nothing pending costs a map lookup and a field write.
 */
import { type Clock, ConcordError, Decimal, type DecimalInput } from '../../core/index.ts';
import type {
  Bar,
  Fill,
  Instrument,
  InstrumentId,
  Liquidity,
  MarketEvent,
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
import { isOrderable } from '../../model/index.ts';
import type { SimulatedRejectCode } from './simulated-venue.ts';

export type BarFillAt = 'next-open' | 'close';

export interface BarVenueOptions {
  readonly id: VenueId;
  readonly clock: Clock;
  /** Instruments traded here; spot and perpetual/future instruments accept orders. */
  readonly instruments: readonly Instrument[];
  /** Starting balances per asset (total = available). */
  readonly balances: Readonly<Record<string, DecimalInput>>;
  /** Where market orders fill (default `next-open`). */
  readonly fillAt?: BarFillAt;
  /** Adverse price move applied to market fills, in bp (default 0). */
  readonly slippageBps?: number;
  /** Let base balances go negative (short selling on margin). Default false. */
  readonly allowShort?: boolean;
  /** Prefix of venue order ids and trade ids (default: the venue id). */
  readonly idPrefix?: string;
}

interface BarMarket {
  readonly instrument: OrderableInstrument;
  /** Decimal places of the tick: bar floats are read at this precision. */
  readonly priceDecimals: number;
  lastBar: Bar | undefined;
  /** Orders waiting for a later bar, in arrival order. */
  pending: BarOrder[];
}

interface BarOrder {
  readonly request: OrderRequest;
  readonly venueOrderId: string;
  status: OrderStatus;
  filled: Decimal;
  readonly fills: Fill[];
  /** Quote (buy) or base (sell) reserved while pending. */
  locked: Decimal;
  /** The limit as a float, to compare with bar floats without allocating. */
  readonly limitNumber: number;
}

interface Account {
  total: Decimal;
  locked: Decimal;
}

const OPEN: ReadonlySet<OrderStatus> = new Set(['ACCEPTED', 'PARTIALLY_FILLED']);
const BPS = Decimal.from(10_000);

export class BarVenue implements VenuePort {
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
  private readonly clock: Clock;
  private readonly fillAt: BarFillAt;
  /** slippageBps / 10 000, exact. */
  private readonly slippage: Decimal;
  private readonly allowShort: boolean;
  private readonly idPrefix: string;
  private readonly instrumentList: readonly Instrument[];
  private readonly markets = new Map<InstrumentId, BarMarket>();
  private readonly accounts = new Map<string, Account>();
  private readonly positions = new Map<InstrumentId, Decimal>();
  private readonly orders = new Map<string, BarOrder>();
  private handlers: ReadonlyArray<(event: VenueOrderEvent) => void> = [];
  private orderCount = 0;
  private tradeCount = 0;

  constructor(options: BarVenueOptions) {
    const slippageBps = options.slippageBps ?? 0;
    if (!(slippageBps >= 0) || !Number.isFinite(slippageBps)) {
      throw configError(`slippageBps must be a finite number ≥ 0, got ${slippageBps}`, { slippageBps });
    }
    const fillAt = options.fillAt ?? 'next-open';
    if (fillAt !== 'next-open' && fillAt !== 'close') {
      throw configError(`fillAt must be 'next-open' or 'close', got ${String(fillAt)}`, { fillAt });
    }
    this.id = options.id;
    this.clock = options.clock;
    this.fillAt = fillAt;
    this.slippage = Decimal.fromNumberRounded(slippageBps).div(BPS);
    this.allowShort = options.allowShort === true;
    this.idPrefix = options.idPrefix ?? options.id;
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
      if (!isOrderable(instrument)) continue;
      this.markets.set(instrument.id, {
        instrument,
        priceDecimals: instrument.tickSize.decimalPlaces(),
        lastBar: undefined,
        pending: [],
      });
    }
    for (const asset of Object.keys(options.balances).sort()) {
      const amount = Decimal.from(options.balances[asset] as DecimalInput);
      if (amount.isNegative())
        throw configError(`balance of ${asset} must not be negative, got ${amount}`, { asset });
      this.accounts.set(asset, { total: amount, locked: Decimal.ZERO });
    }
  }

  instruments(): readonly Instrument[] {
    return this.instrumentList;
  }

  /** The latest bar seen for an instrument. */
  lastBar(instrumentId: InstrumentId): Bar | undefined {
    return this.markets.get(instrumentId)?.lastBar;
  }

  onOrderEvent(handler: (event: VenueOrderEvent) => void): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /**
   * Checks the order and reports `order.accepted` or `order.rejected` before it
   * resolves. A repeated clientOrderId is rejected and leaves the first order alone.
   */
  async submitOrder(request: OrderRequest): Promise<void> {
    if (this.orders.has(request.clientOrderId)) {
      this.emitRejected(request.clientOrderId, 'DUPLICATE_CLIENT_ORDER_ID', 'clientOrderId already used');
      return;
    }
    const order: BarOrder = {
      request,
      venueOrderId: `${this.idPrefix}-o-${++this.orderCount}`,
      status: 'SUBMITTED',
      filled: Decimal.ZERO,
      fills: [],
      locked: Decimal.ZERO,
      limitNumber: request.price === undefined ? Number.NaN : Number(request.price.toString()),
    };
    this.orders.set(request.clientOrderId, order);
    const market = this.markets.get(request.instrumentId);
    if (market === undefined) {
      this.reject(
        order,
        'UNKNOWN_INSTRUMENT',
        `${request.instrumentId} is not an orderable instrument of ${this.id}`,
      );
      return;
    }
    const refusal = this.checkOrder(market, request);
    if (refusal !== undefined) {
      this.reject(order, refusal[0], refusal[1]);
      return;
    }
    order.status = 'ACCEPTED';
    this.emit({
      type: 'order.accepted',
      clientOrderId: request.clientOrderId,
      venueOrderId: order.venueOrderId,
      ts: this.clock.now(),
    });
    if (
      this.fillAt === 'close' &&
      market.lastBar !== undefined &&
      this.fillAtClose(market, order, market.lastBar)
    )
      return;
    this.reserve(market, order);
    market.pending.push(order);
  }

  /** Cancels a pending order at once. Canceling a finished order is a no-op; an id never submitted is an error. */
  async cancelOrder(clientOrderId: string): Promise<void> {
    const order = this.orders.get(clientOrderId);
    if (order === undefined) {
      throw new ConcordError(
        'CONCORD_ERR_VENUE_ORDER_NOT_FOUND',
        `no order with clientOrderId ${clientOrderId} was submitted to ${this.id}`,
        {
          details: { venue: this.id, clientOrderId },
        },
      );
    }
    if (!OPEN.has(order.status)) return;
    this.close(order, 'CANCELED');
    this.emit({
      type: 'order.canceled',
      clientOrderId,
      venueOrderId: order.venueOrderId,
      ts: this.clock.now(),
    });
  }

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

  /** Fills what the bar reaches, then remembers it as the latest bar. Non-bar events are ignored. */
  onMarketEvent(event: MarketEvent): void {
    if (event.type !== 'bar') return;
    const market = this.markets.get(event.instrumentId);
    if (market === undefined) return;
    if (market.pending.length > 0) this.matchPending(market, event);
    market.lastBar = event;
  }

  // ── checks ─────────────────────────────────────────────────────────────

  /** Shape, precision, minimum notional, post-only and funds; undefined when acceptable. */
  private checkOrder(market: BarMarket, request: OrderRequest): [SimulatedRejectCode, string] | undefined {
    const { instrument } = market;
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
      return [
        'BAD_PRECISION',
        `price ${price} is not a positive multiple of tick size ${instrument.tickSize}`,
      ];
    }
    const lastClose = market.lastBar === undefined ? undefined : this.priceOf(market, market.lastBar.close);
    const reference = request.type === 'limit' ? price : lastClose;
    if (reference?.mul(quantity).lt(instrument.minNotional)) {
      return [
        'MIN_NOTIONAL',
        `notional ${reference.mul(quantity)} is below the minimum ${instrument.minNotional}`,
      ];
    }
    if (request.timeInForce === 'POST_ONLY' && price !== undefined && lastClose !== undefined) {
      const crosses = request.side === 'buy' ? price.gte(lastClose) : price.lte(lastClose);
      if (crosses)
        return [
          'POST_ONLY_WOULD_CROSS',
          `post-only ${request.side} at ${price} would cross the last close ${lastClose}`,
        ];
    }
    if (request.side === 'sell') {
      if (this.allowShort) return undefined;
      const available = this.available(instrument.base);
      return available.lt(quantity)
        ? [
            'INSUFFICIENT_FUNDS',
            `selling ${quantity} ${instrument.base} needs that much available, have ${available}`,
          ]
        : undefined;
    }
    if (reference === undefined) return undefined; // no price yet: checked again at the fill
    const need = this.buyCost(
      reference,
      quantity,
      request.type === 'limit' ? worstFee(instrument) : instrument.takerFee,
    );
    const available = this.available(instrument.quote);
    return available.lt(need)
      ? ['INSUFFICIENT_FUNDS', `needs ${need} ${instrument.quote} incl. fees, have ${available} available`]
      : undefined;
  }

  private buyCost(price: Decimal, quantity: Decimal, fee: Decimal): Decimal {
    const notional = price.mul(quantity);
    return notional.add(notional.mul(Decimal.max(fee, Decimal.ZERO), 'ceil'));
  }

  /** Limit buys reserve quote at the limit incl. the worst fee; spot sells reserve base. Market buys reserve nothing. */
  private reserve(market: BarMarket, order: BarOrder): void {
    const { instrument } = market;
    const { request } = order;
    if (request.side === 'sell') {
      if (!this.allowShort) this.lock(order, instrument.base, request.quantity);
    } else if (request.type === 'limit') {
      this.lock(
        order,
        instrument.quote,
        this.buyCost(request.price as Decimal, request.quantity, worstFee(instrument)),
      );
    }
  }

  // ── matching ───────────────────────────────────────────────────────────

  private matchPending(market: BarMarket, bar: Bar): void {
    const waiting = market.pending;
    market.pending = [];
    for (const order of waiting) {
      if (!OPEN.has(order.status)) continue; // canceled meanwhile
      if (!this.matchOnBar(market, order, bar)) market.pending.push(order);
    }
  }

  /** True when the order is done (filled or expired) after this bar. */
  private matchOnBar(market: BarMarket, order: BarOrder, bar: Bar): boolean {
    const { request } = order;
    if (request.type === 'market') {
      this.execute(
        market,
        order,
        this.slipped(market, this.priceOf(market, bar.open), request.side),
        'taker',
      );
      return true;
    }
    const buy = request.side === 'buy';
    const touched = buy ? bar.low <= order.limitNumber : bar.high >= order.limitNumber;
    if (touched) {
      const limit = request.price as Decimal;
      const open = this.priceOf(market, bar.open);
      const throughAtOpen = buy ? open.lte(limit) : open.gte(limit);
      // A post-only order never takes: it fills at its own price.
      const taker = throughAtOpen && request.timeInForce !== 'POST_ONLY';
      this.execute(market, order, taker ? open : limit, taker ? 'taker' : 'maker');
      return true;
    }
    if (request.timeInForce === 'IOC' || request.timeInForce === 'FOK') {
      this.expire(order);
      return true;
    }
    return false;
  }

  /** `close` mode: market orders, and limits marketable at the close, fill at the latest close. */
  private fillAtClose(market: BarMarket, order: BarOrder, bar: Bar): boolean {
    const { request } = order;
    const close = this.priceOf(market, bar.close);
    if (request.type === 'market') {
      this.execute(market, order, this.slipped(market, close, request.side), 'taker');
      return true;
    }
    if (request.timeInForce === 'POST_ONLY') return false;
    const limit = request.price as Decimal;
    if (request.side === 'buy' ? close.lte(limit) : close.gte(limit)) {
      this.execute(market, order, close, 'taker');
      return true;
    }
    if (request.timeInForce === 'IOC' || request.timeInForce === 'FOK') {
      this.expire(order);
      return true;
    }
    return false;
  }

  /** Fills the whole order at `price`, or expires it when the funds are not there at this price. */
  private execute(market: BarMarket, order: BarOrder, price: Decimal, liquidity: Liquidity): void {
    const { instrument } = market;
    const { request } = order;
    const asset = request.side === 'buy' ? instrument.quote : instrument.base;
    this.release(order, asset, order.locked);
    const notional = price.mul(request.quantity);
    const fee = notional.mul(liquidity === 'maker' ? instrument.makerFee : instrument.takerFee);
    const short =
      request.side === 'buy'
        ? this.available(instrument.quote).lt(notional.add(fee))
        : !this.allowShort && this.available(instrument.base).lt(request.quantity);
    if (short) {
      this.expire(order);
      return;
    }
    this.book(market, order, price, fee, liquidity);
  }

  // ── money ──────────────────────────────────────────────────────────────

  /** Books one fill: balances, position, order state, then the event. */
  private book(market: BarMarket, order: BarOrder, price: Decimal, fee: Decimal, liquidity: Liquidity): void {
    const { instrument } = market;
    const { request } = order;
    const quantity = request.quantity;
    const notional = price.mul(quantity);
    const quote = this.account(instrument.quote);
    const base = this.account(instrument.base);
    const position = this.positions.get(instrument.id) ?? Decimal.ZERO;
    if (request.side === 'buy') {
      quote.total = quote.total.sub(notional).sub(fee);
      base.total = base.total.add(quantity);
      this.positions.set(instrument.id, position.add(quantity));
    } else {
      quote.total = quote.total.add(notional).sub(fee);
      base.total = base.total.sub(quantity);
      this.positions.set(instrument.id, position.sub(quantity));
    }
    order.filled = quantity;
    order.status = 'FILLED';
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

  private account(asset: string): Account {
    let account = this.accounts.get(asset);
    if (account === undefined) {
      account = { total: Decimal.ZERO, locked: Decimal.ZERO };
      this.accounts.set(asset, account);
    }
    return account;
  }

  private available(asset: string): Decimal {
    const account = this.accounts.get(asset);
    return account === undefined ? Decimal.ZERO : account.total.sub(account.locked);
  }

  private lock(order: BarOrder, asset: string, amount: Decimal): void {
    const account = this.account(asset);
    account.locked = account.locked.add(amount);
    order.locked = order.locked.add(amount);
  }

  private release(order: BarOrder, asset: string, amount: Decimal): void {
    if (amount.isZero()) return;
    const account = this.account(asset);
    account.locked = account.locked.sub(amount);
    order.locked = order.locked.sub(amount);
  }

  // ── helpers ────────────────────────────────────────────────────────────

  private close(order: BarOrder, status: 'CANCELED' | 'EXPIRED'): void {
    order.status = status;
    const market = this.markets.get(order.request.instrumentId);
    if (market === undefined) return;
    const asset = order.request.side === 'buy' ? market.instrument.quote : market.instrument.base;
    this.release(order, asset, order.locked);
    const i = market.pending.indexOf(order);
    if (i >= 0) market.pending.splice(i, 1);
  }

  private expire(order: BarOrder): void {
    this.close(order, 'EXPIRED');
    this.emit({
      type: 'order.expired',
      clientOrderId: order.request.clientOrderId,
      venueOrderId: order.venueOrderId,
      ts: this.clock.now(),
    });
  }

  private reject(order: BarOrder, code: SimulatedRejectCode, reason: string): void {
    order.status = 'REJECTED';
    this.emitRejected(order.request.clientOrderId, code, reason);
  }

  private emitRejected(clientOrderId: string, code: SimulatedRejectCode, reason: string): void {
    this.emit({ type: 'order.rejected', clientOrderId, code, reason, ts: this.clock.now() });
  }

  private emit(event: VenueOrderEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  /** A bar float as an exact Decimal at the tick's decimals, on the tick grid. */
  private priceOf(market: BarMarket, price: number): Decimal {
    const tick = market.instrument.tickSize;
    const exact = Decimal.fromNumberRounded(price, market.priceDecimals);
    return exact.isMultipleOf(tick) ? exact : exact.roundToStep(tick);
  }

  /** Moves a market fill price against the taker by `slippageBps`, rounded to the tick away from it. */
  private slipped(market: BarMarket, price: Decimal, side: 'buy' | 'sell'): Decimal {
    if (this.slippage.isZero()) return price;
    const tick = market.instrument.tickSize;
    const move = price.mul(this.slippage);
    return side === 'buy'
      ? price.add(move).roundToStep(tick, 'ceil')
      : price.sub(move).roundToStep(tick, 'floor');
  }
}

/** The larger of the two fees (and never a rebate): what a limit order may be charged. */
function worstFee(instrument: OrderableInstrument): Decimal {
  return Decimal.max(Decimal.max(instrument.takerFee, instrument.makerFee), Decimal.ZERO);
}

function stateOf(order: BarOrder): VenueOrderState {
  return {
    clientOrderId: order.request.clientOrderId,
    venueOrderId: order.venueOrderId,
    instrumentId: order.request.instrumentId,
    status: order.status,
    filledQuantity: order.filled,
    fills: order.fills.slice(),
  };
}

function configError(message: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError('CONCORD_ERR_SIMULATED_VENUE_CONFIG', message, { details });
}
