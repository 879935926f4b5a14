/**
 * A VenuePort over any ccxt exchange (Binance, MEXC and Hyperliquid first-class).
 *
 * Orders
 * - The order manager's deterministic client order id is passed through (`clientOrderId`,
 *   which ccxt sends as Binance's `newClientOrderId`, OKX's `clOrdId`, …). An id this venue
 *   object has already sent is refused locally (DUPLICATE_CLIENT_ORDER_ID): it never goes out twice.
 * - Shape and grid are checked before anything is sent (UNKNOWN_INSTRUMENT, BAD_PRECISION,
 *   MIN_NOTIONAL, INVALID_ORDER): an off-grid order never leaves, and ccxt never gets to
 *   round it silently.
 * - A submit resolves once the venue answered; refusals become `order.rejected` events
 *   with a venue code (errors.ts). A submit whose outcome is unknown (timeout, 5xx, lost
 *   connection) throws CONCORD_ERR_VENUE_TIMEOUT: the order manager parks it in UNKNOWN.
 *   The adapter keeps tracking the client id, so the venue's own events still resolve it,
 *   and looks it up by client id once (`unknownCheckDelayMs`); it never sends it again.
 *
 * Order events
 * - From `watchOrders` + `watchMyTrades` where the exchange has them, else by polling; the
 *   REST answers of create/cancel/fetch feed the same path. Whatever the source and
 *   arrival order, each order's events come out as: `order.accepted` once, then one
 *   `order.filled` per venue trade id (deduplicated), then `order.canceled` / `order.expired`
 *   once, only after every fill the venue reported for it has been emitted.
 * - When a stream fails, the adapter reconnects with backoff and, until the stream
 *   delivers again, polls every tracked open order by REST (`pollIntervalMs`), so fills
 *   made while it was down are recovered, not lost.
 *
 * Rate limits: every request passes the account's gate (account-gate.ts); a submit meeting
 * a closed gate is refused locally with RATE_LIMITED (nothing sent).
 *
 * Positions: contract markets from `fetchPositions`; spot markets as the net quantity of
 * the account's own trades since `positionsSince` (default: when the venue was opened),
 * for the configured symbols and every symbol traded through this object.
 */
import {
  type Clock,
  ConcordError,
  Decimal,
  isConcordError,
  Lifecycle,
  sha256Hex,
  type TimerHandle,
} from '../../core/index.ts';
import {
  assertOrderPrecision,
  type BookSnapshot,
  type Fill,
  type Instrument,
  type InstrumentId,
  isOrderable,
  type OrderableInstrument,
  type OrderRequest,
  type OrderStatus,
  type Side,
  type TradeTick,
  type VenueBalance,
  type VenueCapabilities,
  type VenueId,
  type VenueOrderEvent,
  type VenueOrderState,
  type VenuePort,
  type VenuePosition,
} from '../../model/index.ts';
import type { AccountGateOptions, GateState } from './account-gate.ts';
import { capabilitiesOf } from './capabilities.ts';
import type { ClockOffsetState } from './clock-offset.ts';
import { classify, rejectCodeOf, toVenueError, unknownOutcomeError, venueMessage } from './errors.ts';
import { acquireExchange, type CcxtExchange, type ExchangeSpec, type SharedExchange } from './exchange.ts';
import { marketsToInstruments, type SkippedMarket } from './instruments.ts';
import {
  balancesOf,
  bookSnapshotOf,
  type CcxtOrderLike,
  type CcxtTradeLike,
  fillOf,
  idOf,
  optionalAmount,
  orderStatusOf,
  positionsOf,
  tradeTickOf,
} from './parse.ts';

export interface CcxtVenueOptions extends ExchangeSpec {
  /** The Concord venue id (default: the exchange id). */
  readonly id?: VenueId;
  readonly clock: Clock;
  /** ccxt unified symbols in scope (`BTC/USDT`); default: every market Concord can trade. */
  readonly symbols?: readonly string[];
  /** `auto` (default): streams where the exchange has watchOrders, else polling. */
  readonly orderEvents?: 'auto' | 'stream' | 'poll';
  /** REST polling period of open orders, in poll mode and while a stream is down (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** First reconnect delay after a stream error; doubles up to 10 s (default 250 ms). */
  readonly reconnectDelayMs?: number;
  /** How long after an unknown-outcome submit the adapter looks the order up by client id (default 500 ms). */
  readonly unknownCheckDelayMs?: number;
  readonly gate?: Omit<AccountGateOptions, 'clock'>;
  /** Spot positions count the account's trades from this time (default: when the venue was opened). */
  readonly positionsSince?: number;
  /**
   * How often the exchange's clock offset is re-measured (default 60,000 ms; 0: never measured,
   * request timestamps stay local). Measured once before the venue opens.
   */
  readonly clockSyncIntervalMs?: number;
}

export interface CcxtVenueHealth {
  /** `up`: order streams delivering; `degraded`: a stream failed and open orders are polled; `polling`: no streams. */
  readonly orderEvents: 'up' | 'degraded' | 'polling' | 'closed';
  readonly streamErrors: number;
  /** Book or trade streams that failed (the call fell back to REST). */
  readonly marketStreamErrors: number;
  readonly catchUps: number;
  readonly catchUpErrors: number;
  readonly handlerErrors: number;
  readonly foreignEvents: number;
  readonly gate: GateState;
  /** The exchange's clock offset applied to request timestamps. */
  readonly clock: ClockOffsetState;
}

/** What arming the exchange's dead-man switch did. */
export interface DeadManState {
  /** The exchange has one (ccxt `has.cancelAllOrdersAfter`). */
  readonly supported: boolean;
  readonly armed: boolean;
  readonly timeoutMs: number;
  /** Local time of the answer. */
  readonly at: number;
}

type EndStatus = 'CANCELED' | 'EXPIRED' | 'FILLED';

interface Tracked {
  readonly clientOrderId: string;
  readonly instrument: OrderableInstrument;
  readonly side: Side;
  readonly quantity: Decimal;
  /** IOC, FOK or market: the venue ends what does not fill at once (an end we did not ask for is an expiry). */
  readonly immediate: boolean;
  /** A cancel was sent for it (an end reported as canceled is then a cancel, not an expiry). */
  cancelRequested: boolean;
  venueOrderId: string | undefined;
  /** Where the submit stands: being sent, answered, unknown outcome, refused. */
  phase: 'sending' | 'sent' | 'unknown' | 'refused';
  accepted: boolean;
  readonly tradeIds: Set<string>;
  readonly fills: Fill[];
  filled: Decimal;
  /** The most the venue has reported filled. */
  venueFilled: Decimal;
  /** The venue's word that the order is over, waiting for its fills to arrive first. */
  pendingEnd: { readonly status: EndStatus; readonly venueFilled: Decimal } | undefined;
  ended: boolean;
  lastStatus: OrderStatus;
  /** Lookups that found nothing in a row; an unknown-outcome order is no longer polled after a few. */
  notFound: number;
}

