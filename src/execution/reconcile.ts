/**
 * Reconciliation: what the desk believes (order manager, portfolio) against what each
 * venue reports. Run it at startup (`await reconciler.reconcileAll()`) and on an interval.
 *
 * One run per venue, in this order:
 *  1. every UNKNOWN (and stale SUBMITTED) order is resolved through the order manager's
 *     `reconcileOrder`, as is every other open order; orders younger than `unknownGraceMs`
 *     wait for the next run (a submit may still be on its way to the venue);
 *  2. fills the venue has but the desk missed (dropped events, an order closed before its
 *     fill arrived) are booked through the order manager's fill path (`bookFill`, source
 *     `recovered`), once each, so they reach the portfolio and the risk engine like any fill,
 *     credited to the order's agents (`reconcile.fill-recovered`, written by the order manager);
 *  3. positions and balances are compared. A difference within tolerance is fixed by a
 *     journaled adjustment (`reconcile.adjusted`, at most `autoFixLimit` per run) through the
 *     portfolio's `adjustPosition` / `adjustBalance`; anything else is flagged and the venue
 *     fails closed through the `failClosed` callback.
 * A run that cannot complete (venue unreachable after retries) fails closed too
 * (invariant 3) and is retried after `retryAfterMs`.
 *
 * Events (plain JSON, Decimals as strings): `reconcile.snapshot`, `reconcile.adjusted`,
 * `reconcile.report`.
 */
import { EVENTS } from '../bus/index.ts';
import {
  type Clock,
  ConcordError,
  Decimal,
  type DecimalInput,
  Random,
  toConcordError,
} from '../core/index.ts';
import type {
  InstrumentId,
  Order,
  OrderableInstrument,
  VenueId,
  VenueOrderState,
  VenuePort,
} from '../model/index.ts';
import { isOrderable, isTerminal } from '../model/index.ts';
import type { Portfolio } from '../portfolio/index.ts';
import type { TradingScope } from '../risk/index.ts';
import type { OrderManager } from './order-manager.ts';
import type { ExecutionEvents } from './ports.ts';
import { DEFAULT_READ_RETRY, type RetryPolicy, retryWithBackoff } from './recovery.ts';

export type FailClosedState = 'REDUCING' | 'HALTED';

export interface ReconcileTolerance {
  /** Largest absolute position difference fixed automatically (default 0: every difference is flagged). */
  readonly position?: DecimalInput;
  /** Largest absolute balance difference fixed automatically (default 0). */
  readonly balance?: DecimalInput;
  /** Per-instrument position tolerances, overriding `position`. */
  readonly positions?: Readonly<Record<InstrumentId, DecimalInput>>;
  /** Per-asset balance tolerances, overriding `balance`. */
  readonly balances?: Readonly<Record<string, DecimalInput>>;
}

export interface ReconcilerOptions {
  readonly venues: ReadonlyMap<VenueId, VenuePort> | Readonly<Record<VenueId, VenuePort>>;
  readonly orders: OrderManager;
  readonly portfolio: Portfolio;
  readonly clock: Clock;
  readonly events: ExecutionEvents;
  /** No new risk in `scope` until an operator (or a later clean run, through `onRecovered`) lifts it. */
  readonly failClosed: (scope: TradingScope, state: FailClosedState, reason: string) => void;
  /** Called when a venue this reconciler failed closed reconciles cleanly again. */
  readonly onRecovered?: (scope: TradingScope, reason: string) => void;
  readonly tolerance?: ReconcileTolerance;
  /** Most adjustments per venue per run (default 10); beyond, the venue fails closed. */
  readonly autoFixLimit?: number;
  /** Period of `start()` runs, in ms of the clock (default 60000). */
  readonly intervalMs?: number;
  /** After a run that could not complete, try again this much later (default 5000). */
  readonly retryAfterMs?: number;
  /** UNKNOWN or SUBMITTED orders younger than this wait for the next run (default 2000). */
  readonly unknownGraceMs?: number;
  /** Backoff for venue reads (kind must be 'read'); default DEFAULT_READ_RETRY. */
  readonly retry?: RetryPolicy;
  /** Jitter source for the backoff; default a Random seeded 'reconcile'. */
  readonly random?: Random;
  /** Compare positions (default true; spot-only venues that report none should say false). */
  readonly comparePositions?: boolean;
  /** Mark price for position adjustments; default the portfolio's mark or average price. */
  readonly priceOf?: (instrumentId: InstrumentId) => number | undefined;
}

