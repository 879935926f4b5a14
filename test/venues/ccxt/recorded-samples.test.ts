/**
 * Recorded public payloads from real venues (../shared/data/venue-samples/: raw REST and
 * WebSocket captures) parsed by ccxt's own parsers — `parseOrderBook`, `parseTrade`,
 * `parseTicker`, after `setMarkets` — and turned into Concord books and trades by the
 * adapter's boundary functions. Every book must load into Concord's OrderBook with bids
 * strictly descending, asks strictly ascending and best bid below best ask; every trade
 * must be a valid Concord trade event, stamped within a minute of its capture.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isValidConcordEvent } from '../../../src/data/readers/concord.ts';
import { type BookSnapshot, OrderBook, type TradeTick } from '../../../src/model/index.ts';
import {
  bookSnapshotOf,
  type CcxtExchange,
  type CcxtTradeLike,
  publicExchange,
  tradeTickOf,
} from '../../../src/venues/ccxt/index.ts';

const SAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'venue-samples');

interface Captured {
  /** Capture time, ms. */
  readonly ts: number;
  readonly url: string | undefined;
  readonly json: unknown;
}

/** The received payloads of a capture: `ts: json` (WebSocket) and `url -> ts: json` (REST) lines. */
function* capture(file: string): Generator<Captured> {
  const path = join(SAMPLES, file);
  if (!existsSync(path)) throw new Error(`recorded sample ${path} is missing (see ../shared/data/README.md)`);
  const raw = readFileSync(path);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  for (const line of text.split('\n')) {
    const m = /^(?:(\S+) -> )?(\d+(?:\.\d+)?):? (.*)$/.exec(line);
    if (m === null) continue;
    let json: unknown;
    try {
      json = JSON.parse(m[3] as string);
    } catch {
      continue;
    }
    const t = Number(m[2]);
    yield { ts: t > 1e17 ? t / 1e6 : t * 1000, url: m[1], json };
  }
}

interface Stub {
  readonly id: string;
  readonly symbol: string;
  readonly type?: 'spot' | 'swap' | 'future';
}

/** Minimal unified markets: enough for ccxt's parsers to resolve ids to symbols. */
function setMarkets(ex: CcxtExchange, stubs: readonly Stub[]): void {
  ex.setMarkets(
    stubs.map(({ id, symbol, type = 'spot' }) => {
      const [pair = '', settle] = symbol.split(':');
      const [base = '', quote = ''] = pair.split('/');
      return {
        id,
        symbol,
        base,
        quote,
        baseId: base,
        quoteId: quote,
        settle: settle ?? undefined,
        type,
        spot: type === 'spot',
        swap: type === 'swap',
        future: type === 'future',
        option: false,
        contract: type !== 'spot',
        linear: type === 'spot' ? undefined : settle === quote,
        inverse: type === 'spot' ? undefined : settle !== quote,
        contractSize: type === 'spot' ? undefined : 1,
        active: true,
        precision: { price: 1e-10, amount: 1e-10 },
        limits: { amount: {}, price: {}, cost: {} },
        info: {},
      };
    }),
  );
}

interface Parsed {
  readonly books: BookSnapshot[];
  readonly trades: { tick: TradeTick; capturedAt: number }[];
  readonly tickers: { bid: number; ask: number }[];
}

interface VenueCase {
  readonly venue: string;
  readonly exchange: string;
  parse(ex: CcxtExchange): Parsed;
}

function empty(): Parsed {
  return { books: [], trades: [], tickers: [] };
}

function book(
  ex: CcxtExchange,
  venue: string,
  symbol: string,
  raw: unknown,
  ts: number,
  keys: unknown[] = [],
): BookSnapshot {
  const parsed = (ex.parseOrderBook as (...a: unknown[]) => unknown)(raw, symbol, Math.round(ts), ...keys);
  return bookSnapshotOf(parsed, `${venue}:${symbol}`, venue, Math.round(ts));
}

function trade(
  ex: CcxtExchange,
  venue: string,
  symbol: string,
  raw: unknown,
  capturedAt: number,
  out: Parsed,
): void {
  const parsed = ex.parseTrade(raw, ex.market(symbol)) as CcxtTradeLike;
  out.trades.push({ tick: tradeTickOf(parsed, `${venue}:${symbol}`, venue, capturedAt), capturedAt });
}

