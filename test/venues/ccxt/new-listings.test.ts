/**
 * New-listing detection end to end: a loopback Binance server lists a symbol mid-run in
 * PRE_TRADING, flips it to TRADING, then prints its first trade. The listing watch (ccxt's
 * `loadMarkets(true)` on an interval, diffed) raises `market.listed` and `market.status`, the
 * new-listing agent turns them into decisions without intents, and all of it is journaled
 * (a real SQLite journal, read back).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NewListingAgent } from '../../../src/agents/library/new-listing/index.ts';
import { EVENTS } from '../../../src/bus/index.ts';
import { SqliteJournal } from '../../../src/journal/index.ts';
import type { DecisionRecord } from '../../../src/model/index.ts';
import { listingJournal } from '../../../src/modes/listing-watch.ts';
import { type ListingChange, ListingWatcher, listingStateOf } from '../../../src/venues/ccxt/index.ts';
import { binanceHarness, cleanupAfterEachTest, onCleanup } from './harness.ts';

cleanupAfterEachTest();

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('listing readiness from the exchange fields', () => {
  it("reads Binance's status word, MEXC's status code and isSpotTradingAllowed, and ccxt's active flag", () => {
    expect(listingStateOf({ active: true, info: { status: 'TRADING' } }).tradable).toBe(true);
    expect(listingStateOf({ active: false, info: { status: 'PRE_TRADING' } }).tradable).toBe(false);
    expect(listingStateOf({ active: false, info: { status: 'BREAK' } }).tradable).toBe(false);
    // MEXC spot: status "1" online, "2" paused, "3" offline; trading also needs isSpotTradingAllowed.
    const mexcOnline = listingStateOf({
      active: true,
      info: { status: '1', isSpotTradingAllowed: true, st: false },
    });
    expect(mexcOnline).toMatchObject({
      tradable: true,
      status: '1',
      details: { isSpotTradingAllowed: true, st: false },
    });
    expect(
      listingStateOf({ active: false, info: { status: '2', isSpotTradingAllowed: true } }).tradable,
    ).toBe(false);
    expect(listingStateOf({ info: { status: '1', isSpotTradingAllowed: false } }).tradable).toBe(false);
    // OKX "live", Hyperliquid (no status field at all).
    expect(listingStateOf({ active: true, info: { state: 'live' } }).tradable).toBe(true);
    expect(listingStateOf({ active: true, info: {} })).toMatchObject({ tradable: true, status: undefined });
  });
});

describe('new-listing agent', () => {
  it('never trades and reports each stage once: listed, trading, ready, halted, delisted', () => {
    const agent = new NewListingAgent('nl-unit');
    const base = { venue: 'mexc', symbol: 'NEW/USDT', instrumentId: 'mexc:NEW/USDT' };
    const st = (tradable: boolean, firstTradeTs: number | null = null) => ({
      active: tradable,
      status: tradable ? '1' : '2',
      tradable,
      firstTradeTs,
      details: {},
    });
    const seen: (DecisionRecord | undefined)[] = [
      agent.observe({ type: 'listed', ts: 1, payload: { ...base, state: st(false) } }),
      agent.observe({
        type: 'status',
        ts: 2,
        payload: { ...base, reason: 'status', from: st(false), to: st(false) },
      }),
      agent.observe({
        type: 'status',
        ts: 3,
        payload: { ...base, reason: 'status', from: st(false), to: st(true) },
      }),
      agent.observe({
        type: 'status',
        ts: 4,
        payload: { ...base, reason: 'first-trade', from: st(true), to: st(true, 4) },
      }),
      agent.observe({
        type: 'status',
        ts: 5,
        payload: { ...base, reason: 'status', from: st(true, 4), to: st(false, 4) },
      }),
      agent.observe({
        type: 'status',
        ts: 6,
        payload: { ...base, reason: 'delisted', from: st(false, 4), to: null },
      }),
    ];
    expect(seen.map((d) => d?.reasoning.split(' ')[1])).toEqual([
      'listed',
      undefined,
      'trading',
      'ready',
      'halted',
      'delisted',
    ]);
    for (const d of seen) if (d !== undefined) expect(d.intents).toEqual([]);
    expect(seen[3]?.confidence).toBe(1);
    expect(agent.snapshot()).toEqual({ 'mexc|NEW/USDT': 'delisted' });
    // Filters: another venue or quote gives nothing.
    const filtered = new NewListingAgent('nl-f', { venues: ['binance'], quotes: ['USDC'] });
    expect(
      filtered.observe({ type: 'listed', ts: 1, payload: { ...base, state: st(true) } }),
    ).toBeUndefined();
  });
});

describe('listing watch × Binance loopback: a symbol listed and opened mid-run', () => {
  it('journals market.listed, market.status (status, first trade) and the agent decisions, in order', async () => {
    const h = await binanceHarness();
    const dir = mkdtempSync(join(tmpdir(), 'concord-listings-'));
    const journal = SqliteJournal.open(dir, { batchSize: 1 });
    onCleanup(async () => {
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const sink = listingJournal({ agent: new NewListingAgent('nl-1'), journal });
    const changes: ListingChange[] = [];
    const watcher = await ListingWatcher.open({
      exchange: 'binance',
      clock: h.clock,
      credentials: { apiKey: h.apiKey, secret: h.secret },
      urls: h.server.ccxtUrls(),
      timeoutMs: 3000,
      intervalMs: 100,
      onChange: (c) => {
        changes.push(c);
        sink.onChange(c);
      },
    });
    onCleanup(() => watcher.close());
    expect(watcher.symbols()).toEqual(['BTC/USDT', 'ETH/USDT']);
    await h.clock.sleep(250);
    expect(changes).toEqual([]); // the baseline raises nothing

    h.server.addSymbol({
      symbol: 'NEWUSDT',
      base: 'NEW',
      quote: 'USDT',
      tickSize: '0.0001',
      stepSize: '0.1',
      minNotional: '5',
      status: 'PRE_TRADING',
    });
    await until('the listing', () => changes.some((c) => c.kind === 'listed'));
    await h.clock.sleep(250); // no first-trade probe while it does not trade
    h.server.setSymbolStatus('NEWUSDT', 'TRADING');
    await until('the status change', () => changes.some((c) => c.kind === 'status' && c.reason === 'status'));
    h.server.printTrade('NEWUSDT', '0.5123', '100');
    await until('the first trade', () =>
      changes.some((c) => c.kind === 'status' && c.reason === 'first-trade'),
    );
    journal.flush();

    const records = [...journal.records()];
    const mine = records.map((r) => ({ type: r.type, payload: r.payload as Record<string, unknown> }));
    expect(mine.map((r) => r.type)).toEqual([
      EVENTS.marketListed.name,
      EVENTS.decision.name,
      EVENTS.marketStatus.name,
      EVENTS.decision.name,
      EVENTS.marketStatus.name,
      EVENTS.decision.name,
    ]);
    const [listed, d1, status, d2, firstTrade, d3] = mine.map((r) => r.payload);
    expect(listed).toMatchObject({
      venue: 'binance',
      symbol: 'NEW/USDT',
      instrumentId: 'binance:NEW/USDT',
      state: { status: 'PRE_TRADING', active: false, tradable: false, firstTradeTs: null },
    });
    expect(status).toMatchObject({
      reason: 'status',
      from: { status: 'PRE_TRADING', tradable: false },
      to: { status: 'TRADING', tradable: true, firstTradeTs: null },
    });
    expect(firstTrade).toMatchObject({ reason: 'first-trade', to: { tradable: true } });
    expect(typeof (firstTrade?.to as { firstTradeTs?: unknown } | undefined)?.firstTradeTs).toBe('number');
    expect([d1, d2, d3].map((d) => String(d?.reasoning).split(' ').slice(0, 4).join(' '))).toEqual([
      'new-listing listed binance NEW/USDT',
      'new-listing trading binance NEW/USDT',
      'new-listing ready binance NEW/USDT',
    ]);
    for (const d of [d1, d2, d3]) {
      expect(d?.intents).toEqual([]);
      expect(d?.agentId).toBe('nl-1');
    }
    expect(sink.counters).toEqual({ changes: 3, decisions: 3 });
    // Observing never traded.
    expect(h.server.orders).toEqual([]);
    expect(watcher.health()).toMatchObject({ errors: 0, markets: 3 });
  });
});
