/**
 * A loopback Hyperliquid server that speaks Hyperliquid's own wire format (spot), so the
 * ccxt venue is tested against what ccxt's `hyperliquid` client really sends and parses.
 *
 * REST: `POST /info` with `{type, ...}` — spotMetaAndAssetCtxs, spotMeta, metaAndAssetCtxs,
 * meta, perpDexs, exchangeStatus (server time), l2Book, openOrders / frontendOpenOrders,
 * orderStatus (by oid or 128-bit hex cloid), userFills / userFillsByTime,
 * spotClearinghouseState, clearinghouseState, userAbstraction, recentTrades.
 * `POST /exchange` with `{action, nonce, signature: {r, s, v}, vaultAddress?}`: order
 * (`{a, b, p, s, r, t: {limit: {tif}}, c?}`), cancel (`{a, o}`), cancelByCloid
 * (`{asset, cloid}`), scheduleCancel (the dead-man switch: at `time` every open order of the
 * user is canceled with status `scheduledCancel`; without `time` it is unset),
 * approveBuilderFee, setReferrer. Every L1 action's signature is verified the way the
 * exchange does: the action is msgpack-encoded, followed by the nonce (8 bytes, big endian)
 * and the vault flag, keccak-hashed into the `connectionId` of a phantom `Agent` message
 * (EIP-712, domain `Exchange` / chain 1337), and the signer recovered (viem) must be the
 * user or one of the user's API wallets. Nonces must be unique per signer and within a
 * window of the server's clock.
 * WebSocket (`/ws`): `{method: 'subscribe', subscription: {type, ...}}` for l2Book, trades,
 * orderUpdates and userFills (a snapshot of the user's fills first, `isSnapshot: true`, as
 * the exchange does: a client that reconnects gets what it missed), `{method: 'ping'}`.
 *
 * Matching: taker orders walk an external book (`setBook`) and consume it; resting orders
 * fill as makers at their limit when a new book crosses them. Prices follow Hyperliquid's
 * rule (at most 5 significant figures and 8 − szDecimals decimals; integers always allowed),
 * sizes are multiples of 10^−szDecimals, an order is worth at least $10. Spot balances have
 * `total` and `hold`; fees are charged in the quote token.
 *
 * Faults, all counted: /exchange order actions processed but never answered (the client
 * times out after acceptance), 429 bursts (a request inside the penalty window after the
 * grace period is a violation; violations earn a ban), and every WebSocket cut (events
 * while cut off are lost, as on the real exchange).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Hex, hexToBytes, keccak256, recoverTypedDataAddress, serializeSignature } from 'viem';
import { type WebSocket, WebSocketServer } from 'ws';
import { Decimal } from '../../../src/core/index.ts';

export interface HlSpotSpec {
  /** The market's name on the wire (`@1`, or `PURR/USDC` for the first one). */
  readonly name: string;
  /** Token names; ccxt maps e.g. UBTC → BTC (`spotCurrencyMapping`). */
  readonly base: string;
  readonly quote: string;
  readonly szDecimals: number;
  /** Mid price shown in the asset contexts (ccxt derives the price precision from it). */
  readonly midPx: string;
}

export interface HlAccountSpec {
  /** The user's (main wallet's) address. */
  readonly user: Hex;
  /** Addresses of the user's approved API wallets. */
  readonly agents: readonly Hex[];
  readonly balances: Readonly<Record<string, string>>;
}

export interface HyperliquidServerOptions {
  readonly markets: readonly HlSpotSpec[];
  readonly accounts: readonly HlAccountSpec[];
  /** Taker / maker fee rates (default 0), charged in the quote token. */
  readonly takerFee?: string;
  readonly makerFee?: string;
  /** Added to the server's clock (its time answers and nonce checks): a client clock off by −skew. */
  readonly clockSkewMs?: number;
  /** How far a nonce may be from the server's clock (default: the exchange's 2 days back, 1 day ahead). */
  readonly nonceBehindMs?: number;
  readonly nonceAheadMs?: number;
  /** A scheduled cancel must be at least this far ahead (default 5000 ms, the exchange's rule). */
  readonly scheduleCancelMinDelayMs?: number;
  /** Penalty window after a 429 (default 1000 ms); requests inside it after `graceMs` are violations. */
  readonly penaltyMs?: number;
  readonly graceMs?: number;
  readonly banAfterViolations?: number;
  readonly banMs?: number;
}

export type HlStatus =
  | 'open'
  | 'filled'
  | 'canceled'
  | 'scheduledCancel'
  | 'rejected'
  | 'iocCancelRejected'
  | 'badAloPxRejected';

export interface HlOrder {
  readonly user: string;
  readonly coin: string;
  readonly asset: number;
  readonly oid: number;
  readonly cloid: string | undefined;
  readonly side: 'B' | 'A';
  readonly limitPx: Decimal;
  readonly origSz: Decimal;
  sz: Decimal;
  readonly tif: 'Gtc' | 'Ioc' | 'Alo';
  readonly timestamp: number;
  status: HlStatus;
  statusTimestamp: number;
  /** What the order still holds (quote for a buy, base for a sell). */
  hold: Decimal;
}