/** An unknown-outcome submit the venue has not heard of after this many lookups is left to reconciliation. */
const MAX_NOT_FOUND_POLLS = 3;

const MAX_ORPHAN_TRADES = 10_000;
const MAX_SCAN_SYMBOLS = 50;

export class CcxtVenue implements VenuePort {
  readonly id: VenueId;
  readonly has: VenueCapabilities;
  /** Markets of the exchange that could not become instruments, with the reason. */
  readonly skippedMarkets: readonly SkippedMarket[];
  private readonly shared: SharedExchange;
  private readonly ex: CcxtExchange;
  private readonly clock: Clock;
  private readonly instrumentList: readonly OrderableInstrument[];
  private readonly bySymbol = new Map<string, OrderableInstrument>();
  private readonly byId = new Map<InstrumentId, OrderableInstrument>();
  /** Sequence numbers given to the books of an exchange that sends none, per instrument. */
  private readonly bookSequences = new Map<InstrumentId, number>();
  private readonly scopeSymbols: readonly string[];
  private readonly tracked = new Map<string, Tracked>();
  /** The id each tracked order carries at the exchange (see `wireClientId`) → Concord's id. */
  private readonly byWireId = new Map<string, string>();
  private readonly byVenueOrder = new Map<string, Tracked>();
  private readonly orphanTrades = new Map<string, CcxtTradeLike[]>();
  private orphanCount = 0;
  private readonly tradedSymbols = new Set<string>();
  private handlers: ReadonlyArray<(event: VenueOrderEvent) => void> = [];
  private readonly pollIntervalMs: number;
  private readonly reconnectDelayMs: number;
  private readonly unknownCheckDelayMs: number;
  private positionsSince: number;
  private readonly streaming: boolean;
  private readonly timers = new Set<TimerHandle>();
  private pollTimer: TimerHandle | undefined;
  private streamsDown = 0;
  private readonly catchUpQueue = new Set<Tracked>();
  private draining: Promise<void> | undefined;
  private closed = false;
  /** RUNNING once its markets are loaded and its order events flow; STOPPED after `close()`. */
  readonly lifecycle: Lifecycle;
  private stats = {
    streamErrors: 0,
    marketStreamErrors: 0,
    catchUps: 0,
    catchUpErrors: 0,
    handlerErrors: 0,
    foreignEvents: 0,
  };

  private constructor(
    options: CcxtVenueOptions,
    shared: SharedExchange,
    instruments: readonly OrderableInstrument[],
    skipped: readonly SkippedMarket[],
  ) {
    this.id = options.id ?? options.exchange;
    this.lifecycle = new Lifecycle(`venue ${this.id}`);
    this.shared = shared;
    this.ex = shared.exchange;
    this.clock = options.clock;
    this.instrumentList = instruments;
    this.skippedMarkets = skipped;
    for (const i of instruments) {
      this.bySymbol.set(i.symbol, i);
      this.byId.set(i.id, i);
    }
    this.scopeSymbols = options.symbols ?? instruments.map((i) => i.symbol);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 250;
    this.unknownCheckDelayMs = options.unknownCheckDelayMs ?? 500;
    this.positionsSince = options.positionsSince ?? options.clock.now();
    this.has = capabilitiesOf(
      this.ex,
      instruments[0]?.kind === 'spot' || instruments.length === 0 ? 'spot' : 'swap',
    );
    const mode = options.orderEvents ?? 'auto';
    const canStream =
      this.ex.has.watchOrders === true &&
      this.ex.has.watchMyTrades === true &&
      typeof this.ex.watchOrders === 'function' &&
      typeof this.ex.watchMyTrades === 'function';
    const hasKeys = hasCredentials(options);
    if (mode === 'stream' && !canStream)
      throw configError(`${this.ex.id} has no watchOrders/watchMyTrades in ccxt; use orderEvents "poll"`, {
        exchange: this.ex.id,
      });
    this.streaming = hasKeys && mode !== 'poll' && canStream;
  }

  /** Loads the exchange's markets and starts order events (when credentials are given). */
  static async open(options: CcxtVenueOptions): Promise<CcxtVenue> {
    validateOptions(options);
    const shared = await acquireExchange(options, options.clock, options.gate);
    try {
      const venue = options.id ?? options.exchange;
      let markets: Record<string, unknown>;
      try {
        markets = await shared.call('read', 'loadMarkets', () => shared.exchange.loadMarkets());
      } catch (err) {
        throw unreachable(err, venue);
      }
      const wanted = options.symbols === undefined ? undefined : new Set(options.symbols);
      const missing = (options.symbols ?? []).filter((s) => !(s in markets));
      if (missing.length > 0)
        throw configError(`${venue} has no market ${missing.map((s) => JSON.stringify(s)).join(', ')}`, {
          venue,
          missing,
        });
      const mapping = marketsToInstruments(
        venue,
        Object.values(markets) as never[],
        shared.exchange.precisionMode,
        wanted,
      );
      const instruments = mapping.instruments.filter(isOrderable);
      // Before any signed request: the exchange's clock (a failure leaves timestamps local, counted).
      if (options.clockSyncIntervalMs !== 0) await shared.exchangeClock.measure();
      const self = new CcxtVenue(options, shared, instruments, mapping.skipped);
      self.start(options.clockSyncIntervalMs ?? 60_000);
      return self;
    } catch (err) {
      await shared.release();
      throw err;
    }
  }

