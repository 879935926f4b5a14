/**
 * The paper desk: the same Desk, trading through RemoteVenues on a venue server that
 * outlives it, driven by the server's market stream (a SimulatedClock follows each
 * event's timestamp, so every desk timer runs on market time).
 *
 * Crash safety, in the order it happens:
 *  1. Write-ahead: before any submit leaves the process, the journal is flushed, so an
 *     order the venue may know is always in the durable journal (order.submitted).
 *  2. Restart: state comes from the last checkpoint, then the durable tail after it is
 *     applied (orders, plans, fills, recovered fills, balance corrections), and the
 *     decision counters move past every id in that tail, so no client order id is reused.
 *  3. Before any agent runs, a Reconciler resolves every UNKNOWN or open order, books
 *     fills the venue made while the desk was dead and compares positions and balances;
 *     what it cannot fix fails the venue closed. It runs again on an interval, after a
 *     reconnection, and (with `settle`) until clean at the end.
 */
import type { AgentDefinition } from '../agents/contract.ts';
import { EVENTS } from '../bus/index.ts';
import { LiveClock, monotonicMs, SimulatedClock, toConcordError } from '../core/index.ts';
import { type ReconcileReport, Reconciler, type ReconcileTolerance } from '../execution/reconcile.ts';
import { type Journal, type JournalRecord, SqliteJournal } from '../journal/index.ts';
import { type DeskConfig, parseDeskConfig } from '../kernel/config.ts';
import { type Checkpoint, Desk } from '../kernel/desk.ts';
import { validateDeskConfig } from '../kernel/validate.ts';
import type { MarketEvent, VenuePort } from '../model/index.ts';
import { type RemoteAddress, RemoteConnection, type RemoteVenue } from '../venues/remote/client.ts';

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

/** Inputs of a run, as journaled (the config without where the journal lives). */
interface PaperRunStart {
  readonly config: Omit<DeskConfig, 'journal'> & { journal: Omit<DeskConfig['journal'], 'dir'> };
  readonly startTs: number;
  readonly version: 1;
}

interface ResumePoint {
  readonly start?: PaperRunStart;
  readonly checkpoint?: Checkpoint;
  /** Durable records after the last checkpoint that carry state. */
  readonly tail: readonly JournalRecord[];
}

/** Record types that carry state a restart must not lose (everything the order manager emits, and more). */
const TAIL_TYPES = [
  EVENTS.orderInitialized.name,
  EVENTS.orderDenied.name,
  EVENTS.orderSubmitted.name,
  EVENTS.orderAccepted.name,
  EVENTS.orderRejected.name,
  EVENTS.orderFilled.name,
  EVENTS.orderPendingCancel.name,
  EVENTS.orderCancelRequested.name,
  EVENTS.orderCancelFailed.name,
  EVENTS.orderCanceled.name,
  EVENTS.orderExpired.name,
  EVENTS.orderUnknown.name,
  EVENTS.orderOverfill.name,
  EVENTS.orderReconcileMismatch.name,
  EVENTS.planStarted.name,
  EVENTS.planHedged.name,
  EVENTS.planLegFailed.name,
  EVENTS.planCompleted.name,
  EVENTS.reconcileFillRecovered.name,
  EVENTS.reconcileAdjusted.name,
  EVENTS.decision.name,
  EVENTS.trigger.name,
];

