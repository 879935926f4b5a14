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
import { Decimal } from '../../core/index.ts';
import type {
  Bar,
  Instrument,
  InstrumentId,
  Liquidity,
  MarketEvent,
  OrderableInstrument,
  OrderRequest,
} from '../../model/index.ts';
import { isOrderable } from '../../model/index.ts';
import {
  checkMinNotional,
  checkShape,
  configError,
  feeOn,
  type LedgerOrder,
  LedgerVenue,
  type LedgerVenueOptions,
  OPEN,
  purchaseShortfall,
  type Refusal,
  saleShortfall,
  worstFee,
} from './venue-core.ts';

export type BarFillAt = 'next-open' | 'close';

export interface BarVenueOptions extends LedgerVenueOptions {
  /** Instruments traded here; spot and perpetual/future instruments accept orders. */
  readonly instruments: readonly Instrument[];
  /** Where market orders fill (default `next-open`). */
  readonly fillAt?: BarFillAt;
  /** Adverse price move applied to market fills, in bp (default 0). */
  readonly slippageBps?: number;
  /** Let base balances go negative (short selling on margin). Default false. */
  readonly allowShort?: boolean;
}

interface BarMarket {
  readonly instrument: OrderableInstrument;
  /** Decimal places of the tick: bar floats are read at this precision. */
  readonly priceDecimals: number;
  lastBar: Bar | undefined;
  /** Orders waiting for a later bar, in arrival order. */
  pending: BarOrder[];
}

interface BarOrder extends LedgerOrder {
  /** The limit as a float, to compare with bar floats without allocating. */
  readonly limitNumber: number;
}

const BPS = Decimal.from(10_000);

export class BarVenue extends LedgerVenue<BarOrder, BarMarket> {
  private readonly fillAt: BarFillAt;
  /** slippageBps / 10 000, exact. */
  private readonly slippage: Decimal;
  private readonly allowShort: boolean;

  constructor(options: BarVenueOptions) {
    const slippageBps = options.slippageBps ?? 0;
    if (!(slippageBps >= 0) || !Number.isFinite(slippageBps)) {
      throw configError(`slippageBps must be a finite number ≥ 0, got ${slippageBps}`, { slippageBps });
    }
    const fillAt = options.fillAt ?? 'next-open';
    if (fillAt !== 'next-open' && fillAt !== 'close') {
      throw configError(`fillAt must be 'next-open' or 'close', got ${String(fillAt)}`, { fillAt });
    }
    super(options, orderableMarket);
    this.fillAt = fillAt;
    this.slippage = Decimal.fromNumberRounded(slippageBps).div(BPS);
    this.allowShort = options.allowShort === true;
  }

  /** The latest bar seen for an instrument. */
  lastBar(instrumentId: InstrumentId): Bar | undefined {
    return this.markets.get(instrumentId)?.lastBar;
  }

  /**
   * Checks the order and reports `order.accepted` or `order.rejected` before it
   * resolves. A repeated clientOrderId is rejected and leaves the first order alone.
   */
  async submitOrder(request: OrderRequest): Promise<void> {
    this.lifecycle.assertWorking('submitOrder');
    if (this.orders.has(request.clientOrderId)) {
      this.emitRejected(request.clientOrderId, 'DUPLICATE_CLIENT_ORDER_ID', 'clientOrderId already used');
      return;
    }
    const order: BarOrder = {
      request,
      venueOrderId: this.nextVenueOrderId(),
      status: 'SUBMITTED',
      filled: Decimal.ZERO,
      fills: [],
      locked: Decimal.ZERO,
      limitNumber: request.price === undefined ? Number.NaN : Number(request.price.toString()),
    };
    const market = this.admit(order, 'an orderable instrument');
    if (market === undefined) return;
    this.accept(order);
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
    this.lifecycle.assertWorking('cancelOrder');
    const order = this.orders.get(clientOrderId);
    if (order === undefined) throw this.orderNotFound(clientOrderId);
    this.cancelIfOpen(order);
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
  protected checkOrder(market: BarMarket, request: OrderRequest): Refusal | undefined {
    const { instrument } = market;
    const { quantity, price } = request;
    const shapeProblem = checkShape(instrument, request);
    if (shapeProblem !== undefined) return shapeProblem;
    const lastClose = market.lastBar === undefined ? undefined : this.priceOf(market, market.lastBar.close);
    const reference = request.type === 'limit' ? price : lastClose;
    const notionalProblem = checkMinNotional(instrument, reference, quantity);
    if (notionalProblem !== undefined) return notionalProblem;
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
      const problem = saleShortfall(this.available(instrument.base), quantity, instrument.base);
      return problem === undefined ? undefined : ['INSUFFICIENT_FUNDS', problem];
    }
    if (reference === undefined) return undefined; // no price yet: checked again at the fill
    const need = this.buyCost(
      reference,
      quantity,
      request.type === 'limit' ? worstFee(instrument) : instrument.takerFee,
    );
    const problem = purchaseShortfall(this.available(instrument.quote), need, instrument.quote);
    return problem === undefined ? undefined : ['INSUFFICIENT_FUNDS', problem];
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
    const fee = feeOn(instrument, notional, liquidity);
    const short =
      request.side === 'buy'
        ? this.available(instrument.quote).lt(notional.add(fee))
        : !this.allowShort && this.available(instrument.base).lt(request.quantity);
    if (short) {
      this.expire(order);
      return;
    }
    this.bookFill(instrument, order, price, request.quantity, notional, fee, liquidity);
  }

  // ── helpers ────────────────────────────────────────────────────────────

  protected unlist(market: BarMarket, order: BarOrder): void {
    const i = market.pending.indexOf(order);
    if (i >= 0) market.pending.splice(i, 1);
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

/** Spot and perpetual/future instruments trade here. */
function orderableMarket(instrument: Instrument): BarMarket | undefined {
  if (!isOrderable(instrument)) return undefined;
  return {
    instrument,
    priceDecimals: instrument.tickSize.decimalPlaces(),
    lastBar: undefined,
    pending: [],
  };
}