export type MismatchKind = 'unreachable' | 'order' | 'position' | 'balance';

export interface ReconcileMismatch {
  readonly kind: MismatchKind;
  readonly code: string;
  /** Client order id, instrument id or asset. */
  readonly key: string;
  /** What the desk holds, and what the venue reports (decimal strings; empty when not applicable). */
  readonly desk: string;
  readonly venue: string;
  readonly withinTolerance: boolean;
  /** True when this run fixed it. */
  readonly fixed: boolean;
  readonly message: string;
}

export interface ReconcileAdjustment {
  readonly kind: 'position' | 'balance';
  readonly key: string;
  readonly before: string;
  readonly after: string;
  readonly delta: string;
}

export type ReconcileStatus = 'ok' | 'adjusted' | 'failed-closed';

export interface ReconcileReport {
  readonly ts: number;
  readonly venue: VenueId;
  /** UNKNOWN orders resolved in this run. */
  readonly unknownResolved: number;
  /** UNKNOWN orders still waiting (too young, or the venue could not be asked). */
  readonly unknownPending: number;
  readonly ordersChecked: number;
  readonly fillsRecovered: number;
  readonly mismatches: readonly ReconcileMismatch[];
  readonly adjustments: readonly ReconcileAdjustment[];
  readonly status: ReconcileStatus;
}

export interface ReconcileSnapshot {
  readonly ts: number;
  readonly venue: VenueId;
  readonly positions: readonly { instrumentId: InstrumentId; desk: string; venue: string }[];
  readonly balances: readonly { asset: string; desk: string; venue: string }[];
}

/** Thrown inside a run when the venue cannot be read; the run fails closed. */
class Unreachable extends Error {
  constructor(readonly error: ConcordError) {
    super(error.message);
  }
}

export class Reconciler {
  private readonly venues: ReadonlyMap<VenueId, VenuePort>;
  private readonly orders: OrderManager;
  private readonly portfolio: Portfolio;
  private readonly clock: Clock;
  private readonly events: ExecutionEvents;
  private readonly options: ReconcilerOptions;
  private readonly random: Random;
  private readonly retryPolicy: RetryPolicy;
  private readonly autoFixLimit: number;
  private readonly intervalMs: number;
  private readonly retryAfterMs: number;
  private readonly graceMs: number;
  private readonly positionTolerance: Decimal;
  private readonly balanceTolerance: Decimal;
  private readonly instruments = new Map<InstrumentId, OrderableInstrument>();
  /** Start time of the last completed run per venue: terminal orders updated since are re-checked. */
  private readonly lastRunStart = new Map<VenueId, number>();
  private readonly failedClosed = new Set<VenueId>();
  private readonly snapshots = new Map<VenueId, ReconcileSnapshot>();
  private readonly retryTimers = new Map<VenueId, number>();
  private intervalTimer: number | undefined;
  private inFlight: Promise<ReconcileReport[]> | undefined;
  private adjustmentSeq = 0;
  private readonly venueRuns = new Map<VenueId, Promise<ReconcileReport>>();

