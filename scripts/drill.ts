/**
 * The crash drill (`npx tsx scripts/drill.ts [--kills N] [--seed S]`): a venue server with
 * fault injection runs in its own process; a paper desk is started against it, killed
 * with SIGKILL after a random 0.2–1.5 s, and started again, N times; a last clean run
 * reconciles and settles. Then the venue's records are compared with the desk's journal
 * and final portfolio. The last line printed is one JSON object:
 *   kills, duplicateOrders, lostFills, positionMismatches, journalVerified, …
 * and the drill passes when they are N, 0, 0, 0, true.
 *
 * `--child desk …` is the paper desk process the drill starts (same file, other role).
 * `--venue ccxt` runs the drill against the ccxt venue instead (scripts/drill-ccxt.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Decimal, LiveClock, Random } from '../src/core/index.ts';
import { JournalReader, verifyJournal } from '../src/journal/index.ts';
import { parseDeskConfig } from '../src/kernel/config.ts';
import { type PaperDeskSummary, runPaperDesk } from '../src/modes/paper.ts';
import type { FaultConfig } from '../src/venues/faulty/index.ts';
import { RemoteConnection } from '../src/venues/remote/client.ts';
import type { VenueServerState } from '../src/venues/remote/server.ts';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const BALANCES = { USDT: 100_000, BTC: 2 };

export const DRILL_FAULTS: FaultConfig = {
  timeoutAfterSend: 0.06,
  timeoutBeforeSend: 0.03,
  readTimeout: 0.03,
  cancelTimeout: 0.05,
  rateLimit: 0.02,
  reject: 0.03,
  disconnect: 0.004,
  disconnectMs: 300,
  dropDuringDisconnect: 0.5,
  splitFill: 0.2,
  delayFill: 0.2,
  maxDelayMs: 300,
  duplicate: 0.1,
  reorder: 0.2,
  reorderWindowMs: 50,
};

export interface DrillOptions {
  readonly kills: number;
  readonly seed: number;
  /** Random run time of a desk before its SIGKILL, real ms. */
  readonly minRunMs?: number;
  readonly maxRunMs?: number;
  /** Real time the final clean run trades before settling. */
  readonly finalRunMs?: number;
  readonly faults?: FaultConfig;
  readonly log?: (line: string) => void;
}

export interface DrillResult {
  readonly kills: number;
  readonly duplicateOrders: number;
  readonly lostFills: number;
  readonly positionMismatches: number;
  readonly journalVerified: boolean;
  readonly ok: boolean;
  readonly orders: number;
  readonly fills: number;
  readonly journaledFills: number;
  readonly phantomFills: number;
  readonly faultsInjected: number;
  readonly faults: Record<string, number>;
  readonly unknownOrders: number;
  readonly unknownResolved: number;
  readonly fillsRecovered: number;
  readonly killedWhileTrading: number;
  readonly killedBeforeReady: number;
  readonly finalTradingState: string;
  readonly finalOpenOrders: number;
  readonly finalUnknownOrders: number;
  readonly journalRecords: number;
  readonly seed: number;
  readonly durationMs: number;
}

function deskConfig(seed: number) {
  return parseDeskConfig({ mode: 'paper', seed, venues: { balances: BALANCES, latencyMs: 5 } });
}

function nodeWithTsx(script: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Calls `onLine` for each stdout line; resolves with the exit code. */
function watch(
  child: ChildProcess,
  onLine: (line: string) => void,
  stderr: string[],
): Promise<number | null> {
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 50) stderr.shift();
  });
  return new Promise((resolveExit) => child.on('exit', (code) => resolveExit(code)));
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function startServer(seed: number, faults: FaultConfig, maxRunMs: number) {
  const child = nodeWithTsx('src/venues/remote/main.ts', [
    JSON.stringify({
      seed,
      startTs: Date.UTC(2024, 0, 1),
      balances: BALANCES,
      latencyMs: 5,
      faults,
      maxRunMs,
      stepEveryMs: 5,
    }),
  ]);
  const stderr: string[] = [];
  let onPort: (port: number) => void = () => {};
  const port = new Promise<number>((resolvePort) => {
    onPort = resolvePort;
  });
  const exited = watch(
    child,
    (line) => {
      const m = parseLine(line);
      if (m?.t === 'listening' && typeof m.port === 'number') onPort(m.port);
    },
    stderr,
  );
  const first = await Promise.race([port, exited.then(() => -1)]);
  if (first < 0) throw new Error(`venue server did not start: ${stderr.join('')}`);
  return { child, port: first, exited };
}

