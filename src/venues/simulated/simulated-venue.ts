/**
 * A simulated spot venue: a matching engine that fills orders against its own
 * copy of a replayed L2 book (fed through `onMarketEvent`).
 *
 * - Latency: a submit or cancel reaches the engine `latencyMs` later on the
 *   injected Clock and sees the book as it is then. Events go to subscribers
 *   synchronously inside that clock callback, in a deterministic order.
 * - Takers walk the visible levels at the levels' prices (never better, never
 *   more than shown) and consume them from the venue's copy, so the same
 *   liquidity is not taken twice before the market replaces it.
 * - Resting orders queue conservatively: a buy at p fills (as maker, at p) only
 *   when the best ask moves to ≤ p (taking the depth at ≤ p) or a trade prints
 *   below p (up to the trade's size); merely touching p is not enough.
 * - Spot balances: buys need quote incl. fee, sells need base; resting orders
 *   reserve what they may spend. Fees are charged in the quote currency.
 * - Refusals are venue-style `order.rejected` events with a code string
 *   (see SimulatedRejectCode), never exceptions.
 *
 * Prices and quantities are exact Decimals: book floats are converted at the
 * instrument's tick (prices) and floored to its lot (sizes).
 */
import { Decimal } from '../../core/index.ts';
import type {
  Instrument,
  InstrumentId,
  Level,
  Liquidity,
  MarketEvent,
  OrderRequest,
  Side,
  SpotInstrument,
} from '../../model/index.ts';
import { OrderBook } from '../../model/index.ts';
import {
  checkMinNotional,
  checkShape,
  configError,
  feeOn,
  type LedgerOrder,
  LedgerVenue,
  type LedgerVenueOptions,
  purchaseShortfall,
  type Refusal,
  saleShortfall,
  worstFee,
} from './venue-core.ts';

export type { SimulatedRejectCode } from './venue-core.ts';

export interface SimulatedVenueOptions extends LedgerVenueOptions {
  /** Instruments traded here; only spot instruments accept orders. */
  readonly instruments: readonly Instrument[];
  /** One-way delay from submit/cancel to the matching engine, in ms of the clock (default 0). */
  readonly latencyMs?: number;
}

interface Market {
  readonly instrument: SpotInstrument;
  readonly book: OrderBook;
  /** Tick and lot as floats, to turn book floats into whole ticks and lots without parsing strings. */
  readonly tick: number;
  readonly lot: number;
  /** Resting orders, in arrival order. */
  readonly resting: SimOrder[];
}

interface SimOrder extends LedgerOrder {
  /** Quote reserved per unit for a resting buy: price × (1 + max(maker fee, 0)). */
  lockPerUnit: Decimal;
  /** The limit as a float, to skip exact checks cheaply on every market update (grid prices compare exactly). */
  limitNumber: number;
}

/** One slice of a taker sweep, before it is executed. */
interface SweepSlice {
  readonly levelPrice: number;
  readonly levelSize: number;
  readonly price: Decimal;
  readonly quantity: Decimal;
}

export class SimulatedVenue extends LedgerVenue<SimOrder, Market> {
  private readonly latencyMs: number;
  /** Every clientOrderId ever submitted, including those still in flight. */
  private readonly submitted = new Set<string>();

  constructor(options: SimulatedVenueOptions) {
    const latencyMs = options.latencyMs ?? 0;
    if (!(latencyMs >= 0) || !Number.isFinite(latencyMs)) {
      throw configError(`latencyMs must be a finite number ≥ 0, got ${latencyMs}`, { latencyMs });
    }
    super(options, spotMarket);
    this.latencyMs = latencyMs;
  }

  /** The venue's own copy of a book (read it, do not change it). */
  book(instrumentId: InstrumentId): OrderBook | undefined {
    return this.markets.get(instrumentId)?.book;
  }

  /**
   * Resolves once the request is on its way; its fate arrives as events after
   * `latencyMs`. A repeated clientOrderId is rejected with DUPLICATE_CLIENT_ORDER_ID
   * and leaves the first order untouched.
   */
  async submitOrder(request: OrderRequest): Promise<void> {
    this.lifecycle.assertWorking('submitOrder');
    const duplicate = this.submitted.has(request.clientOrderId);
    this.submitted.add(request.clientOrderId);
    this.clock.setTimeout(() => {
      if (duplicate)
        this.emitRejected(request.clientOrderId, 'DUPLICATE_CLIENT_ORDER_ID', 'clientOrderId already used');
      else this.arrive(request);
    }, this.latencyMs);
  }

