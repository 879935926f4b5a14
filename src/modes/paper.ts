/**
 * The paper desk: a session (src/modes/session.ts) whose market source is a venue server's
 * stream (`RemoteMarketFeed`) and whose venues are RemoteVenues on that server, which outlives
 * the desk. A SimulatedClock follows each event's timestamp, so every desk timer runs on market time.
 *
 * Crash safety, in the order it happens:
 *  1. Write-ahead: before any submit leaves the process, the journal is flushed, so an
 *     order the venue may know is always in the durable journal (order.submitted).
 *  2. Restart: the session runner's one resume algorithm (src/kernel/restore.ts): state from the
 *     last checkpoint, then the durable tail after it (orders, plans, fills, recovered fills,
 *     balance corrections), with the decision counters moved past every id in that tail, so no
 *     client order id is reused.
 *  3. Before any agent runs, a Reconciler resolves every UNKNOWN or open order, books
 *     fills the venue made while the desk was dead and compares positions and balances;
 *     what it cannot fix fails the venue closed; meanwhile market events only warm the desk.
 *     It runs again on an interval, after a reconnection, and (with `settle`) until clean at the end.
 */
import type { AgentDefinition } from '../agents/contract.ts';
import {
  type Clock,
  LiveClock,
  monotonicMs,
  SimulatedClock,
  type TimerHandle,
  toConcordError,
} from '../core/index.ts';
import { type ReconcileReport, Reconciler, type ReconcileTolerance } from '../execution/reconcile.ts';
import type { Journal } from '../journal/index.ts';
import type { CommandSource } from '../kernel/commands.ts';
import type { DeskConfig } from '../kernel/config.ts';
import type { Desk } from '../kernel/desk.ts';
import { validateDeskConfig } from '../kernel/validate.ts';
import type { VenuePort } from '../model/index.ts';
import { type RemoteAddress, RemoteConnection, type RemoteVenue } from '../venues/remote/client.ts';
import { RemoteMarketFeed } from '../venues/remote/feed.ts';
import { runSession } from './session.ts';

export interface PaperDeskOptions {
  readonly config: DeskConfig;
  readonly venueAddress: RemoteAddress;
  readonly journalDir: string;
  /** Real time to trade, in ms (Infinity: until the signal aborts). */
  readonly durationMs: number;
  readonly signal?: AbortSignal;
  /** Real-time deadline of one venue call (default 1000 ms). */
  readonly requestTimeoutMs?: number;
  /** Period of reconciliation, in ms of market time (default 5000). */
  readonly reconcileIntervalMs?: number;
  readonly tolerance?: ReconcileTolerance;
  /** At the end: stop the agents, cancel open orders, let events land and reconcile until clean. */
  readonly settle?: boolean;
  /** Called once the startup reconciliation is done and agents start trading. */
  readonly onReady?: () => void;
  readonly onEvent?: ((text: string) => void) | undefined;
  readonly agentDefinitions?: readonly AgentDefinition<unknown>[];
  /** Where operator commands come from (halt, resume, ...), polled between two market batches. */
  readonly commands?: CommandSource;
}

export interface PaperDeskSummary {
  readonly resumed: boolean;
  /** The journal was left by a process that did not close it. */
  readonly crashedBefore: boolean;
  /** Durable records after the last checkpoint that were applied on restart. */
  readonly tailApplied: number;
  readonly marketEvents: number;
  readonly triggers: number;
  readonly decisions: number;
  readonly denied: number;
  readonly orders: number;
  readonly fills: number;
  readonly reconcileRuns: number;
  readonly unknownResolved: number;
  readonly fillsRecovered: number;
  readonly adjustments: number;
  readonly failedClosedVenues: readonly string[];
  readonly tradingState: string;
  readonly openOrders: number;
  readonly unknownOrders: number;
  readonly positions: readonly { instrumentId: string; quantity: string }[];
  readonly balances: readonly { venue: string; asset: string; total: string }[];
  readonly lastReconcile: readonly ReconcileReport[];
  readonly journal: { readonly seq: number; readonly hash: string };
}

