/**
 * A live desk on the loopback Hyperliquid server (real ccxt `hyperliquid` client, EIP-712
 * signed actions, an API wallet's key, never the main wallet's): the desk rests orders, one more
 * is placed behind its back, then an operator halt is verified at the exchange: zero open orders
 * there, the exchange's dead-man switch (`scheduleCancel`) armed for a time in the future, and
 * `halt.verified` journaled with the dead-man state; and no trace of the private key in anything
 * the desk printed or journaled.
 */
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDefinition } from '../../../src/agents/contract.ts';
import { EVENTS } from '../../../src/bus/index.ts';
import { Decimal, LiveClock } from '../../../src/core/index.ts';
import { JournalReader } from '../../../src/journal/index.ts';
import { parseDeskConfig } from '../../../src/kernel/index.ts';
import { type ExchangeDeskSummary, runExchangeDesk } from '../../../src/modes/index.ts';
import { CcxtVenue, wireClientId } from '../../../src/venues/ccxt/index.ts';
import { tempDir } from '../../helpers/cli.ts';
import { encodings, manualCommands, restOnce, runOutputs } from './exchange-helpers.ts';
import { BTC, ETH } from './hyperliquid-harness.ts';
import { HyperliquidServer } from './hyperliquid-server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Moves both spot books a little every `everyMs` until stopped. */
function moveMarket(server: HyperliquidServer, everyMs = 100): () => void {
  const clock = new LiveClock();
  let i = 0;
  const set = () => {
    const d = ((i++ % 10) - 5) * 20;
    server.setBook(
      BTC.name,
      [
        [60000 + d, 1],
        [59990 + d, 2],
      ],
      [
        [60010 + d, 1],
        [60020 + d, 2],
      ],
    );
    server.setBook(
      ETH.name,
      [
        [3000 + d / 20, 5],
        [2999 + d / 20, 5],
      ],
      [
        [3001 + d / 20, 5],
        [3002 + d / 20, 5],
      ],
    );
  };
  set();
  const timer = clock.setInterval(set, everyMs);
  return () => clock.clearTimer(timer);
}