  /**
   * Cancels an open order after `latencyMs`. Canceling an order that is already
   * done is a no-op (no event); an id never submitted is an error.
   */
  async cancelOrder(clientOrderId: string): Promise<void> {
    this.lifecycle.assertWorking('cancelOrder');
    if (!this.submitted.has(clientOrderId)) throw this.orderNotFound(clientOrderId);
    this.clock.setTimeout(() => this.cancelIfOpen(this.orders.get(clientOrderId)), this.latencyMs);
  }

  /** Keeps the venue's book current and fills resting orders the market trades through. */
  onMarketEvent(event: MarketEvent): void {
    const market = this.markets.get(event.instrumentId);
    if (market === undefined) return;
    switch (event.type) {
      case 'book.snapshot':
        market.book.applySnapshot(event.bids, event.asks, event.sequence, event.ts);
        if (market.resting.length > 0) this.matchRestingAgainstBook(market);
        return;
      case 'book.delta':
        market.book.applyDelta(event.bids, event.asks, event.sequence, event.ts);
        if (market.resting.length > 0) this.matchRestingAgainstBook(market);
        return;
      case 'trade':
        if (market.resting.length > 0) this.matchRestingAgainstTrade(market, event.price, event.size);
        return;
      default:
        return;
    }
  }

  // ── arrival ────────────────────────────────────────────────────────────

  private arrive(request: OrderRequest): void {
    const order: SimOrder = {
      request,
      venueOrderId: this.nextVenueOrderId(),
      status: 'SUBMITTED',
      filled: Decimal.ZERO,
      fills: [],
      locked: Decimal.ZERO,
      lockPerUnit: Decimal.ZERO,
      limitNumber: request.price === undefined ? Number.NaN : nearestDouble(request.price),
    };
    const market = this.admit(order, 'a spot instrument');
    if (market === undefined) return;

    const { book } = market;
    const limit = request.type === 'limit' ? (request.price as Decimal) : undefined;
    if (request.timeInForce === 'POST_ONLY') {
      const opposite = request.side === 'buy' ? book.bestAsk() : book.bestBid();
      if (
        opposite !== undefined &&
        limit !== undefined &&
        crosses(request.side, limit, this.priceOf(market, opposite))
      ) {
        this.reject(
          order,
          'POST_ONLY_WOULD_CROSS',
          `post-only ${request.side} at ${limit} would cross the book at ${opposite}`,
        );
        return;
      }
    }

    const plan =
      request.timeInForce === 'POST_ONLY'
        ? []
        : this.planSweep(market, request.side, request.quantity, limit);
    const planned = Decimal.sum(plan.map((s) => s.quantity));
    const fundsProblem = this.checkFunds(market, request, plan);
    if (fundsProblem !== undefined) {
      this.reject(order, 'INSUFFICIENT_FUNDS', fundsProblem);
      return;
    }

    this.accept(order);

    const fillOrKill = request.timeInForce === 'FOK';
    if (!(fillOrKill && planned.lt(request.quantity))) {
      for (const slice of plan) {
        this.consume(market, request.side, slice);
        this.fill(market, order, slice.price, slice.quantity, 'taker');
      }
    }
    if (order.filled.eq(request.quantity)) return;

    const rests =
      request.type === 'limit' && (request.timeInForce === 'GTC' || request.timeInForce === 'POST_ONLY');
    if (!rests) {
      this.expire(order);
      return;
    }
    this.rest(market, order, limit as Decimal);
  }

  /** Shape, precision and minimum notional; undefined when the order is acceptable. */
  protected checkOrder(market: Market, request: OrderRequest): Refusal | undefined {
    const { instrument } = market;
    const shapeProblem = checkShape(instrument, request);
    if (shapeProblem !== undefined) return shapeProblem;
    const reference = request.type === 'limit' ? request.price : this.touchPrice(market, request.side);
    return checkMinNotional(instrument, reference, request.quantity);
  }