  /** What JSON.stringify and console.log show of the venue: never the ccxt instance (it holds the keys). */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      exchange: this.ex.id,
      instruments: this.instrumentList.length,
      health: this.health(),
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CcxtVenue ${JSON.stringify(this.toJSON())}`;
  }

  /**
   * Spot positions count the account's trades from `ts` on: a desk resuming a run sets its
   * run's start, so positions are the run's whole trading, not only this process's.
   */
  setPositionsSince(ts: number): void {
    if (!Number.isFinite(ts)) throw configError('positionsSince must be a time in ms', { ts });
    this.positionsSince = ts;
  }

  /** ccxt's capability map for this exchange (`true`, `false` or `'emulated'` per method). */
  ccxtHas(): Readonly<Record<string, boolean | 'emulated' | undefined>> {
    return this.ex.has;
  }

  instruments(): readonly Instrument[] {
    return this.instrumentList;
  }

  health(): CcxtVenueHealth {
    return {
      orderEvents: this.closed
        ? 'closed'
        : !this.streaming
          ? 'polling'
          : this.streamsDown > 0
            ? 'degraded'
            : 'up',
      ...this.stats,
      gate: this.shared.gate.state(),
      clock: this.shared.exchangeClock.state(),
    };
  }

  onOrderEvent(handler: (event: VenueOrderEvent) => void): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifecycle.transitionIfAllowed('STOPPING', 'closed');
    this.lifecycle.transitionIfAllowed('STOPPED', 'closed');
    for (const t of this.timers) this.clock.clearTimer(t);
    this.timers.clear();
    if (this.pollTimer !== undefined) this.clock.clearTimer(this.pollTimer);
    await this.shared.release();
  }

  // ── submit ─────────────────────────────────────────────────────────────

  /** Closes the venue (the venue contract's name for it). */
  stop(): Promise<void> {
    return this.close();
  }

  async submitOrder(request: OrderRequest): Promise<void> {
    this.lifecycle.assertWorking('submitOrder');
    const now = this.clock.now();
    const id = request.clientOrderId;
    if (this.tracked.has(id)) {
      this.emit({
        type: 'order.rejected',
        clientOrderId: id,
        code: 'DUPLICATE_CLIENT_ORDER_ID',
        reason: `client order id ${id} was already sent to ${this.id}; not sent again`,
        ts: now,
      });
      return;
    }
    const instrument = this.byId.get(request.instrumentId);
    const refusal = instrument === undefined ? undefined : localRefusal(instrument, request, this.has);
    if (instrument === undefined || refusal !== undefined) {
      this.emit({
        type: 'order.rejected',
        clientOrderId: id,
        code: instrument === undefined ? 'UNKNOWN_INSTRUMENT' : (refusal as [string, string])[0],
        reason:
          instrument === undefined
            ? `${request.instrumentId} is not an instrument of ${this.id}`
            : (refusal as [string, string])[1],
        ts: now,
      });
      return;
    }
    const t: Tracked = {
      clientOrderId: id,
      instrument,
      side: request.side,
      quantity: request.quantity,
      immediate: request.type === 'market' || request.timeInForce === 'IOC' || request.timeInForce === 'FOK',
      cancelRequested: false,
      venueOrderId: undefined,
      phase: 'sending',
      accepted: false,
      tradeIds: new Set(),
      fills: [],
      filled: Decimal.ZERO,
      venueFilled: Decimal.ZERO,
      pendingEnd: undefined,
      ended: false,
      lastStatus: 'SUBMITTED',
      notFound: 0,
    };
    this.tracked.set(id, t);
    this.byWireId.set(this.wireId(id), id);
    this.tradedSymbols.add(instrument.symbol);
    const params: Record<string, unknown> = { clientOrderId: this.wireId(id) };
    // A market order is immediate-or-cancel by nature; exchanges refuse the flag on it (Binance -1106).
    if (request.type === 'limit' && (request.timeInForce === 'IOC' || request.timeInForce === 'FOK'))
      params.timeInForce = request.timeInForce;
    if (request.timeInForce === 'POST_ONLY') params.postOnly = true;
    if (request.reduceOnly === true && instrument.kind !== 'spot') params.reduceOnly = true;
    const amount = Number(request.quantity.toString());
    let price = request.type === 'limit' ? Number((request.price as Decimal).toString()) : undefined;
    let answer: unknown;
    if (price === undefined && marketNeedsPrice(this.ex)) {
      // Hyperliquid has no market order: ccxt sends an IOC limit at this price plus its slippage allowance.
      let reference: number | undefined;
      try {
        reference = await this.marketReference(instrument.symbol, request.side);
      } catch (err) {
        this.submitFailed(t, err, 'refused');
        return;
      }
      if (reference === undefined) {
        this.refuse(
          t,
          'INVALID_ORDER',
          `${this.id} has no ${request.side === 'buy' ? 'asks' : 'bids'} to price a market order against`,
        );
        return;
      }
      price = reference;
    }
    try {
      answer = await this.shared.call('submit', 'createOrder', () =>
        this.ex.createOrder(instrument.symbol, request.type, request.side, amount, price, params),
      );
    } catch (err) {
      this.submitFailed(t, err);
      return;
    }
    t.phase = 'sent';
    this.ingestOrder(t, answer as CcxtOrderLike, 'taker');
  }

  private submitFailed(t: Tracked, err: unknown, nothingSent?: 'refused'): void {
    if (nothingSent === 'refused') {
      // A read before the submit failed: nothing was sent, so this is a plain refusal.
      this.refuse(t, 'VENUE_REJECTED', `pricing the market order failed: ${venueMessage(err)}`);
      return;
    }
    const context = {
      venue: this.id,
      operation: 'createOrder',
      clientOrderId: t.clientOrderId,
      symbol: t.instrument.symbol,
    };
    // The gate refused before anything was sent.
    if (isConcordError(err, 'CONCORD_ERR_VENUE_RATE_LIMITED')) {
      this.refuse(t, 'RATE_LIMITED', err.shortMessage);
      return;
    }
    const rule = classify(err);
    const code = rule.submit === 'refused' ? rejectCodeOf(err, rule) : undefined;
    // "Duplicate client id" from the venue means an order with this id exists there (sent by an
    // earlier process): not a refusal of *the* order. Left UNKNOWN, reconciliation finds it by id.
    if (code !== undefined && code !== 'DUPLICATE_CLIENT_ORDER_ID') {
      this.refuse(t, code, venueMessage(err));
      return;
    }
    if (rule.submit === 'account') {
      t.phase = 'refused';
      t.ended = true;
      throw toVenueError(err, context);
    }
    // Unknown: the order may exist. Keep tracking it (its events still count), look it up once, never resend.
    t.phase = 'unknown';
    this.later(this.unknownCheckDelayMs, () => this.requestCatchUp(t));
    throw unknownOutcomeError(err, context);
  }

  private refuse(t: Tracked, code: string, reason: string): void {
    t.phase = 'refused';
    t.ended = true;
    t.lastStatus = 'REJECTED';
    this.emit({ type: 'order.rejected', clientOrderId: t.clientOrderId, code, reason, ts: this.clock.now() });
  }

  /** The best price on the side a market order takes (asks for a buy), from a REST book. */
  private async marketReference(symbol: string, side: Side): Promise<number | undefined> {
    const book = (await this.shared.call('read', 'fetchOrderBook', () => this.ex.fetchOrderBook(symbol))) as {
      bids?: unknown;
      asks?: unknown;
    };
    const levels = side === 'buy' ? book.asks : book.bids;
    const best = Array.isArray(levels) ? (levels[0] as unknown) : undefined;
    const price = Array.isArray(best) ? Number(best[0]) : Number.NaN;
    return Number.isFinite(price) && price > 0 ? price : undefined;
  }

  // ── cancel ─────────────────────────────────────────────────────────────

  async cancelOrder(clientOrderId: string): Promise<void> {
    this.lifecycle.assertWorking('cancelOrder');
    let t = this.tracked.get(clientOrderId);
    if (t === undefined) {
      await this.fetchOrder(clientOrderId);
      t = this.tracked.get(clientOrderId);
    }
    if (t === undefined || t.phase === 'refused') {
      throw new ConcordError(
        'CONCORD_ERR_VENUE_ORDER_NOT_FOUND',
        `no order with clientOrderId ${clientOrderId} was submitted to ${this.id}`,
        { details: { venue: this.id, clientOrderId } },
      );
    }
    if (t.ended) return;
    const tracked = t;
    tracked.cancelRequested = true;
    let answer: unknown;
    try {
      answer = await this.shared.call('cancel', 'cancelOrder', () =>
        this.ex.cancelOrder(tracked.venueOrderId, tracked.instrument.symbol, {
          clientOrderId: this.wireId(clientOrderId),
        }),
      );
    } catch (err) {
      if (classify(err).kind === 'order-not-found') {
        // Already done (filled, expired) or not yet known: ask what became of it.
        await this.catchUp(tracked);
        if (tracked.accepted || tracked.phase === 'unknown') return;
      }
      throw toVenueError(err, {
        venue: this.id,
        operation: 'cancelOrder',
        clientOrderId,
        symbol: tracked.instrument.symbol,
      });
    }
    const state = answer as CcxtOrderLike | undefined;
    this.ingestOrder(tracked, state ?? {});
    // Some venues answer a cancel with a bare "success" (Hyperliquid): ask for the order's state.
    if (idOf(state?.id) === undefined) this.requestCatchUp(tracked);
  }

  /**
   * Cancels an order by the exchange's own id: for an open order that was not sent through
   * Concord (another client's, whose client id cannot be mapped to the exchange's, e.g. a
   * Hyperliquid cloid), as `fetchOpenOrders` reported it. Not tracked, no events.
   */
  async cancelByVenueOrderId(venueOrderId: string, instrumentId: InstrumentId): Promise<void> {
    this.lifecycle.assertWorking('cancelOrder');
    const { symbol } = this.instrumentOf(instrumentId);
    if (venueOrderId === '')
      throw new ConcordError(
        'CONCORD_ERR_VENUE_ORDER_NOT_FOUND',
        `no exchange order id to cancel at ${this.id}`,
        {
          details: { venue: this.id, instrumentId },
        },
      );
    try {
      await this.shared.call('cancel', 'cancelOrder', () => this.ex.cancelOrder(venueOrderId, symbol));
    } catch (err) {
      throw toVenueError(err, { venue: this.id, operation: 'cancelOrder', symbol });
    }
  }

  // ── reads ──────────────────────────────────────────────────────────────

  /**
   * What the venue says about an order, fills included, found by client id (in its
   * market when this object sent it, else in each symbol in scope). Undefined when
   * the venue has no such order.
   */
  async fetchOrder(clientOrderId: string): Promise<VenueOrderState | undefined> {
    const known = this.tracked.get(clientOrderId);
    if (known?.phase === 'refused') return undefined;
    const symbols =
      known !== undefined ? [known.instrument.symbol] : this.scopeSymbols.slice(0, MAX_SCAN_SYMBOLS);
    for (const symbol of symbols) {
      let order: CcxtOrderLike;
      try {
        order = (await this.shared.call('read', 'fetchOrder', () =>
          this.ex.fetchOrder(known?.venueOrderId, symbol, { clientOrderId: this.wireId(clientOrderId) }),
        )) as CcxtOrderLike;
      } catch (err) {
        if (classify(err).kind === 'order-not-found') continue;
        throw toVenueError(err, { venue: this.id, operation: 'fetchOrder', clientOrderId, symbol });
      }
      const instrument = this.bySymbol.get(symbol) as OrderableInstrument;
      const t = known ?? this.adopt(clientOrderId, instrument, order);
      this.ingestOrder(t, order, undefined, true);
      await this.fetchMissingFills(t, order);
      return this.stateOf(t, order);
    }
    return undefined;
  }

  async fetchOpenOrders(): Promise<readonly VenueOrderState[]> {
    const orders: unknown[] = [];
    if (this.symbolRequired('fetchOpenOrders')) {
      for (const symbol of this.scopeSymbols.slice(0, MAX_SCAN_SYMBOLS)) {
        orders.push(...(await this.readList('fetchOpenOrders', () => this.ex.fetchOpenOrders(symbol))));
      }
    } else {
      orders.push(...(await this.readList('fetchOpenOrders', () => this.ex.fetchOpenOrders())));
    }
    const states: VenueOrderState[] = [];
    for (const order of orders as CcxtOrderLike[]) {
      const instrument = typeof order.symbol === 'string' ? this.bySymbol.get(order.symbol) : undefined;
      if (instrument === undefined) continue;
      const clientOrderId = this.concordId(idOf(order.clientOrderId)) ?? '';
      const known = this.tracked.get(clientOrderId);
      if (known !== undefined) {
        this.ingestOrder(known, order, undefined, true);
        await this.fetchMissingFills(known, order);
        states.push(this.stateOf(known, order));
        continue;
      }
      // Not sent through this object (another client, or before a restart): reported, not tracked,
      // and no events for it — whoever owns it asks with fetchOrder.
      const detached = this.detached(clientOrderId, instrument, order);
      const venueOrderId = detached.venueOrderId;
      if (
        venueOrderId !== undefined &&
        (optionalAmount(order.filled, 'order filled', this.id) ?? Decimal.ZERO).isPositive()
      ) {
        for (const trade of await this.tradesOf(venueOrderId, instrument.symbol))
          detached.fills.push(this.fillFor(detached, trade));
      }
      states.push(this.stateOf(detached, order));
    }
    return states;
  }

  async fetchBalances(): Promise<readonly VenueBalance[]> {
    const balance = await this.read('fetchBalance', () => this.ex.fetchBalance(this.balanceParams()));
    return balancesOf(balance, this.id);
  }

  async fetchPositions(): Promise<readonly VenuePosition[]> {
    const out: VenuePosition[] = [];
    const contracts = this.instrumentList.filter(
      (i) => i.kind !== 'spot' && this.scopeSymbols.includes(i.symbol),
    );
    if (contracts.length > 0 && this.ex.has.fetchPositions) {
      const raw = await this.read('fetchPositions', () =>
        this.ex.fetchPositions(contracts.map((i) => i.symbol)),
      );
      out.push(...positionsOf(raw, this.id, (s) => this.bySymbol.get(s)?.id));
    }
    const spotSymbols = new Set(
      [
        ...(this.scopeSymbols.length <= MAX_SCAN_SYMBOLS ? this.scopeSymbols : []),
        ...this.tradedSymbols,
      ].filter((s) => this.bySymbol.get(s)?.kind === 'spot'),
    );
    for (const symbol of [...spotSymbols].sort()) {
      const net = await this.netTraded(symbol);
      if (!net.isZero())
        out.push({ instrumentId: (this.bySymbol.get(symbol) as OrderableInstrument).id, quantity: net });
    }
    return out.sort((a, b) =>
      a.instrumentId < b.instrumentId ? -1 : a.instrumentId > b.instrumentId ? 1 : 0,
    );
  }

  /** Bought minus sold of `symbol` since `positionsSince`, paging by time. */
  private async netTraded(symbol: string): Promise<Decimal> {
    const seen = new Set<string>();
    let net = Decimal.ZERO;
    let since = this.positionsSince;
    for (let page = 0; page < 100; page++) {
      const trades = await this.readList('fetchMyTrades', () => this.ex.fetchMyTrades(symbol, since, 1000));
      let fresh = 0;
      for (const trade of trades as CcxtTradeLike[]) {
        const id = idOf(trade.id);
        if (id === undefined || seen.has(id)) continue;
        seen.add(id);
        fresh++;
        const amount = optionalAmount(trade.amount, 'trade amount', this.id) ?? Decimal.ZERO;
        net = trade.side === 'sell' ? net.sub(amount) : net.add(amount);
        if (typeof trade.timestamp === 'number' && trade.timestamp > since) since = trade.timestamp;
      }
      if (fresh === 0 || trades.length < 1000) break;
    }
    return net;
  }

  // ── public market data ─────────────────────────────────────────────────

  /**
   * The book of one of the venue's instruments as a Concord snapshot: the next update of
   * ccxt's `watchOrderBook` (which checks the exchange's sequence numbers and resyncs on a
   * gap) where the exchange streams books, else — or when the stream fails — a REST
   * `fetchOrderBook`.
   */
  async watchBook(instrumentId: InstrumentId, depth?: number): Promise<BookSnapshot> {
    const instrument = this.instrumentOf(instrumentId);
    const { symbol } = instrument;
    let book: unknown;
    if (this.ex.has.watchOrderBook === true && typeof this.ex.watchOrderBook === 'function') {
      try {
        book = await this.shared.call('read', 'watchOrderBook', () =>
          (this.ex.watchOrderBook as NonNullable<CcxtExchange['watchOrderBook']>).call(
            this.ex,
            symbol,
            depth,
          ),
        );
      } catch {
        this.stats.marketStreamErrors++;
      }
    }
    book ??= await this.read('fetchOrderBook', () => this.ex.fetchOrderBook(symbol, depth));
    const snapshot = bookSnapshotOf(book, instrument.id, this.id, this.clock.now());
    if (snapshot.sequence !== 0) return snapshot;
    // No sequence from the exchange (Hyperliquid sends whole books with a time only): each book
    // is a newer whole snapshot, numbered here so that a book kept live takes it (not dropped as old).
    const sequence = (this.bookSequences.get(instrument.id) ?? 0) + 1;
    this.bookSequences.set(instrument.id, sequence);
    return { ...snapshot, sequence };
  }

  /** Public trades of one of the venue's instruments: the next batch of `watchTrades`, else `fetchTrades` (REST). */
  async watchTrades(instrumentId: InstrumentId): Promise<TradeTick[]> {
    const instrument = this.instrumentOf(instrumentId);
    const { symbol } = instrument;
    let trades: unknown;
    if (this.ex.has.watchTrades === true && typeof this.ex.watchTrades === 'function') {
      try {
        trades = await this.shared.call('read', 'watchTrades', () =>
          (this.ex.watchTrades as NonNullable<CcxtExchange['watchTrades']>).call(this.ex, symbol),
        );
      } catch {
        this.stats.marketStreamErrors++;
      }
    }
    trades ??= await this.read('fetchTrades', () => this.ex.fetchTrades(symbol));
    if (!Array.isArray(trades))
      throw new ConcordError('CONCORD_ERR_VENUE_BAD_DATA', `${this.id} trades are not a list`, {
        details: { venue: this.id, symbol },
      });
    return (trades as CcxtTradeLike[]).map((t) => tradeTickOf(t, instrument.id, this.id, this.clock.now()));
  }

  /**
   * Arms the exchange's dead-man switch: every open order of the account is cancelled by the
   * exchange itself after `timeoutMs` unless armed again (ccxt's `cancelAllOrdersAfter`;
   * Hyperliquid's scheduled cancel). `supported: false` where the exchange has none (Binance
   * spot): nothing is sent. A failed request throws the venue's coded error (retryable or not).
   */
  async armDeadManSwitch(timeoutMs: number): Promise<DeadManState> {
    if (!(Number.isInteger(timeoutMs) && timeoutMs > 0))
      throw configError('the dead-man timeout must be a positive whole number of ms', { timeoutMs });
    const ex = this.ex as CcxtExchange & {
      cancelAllOrdersAfter?: (timeout: number, params?: Record<string, unknown>) => Promise<unknown>;
    };
    if (ex.has.cancelAllOrdersAfter !== true || typeof ex.cancelAllOrdersAfter !== 'function')
      return { supported: false, armed: false, timeoutMs, at: this.clock.now() };
    const arm = ex.cancelAllOrdersAfter;
    try {
      await this.shared.call('cancel', 'cancelAllOrdersAfter', () => arm.call(ex, timeoutMs));
    } catch (err) {
      throw toVenueError(err, { venue: this.id, operation: 'cancelAllOrdersAfter' });
    }
    return { supported: true, armed: true, timeoutMs, at: this.clock.now() };
  }

  private instrumentOf(instrumentId: InstrumentId): OrderableInstrument {
    const instrument = this.byId.get(instrumentId);
    if (instrument === undefined)
      throw new ConcordError(
        'CONCORD_ERR_VENUE_CONFIG',
        `${instrumentId} is not an instrument of ${this.id}`,
        {
          details: { venue: this.id, instrumentId },
        },
      );
    return instrument;
  }

  // ── order events: one path for streams, polls and REST answers ─────────

  private start(clockSyncIntervalMs: number): void {
    if (clockSyncIntervalMs > 0) {
      const handle = this.clock.setInterval(() => {
        if (!this.closed) void this.shared.exchangeClock.measure();
      }, clockSyncIntervalMs);
      this.timers.add(handle);
    }
    this.lifecycle.transition('STARTING', 'markets loaded');
    this.lifecycle.transition('RUNNING', this.streaming ? 'order streams' : 'polling');
    if (this.streaming) {
      void this.streamLoop(
        'watchOrders',
        () => (this.ex.watchOrders as NonNullable<CcxtExchange['watchOrders']>).call(this.ex),
        (batch) => {
          for (const order of batch as CcxtOrderLike[]) this.routeOrder(order);
        },
      );
      void this.streamLoop(
        'watchMyTrades',
        () => (this.ex.watchMyTrades as NonNullable<CcxtExchange['watchMyTrades']>).call(this.ex),
        (batch) => {
          for (const trade of batch as CcxtTradeLike[]) this.routeTrade(trade);
        },
      );
    }
    this.pollTimer = this.clock.setInterval(() => {
      if (!this.streaming || this.streamsDown > 0) void this.pollOpen();
    }, this.pollIntervalMs);
  }

  private async streamLoop(
    name: string,
    watch: () => Promise<unknown>,
    apply: (batch: unknown[]) => void,
  ): Promise<void> {
    let delay = this.reconnectDelayMs;
    let down = false;
    while (!this.closed) {
      try {
        const batch = await this.shared.call('read', name, watch);
        if (this.closed) return;
        if (down) {
          down = false;
          this.streamsDown--;
          delay = this.reconnectDelayMs;
        }
        if (Array.isArray(batch)) apply(batch);
      } catch {
        if (this.closed) return;
        this.stats.streamErrors++;
        if (!down) {
          down = true;
          this.streamsDown++;
          // Whatever happened while the stream was failing is fetched by REST.
          void this.pollOpen();
        }
        await this.clock.sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /** Queues a REST catch-up of every tracked order that is not over. */
  private pollOpen(): Promise<void> {
    if (this.closed) return Promise.resolve();
    for (const t of this.tracked.values())
      if (!t.ended && t.phase !== 'sending' && t.notFound < MAX_NOT_FOUND_POLLS) this.catchUpQueue.add(t);
    return this.drain();
  }

  private requestCatchUp(t: Tracked): void {
    if (this.closed || t.ended || t.notFound >= MAX_NOT_FOUND_POLLS) return;
    this.catchUpQueue.add(t);
    void this.drain();
  }

  /** Works the catch-up queue one order at a time; one runner at most (a call while it runs joins it). */
  private drain(): Promise<void> {
    if (this.draining !== undefined) return this.draining;
    if (this.catchUpQueue.size === 0 || this.closed) return Promise.resolve();
    const run = async (): Promise<void> => {
      while (this.catchUpQueue.size > 0 && !this.closed) {
        const t = this.catchUpQueue.values().next().value as Tracked;
        this.catchUpQueue.delete(t);
        // Re-checked here: it may have ended, or run out of lookups, while it waited in the queue.
        if (t.ended || t.notFound >= MAX_NOT_FOUND_POLLS) continue;
        try {
          await this.catchUp(t);
        } catch {
          this.stats.catchUpErrors++;
        }
      }
    };
    // Cleared only after it is set: a run that ends at once must not leave a stale promise behind.
    const running: Promise<void> = run().finally(() => {
      if (this.draining === running) this.draining = undefined;
    });
    this.draining = running;
    return running;
  }

  /** Fetches one order (by client id) and its trades, and feeds them through the event path. */
  private async catchUp(t: Tracked): Promise<void> {
    this.stats.catchUps++;
    let order: CcxtOrderLike;
    try {
      order = (await this.shared.call('read', 'fetchOrder', () =>
        this.ex.fetchOrder(t.venueOrderId, t.instrument.symbol, {
          clientOrderId: this.wireId(t.clientOrderId),
        }),
      )) as CcxtOrderLike;
    } catch (err) {
      // Not (yet) at the venue: for an unknown-outcome submit that is for reconciliation to judge.
      if (classify(err).kind === 'order-not-found') {
        t.notFound++;
        return;
      }
      throw err;
    }
    t.notFound = 0;
    this.ingestOrder(t, order, undefined, true);
    await this.fetchMissingFills(t, order);
  }

  /** When the venue reports more filled than the fills seen, fetches the order's trades. */
  private async fetchMissingFills(t: Tracked, order: CcxtOrderLike): Promise<void> {
    const venueFilled = optionalAmount(order.filled, 'order filled', this.id) ?? Decimal.ZERO;
    if (!venueFilled.gt(t.filled) || t.venueOrderId === undefined) return;
    for (const trade of await this.tradesOf(t.venueOrderId, t.instrument.symbol)) this.ingestTrade(t, trade);
  }

  /** The venue's trades of one order. */
  private async tradesOf(venueOrderId: string, symbol: string): Promise<CcxtTradeLike[]> {
    const trades = this.ex.has.fetchOrderTrades
      ? await this.readList('fetchOrderTrades', () => this.ex.fetchOrderTrades(venueOrderId, symbol))
      : (await this.readList('fetchMyTrades', () => this.ex.fetchMyTrades(symbol))).filter(
          (x) => idOf((x as CcxtTradeLike).order) === venueOrderId,
        );
    return trades as CcxtTradeLike[];
  }

  private routeOrder(order: CcxtOrderLike): void {
    const clientOrderId = this.concordId(idOf(order.clientOrderId));
    const t =
      (clientOrderId === undefined ? undefined : this.tracked.get(clientOrderId)) ??
      this.byVenueOrder.get(venueKey(order.symbol, order.id));
    if (t === undefined) {
      this.stats.foreignEvents++;
      return;
    }
    this.ingestOrder(t, order);
  }

  private routeTrade(trade: CcxtTradeLike): void {
    const key = venueKey(trade.symbol, trade.order);
    const t = this.byVenueOrder.get(key);
    if (t !== undefined) {
      this.ingestTrade(t, trade);
      return;
    }
    // A trade may arrive before the order update that names its order: keep it until then.
    if (this.orphanCount >= MAX_ORPHAN_TRADES) return;
    const list = this.orphanTrades.get(key) ?? [];
    list.push(trade);
    this.orphanTrades.set(key, list);
    this.orphanCount++;
  }

  /** Applies what the venue says about one of our orders (from any source). */
  private ingestOrder(
    t: Tracked,
    order: CcxtOrderLike,
    defaultLiquidity?: 'taker',
    fromCatchUp = false,
  ): void {
    t.notFound = 0;
    const venueOrderId = idOf(order.id);
    if (venueOrderId !== undefined && t.venueOrderId === undefined) {
      t.venueOrderId = venueOrderId;
      const key = venueKey(t.instrument.symbol, venueOrderId);
      this.byVenueOrder.set(key, t);
      const orphans = this.orphanTrades.get(key);
      if (orphans !== undefined) {
        this.orphanTrades.delete(key);
        this.orphanCount -= orphans.length;
        for (const trade of orphans) this.ingestTrade(t, trade);
      }
    }
    if (t.phase === 'unknown' || t.phase === 'sending') t.phase = 'sent';
    if (t.ended) return;
    const filled = optionalAmount(order.filled, 'order filled', this.id) ?? Decimal.ZERO;
    const amount = optionalAmount(order.amount, 'order amount', this.id) ?? t.quantity;
    const status = endStatusOf(t, order, orderStatusOf(order.status, filled, amount));
    t.lastStatus = status;
    if (status === 'REJECTED' && !t.accepted) {
      this.refuse(t, 'VENUE_REJECTED', `${this.id} reports the order rejected`);
      return;
    }
    this.accept(t);
    if (Array.isArray(order.trades)) {
      for (const trade of order.trades as CcxtTradeLike[]) this.ingestTrade(t, trade, defaultLiquidity);
    }
    if (status === 'CANCELED' || status === 'EXPIRED' || status === 'FILLED' || status === 'REJECTED') {
      t.pendingEnd = { status: status === 'REJECTED' ? 'CANCELED' : status, venueFilled: filled };
    }
    if (filled.gt(t.venueFilled)) t.venueFilled = filled;
    this.tryEnd(t);
    // Fills the venue counts but that have not arrived: a stream usually brings them in the
    // same breath; if not, fetch them (a catch-up fetches them itself).
    if (!fromCatchUp && t.venueFilled.gt(t.filled)) {
      this.later(0, () => {
        if (t.venueFilled.gt(t.filled)) this.requestCatchUp(t);
      });
    }
  }

  private ingestTrade(t: Tracked, trade: CcxtTradeLike, defaultLiquidity?: 'taker'): void {
    const fill = this.fillFor(t, trade, defaultLiquidity);
    if (t.tradeIds.has(fill.tradeId)) return;
    this.accept(t);
    t.tradeIds.add(fill.tradeId);
    t.fills.push(fill);
    t.filled = t.filled.add(fill.quantity);
    this.emit({ type: 'order.filled', fill });
    this.tryEnd(t);
  }

  private fillFor(t: Tracked, trade: CcxtTradeLike, defaultLiquidity?: 'taker'): Fill {
    return fillOf(trade, {
      venue: this.id,
      instrumentId: t.instrument.id,
      clientOrderId: t.clientOrderId,
      venueOrderId: t.venueOrderId ?? idOf(trade.order) ?? '',
      side: t.side,
      defaultFeeCurrency: t.instrument.quote,
      now: this.clock.now(),
      ...(defaultLiquidity === undefined ? {} : { defaultLiquidity }),
    });
  }

  private accept(t: Tracked): void {
    if (t.accepted) return;
    t.accepted = true;
    this.emit({
      type: 'order.accepted',
      clientOrderId: t.clientOrderId,
      venueOrderId: t.venueOrderId ?? '',
      ts: this.clock.now(),
    });
  }

  /** Emits the end of an order once every fill the venue reported for it has been emitted. */
  private tryEnd(t: Tracked): void {
    const end = t.pendingEnd;
    if (t.ended || end === undefined || t.filled.lt(end.venueFilled)) return;
    t.ended = true;
    const base = { clientOrderId: t.clientOrderId, venueOrderId: t.venueOrderId ?? '', ts: this.clock.now() };
    if (end.status === 'CANCELED') this.emit({ type: 'order.canceled', ...base });
    else if (end.status === 'EXPIRED') this.emit({ type: 'order.expired', ...base });
  }

  /** An order found at the venue that this object did not send (e.g. before a restart), tracked from now on. */
  private adopt(clientOrderId: string, instrument: OrderableInstrument, order: CcxtOrderLike): Tracked {
    const t = this.detached(clientOrderId, instrument, order);
    t.venueOrderId = undefined; // set by ingestOrder, which also indexes it
    if (clientOrderId !== '') {
      this.tracked.set(clientOrderId, t);
      this.byWireId.set(this.wireId(clientOrderId), clientOrderId);
    }
    return t;
  }

  /** A record of an order found at the venue, not tracked (no events). */
  private detached(clientOrderId: string, instrument: OrderableInstrument, order: CcxtOrderLike): Tracked {
    return {
      clientOrderId,
      instrument,
      side: order.side === 'sell' ? 'sell' : 'buy',
      quantity: optionalAmount(order.amount, 'order amount', this.id) ?? Decimal.ZERO,
      immediate: false,
      cancelRequested: false,
      venueOrderId: idOf(order.id),
      phase: 'sent',
      accepted: false,
      tradeIds: new Set(),
      fills: [],
      filled: Decimal.ZERO,
      venueFilled: Decimal.ZERO,
      pendingEnd: undefined,
      ended: false,
      lastStatus: 'ACCEPTED',
      notFound: 0,
    };
  }

  private stateOf(t: Tracked, order: CcxtOrderLike): VenueOrderState {
    const filled = optionalAmount(order.filled, 'order filled', this.id) ?? Decimal.ZERO;
    const amount = optionalAmount(order.amount, 'order amount', this.id) ?? t.quantity;
    return {
      clientOrderId: t.clientOrderId,
      venueOrderId: t.venueOrderId ?? idOf(order.id) ?? '',
      instrumentId: t.instrument.id,
      status: endStatusOf(t, order, orderStatusOf(order.status, filled, amount)),
      filledQuantity: filled,
      fills: t.fills.slice(),
    };
  }

  private emit(event: VenueOrderEvent): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch {
        this.stats.handlerErrors++;
      }
    }
  }

  // ── helpers ────────────────────────────────────────────────────────────

  /** Hyperliquid keeps spot and perp balances apart; ask for the kind this venue trades. */
  private balanceParams(): Record<string, unknown> {
    if (this.ex.id !== 'hyperliquid') return {};
    return { type: this.instrumentList.every((i) => i.kind === 'spot') ? 'spot' : 'swap' };
  }

  /** The client order id as this exchange takes it. */
  private wireId(clientOrderId: string): string {
    return wireClientId(this.ex.id, clientOrderId);
  }

  /** Concord's id for an id the exchange reports (unchanged when it is not one of ours). */
  private concordId(wire: string | undefined): string | undefined {
    return wire === undefined ? undefined : (this.byWireId.get(wire) ?? wire);
  }

  private later(delayMs: number, fn: () => void): void {
    if (this.closed) return;
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (!this.closed) fn();
    }, delayMs);
    this.timers.add(handle);
  }

  private async read(operation: string, fn: () => Promise<unknown>): Promise<unknown> {
    try {
      return await this.shared.call('read', operation, fn);
    } catch (err) {
      throw toVenueError(err, { venue: this.id, operation });
    }
  }

  private async readList(operation: string, fn: () => Promise<unknown>): Promise<unknown[]> {
    const value = await this.read(operation, fn);
    if (!Array.isArray(value))
      throw new ConcordError('CONCORD_ERR_VENUE_BAD_DATA', `${this.id} ${operation} did not return a list`, {
        details: { venue: this.id, operation },
      });
    return value;
  }

  private symbolRequired(method: string): boolean {
    const features = this.ex.features as Record<string, Record<string, unknown> | undefined> | undefined;
    const kind =
      this.instrumentList[0]?.kind === 'spot' || this.instrumentList.length === 0 ? 'spot' : 'swap';
    const section =
      kind === 'spot' ? features?.spot : (features?.swap?.linear as Record<string, unknown> | undefined);
    const entry = section?.[method] as { symbolRequired?: unknown } | undefined;
    return entry?.symbolRequired === true;
  }
}

/**
 * The client order id as an exchange takes it. Most take Concord's (`c` + 24 hex, ≤ 32
 * characters) as it is; Hyperliquid wants a 128-bit hex `cloid`, so the id is hashed into one,
 * deterministically: a restarted desk finds its orders by the same cloid.
 */
export function wireClientId(exchange: string, clientOrderId: string): string {
  if (exchange === 'hyperliquid') return `0x${sha256Hex(`concord-cloid|${clientOrderId}`).slice(0, 32)}`;
  return clientOrderId;
}

/**
 * An IOC, FOK or market order whose unfilled rest the venue reports canceled (Hyperliquid does)
 * without a cancel from us has expired, as Binance and the simulated venue say.
 */
function endStatusOf(t: Tracked, order: CcxtOrderLike, status: OrderStatus): OrderStatus {
  if (status !== 'CANCELED' || t.cancelRequested) return status;
  const tif = typeof order.timeInForce === 'string' ? order.timeInForce.toUpperCase() : undefined;
  return t.immediate || tif === 'IOC' || tif === 'FOK' ? 'EXPIRED' : status;
}

/** Exchanges without a true market order, where ccxt prices one with a slippage allowance (Hyperliquid). */
function marketNeedsPrice(ex: CcxtExchange): boolean {
  return ex.id === 'hyperliquid' || ex.options.defaultSlippage !== undefined;
}

function venueKey(symbol: unknown, orderId: unknown): string {
  return `${String(symbol)}|${String(orderId)}`;
}

function hasCredentials(options: CcxtVenueOptions): boolean {
  const c = options.credentials;
  return (
    c !== undefined &&
    ((c.apiKey ?? '') !== '' || (c.walletAddress ?? '') !== '' || (c.privateKey ?? '') !== '')
  );
}

/** Checks that need no venue: shape, grid, minimum notional of a limit. Undefined when the order may go. */
function localRefusal(
  instrument: OrderableInstrument,
  request: OrderRequest,
  has: VenueCapabilities,
): [string, string] | undefined {
  if (request.type === 'limit' && request.price === undefined)
    return ['INVALID_ORDER', 'a limit order needs a price'];
  // ccxt would send it anyway and the venue's answer to an unknown time in force varies; refuse it here.
  if (request.timeInForce === 'FOK' && !has.fok)
    return ['INVALID_ORDER', `${instrument.venue} takes no fill-or-kill orders`];
  if (request.type === 'market' && request.timeInForce === 'POST_ONLY')
    return ['INVALID_ORDER', 'a market order cannot be post-only'];
  // ccxt takes numbers: a value a double cannot carry exactly (over ~15 significant digits) would change on the way.
  for (const [field, value] of [
    ['quantity', request.quantity],
    ['price', request.price],
  ] as const) {
    if (value !== undefined && !Decimal.fromNumberRounded(Number(value.toString())).eq(value))
      return ['BAD_PRECISION', `${field} ${value} has more digits than can be sent exactly`];
  }
  try {
    assertOrderPrecision(instrument, request.quantity, request.type === 'limit' ? request.price : undefined);
  } catch (err) {
    if (isConcordError(err, 'CONCORD_ERR_ORDER_MIN_NOTIONAL')) return ['MIN_NOTIONAL', err.shortMessage];
    if (isConcordError(err)) return ['BAD_PRECISION', err.shortMessage];
    throw err;
  }
  return undefined;
}

function configError(message: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError('CONCORD_ERR_VENUE_CONFIG', message, { details });
}

function validateOptions(options: CcxtVenueOptions): void {
  if (typeof options.exchange !== 'string' || !/^[a-z0-9]+$/.test(options.exchange))
    throw configError('exchange must be a ccxt exchange id such as "binance"', {
      exchange: String(options.exchange),
    });
  for (const [field, value] of [
    ['pollIntervalMs', options.pollIntervalMs],
    ['reconnectDelayMs', options.reconnectDelayMs],
    ['unknownCheckDelayMs', options.unknownCheckDelayMs],
    ['timeoutMs', options.timeoutMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw configError(`${field} must be a positive number of milliseconds`, { field, value });
  }
  const sync = options.clockSyncIntervalMs;
  if (sync !== undefined && !(Number.isFinite(sync) && sync >= 0))
    throw configError('clockSyncIntervalMs must be 0 (off) or a positive number of milliseconds', {
      field: 'clockSyncIntervalMs',
      value: sync,
    });
  if (options.symbols?.some((s) => typeof s !== 'string' || s === ''))
    throw configError('symbols must be ccxt unified symbols such as "BTC/USDT"', {});
}

/** The first contact failed: say the exchange is unreachable (or what else it was), never start. */
function unreachable(err: unknown, venue: string): ConcordError {
  const rule = classify(err);
  if (rule.kind === 'unavailable' || rule.kind === 'timeout' || rule.kind === 'rate-limit') {
    return new ConcordError(
      'CONCORD_ERR_VENUE_UNREACHABLE',
      `${venue} is unreachable: loading its markets failed (${rule.kind}: ${venueMessage(err)}); check the network, or whether the exchange is up`,
      { details: { venue, kind: rule.kind }, retryable: true, cause: err },
    );
  }
  return toVenueError(err, { venue, operation: 'loadMarkets' });
}