describe('live desk on the loopback Hyperliquid server', () => {
  it('rests orders, then a halt ends with zero open orders at the exchange, its dead-man switch armed, verified and journaled; no key material anywhere', async () => {
    const agentKey = generatePrivateKey();
    const agent = privateKeyToAccount(agentKey);
    const user = privateKeyToAccount(generatePrivateKey()).address;
    const server = await HyperliquidServer.start({
      markets: [BTC, ETH],
      accounts: [{ user, agents: [agent.address], balances: { USDC: '100000', UBTC: '10' } }],
    });
    cleanups.push(() => server.close());
    cleanups.push(moveMarket(server));
    const credentials = { walletAddress: user, privateKey: agentKey };
    const clock = new LiveClock();
    const exchangeSpec = {
      symbols: ['BTC/USDC', 'ETH/USDC'],
      urls: server.ccxtUrls(),
      timeoutMs: 3000,
      // ccxt spaces Hyperliquid requests by weight (an /info costs 20 × 50 ms); the loopback server has no such limit.
      rateLimitMs: 2,
    };
    const dir = join(tempDir(), 'journal');
    const config = parseDeskConfig({
      mode: 'live',
      journal: { dir, flushEveryMs: 200 },
      live: { enabled: true, reconcileIntervalMs: 1000, deadManMs: 60_000 },
      agents: [{ id: 'rester', type: 'rest-once', config: { quantity: '0.01' } }],
      exchanges: { hyperliquid: exchangeSpec },
    });
    const lines: string[] = [];
    const commands = manualCommands();
    const controller = new AbortController();
    let readyAt = -1;
    const run: Promise<ExchangeDeskSummary> = runExchangeDesk({
      config,
      exchange: 'hyperliquid',
      live: true,
      credentials,
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
    // The desk rests one bid per instrument.
    const deadline = clock.now() + 15_000;
    while (clock.now() < deadline && server.openOrdersOf(user).length < 2) await clock.sleep(50);
    expect(readyAt).toBeGreaterThan(0);
    expect(server.openOrdersOf(user)).toHaveLength(2);
    expect(server.scheduledCancelAt(user)).toBeUndefined();

    // One more order placed behind the desk's back just before the halt: only the exchange knows it.
    const outsider = await CcxtVenue.open({
      exchange: 'hyperliquid',
      clock,
      credentials,
      urls: server.ccxtUrls(),
      symbols: ['BTC/USDC'],
      orderEvents: 'poll',
      timeoutMs: 2999, // its own ccxt instance
      rateLimitMs: 2,
    });
    cleanups.push(() => outsider.close());
    await outsider.submitOrder({
      clientOrderId: 'behind-the-back',
      instrumentId: outsider.instruments()[0]?.id as string,
      venue: 'hyperliquid',
      side: 'buy',
      type: 'limit',
      timeInForce: 'GTC',
      price: Decimal.from('50000'),
      quantity: Decimal.from('0.01'),
      decisionId: 'y',
      leg: 0,
      ts: 0,
    });
    expect(server.openOrdersOf(user)).toHaveLength(3);

    const before = server.now();
    const result = await commands.halt('test: verified halt');
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(/verified: hyperliquid reports 0 open orders/);
    expect(result.message).toMatch(/dead-man switch armed \(60000 ms\)/);
    expect(server.openOrdersOf(user)).toEqual([]);
    // The dead-man switch is armed at the exchange: its scheduled cancel lies in the future.
    const at = server.scheduledCancelAt(user) as number;
    expect(at).toBeGreaterThan(server.now());
    expect(at - before).toBeGreaterThanOrEqual(59_000);
    expect(at - before).toBeLessThan(70_000);
    expect(server.counters.scheduleCancelsArmed).toBe(1);
    expect(server.counters.badSignatures).toBe(0);
    controller.abort();
    const summary = await run;
    expect(summary.mode).toBe('live');
    expect(summary.tradingState).toBe('HALTED');
    expect(summary.haltVerifications).toHaveLength(1);
    expect(server.openOrdersOf(user)).toEqual([]);
    // One order per client id at the exchange: none doubled.
    const cloids = server.orders.map((o) => o.cloid);
    expect(cloids.every((c) => c !== undefined)).toBe(true);
    expect(new Set(cloids).size).toBe(cloids.length);
    expect(cloids).toHaveLength(3);

    const reader = JournalReader.open(dir);
    const records = (() => {
      try {
        return [...reader.records()];
      } finally {
        reader.close();
      }
    })();
    const verified = records.filter((r) => r.type === EVENTS.haltVerified.name);
    expect(verified).toHaveLength(1);
    const v = verified[0]?.payload as {
      venue: string;
      verified: boolean;
      cancelled: string[];
      openAfter: string[];
      deadMan: { supported: boolean; armed: boolean; timeoutMs: number; error: string | null };
    };
    expect(v.venue).toBe('hyperliquid');
    expect(v.verified).toBe(true);
    // An order another client sent is reported by the exchange's cloid, and cancelled by its order id.
    expect(v.cancelled).toContain(wireClientId('hyperliquid', 'behind-the-back'));
    expect(v.openAfter).toEqual([]);
    expect(v.deadMan).toEqual({ supported: true, armed: true, timeoutMs: 60_000, error: null });
    const firstReport = records.findIndex((r) => r.type === EVENTS.reconcileReport.name);
    const firstSubmit = records.findIndex((r) => r.type === EVENTS.orderSubmitted.name);
    expect(firstReport).toBeGreaterThan(-1);
    expect(firstSubmit).toBeGreaterThan(firstReport);

    // Secrets: nothing the desk printed, journaled or wrote to disk carries the API wallet's key.
    const haystacks = runOutputs(lines, dir, [JSON.stringify(summary)]);
    expect(haystacks.length).toBeGreaterThan(10);
    for (const needle of [...encodings(agentKey), ...encodings(agentKey.slice(2))])
      for (const text of haystacks) expect(text.includes(needle)).toBe(false);
  }, 40_000);
});
