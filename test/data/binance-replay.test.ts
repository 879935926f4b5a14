import { describe, expect, it } from 'vitest';
import {
  BinanceFeedReader,
  BookManager,
  binanceSequenceMode,
  MarketData,
  readBinanceFeed,
} from '../../src/data/index.ts';
import type { MarketEvent } from '../../src/model/index.ts';
import { BINANCE, dataFile, gunzipLines, tmpDir, writeGz } from './helpers.ts';

function replay(paths: string[], manager = new BookManager({ modeFor: binanceSequenceMode })) {
  const reader = new BinanceFeedReader(paths);
  const counts: Record<string, number> = {};
  for (const event of reader.readSync()) {
    counts[event.type] = (counts[event.type] ?? 0) + 1;
    manager.apply(event);
  }
  return { reader, manager, counts };
}

const cases = [
  {
    name: 'spot BTCUSDT',
    file: BINANCE.spot,
    id: 'binance-spot:BTCUSDT',
    mode: 'update-range',
    deltas: 3451,
    quotes: 28040,
    trades: 9757,
  },
  {
    name: 'USDⓈ-M BTCUSDT',
    file: BINANCE.usdm,
    id: 'binance-usdm:BTCUSDT',
    mode: 'previous-id',
    deltas: 6551,
    quotes: 66089,
    trades: 21313,
  },
  {
    name: 'COIN-M BTCUSD_PERP',
    file: BINANCE.coinm,
    id: 'binance-coinm:BTCUSD_PERP',
    mode: 'previous-id',
    deltas: 26847,
    quotes: 19136,
    trades: 2286,
  },
] as const;

describe('replaying the whole Binance recordings', () => {
  for (const c of cases) {
    it(`rebuilds the ${c.name} book with no gap, and every checkable bookTicker matches it`, () => {
      const { reader, manager, counts } = replay([dataFile(c.file)]);
      expect(counts).toEqual({
        'book.snapshot': 1,
        'book.delta': c.deltas,
        quote: c.quotes,
        trade: c.trades,
      });
      expect(reader.lines).toBe(1 + c.deltas + c.quotes + c.trades);
      const stats = manager.stats(c.id);
      expect(stats).toBeDefined();
      if (stats === undefined) return;
      expect(stats.mode).toBe(c.mode);
      expect(stats.status).toBe('live');
      expect(manager.isTradable(c.id)).toBe(true);
      expect(stats.snapshots).toBe(1);
      expect(stats.gaps).toBe(0);
      expect(stats.resyncs).toBe(0);
      expect(stats.crossed).toBe(0);
      expect(stats.invalid).toBe(0);
      // Every delta is either applied or older than the snapshot (those recorded before it arrived).
      expect(stats.updates + stats.dropped).toBe(c.deltas);
      expect(stats.dropped).toBeLessThan(30);
      expect(stats.bookTickerMismatches).toBe(0);
      // The comparison must actually have happened, many times.
      expect(stats.bookTickerChecks).toBeGreaterThan(2500);
      console.info(
        `${c.name}: ${stats.bookTickerChecks} bookTicker comparisons, ${stats.updates} deltas applied`,
      );
      const book = manager.book(c.id);
      expect(book?.isCrossed()).toBe(false);
      expect(book?.mid()).toBeGreaterThan(50_000);
    }, 120_000);
  }

  it('the streaming reader yields exactly the events of the sync one', async () => {
    const path = dataFile(BINANCE.spot);
    const sync = [...new BinanceFeedReader([path]).readSync()];
    const streamed: MarketEvent[] = [];
    for await (const e of readBinanceFeed([path])) streamed.push(e);
    expect(streamed.length).toBe(sync.length);
    expect(streamed).toEqual(sync);
  }, 120_000);

  it('replays several files as one continuous feed: a later file continues without a snapshot', () => {
    const lines = gunzipLines(dataFile(BINANCE.usdm));
    const dir = tmpDir();
    const cut = Math.floor(lines.length / 2);
    const first = writeGz(`${dir}/usdm_btcusdt_1.gz`, lines.slice(0, cut));
    const second = writeGz(`${dir}/usdm_btcusdt_2.gz`, lines.slice(cut));
    const whole = replay([dataFile(BINANCE.usdm)]);
    const split = replay([first, second]);
    const id = 'binance-usdm:BTCUSDT';
    expect(split.manager.stats(id)).toEqual(whole.manager.stats(id));
    expect(split.manager.book(id)?.bids(50)).toEqual(whole.manager.book(id)?.bids(50));
    expect(split.manager.book(id)?.asks(50)).toEqual(whole.manager.book(id)?.asks(50));
  }, 120_000);

  it('derives the venue from the messages when the file name does not say it', () => {
    const dir = tmpDir();
    const lines = gunzipLines(dataFile(BINANCE.usdm)).slice(0, 200);
    const path = writeGz(`${dir}/recording.gz`, lines);
    const ids = new Set([...new BinanceFeedReader([path]).readSync()].map((e) => e.instrumentId));
    expect([...ids]).toEqual(['binance-usdm:BTCUSDT']);
  }, 120_000);

  it('maps fields: deltas carry U/u/pu, quotes carry u, trades take the aggressor from m, ts is E', () => {
    const events = [...new BinanceFeedReader([dataFile(BINANCE.coinm)]).readSync()].slice(0, 60);
    const delta = events.find((e) => e.type === 'book.delta');
    expect(delta).toMatchObject({
      ts: 1723161257440,
      firstSequence: 1007198631260,
      sequence: 1007198631565,
      previousSequence: 1007198631198,
    });
    if (delta?.type === 'book.delta') expect(delta.bids[0]).toEqual([61773.6, 1001]);
    const quote = events.find((e) => e.type === 'quote');
    expect(quote).toMatchObject({
      sequence: 1007198632021,
      bid: 61804.7,
      bidSize: 35,
      ask: 61804.8,
      askSize: 1645,
      ts: 1723161257476,
    });
    const trade = events.find((e) => e.type === 'trade');
    expect(trade).toMatchObject({
      price: 61804.8,
      size: 4,
      aggressor: 'buy',
      tradeId: '849714402',
      ts: 1723161257687,
    });
  }, 120_000);

  it('uses the local receive time when asked, which never goes backwards', () => {
    let last = Number.NEGATIVE_INFINITY;
    let n = 0;
    for (const e of new BinanceFeedReader([dataFile(BINANCE.spot)], { timestamps: 'receive' }).readSync()) {
      expect(e.ts >= last).toBe(true);
      last = e.ts;
      n++;
    }
    expect(n).toBe(41249);
  }, 120_000);

  it('feeds MarketData: live book, mid history and last price', () => {
    const md = new MarketData({ books: { modeFor: binanceSequenceMode }, historyCapacity: 64 });
    let changed = 0;
    for (const e of new BinanceFeedReader([dataFile(BINANCE.spot)]).readSync()) if (md.apply(e)) changed++;
    const id = 'binance-spot:BTCUSDT';
    expect(changed).toBeGreaterThan(30_000);
    expect(md.book(id)?.bestBid()).toBeLessThan(md.book(id)?.bestAsk() as number);
    const history = md.midHistory(id, 100);
    expect(history.length).toBe(64);
    for (const mid of history) expect(mid).toBeGreaterThan(50_000);
    expect(md.lastPrice(id)).toBeGreaterThan(50_000);
  }, 120_000);
});
