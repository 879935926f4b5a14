/**
 * A live desk on the loopback Binance server (real ccxt, Binance's wire format): startup
 * reconciliation and the unknown-orders policy, resting orders, then an operator halt that is
 * verified at the exchange (zero open orders there, `halt.verified` journaled); and no trace of
 * the API key or secret in anything the desk printed or journaled.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDefinition } from '../../../src/agents/contract.ts';
import { EVENTS } from '../../../src/bus/index.ts';
import { Decimal, LiveClock } from '../../../src/core/index.ts';
import { JournalReader } from '../../../src/journal/index.ts';
import { parseDeskConfig } from '../../../src/kernel/index.ts';
import { type ExchangeDeskSummary, runExchangeDesk } from '../../../src/modes/index.ts';
import { CcxtVenue } from '../../../src/venues/ccxt/index.ts';
import { tempDir } from '../../helpers/cli.ts';
import type { BinanceSpotServer } from './binance-spot-server.ts';
import {
  encodings,
  manualCommands,
  moveMarket,
  restOnce,
  runOutputs,
  startServer,
  urlsFor,
} from './exchange-helpers.ts';

const API_KEY = 'ConcordTestKey9f3a7c2e51b84d06aa17e3c9';
const SECRET = 'ConcordTestSecret4b8e1d7f92c0a35e6d2b';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function liveConfig(dir: string, port: number, extra: Record<string, unknown> = {}) {
  return parseDeskConfig({
    mode: 'live',
    journal: { dir, flushEveryMs: 200 },
    live: { enabled: true, reconcileIntervalMs: 1000, ...extra },
    agents: [{ id: 'rester', type: 'rest-once', config: { quantity: '0.01' } }],
    exchanges: { binance: { symbols: ['BTC/USDT', 'ETH/USDT'], urls: urlsFor(port), timeoutMs: 3000 } },
  });
}

function openAtServer(server: BinanceSpotServer): string[] {
  return server.orders
    .filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')
    .map((o) => o.clientOrderId);
}

describe('live desk on the loopback Binance server', () => {
  it('reconciles at start, cancels unknown open orders, then a halt ends with zero open orders at the exchange, verified and journaled; no key material anywhere', async () => {
    const server = await startServer(API_KEY, SECRET);
    cleanups.push(() => server.close());
    const stopMarket = moveMarket(server);
    cleanups.push(stopMarket);
    const clock = new LiveClock();
    // An order some earlier client left open on the account: the desk's journal does not know it.
    const outsider = await CcxtVenue.open({
      exchange: 'binance',
      clock,
      credentials: { apiKey: API_KEY, secret: SECRET },
      urls: urlsFor(server.port),
      symbols: ['BTC/USDT'],
      orderEvents: 'poll',
      timeoutMs: 3000,
    });
    cleanups.push(() => outsider.close());
    const btc = outsider.instruments()[0]?.id as string;
    await outsider.submitOrder({
      clientOrderId: 'left-over-1',
      instrumentId: btc,
      venue: 'binance',
      side: 'buy',
      type: 'limit',
      timeInForce: 'GTC',
      price: Decimal.from('50000'),
      quantity: Decimal.from('0.01'),
      decisionId: 'x',
      leg: 0,
      ts: 0,
    });
    expect(openAtServer(server)).toEqual(['left-over-1']);

    const dir = join(tempDir(), 'journal');
    const lines: string[] = [];
    const commands = manualCommands();
    const controller = new AbortController();
    let readyAt = -1;
    const run: Promise<ExchangeDeskSummary> = runExchangeDesk({
      config: liveConfig(dir, server.port),
      exchange: 'binance',
      live: true,
      credentials: { apiKey: API_KEY, secret: SECRET },
      durationMs: 30_000,
      signal: controller.signal,
      commands: commands.source,
      onEvent: (text) => lines.push(text),
      onStatus: (s) => lines.push(JSON.stringify(s)),
      onReady: () => {
        readyAt = clock.now();
      },
      agentDefinitions: [restOnce as AgentDefinition<unknown>],
      pollIntervalMs: 200,
    });
    // The desk rests one bid per instrument; the left-over order is gone before that.
    const deadline = clock.now() + 20_000;
    while (clock.now() < deadline) {
      const open = openAtServer(server);
      if (open.length === 2 && !open.includes('left-over-1')) break;
      await clock.sleep(50);
    }
    expect(readyAt).toBeGreaterThan(0);
    const restingBeforeHalt = openAtServer(server);
    expect(restingBeforeHalt).toHaveLength(2);
    expect(restingBeforeHalt).not.toContain('left-over-1');
    // One more order placed behind the desk's back just before the halt: only the exchange knows it.
    await outsider.submitOrder({
      clientOrderId: 'behind-the-back',
      instrumentId: btc,
      venue: 'binance',
      side: 'buy',
      type: 'limit',
      timeInForce: 'GTC',
      price: Decimal.from('50001'),
      quantity: Decimal.from('0.01'),
      decisionId: 'y',
      leg: 0,
      ts: 0,
    });
    expect(openAtServer(server)).toHaveLength(3);

    const result = await commands.halt('test: verified halt');
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(/verified: binance reports 0 open orders/);
    expect(result.message).toMatch(/no dead-man switch/);
    expect(openAtServer(server)).toEqual([]);
    controller.abort();
    const summary = await run;
    expect(summary.mode).toBe('live');
    expect(summary.tradingState).toBe('HALTED');
    expect(summary.haltVerifications).toHaveLength(1);
    expect(openAtServer(server)).toEqual([]);
    // Every order the exchange ever held for the account: one per client id, none doubled.
    const ids = server.orders.map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);

    const records = (() => {
      const reader = JournalReader.open(dir);
      try {
        return [...reader.records()];
      } finally {
        reader.close();
      }
    })();
    const unknown = records.filter((r) => r.type === EVENTS.liveUnknownOrders.name);
    expect(unknown).toHaveLength(1);
    expect((unknown[0]?.payload as { cancelled?: string[] } | undefined)?.cancelled).toEqual(['left-over-1']);
    const verified = records.filter((r) => r.type === EVENTS.haltVerified.name);
    expect(verified).toHaveLength(1);
    const v = verified[0]?.payload as {
      verified: boolean;
      cancelled: string[];
      openAfter: string[];
      deadMan: { supported: boolean; armed: boolean };
    };
    expect(v.verified).toBe(true);
    expect(v.cancelled).toContain('behind-the-back');
    expect(v.openAfter).toEqual([]);
    expect(v.deadMan).toMatchObject({ supported: false, armed: false });
    // The startup reconciliation ran before the desk's first order.
    const firstReport = records.findIndex((r) => r.type === EVENTS.reconcileReport.name);
    const firstSubmit = records.findIndex((r) => r.type === EVENTS.orderSubmitted.name);
    expect(firstReport).toBeGreaterThan(-1);
    expect(firstSubmit).toBeGreaterThan(firstReport);

    // Secrets: nothing the desk printed, journaled or wrote to disk carries the key material.
    const haystacks = runOutputs(lines, dir, [JSON.stringify(summary)]);
    expect(haystacks.length).toBeGreaterThan(10);
    for (const needle of [...encodings(API_KEY), ...encodings(SECRET)])
      for (const text of haystacks) expect(text.includes(needle)).toBe(false);
  }, 60_000);
});
