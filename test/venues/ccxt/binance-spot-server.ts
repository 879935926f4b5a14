/**
 * A loopback Binance spot server that speaks Binance's own wire format, so the ccxt
 * venue is tested against what ccxt really sends and parses, without the internet.
 *
 * REST (`/api/v3/...`): exchangeInfo, depth, time, ping, order (POST/GET/DELETE),
 * openOrders, myTrades, account; HMAC-SHA256 signatures over the query string plus the
 * body (`X-MBX-APIKEY` header), recvWindow, Binance's error codes and HTTP statuses
 * (`{"code":-2010,"msg":"..."}` with 400, -2015 with 401, 429 and 418 with `Retry-After`),
 * and the `X-MBX-USED-WEIGHT-1M` / `X-MBX-ORDER-COUNT-10S` headers.
 * WebSocket API (`/ws-api/v3`): `userDataStream.subscribe.signature` (signed, sorted
 * params), after which `executionReport` events arrive as `{subscriptionId, event}`.
 * Market streams (`/ws`): `SUBSCRIBE` to `<symbol>@depth` and `<symbol>@trade`.
 *
 * Matching: taker orders walk an external book (set with `setBook`) and consume it;
 * resting orders fill as makers at their limit when a new book crosses them. Balances
 * have `free` and `locked`; commission is charged in the asset received, as Binance does.
 *
 * Faults, all counted: a POST /order that is processed but never answered (the client
 * times out after acceptance), 429 bursts with `Retry-After` (a request inside the window
 * after the grace period is a violation; violations earn a 418 ban), and user-data
 * streams cut off (events while cut off are lost, as on the real exchange).
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { Decimal } from '../../../src/core/index.ts';

export interface SymbolSpec {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly stepSize: string;
  readonly minQty?: string;
  readonly minNotional: string;
  readonly status?: 'TRADING' | 'BREAK' | 'HALT' | 'PRE_TRADING' | 'END_OF_DAY';
}

export interface AccountSpec {
  readonly apiKey: string;
  readonly secret: string;
  readonly balances: Readonly<Record<string, string>>;
}

export interface BinanceServerOptions {
  readonly symbols: readonly SymbolSpec[];
  readonly accounts: readonly AccountSpec[];
  /** Commission rates as fractions (default 0). */
  readonly makerCommission?: string;
  readonly takerCommission?: string;
  /** Request weight allowed per minute before 429s (default 6000, Binance's spot limit). */
  readonly weightLimit?: number;
  /** How long after a 429 a request is still "in flight" rather than a violation (default 200 ms). */
  readonly graceMs?: number;
  /** Violations that earn a 418 ban (default 1). */
  readonly banAfterViolations?: number;
  readonly banSeconds?: number;
}

type Side = 'BUY' | 'SELL';
type OrderType = 'LIMIT' | 'MARKET' | 'LIMIT_MAKER';
type Status = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';

export interface ServerOrder {
  readonly account: string;
  readonly symbol: string;
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: string;
  readonly price: Decimal;
  readonly origQty: Decimal;
  executedQty: Decimal;
  cummulativeQuoteQty: Decimal;
  status: Status;
  readonly time: number;
  updateTime: number;
  /** What the order still reserves (quote for a buy, base for a sell). */
  locked: Decimal;
}

export interface ServerTrade {
  readonly account: string;
  readonly symbol: string;
  readonly id: number;
  readonly orderId: number;
  readonly price: Decimal;
  readonly qty: Decimal;
  readonly commission: Decimal;
  readonly commissionAsset: string;
  readonly time: number;
  readonly isBuyer: boolean;
  readonly isMaker: boolean;
}

export interface ServerCounters {
  requests: number;
  /** Requests per `METHOD path`. */
  readonly byRoute: Map<string, number>;
  /** POST /api/v3/order requests per newClientOrderId (accepted or not). */
  readonly orderPosts: Map<string, number>;
  http429: number;
  http418: number;
  /** Requests that arrived inside a Retry-After window after its grace period. */
  violations: number;
  badSignatures: number;
  userStreamConnections: number;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly msg: string,
  ) {
    super(msg);
  }
}

interface Account {
  readonly spec: AccountSpec;
  readonly free: Map<string, Decimal>;
  readonly locked: Map<string, Decimal>;
}

interface Market {
  readonly spec: SymbolSpec;
  readonly tick: Decimal;
  readonly step: Decimal;
  readonly minQty: Decimal;
  readonly minNotional: Decimal;
  bids: [Decimal, Decimal][];
  asks: [Decimal, Decimal][];
  updateId: number;
  /** The book as last sent on the depth stream, and the update id it was sent at. */
  pushed: { bids: Map<string, string>; asks: Map<string, string>; id: number };
}

interface UserStream {
  readonly socket: WebSocket;
  readonly account: string;
  readonly subscriptionId: number;
}

const WEIGHTS: Record<string, number> = {
  'GET /api/v3/exchangeInfo': 20,
  'GET /api/v3/depth': 5,
  'GET /api/v3/time': 1,
  'GET /api/v3/ping': 1,
  'POST /api/v3/order': 1,
  'DELETE /api/v3/order': 1,
  'GET /api/v3/order': 4,
  'GET /api/v3/openOrders': 6,
  'GET /api/v3/myTrades': 20,
  'GET /api/v3/account': 20,
};

const ZERO = Decimal.ZERO;

function fmt(value: Decimal): string {
  return value.toFixed(8, 'half-even');
}

