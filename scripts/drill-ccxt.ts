/**
 * The crash drill against the ccxt venue (`npm run drill -- --venue ccxt [--kills N] [--seed S]`):
 * the loopback Binance server (Binance's REST and WebSocket wire format, real ccxt on the desk's
 * side) runs in this process with a moving market and fault knobs on (submits executed but never
 * answered, 429 bursts, user-data streams cut); a live-mode desk process trades on it, is killed
 * with SIGKILL N times and restarted, each restart resuming its journal and reconciling with the
 * exchange before trading; a last clean run trades, halts (verified) and ends. Then the server's
 * orders and trades are compared with the desk's journal and final positions. The last line is one
 * JSON object: kills, duplicateOrders, lostFills, positionMismatches, journalVerified, ok, …
 *
 * `--child desk …` is the desk process (same file, other role).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { AgentDefinition } from '../src/agents/contract.ts';
import { Decimal, LiveClock, Random } from '../src/core/index.ts';
import { JournalReader, verifyJournal } from '../src/journal/index.ts';
import type { CommandResult, CommandSource, IssuedCommand } from '../src/kernel/commands.ts';
import { parseDeskConfig } from '../src/kernel/config.ts';
import { type ExchangeDeskSummary, runExchangeDesk } from '../src/modes/exchange.ts';
import type { BinanceSpotServer } from '../test/venues/ccxt/binance-spot-server.ts';
import { moveMarket, startServer, urlsFor } from '../test/venues/ccxt/exchange-helpers.ts';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const API_KEY = 'drill-key-0123456789abcdef';
const SECRET = 'drill-secret-0123456789abcdef0123';

export interface CcxtDrillOptions {
  readonly kills: number;
  readonly seed: number;
  readonly minRunMs?: number;
  readonly maxRunMs?: number;
  readonly finalRunMs?: number;
  readonly log?: (line: string) => void;
}

export interface CcxtDrillResult {
  readonly venue: 'ccxt';
  readonly kills: number;
  readonly duplicateOrders: number;
  readonly lostFills: number;
  readonly phantomFills: number;
  /** Exchange trades journaled as a fill more than once. */
  readonly doubleBookedFills: number;
  readonly positionMismatches: number;
  readonly journalVerified: boolean;
  readonly haltVerified: boolean;
  readonly openAtExchange: number;
  readonly ok: boolean;
  readonly orders: number;
  readonly fills: number;
  readonly faults: Record<string, number>;
  readonly killedWhileTrading: number;
  readonly seed: number;
  readonly durationMs: number;
}

/** Market buys and sells of 0.001 BTC in turn, one per trigger (a drill agent). */
const flipper: AgentDefinition<Record<string, never>> = {
  type: 'drill-flipper',
  description: 'drill agent: alternating small market orders',
  role: 'proposer',
  configSchema: z.object({}).strict(),
  create: (id) => {
    let n = 0;
    return {
      id,
      type: 'drill-flipper',
      role: 'proposer',
      triggers: ['price-move', 'spread', 'trade', 'timer'],
      process: (ctx) => {
        if (!ctx.trigger.instrumentId.endsWith('BTC/USDT'))
          return { intents: [], confidence: 0, reasoning: 'btc only', expectedReturn: 0 };
        const side = n++ % 2 === 0 ? 'buy' : 'sell';
        return {
          intents: [
            {
              kind: 'order',
              instrumentId: ctx.trigger.instrumentId,
              side,
              type: 'market',
              quantity: Decimal.from('0.001'),
            },
          ],
          confidence: 1,
          reasoning: `flip ${side}`,
          expectedReturn: 0,
        };
      },
      snapshot: () => ({ n }),
      restore: (state: unknown) => {
        const v = (state as { n?: unknown } | undefined)?.n;
        if (typeof v === 'number') n = v;
      },
    };
  },
};

function nodeWithTsx(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/drill-ccxt.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A desk process is trading (faults are injected only then, so none waits for the next start). */
let trading = false;

async function runDesk(
  port: number,
  dir: string,
  mode: { kind: 'kill'; afterMs: number } | { kind: 'final'; tradeMs: number },
): Promise<{ ready: boolean; summary?: ExchangeDeskSummary; code: number | null; stderr: string }> {
  const args = ['--child', 'desk', '--port', String(port), '--dir', dir];
  if (mode.kind === 'final') args.push('--duration', String(mode.tradeMs), '--halt');
  else args.push('--duration', '600000');
  const child = nodeWithTsx(args);
  const wall = new LiveClock();
  let ready = false;
  let summary: ExchangeDeskSummary | undefined;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let m: { t?: string; summary?: ExchangeDeskSummary } | undefined;
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      return;
    }
    if (m?.t === 'ready') {
      ready = true;
      trading = true;
      if (mode.kind === 'kill') wall.setTimeout(() => child.kill('SIGKILL'), mode.afterMs);
    } else if (m?.t === 'summary') summary = m.summary;
  });
  const guard = wall.setTimeout(() => child.kill('SIGKILL'), mode.kind === 'kill' ? 30_000 : 120_000);
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  trading = false;
  wall.clearTimer(guard);
  return { ready, ...(summary === undefined ? {} : { summary }), code, stderr };
}