const CASES: readonly VenueCase[] = [
  {
    venue: 'binance',
    exchange: 'binance',
    parse(ex) {
      const ids = ['NKNUSDT', 'BLZETH', 'LRCBTC', 'RUNEEUR'];
      const symbolOf: Record<string, string> = {
        NKNUSDT: 'NKN/USDT',
        BLZETH: 'BLZ/ETH',
        LRCBTC: 'LRC/BTC',
        RUNEEUR: 'RUNE/EUR',
      };
      setMarkets(
        ex,
        ids.map((id) => ({ id, symbol: symbolOf[id] as string })),
      );
      const out = empty();
      for (const c of capture('BINANCE.http.0.0.gz')) {
        const id = /symbol=([A-Z]+)/.exec(c.url ?? '')?.[1];
        if (id !== undefined && id in symbolOf)
          out.books.push(book(ex, 'binance', symbolOf[id] as string, c.json, c.ts));
      }
      for (const c of capture('BINANCE.ws.1.0.gz')) {
        const m = c.json as { stream?: string; data?: { e?: string; s?: string; b?: string; a?: string } };
        const symbol = symbolOf[m.data?.s ?? ''];
        if (symbol === undefined) continue;
        if (m.data?.e === 'aggTrade') trade(ex, 'binance', symbol, m.data, c.ts, out);
        if (m.stream?.endsWith('@bookTicker')) {
          const t = ex.parseTicker(
            { symbol: m.data?.s, bidPrice: m.data?.b, askPrice: m.data?.a },
            ex.market(symbol),
          ) as {
            bid: number;
            ask: number;
          };
          out.tickers.push({ bid: t.bid, ask: t.ask });
        }
      }
      return out;
    },
  },
  {
    venue: 'okx',
    exchange: 'okx',
    parse(ex) {
      const stubs: Stub[] = [
        { id: 'BTC-USDT', symbol: 'BTC/USDT' },
        { id: 'BTC-USD-220527', symbol: 'BTC/USD:BTC-220527', type: 'future' },
        { id: 'UNI-USD-SWAP', symbol: 'UNI/USD:UNI', type: 'swap' },
      ];
      setMarkets(ex, stubs);
      const symbolOf = new Map(stubs.map((s) => [s.id, s.symbol]));
      const out = empty();
      for (const c of capture('OKX.ws.1.0.gz')) {
        const m = c.json as {
          arg?: { channel?: string; instId?: string };
          action?: string;
          data?: unknown[];
        };
        const symbol = symbolOf.get(m.arg?.instId ?? '');
        if (symbol === undefined || !Array.isArray(m.data)) continue;
        if (m.arg?.channel === 'books' && m.action === 'snapshot') {
          const d = m.data[0] as { ts: string };
          out.books.push(book(ex, 'okx', symbol, d, Number(d.ts)));
        }
        if (m.arg?.channel === 'trades') for (const t of m.data) trade(ex, 'okx', symbol, t, c.ts, out);
        if (m.arg?.channel === 'tickers') {
          const t = ex.parseTicker(m.data[0], ex.market(symbol)) as { bid: number; ask: number };
          out.tickers.push({ bid: t.bid, ask: t.ask });
        }
      }
      return out;
    },
  },
  {
    venue: 'coinbase',
    exchange: 'coinbaseexchange',
    parse(ex) {
      const ids = [
        'SKL-USD',
        'SKL-BTC',
        'BAND-GBP',
        'NMR-EUR',
        'BAND-BTC',
        'YFI-BTC',
        'DASH-BTC',
        'NU-GBP',
        'CRV-EUR',
        'SKL-GBP',
      ];
      setMarkets(
        ex,
        ids.map((id) => ({ id, symbol: id.replace('-', '/') })),
      );
      const out = empty();
      for (const c of capture('COINBASE.ws.28.0.gz')) {
        const m = c.json as { type?: string; product_id?: string };
        if (m.product_id === undefined || !ids.includes(m.product_id)) continue;
        const symbol = m.product_id.replace('-', '/');
        if (m.type === 'snapshot') out.books.push(book(ex, 'coinbase', symbol, m, c.ts));
        // `last_match` replays the last trade before subscribing (minutes old): only live matches.
        if (m.type === 'match') trade(ex, 'coinbase', symbol, m, c.ts, out);
      }
      return out;
    },
  },
  {
    venue: 'kraken',
    exchange: 'kraken',
    parse(ex) {
      const pairs = [
        'WAVES/EUR',
        'XMR/USD',
        'KSM/XBT',
        'GRT/ETH',
        'SC/EUR',
        'ETH/CHF',
        'OCEAN/XBT',
        'OMG/USD',
        'XBT/CHF',
        'ADA/XBT',
      ];
      const unified = (p: string) => p.replace('XBT', 'BTC');
      setMarkets(ex, [
        ...pairs.map((p) => ({ id: p.replace('/', ''), symbol: unified(p) })),
        { id: 'XBTUSDT', symbol: 'BTC/USDT' },
      ]);
      const out = empty();
      for (const c of capture('KRAKEN.ws.50.0.gz')) {
        if (!Array.isArray(c.json) || c.json.length !== 4) continue;
        const [, body, channel, pair] = c.json as [number, { as?: unknown; bs?: unknown }, string, string];
        if (!String(channel).startsWith('book') || body.as === undefined || body.bs === undefined) continue;
        out.books.push(book(ex, 'kraken', unified(pair), body, c.ts, ['bs', 'as', 0, 1]));
      }
      const rest = JSON.parse(readFileSync(join(SAMPLES, 'kraken_http_trades.json'), 'utf8')) as {
        result: { XBTUSDT: unknown[] };
      };
      for (const t of rest.result.XBTUSDT) {
        const parsed = ex.parseTrade(t, ex.market('BTC/USDT')) as CcxtTradeLike;
        const tick = tradeTickOf(parsed, 'kraken:BTC/USDT', 'kraken', 0);
        // A REST history page: "captured" when its last trade printed.
        out.trades.push({ tick, capturedAt: tick.ts });
      }
      return out;
    },
  },
  {
    venue: 'bitstamp',
    exchange: 'bitstamp',
    parse(ex) {
      const ids = [
        'sgbeur',
        'ethusd',
        'xrpeur',
        'bateur',
        'batbtc',
        'usdteur',
        'usdtusd',
        'xlmgbp',
        'adaeur',
        'btcusd',
      ];
      const symbolOf = (id: string) => `${id.slice(0, -3).toUpperCase()}/${id.slice(-3).toUpperCase()}`;
      setMarkets(
        ex,
        ids.map((id) => ({ id, symbol: symbolOf(id) })),
      );
      const out = empty();
      for (const c of capture('BITSTAMP.http.0.0.gz')) {
        const id = /order_book\/([a-z]+)/.exec(c.url ?? '')?.[1];
        if (id === undefined || !ids.includes(id)) continue;
        const ts = Number((c.json as { microtimestamp: string }).microtimestamp) / 1000;
        out.books.push(book(ex, 'bitstamp', symbolOf(id), c.json, ts));
      }
      for (const c of capture('BITSTAMP.ws.1.0.gz')) {
        const m = c.json as { event?: string; channel?: string; data?: unknown };
        const id = /^live_trades_([a-z]+)$/.exec(m.channel ?? '')?.[1];
        if (m.event !== 'trade' || id === undefined || !ids.includes(id)) continue;
        trade(ex, 'bitstamp', symbolOf(id), m.data, c.ts, out);
      }
      return out;
    },
  },
  {
    venue: 'gate',
    exchange: 'gate',
    parse(ex) {
      const out = empty();
      const stubs = new Map<string, Stub>();
      const stub = (id: string) => {
        if (!stubs.has(id)) stubs.set(id, { id, symbol: id.replace('_', '/') });
      };
      const rows = [...capture('GATEIO.http.0.0.gz')];
      const ws = [...capture('GATEIO.ws.1.0.gz')];
      for (const c of rows) stub(/currency_pair=([A-Z0-9_]+)/.exec(c.url ?? '')?.[1] ?? 'X_Y');
      for (const c of ws) {
        const r = (c.json as { result?: { currency_pair?: string } }).result;
        if (typeof r?.currency_pair === 'string') stub(r.currency_pair);
      }
      setMarkets(ex, [...stubs.values()]);
      for (const c of rows) {
        const id = /currency_pair=([A-Z0-9_]+)/.exec(c.url ?? '')?.[1];
        if (id !== undefined) out.books.push(book(ex, 'gate', id.replace('_', '/'), c.json, c.ts));
      }
      for (const c of ws) {
        const m = c.json as { channel?: string; event?: string; result?: { currency_pair?: string } };
        if (m.channel !== 'spot.trades' || m.event !== 'update' || m.result?.currency_pair === undefined)
          continue;
        trade(ex, 'gate', m.result.currency_pair.replace('_', '/'), m.result, c.ts, out);
      }
      return out;
    },
  },
  {
    venue: 'kucoin',
    exchange: 'kucoin',
    parse(ex) {
      const out = empty();
      const ids = new Set<string>();
      const rows = [...capture('KUCOIN.http.0.0.gz')];
      const ws = [...capture('KUCOIN.ws.1.0.gz')];
      for (const c of rows) ids.add(/symbol=([A-Z0-9-]+)/.exec(c.url ?? '')?.[1] ?? 'X-Y');
      for (const c of ws) {
        const d = (c.json as { subject?: string; data?: { symbol?: string } }).data;
        if (typeof d?.symbol === 'string') ids.add(d.symbol);
      }
      setMarkets(
        ex,
        [...ids].map((id) => ({ id, symbol: id.replace('-', '/') })),
      );
      for (const c of rows) {
        const id = /symbol=([A-Z0-9-]+)/.exec(c.url ?? '')?.[1];
        const data = (c.json as { data?: { time?: number } }).data;
        if (id !== undefined && data !== undefined)
          out.books.push(book(ex, 'kucoin', id.replace('-', '/'), data, data.time ?? c.ts));
      }
      for (const c of ws) {
        const m = c.json as { subject?: string; data?: { symbol?: string } };
        if (m.subject !== 'trade.l3match' || m.data?.symbol === undefined) continue;
        trade(ex, 'kucoin', m.data.symbol.replace('-', '/'), m.data, c.ts, out);
      }
      return out;
    },
  },
  {
    venue: 'hyperliquid',
    exchange: 'hyperliquid',
    parse(ex) {
      setMarkets(ex, [{ id: 'BTC', symbol: 'BTC/USDC:USDC', type: 'swap' }]);
      const out = empty();
      for (const c of capture('hyperliquid_l2book_btc.gz')) {
        const d = (c.json as { data?: { levels?: unknown[][]; time?: number } }).data;
        if (d?.levels === undefined) continue;
        out.books.push(
          book(ex, 'hyperliquid', 'BTC/USDC:USDC', { bids: d.levels[0], asks: d.levels[1] }, d.time ?? c.ts, [
            'bids',
            'asks',
            'px',
            'sz',
          ]),
        );
      }
      return out;
    },
  },
];