export interface HlFill {
  readonly user: string;
  readonly coin: string;
  readonly px: Decimal;
  readonly sz: Decimal;
  readonly side: 'B' | 'A';
  readonly time: number;
  readonly oid: number;
  readonly tid: number;
  readonly crossed: boolean;
  readonly fee: Decimal;
  readonly feeToken: string;
  readonly cloid: string | undefined;
}

export interface HlCounters {
  requests: number;
  /** Requests per `info:<type>` / `exchange:<action type>`. */
  readonly byType: Map<string, number>;
  /** Order actions per cloid (answered or not). */
  readonly orderPosts: Map<string, number>;
  http429: number;
  bans: number;
  violations: number;
  badSignatures: number;
  badNonces: number;
  wsConnections: number;
  /** Scheduled cancels armed, and how many orders they canceled when they fired. */
  scheduleCancelsArmed: number;
  scheduledCancelsFired: number;
  ordersCanceledBySchedule: number;
}

interface Account {
  readonly spec: HlAccountSpec;
  readonly total: Map<string, Decimal>;
  readonly hold: Map<string, Decimal>;
  scheduledCancel: { at: number; timer: NodeJS.Timeout } | undefined;
}

interface Market {
  readonly spec: HlSpotSpec;
  readonly index: number;
  readonly asset: number;
  readonly lot: Decimal;
  bids: [Decimal, Decimal][];
  asks: [Decimal, Decimal][];
}

interface WsClient {
  readonly socket: WebSocket;
  readonly books: Set<string>;
  readonly trades: Set<string>;
  readonly orderUsers: Set<string>;
  readonly fillUsers: Set<string>;
}

class HlError extends Error {}

const ZERO = Decimal.ZERO;
const HANG = Symbol('hang');
const MIN_VALUE = Decimal.from('10');

/** Hyperliquid's number format: no trailing zeros, no exponent. */
function fmt(value: Decimal): string {
  return value.toString();
}

export class HyperliquidServer {
  readonly counters: HlCounters = {
    requests: 0,
    byType: new Map(),
    orderPosts: new Map(),
    http429: 0,
    bans: 0,
    violations: 0,
    badSignatures: 0,
    badNonces: 0,
    wsConnections: 0,
    scheduleCancelsArmed: 0,
    scheduledCancelsFired: 0,
    ordersCanceledBySchedule: 0,
  };
  readonly orders: HlOrder[] = [];
  readonly fills: HlFill[] = [];
  /** Added to the server's clock (its `time` answers and nonce checks). */
  clockSkewMs = 0;
  port = 0;
  private readonly markets: Market[] = [];
  private readonly byCoin = new Map<string, Market>();
  private readonly accounts = new Map<string, Account>();
  /** API wallet (or user) address, lowercase → user address, lowercase. */
  private readonly signers = new Map<string, string>();
  private readonly nonces = new Map<string, Set<number>>();
  private readonly takerFee: Decimal;
  private readonly makerFee: Decimal;
  private readonly options: HyperliquidServerOptions;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<WsClient>();
  private nextOid = 7_000_000;
  private nextTid = 900_000;
  private burstLeft = 0;
  private penalty: { sentAt: number; until: number } | undefined;
  private bannedUntil = 0;
  private hangOrders = 0;
  private wsRefused = false;
  private readonly hung: ServerResponse[] = [];