  constructor(options: ReconcilerOptions) {
    this.options = options;
    this.venues = options.venues instanceof Map ? options.venues : new Map(Object.entries(options.venues));
    this.orders = options.orders;
    this.portfolio = options.portfolio;
    this.clock = options.clock;
    this.events = options.events;
    this.random = options.random ?? new Random('reconcile');
    this.retryPolicy = options.retry ?? DEFAULT_READ_RETRY;
    this.autoFixLimit = nonNegative(options.autoFixLimit ?? 10, 'autoFixLimit', true);
    this.intervalMs = nonNegative(options.intervalMs ?? 60_000, 'intervalMs', false);
    this.retryAfterMs = nonNegative(options.retryAfterMs ?? 5_000, 'retryAfterMs', false);
    this.graceMs = nonNegative(options.unknownGraceMs ?? 2_000, 'unknownGraceMs', false);
    this.positionTolerance = tolerance(options.tolerance?.position, 'tolerance.position');
    this.balanceTolerance = tolerance(options.tolerance?.balance, 'tolerance.balance');
    for (const port of this.venues.values()) {
      for (const instrument of port.instruments())
        if (isOrderable(instrument)) this.instruments.set(instrument.id, instrument);
    }
  }

  /** Runs `reconcileAll` every `intervalMs` of the clock (a run still going is not doubled). */
  start(): void {
    if (this.intervalTimer !== undefined) return;
    this.intervalTimer = this.clock.setInterval(() => {
      void this.reconcileAll();
    }, this.intervalMs);
  }

  stop(): void {
    if (this.intervalTimer !== undefined) this.clock.clearTimer(this.intervalTimer);
    this.intervalTimer = undefined;
    for (const timer of this.retryTimers.values()) this.clock.clearTimer(timer);
    this.retryTimers.clear();
  }

  /** The last position/balance snapshot taken for a venue. */
  lastSnapshot(venue: VenueId): ReconcileSnapshot | undefined {
    return this.snapshots.get(venue);
  }

  /** Venues this reconciler has failed closed and not yet seen clean again. */
  failedClosedVenues(): VenueId[] {
    return [...this.failedClosed].sort();
  }

  /** Reconciles every venue, in id order. Concurrent calls share one run. */
  reconcileAll(): Promise<ReconcileReport[]> {
    if (this.inFlight !== undefined) return this.inFlight;
    const run = (async () => {
      const reports: ReconcileReport[] = [];
      for (const venue of [...this.venues.keys()].sort()) reports.push(await this.runVenue(venue));
      return reports;
    })();
    this.inFlight = run;
    return run.finally(() => {
      this.inFlight = undefined;
    });
  }

  /** Reconciles one venue. Never throws for venue trouble: the report says what happened. */
  async reconcileVenue(venue: VenueId): Promise<ReconcileReport> {
    if (!this.venues.has(venue)) {
      throw new ConcordError(
        'CONCORD_ERR_EXECUTION_NO_VENUE',
        `cannot reconcile venue "${venue}": no venue port is registered for it`,
        {
          details: { venue },
        },
      );
    }
    return this.runVenue(venue);
  }

  // ── one run ──────────────────────────────────────────────────────────