/**
 * One desk process. A kill's `afterMs` counts from the moment its modules are loaded (`started`,
 * so the kill may land in recovery) or from the moment it trades (`ready`, so it lands mid-trading
 * however slow the machine is).
 */
async function runDeskProcess(
  port: number,
  journalDir: string,
  mode: { kind: 'kill'; afterMs: number; from: 'started' | 'ready' } | { kind: 'final'; tradeMs: number },
  seed: number,
): Promise<{ ready: boolean; summary?: PaperDeskSummary; code: number | null; stderr: string }> {
  const args = ['--child', 'desk', '--port', String(port), '--dir', journalDir, '--seed', String(seed)];
  if (mode.kind === 'final') args.push('--duration', String(mode.tradeMs), '--settle');
  else args.push('--duration', '600000');
  const child = nodeWithTsx('scripts/drill.ts', args);
  const stderr: string[] = [];
  let ready = false;
  let summary: PaperDeskSummary | undefined;
  const wall = new LiveClock();
  const exited = watch(
    child,
    (line) => {
      const m = parseLine(line);
      if (m?.t === 'started' && mode.kind === 'kill' && mode.from === 'started')
        wall.setTimeout(() => child.kill('SIGKILL'), mode.afterMs);
      else if (m?.t === 'ready') {
        ready = true;
        if (mode.kind === 'kill' && mode.from === 'ready')
          wall.setTimeout(() => child.kill('SIGKILL'), mode.afterMs);
      } else if (m?.t === 'summary') summary = m.summary as PaperDeskSummary;
    },
    stderr,
  );
  // A desk that never announces itself is killed anyway.
  const guard = wall.setTimeout(() => child.kill('SIGKILL'), mode.kind === 'kill' ? 30_000 : 120_000);
  const code = await exited;
  wall.clearTimer(guard);
  return { ready, ...(summary === undefined ? {} : { summary }), code, stderr: stderr.join('') };
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const random = new Random(options.seed).fork('drill.kills');
  const minRun = options.minRunMs ?? 200;
  const maxRun = options.maxRunMs ?? 1500;
  const work = mkdtempSync(join(tmpdir(), 'concord-drill-'));
  const journalDir = join(work, 'journal');
  const server = await startServer(options.seed, options.faults ?? DRILL_FAULTS, 15 * 60_000);
  const admin = await RemoteConnection.open({
    address: { host: '127.0.0.1', port: server.port },
    clock: new LiveClock(),
    requestTimeoutMs: 30_000,
  });
  try {
    let killedWhileTrading = 0;
    let killedBeforeReady = 0;
    for (let k = 0; k < options.kills; k++) {
      const afterMs = random.uniform(minRun, maxRun);
      // Alternate: every other desk is given its whole window to trade before it dies.
      const from = k % 2 === 0 ? 'started' : 'ready';
      const run = await runDeskProcess(
        server.port,
        journalDir,
        { kind: 'kill', afterMs, from },
        options.seed,
      );
      if (run.code !== null)
        throw new Error(`desk ${k + 1} exited by itself (code ${run.code}) before its kill:\n${run.stderr}`);
      if (run.ready) killedWhileTrading++;
      else killedBeforeReady++;
      log(
        `kill ${k + 1}/${options.kills} after ${afterMs.toFixed(0)} ms (${run.ready ? 'trading' : 'starting'})`,
      );
    }
    // The storm ends: a clean run reconciles everything the dead desks left, trades, then settles.
    await admin.request('admin.faults', undefined, {});
    const final = await runDeskProcess(
      server.port,
      journalDir,
      { kind: 'final', tradeMs: options.finalRunMs ?? 1500 },
      options.seed,
    );
    if (final.summary === undefined)
      throw new Error(`the final desk run failed (code ${final.code}):\n${final.stderr}`);
    const state = (await admin.request('admin.state', undefined)) as VenueServerState;
    const verified = verifyJournal(journalDir);
    const audit = auditJournal(journalDir, state, final.summary);
    const faults: Record<string, number> = {};
    for (const v of state.venues)
      for (const [kind, n] of Object.entries(v.faults)) faults[kind] = (faults[kind] ?? 0) + n;
    const faultsInjected = Object.values(faults).reduce((a, b) => a + b, 0);
    const result: DrillResult = {
      kills: options.kills,
      duplicateOrders: audit.duplicateOrders,
      lostFills: audit.lostFills,
      positionMismatches: audit.positionMismatches,
      journalVerified: verified.ok,
      ok:
        audit.duplicateOrders === 0 && audit.lostFills === 0 && audit.positionMismatches === 0 && verified.ok,
      orders: audit.orders,
      fills: audit.fills,
      journaledFills: audit.journaledFills,
      phantomFills: audit.phantomFills,
      faultsInjected,
      faults,
      unknownOrders: audit.unknownOrders,
      unknownResolved: audit.unknownResolved,
      fillsRecovered: audit.fillsRecovered,
      killedWhileTrading,
      killedBeforeReady,
      finalTradingState: final.summary.tradingState,
      finalOpenOrders: final.summary.openOrders,
      finalUnknownOrders: final.summary.unknownOrders,
      journalRecords: verified.records,
      seed: options.seed,
      durationMs: Math.round(performance.now() - started),
    };
    return result;
  } finally {
    try {
      await admin.request('admin.stop', undefined);
    } catch {
      server.child.kill('SIGKILL');
    }
    admin.close();
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 3000))]);
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