/** Runs a paper desk against a venue server until the duration elapses or the signal aborts. */
export async function runPaperDesk(options: PaperDeskOptions): Promise<PaperDeskSummary> {
  const config = { ...options.config, journal: { ...options.config.journal, dir: options.journalDir } };
  const wall = new LiveClock();
  let connection: RemoteConnection | undefined;
  let desk: Desk | undefined;
  let reconciler: Reconciler | undefined;
  let trading = false;
  let interval: TimerHandle | undefined;
  const tally = { runs: 0, unknownResolved: 0, fillsRecovered: 0, adjustments: 0 };
  let lastReports: ReconcileReport[] = [];
  const reconcile = async (): Promise<ReconcileReport[]> => {
    const d = desk as Desk;
    const reports = await (reconciler as Reconciler).reconcileAll();
    tally.runs++;
    for (const r of reports) {
      tally.unknownResolved += r.unknownResolved;
      tally.fillsRecovered += r.fillsRecovered;
      tally.adjustments += r.adjustments.length;
    }
    lastReports = reports;
    // What reconciliation changed is made durable with a checkpoint at once.
    d.flush();
    return reports;
  };
  const reconcileQuietly = () => {
    void reconcile().catch((err: unknown) =>
      desk?.failClosed(`reconciliation failed: ${toConcordError(err).shortMessage}`),
    );
  };

  const result = await runSession({
    // Opening verifies the whole chain and takes the lock (FULL: orders reach another process).
    journal: { dir: options.journalDir },
    config,
    validate: (c) => validateDeskConfig(c, 'config', options.agentDefinitions),
    open: async ({ journal }) => {
      const conn = await RemoteConnection.open({
        address: options.venueAddress,
        clock: wall,
        requestTimeoutMs: options.requestTimeoutMs ?? 1000,
      });
      connection = conn;
      const hello = conn.hello as NonNullable<RemoteConnection['hello']>;
      const remotes = conn.venues();
      return {
        // A SimulatedClock that follows each event's timestamp: every desk timer runs on market time.
        clock: new SimulatedClock(hello.now),
        source: new RemoteMarketFeed(conn, { wall }),
        venues: remotes.map((v) => writeAhead(v, journal, (reason) => desk?.failClosed(reason))),
        startTs: hello.now,
        // Write-ahead: the flush before a submit must include the decision and the order itself.
        deskOptions: { holdRecords: false },
        close: () => conn.close(),
      };
    },
    signal: options.signal,
    commands: options.commands,
    stopAfter: { wallMs: options.durationMs },
    onEvent: options.onEvent,
    agentDefinitions: options.agentDefinitions,
    hooks: {
      attach: (session) => {
        const d = session.desk;
        desk = d;
        const remotes = session.parts.venues;
        reconciler = new Reconciler({
          venues: new Map<string, VenuePort>(remotes.map((v) => [v.id, v])),
          orders: d.orders,
          portfolio: d.portfolio,
          clock: session.clock,
          events: { emit: (event, payload) => d.record(event, payload) },
          failClosed: (scope, state, reason) => d.risk.setTradingState(scope, state, reason),
          onRecovered: (scope, reason) => d.risk.setTradingState(scope, 'ACTIVE', reason),
          ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
          priceOf: (id) => d.referencePrice(id),
        });
        connection?.onHello(() => {
          if (trading) reconcileQuietly();
        });
      },
      // Until the startup reconciliation is done, market events only move the clock and the books.
      ready: async (session) => {
        await session.warmWhile(reconcile());
        trading = true;
        interval = session.clock.setInterval(reconcileQuietly, options.reconcileIntervalMs ?? 5000);
        options.onReady?.();
      },
      beforeEnd: async (session, reason) => {
        if (interval !== undefined) session.clock.clearTimer(interval);
        trading = false;
        if (options.settle === true && reason !== 'failed')
          await session.warmWhile(settle(session.desk, session.clock, wall, reconcile));
        reconciler?.stop();
      },
    },
  });
  const d = result.desk;
  const hello = (connection as RemoteConnection).hello as NonNullable<RemoteConnection['hello']>;
  const orders = d.orders.orders();
  return {
    resumed: result.resumed !== undefined,
    crashedBefore: result.crashedBefore,
    tailApplied: result.tailApplied,
    marketEvents: d.counters.marketEvents,
    triggers: d.counters.triggers,
    decisions: d.counters.decisions,
    denied: d.counters.denied,
    orders: d.counters.orders,
    fills: d.counters.fills,
    reconcileRuns: tally.runs,
    unknownResolved: tally.unknownResolved,
    fillsRecovered: tally.fillsRecovered,
    adjustments: tally.adjustments,
    failedClosedVenues: (reconciler as Reconciler).failedClosedVenues(),
    tradingState: d.tradingState(),
    openOrders: orders.filter((o) => o.status !== 'UNKNOWN' && !isFinal(o.status)).length,
    unknownOrders: orders.filter((o) => o.status === 'UNKNOWN').length,
    positions: d.portfolio
      .allPositions()
      .map((p) => ({ instrumentId: p.instrumentId, quantity: p.quantity.toString() })),
    balances: balancesOf(d, hello.venues, hello.instruments),
    lastReconcile: lastReports,
    journal: result.head,
  };
}