  /** Spot funds: buys need quote incl. fee (at the limit, or the sweep's cost for market), sells need base. */
  private checkFunds(market: Market, request: OrderRequest, plan: readonly SweepSlice[]): string | undefined {
    const { instrument } = market;
    if (request.side === 'sell') {
      return saleShortfall(this.available(instrument.base), request.quantity, instrument.base);
    }
    let need: Decimal;
    if (request.type === 'limit') {
      need = (request.price as Decimal)
        .mul(request.quantity)
        .mul(Decimal.ONE.add(worstFee(instrument)), 'ceil');
    } else {
      // Summed slice by slice, exactly as the fills will be booked.
      need = Decimal.ZERO;
      for (const slice of plan) {
        const notional = slice.price.mul(slice.quantity);
        need = need.add(notional).add(notional.mul(instrument.takerFee));
      }
    }
    return purchaseShortfall(this.available(instrument.quote), need, instrument.quote);
  }

  // ── matching ───────────────────────────────────────────────────────────

  /** What a taker would get walking the visible levels, never past `limit`. Does not change the book. */
  private planSweep(market: Market, side: Side, quantity: Decimal, limit: Decimal | undefined): SweepSlice[] {
    const levels = side === 'buy' ? market.book.asks() : market.book.bids();
    const slices: SweepSlice[] = [];
    let remaining = quantity;
    for (const [levelPrice, size] of levels) {
      if (!remaining.isPositive()) break;
      const price = this.priceOf(market, levelPrice);
      if (limit !== undefined && !crosses(side, limit, price)) break;
      const take = Decimal.min(this.visibleQuantity(market, size), remaining);
      if (!take.isPositive()) continue;
      slices.push({ levelPrice, levelSize: size, price, quantity: take });
      remaining = remaining.sub(take);
    }
    return slices;
  }

  /** Takes `slice.quantity` off a level of the venue's own book; dust below one lot goes too. */
  private consume(market: Market, takerSide: Side, slice: SweepSlice): void {
    const left = exactSize(slice.levelSize).sub(slice.quantity);
    const size = left.lt(market.instrument.lotSize) ? 0 : nearestDouble(left);
    setLevel(market.book, takerSide === 'buy' ? 'ask' : 'bid', slice.levelPrice, size);
  }

  /** A resting buy at p takes asks at ≤ p (a sell, bids at ≥ p), filling at p as maker. */
  private matchRestingAgainstBook(market: Market): void {
    const { book } = market;
    const ask = book.bestAsk();
    const bid = book.bestBid();
    const crossed = market.resting.filter((o) =>
      o.request.side === 'buy'
        ? ask !== undefined && ask <= o.limitNumber
        : bid !== undefined && bid >= o.limitNumber,
    );
    if (crossed.length === 0) return;
    // Price priority (best limit first), then arrival (filter keeps arrival order and sort is stable).
    crossed.sort((x, y) => priority(x) - priority(y));
    for (const order of crossed) {
      const side = order.request.side;
      const limit = order.request.price as Decimal;
      let filled = Decimal.ZERO;
      let remaining = order.request.quantity.sub(order.filled);
      for (;;) {
        if (!remaining.isPositive()) break;
        const touch = side === 'buy' ? book.bestAsk() : book.bestBid();
        if (touch === undefined || (side === 'buy' ? touch > order.limitNumber : touch < order.limitNumber))
          break;
        const price = this.priceOf(market, touch);
        if (!crosses(side, limit, price)) break;
        const levelSize = book.sizeAt(side === 'buy' ? 'ask' : 'bid', touch);
        const take = Decimal.min(this.visibleQuantity(market, levelSize), remaining);
        this.consume(market, side, { levelPrice: touch, levelSize, price, quantity: take });
        if (!take.isPositive()) continue;
        filled = filled.add(take);
        remaining = remaining.sub(take);
      }
      if (filled.isPositive()) this.fillResting(market, order, filled);
    }
  }

  /** A trade printing strictly through a resting order's price fills it, up to the trade's size. */
  private matchRestingAgainstTrade(market: Market, tradePrice: number, tradeSize: number): void {
    if (
      !market.resting.some((o) =>
        o.request.side === 'buy' ? tradePrice < o.limitNumber : tradePrice > o.limitNumber,
      )
    ) {
      return;
    }
    const price = this.priceOf(market, tradePrice);
    let budget = this.visibleQuantity(market, tradeSize);
    const candidates = market.resting.slice().sort((x, y) => priority(x) - priority(y));
    for (const order of candidates) {
      if (!budget.isPositive()) return;
      const limit = order.request.price as Decimal;
      const through = order.request.side === 'buy' ? price.lt(limit) : price.gt(limit);
      if (!through) continue;
      const take = Decimal.min(budget, order.request.quantity.sub(order.filled));
      budget = budget.sub(take);
      this.fillResting(market, order, take);
    }
  }

