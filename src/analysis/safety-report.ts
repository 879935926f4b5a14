/**
 * The safety report: what a journal says about how safely a desk behaved. Read-only
 * (JournalReader), one pass over the records that matter (market data and agents' thoughts
 * are skipped), robust to record types a journal does not have: a figure with nothing to
 * measure is `null` with a note, never a reassuring 0.
 *
 * Definitions (each counted once per fill or order, even when several apply):
 *
 * - **Unintended trades** = unbacked fills + overfills + risk-adding orders while restricted.
 *   - *Unbacked fill*: an `order.filled` whose order's root (`order.decisionId`) is neither
 *     `<decisionIds[0]>#<i>` of an accepted intent `i` in an earlier `consensus` record (plans'
 *     legs and hedges share that root), nor an operator flatten (root `halt-…`, reduce-only,
 *     after a `risk.halt` with `flatten: true`).
 *   - *Overfill*: a fill that takes its order's cumulative filled quantity above the order's
 *     quantity, or an `order.overfill` record (the venue executed more than was asked; the
 *     order manager refused to book it).
 *   - *Risk-adding order while restricted*: an `order.submitted` while the effective trading
 *     state of its instrument (worst of global, venue and instrument scopes, from
 *     `risk.trading-state`, `risk.halt` and `risk.resume` records) was HALTED or REDUCING, that is
 *     not reduce-only and would grow the absolute net position of its instrument (net of the
 *     fills journaled before it; the journal's first position is taken as flat).
 * - **Position accuracy**: over `reconcile.report` records, the share with status `ok`, and the
 *   largest absolute desk − venue difference among position (and balance) mismatches.
 * - **Transient errors recovered automatically**: incidents that a retry or reconciliation can
 *   clear, and whether a later record shows them cleared without an operator:
 *   an `order.unknown` (recovered when a later record shows the order in any other status, other
 *   than through `order.reconcile-mismatch`); a retryable `order.cancel-failed` (recovered when
 *   the order later reaches a terminal status); an unreachable venue in a `reconcile.report`
 *   (consecutive failed runs of one venue are one outage, recovered by its next clean report).
 * - **Loss-limit days**: per day (UTC, shifted by the portfolio's daily reset minute), the lowest
 *   daily PnL seen in `checkpoint` records (sampled at every durable batch, so a dip between two
 *   checkpoints can be missed), against `maxDailyLoss` of the `run.start` config; a day is over
 *   the limit when its lowest daily PnL ≤ −maxDailyLoss.
 * - **Breakers**: `risk.breaker` transitions (a trip is a transition to OPEN) by breaker kind,
 *   `risk.trading-state` changes by scope and state, operator halts and resumes, rule errors.
 */
import { EVENTS } from '../bus/index.ts';
import { Decimal } from '../core/index.ts';
import { JournalReader, type VerifyProgress } from '../journal/index.ts';
import { Portfolio } from '../portfolio/index.ts';
import { parseRiskConfig, parseSafetyConfig, toRiskConfig } from '../risk/index.ts';

export interface UnintendedExample {
  readonly seq: number;
  readonly clientOrderId: string;
  readonly reason: 'unbacked-fill' | 'overfill' | 'risk-added-while-restricted';
  readonly detail: string;
}

export interface UnintendedTrades {
  readonly total: number;
  readonly unbackedFills: number;
  readonly overfills: number;
  readonly riskAddingOrdersWhileRestricted: number;
  readonly fillsChecked: number;
  readonly ordersChecked: number;
  /** The first 20, in journal order. */
  readonly examples: readonly UnintendedExample[];
}

export interface PositionAccuracy {
  readonly checks: number;
  readonly ok: number;
  readonly adjusted: number;
  readonly failedClosed: number;
  /** ok / checks. */
  readonly okShare: number;
  /** Largest |desk − venue| among position mismatches, as a decimal string ("0" when none). */
  readonly maxAbsPositionMismatch: string;
  readonly maxAbsBalanceMismatch: string;
}

export interface RecoveryCount {
  readonly total: number;
  readonly recovered: number;
}

export interface TransientErrors {
  readonly total: number;
  readonly recovered: number;
  /** recovered / total; null when there was no transient error. */
  readonly recoveredShare: number | null;
  readonly unknownOrders: RecoveryCount;
  readonly cancelFailures: RecoveryCount;
  readonly venueOutages: RecoveryCount;
}