export class BinanceSpotServer {
  readonly counters: ServerCounters = {
    requests: 0,
    byRoute: new Map(),
    orderPosts: new Map(),
    http429: 0,
    http418: 0,
    violations: 0,
    badSignatures: 0,
    userStreamConnections: 0,
  };
  readonly orders: ServerOrder[] = [];
  readonly trades: ServerTrade[] = [];
  private readonly markets = new Map<string, Market>();
  private readonly accounts = new Map<string, Account>();
  private readonly makerRate: Decimal;
  private readonly takerRate: Decimal;
  private readonly weightLimit: number;
  private readonly graceMs: number;
  private readonly banAfterViolations: number;
  private readonly banSeconds: number;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly userStreams = new Set<UserStream>();
  private readonly marketStreams = new Map<WebSocket, Set<string>>();
  private readonly prints: { symbol: string; id: number; price: Decimal; qty: Decimal; time: number }[] = [];
  private nextOrderId = 1000;
  private nextTradeId = 5000;
  private nextSubscriptionId = 0;
  private weightWindowStart = 0;
  private weightUsed = 0;
  private readonly orderCountWindow: number[] = [];
  /** Requests still to answer with 429, and the Retry-After they carry. */
  private burstLeft = 0;
  private burstRetryAfterSec = 1;
  private retryWindow: { sentAt: number; until: number } | undefined;
  private bannedUntil = 0;
  private hangOrderPosts = 0;
  private readsToHang = 0;
  private failures: { status: number; body: unknown }[] = [];
  /** Added to the server's clock (its time answer and its timestamp checks): a client clock off by −skew. */
  clockSkewMs = 0;
  private userStreamsSuspended = false;
  private hung: ServerResponse[] = [];
  port = 0;