interface JournalAudit {
  duplicateOrders: number;
  lostFills: number;
  phantomFills: number;
  positionMismatches: number;
  orders: number;
  fills: number;
  journaledFills: number;
  unknownOrders: number;
  unknownResolved: number;
  fillsRecovered: number;
}

/** The venue's records against the desk's journal and final portfolio. */
function auditJournal(dir: string, state: VenueServerState, summary: PaperDeskSummary): JournalAudit {
  const reader = JournalReader.open(dir);
  const submitted = new Set<string>();
  // Journaled fill quantity per venue trade (a fill split by the fault layer counts towards its original).
  const journaled = new Map<string, Decimal>();
  const seen = new Set<string>();
  let unknownOrders = 0;
  let unknownResolved = 0;
  let fillsRecovered = 0;
  try {
    for (const r of reader.records([
      'order.submitted',
      'order.unknown',
      'order.filled',
      'reconcile.fill-recovered',
      'reconcile.report',
    ])) {
      const p = r.payload as {
        order: { venue: string; clientOrderId: string };
        fill: { venue: string; tradeId: string; quantity: string };
        unknownResolved?: number;
      };
      if (r.type === 'order.submitted') submitted.add(`${p.order.venue}|${p.order.clientOrderId}`);
      else if (r.type === 'order.unknown') unknownOrders++;
      else if (r.type === 'reconcile.report') unknownResolved += Number(p.unknownResolved ?? 0);
      else {
        if (r.type === 'reconcile.fill-recovered') fillsRecovered++;
        const key = `${p.fill.venue}|${p.fill.tradeId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const base = `${p.fill.venue}|${String(p.fill.tradeId).replace(/\.[12]$/, '')}`;
        journaled.set(base, (journaled.get(base) ?? Decimal.ZERO).add(Decimal.from(p.fill.quantity)));
      }
    }
  } finally {
    reader.close();
  }
  let duplicateOrders = 0;
  let lostFills = 0;
  let orders = 0;
  let fills = 0;
  const venueTrades = new Set<string>();
  let positionMismatches = 0;
  const tolerance = Decimal.from('0.000000001');
  const differs = (a: string | undefined, b: string | undefined) =>
    Decimal.from(a ?? '0')
      .sub(Decimal.from(b ?? '0'))
      .abs()
      .gt(tolerance);
  for (const venue of state.venues) {
    for (const n of Object.values(venue.resubmitted)) duplicateOrders += n - 1;
    for (const order of venue.orders) {
      orders++;
      // An order the venue holds that the journal never recorded as submitted was sent without write-ahead.
      if (!submitted.has(`${venue.id}|${order.clientOrderId}`)) duplicateOrders++;
      for (const fill of order.fills) {
        fills++;
        const key = `${venue.id}|${fill.tradeId}`;
        venueTrades.add(key);
        if (!(journaled.get(key) ?? Decimal.ZERO).eq(Decimal.from(fill.quantity))) lostFills++;
      }
    }
    for (const b of venue.balances) {
      const desk = summary.balances.find((x) => x.venue === venue.id && x.asset === b.asset)?.total;
      if (differs(desk, b.total)) positionMismatches++;
    }
    const ids = new Set([
      ...venue.positions.map((p) => p.instrumentId),
      ...summary.positions
        .filter((p) => p.instrumentId.startsWith(`${venue.id}:`))
        .map((p) => p.instrumentId),
    ]);
    for (const id of ids) {
      const desk = summary.positions.find((p) => p.instrumentId === id)?.quantity;
      if (differs(desk, venue.positions.find((p) => p.instrumentId === id)?.quantity)) positionMismatches++;
    }
  }
  let phantomFills = 0;
  for (const key of journaled.keys()) if (!venueTrades.has(key)) phantomFills++;
  return {
    duplicateOrders,
    lostFills,
    phantomFills,
    positionMismatches,
    orders,
    fills,
    journaledFills: seen.size,
    unknownOrders,
    unknownResolved,
    fillsRecovered,
  };
}

// ── command line ─────────────────────────────────────────────────────────

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function deskChild(args: readonly string[]): Promise<void> {
  process.stdout.write(`${JSON.stringify({ t: 'started' })}\n`);
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort());
  const summary = await runPaperDesk({
    config: deskConfig(Number(argValue(args, '--seed') ?? 7)),
    venueAddress: { host: '127.0.0.1', port: Number(argValue(args, '--port')) },
    journalDir: argValue(args, '--dir') as string,
    durationMs: Number(argValue(args, '--duration') ?? 1000),
    settle: args.includes('--settle'),
    tolerance: { position: '0.01', balance: '1' },
    signal: controller.signal,
    onReady: () => process.stdout.write(`${JSON.stringify({ t: 'ready' })}\n`),
  });
  process.stdout.write(`${JSON.stringify({ t: 'summary', summary })}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // The same drill against the ccxt venue on the loopback Binance server (scripts/drill-ccxt.ts).
  if (argValue(args, '--venue') === 'ccxt') {
    await (await import('./drill-ccxt.ts')).ccxtDrillMain(args);
    return;
  }
  if (argValue(args, '--child') === 'desk') {
    await deskChild(args);
    process.exit(0);
  }
  const kills = Number(argValue(args, '--kills') ?? 50);
  const seed = Number(argValue(args, '--seed') ?? 7);
  if (!Number.isInteger(kills) || kills < 0 || !Number.isInteger(seed) || seed < 0) {
    process.stderr.write('usage: drill.ts [--kills N] [--seed S]   (N, S non-negative integers)\n');
    process.exit(2);
  }
  const result = await runDrill({ kills, seed, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(ROOT, 'scripts/drill.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