export async function runCcxtDrill(options: CcxtDrillOptions): Promise<CcxtDrillResult> {
  const wall = new LiveClock();
  const started = wall.now();
  const log = options.log ?? (() => {});
  const random = new Random(options.seed);
  const server: BinanceSpotServer = await startServer(API_KEY, SECRET);
  const stopMarket = moveMarket(server);
  const faults: Record<string, number> = { hungSubmits: 0, bursts429: 0, streamCuts: 0 };
  const faultTimer = wall.setInterval(() => {
    if (!trading) return;
    const r = random.next();
    if (r < 0.3) {
      server.hangOrderResponses(1);
      faults.hungSubmits = (faults.hungSubmits ?? 0) + 1;
    } else if (r < 0.45) {
      server.burst429(2, 1);
      faults.bursts429 = (faults.bursts429 ?? 0) + 1;
    } else if (r < 0.6) {
      server.suspendUserStreams();
      faults.streamCuts = (faults.streamCuts ?? 0) + 1;
      wall.setTimeout(() => server.resumeUserStreams(), 400);
    }
  }, 700);
  const dir = join(mkdtempSync(join(tmpdir(), 'concord-drill-ccxt-')), 'journal');
  let killedWhileTrading = 0;
  try {
    for (let i = 0; i < options.kills; i++) {
      const afterMs = Math.round(
        (options.minRunMs ?? 300) + random.next() * ((options.maxRunMs ?? 1500) - (options.minRunMs ?? 300)),
      );
      const r = await runDesk(server.port, dir, { kind: 'kill', afterMs });
      if (r.ready) killedWhileTrading++;
      else if (r.code !== null)
        log(
          `  the desk failed before trading: ${r.stderr.split('\n').find((l) => l.includes('CONCORD_ERR')) ?? r.stderr.slice(-300)}`,
        );
      log(
        `kill ${i + 1}/${options.kills}: after ${afterMs} ms of trading (ready=${r.ready}, code ${r.code})`,
      );
    }
    wall.clearTimer(faultTimer);
    server.resumeUserStreams();
    // A start that meets a 429 the fault loop left behind fails fast (as it should); start again,
    // as a process supervisor would.
    let final = await runDesk(server.port, dir, { kind: 'final', tradeMs: options.finalRunMs ?? 3000 });
    for (let retry = 0; final.summary === undefined && retry < 3; retry++) {
      log(`final run did not complete (code ${final.code}); starting it again`);
      await wall.sleep(1500);
      final = await runDesk(server.port, dir, { kind: 'final', tradeMs: options.finalRunMs ?? 3000 });
    }
    if (final.summary === undefined)
      throw new Error(`the final run gave no summary: ${final.stderr.slice(-2000)}`);
    stopMarket();
    return audit(server, dir, final.summary, {
      kills: options.kills,
      faults,
      killedWhileTrading,
      seed: options.seed,
      durationMs: wall.now() - started,
    });
  } finally {
    wall.clearTimer(faultTimer);
    stopMarket();
    await server.close();
    if (process.env.CONCORD_DRILL_KEEP !== '1') rmSync(dirname(dir), { recursive: true, force: true });
  }
}

