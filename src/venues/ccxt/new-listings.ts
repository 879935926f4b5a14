/**
 * New listings: the exchange's market list, reloaded on an interval (`loadMarkets(true)`,
 * through the account gate) and diffed against the previous one.
 *
 * - A symbol that was not there before is `listed`.
 * - A known symbol whose readiness changes raises `status`: ccxt's `active` flag, the
 *   exchange's own status field (`info.status`: Binance `TRADING` / `PRE_TRADING` / `BREAK`,
 *   MEXC `1` online / `2` paused / `3` offline with `isSpotTradingAllowed`, OKX `live`,
 *   Bybit `Trading`, …), and for symbols listed while watching, the first public trade
 *   (`fetchTrades`, a few symbols per round).
 * - A symbol that disappears is `delisted`.
 *
 * The markets present when the watch starts are the baseline: no events for them. The
 * changes are plain values in this module's vocabulary; the caller journals them (as the
 * catalogue's `market.listed` / `market.status`) and hands them to the new-listing agent.
 */
import { type Clock, ConcordError, type TimerHandle } from '../../core/index.ts';
import { instrumentId } from '../../model/index.ts';
import type { AccountGateOptions } from './account-gate.ts';
import { acquireExchange, type ExchangeSpec, type SharedExchange } from './exchange.ts';

/** What is known of one market's readiness. */
export interface ListingState {
  /** ccxt's `active` (undefined when the exchange does not say). */
  readonly active: boolean | undefined;
  /** The exchange's own status word, as sent (`TRADING`, `1`, `live`, …). */
  readonly status: string | undefined;
  /** The exchange says it trades: `active` is not false and the status, if any, is a trading one. */
  readonly tradable: boolean;
  /** Time of the first public trade seen (symbols listed while watching only). */
  readonly firstTradeTs: number | undefined;
  /** Other readiness fields the exchange sends (MEXC's `isSpotTradingAllowed`, `st`, …). */
  readonly details: Readonly<Record<string, unknown>>;
}

export type ListingChange =
  | {
      readonly kind: 'listed';
      readonly venue: string;
      readonly symbol: string;
      readonly instrumentId: string;
      readonly ts: number;
      readonly state: ListingState;
    }
  | {
      readonly kind: 'status';
      readonly venue: string;
      readonly symbol: string;
      readonly instrumentId: string;
      readonly ts: number;
      /** What changed: `status` (the exchange's status or active flag) or `first-trade`. */
      readonly reason: 'status' | 'first-trade';
      readonly previous: ListingState;
      readonly state: ListingState;
    }
  | {
      readonly kind: 'delisted';
      readonly venue: string;
      readonly symbol: string;
      readonly instrumentId: string;
      readonly ts: number;
      readonly previous: ListingState;
    };

export interface ListingWatcherOptions extends ExchangeSpec {
  /** The Concord venue id (default: the exchange id). */
  readonly id?: string;
  readonly clock: Clock;
  /** How often the market list is reloaded (default 60,000 ms; 0: only when `poll()` is called). */
  readonly intervalMs?: number;
  /** Only markets of these types (`spot`, `swap`, `future`; default: all). */
  readonly types?: readonly string[];
  /** Only markets quoted in these currencies (default: all). */
  readonly quotes?: readonly string[];
  /** Look for the first public trade of symbols listed while watching (default true). */
  readonly probeFirstTrades?: boolean;
  /** At most this many first-trade lookups per round (default 5). */
  readonly maxProbesPerRound?: number;
  readonly gate?: Omit<AccountGateOptions, 'clock'>;
  readonly onChange: (change: ListingChange) => void;
}

export interface ListingWatcherStats {
  readonly rounds: number;
  readonly errors: number;
  readonly markets: number;
  readonly changes: number;
  readonly lastError: string | undefined;
}