/** Runs a paper desk against a venue server until the duration elapses or the signal aborts. */
export async function runPaperDesk(options: PaperDeskOptions): Promise<PaperDeskSummary> {
  const journalSettings = { ...options.config.journal, dir: options.journalDir };
  // Opening verifies the whole chain and takes the lock: a broken or busy journal stops here,
  // with nothing appended. The resume point is then read from that verified chain.
  const journal = SqliteJournal.open(options.journalDir, { batchSize: journalSettings.maxBatch * 4 });
  let previous: ResumePoint | undefined;
  let config = { ...options.config, journal: journalSettings };
  try {
    previous = readResumePoint(journal);
    if (previous?.start !== undefined) {
      config = parseDeskConfig({ ...previous.start.config, journal: journalSettings }, 'journal run.start');
    } else validateDeskConfig(config, 'config', options.agentDefinitions);
  } catch (err) {
    journal.close();
    throw err;
  }

  const wall = new LiveClock();
  const connection = await RemoteConnection.open({
    address: options.venueAddress,
    clock: wall,
    requestTimeoutMs: options.requestTimeoutMs ?? 1000,
  }).catch((err: unknown) => {
    journal.close();
    throw err;
  });
  try {
    const hello = connection.hello as NonNullable<RemoteConnection['hello']>;
    const clock = new SimulatedClock(hello.now);
    const remotes = connection.venues();
    let desk: Desk | undefined;
    const venues = remotes.map((v) => writeAhead(v, journal, (reason) => desk?.failClosed(reason)));
    desk = new Desk({
      config,
      clock,
      journal,
      venues,
      instruments: hello.instruments,
      onEvent: options.onEvent,
      agentDefinitions: options.agentDefinitions,
      checkpoint: previous?.checkpoint,
      // Write-ahead: the flush before a submit must include the decision and the order itself.
      holdRecords: false,
    });
    const d = desk;
    const tailApplied = applyTail(d, previous?.tail ?? []);
    if (previous?.start === undefined) {
      const { dir: _dir, ...settings } = config.journal;
      d.record(EVENTS.runStart, {
        config: { ...config, journal: settings },
        startTs: hello.now,
        version: 1,
      } satisfies PaperRunStart);
    } else {
      d.record(EVENTS.runResumed, {
        checkpointTs: previous.checkpoint?.ts ?? null,
        crashed: journal.recovery.crashed,
        tailApplied,
        startTs: hello.now,
      });
    }

    // Market events queue up and go through one at a time; until the startup reconciliation is
    // done they only move the clock and the books (no agent sees them).
    let trading = false;
    const queue: MarketEvent[] = [];
    let head = 0;
    let pumping = false;
    let pumpError: unknown;
    const warm = (e: MarketEvent) => {
      if (e.ts > clock.now()) clock.advanceTo(e.ts);
      // Journaled like any market event, so the journal holds the book the desk started from.
      d.record(EVENTS.market, e);
      d.market.apply(e);
    };
    const pump = async () => {
      pumping = true;
      try {
        while (head < queue.length) {
          const e = queue[head++] as MarketEvent;
          if (trading) {
            const pending = d.step(e);
            if (pending !== undefined) await pending;
          } else warm(e);
        }
        queue.length = 0;
        head = 0;
      } catch (err) {
        pumpError ??= err;
        d.failClosed(`market event processing failed: ${toConcordError(err).shortMessage}`);
      } finally {
        pumping = false;
      }
    };
    connection.onMarketEvent((e) => {
      queue.push(e);
      if (!pumping && pumpError === undefined) void pump();
    });

    const reconciler = new Reconciler({
      venues: new Map<string, VenuePort>(remotes.map((v) => [v.id, v])),
      orders: d.orders,
      portfolio: d.portfolio,
      clock,
      events: { emit: (event, payload) => d.record(event, payload) },
      failClosed: (scope, state, reason) => d.risk.setTradingState(scope, state, reason),
      onRecovered: (scope, reason) => d.risk.setTradingState(scope, 'ACTIVE', reason),
      ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
      priceOf: (id) => d.referencePrice(id),
    });
    const tally = { runs: 0, unknownResolved: 0, fillsRecovered: 0, adjustments: 0 };
    let lastReports: ReconcileReport[] = [];
    const reconcile = async (): Promise<ReconcileReport[]> => {
      const reports = await reconciler.reconcileAll();
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
        d.failClosed(`reconciliation failed: ${toConcordError(err).shortMessage}`),
      );
    };
    connection.onHello(() => {
      if (trading) reconcileQuietly();
    });

    await d.start();
    await reconcile();
    trading = true;
    const interval = clock.setInterval(reconcileQuietly, options.reconcileIntervalMs ?? 5000);
    options.onReady?.();

    const started = monotonicMs();
    while (
      !options.signal?.aborted &&
      monotonicMs() - started < options.durationMs &&
      pumpError === undefined
    ) {
      await wall.sleep(10);
    }
    clock.clearTimer(interval);
    trading = false;
    if (options.settle === true && pumpError === undefined) await settle(d, clock, wall, reconcile);
    reconciler.stop();
    d.record(EVENTS.runEnd, {
      reason: options.signal?.aborted ? 'interrupted' : 'duration',
      counters: d.counters,
    });
    d.flush();
    await d.stop();
    if (pumpError !== undefined) throw pumpError;
    const orders = d.orders.orders();
    return {
      resumed: previous?.start !== undefined,
      crashedBefore: journal.recovery.crashed,
      tailApplied,
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
      failedClosedVenues: reconciler.failedClosedVenues(),
      tradingState: d.tradingState(),
      openOrders: orders.filter((o) => o.status !== 'UNKNOWN' && !isFinal(o.status)).length,
      unknownOrders: orders.filter((o) => o.status === 'UNKNOWN').length,
      positions: d.portfolio
        .allPositions()
        .map((p) => ({ instrumentId: p.instrumentId, quantity: p.quantity.toString() })),
      balances: balancesOf(d, hello.venues, hello.instruments),
      lastReconcile: lastReports,
      journal: journal.head(),
    };
  } finally {
    connection.close();
    journal.close();
  }
}