function audit(
  server: BinanceSpotServer,
  dir: string,
  summary: ExchangeDeskSummary,
  facts: Pick<CcxtDrillResult, 'kills' | 'faults' | 'killedWhileTrading' | 'seed' | 'durationMs'>,
): CcxtDrillResult {
  // Duplicate orders: more than one order at the exchange for one client order id.
  const perId = new Map<string, number>();
  for (const o of server.orders) perId.set(o.clientOrderId, (perId.get(o.clientOrderId) ?? 0) + 1);
  const duplicateOrders = [...perId.values()].filter((n) => n > 1).length;
  // Fills: every trade the exchange made for the account is journaled once; none the exchange did not make.
  const exchangeTrades = new Set(server.trades.map((t) => String(t.id)));
  const journaled = new Map<string, number>();
  let haltVerified = false;
  const reader = JournalReader.open(dir);
  try {
    for (const r of reader.records()) {
      if (r.type === 'halt.verified') haltVerified = (r.payload as { verified?: boolean }).verified === true;
      if (r.type !== 'order.filled' && r.type !== 'reconcile.fill-recovered') continue;
      const p = r.payload as { fill?: { tradeId?: string }; tradeId?: string };
      const id = p.fill?.tradeId ?? p.tradeId;
      if (id !== undefined) journaled.set(id, (journaled.get(id) ?? 0) + 1);
    }
  } finally {
    reader.close();
  }
  const lostFills = [...exchangeTrades].filter((id) => !journaled.has(id)).length;
  const phantomFills = [...journaled.keys()].filter((id) => !exchangeTrades.has(id)).length;
  const doubleBookedFills = [...journaled.values()].filter((n) => n > 1).length;
  // Positions: the desk's final BTC position against the exchange's net BTC traded (commission 0).
  let net = Decimal.ZERO;
  for (const t of server.trades)
    if (t.symbol === 'BTCUSDT') net = t.isBuyer ? net.add(t.qty) : net.sub(t.qty);
  const desk = summary.positions.find((p) => p.instrumentId === 'binance:BTC/USDT')?.quantity ?? '0';
  const positionMismatches = Decimal.from(desk).eq(net) ? 0 : 1;
  const journalVerified = verifyJournal(dir).ok;
  const openAtExchange = server.orders.filter(
    (o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED',
  ).length;
  const ok =
    duplicateOrders === 0 &&
    lostFills === 0 &&
    phantomFills === 0 &&
    doubleBookedFills === 0 &&
    positionMismatches === 0 &&
    journalVerified &&
    haltVerified &&
    openAtExchange === 0;
  return {
    venue: 'ccxt',
    ...facts,
    duplicateOrders,
    lostFills,
    phantomFills,
    doubleBookedFills,
    positionMismatches,
    journalVerified,
    haltVerified,
    openAtExchange,
    ok,
    orders: server.orders.length,
    fills: server.trades.length,
  };
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

/** The desk process: a live desk on the server, announcing `ready`, and its summary at the end. */
async function deskChild(args: readonly string[]): Promise<void> {
  const port = Number(argValue(args, '--port'));
  const dir = argValue(args, '--dir') as string;
  const durationMs = Number(argValue(args, '--duration'));
  const halt = args.includes('--halt');
  const queue: IssuedCommand[] = [];
  const commands: CommandSource = { poll: () => ({ rejected: [], commands: queue.splice(0) }) };
  const wall = new LiveClock();
  const config = parseDeskConfig({
    mode: 'live',
    journal: { dir, flushEveryMs: 200 },
    live: { enabled: true, reconcileIntervalMs: 1000 },
    agents: [{ id: 'flipper', type: 'drill-flipper', config: {} }],
    exchanges: { binance: { symbols: ['BTC/USDT'], urls: urlsFor(port), timeoutMs: 1500 } },
  });
  // Like a process supervisor: a start refused by a rate limit (a 429 the faults left) is tried again.
  const start = async (): Promise<ExchangeDeskSummary> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startDesk();
      } catch (err) {
        const e = err as { code?: string; details?: { kind?: string } };
        if (attempt >= 5 || e.code !== 'CONCORD_ERR_VENUE_UNREACHABLE' || e.details?.kind !== 'rate-limit')
          throw err;
        await wall.sleep(1100);
      }
    }
  };
  const startDesk = () =>
    runExchangeDesk({
      config,
      exchange: 'binance',
      live: true,
      credentials: { apiKey: API_KEY, secret: SECRET },
      durationMs,
      commands,
      agentDefinitions: [flipper as AgentDefinition<unknown>],
      pollIntervalMs: 200,
      onReady: () => {
        process.stdout.write(`${JSON.stringify({ t: 'ready' })}\n`);
        if (halt)
          wall.setTimeout(
            () =>
              queue.push({
                command: { kind: 'halt', reason: 'drill: end', flatten: false },
                origin: { channel: 'drill' },
                settle: (r: CommandResult) => process.stdout.write(`${JSON.stringify({ t: 'halted', r })}\n`),
              }),
            Math.max(0, durationMs - 1500),
          );
      },
    });
  const summary = await start();
  process.stdout.write(`${JSON.stringify({ t: 'summary', summary })}\n`);
}

export async function ccxtDrillMain(args: readonly string[]): Promise<void> {
  if (argValue(args, '--child') === 'desk') {
    await deskChild(args);
    process.exit(0);
  }
  const kills = Number(argValue(args, '--kills') ?? 50);
  const seed = Number(argValue(args, '--seed') ?? 7);
  const result = await runCcxtDrill({ kills, seed, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(ROOT, 'scripts/drill-ccxt.ts'))
  void ccxtDrillMain(process.argv.slice(2));