  /** Runs of one venue never overlap (an interval tick, a retry and a direct call may coincide). */
  private runVenue(venue: VenueId): Promise<ReconcileReport> {
    const previous = this.venueRuns.get(venue);
    const next = (previous === undefined ? Promise.resolve() : previous.then(noop, noop)).then(() =>
      this.runVenueNow(venue),
    );
    this.venueRuns.set(venue, next);
    const cleanup = () => {
      if (this.venueRuns.get(venue) === next) this.venueRuns.delete(venue);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  private async runVenueNow(venue: VenueId): Promise<ReconcileReport> {
    const port = this.venues.get(venue) as VenuePort;
    const startedAt = this.clock.now();
    const run = new RunState();
    const retryTimer = this.retryTimers.get(venue);
    if (retryTimer !== undefined) {
      this.clock.clearTimer(retryTimer);
      this.retryTimers.delete(venue);
    }
    try {
      await this.resolveOrders(venue, port, run, startedAt);
      await this.recoverTerminalFills(venue, port, run);
      const positions =
        this.options.comparePositions === false ? [] : await this.read(() => port.fetchPositions());
      const balances = await this.read(() => port.fetchBalances());
      this.takeSnapshot(venue, startedAt, positions, balances);
      this.comparePositions(venue, positions, run);
      this.compareBalances(venue, balances, run);
    } catch (err) {
      if (!(err instanceof Unreachable)) throw err;
      run.mismatches.push({
        kind: 'unreachable',
        code: 'CONCORD_ERR_RECONCILE_INCOMPLETE',
        key: venue,
        desk: '',
        venue: '',
        withinTolerance: false,
        fixed: false,
        message: `reconciliation of ${venue} could not complete (${err.error.code}: ${err.error.shortMessage}); no new risk there until it does, retrying in ${this.retryAfterMs} ms`,
      });
      run.failState = 'REDUCING';
      this.scheduleRetry(venue);
    }
    return this.finish(venue, startedAt, run);
  }

  /** Step 1: open orders, UNKNOWN first. */
  private async resolveOrders(venue: VenueId, port: VenuePort, run: RunState, now: number): Promise<void> {
    const open = this.orders.openOrders().filter((o) => o.venue === venue);
    open.sort((a, b) => rank(a) - rank(b));
    for (const order of open) {
      const waiting = order.status === 'UNKNOWN' || order.status === 'SUBMITTED';
      if (waiting && now - order.updatedTs < this.graceMs) {
        // Too young to call "never arrived": resolve it only if the venue already has it.
        const state = await this.read(() => port.fetchOrder(order.clientOrderId));
        if (state === undefined) {
          if (order.status === 'UNKNOWN') run.unknownPending++;
          continue;
        }
      }
      const wasUnknown = order.status === 'UNKNOWN';
      run.ordersChecked++;
      const result = await this.read(async () => {
        const r = await this.orders.reconcileOrder(order.clientOrderId);
        if (r.outcome === 'failed') throw r.error;
        return r;
      });
      if (wasUnknown && result.order.status !== 'UNKNOWN') run.unknownResolved++;
      else if (result.order.status === 'UNKNOWN') run.unknownPending++;
      if (result.outcome === 'mismatch')
        await this.settleMismatch(venue, port, result.order, result.error, run);
    }
  }

  /**
   * An order the order manager could not move to the venue's status. Two known causes are
   * repaired: a cancel that never reached the venue (desk PENDING_CANCEL, venue still open:
   * the cancel is sent again, cancels being idempotent), and fills the manager could not take
   * (booked through its fill path as recovered). Anything else is flagged and the venue fails
   * closed (REDUCING).
   */
  private async settleMismatch(
    venue: VenueId,
    port: VenuePort,
    order: Readonly<Order>,
    error: ConcordError,
    run: RunState,
  ): Promise<void> {
    const state = await this.read(() => port.fetchOrder(order.clientOrderId));
    const recovered = state === undefined ? 0 : this.recoverFills(order, state, run);
    const base = {
      kind: 'order' as const,
      code: error.code,
      key: order.clientOrderId,
      desk: order.status,
      venue: state?.status ?? 'absent',
      withinTolerance: false,
    };
    if (order.status === 'PENDING_CANCEL' && state !== undefined && !isTerminal(state.status)) {
      const resent = await this.resendCancel(order.clientOrderId);
      run.mismatches.push({
        ...base,
        withinTolerance: true,
        fixed: resent,
        message: resent
          ? `order ${order.clientOrderId} is still ${state.status} at ${venue} although a cancel was requested; the cancel was sent again`
          : `order ${order.clientOrderId} is still ${state.status} at ${venue} although a cancel was requested, and sending the cancel again failed`,
      });
      if (!resent) run.failState = worse(run.failState, 'REDUCING');
      return;
    }
    if (recovered > 0) return;
    run.mismatches.push({ ...base, fixed: false, message: error.shortMessage });
    run.failState = worse(run.failState, 'REDUCING');
  }

  /** A cancel may be retried (idempotent); a submit never is. */
  private async resendCancel(clientOrderId: string): Promise<boolean> {
    try {
      await retryWithBackoff(
        async () => {
          const r = await this.orders.cancel(clientOrderId);
          if (r.outcome === 'failed') throw r.error;
          return r;
        },
        { ...this.retryPolicy, kind: 'cancel' },
        this.clock,
        this.random,
      );
      return true;
    } catch {
      return false;
    }
  }

  /** Step 2: orders that ended since the last run may have closed before all their fills arrived. */
  private async recoverTerminalFills(venue: VenueId, port: VenuePort, run: RunState): Promise<void> {
    const since = this.lastRunStart.get(venue) ?? Number.NEGATIVE_INFINITY;
    for (const order of this.orders.orders()) {
      if (
        order.venue !== venue ||
        !isTerminal(order.status) ||
        order.status === 'DENIED' ||
        order.updatedTs < since
      )
        continue;
      run.ordersChecked++;
      const state = await this.read(() => port.fetchOrder(order.clientOrderId));
      if (state === undefined || !state.filledQuantity.gt(order.filledQuantity)) continue;
      this.recoverFills(order, state, run);
    }
  }

  /**
   * Books the venue's fills of one order that the order manager has not seen, through its fill
   * path (it journals each as `reconcile.fill-recovered`); returns how many were booked.
   */
  private recoverFills(order: Readonly<Order>, state: VenueOrderState, run: RunState): number {
    let recovered = 0;
    for (const fill of state.fills) {
      if (this.orders.hasSeenTrade(order.clientOrderId, `${fill.venue}|${fill.tradeId}`)) continue;
      if (!this.orders.bookFill(fill, { source: 'recovered' })) continue;
      recovered++;
      run.fillsRecovered++;
    }
    return recovered;
  }

  private takeSnapshot(
    venue: VenueId,
    ts: number,
    positions: readonly { instrumentId: InstrumentId; quantity: Decimal }[],
    balances: readonly { asset: string; total: Decimal }[],
  ): void {
    const snapshot: ReconcileSnapshot = {
      ts,
      venue,
      positions: this.positionKeys(venue, positions).map((id) => ({
        instrumentId: id,
        desk: this.portfolio.positionExact(id).toString(),
        venue: (positions.find((p) => p.instrumentId === id)?.quantity ?? Decimal.ZERO).toString(),
      })),
      balances: this.balanceKeys(venue, balances).map((asset) => ({
        asset,
        desk: this.portfolio.balance(venue, asset).toString(),
        venue: (balances.find((b) => b.asset === asset)?.total ?? Decimal.ZERO).toString(),
      })),
    };
    this.snapshots.set(venue, snapshot);
    this.events.emit(EVENTS.reconcileSnapshot, snapshot);
  }

  /** Step 3a: positions; fixed ones move the portfolio, which the balance step then sees. */
  private comparePositions(
    venue: VenueId,
    positions: readonly { instrumentId: InstrumentId; quantity: Decimal }[],
    run: RunState,
  ): void {
    if (this.options.comparePositions === false) return;
    for (const id of this.positionKeys(venue, positions)) {
      const desk = this.portfolio.positionExact(id);
      const actual = positions.find((p) => p.instrumentId === id)?.quantity ?? Decimal.ZERO;
      const delta = actual.sub(desk);
      if (delta.isZero()) continue;
      const limit = this.options.tolerance?.positions?.[id];
      const within = delta
        .abs()
        .lte(limit === undefined ? this.positionTolerance : tolerance(limit, `tolerance.positions.${id}`));
      const fixed = within && run.adjustments.length < this.autoFixLimit && this.adjustPosition(id, delta);
      if (fixed)
        run.adjustments.push(
          this.adjusted(venue, 'position', id, desk, this.portfolio.positionExact(id), delta),
        );
      else run.failState = worse(run.failState, within ? 'REDUCING' : 'HALTED');
      run.mismatches.push({
        kind: 'position',
        code: 'CONCORD_ERR_RECONCILE_MISMATCH',
        key: id,
        desk: desk.toString(),
        venue: actual.toString(),
        withinTolerance: within,
        fixed,
        message: fixed
          ? `position ${id} differed by ${delta}; adjusted to the venue's ${actual}`
          : `position ${id} is ${desk} here but ${actual} at ${venue}${within ? ' (no adjustment possible or the per-run limit was reached)' : ', beyond tolerance'}; an operator must check`,
      });
    }
  }

  /** Step 3b: balances. */
  private compareBalances(
    venue: VenueId,
    balances: readonly { asset: string; total: Decimal }[],
    run: RunState,
  ): void {
    for (const asset of this.balanceKeys(venue, balances)) {
      const desk = this.portfolio.balance(venue, asset);
      const actual = balances.find((b) => b.asset === asset)?.total ?? Decimal.ZERO;
      const delta = actual.sub(desk);
      if (delta.isZero()) continue;
      const limit = this.options.tolerance?.balances?.[asset];
      const within = delta
        .abs()
        .lte(limit === undefined ? this.balanceTolerance : tolerance(limit, `tolerance.balances.${asset}`));
      const fixed = within && run.adjustments.length < this.autoFixLimit;
      if (fixed) {
        // Not PnL: the correction leaves realized PnL alone.
        this.portfolio.adjustBalance(venue, asset, delta);
        run.adjustments.push(
          this.adjusted(venue, 'balance', asset, desk, this.portfolio.balance(venue, asset), delta),
        );
      } else run.failState = worse(run.failState, within ? 'REDUCING' : 'HALTED');
      run.mismatches.push({
        kind: 'balance',
        code: 'CONCORD_ERR_RECONCILE_MISMATCH',
        key: asset,
        desk: desk.toString(),
        venue: actual.toString(),
        withinTolerance: within,
        fixed,
        message: fixed
          ? `balance of ${asset} differed by ${delta}; adjusted to the venue's ${actual}`
          : `balance of ${asset} is ${desk} here but ${actual} at ${venue}${within ? ' (per-run adjustment limit reached)' : ', beyond tolerance'}; an operator must check`,
      });
    }
  }

  /**
   * Moves a position by `delta` at the mark (the portfolio's `adjustPosition` leaves the quote
   * balance alone: the balance step compares that separately).
   * Returns false when there is no price to book it at.
   */
  private adjustPosition(instrumentId: InstrumentId, delta: Decimal): boolean {
    const instrument = this.instruments.get(instrumentId);
    if (instrument === undefined) return false;
    const detail = this.portfolio.positionDetail(instrumentId);
    const price =
      this.options.priceOf?.(instrumentId) ??
      detail?.mark ??
      (detail?.averagePrice.isPositive() ? detail.averagePrice.toNumber() : undefined);
    if (price === undefined || !(price > 0) || !Number.isFinite(price)) return false;
    const ts = this.clock.now();
    this.portfolio.adjustPosition(
      instrument,
      delta,
      Decimal.fromNumberRounded(price),
      ts,
      `reconcile-${ts}-${++this.adjustmentSeq}`,
    );
    return true;
  }

  private adjusted(
    venue: VenueId,
    kind: 'position' | 'balance',
    key: string,
    before: Decimal,
    after: Decimal,
    delta: Decimal,
  ): ReconcileAdjustment {
    const adjustment: ReconcileAdjustment = {
      kind,
      key,
      before: before.toString(),
      after: after.toString(),
      delta: delta.toString(),
    };
    this.events.emit(EVENTS.reconcileAdjusted, { ts: this.clock.now(), venue, ...adjustment });
    return adjustment;
  }

  private finish(venue: VenueId, startedAt: number, run: RunState): ReconcileReport {
    const scope: TradingScope = { kind: 'venue', venue };
    let status: ReconcileStatus;
    if (run.failState !== undefined) {
      status = 'failed-closed';
      const first = run.mismatches.find((m) => !m.fixed);
      this.failedClosed.add(venue);
      this.options.failClosed(
        scope,
        run.failState,
        `reconciliation of ${venue}: ${first?.message ?? 'incomplete'}`,
      );
    } else {
      status = run.adjustments.length > 0 || run.mismatches.some((m) => m.fixed) ? 'adjusted' : 'ok';
      this.lastRunStart.set(venue, startedAt);
      if (this.failedClosed.delete(venue))
        this.options.onRecovered?.(scope, `reconciliation of ${venue} is clean again`);
    }
    if (run.failState !== undefined && !run.mismatches.some((m) => m.kind === 'unreachable')) {
      // The comparison completed: terminal orders checked this time need not be fetched again.
      this.lastRunStart.set(venue, startedAt);
    }
    const report: ReconcileReport = {
      ts: this.clock.now(),
      venue,
      unknownResolved: run.unknownResolved,
      unknownPending: run.unknownPending,
      ordersChecked: run.ordersChecked,
      fillsRecovered: run.fillsRecovered,
      mismatches: run.mismatches,
      adjustments: run.adjustments,
      status,
    };
    this.events.emit(EVENTS.reconcileReport, report);
    return report;
  }

  private scheduleRetry(venue: VenueId): void {
    if (this.retryTimers.has(venue)) return;
    this.retryTimers.set(
      venue,
      this.clock.setTimeout(() => {
        this.retryTimers.delete(venue);
        void this.runVenue(venue).catch((err: unknown) =>
          this.events.emit(EVENTS.executionInternalError, { error: toConcordError(err).toJSON() }),
        );
      }, this.retryAfterMs),
    );
  }

  /** A venue read with backoff; exhausted or non-retryable failures make the run incomplete. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await retryWithBackoff(fn, this.retryPolicy, this.clock, this.random);
    } catch (err) {
      throw new Unreachable(toConcordError(err));
    }
  }

  private positionKeys(venue: VenueId, positions: readonly { instrumentId: InstrumentId }[]): InstrumentId[] {
    const keys = new Set<InstrumentId>(positions.map((p) => p.instrumentId));
    for (const p of this.portfolio.allPositions()) if (p.venue === venue) keys.add(p.instrumentId);
    return [...keys].sort();
  }

  private balanceKeys(venue: VenueId, balances: readonly { asset: string }[]): string[] {
    const keys = new Set<string>(balances.map((b) => b.asset));
    for (const b of this.portfolio.snapshot().balances) if (b.venue === venue) keys.add(b.asset);
    return [...keys].sort();
  }
}

/** Mutable tallies of one venue run. */
class RunState {
  unknownResolved = 0;
  unknownPending = 0;
  ordersChecked = 0;
  fillsRecovered = 0;
  readonly mismatches: ReconcileMismatch[] = [];
  readonly adjustments: ReconcileAdjustment[] = [];
  failState: FailClosedState | undefined;
}

function noop(): void {}

function rank(order: Readonly<Order>): number {
  return order.status === 'UNKNOWN' ? 0 : 1;
}

function worse(a: FailClosedState | undefined, b: FailClosedState): FailClosedState {
  return a === 'HALTED' || b === 'HALTED' ? 'HALTED' : 'REDUCING';
}

function tolerance(value: DecimalInput | undefined, path: string): Decimal {
  const d = Decimal.from(value ?? 0);
  if (d.isNegative()) {
    throw new ConcordError('CONCORD_ERR_CONFIG_INVALID', `reconciliation ${path} must not be negative`, {
      details: { path: `reconcile.${path}`, expected: '≥ 0', received: d.toString() },
    });
  }
  return d;
}

function nonNegative(value: number, path: string, integer: boolean): number {
  if (!(value >= 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      `reconciliation ${path} must be ${integer ? 'an integer' : 'a number'} ≥ 0`,
      {
        details: { path: `reconcile.${path}`, expected: '≥ 0', received: value },
      },
    );
  }
  return value;
}
