/**
 * Loading ccxt and building exchange instances.
 *
 * - ccxt is imported lazily (≈0.4 s and 80 MB): nothing that merely imports Concord,
 *   `concord --help` included, loads it. `loadCcxt()` does, once.
 * - One ccxt instance per account (exchange id, API key, endpoint overrides) is shared
 *   by every venue object that uses it, with ref counting, so ccxt's own request
 *   throttle and the account's rate-limit gate are shared too.
 * - Every REST request passes the account gate (`account-gate.ts`) immediately before it
 *   leaves (ccxt's `fetch` is wrapped), and every answer's status and `Retry-After` are
 *   shown to the gate (ccxt's `onRestResponse` hook). What kind of call a request belongs
 *   to (submit, read, cancel) travels with it through ccxt in an AsyncLocalStorage.
 * - Credentials go to ccxt and nowhere else: never into an error, a detail or a key.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Clock, ConcordError, sha256Hex } from '../../core/index.ts';
import { type AccountGate, type AccountGateOptions, accountGate } from './account-gate.ts';
import { ExchangeClock } from './clock-offset.ts';

/** The parts of a ccxt exchange instance the adapter uses (ccxt's own types are far wider). */
export interface CcxtExchange {
  readonly id: string;
  readonly name?: string;
  readonly has: Record<string, boolean | 'emulated' | undefined>;
  readonly features?: Record<string, unknown>;
  readonly precisionMode: number;
  readonly markets?: Record<string, unknown>;
  urls: { api?: unknown; [key: string]: unknown };
  options: Record<string, unknown>;
  timeout: number;
  enableRateLimit: boolean;
  apiKey?: string;
  fetch(url: string, method?: string, headers?: unknown, body?: unknown): Promise<unknown>;
  onRestResponse(
    statusCode: number,
    statusText: string,
    url: string,
    method: string,
    responseHeaders: Record<string, string>,
    responseBody: string,
    requestHeaders: unknown,
    requestBody: unknown,
  ): string;
  loadMarkets(reload?: boolean): Promise<Record<string, unknown>>;
  /** The timestamp / nonce ccxt signs requests with (local time; the adapter adds the exchange's offset). */
  nonce(): number;
  fetchTime?(params?: Record<string, unknown>): Promise<unknown>;
  setMarkets(markets: unknown[], currencies?: unknown): unknown;
  createOrder(
    symbol: string,
    type: string,
    side: string,
    amount: number,
    price?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  cancelOrder(id: string | undefined, symbol?: string, params?: Record<string, unknown>): Promise<unknown>;
  fetchOrder(id: string | undefined, symbol?: string, params?: Record<string, unknown>): Promise<unknown>;
  fetchOpenOrders(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  fetchMyTrades(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  fetchOrderTrades(
    id: string,
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  fetchBalance(params?: Record<string, unknown>): Promise<unknown>;
  fetchPositions(symbols?: string[], params?: Record<string, unknown>): Promise<unknown>;
  fetchOrderBook(symbol: string, limit?: number, params?: Record<string, unknown>): Promise<unknown>;
  fetchTrades(
    symbol: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  watchOrders?(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  watchMyTrades?(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  watchOrderBook?(symbol: string, limit?: number, params?: Record<string, unknown>): Promise<unknown>;
  watchTrades?(
    symbol: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  loadHttpProxyAgent?(): Promise<unknown>;
  parseOrderBook(
    orderbook: unknown,
    symbol: string,
    timestamp?: number,
    bidsKey?: string,
    asksKey?: string,
    priceKey?: number | string,
    amountKey?: number | string,
  ): unknown;
  parseTrade(trade: unknown, market?: unknown): unknown;
  parseTicker(ticker: unknown, market?: unknown): unknown;
  market(symbol: string): unknown;
  close?(): Promise<unknown>;
}

/** The ccxt module as the adapter uses it. */
export interface CcxtModule {
  readonly version: string;
  readonly exchanges: readonly string[];
  readonly pro: Record<string, unknown>;
  readonly [exchange: string]: unknown;
}

let loading: Promise<CcxtModule> | undefined;

/** Imports ccxt (once). */
export function loadCcxt(): Promise<CcxtModule> {
  loading ??= import('ccxt').then((m) => ((m as { default?: unknown }).default ?? m) as CcxtModule);
  return loading;
}

export interface CcxtCredentials {
  readonly apiKey?: string;
  readonly secret?: string;
  readonly password?: string;
  readonly uid?: string;
  /** Hyperliquid: the API wallet's address and private key (never the main wallet's key). */
  readonly walletAddress?: string;
  readonly privateKey?: string;
}

export interface ExchangeSpec {
  /** ccxt exchange id, e.g. `binance`. */
  readonly exchange: string;
  readonly credentials?: CcxtCredentials;
  /** Merged into the instance's `urls.api` (to point it at another host, e.g. a loopback server). */
  readonly urls?: Readonly<Record<string, unknown>>;
  /** Merged into ccxt's `options` over the adapter's defaults for the exchange. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** ccxt request timeout in ms (default 10,000). */
  readonly timeoutMs?: number;
  /**
   * ccxt's throttle unit in ms (`rateLimit`; default: ccxt's value for the exchange). A request
   * costing `cost` waits `cost × rateLimitMs` after the previous one (Hyperliquid's /info costs 20).
   */
  readonly rateLimitMs?: number;
  readonly sandbox?: boolean;
}

export type CallKind = 'submit' | 'read' | 'cancel';

interface CallContext {
  readonly kind: CallKind;
  readonly operation: string;
}

/** What kind of call is running; the wrapped `fetch` reads it to decide whether it may wait. */
const callContext = new AsyncLocalStorage<CallContext>();

/**
 * Options the adapter sets for exchanges it knows, before the user's: Binance loads
 * spot markets only (no margin pairs, no currency list that needs wallet permissions),
 * and may list open orders of every symbol in one call.
 */
export const EXCHANGE_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  binance: {
    defaultType: 'spot',
    fetchMarkets: { types: ['spot'] },
    fetchMargins: false,
    fetchCurrencies: false,
    warnOnFetchOpenOrdersWithoutSymbol: false,
  },
  // ccxt would register its referral code and approve (and charge) its builder fee on the
  // user's orders; Concord does neither on the user's behalf (see `acquireExchange`).
  hyperliquid: {
    refSet: true,
    builderFee: false,
  },
};

export interface SharedExchange {
  readonly exchange: CcxtExchange;
  readonly gate: AccountGate;
  readonly ccxt: CcxtModule;
  /** The exchange's clock offset, applied to every request timestamp (`clock-offset.ts`). */
  readonly exchangeClock: ExchangeClock;
  /** Runs a ccxt call as `kind` (the gate lets reads and cancels wait, never submits). */
  call<T>(kind: CallKind, operation: string, fn: () => Promise<T>): Promise<T>;
  release(): Promise<void>;
}

interface Entry {
  readonly shared: SharedExchange;
  refs: number;
}

const instances = new Map<string, Entry>();

export function unknownExchangeError(id: string, known: readonly string[]): ConcordError {
  const near = known.filter((k) => k.includes(id) || id.includes(k) || editDistance(k, id) <= 2).slice(0, 5);
  return new ConcordError(
    'CONCORD_ERR_VENUE_UNKNOWN_EXCHANGE',
    `ccxt has no exchange "${id}"${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''} (concord venues lists them)`,
    { details: { exchange: id, suggestions: near } },
  );
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(
        Math.min(
          (prev[j] as number) + 1,
          (row[j - 1] as number) + 1,
          (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
        ),
      );
    prev = row;
  }
  return prev[b.length] as number;
}

/** The shared instance for this account, created on first use. */
export async function acquireExchange(
  spec: ExchangeSpec,
  clock: Clock,
  gateOptions: Omit<AccountGateOptions, 'clock'> = {},
): Promise<SharedExchange> {
  const ccxt = await loadCcxt();
  if (!ccxt.exchanges.includes(spec.exchange)) throw unknownExchangeError(spec.exchange, ccxt.exchanges);
  const key = instanceKey(spec);
  const existing = instances.get(key);
  if (existing !== undefined) {
    existing.refs++;
    return existing.shared;
  }
  const Ctor = (ccxt.pro[spec.exchange] ?? ccxt[spec.exchange]) as new (config: unknown) => CcxtExchange;
  const credentials = spec.credentials ?? {};
  const exchange = new Ctor({
    ...credentials,
    enableRateLimit: true,
    timeout: spec.timeoutMs ?? 10_000,
    ...(spec.rateLimitMs === undefined ? {} : { rateLimit: spec.rateLimitMs }),
    options: { ...(EXCHANGE_DEFAULTS[spec.exchange] ?? {}), ...(spec.options ?? {}) },
  });
  if (spec.sandbox === true)
    (exchange as unknown as { setSandboxMode(on: boolean): void }).setSandboxMode(true);
  if (spec.urls !== undefined) exchange.urls.api = mergeDeep(exchange.urls.api, spec.urls);
  if (typeof exchange.loadHttpProxyAgent === 'function') await exchange.loadHttpProxyAgent();
  // The account: the API key, or for wallet-signed venues (Hyperliquid) the wallet address.
  const gate = accountGate(spec.exchange, credentials.apiKey ?? credentials.walletAddress?.toLowerCase(), {
    clock,
    ...gateOptions,
  });

  // Every REST request passes the gate right before it leaves, whatever ccxt method sent it.
  const fetch = exchange.fetch.bind(exchange);
  exchange.fetch = async (url, method, headers, body) => {
    const context = callContext.getStore() ?? { kind: 'read', operation: 'request' };
    await gate.pass(context.kind, context.operation);
    return fetch(url, method, headers, body);
  };
  const onRestResponse = exchange.onRestResponse.bind(exchange);
  exchange.onRestResponse = (
    status,
    statusText,
    url,
    method,
    responseHeaders,
    responseBody,
    requestHeaders,
    requestBody,
  ) => {
    gate.observe(status, headerValue(responseHeaders, 'retry-after'));
    return onRestResponse(
      status,
      statusText,
      url,
      method,
      responseHeaders,
      responseBody,
      requestHeaders,
      requestBody,
    );
  };

  guardWsFutures(exchange);

  // Request timestamps in the exchange's time: ccxt's nonce() is what Binance signs as
  // `timestamp` and Hyperliquid as the action nonce (and the base of scheduleCancel's deadline).
  const exchangeClock = new ExchangeClock(
    {
      canMeasure: exchange.has.fetchTime === true && typeof exchange.fetchTime === 'function',
      fetchTime: () =>
        callContext.run({ kind: 'read', operation: 'fetchTime' }, () =>
          (exchange.fetchTime as NonNullable<CcxtExchange['fetchTime']>).call(exchange),
        ),
    },
    clock,
  );
  // Only where the nonce is a millisecond timestamp (ccxt's default is seconds; some use counters).
  const nonce = exchange.nonce.bind(exchange);
  if (Math.abs(nonce() - clock.now()) < 60_000) {
    exchange.nonce = () => nonce() + exchangeClock.correctionMs();
    exchangeClock.markApplied();
  }
  if (spec.exchange === 'hyperliquid' && exchange.options.builderFee === false) {
    // Without this ccxt signs an `approveBuilderFee` before the first order (with an API wallet
    // it is refused, and retried before every order). No builder fee is approved or attached.
    (exchange as unknown as { handleBuilderFeeApproval(): Promise<boolean> }).handleBuilderFeeApproval =
      async () => true;
  }

  const shared: SharedExchange = {
    exchange,
    gate,
    ccxt,
    exchangeClock,
    call: (kind, operation, fn) => callContext.run({ kind, operation }, fn),
    release: async () => {
      const entry = instances.get(key);
      if (entry === undefined) return;
      entry.refs--;
      if (entry.refs > 0) return;
      instances.delete(key);
      await exchange.close?.().catch(() => undefined);
    },
  };
  instances.set(key, { shared, refs: 1 });
  return shared;
}

/** A public-only instance for offline parsing and capability listing (not shared, no gate). */
export async function publicExchange(
  exchangeId: string,
  options: Record<string, unknown> = {},
): Promise<CcxtExchange> {
  const ccxt = await loadCcxt();
  if (!ccxt.exchanges.includes(exchangeId)) throw unknownExchangeError(exchangeId, ccxt.exchanges);
  const Ctor = (ccxt.pro[exchangeId] ?? ccxt[exchangeId]) as new (config: unknown) => CcxtExchange;
  return new Ctor({ options: { ...(EXCHANGE_DEFAULTS[exchangeId] ?? {}), ...options } });
}

function instanceKey(spec: ExchangeSpec): string {
  const c = spec.credentials ?? {};
  const secretless = [c.apiKey, c.walletAddress, c.uid].map((v) =>
    v === undefined ? '' : sha256Hex(v).slice(0, 16),
  );
  return JSON.stringify([
    spec.exchange,
    secretless,
    spec.urls ?? null,
    spec.options ?? null,
    spec.timeoutMs ?? null,
    spec.rateLimitMs ?? null,
    spec.sandbox === true,
  ]);
}

interface WsClientLike {
  future(hash: string): unknown;
  send?(message: unknown): unknown;
  connected?: unknown;
}

/**
 * ccxt.pro creates futures that nobody may be waiting on (e.g. a subscription's
 * "authenticated" flag); when the connection drops they reject, and an unhandled
 * rejection ends a Node process. Each future of this instance's WebSocket clients
 * gets a no-op handler; whoever awaits it still sees the rejection.
 */
function guardWsFutures(exchange: CcxtExchange): void {
  const target = exchange as unknown as { client?: (url: string) => WsClientLike };
  const client = target.client;
  if (typeof client !== 'function') return;
  const guarded = new WeakSet<object>();
  target.client = (url: string) => {
    const c = client.call(exchange, url);
    if (!guarded.has(c as object)) {
      guarded.add(c as object);
      const future = c.future.bind(c);
      c.future = (hash: string) => quiet(future(hash));
      // ccxt sends a throttled subscription without handling the send's rejection (a socket
      // closed meanwhile); whoever awaits a send still sees it.
      if (typeof c.send === 'function') {
        const send = c.send.bind(c);
        c.send = (message: unknown) => quiet(send(message));
      }
      quiet(c.connected);
    }
    return c;
  };
}

function quiet<T>(value: T): T {
  if (typeof (value as { catch?: unknown } | undefined)?.catch === 'function')
    (value as unknown as Promise<unknown>).catch(() => undefined);
  return value;
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** `over` merged into `base`: plain objects merge key by key, anything else replaces. */
export function mergeDeep(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeDeep(out[k], v) : v;
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