/** Exchange status words that mean "trading" (lower case). */
const TRADING_STATUSES = new Set(['trading', '1', 'live', 'online', 'tradable', 'open', 'enabled', 'active']);
/** Readiness fields copied into `details` when the exchange sends them. */
const DETAIL_FIELDS = [
  'isSpotTradingAllowed',
  'st',
  'tradeSideType',
  'permissions',
  'state',
  'enableTrading',
];

interface MarketLike {
  readonly symbol?: unknown;
  readonly type?: unknown;
  readonly quote?: unknown;
  readonly active?: unknown;
  readonly info?: unknown;
}

/** The readiness of one ccxt market. */
export function listingStateOf(market: MarketLike, firstTradeTs?: number): ListingState {
  const info = (typeof market.info === 'object' && market.info !== null ? market.info : {}) as Record<
    string,
    unknown
  >;
  const raw = info.status;
  const status = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
  const active = typeof market.active === 'boolean' ? market.active : undefined;
  const details: Record<string, unknown> = {};
  for (const field of DETAIL_FIELDS) if (info[field] !== undefined) details[field] = info[field];
  const tradable =
    active !== false &&
    (status === undefined || TRADING_STATUSES.has(status.toLowerCase())) &&
    details.isSpotTradingAllowed !== false;
  return { active, status, tradable, firstTradeTs, details };
}

function sameState(a: ListingState, b: ListingState): boolean {
  return (
    a.active === b.active &&
    a.status === b.status &&
    a.tradable === b.tradable &&
    a.firstTradeTs === b.firstTradeTs &&
    JSON.stringify(a.details) === JSON.stringify(b.details)
  );
}

export class ListingWatcher {
  readonly venue: string;
  private readonly shared: SharedExchange;
  private readonly options: ListingWatcherOptions;
  private readonly known = new Map<string, ListingState>();
  /** Symbols listed while watching whose first trade has not been seen. */
  private readonly awaitingTrade = new Set<string>();
  private timer: TimerHandle | undefined;
  private running: Promise<ListingChange[]> | undefined;
  private closed = false;
  private stats = { rounds: 0, errors: 0, changes: 0, lastError: undefined as string | undefined };

  private constructor(options: ListingWatcherOptions, shared: SharedExchange) {
    this.options = options;
    this.shared = shared;
    this.venue = options.id ?? options.exchange;
  }

  /** Loads the baseline market list and starts the interval. */
  static async open(options: ListingWatcherOptions): Promise<ListingWatcher> {
    const interval = options.intervalMs ?? 60_000;
    if (!(Number.isFinite(interval) && interval >= 0))
      throw new ConcordError('CONCORD_ERR_VENUE_CONFIG', 'intervalMs must be 0 or a positive number of ms', {
        details: { field: 'intervalMs', value: interval },
      });
    const shared = await acquireExchange(options, options.clock, options.gate);
    const watcher = new ListingWatcher(options, shared);
    try {
      for (const market of await watcher.load()) {
        watcher.known.set(String(market.symbol), listingStateOf(market));
      }
    } catch (err) {
      await shared.release();
      throw err;
    }
    if (interval > 0)
      watcher.timer = options.clock.setInterval(() => {
        void watcher.poll().catch(() => undefined);
      }, interval);
    return watcher;
  }

  /** Symbols currently listed (in scope), sorted. */
  symbols(): string[] {
    return [...this.known.keys()].sort();
  }

  state(symbol: string): ListingState | undefined {
    return this.known.get(symbol);
  }

  health(): ListingWatcherStats {
    return { ...this.stats, markets: this.known.size };
  }

  /**
   * One round: reloads the market list, diffs it, probes first trades; reports each change to
   * `onChange` and returns them. A failed reload counts an error and changes nothing. Rounds
   * never overlap (a call while one runs joins it).
   */
  poll(): Promise<ListingChange[]> {
    if (this.closed) return Promise.resolve([]);
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.options.clock.clearTimer(this.timer);
    await this.running?.catch(() => undefined);
    await this.shared.release();
  }