function checkBook(b: BookSnapshot): void {
  const where = `${b.instrumentId} @${b.ts}`;
  expect(b.bids.length, where).toBeGreaterThan(0);
  expect(b.asks.length, where).toBeGreaterThan(0);
  for (let i = 1; i < b.bids.length; i++)
    expect((b.bids[i] as readonly number[])[0], where).toBeLessThan(
      (b.bids[i - 1] as readonly number[])[0] as number,
    );
  for (let i = 1; i < b.asks.length; i++)
    expect((b.asks[i] as readonly number[])[0], where).toBeGreaterThan(
      (b.asks[i - 1] as readonly number[])[0] as number,
    );
  for (const [price, size] of [...b.bids, ...b.asks]) {
    expect(price, where).toBeGreaterThan(0);
    expect(size, where).toBeGreaterThan(0);
  }
  expect((b.bids[0] as readonly number[])[0], where).toBeLessThan(
    (b.asks[0] as readonly number[])[0] as number,
  );
  const concord = new OrderBook(b.instrumentId);
  concord.applySnapshot(b.bids, b.asks, b.sequence, b.ts);
  expect(concord.bestBid()).toBe(b.bids[0]?.[0]);
  expect(concord.bestAsk()).toBe(b.asks[0]?.[0]);
  expect(concord.bids().length).toBe(b.bids.length);
  expect(concord.asks().length).toBe(b.asks.length);
}