  private constructor(options: BinanceServerOptions) {
    this.makerRate = Decimal.from(options.makerCommission ?? '0');
    this.takerRate = Decimal.from(options.takerCommission ?? '0');
    this.weightLimit = options.weightLimit ?? 6000;
    this.graceMs = options.graceMs ?? 200;
    this.banAfterViolations = options.banAfterViolations ?? 1;
    this.banSeconds = options.banSeconds ?? 120;
    for (const spec of options.symbols) {
      this.markets.set(spec.symbol, {
        spec,
        tick: Decimal.from(spec.tickSize),
        step: Decimal.from(spec.stepSize),
        minQty: Decimal.from(spec.minQty ?? spec.stepSize),
        minNotional: Decimal.from(spec.minNotional),
        bids: [],
        asks: [],
        updateId: 1,
        pushed: { bids: new Map(), asks: new Map(), id: 1 },
      });
    }
    for (const spec of options.accounts) {
      const free = new Map<string, Decimal>();
      for (const [asset, amount] of Object.entries(spec.balances)) free.set(asset, Decimal.from(amount));
      this.accounts.set(spec.apiKey, { spec, free, locked: new Map() });
    }
    this.http = createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.send(res, 500, { code: -1000, msg: String(err) });
      });
    });
    this.http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/ws-api/v3' && this.userStreamsSuspended) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (path === '/ws-api/v3') this.onWsApi(ws);
        else this.onMarketStream(ws);
      });
    });
  }

  static async start(options: BinanceServerOptions): Promise<BinanceSpotServer> {
    const server = new BinanceSpotServer(options);
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    server.port = (server.http.address() as AddressInfo).port;
    return server;
  }

  /** The `urls.api` entries to give ccxt's binance so it talks to this server. */
  ccxtUrls(): Record<string, unknown> {
    const http = `http://127.0.0.1:${this.port}`;
    const ws = `ws://127.0.0.1:${this.port}`;
    return {
      public: `${http}/api/v3`,
      private: `${http}/api/v3`,
      v1: `${http}/api/v1`,
      sapi: `${http}/sapi/v1`,
      // ccxt tells spot from futures streams by "/stream" in the URL (the real host is stream.binance.com).
      ws: { spot: `${ws}/stream/ws`, margin: `${ws}/stream/ws`, 'ws-api': { spot: `${ws}/ws-api/v3` } },
    };
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    for (const ws of this.wss.clients) ws.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // ── test controls ────────────────────────────────────────────────────────

  /** Lists a new symbol (it appears in the next exchangeInfo). */
  addSymbol(spec: SymbolSpec): void {
    this.markets.set(spec.symbol, {
      spec,
      tick: Decimal.from(spec.tickSize),
      step: Decimal.from(spec.stepSize),
      minQty: Decimal.from(spec.minQty ?? spec.stepSize),
      minNotional: Decimal.from(spec.minNotional),
      bids: [],
      asks: [],
      updateId: 1,
      pushed: { bids: new Map(), asks: new Map(), id: 1 },
    });
  }

  /** Changes a symbol's trading status (exchangeInfo `status`). */
  setSymbolStatus(symbol: string, status: NonNullable<SymbolSpec['status']>): void {
    const market = this.market(symbol);
    (market as { spec: SymbolSpec }).spec = { ...market.spec, status };
  }

  /** A public trade between two other parties (shows in `GET /api/v3/aggTrades` and `/trades`). */
  printTrade(symbol: string, price: string, qty: string): void {
    this.market(symbol);
    this.prints.push({
      symbol,
      id: this.nextTradeId++,
      price: Decimal.from(price),
      qty: Decimal.from(qty),
      time: Date.now(),
    });
  }

  /** Replaces the external book of a symbol (best first); resting orders it crosses fill as makers. */
  setBook(
    symbol: string,
    bids: readonly (readonly [number | string, number | string])[],
    asks: typeof bids,
  ): void {
    const market = this.market(symbol);
    const levels = (side: typeof bids) =>
      side.map(([p, q]) => [Decimal.from(p), Decimal.from(q)] as [Decimal, Decimal]);
    market.bids = levels(bids).sort((a, b) => b[0].cmp(a[0]));
    market.asks = levels(asks).sort((a, b) => a[0].cmp(b[0]));
    market.updateId++;
    this.matchResting(market);
    this.pushDepth(market);
  }

  /** The next `count` order POSTs are processed (the order is placed) but never answered. */
  hangOrderResponses(count: number): void {
    this.hangOrderPosts += count;
  }

  /** The next `count` signed GET requests are never answered (a read that times out). */
  hangReads(count: number): void {
    this.readsToHang += count;
  }

  /** The next `count` requests are answered with this status and body (after rate limits, before routing). */
  failNext(count: number, status: number, body: unknown): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, body });
  }

  /** The next `count` requests get 429 with `Retry-After: retryAfterSec`. */
  burst429(count: number, retryAfterSec = 1): void {
    this.burstLeft += count;
    this.burstRetryAfterSec = retryAfterSec;
  }

  /** Cuts every user-data stream and refuses new ones until `resumeUserStreams()`; events meanwhile are lost. */
  suspendUserStreams(): void {
    this.userStreamsSuspended = true;
    for (const stream of this.userStreams) stream.socket.terminate();
    this.userStreams.clear();
  }

  resumeUserStreams(): void {
    this.userStreamsSuspended = false;
  }

  /** Open user-data subscriptions right now. */
  userStreamCount(): number {
    return this.userStreams.size;
  }

  /** Whether some market-stream connection is subscribed to `stream` (e.g. `btcusdt@trade`). */
  subscribed(stream: string): boolean {
    return [...this.marketStreams.values()].some((streams) => streams.has(stream));
  }

  balance(apiKey: string, asset: string): { free: Decimal; locked: Decimal } {
    const account = this.accounts.get(apiKey);
    return { free: account?.free.get(asset) ?? ZERO, locked: account?.locked.get(asset) ?? ZERO };
  }

  ordersByClientId(clientOrderId: string): ServerOrder[] {
    return this.orders.filter((o) => o.clientOrderId === clientOrderId);
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : url.search;
    const body = await readBody(req);
    this.counters.requests++;
    this.counters.byRoute.set(route, (this.counters.byRoute.get(route) ?? 0) + 1);
    const now = Date.now();
    // Rate limits come first: a banned or backed-off client gets nothing else.
    if (now < this.bannedUntil) {
      this.counters.http418++;
      this.send(
        res,
        418,
        {
          code: -1003,
          msg: `Way too many requests; IP(127.0.0.1) banned until ${this.bannedUntil}. Please use the websocket for live updates to avoid bans.`,
        },
        { 'Retry-After': String(Math.ceil((this.bannedUntil - now) / 1000)) },
      );
      return;
    }
    if (this.retryWindow !== undefined && now < this.retryWindow.until) {
      if (now - this.retryWindow.sentAt > this.graceMs) {
        this.counters.violations++;
        if (this.counters.violations >= this.banAfterViolations) {
          this.bannedUntil = now + this.banSeconds * 1000;
          this.counters.http418++;
          this.send(
            res,
            418,
            {
              code: -1003,
              msg: `Way too many requests; IP(127.0.0.1) banned until ${this.bannedUntil}. Please use the websocket for live updates to avoid bans.`,
            },
            { 'Retry-After': String(this.banSeconds) },
          );
          return;
        }
      }
    }
    if (this.burstLeft > 0 || this.chargeWeight(route, url, now)) {
      if (this.burstLeft > 0) this.burstLeft--;
      this.counters.http429++;
      const retryAfter = this.burstRetryAfterSec;
      this.retryWindow = { sentAt: now, until: now + retryAfter * 1000 };
      this.send(
        res,
        429,
        {
          code: -1003,
          msg: `Too many requests; current limit of IP(127.0.0.1) is ${this.weightLimit} requests per minute. Please use the websocket for live updates to avoid bans.`,
        },
        { 'Retry-After': String(retryAfter) },
      );
      return;
    }
    const failure = this.failures.shift();
    if (failure !== undefined) {
      res.writeHead(failure.status, { 'Content-Type': 'application/json;charset=UTF-8' });
      res.end(typeof failure.body === 'string' ? failure.body : JSON.stringify(failure.body));
      return;
    }
    if (method === 'GET' && url.searchParams.has('signature') && this.readsToHang > 0) {
      this.readsToHang--;
      this.hung.push(res);
      return;
    }
    try {
      const result = this.route(method, url.pathname, rawQuery, body, req, now);
      if (result === HANG) {
        this.hung.push(res);
        return;
      }
      this.send(res, 200, result);
    } catch (err) {
      if (err instanceof ApiError) this.send(res, err.status, { code: err.code, msg: err.msg });
      else throw err;
    }
  }

  /** Adds the route's weight; true when it went over the limit. */
  private chargeWeight(route: string, url: URL, now: number): boolean {
    if (now - this.weightWindowStart >= 60_000) {
      this.weightWindowStart = now - (now % 60_000);
      this.weightUsed = 0;
    }
    let weight = WEIGHTS[route] ?? 1;
    if (route === 'GET /api/v3/openOrders' && !url.searchParams.has('symbol')) weight = 80;
    this.weightUsed += weight;
    if (route === 'POST /api/v3/order') this.orderCountWindow.push(now);
    return this.weightUsed > this.weightLimit;
  }

  private send(
    res: ServerResponse,
    status: number,
    payload: unknown,
    headers: Record<string, string> = {},
  ): void {
    const now = Date.now();
    while (this.orderCountWindow.length > 0 && now - (this.orderCountWindow[0] as number) > 10_000)
      this.orderCountWindow.shift();
    res.writeHead(status, {
      'Content-Type': 'application/json;charset=UTF-8',
      'X-MBX-USED-WEIGHT-1M': String(this.weightUsed),
      'X-MBX-ORDER-COUNT-10S': String(this.orderCountWindow.length),
      ...headers,
    });
    res.end(JSON.stringify(payload));
  }

  private route(
    method: string,
    path: string,
    rawQuery: string,
    body: string,
    req: IncomingMessage,
    now: number,
  ): unknown {
    switch (`${method} ${path}`) {
      case 'GET /api/v3/ping':
        return {};
      case 'GET /api/v3/time':
        return { serverTime: now + this.clockSkewMs };
      case 'GET /api/v3/exchangeInfo':
        return this.exchangeInfo(now);
      case 'GET /api/v3/depth':
        return this.depth(new URLSearchParams(rawQuery));
      case 'GET /api/v3/aggTrades':
      case 'GET /api/v3/trades':
        return this.publicTrades(path.endsWith('aggTrades'), new URLSearchParams(rawQuery));
    }
    const signed = this.authenticate(req, rawQuery, body, now);
    const params = new URLSearchParams(rawQuery);
    for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
    switch (`${method} ${path}`) {
      case 'POST /api/v3/order':
        return this.newOrder(signed, params, now);
      case 'DELETE /api/v3/order':
        return this.cancelOrder(signed, params, now);
      case 'GET /api/v3/order':
        return this.queryOrder(signed, params);
      case 'GET /api/v3/openOrders':
        return this.openOrders(signed, params);
      case 'GET /api/v3/myTrades':
        return this.myTrades(signed, params);
      case 'GET /api/v3/account':
        return this.account(signed, now);
      default:
        throw new ApiError(404, -1000, `unknown endpoint ${method} ${path}`);
    }
  }

  /** Checks the API key, the timestamp against recvWindow and the HMAC signature; returns the account. */
  private authenticate(req: IncomingMessage, rawQuery: string, body: string, now: number): Account {
    const key = req.headers['x-mbx-apikey'];
    const account = typeof key === 'string' ? this.accounts.get(key) : undefined;
    if (account === undefined)
      throw new ApiError(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    const total = rawQuery + body;
    const match = /(?:^|&)signature=([0-9a-fA-F]+)(?=&|$)/.exec(total);
    const unsigned = total.replace(/&?signature=[0-9a-fA-F]+/, '');
    const expected = createHmac('sha256', account.spec.secret).update(unsigned).digest('hex');
    if (match === null || match[1] !== expected) {
      this.counters.badSignatures++;
      throw new ApiError(400, -1022, 'Signature for this request is not valid.');
    }
    const params = new URLSearchParams(total);
    const timestamp = Number(params.get('timestamp'));
    const recvWindow = Number(params.get('recvWindow') ?? 5000);
    if (!Number.isFinite(timestamp))
      throw new ApiError(
        400,
        -1102,
        "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
      );
    const serverNow = now + this.clockSkewMs;
    if (timestamp > serverNow + 1000 || serverNow - timestamp > recvWindow)
      throw new ApiError(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
    return account;
  }

  // ── public endpoints ─────────────────────────────────────────────────────

  /** Public trades: the account trades (taker side) and the printed ones, oldest first. */
  private publicTrades(aggregated: boolean, params: URLSearchParams): unknown {
    const symbol = params.get('symbol') ?? '';
    this.market(symbol);
    const limit = Number(params.get('limit') ?? 500);
    const all = [
      ...this.trades
        .filter((t) => t.symbol === symbol && !t.isMaker)
        .map((t) => ({ id: t.id, price: t.price, qty: t.qty, time: t.time, buyerMaker: !t.isBuyer })),
      ...this.prints.filter((p) => p.symbol === symbol).map((p) => ({ ...p, buyerMaker: false })),
    ].sort((a, b) => a.id - b.id);
    return all.slice(-limit).map((t) =>
      aggregated
        ? { a: t.id, p: fmt(t.price), q: fmt(t.qty), f: t.id, l: t.id, T: t.time, m: t.buyerMaker, M: true }
        : {
            id: t.id,
            price: fmt(t.price),
            qty: fmt(t.qty),
            quoteQty: fmt(t.price.mul(t.qty)),
            time: t.time,
            isBuyerMaker: t.buyerMaker,
            isBestMatch: true,
          },
    );
  }

  private exchangeInfo(now: number): unknown {
    return {
      timezone: 'UTC',
      serverTime: now,
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.weightLimit },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
        { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
      ],
      exchangeFilters: [],
      symbols: [...this.markets.values()].map(({ spec }) => ({
        symbol: spec.symbol,
        status: spec.status ?? 'TRADING',
        baseAsset: spec.base,
        baseAssetPrecision: 8,
        quoteAsset: spec.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: [
          'LIMIT',
          'LIMIT_MAKER',
          'MARKET',
          'STOP_LOSS',
          'STOP_LOSS_LIMIT',
          'TAKE_PROFIT',
          'TAKE_PROFIT_LIMIT',
        ],
        icebergAllowed: true,
        ocoAllowed: true,
        otoAllowed: true,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: true,
        cancelReplaceAllowed: true,
        amendAllowed: true,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: [
          {
            filterType: 'PRICE_FILTER',
            minPrice: spec.tickSize,
            maxPrice: '1000000.00000000',
            tickSize: spec.tickSize,
          },
          {
            filterType: 'LOT_SIZE',
            minQty: spec.minQty ?? spec.stepSize,
            maxQty: '9000.00000000',
            stepSize: spec.stepSize,
          },
          { filterType: 'ICEBERG_PARTS', limit: 10 },
          {
            filterType: 'MARKET_LOT_SIZE',
            minQty: '0.00000000',
            maxQty: '100.00000000',
            stepSize: '0.00000000',
          },
          {
            filterType: 'NOTIONAL',
            minNotional: spec.minNotional,
            applyMinToMarket: true,
            maxNotional: '9000000.00000000',
            applyMaxToMarket: false,
            avgPriceMins: 5,
          },
          { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
          { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
        ],
        permissions: [],
        permissionSets: [['SPOT']],
        defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
        allowedSelfTradePreventionModes: ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      })),
    };
  }

  private depth(params: URLSearchParams): unknown {
    const market = this.marketOrInvalid(params.get('symbol'));
    const limit = Number(params.get('limit') ?? 100);
    return {
      lastUpdateId: market.updateId,
      bids: market.bids.slice(0, limit).map(([p, q]) => [fmt(p), fmt(q)]),
      asks: market.asks.slice(0, limit).map(([p, q]) => [fmt(p), fmt(q)]),
    };
  }

  // ── orders ───────────────────────────────────────────────────────────────

  private newOrder(account: Account, params: URLSearchParams, now: number): unknown {
    const clientOrderId = params.get('newClientOrderId') ?? `srv${this.nextOrderId}`;
    this.counters.orderPosts.set(clientOrderId, (this.counters.orderPosts.get(clientOrderId) ?? 0) + 1);
    const market = this.marketOrInvalid(params.get('symbol'));
    const side = required(params, 'side');
    const type = required(params, 'type');
    if (side !== 'BUY' && side !== 'SELL') throw new ApiError(400, -1117, 'Invalid side.');
    if (type !== 'LIMIT' && type !== 'MARKET' && type !== 'LIMIT_MAKER')
      throw new ApiError(400, -1116, 'Invalid orderType.');
    const quantity = decimalParam(params, 'quantity');
    let timeInForce = params.get('timeInForce') ?? '';
    if (type === 'LIMIT' && timeInForce === '')
      throw new ApiError(
        400,
        -1102,
        "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
      );
    if (type !== 'LIMIT' && timeInForce !== '')
      throw new ApiError(400, -1106, "Parameter 'timeInForce' sent when not required.");
    if (timeInForce !== '' && !['GTC', 'IOC', 'FOK'].includes(timeInForce))
      throw new ApiError(400, -1115, 'Invalid timeInForce.');
    if (type === 'LIMIT_MAKER') timeInForce = 'GTC';
    const price = type === 'MARKET' ? ZERO : decimalParam(params, 'price');
    if (type === 'MARKET' && params.has('price'))
      throw new ApiError(400, -1106, "Parameter 'price' sent when not required.");

    // Filters, in Binance's order.
    if (type !== 'MARKET' && (!price.isPositive() || !price.isMultipleOf(market.tick)))
      throw new ApiError(400, -1013, 'Filter failure: PRICE_FILTER');
    if (quantity.lt(market.minQty) || !quantity.isMultipleOf(market.step))
      throw new ApiError(400, -1013, 'Filter failure: LOT_SIZE');
    const reference = type === 'MARKET' ? this.touch(market, side) : price;
    if (reference?.mul(quantity).lt(market.minNotional))
      throw new ApiError(400, -1013, 'Filter failure: NOTIONAL');
    if (this.orders.some((o) => o.clientOrderId === clientOrderId && isOpen(o.status)))
      throw new ApiError(400, -2010, 'Duplicate order sent.');
    if (type === 'LIMIT_MAKER') {
      const touch = this.touch(market, side);
      if (touch !== undefined && (side === 'BUY' ? touch.lte(price) : touch.gte(price)))
        throw new ApiError(400, -2010, 'Order would immediately match and take.');
    }

    // Funds: what the order may spend is reserved up front.
    const sweep = this.plan(market, side, quantity, type === 'MARKET' ? undefined : price);
    const { base, quote } = market.spec;
    const reserve =
      side === 'SELL'
        ? quantity
        : type === 'MARKET'
          ? Decimal.sum(sweep.map(([p, q]) => p.mul(q)))
          : price.mul(quantity);
    const asset = side === 'BUY' ? quote : base;
    if ((account.free.get(asset) ?? ZERO).lt(reserve))
      throw new ApiError(400, -2010, 'Account has insufficient balance for requested action.');

    const order: ServerOrder = {
      account: account.spec.apiKey,
      symbol: market.spec.symbol,
      orderId: this.nextOrderId++,
      clientOrderId,
      side,
      type,
      timeInForce: type === 'MARKET' ? 'GTC' : timeInForce,
      price,
      origQty: quantity,
      executedQty: ZERO,
      cummulativeQuoteQty: ZERO,
      status: 'NEW',
      time: now,
      updateTime: now,
      locked: ZERO,
    };
    this.orders.push(order);
    this.lock(account, asset, reserve);
    order.locked = reserve;
    this.report(order, 'NEW', now);
    const fills: ServerTrade[] = [];
    const planned = Decimal.sum(sweep.map(([, q]) => q));
    const fok = timeInForce === 'FOK';
    if (type !== 'LIMIT_MAKER' && !(fok && planned.lt(quantity))) {
      for (const [p, q] of sweep) {
        this.consume(market, side, p, q);
        fills.push(this.fill(market, order, p, q, false, now));
      }
    }
    const rests = type !== 'MARKET' && timeInForce === 'GTC';
    if (order.status !== 'FILLED' && !rests) this.closeOrder(order, 'EXPIRED', now);
    this.pushDepth(market);
    if (this.hangOrderPosts > 0) {
      this.hangOrderPosts--;
      return HANG;
    }
    const respType =
      params.get('newOrderRespType') ?? (type === 'LIMIT' || type === 'MARKET' ? 'FULL' : 'ACK');
    if (respType === 'ACK')
      return {
        symbol: order.symbol,
        orderId: order.orderId,
        orderListId: -1,
        clientOrderId,
        transactTime: now,
      };
    const result = {
      ...this.orderJson(order),
      transactTime: now,
      workingTime: now,
      selfTradePreventionMode: 'NONE',
    };
    if (respType === 'RESULT') return result;
    return {
      ...result,
      fills: fills.map((t) => ({
        price: fmt(t.price),
        qty: fmt(t.qty),
        commission: fmt(t.commission),
        commissionAsset: t.commissionAsset,
        tradeId: t.id,
      })),
    };
  }

  private cancelOrder(account: Account, params: URLSearchParams, now: number): unknown {
    const market = this.marketOrInvalid(params.get('symbol'));
    const order = this.findOrder(account, market, params);
    if (order === undefined || !isOpen(order.status)) throw new ApiError(400, -2011, 'Unknown order sent.');
    const cancelId = params.get('newClientOrderId') ?? `cancel${this.nextOrderId++}`;
    this.closeOrder(order, 'CANCELED', now, cancelId);
    return {
      symbol: order.symbol,
      origClientOrderId: order.clientOrderId,
      orderId: order.orderId,
      orderListId: -1,
      clientOrderId: cancelId,
      transactTime: now,
      price: fmt(order.price),
      origQty: fmt(order.origQty),
      executedQty: fmt(order.executedQty),
      cummulativeQuoteQty: fmt(order.cummulativeQuoteQty),
      status: order.status,
      timeInForce: order.timeInForce,
      type: order.type,
      side: order.side,
      selfTradePreventionMode: 'NONE',
    };
  }

  private queryOrder(account: Account, params: URLSearchParams): unknown {
    const market = this.marketOrInvalid(params.get('symbol'));
    if (!params.has('orderId') && !params.has('origClientOrderId'))
      throw new ApiError(
        400,
        -1102,
        "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
      );
    const order = this.findOrder(account, market, params);
    if (order === undefined) throw new ApiError(400, -2013, 'Order does not exist.');
    return this.orderJson(order);
  }

  private openOrders(account: Account, params: URLSearchParams): unknown {
    const symbol = params.get('symbol');
    if (symbol !== null) this.marketOrInvalid(symbol);
    return this.orders
      .filter(
        (o) =>
          o.account === account.spec.apiKey && isOpen(o.status) && (symbol === null || o.symbol === symbol),
      )
      .map((o) => this.orderJson(o));
  }

  private myTrades(account: Account, params: URLSearchParams): unknown {
    const market = this.marketOrInvalid(params.get('symbol'));
    const orderId = params.get('orderId');
    const fromId = params.get('fromId');
    const startTime = params.get('startTime');
    const endTime = params.get('endTime');
    const limit = Math.min(Number(params.get('limit') ?? 500), 1000);
    let trades = this.trades.filter(
      (t) => t.account === account.spec.apiKey && t.symbol === market.spec.symbol,
    );
    if (orderId !== null) trades = trades.filter((t) => String(t.orderId) === orderId);
    if (fromId !== null) trades = trades.filter((t) => t.id >= Number(fromId));
    if (startTime !== null) trades = trades.filter((t) => t.time >= Number(startTime));
    if (endTime !== null) trades = trades.filter((t) => t.time <= Number(endTime));
    // Without fromId Binance returns the most recent trades.
    const page = fromId === null ? trades.slice(-limit) : trades.slice(0, limit);
    return page.map((t) => ({
      symbol: t.symbol,
      id: t.id,
      orderId: t.orderId,
      orderListId: -1,
      price: fmt(t.price),
      qty: fmt(t.qty),
      quoteQty: fmt(t.price.mul(t.qty)),
      commission: fmt(t.commission),
      commissionAsset: t.commissionAsset,
      time: t.time,
      isBuyer: t.isBuyer,
      isMaker: t.isMaker,
      isBestMatch: true,
    }));
  }

  private account(account: Account, now: number): unknown {
    const assets = [...new Set([...account.free.keys(), ...account.locked.keys()])].sort();
    const bp = (rate: Decimal) => Number(rate.mul(10000).toString());
    return {
      makerCommission: bp(this.makerRate),
      takerCommission: bp(this.takerRate),
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: {
        maker: fmt(this.makerRate),
        taker: fmt(this.takerRate),
        buyer: '0.00000000',
        seller: '0.00000000',
      },
      canTrade: true,
      canWithdraw: true,
      canDeposit: true,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: now,
      accountType: 'SPOT',
      balances: assets.map((asset) => ({
        asset,
        free: fmt(account.free.get(asset) ?? ZERO),
        locked: fmt(account.locked.get(asset) ?? ZERO),
      })),
      permissions: ['SPOT'],
      uid: 354937868,
    };
  }

  private orderJson(order: ServerOrder): Record<string, unknown> {
    return {
      symbol: order.symbol,
      orderId: order.orderId,
      orderListId: -1,
      clientOrderId: order.clientOrderId,
      price: fmt(order.price),
      origQty: fmt(order.origQty),
      executedQty: fmt(order.executedQty),
      cummulativeQuoteQty: fmt(order.cummulativeQuoteQty),
      status: order.status,
      timeInForce: order.timeInForce,
      type: order.type,
      side: order.side,
      stopPrice: '0.00000000',
      icebergQty: '0.00000000',
      time: order.time,
      updateTime: order.updateTime,
      isWorking: isOpen(order.status),
      workingTime: order.time,
      origQuoteOrderQty: '0.00000000',
      selfTradePreventionMode: 'NONE',
    };
  }

  /** By orderId, else by origClientOrderId (the latest order with that id, as ids may be reused once closed). */
  private findOrder(account: Account, market: Market, params: URLSearchParams): ServerOrder | undefined {
    const orderId = params.get('orderId');
    const clientId = params.get('origClientOrderId');
    const mine = this.orders.filter(
      (o) => o.account === account.spec.apiKey && o.symbol === market.spec.symbol,
    );
    if (orderId !== null) return mine.find((o) => String(o.orderId) === orderId);
    return mine.filter((o) => o.clientOrderId === clientId).at(-1);
  }

  // ── matching and money ───────────────────────────────────────────────────

  private touch(market: Market, side: Side): Decimal | undefined {
    return (side === 'BUY' ? market.asks[0] : market.bids[0])?.[0];
  }

  /** The slices a taker would get from the external book, never past `limit`. */
  private plan(
    market: Market,
    side: Side,
    quantity: Decimal,
    limit: Decimal | undefined,
  ): [Decimal, Decimal][] {
    const levels = side === 'BUY' ? market.asks : market.bids;
    const out: [Decimal, Decimal][] = [];
    let left = quantity;
    for (const [price, size] of levels) {
      if (!left.isPositive()) break;
      if (limit !== undefined && (side === 'BUY' ? price.gt(limit) : price.lt(limit))) break;
      const take = Decimal.min(size, left).roundToStep(market.step, 'down');
      if (!take.isPositive()) continue;
      out.push([price, take]);
      left = left.sub(take);
    }
    return out;
  }

  private consume(market: Market, takerSide: Side, price: Decimal, quantity: Decimal): void {
    const levels = takerSide === 'BUY' ? market.asks : market.bids;
    const i = levels.findIndex(([p]) => p.eq(price));
    if (i < 0) return;
    const left = (levels[i] as [Decimal, Decimal])[1].sub(quantity);
    if (left.isPositive()) (levels[i] as [Decimal, Decimal])[1] = left;
    else levels.splice(i, 1);
    market.updateId++;
  }

  private matchResting(market: Market): void {
    const resting = this.orders
      .filter((o) => o.symbol === market.spec.symbol && isOpen(o.status))
      .sort((a, b) =>
        a.side === b.side
          ? (a.side === 'BUY' ? b.price.cmp(a.price) : a.price.cmp(b.price)) || a.orderId - b.orderId
          : 0,
      );
    const now = Date.now();
    for (const order of resting) {
      let left = order.origQty.sub(order.executedQty);
      const levels = order.side === 'BUY' ? market.asks : market.bids;
      while (left.isPositive() && levels.length > 0) {
        const [price, size] = levels[0] as [Decimal, Decimal];
        if (order.side === 'BUY' ? price.gt(order.price) : price.lt(order.price)) break;
        const take = Decimal.min(size, left).roundToStep(market.step, 'down');
        if (!take.isPositive()) break;
        this.consume(market, order.side, price, take);
        this.fill(market, order, order.price, take, true, now);
        left = left.sub(take);
      }
    }
  }

  private fill(
    market: Market,
    order: ServerOrder,
    price: Decimal,
    qty: Decimal,
    isMaker: boolean,
    now: number,
  ): ServerTrade {
    const account = this.accounts.get(order.account) as Account;
    const { base, quote } = market.spec;
    const rate = isMaker ? this.makerRate : this.takerRate;
    const notional = price.mul(qty);
    let trade: ServerTrade;
    if (order.side === 'BUY') {
      // The reservation was at the limit (or the planned sweep for a market buy): release this slice of it.
      const reserved = order.type === 'MARKET' ? notional : order.price.mul(qty);
      this.unlock(account, quote, reserved);
      order.locked = order.locked.sub(reserved);
      this.add(account, quote, notional.neg());
      const commission = qty.mul(rate).roundToStep('0.00000001', 'up');
      this.add(account, base, qty.sub(commission));
      trade = this.trade(order, price, qty, commission, base, isMaker, now);
    } else {
      this.unlock(account, base, qty);
      order.locked = order.locked.sub(qty);
      this.add(account, base, qty.neg());
      const commission = notional.mul(rate).roundToStep('0.00000001', 'up');
      this.add(account, quote, notional.sub(commission));
      trade = this.trade(order, price, qty, commission, quote, isMaker, now);
    }
    order.executedQty = order.executedQty.add(qty);
    order.cummulativeQuoteQty = order.cummulativeQuoteQty.add(notional);
    order.status = order.executedQty.eq(order.origQty) ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = now;
    if (order.status === 'FILLED' && order.locked.isPositive()) {
      this.unlock(account, order.side === 'BUY' ? quote : base, order.locked);
      order.locked = ZERO;
    }
    this.report(order, 'TRADE', now, undefined, trade);
    this.pushTrade(market, trade, order.side);
    return trade;
  }

  private trade(
    order: ServerOrder,
    price: Decimal,
    qty: Decimal,
    commission: Decimal,
    commissionAsset: string,
    isMaker: boolean,
    now: number,
  ): ServerTrade {
    const trade: ServerTrade = {
      account: order.account,
      symbol: order.symbol,
      id: this.nextTradeId++,
      orderId: order.orderId,
      price,
      qty,
      commission,
      commissionAsset,
      time: now,
      isBuyer: order.side === 'BUY',
      isMaker,
    };
    this.trades.push(trade);
    return trade;
  }

  private closeOrder(
    order: ServerOrder,
    status: 'CANCELED' | 'EXPIRED',
    now: number,
    cancelClientId?: string,
  ): void {
    const account = this.accounts.get(order.account) as Account;
    const market = this.markets.get(order.symbol) as Market;
    this.unlock(account, order.side === 'BUY' ? market.spec.quote : market.spec.base, order.locked);
    order.locked = ZERO;
    order.status = status;
    order.updateTime = now;
    this.report(order, status, now, cancelClientId);
  }

  private lock(account: Account, asset: string, amount: Decimal): void {
    this.add(account, asset, amount.neg());
    account.locked.set(asset, (account.locked.get(asset) ?? ZERO).add(amount));
  }

  private unlock(account: Account, asset: string, amount: Decimal): void {
    account.locked.set(asset, (account.locked.get(asset) ?? ZERO).sub(amount));
    this.add(account, asset, amount);
  }

  private add(account: Account, asset: string, amount: Decimal): void {
    account.free.set(asset, (account.free.get(asset) ?? ZERO).add(amount));
  }

  private market(symbol: string): Market {
    const market = this.markets.get(symbol);
    if (market === undefined) throw new Error(`no symbol ${symbol} on this server`);
    return market;
  }

  private marketOrInvalid(symbol: string | null): Market {
    if (symbol === null)
      throw new ApiError(
        400,
        -1102,
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
      );
    const market = this.markets.get(symbol);
    if (market === undefined) throw new ApiError(400, -1121, 'Invalid symbol.');
    return market;
  }

  // ── WebSocket API: user data ─────────────────────────────────────────────

  private onWsApi(ws: WebSocket): void {
    ws.on('message', (data) => {
      let message: { id?: unknown; method?: unknown; params?: Record<string, unknown> };
      try {
        message = JSON.parse(String(data));
      } catch {
        ws.send(JSON.stringify({ id: null, status: 400, error: { code: -1000, msg: 'bad JSON' } }));
        return;
      }
      const id = message.id ?? null;
      const answer = (status: number, body: Record<string, unknown>) =>
        ws.send(JSON.stringify({ id, status, ...body }));
      switch (message.method) {
        case 'ping':
          answer(200, { result: {} });
          return;
        case 'time':
          answer(200, { result: { serverTime: Date.now() } });
          return;
        case 'userDataStream.subscribe.signature': {
          const params = message.params ?? {};
          const account = this.accounts.get(String(params.apiKey));
          if (account === undefined) {
            answer(401, { error: { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' } });
            return;
          }
          const payload = Object.keys(params)
            .filter((k) => k !== 'signature')
            .sort()
            .map((k) => `${k}=${String(params[k])}`)
            .join('&');
          const expected = createHmac('sha256', account.spec.secret).update(payload).digest('hex');
          if (params.signature !== expected) {
            this.counters.badSignatures++;
            answer(400, { error: { code: -1022, msg: 'Signature for this request is not valid.' } });
            return;
          }
          const subscriptionId = this.nextSubscriptionId++;
          const stream: UserStream = { socket: ws, account: account.spec.apiKey, subscriptionId };
          this.userStreams.add(stream);
          this.counters.userStreamConnections++;
          ws.on('close', () => this.userStreams.delete(stream));
          answer(200, { result: { subscriptionId } });
          return;
        }
        default:
          answer(400, { error: { code: -1013, msg: `unknown method ${String(message.method)}` } });
      }
    });
  }

  /** One executionReport to every user-data subscription of the order's account. */
  private report(
    order: ServerOrder,
    execution: string,
    now: number,
    cancelClientId?: string,
    trade?: ServerTrade,
  ): void {
    const event = {
      e: 'executionReport',
      E: now,
      s: order.symbol,
      c: cancelClientId ?? order.clientOrderId,
      S: order.side,
      o: order.type,
      f: order.timeInForce,
      q: fmt(order.origQty),
      p: fmt(order.price),
      P: '0.00000000',
      F: '0.00000000',
      g: -1,
      C: cancelClientId === undefined ? '' : order.clientOrderId,
      x: execution,
      X: order.status,
      r: 'NONE',
      i: order.orderId,
      l: trade === undefined ? '0.00000000' : fmt(trade.qty),
      z: fmt(order.executedQty),
      L: trade === undefined ? '0.00000000' : fmt(trade.price),
      n: trade === undefined ? '0' : fmt(trade.commission),
      N: trade === undefined ? null : trade.commissionAsset,
      T: now,
      t: trade === undefined ? -1 : trade.id,
      v: 0,
      I: 0,
      w: order.status === 'NEW' || order.status === 'PARTIALLY_FILLED',
      m: trade?.isMaker ?? false,
      M: false,
      O: order.time,
      Z: fmt(order.cummulativeQuoteQty),
      Y: trade === undefined ? '0.00000000' : fmt(trade.price.mul(trade.qty)),
      Q: '0.00000000',
      W: order.time,
      V: 'NONE',
    };
    for (const stream of this.userStreams) {
      if (stream.account !== order.account) continue;
      stream.socket.send(JSON.stringify({ subscriptionId: stream.subscriptionId, event }));
    }
  }

  // ── market streams ───────────────────────────────────────────────────────

  private onMarketStream(ws: WebSocket): void {
    const subscribed = new Set<string>();
    this.marketStreams.set(ws, subscribed);
    ws.on('close', () => this.marketStreams.delete(ws));
    ws.on('message', (data) => {
      let message: { id?: unknown; method?: unknown; params?: unknown };
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      const streams = Array.isArray(message.params) ? message.params.map(String) : [];
      if (message.method === 'SUBSCRIBE') for (const s of streams) subscribed.add(s);
      else if (message.method === 'UNSUBSCRIBE') for (const s of streams) subscribed.delete(s);
      ws.send(JSON.stringify({ result: null, id: message.id ?? null }));
    });
  }

  /** Sends what changed since the last push as one `depthUpdate` (U = last pushed id + 1, u = current id). */
  private pushDepth(market: Market): void {
    if (market.updateId === market.pushed.id) return;
    const now = Date.now();
    const side = (levels: [Decimal, Decimal][], before: Map<string, string>) => {
      const after = new Map(levels.map(([p, q]) => [fmt(p), fmt(q)]));
      const changes: [string, string][] = [];
      for (const [p, q] of after) if (before.get(p) !== q) changes.push([p, q]);
      for (const p of before.keys()) if (!after.has(p)) changes.push([p, '0.00000000']);
      return { after, changes };
    };
    const bids = side(market.bids, market.pushed.bids);
    const asks = side(market.asks, market.pushed.asks);
    const symbol = market.spec.symbol;
    const event = {
      e: 'depthUpdate',
      E: now,
      s: symbol,
      U: market.pushed.id + 1,
      u: market.updateId,
      b: bids.changes,
      a: asks.changes,
    };
    market.pushed = { bids: bids.after, asks: asks.after, id: market.updateId };
    this.broadcast((name) => name.startsWith(`${symbol.toLowerCase()}@depth`), event);
  }

  private pushTrade(market: Market, trade: ServerTrade, takerSide: Side): void {
    const symbol = market.spec.symbol;
    this.broadcast((name) => name === `${symbol.toLowerCase()}@trade`, {
      e: 'trade',
      E: trade.time,
      s: symbol,
      t: trade.id,
      p: fmt(trade.price),
      q: fmt(trade.qty),
      T: trade.time,
      m: takerSide === 'SELL',
      M: true,
    });
  }

  private broadcast(wants: (stream: string) => boolean, event: unknown): void {
    for (const [ws, streams] of this.marketStreams) {
      if ([...streams].some(wants)) ws.send(JSON.stringify(event));
    }
  }
}

const HANG = Symbol('hang');

function isOpen(status: Status): boolean {
  return status === 'NEW' || status === 'PARTIALLY_FILLED';
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '')
    throw new ApiError(
      400,
      -1102,
      `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`,
    );
  return value;
}

function decimalParam(params: URLSearchParams, name: string): Decimal {
  const text = required(params, name);
  if (!/^\d+(\.\d+)?$/.test(text))
    throw new ApiError(
      400,
      -1100,
      `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`,
    );
  return Decimal.from(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