/**
 * End of a clean run: no agent runs any more, open orders are canceled, the market clock moves
 * past every grace period, and reconciliation repeats until a pass finds nothing to do.
 */
async function settle(
  desk: Desk,
  clock: Clock,
  wall: LiveClock,
  reconcile: () => Promise<ReconcileReport[]>,
): Promise<void> {
  for (let pass = 0; pass < 6; pass++) {
    await desk.orders.cancelAll();
    const from = clock.now();
    const waitStart = monotonicMs();
    // 3 s of market time (grace periods, delayed and held events); bounded in real time too.
    while (clock.now() - from < 3000 && monotonicMs() - waitStart < 5000) await wall.sleep(10);
    const reports = await reconcile();
    const clean = reports.every((r) => r.status === 'ok' && r.unknownPending === 0);
    if (clean && desk.orders.openOrders().length === 0) return;
  }
}

function isFinal(status: string): boolean {
  return (
    status === 'FILLED' ||
    status === 'CANCELED' ||
    status === 'REJECTED' ||
    status === 'EXPIRED' ||
    status === 'DENIED'
  );
}

/** A submit leaves only after the journal (with its order.submitted record) is durable. */
function writeAhead(venue: RemoteVenue, journal: Journal, failClosed: (reason: string) => void): VenuePort {
  return {
    id: venue.id,
    has: venue.has,
    instruments: () => venue.instruments(),
    submitOrder: async (request) => {
      try {
        journal.flush();
      } catch (err) {
        failClosed(`journal flush before a submit failed: ${toConcordError(err).shortMessage}`);
        throw err;
      }
      await venue.submitOrder(request);
    },
    cancelOrder: (id) => venue.cancelOrder(id),
    onOrderEvent: (handler) => venue.onOrderEvent(handler),
    fetchOrder: (id) => venue.fetchOrder(id),
    fetchOpenOrders: () => venue.fetchOpenOrders(),
    fetchBalances: () => venue.fetchBalances(),
    fetchPositions: () => venue.fetchPositions(),
    lifecycle: venue.lifecycle,
  };
}

function balancesOf(
  desk: Desk,
  venues: readonly string[],
  instruments: readonly { base: string; quote: string }[],
): { venue: string; asset: string; total: string }[] {
  const assets = new Set<string>(Object.keys(desk.config.venues.balances));
  for (const i of instruments) {
    assets.add(i.base);
    assets.add(i.quote);
  }
  const out: { venue: string; asset: string; total: string }[] = [];
  for (const venue of venues)
    for (const asset of [...assets].sort())
      out.push({ venue, asset, total: desk.portfolio.balance(venue, asset).toString() });
  return out;
}