const results = new Map<string, Parsed>();

describe('recorded venue payloads through ccxt parsers → Concord books and trades', () => {
  it.each(CASES.map((c) => [c.venue, c] as const))('%s', async (_name, c) => {
    const ex = await publicExchange(c.exchange);
    const parsed = c.parse(ex);
    results.set(c.venue, parsed);
    expect(parsed.books.length).toBeGreaterThan(0);
    for (const b of parsed.books) checkBook(b);
    for (const { tick, capturedAt } of parsed.trades) {
      expect(isValidConcordEvent(tick), JSON.stringify(tick)).toBe(true);
      expect(tick.tradeId).not.toBe('');
      // Milliseconds, near the capture (a seconds/ms/ns mix-up would be off by orders of magnitude).
      expect(Math.abs(tick.ts - capturedAt), JSON.stringify(tick)).toBeLessThan(60_000);
      expect(tick.ts).toBeGreaterThan(Date.UTC(2015, 0, 1));
    }
    const ids = parsed.trades.map((t) => t.tick.tradeId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of parsed.tickers) expect(t.bid).toBeLessThan(t.ask);
  });

  it('covers at least five venues with both books and trades', () => {
    const full = [...results].filter(([, p]) => p.books.length > 0 && p.trades.length > 0).map(([v]) => v);
    expect(full.length, full.join(', ')).toBeGreaterThanOrEqual(5);
  });
});