  private constructor(options: HyperliquidServerOptions) {
    this.options = options;
    this.clockSkewMs = options.clockSkewMs ?? 0;
    this.takerFee = Decimal.from(options.takerFee ?? '0');
    this.makerFee = Decimal.from(options.makerFee ?? '0');
    for (const [index, spec] of options.markets.entries()) this.addMarketSpec(spec, index);
    for (const spec of options.accounts) {
      const total = new Map<string, Decimal>();
      for (const [token, amount] of Object.entries(spec.balances)) total.set(token, Decimal.from(amount));
      const user = spec.user.toLowerCase();
      this.accounts.set(user, { spec, total, hold: new Map(), scheduledCancel: undefined });
      this.signers.set(user, user);
      for (const agent of spec.agents) this.signers.set(agent.toLowerCase(), user);
    }
    this.http = createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.send(res, 500, { status: 'err', response: String(err) });
      });
    });
    this.http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      if (this.wsRefused || new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
        socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onWs(ws));
    });
  }

  static async start(options: HyperliquidServerOptions): Promise<HyperliquidServer> {
    const server = new HyperliquidServer(options);
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    server.port = (server.http.address() as AddressInfo).port;
    return server;
  }

  /** The `urls.api` entries to give ccxt's hyperliquid so it talks to this server. */
  ccxtUrls(): Record<string, unknown> {
    const http = `http://127.0.0.1:${this.port}`;
    return { public: http, private: http, ws: { public: `ws://127.0.0.1:${this.port}/ws` } };
  }

  async close(): Promise<void> {
    for (const account of this.accounts.values()) clearTimeout(account.scheduledCancel?.timer);
    for (const res of this.hung) res.destroy();
    for (const ws of this.wss.clients) ws.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  now(): number {
    return Date.now() + this.clockSkewMs;
  }

  // ── test controls ────────────────────────────────────────────────────────

  /** Lists a new spot market (it appears in the next spotMeta answer). */
  addMarket(spec: HlSpotSpec): void {
    this.addMarketSpec(spec, this.markets.length);
  }

  /** Replaces the external book of a coin (best first); resting orders it crosses fill as makers. */
  setBook(
    coin: string,
    bids: readonly (readonly [number | string, number | string])[],
    asks: typeof bids,
  ): void {
    const market = this.market(coin);
    const levels = (side: typeof bids) =>
      side.map(([p, q]) => [Decimal.from(p), Decimal.from(q)] as [Decimal, Decimal]);
    market.bids = levels(bids).sort((a, b) => b[0].cmp(a[0]));
    market.asks = levels(asks).sort((a, b) => a[0].cmp(b[0]));
    this.matchResting(market);
    this.pushBook(market);
  }

  /** The next `count` order actions are processed (the order is placed) but never answered. */
  hangOrderResponses(count: number): void {
    this.hangOrders += count;
  }

  /** The next `count` requests get HTTP 429. */
  burst429(count: number): void {
    this.burstLeft += count;
  }

  /** Cuts every WebSocket and refuses new ones until `resumeWebSockets()`; events meanwhile are lost. */
  suspendWebSockets(): void {
    this.wsRefused = true;
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
  }

  resumeWebSockets(): void {
    this.wsRefused = false;
  }

  /** Connections subscribed to a user's order updates right now. */
  orderStreamCount(): number {
    return [...this.clients].filter((c) => c.orderUsers.size > 0).length;
  }

  /** Whether some connection is subscribed to a coin's public trades. */
  tradesSubscribed(coin: string): boolean {
    return [...this.clients].some((c) => c.trades.has(coin));
  }

  openOrdersOf(user: string): HlOrder[] {
    return this.orders.filter((o) => o.user === user.toLowerCase() && o.status === 'open');
  }

  ordersByCloid(cloid: string): HlOrder[] {
    return this.orders.filter((o) => o.cloid === cloid.toLowerCase());
  }

  /** When the user's scheduled cancel fires (server clock), if one is armed. */
  scheduledCancelAt(user: string): number | undefined {
    return this.accounts.get(user.toLowerCase())?.scheduledCancel?.at;
  }

  balance(user: string, token: string): { total: Decimal; hold: Decimal } {
    const account = this.accounts.get(user.toLowerCase());
    return { total: account?.total.get(token) ?? ZERO, hold: account?.hold.get(token) ?? ZERO };
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const raw = await readBody(req);
    this.counters.requests++;
    const now = Date.now();
    if (now < this.bannedUntil) {
      this.send(res, 429, null);
      return;
    }
    if (
      this.penalty !== undefined &&
      now < this.penalty.until &&
      now - this.penalty.sentAt > this.graceMs()
    ) {
      this.counters.violations++;
      if (this.counters.violations >= (this.options.banAfterViolations ?? 1)) {
        this.counters.bans++;
        this.bannedUntil = now + (this.options.banMs ?? 60_000);
        this.send(res, 429, null);
        return;
      }
    }
    if (this.burstLeft > 0) {
      this.burstLeft--;
      this.counters.http429++;
      this.penalty = { sentAt: now, until: now + (this.options.penaltyMs ?? 1000) };
      this.send(res, 429, null);
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      this.send(res, 422, 'Failed to deserialize the JSON body into the target type');
      return;
    }
    try {
      if (req.method === 'POST' && path === '/info') {
        const type = String(body.type);
        this.count(`info:${type}`);
        this.send(res, 200, this.info(type, body));
        return;
      }
      if (req.method === 'POST' && path === '/exchange') {
        const result = await this.exchange(body);
        if (result === HANG) {
          this.hung.push(res);
          return;
        }
        this.send(res, 200, result);
        return;
      }
      this.send(res, 404, null);
    } catch (err) {
      if (err instanceof HlError) this.send(res, 200, { status: 'err', response: err.message });
      else throw err;
    }
  }

  private graceMs(): number {
    return this.options.graceMs ?? 200;
  }

  private count(key: string): void {
    this.counters.byType.set(key, (this.counters.byType.get(key) ?? 0) + 1);
  }

  private send(res: ServerResponse, status: number, payload: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(payload));
  }

  // ── /info ────────────────────────────────────────────────────────────────

  private info(type: string, body: Record<string, unknown>): unknown {
    const user = typeof body.user === 'string' ? body.user.toLowerCase() : '';
    switch (type) {
      case 'exchangeStatus':
        return { time: this.now(), specialStatuses: null };
      case 'spotMeta':
        return this.spotMeta();
      case 'spotMetaAndAssetCtxs':
        return [
          this.spotMeta(),
          this.markets.map((m) => ({
            coin: m.spec.name,
            dayNtlVlm: '0.0',
            markPx: m.spec.midPx,
            midPx: m.spec.midPx,
            prevDayPx: m.spec.midPx,
            circulatingSupply: '0.0',
            totalSupply: '0.0',
            dayBaseVlm: '0.0',
          })),
        ];
      case 'meta':
        return { universe: [], marginTables: [] };
      case 'metaAndAssetCtxs':
        return [{ universe: [], marginTables: [] }, []];
      case 'perpDexs':
        return [null];
      case 'userAbstraction':
        return 'disabled';
      case 'l2Book': {
        const market = this.market(String(body.coin));
        const level = ([px, sz]: [Decimal, Decimal]) => ({ px: fmt(px), sz: fmt(sz), n: 1 });
        return {
          coin: market.spec.name,
          time: this.now(),
          levels: [market.bids.slice(0, 20).map(level), market.asks.slice(0, 20).map(level)],
        };
      }
      case 'openOrders':
      case 'frontendOpenOrders':
        return this.orders
          .filter((o) => o.user === user && o.status === 'open')
          .map((o) => this.wireOrder(o, type === 'frontendOpenOrders'));
      case 'orderStatus': {
        const oid = body.oid;
        const order = this.orders.find(
          (o) =>
            o.user === user &&
            (typeof oid === 'number' ? o.oid === oid : o.cloid === String(oid).toLowerCase()),
        );
        if (order === undefined) return { status: 'unknownOid' };
        return {
          status: 'order',
          order: {
            order: this.wireOrder(order, true),
            status: order.status,
            statusTimestamp: order.statusTimestamp,
          },
        };
      }
      case 'userFills':
        return this.fills
          .filter((f) => f.user === user)
          .slice(-2000)
          .reverse()
          .map((f) => this.wireFill(f));
      case 'userFillsByTime': {
        const start = Number(body.startTime ?? 0);
        const end = body.endTime === undefined ? Number.POSITIVE_INFINITY : Number(body.endTime);
        return this.fills
          .filter((f) => f.user === user && f.time >= start && f.time <= end)
          .slice(0, 2000)
          .map((f) => this.wireFill(f));
      }
      case 'spotClearinghouseState': {
        const account = this.accounts.get(user);
        if (account === undefined) return { balances: [] };
        return {
          balances: [...account.total.entries()].map(([coin, total]) => ({
            coin,
            token: this.tokenIndex(coin),
            total: fmt(total),
            hold: fmt(account.hold.get(coin) ?? ZERO),
            entryNtl: '0.0',
          })),
        };
      }
      case 'clearinghouseState':
        return {
          marginSummary: {
            accountValue: '0.0',
            totalNtlPos: '0.0',
            totalRawUsd: '0.0',
            totalMarginUsed: '0.0',
          },
          crossMarginSummary: {
            accountValue: '0.0',
            totalNtlPos: '0.0',
            totalRawUsd: '0.0',
            totalMarginUsed: '0.0',
          },
          crossMaintenanceMarginUsed: '0.0',
          withdrawable: '0.0',
          assetPositions: [],
          time: this.now(),
        };
      default:
        throw new HlError(`Unknown request type ${type}`);
    }
  }

  private tokens(): string[] {
    const names: string[] = [];
    for (const m of this.markets)
      for (const t of [m.spec.quote, m.spec.base]) if (!names.includes(t)) names.push(t);
    return names;
  }

  private tokenIndex(name: string): number {
    return this.tokens().indexOf(name);
  }

  private spotMeta(): unknown {
    const tokens = this.tokens();
    const szOf = (name: string) =>
      this.markets.find((m) => m.spec.base === name)?.spec.szDecimals ?? (name === 'USDC' ? 8 : 2);
    return {
      tokens: tokens.map((name, index) => ({
        name,
        szDecimals: szOf(name),
        weiDecimals: 8,
        index,
        tokenId: `0x${index.toString(16).padStart(32, '0')}`,
        isCanonical: index === 0,
        evmContract: null,
        fullName: null,
      })),
      universe: this.markets.map((m) => ({
        name: m.spec.name,
        tokens: [tokens.indexOf(m.spec.base), tokens.indexOf(m.spec.quote)],
        index: m.index,
        isCanonical: m.spec.name.includes('/'),
      })),
    };
  }

  private wireOrder(o: HlOrder, frontend: boolean): Record<string, unknown> {
    const base: Record<string, unknown> = {
      coin: o.coin,
      side: o.side,
      limitPx: fmt(o.limitPx),
      sz: fmt(o.sz),
      oid: o.oid,
      timestamp: o.timestamp,
      origSz: fmt(o.origSz),
    };
    if (o.cloid !== undefined) base.cloid = o.cloid;
    if (!frontend) return base;
    return {
      ...base,
      triggerCondition: 'N/A',
      isTrigger: false,
      triggerPx: '0.0',
      children: [],
      isPositionTpsl: false,
      reduceOnly: false,
      orderType: 'Limit',
      tif: o.tif,
    };
  }

  private wireFill(f: HlFill): Record<string, unknown> {
    const out: Record<string, unknown> = {
      coin: f.coin,
      px: fmt(f.px),
      sz: fmt(f.sz),
      side: f.side,
      time: f.time,
      startPosition: '0.0',
      dir: f.side === 'B' ? 'Buy' : 'Sell',
      closedPnl: '0.0',
      hash: `0x${f.tid.toString(16).padStart(64, '0')}`,
      oid: f.oid,
      crossed: f.crossed,
      fee: fmt(f.fee),
      tid: f.tid,
      feeToken: f.feeToken,
    };
    if (f.cloid !== undefined) out.cloid = f.cloid;
    return out;
  }

  // ── /exchange ────────────────────────────────────────────────────────────

  private async exchange(body: Record<string, unknown>): Promise<unknown> {
    const action = body.action as Record<string, unknown> | undefined;
    const nonce = body.nonce;
    const type = String(action?.type);
    this.count(`exchange:${type}`);
    if (action === undefined || typeof nonce !== 'number') throw new HlError('Invalid request');
    // User-signed actions (builder fee approval) need the main wallet's signature; an API
    // wallet's is refused, as on the exchange.
    if (type === 'approveBuilderFee') throw new HlError('Must be signed by the user, not an API wallet');
    const user = await this.signer(action, nonce, body);
    switch (type) {
      case 'setReferrer':
        return { status: 'ok', response: { type: 'default' } };
      case 'order':
        return this.placeOrders(user, action);
      case 'cancel':
      case 'cancelByCloid':
        return this.cancelOrders(user, type, action);
      case 'scheduleCancel':
        return this.scheduleCancel(user, action);
      default:
        throw new HlError(`Unknown action ${type}`);
    }
  }

  /** Verifies the L1 action's signature and nonce; returns the user it acts for. */
  private async signer(action: unknown, nonce: number, body: Record<string, unknown>): Promise<Account> {
    const sig = body.signature as { r?: string; s?: string; v?: number } | undefined;
    if (sig?.r === undefined || sig.s === undefined || sig.v === undefined) {
      this.counters.badSignatures++;
      throw new HlError('Missing signature');
    }
    const vault = typeof body.vaultAddress === 'string' ? body.vaultAddress : undefined;
    const parts = [msgpack(action), u64(nonce)];
    if (vault === undefined) parts.push(Uint8Array.of(0));
    else parts.push(Uint8Array.of(1), hexToBytes(vault as Hex));
    const connectionId = keccak256(concat(parts));
    let address: string;
    try {
      address = await recoverTypedDataAddress({
        domain: {
          chainId: 1337,
          name: 'Exchange',
          verifyingContract: '0x0000000000000000000000000000000000000000',
          version: '1',
        },
        types: {
          Agent: [
            { name: 'source', type: 'string' },
            { name: 'connectionId', type: 'bytes32' },
          ],
        },
        primaryType: 'Agent',
        message: { source: 'a', connectionId },
        signature: serializeSignature({ r: sig.r as Hex, s: sig.s as Hex, v: BigInt(sig.v) }),
      });
    } catch {
      this.counters.badSignatures++;
      throw new HlError('Invalid signature');
    }
    const signer = address.toLowerCase();
    const userAddress = this.signers.get(signer);
    const account = userAddress === undefined ? undefined : this.accounts.get(userAddress);
    if (account === undefined) {
      this.counters.badSignatures++;
      throw new HlError(`User or API Wallet ${signer} does not exist.`);
    }
    const now = this.now();
    if (
      nonce < now - (this.options.nonceBehindMs ?? 2 * 86_400_000) ||
      nonce > now + (this.options.nonceAheadMs ?? 86_400_000)
    ) {
      this.counters.badNonces++;
      throw new HlError(`Invalid nonce: nonce ${nonce} is too far from the current time ${now}`);
    }
    const used = this.nonces.get(signer) ?? new Set<number>();
    if (used.has(nonce)) {
      this.counters.badNonces++;
      throw new HlError('Invalid nonce: duplicate nonce');
    }
    used.add(nonce);
    this.nonces.set(signer, used);
    return account;
  }

  private placeOrders(account: Account, action: Record<string, unknown>): unknown {
    const wire = action.orders as Record<string, unknown>[];
    const statuses: unknown[] = [];
    let hang = false;
    for (const o of wire) {
      const cloid = typeof o.c === 'string' ? o.c.toLowerCase() : undefined;
      if (cloid !== undefined)
        this.counters.orderPosts.set(cloid, (this.counters.orderPosts.get(cloid) ?? 0) + 1);
      if (this.hangOrders > 0) {
        this.hangOrders--;
        hang = true;
      }
      try {
        statuses.push(this.placeOne(account, o, cloid));
      } catch (err) {
        if (!(err instanceof HlError)) throw err;
        statuses.push({ error: err.message });
      }
    }
    if (hang) return HANG;
    return { status: 'ok', response: { type: 'order', data: { statuses } } };
  }

  private placeOne(account: Account, o: Record<string, unknown>, cloid: string | undefined): unknown {
    const asset = Number(o.a);
    const market = this.markets.find((m) => m.asset === asset);
    if (market === undefined) throw new HlError(`Invalid asset ${asset}`);
    const limit = (o.t as { limit?: { tif?: string } } | undefined)?.limit;
    const tif = limit?.tif;
    if (tif !== 'Gtc' && tif !== 'Ioc' && tif !== 'Alo')
      throw new HlError(`Invalid TIF ${String(tif)}. asset=${asset}`);
    const px = Decimal.tryFrom(o.p);
    const sz = Decimal.tryFrom(o.s);
    if (px === undefined || !px.isPositive())
      throw new HlError(`Price must be divisible by tick size. asset=${asset}`);
    if (sz === undefined || sz.isZero()) throw new HlError(`Order has zero size. asset=${asset}`);
    if (!sz.isMultipleOf(market.lot)) throw new HlError(`Order has invalid size. asset=${asset}`);
    if (!validPrice(px, market.spec.szDecimals))
      throw new HlError(`Price must be divisible by tick size. asset=${asset}`);
    if (px.mul(sz).lt(MIN_VALUE)) throw new HlError(`Order must have minimum value of $10. asset=${asset}`);
    if (
      cloid !== undefined &&
      this.orders.some((x) => x.user === account.spec.user.toLowerCase() && x.cloid === cloid)
    )
      throw new HlError(`Duplicate cloid ${cloid}. asset=${asset}`);
    const buy = o.b === true;
    const { base, quote } = market.spec;
    // Spot: a buy holds quote at its limit, a sell holds base.
    const need = buy ? px.mul(sz) : sz;
    const token = buy ? quote : base;
    const free = (account.total.get(token) ?? ZERO).sub(account.hold.get(token) ?? ZERO);
    if (free.lt(need)) throw new HlError(`Insufficient spot balance asset=${asset}`);
    const crossing = buy ? market.asks : market.bids;
    const crosses = crossing.length > 0 && (buy ? px.gte(crossing[0]![0]) : px.lte(crossing[0]![0]));
    if (tif === 'Alo' && crosses) {
      const bbo = `${fmt(market.bids[0]?.[0] ?? ZERO)}@${fmt(market.asks[0]?.[0] ?? ZERO)}`;
      throw new HlError(`Post only order would have immediately matched, bbo was ${bbo}. asset=${asset}`);
    }
    if (tif === 'Ioc' && !crosses)
      throw new HlError(`Order could not immediately match against any resting orders. asset=${asset}`);
    const now = this.now();
    const order: HlOrder = {
      user: account.spec.user.toLowerCase(),
      coin: market.spec.name,
      asset,
      oid: this.nextOid++,
      cloid,
      side: buy ? 'B' : 'A',
      limitPx: px,
      origSz: sz,
      sz,
      tif,
      timestamp: now,
      status: 'open',
      statusTimestamp: now,
      hold: need,
    };
    this.orders.push(order);
    account.hold.set(token, (account.hold.get(token) ?? ZERO).add(need));
    const filled = this.take(account, market, order);
    if (tif === 'Ioc' && order.status === 'open') this.end(account, order, 'canceled');
    else if (order.status === 'open') this.pushOrder(order);
    if (filled.isZero()) return { resting: { oid: order.oid, ...(cloid === undefined ? {} : { cloid }) } };
    if (order.status === 'open')
      return { resting: { oid: order.oid, ...(cloid === undefined ? {} : { cloid }) } };
    const fills = this.fills.filter((f) => f.oid === order.oid);
    const notional = Decimal.sum(fills.map((f) => f.px.mul(f.sz)));
    return {
      filled: {
        totalSz: fmt(filled),
        avgPx: fmt(notional.div(filled).roundToStep('0.00000001')),
        oid: order.oid,
        ...(cloid === undefined ? {} : { cloid }),
      },
    };
  }

  /** Walks the external book as taker; returns the quantity filled. */
  private take(account: Account, market: Market, order: HlOrder): Decimal {
    const levels = order.side === 'B' ? market.asks : market.bids;
    let filled = ZERO;
    while (order.sz.isPositive() && levels.length > 0) {
      const level = levels[0] as [Decimal, Decimal];
      const [px, available] = level;
      if (order.side === 'B' ? px.gt(order.limitPx) : px.lt(order.limitPx)) break;
      const qty = Decimal.min(available, order.sz);
      this.fill(account, market, order, px, qty, true);
      filled = filled.add(qty);
      level[1] = available.sub(qty);
      if (level[1].isZero()) levels.shift();
    }
    if (filled.isPositive()) this.pushBook(market);
    return filled;
  }

  private fill(
    account: Account,
    market: Market,
    order: HlOrder,
    px: Decimal,
    qty: Decimal,
    crossed: boolean,
  ): void {
    const { base, quote } = market.spec;
    const notional = px.mul(qty);
    const fee = notional.mul(crossed ? this.takerFee : this.makerFee).roundToStep('0.000001');
    const add = (token: string, amount: Decimal) =>
      account.total.set(token, (account.total.get(token) ?? ZERO).add(amount));
    const release = (token: string, amount: Decimal) =>
      account.hold.set(token, (account.hold.get(token) ?? ZERO).sub(amount));
    if (order.side === 'B') {
      const held = order.limitPx.mul(qty);
      release(quote, held);
      order.hold = order.hold.sub(held);
      add(quote, notional.neg().sub(fee));
      add(base, qty);
    } else {
      release(base, qty);
      order.hold = order.hold.sub(qty);
      add(base, qty.neg());
      add(quote, notional.sub(fee));
    }
    order.sz = order.sz.sub(qty);
    const now = this.now();
    const fill: HlFill = {
      user: order.user,
      coin: order.coin,
      px,
      sz: qty,
      side: order.side,
      time: now,
      oid: order.oid,
      tid: this.nextTid++,
      crossed,
      fee,
      feeToken: quote,
      cloid: order.cloid,
    };
    this.fills.push(fill);
    if (order.sz.isZero()) {
      order.status = 'filled';
      order.statusTimestamp = now;
    }
    this.pushFill(fill);
    if (order.status === 'filled') this.pushOrder(order);
  }

  /** Ends an open order and frees what it held. */
  private end(account: Account, order: HlOrder, status: HlStatus): void {
    const market = this.market(order.coin);
    const token = order.side === 'B' ? market.spec.quote : market.spec.base;
    account.hold.set(token, (account.hold.get(token) ?? ZERO).sub(order.hold));
    order.hold = ZERO;
    order.status = status;
    order.statusTimestamp = this.now();
    this.pushOrder(order);
  }

  private cancelOrders(account: Account, type: string, action: Record<string, unknown>): unknown {
    const user = account.spec.user.toLowerCase();
    const statuses = (action.cancels as Record<string, unknown>[]).map((c) => {
      const order =
        type === 'cancel'
          ? this.orders.find((o) => o.user === user && o.oid === Number(c.o) && o.asset === Number(c.a))
          : this.orders.find(
              (o) =>
                o.user === user && o.cloid === String(c.cloid).toLowerCase() && o.asset === Number(c.asset),
            );
      if (order === undefined || order.status !== 'open')
        return {
          error: `Order was never placed, already canceled, or filled. asset=${String(c.a ?? c.asset)}`,
        };
      this.end(account, order, 'canceled');
      return 'success';
    });
    return { status: 'ok', response: { type: 'cancel', data: { statuses } } };
  }

  private scheduleCancel(account: Account, action: Record<string, unknown>): unknown {
    clearTimeout(account.scheduledCancel?.timer);
    account.scheduledCancel = undefined;
    if (action.time === undefined || action.time === null)
      return { status: 'ok', response: { type: 'default' } };
    const at = Number(action.time);
    const now = this.now();
    if (!Number.isFinite(at) || at < now + (this.options.scheduleCancelMinDelayMs ?? 5000))
      throw new HlError('Scheduled cancel time too early, must be at least 5 seconds from now.');
    this.counters.scheduleCancelsArmed++;
    const timer = setTimeout(() => {
      account.scheduledCancel = undefined;
      this.counters.scheduledCancelsFired++;
      for (const order of this.openOrdersOf(account.spec.user)) {
        this.end(account, order, 'scheduledCancel');
        this.counters.ordersCanceledBySchedule++;
      }
    }, at - now);
    account.scheduledCancel = { at, timer };
    return { status: 'ok', response: { type: 'default' } };
  }

  /** Resting orders that the external book now crosses fill as makers at their limit. */
  private matchResting(market: Market): void {
    for (const order of this.orders) {
      if (order.status !== 'open' || order.coin !== market.spec.name) continue;
      const levels = order.side === 'B' ? market.asks : market.bids;
      while (order.status === 'open' && levels.length > 0) {
        const level = levels[0] as [Decimal, Decimal];
        if (order.side === 'B' ? level[0].gt(order.limitPx) : level[0].lt(order.limitPx)) break;
        const qty = Decimal.min(level[1], order.sz);
        const account = this.accounts.get(order.user) as Account;
        this.fill(account, market, order, order.limitPx, qty, false);
        level[1] = level[1].sub(qty);
        if (level[1].isZero()) levels.shift();
      }
    }
  }

  private addMarketSpec(spec: HlSpotSpec, index: number): void {
    const market: Market = {
      spec,
      index,
      asset: 10_000 + index,
      lot: Decimal.from(spec.szDecimals === 0 ? '1' : `0.${'0'.repeat(spec.szDecimals - 1)}1`),
      bids: [],
      asks: [],
    };
    this.markets.push(market);
    this.byCoin.set(spec.name, market);
  }

  private market(coin: string): Market {
    const market = this.byCoin.get(coin);
    if (market === undefined) throw new HlError(`Unknown coin ${coin}`);
    return market;
  }

  // ── WebSocket ────────────────────────────────────────────────────────────

  private onWs(socket: WebSocket): void {
    this.counters.wsConnections++;
    const client: WsClient = {
      socket,
      books: new Set(),
      trades: new Set(),
      orderUsers: new Set(),
      fillUsers: new Set(),
    };
    this.clients.add(client);
    socket.on('close', () => this.clients.delete(client));
    socket.on('message', (data) => {
      let msg: { method?: string; subscription?: Record<string, unknown> };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return;
      }
      if (msg.method === 'ping') {
        this.wsSend(client, { channel: 'pong' });
        return;
      }
      const sub = msg.subscription ?? {};
      const subscribe = msg.method === 'subscribe';
      const set =
        sub.type === 'l2Book'
          ? client.books
          : sub.type === 'trades'
            ? client.trades
            : sub.type === 'orderUpdates'
              ? client.orderUsers
              : sub.type === 'userFills'
                ? client.fillUsers
                : undefined;
      if (set === undefined) {
        this.wsSend(client, { channel: 'error', data: `Invalid subscription ${JSON.stringify(sub)}` });
        return;
      }
      const key = String(sub.coin ?? sub.user ?? '').toLowerCase();
      const name = sub.type === 'l2Book' || sub.type === 'trades' ? String(sub.coin) : key;
      if (subscribe) set.add(name);
      else set.delete(name);
      this.wsSend(client, { channel: 'subscriptionResponse', data: msg });
      if (!subscribe) return;
      if (sub.type === 'l2Book' && this.byCoin.has(name)) this.pushBook(this.market(name), client);
      if (sub.type === 'userFills') {
        const fills = this.fills.filter((f) => f.user === name).map((f) => this.wireFill(f));
        this.wsSend(client, { channel: 'userFills', data: { isSnapshot: true, user: name, fills } });
      }
    });
  }

  private wsSend(client: WsClient, payload: unknown): void {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(payload));
  }

  private pushBook(market: Market, only?: WsClient): void {
    const level = ([px, sz]: [Decimal, Decimal]) => ({ px: fmt(px), sz: fmt(sz), n: 1 });
    const payload = {
      channel: 'l2Book',
      data: {
        coin: market.spec.name,
        time: this.now(),
        levels: [market.bids.slice(0, 20).map(level), market.asks.slice(0, 20).map(level)],
      },
    };
    for (const client of only === undefined ? this.clients : [only])
      if (client.books.has(market.spec.name)) this.wsSend(client, payload);
  }

  private pushOrder(order: HlOrder): void {
    const payload = {
      channel: 'orderUpdates',
      data: [
        { order: this.wireOrder(order, false), status: order.status, statusTimestamp: order.statusTimestamp },
      ],
    };
    for (const client of this.clients) if (client.orderUsers.has(order.user)) this.wsSend(client, payload);
  }

  private pushFill(fill: HlFill): void {
    const mine = { channel: 'userFills', data: { user: fill.user, fills: [this.wireFill(fill)] } };
    const pub = {
      channel: 'trades',
      data: [
        {
          coin: fill.coin,
          side: fill.side,
          px: fmt(fill.px),
          sz: fmt(fill.sz),
          hash: `0x${fill.tid.toString(16).padStart(64, '0')}`,
          time: fill.time,
          tid: fill.tid,
          users: [fill.user, '0x0000000000000000000000000000000000000001'],
        },
      ],
    };
    for (const client of this.clients) {
      if (client.fillUsers.has(fill.user)) this.wsSend(client, mine);
      if (client.trades.has(fill.coin)) this.wsSend(client, pub);
    }
  }
}

