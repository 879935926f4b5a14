/**
 * Helpers for desks on the loopback Binance server: the server with two markets and one
 * account, a market that keeps moving (so streams deliver and agents are triggered), and a test
 * agent that rests one far-from-market limit buy per instrument.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { AgentDefinition } from '../../../src/agents/contract.ts';
import { Decimal, LiveClock } from '../../../src/core/index.ts';
import { JournalReader } from '../../../src/journal/index.ts';
import type { CommandResult, CommandSource, IssuedCommand } from '../../../src/kernel/commands.ts';
import { BinanceSpotServer } from './binance-spot-server.ts';

export async function startServer(apiKey: string, secret: string): Promise<BinanceSpotServer> {
  return BinanceSpotServer.start({
    symbols: [
      {
        symbol: 'BTCUSDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.01',
        stepSize: '0.0001',
        minNotional: '10',
      },
      {
        symbol: 'ETHUSDT',
        base: 'ETH',
        quote: 'USDT',
        tickSize: '0.01',
        stepSize: '0.001',
        minNotional: '10',
      },
    ],
    accounts: [{ apiKey, secret, balances: { USDT: '100000', BTC: '10', ETH: '50' } }],
  });
}

/** Moves both books a little every `everyMs` until stopped. */
export function moveMarket(server: BinanceSpotServer, everyMs = 100): () => void {
  const clock = new LiveClock();
  let i = 0;
  const set = () => {
    const d = ((i++ % 10) - 5) * 20;
    server.setBook(
      'BTCUSDT',
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
      'ETHUSDT',
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

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** ccxt URL overrides that point every Binance endpoint at `127.0.0.1:port`. */
export function urlsFor(port: number): Record<string, unknown> {
  const http = `http://127.0.0.1:${port}`;
  const ws = `ws://127.0.0.1:${port}`;
  return {
    public: `${http}/api/v3`,
    private: `${http}/api/v3`,
    v1: `${http}/api/v1`,
    sapi: `${http}/sapi/v1`,
    ws: { spot: `${ws}/stream/ws`, margin: `${ws}/stream/ws`, 'ws-api': { spot: `${ws}/ws-api/v3` } },
  };
}

/** Rests one limit buy 1% under the best bid, once per instrument (a test agent). */
export const restOnce: AgentDefinition<{ quantity: string }> = {
  type: 'rest-once',
  description: 'test agent: one resting limit buy per instrument, 1% under the best bid',
  role: 'proposer',
  configSchema: z.object({ quantity: z.string() }).strict(),
  create: (id, config) => {
    const done = new Set<string>();
    return {
      id,
      type: 'rest-once',
      role: 'proposer',
      triggers: ['price-move', 'spread', 'trade', 'timer'],
      process: (ctx) => {
        const instrumentId = ctx.trigger.instrumentId;
        const bid = ctx.market.book(instrumentId)?.bestBid();
        if (bid === undefined || done.has(instrumentId))
          return { intents: [], confidence: 0, reasoning: 'nothing to do', expectedReturn: 0 };
        done.add(instrumentId);
        return {
          intents: [
            {
              kind: 'order',
              instrumentId,
              side: 'buy',
              type: 'limit',
              limitPrice: Decimal.from(Math.floor(bid * 0.99).toString()),
              quantity: Decimal.from(config.quantity),
            },
          ],
          confidence: 1,
          reasoning: `rest a bid under ${bid}`,
          expectedReturn: 0,
        };
      },
      snapshot: () => ({ done: [...done].sort() }),
      restore: (state: unknown) => {
        for (const id of (state as { done?: string[] } | undefined)?.done ?? []) done.add(id);
      },
    };
  },
};

/** Every record of the journal, as its JSON text. */
export function journalTexts(dir: string): string[] {
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()].map((r) => JSON.stringify(r));
  } finally {
    reader.close();
  }
}

/** The key material and its obvious encodings (a scan looks for each in every output). */
export function encodings(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [
    secret,
    b.toString('base64'),
    b.toString('base64url'),
    b.toString('hex'),
    encodeURIComponent(secret),
    secret.slice(0, 16),
    secret.slice(-16),
  ];
}

/**
 * Everything a desk run left to read: its printed lines, every journal record, `extra` (e.g. the
 * summary as JSON) and the raw bytes of every file under the journal dir (the control socket aside).
 */
export function runOutputs(lines: readonly string[], dir: string, extra: readonly string[] = []): string[] {
  return [
    ...lines,
    ...journalTexts(dir),
    ...extra,
    ...readdirSync(dir, { recursive: true })
      .map((f) => join(dir, String(f)))
      .filter((f) => !f.endsWith('control') && !f.includes(`control${'/'}`))
      .flatMap((f) => {
        try {
          return [readFileSync(f).toString('latin1')];
        } catch {
          return [];
        }
      }),
  ];
}

/** A command source the test pushes commands into. */
export function manualCommands() {
  const queue: IssuedCommand[] = [];
  const source: CommandSource = {
    poll: () => ({ rejected: [], commands: queue.splice(0) }),
  };
  return {
    source,
    halt(reason: string): Promise<CommandResult> {
      return new Promise((resolve) =>
        queue.push({
          command: { kind: 'halt', reason, flatten: false, operator: 'tester' },
          origin: { channel: 'test' },
          settle: resolve,
        }),
      );
    },
  };
}