  private fillResting(market: Market, order: SimOrder, quantity: Decimal): void {
    const price = order.request.price as Decimal;
    const { base } = market.instrument;
    if (order.request.side === 'buy') {
      this.release(
        order,
        market.instrument.quote,
        Decimal.min(order.locked, quantity.mul(order.lockPerUnit, 'ceil')),
      );
    } else {
      this.release(order, base, Decimal.min(order.locked, quantity));
    }
    this.fill(market, order, price, quantity, 'maker');
    if (order.status === 'FILLED') this.unlist(market, order);
  }

  private rest(market: Market, order: SimOrder, limit: Decimal): void {
    const remaining = order.request.quantity.sub(order.filled);
    const { instrument } = market;
    if (order.request.side === 'buy') {
      order.lockPerUnit = limit.mul(Decimal.ONE.add(Decimal.max(instrument.makerFee, Decimal.ZERO)), 'ceil');
      this.lock(order, instrument.quote, remaining.mul(order.lockPerUnit, 'ceil'));
    } else {
      this.lock(order, instrument.base, remaining);
    }
    market.resting.push(order);
  }

  protected unlist(market: Market, order: SimOrder): void {
    const i = market.resting.indexOf(order);
    if (i >= 0) market.resting.splice(i, 1);
  }

  private fill(
    market: Market,
    order: SimOrder,
    price: Decimal,
    quantity: Decimal,
    liquidity: Liquidity,
  ): void {
    const notional = price.mul(quantity);
    const fee = feeOn(market.instrument, notional, liquidity);
    this.bookFill(market.instrument, order, price, quantity, notional, fee, liquidity);
  }

  // ── helpers ────────────────────────────────────────────────────────────

  /** A book price as an exact Decimal on the tick grid (book prices are on it; anything else rounds to the nearest tick). */
  private priceOf(market: Market, price: number): Decimal {
    const ticks = Math.round(price / market.tick);
    if (!Number.isSafeInteger(ticks))
      return Decimal.fromNumberRounded(price, 18).roundToStep(market.instrument.tickSize);
    return Decimal.fromUnits(market.instrument.tickSize.units * BigInt(ticks));
  }

  /** The whole lots a book size shows, as an exact Decimal (sub-lot dust cannot be taken). */
  private visibleQuantity(market: Market, size: number): Decimal {
    // The epsilon absorbs binary noise (0.3 / 0.0001 = 2999.9999999999995) without ever adding a lot.
    const lots = Math.floor(size / market.lot + 1e-9);
    if (!Number.isSafeInteger(lots)) return exactSize(size).roundToStep(market.instrument.lotSize, 'down');
    return lots <= 0 ? Decimal.ZERO : Decimal.fromUnits(market.instrument.lotSize.units * BigInt(lots));
  }

  private touchPrice(market: Market, side: Side): Decimal | undefined {
    const touch = side === 'buy' ? market.book.bestAsk() : market.book.bestBid();
    return touch === undefined ? undefined : this.priceOf(market, touch);
  }
}

/** Lower is served first: the highest buy, the lowest sell. */
function priority(order: SimOrder): number {
  return order.request.side === 'buy' ? -order.limitNumber : order.limitNumber;
}

/** True when a taker `side` with `limit` may trade at `price` (buy: price ≤ limit; sell: price ≥ limit). */
function crosses(side: Side, limit: Decimal, price: Decimal): boolean {
  return side === 'buy' ? price.lte(limit) : price.gte(limit);
}

/** A book size as the exact decimal its float prints as (shortest round trip). */
function exactSize(size: number): Decimal {
  return Decimal.fromNumberRounded(size);
}

function setLevel(book: OrderBook, side: 'bid' | 'ask', price: number, size: number): void {
  const level: Level[] = [[price, size]];
  if (side === 'bid') book.applyDelta(level, [], book.sequence, book.ts);
  else book.applyDelta([], level, book.sequence, book.ts);
}

/** Only spot instruments trade here. */
function spotMarket(instrument: Instrument): Market | undefined {
  if (instrument.kind !== 'spot') return undefined;
  return {
    instrument,
    book: new OrderBook(instrument.id),
    tick: nearestDouble(instrument.tickSize),
    lot: nearestDouble(instrument.lotSize),
    resting: [],
  };
}

/**
 * The double nearest a Decimal's exact value (parsing its decimal text is correctly
 * rounded), so it compares exactly with book floats that are on the same grid.
 */
function nearestDouble(value: Decimal): number {
  return Number(value.toString());
}