/**
 * End of a clean run: no agent runs any more, open orders are canceled, the market clock moves
 * past every grace period, and reconciliation repeats until a pass finds nothing to do.
 */
async function settle(
  desk: Desk,
  clock: SimulatedClock,
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

/**
 * Applies the durable records written after the last checkpoint (the process died before the
 * next one): orders and plans as journaled, fills once each through the order manager (to the
 * portfolio, credited to their order's agents), balance corrections; and moves the decision and trigger counters past every id seen.
 */
function applyTail(desk: Desk, tail: readonly JournalRecord[]): number {
  let applied = 0;
  let maxDecision = 0;
  let maxTrigger = 0;
  for (const r of tail) {
    const payload = r.payload as Record<string, unknown>;
    if (r.type === EVENTS.decision.name) {
      maxDecision = Math.max(maxDecision, counterOf(payload.decisionId, 'd-'));
      maxTrigger = Math.max(maxTrigger, counterOf(payload.triggerId, 't-'));
      continue;
    }
    if (r.type === EVENTS.trigger.name) {
      maxTrigger = Math.max(maxTrigger, counterOf(payload.id, 't-'));
      continue;
    }
    applied++;
    if (r.type.startsWith('order.') || r.type.startsWith('plan.'))
      desk.orders.applyJournaledEvent(r.type, payload);
    // Fills reach the portfolio through the order manager only, credited to their order's agents.
    if (r.type === EVENTS.orderFilled.name || r.type === EVENTS.reconcileFillRecovered.name)
      desk.orders.restoreJournaledFill(r.type, payload);
    if (r.type === EVENTS.reconcileAdjusted.name && payload.kind === 'balance') {
      desk.portfolio.adjustBalance(String(payload.venue), String(payload.key), String(payload.delta));
    }
  }
  const counters = desk.orchestrator.snapshot();
  desk.orchestrator.restore({
    ...counters,
    decisionCount: Math.max(counters.decisionCount, maxDecision),
    triggerCount: Math.max(counters.triggerCount, maxTrigger),
  });
  return applied;
}

function counterOf(id: unknown, prefix: string): number {
  if (typeof id !== 'string' || !id.startsWith(prefix)) return 0;
  const n = Number.parseInt(id.slice(prefix.length), 10);
  return Number.isFinite(n) ? n : 0;
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

function readResumePoint(journal: SqliteJournal): ResumePoint | undefined {
  if (journal.head().seq === 0) return undefined;
  const reader = journal.reader();
  try {
    const start = reader.last([EVENTS.runStart.name])?.payload as PaperRunStart | undefined;
    const checkpointRecord = reader.last([EVENTS.checkpoint.name]);
    const tail: JournalRecord[] = [];
    const from = checkpointRecord?.seq ?? 0;
    for (const r of reader.records(TAIL_TYPES)) if (r.seq > from) tail.push(r);
    return {
      ...(start === undefined ? {} : { start }),
      ...(checkpointRecord === undefined ? {} : { checkpoint: checkpointRecord.payload as Checkpoint }),
      tail,
    };
  } finally {
    reader.close();
  }
}