  private async round(): Promise<ListingChange[]> {
    let markets: MarketLike[];
    try {
      markets = await this.load();
    } catch (err) {
      this.stats.errors++;
      this.stats.lastError = err instanceof Error ? err.message : String(err);
      return [];
    }
    this.stats.rounds++;
    const ts = this.options.clock.now();
    const changes: ListingChange[] = [];
    const seen = new Set<string>();
    for (const market of markets) {
      const symbol = String(market.symbol);
      seen.add(symbol);
      const id = instrumentId(this.venue, symbol);
      const previous = this.known.get(symbol);
      if (previous === undefined) {
        const state = listingStateOf(market);
        this.known.set(symbol, state);
        if (this.options.probeFirstTrades !== false) this.awaitingTrade.add(symbol);
        changes.push({ kind: 'listed', venue: this.venue, symbol, instrumentId: id, ts, state });
        continue;
      }
      const state = listingStateOf(market, previous.firstTradeTs);
      if (!sameState(previous, state)) {
        this.known.set(symbol, state);
        changes.push({
          kind: 'status',
          venue: this.venue,
          symbol,
          instrumentId: id,
          ts,
          reason: 'status',
          previous,
          state,
        });
      }
    }
    for (const [symbol, previous] of [...this.known]) {
      if (seen.has(symbol)) continue;
      this.known.delete(symbol);
      this.awaitingTrade.delete(symbol);
      changes.push({
        kind: 'delisted',
        venue: this.venue,
        symbol,
        instrumentId: instrumentId(this.venue, symbol),
        ts,
        previous,
      });
    }
    changes.push(...(await this.probeFirstTrades(ts)));
    this.stats.changes += changes.length;
    for (const change of changes) this.options.onChange(change);
    return changes;
  }

  /** Looks for the first public trade of new, tradable symbols (a few per round). */
  private async probeFirstTrades(ts: number): Promise<ListingChange[]> {
    const changes: ListingChange[] = [];
    // Hyperliquid's fetchTrades in ccxt is the account's own fills, not the market's trades.
    if (this.shared.exchange.has.fetchTrades !== true || this.shared.exchange.id === 'hyperliquid')
      return changes;
    let probes = 0;
    for (const symbol of [...this.awaitingTrade].sort()) {
      const previous = this.known.get(symbol);
      if (previous === undefined || !previous.tradable) continue;
      if (probes++ >= (this.options.maxProbesPerRound ?? 5)) break;
      let trades: unknown;
      try {
        trades = await this.shared.call('read', 'fetchTrades', () =>
          this.shared.exchange.fetchTrades(symbol, undefined, 1),
        );
      } catch {
        this.stats.errors++;
        continue;
      }
      if (!Array.isArray(trades) || trades.length === 0) continue;
      const times = trades
        .map((t) => (t as { timestamp?: unknown }).timestamp)
        .filter((x): x is number => typeof x === 'number');
      const state: ListingState = { ...previous, firstTradeTs: times.length > 0 ? Math.min(...times) : ts };
      this.known.set(symbol, state);
      this.awaitingTrade.delete(symbol);
      changes.push({
        kind: 'status',
        venue: this.venue,
        symbol,
        instrumentId: instrumentId(this.venue, symbol),
        ts,
        reason: 'first-trade',
        previous,
        state,
      });
    }
    return changes;
  }

  /** The market list in scope, freshly reloaded. */
  private async load(): Promise<MarketLike[]> {
    const markets = await this.shared.call('read', 'loadMarkets', () =>
      this.shared.exchange.loadMarkets(true),
    );
    const types = this.options.types;
    const quotes = this.options.quotes;
    return (Object.values(markets) as MarketLike[]).filter(
      (m) =>
        typeof m.symbol === 'string' &&
        (types === undefined || types.includes(String(m.type))) &&
        (quotes === undefined || quotes.includes(String(m.quote))),
    );
  }
}