export interface LossDay {
  /** YYYY-MM-DD of the day's start (UTC, shifted by the daily reset minute). */
  readonly day: string;
  readonly minDailyPnl: number;
  readonly overLimit: boolean;
}

export interface LossLimitDays {
  /** `maxDailyLoss` of the run's config; null when none was configured. */
  readonly maxDailyLoss: number | null;
  /** Days over the limit; null when there is no limit or no checkpoint to measure. */
  readonly daysOverLimit: number | null;
  readonly days: readonly LossDay[];
}

export interface BreakerSummary {
  /** Transitions of any breaker to OPEN. */
  readonly trips: number;
  readonly tripsByBreaker: Readonly<Record<string, number>>;
  /** Every breaker transition, by `breaker:from>to`. */
  readonly transitions: Readonly<Record<string, number>>;
  /** Trading state changes by `scope-kind:to` (e.g. `global:REDUCING`). */
  readonly tradingStateChanges: Readonly<Record<string, number>>;
  readonly operatorHalts: number;
  readonly operatorResumes: number;
  readonly ruleErrors: number;
}

export interface SafetyReport {
  readonly version: 1;
  readonly journalDir: string;
  readonly records: number;
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  readonly unintendedTrades: UnintendedTrades;
  /** null when the journal has no reconciliation report (see notes). */
  readonly positionAccuracy: PositionAccuracy | null;
  readonly transientErrors: TransientErrors;
  readonly lossLimitDays: LossLimitDays;
  readonly breakers: BreakerSummary;
  /** Records of a known type whose payload did not have the expected shape (skipped). */
  readonly malformedRecords: number;
  readonly notes: readonly string[];
}

/** The record types the report reads; everything else (market data, agents) is skipped. */
export const SAFETY_RECORD_TYPES: readonly string[] = [
  EVENTS.runStart.name,
  EVENTS.consensus.name,
  EVENTS.checkpoint.name,
  EVENTS.orderInitialized.name,
  EVENTS.orderDenied.name,
  EVENTS.orderSubmitted.name,
  EVENTS.orderAccepted.name,
  EVENTS.orderRejected.name,
  EVENTS.orderFilled.name,
  EVENTS.orderPendingCancel.name,
  EVENTS.orderCancelRequested.name,
  EVENTS.orderCanceled.name,
  EVENTS.orderExpired.name,
  EVENTS.orderUnknown.name,
  EVENTS.orderCancelFailed.name,
  EVENTS.orderOverfill.name,
  EVENTS.orderReconcileMismatch.name,
  EVENTS.reconcileReport.name,
  EVENTS.riskTradingState.name,
  EVENTS.riskHalt.name,
  EVENTS.riskResume.name,
  EVENTS.riskBreaker.name,
  EVENTS.riskRuleError.name,
];