/** Hyperliquid's price rule: at most 5 significant figures and 8 − szDecimals decimals (spot); integers always. */
function validPrice(px: Decimal, szDecimals: number): boolean {
  if (px.isMultipleOf(1)) return true;
  if (px.decimalPlaces() > 8 - szDecimals) return false;
  const digits = px.toString().replace('.', '').replace(/^0+/, '');
  return digits.length <= 5;
}

// ── the exchange's action hash: msgpack, as Hyperliquid's SDKs encode it ─────

function msgpack(value: unknown): Uint8Array {
  const out: number[] = [];
  const write = (v: unknown): void => {
    if (v === null || v === undefined) out.push(0xc0);
    else if (v === true) out.push(0xc3);
    else if (v === false) out.push(0xc2);
    else if (typeof v === 'number') writeNumber(v);
    else if (typeof v === 'string') {
      const bytes = new TextEncoder().encode(v);
      const n = bytes.length;
      if (n < 32) out.push(0xa0 | n);
      else if (n < 0x100) out.push(0xd9, n);
      else if (n < 0x10000) out.push(0xda, n >> 8, n & 0xff);
      else out.push(0xdb, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
      out.push(...bytes);
    } else if (Array.isArray(v)) {
      header(v.length, 0x90, 0xdc);
      for (const item of v) write(item);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      header(entries.length, 0x80, 0xde);
      for (const [k, x] of entries) {
        write(k);
        write(x);
      }
    } else throw new Error(`msgpack: cannot encode ${typeof v}`);
  };
  const header = (n: number, fix: number, wide: number): void => {
    if (n < 16) out.push(fix | n);
    else if (n < 0x10000) out.push(wide, n >> 8, n & 0xff);
    else out.push(wide + 1, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  };
  const writeNumber = (n: number): void => {
    if (!Number.isInteger(n)) {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, n);
      out.push(0xcb, ...new Uint8Array(b.buffer));
    } else if (n >= 0) {
      if (n < 0x80) out.push(n);
      else if (n < 0x100) out.push(0xcc, n);
      else if (n < 0x10000) out.push(0xcd, n >> 8, n & 0xff);
      else if (n < 0x100000000)
        out.push(0xce, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
      else out.push(0xcf, ...u64(n));
    } else {
      if (n >= -32) out.push(n & 0xff);
      else if (n >= -128) out.push(0xd0, n & 0xff);
      else if (n >= -32768) out.push(0xd1, (n >> 8) & 0xff, n & 0xff);
      else if (n >= -2147483648)
        out.push(0xd2, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
      else {
        const b = new DataView(new ArrayBuffer(8));
        b.setBigInt64(0, BigInt(n));
        out.push(0xd3, ...new Uint8Array(b.buffer));
      }
    }
  };
  write(value);
  return Uint8Array.from(out);
}

function u64(n: number): Uint8Array {
  const b = new DataView(new ArrayBuffer(8));
  b.setBigUint64(0, BigInt(n));
  return new Uint8Array(b.buffer);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