const TERMINAL = new Set(['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'DENIED']);
const SEVERITY: Readonly<Record<string, number>> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };
const MAX_EXAMPLES = 20;
const DAY_MS = 86_400_000;

interface OrderInfo {
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly venue: string;
  readonly side: string;
  readonly quantity: Decimal;
  readonly decisionId: string;
  readonly reduceOnly: boolean;
  readonly status: string;
}

/**
 * Reads the journal in `journalDir` and computes the report. The whole chain is verified
 * first: a journal that is missing, not a journal, broken, locked or unreadable gets its
 * coded error (CONCORD_ERR_JOURNAL_*), never a report.
 */
export function buildSafetyReport(
  journalDir: string,
  options: { onVerifyProgress?: VerifyProgress } = {},
): SafetyReport {
  const reader = JournalReader.open(
    journalDir,
    options.onVerifyProgress === undefined ? {} : { onVerifyProgress: options.onVerifyProgress },
  );
  try {
    return safetyReportOf(reader, journalDir);
  } finally {
    reader.close();
  }
}

/** The report over an open reader (the API's journal source); `journalDir` is only reported. */
export function safetyReportOf(reader: JournalReader, journalDir: string): SafetyReport {
  const builder = new SafetyReportBuilder(journalDir);
  for (const record of reader.records(SAFETY_RECORD_TYPES))
    builder.add(record.seq, record.ts, record.type, record.payload);
  return builder.finish(reader.head().seq);
}

/** The report's state machine, fed records in journal order (usable without a reader, e.g. live). */
export class SafetyReportBuilder {
  private readonly journalDir: string;
  private firstTs: number | null = null;
  private lastTs: number | null = null;
  private malformed = 0;
  private readonly notes: string[] = [];

  // unintended trades
  private readonly backedRoots = new Set<string>();
  private flattenAllowed = false;
  private readonly orders = new Map<string, OrderInfo>();
  private readonly filled = new Map<string, Decimal>();
  private readonly netPosition = new Map<string, Decimal>();
  private unbackedFills = 0;
  private overfills = 0;
  private riskAdding = 0;
  private fillsChecked = 0;
  private ordersChecked = 0;
  private readonly examples: UnintendedExample[] = [];

  // trading states
  private globalState = 'ACTIVE';
  private readonly venueStates = new Map<string, string>();
  private readonly instrumentStates = new Map<string, string>();

  // reconciliation
  private reconcileChecks = 0;
  private reconcileOk = 0;
  private reconcileAdjusted = 0;
  private reconcileFailed = 0;
  private maxPositionMismatch = Decimal.ZERO;
  private maxBalanceMismatch = Decimal.ZERO;

  // transient errors
  private readonly unknownOpen = new Set<string>();
  private readonly unknownCount = { total: 0, recovered: 0 };
  private readonly cancelFailedOpen = new Set<string>();
  private readonly cancelCount = { total: 0, recovered: 0 };
  private readonly venueDown = new Set<string>();
  private readonly outageCount = { total: 0, recovered: 0 };

  // losses
  private maxDailyLoss: number | null = null;
  private sawRunStart = false;
  private readonly dayMin = new Map<string, number>();

  // breakers
  private trips = 0;
  private readonly tripsByBreaker: Record<string, number> = {};
  private readonly transitions: Record<string, number> = {};
  private readonly stateChanges: Record<string, number> = {};
  private halts = 0;
  private resumes = 0;
  private ruleErrors = 0;

  constructor(journalDir: string) {
    this.journalDir = journalDir;
  }

  add(seq: number, ts: number, type: string, payload: unknown): void {
    if (this.firstTs === null) this.firstTs = ts;
    this.lastTs = ts;
    const p = asObject(payload);
    if (p === undefined) {
      this.malformed++;
      return;
    }
    const ok = this.dispatch(seq, ts, type, p);
    if (!ok) this.malformed++;
  }

  finish(records: number): SafetyReport {
    const notes = [...this.notes];
    let positionAccuracy: PositionAccuracy | null = null;
    if (this.reconcileChecks === 0) {
      notes.push(
        'position accuracy: the journal has no reconcile.report record (no reconciliation ran, e.g. a sandbox run); not measured',
      );
    } else {
      positionAccuracy = {
        checks: this.reconcileChecks,
        ok: this.reconcileOk,
        adjusted: this.reconcileAdjusted,
        failedClosed: this.reconcileFailed,
        okShare: this.reconcileOk / this.reconcileChecks,
        maxAbsPositionMismatch: this.maxPositionMismatch.toString(),
        maxAbsBalanceMismatch: this.maxBalanceMismatch.toString(),
      };
    }
    const total = this.unknownCount.total + this.cancelCount.total + this.outageCount.total;
    const recovered = this.unknownCount.recovered + this.cancelCount.recovered + this.outageCount.recovered;
    if (total === 0) notes.push('transient errors: none in the journal; recovered share not defined');
    const days = [...this.dayMin.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([day, minDailyPnl]) => ({
        day,
        minDailyPnl,
        overLimit: this.maxDailyLoss !== null && minDailyPnl <= -this.maxDailyLoss,
      }));
    if (!this.sawRunStart)
      notes.push('loss limit: the journal has no run.start record; the configured maxDailyLoss is unknown');
    else if (this.maxDailyLoss === null)
      notes.push('loss limit: no maxDailyLoss configured; days are listed without a verdict');
    if (days.length === 0) notes.push('loss limit: no checkpoint record to measure daily PnL');
    if (this.malformed > 0)
      notes.push(`${this.malformed} record(s) did not have the expected shape and were skipped`);
    return {
      version: 1,
      journalDir: this.journalDir,
      records,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      unintendedTrades: {
        total: this.unbackedFills + this.overfills + this.riskAdding,
        unbackedFills: this.unbackedFills,
        overfills: this.overfills,
        riskAddingOrdersWhileRestricted: this.riskAdding,
        fillsChecked: this.fillsChecked,
        ordersChecked: this.ordersChecked,
        examples: this.examples,
      },
      positionAccuracy,
      transientErrors: {
        total,
        recovered,
        recoveredShare: total === 0 ? null : recovered / total,
        unknownOrders: { ...this.unknownCount },
        cancelFailures: { ...this.cancelCount },
        venueOutages: { ...this.outageCount },
      },
      lossLimitDays: {
        maxDailyLoss: this.maxDailyLoss,
        daysOverLimit:
          this.maxDailyLoss === null || days.length === 0 ? null : days.filter((d) => d.overLimit).length,
        days,
      },
      breakers: {
        trips: this.trips,
        tripsByBreaker: { ...this.tripsByBreaker },
        transitions: { ...this.transitions },
        tradingStateChanges: { ...this.stateChanges },
        operatorHalts: this.halts,
        operatorResumes: this.resumes,
        ruleErrors: this.ruleErrors,
      },
      malformedRecords: this.malformed,
      notes,
    };
  }

  /** Returns false when the payload does not have the shape its type promises. */
  private dispatch(seq: number, ts: number, type: string, p: Record<string, unknown>): boolean {
    switch (type) {
      case EVENTS.runStart.name:
        return this.onRunStart(p);
      case EVENTS.consensus.name:
        return this.onConsensus(p);
      case EVENTS.checkpoint.name:
        return this.onCheckpoint(ts, p);
      case EVENTS.orderFilled.name:
        return this.onFill(seq, p);
      case EVENTS.orderOverfill.name:
        return this.onOverfill(seq, p);
      case EVENTS.orderSubmitted.name:
        return this.onSubmitted(seq, p);
      case EVENTS.reconcileReport.name:
        return this.onReconcileReport(p);
      case EVENTS.riskTradingState.name:
        return this.onTradingState(p);
      case EVENTS.riskHalt.name:
        this.halts++;
        this.flattenAllowed ||= p.flatten === true;
        this.globalState = p.flatten === true ? 'REDUCING' : 'HALTED';
        return true;
      case EVENTS.riskResume.name:
        this.resumes++;
        this.globalState = 'ACTIVE';
        return true;
      case EVENTS.riskBreaker.name:
        return this.onBreaker(p);
      case EVENTS.riskRuleError.name:
        this.ruleErrors++;
        return true;
      default:
        if (type.startsWith('order.')) return this.onOrderEvent(type, p);
        return true;
    }
  }

  private onRunStart(p: Record<string, unknown>): boolean {
    this.sawRunStart = true;
    const config = asObject(p.config);
    if (config === undefined) return false;
    try {
      const limit =
        config.safety !== undefined
          ? toRiskConfig(parseSafetyConfig(config.safety)).maxDailyLoss
          : parseRiskConfig(config.risk ?? {}).maxDailyLoss;
      this.maxDailyLoss = limit ?? null;
    } catch {
      this.notes.push('loss limit: the run.start config has an invalid risk section; maxDailyLoss unknown');
    }
    return true;
  }

  private onConsensus(p: Record<string, unknown>): boolean {
    if (!Array.isArray(p.accepted)) return false;
    p.accepted.forEach((accepted, i) => {
      const ids = asObject(accepted)?.decisionIds;
      const first = Array.isArray(ids) ? ids[0] : undefined;
      if (typeof first === 'string') this.backedRoots.add(`${first}#${i}`);
    });
    return true;
  }

  private onCheckpoint(ts: number, p: Record<string, unknown>): boolean {
    const snapshot = asObject(p.portfolio);
    if (snapshot === undefined) return false;
    let dailyPnl: number;
    let resetMinute: number;
    try {
      // Trade ids only deduplicate fills; dropping them makes restoring cheap.
      const portfolio = Portfolio.restore({ ...snapshot, seenTrades: [] });
      dailyPnl = portfolio.observe(ts).dailyPnl;
      resetMinute = typeof snapshot.dailyResetUtcMinute === 'number' ? snapshot.dailyResetUtcMinute : 0;
    } catch {
      return false;
    }
    const day = dayOf(ts, resetMinute);
    const previous = this.dayMin.get(day);
    if (previous === undefined || dailyPnl < previous) this.dayMin.set(day, dailyPnl);
    return true;
  }

  private onOrderEvent(type: string, p: Record<string, unknown>): boolean {
    const order = this.rememberOrder(p.order);
    if (order === undefined) return false;
    const id = order.clientOrderId;
    if (type === EVENTS.orderUnknown.name) {
      if (!this.unknownOpen.has(id)) {
        this.unknownOpen.add(id);
        this.unknownCount.total++;
      }
    } else if (type === EVENTS.orderCancelFailed.name) {
      if (asObject(p.error)?.retryable === true && !this.cancelFailedOpen.has(id)) {
        this.cancelFailedOpen.add(id);
        this.cancelCount.total++;
      }
    } else if (type !== EVENTS.orderReconcileMismatch.name) {
      this.noteRecovery(order);
    }
    return true;
  }

  private noteRecovery(order: OrderInfo): void {
    const id = order.clientOrderId;
    if (order.status !== 'UNKNOWN' && this.unknownOpen.delete(id)) this.unknownCount.recovered++;
    if (TERMINAL.has(order.status) && this.cancelFailedOpen.delete(id)) this.cancelCount.recovered++;
  }

  private onSubmitted(seq: number, p: Record<string, unknown>): boolean {
    const order = this.rememberOrder(p.order);
    if (order === undefined) return false;
    this.noteRecovery(order);
    this.ordersChecked++;
    const state = this.effectiveState(order.instrumentId, order.venue);
    if (state === 'ACTIVE' || order.reduceOnly) return true;
    const net = this.netPosition.get(order.instrumentId) ?? Decimal.ZERO;
    const after = order.side === 'buy' ? net.add(order.quantity) : net.sub(order.quantity);
    if (after.abs().gt(net.abs())) {
      this.riskAdding++;
      this.example(
        seq,
        order.clientOrderId,
        'risk-added-while-restricted',
        `${order.side} ${order.quantity} ${order.instrumentId} sent while ${state} (position ${net} → ${after})`,
      );
    }
    return true;
  }

  private onFill(seq: number, p: Record<string, unknown>): boolean {
    const order = this.rememberOrder(p.order);
    const fill = asObject(p.fill);
    const quantity = fill === undefined ? undefined : Decimal.tryFrom(fill.quantity);
    if (order === undefined || quantity === undefined || (fill?.side !== 'buy' && fill?.side !== 'sell'))
      return false;
    this.noteRecovery(order);
    this.fillsChecked++;
    const id = order.clientOrderId;
    const instrumentId = typeof fill.instrumentId === 'string' ? fill.instrumentId : order.instrumentId;
    const net = this.netPosition.get(instrumentId) ?? Decimal.ZERO;
    this.netPosition.set(instrumentId, fill.side === 'buy' ? net.add(quantity) : net.sub(quantity));
    const cumulative = (this.filled.get(id) ?? Decimal.ZERO).add(quantity);
    this.filled.set(id, cumulative);
    if (!this.isBacked(order)) {
      this.unbackedFills++;
      this.example(
        seq,
        id,
        'unbacked-fill',
        `fill of ${quantity} on order root "${order.decisionId}" with no accepted consensus or operator flatten behind it`,
      );
    } else if (cumulative.gt(order.quantity)) {
      this.overfills++;
      this.example(
        seq,
        id,
        'overfill',
        `fills total ${cumulative}, above the order's quantity ${order.quantity}`,
      );
    }
    return true;
  }

  private onOverfill(seq: number, p: Record<string, unknown>): boolean {
    const order = this.rememberOrder(p.order);
    if (order === undefined) return false;
    this.overfills++;
    const fill = asObject(p.fill);
    this.example(
      seq,
      order.clientOrderId,
      'overfill',
      `venue reported a fill of ${String(fill?.quantity ?? '?')} beyond the order's quantity ${order.quantity} (not booked)`,
    );
    return true;
  }

  private isBacked(order: OrderInfo): boolean {
    if (this.backedRoots.has(order.decisionId)) return true;
    return this.flattenAllowed && order.reduceOnly && order.decisionId.startsWith('halt-');
  }

  private onReconcileReport(p: Record<string, unknown>): boolean {
    if (typeof p.status !== 'string' || typeof p.venue !== 'string') return false;
    this.reconcileChecks++;
    if (p.status === 'ok') this.reconcileOk++;
    else if (p.status === 'adjusted') this.reconcileAdjusted++;
    else this.reconcileFailed++;
    let unreachable = false;
    for (const m of Array.isArray(p.mismatches) ? p.mismatches : []) {
      const mismatch = asObject(m);
      if (mismatch === undefined) continue;
      if (mismatch.kind === 'unreachable') unreachable = true;
      const desk = Decimal.tryFrom(mismatch.desk);
      const venue = Decimal.tryFrom(mismatch.venue);
      if (desk === undefined || venue === undefined) continue;
      const diff = desk.sub(venue).abs();
      if (mismatch.kind === 'position')
        this.maxPositionMismatch = Decimal.max(this.maxPositionMismatch, diff);
      else if (mismatch.kind === 'balance')
        this.maxBalanceMismatch = Decimal.max(this.maxBalanceMismatch, diff);
    }
    if (unreachable) {
      if (!this.venueDown.has(p.venue)) {
        this.venueDown.add(p.venue);
        this.outageCount.total++;
      }
    } else if (p.status !== 'failed-closed' && this.venueDown.delete(p.venue)) {
      this.outageCount.recovered++;
    }
    return true;
  }

  private onTradingState(p: Record<string, unknown>): boolean {
    const scope = asObject(p.scope);
    const to = p.to;
    if (scope === undefined || typeof to !== 'string' || !(to in SEVERITY)) return false;
    const key = `${String(scope.kind)}:${to}`;
    this.stateChanges[key] = (this.stateChanges[key] ?? 0) + 1;
    if (scope.kind === 'global') this.globalState = to;
    else if (scope.kind === 'venue' && typeof scope.venue === 'string')
      setScope(this.venueStates, scope.venue, to);
    else if (scope.kind === 'instrument' && typeof scope.instrumentId === 'string')
      setScope(this.instrumentStates, scope.instrumentId, to);
    else return false;
    return true;
  }

  private onBreaker(p: Record<string, unknown>): boolean {
    const { breaker, from, to } = p;
    if (typeof breaker !== 'string' || typeof from !== 'string' || typeof to !== 'string') return false;
    const key = `${breaker}:${from}>${to}`;
    this.transitions[key] = (this.transitions[key] ?? 0) + 1;
    if (to === 'OPEN') {
      this.trips++;
      this.tripsByBreaker[breaker] = (this.tripsByBreaker[breaker] ?? 0) + 1;
    }
    return true;
  }

  private effectiveState(instrumentId: string, venue: string): string {
    let state = this.globalState;
    for (const s of [this.venueStates.get(venue), this.instrumentStates.get(instrumentId)]) {
      if (s !== undefined && (SEVERITY[s] ?? 0) > (SEVERITY[state] ?? 0)) state = s;
    }
    return state;
  }

  /** Reads an order's JSON (from any order record), keeping the first-seen fixed fields. */
  private rememberOrder(raw: unknown): OrderInfo | undefined {
    const o = asObject(raw);
    if (o === undefined || typeof o.clientOrderId !== 'string' || typeof o.status !== 'string')
      return undefined;
    const known = this.orders.get(o.clientOrderId);
    if (known !== undefined) return known.status === o.status ? known : { ...known, status: o.status };
    const quantity = Decimal.tryFrom(o.quantity);
    if (
      quantity === undefined ||
      typeof o.instrumentId !== 'string' ||
      typeof o.venue !== 'string' ||
      typeof o.decisionId !== 'string'
    )
      return undefined;
    if (o.side !== 'buy' && o.side !== 'sell') return undefined;
    const info: OrderInfo = {
      clientOrderId: o.clientOrderId,
      instrumentId: o.instrumentId,
      venue: o.venue,
      side: o.side,
      quantity,
      decisionId: o.decisionId,
      reduceOnly: o.reduceOnly === true,
      status: o.status,
    };
    this.orders.set(o.clientOrderId, info);
    return info;
  }

  private example(
    seq: number,
    clientOrderId: string,
    reason: UnintendedExample['reason'],
    detail: string,
  ): void {
    if (this.examples.length < MAX_EXAMPLES) this.examples.push({ seq, clientOrderId, reason, detail });
  }
}

function setScope(states: Map<string, string>, key: string, to: string): void {
  if (to === 'ACTIVE') states.delete(key);
  else states.set(key, to);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The trading day of `ts`: its UTC date after moving back by the daily reset minute. */
export function dayOf(ts: number, resetMinute = 0): string {
  const start = Math.floor((ts - resetMinute * 60_000) / DAY_MS) * DAY_MS;
  return new Date(start).toISOString().slice(0, 10);
}
