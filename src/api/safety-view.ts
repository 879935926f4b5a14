/**
 * The safety routes' reads: reconciliation from the journal's `reconcile.*` records (runs with
 * their mismatches, adjustments, recovered fills), newest last. Payloads of an unexpected shape
 * are skipped and counted, never guessed at.
 */
import { EVENTS } from '../bus/index.ts';
import type { JournalReader } from '../journal/index.ts';

export interface ReconcileMismatchRow {
  readonly kind: string;
  readonly code: string;
  readonly key: string;
  readonly desk: string;
  readonly venue: string;
  readonly withinTolerance: boolean;
  readonly fixed: boolean;
  readonly message: string;
}

export interface ReconcileAdjustmentRow {
  readonly kind: string;
  readonly key: string;
  readonly before: string;
  readonly after: string;
  readonly delta: string;
}

export interface ReconcileRunRow {
  readonly seq: number;
  readonly ts: number;
  readonly venue: string;
  readonly status: string;
  readonly unknownResolved: number;
  readonly unknownPending: number;
  readonly ordersChecked: number;
  readonly fillsRecovered: number;
  readonly mismatches: ReconcileMismatchRow[];
  readonly adjustments: ReconcileAdjustmentRow[];
}

export interface ReconciliationView {
  readonly runs: ReconcileRunRow[];
  readonly adjustments: (ReconcileAdjustmentRow & { seq: number; ts: number; venue: string })[];
  readonly recoveredFills: {
    seq: number;
    ts: number;
    venue: string;
    clientOrderId: string;
    orderStatus: string;
    fill: Record<string, unknown>;
  }[];
  /** Totals over every run in the journal (not only the `limit` returned). */
  readonly totals: {
    runs: number;
    ok: number;
    adjusted: number;
    failedClosed: number;
    mismatches: number;
    adjustments: number;
    recoveredFills: number;
    malformed: number;
  };
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function mismatchOf(v: unknown): ReconcileMismatchRow | undefined {
  const m = obj(v);
  if (m === undefined || typeof m.kind !== 'string') return undefined;
  return {
    kind: m.kind,
    code: str(m.code),
    key: str(m.key),
    desk: str(m.desk),
    venue: str(m.venue),
    withinTolerance: m.withinTolerance === true,
    fixed: m.fixed === true,
    message: str(m.message),
  };
}

function adjustmentOf(v: unknown): ReconcileAdjustmentRow | undefined {
  const a = obj(v);
  if (a === undefined || typeof a.kind !== 'string' || typeof a.key !== 'string') return undefined;
  return { kind: a.kind, key: a.key, before: str(a.before), after: str(a.after), delta: str(a.delta) };
}

const lastN = <T>(rows: T[], n: number): T[] => rows.slice(Math.max(0, rows.length - n));

/** Reconciliation runs, adjustments and recovered fills (each list its newest `limit`, newest last). */
export function reconciliationOf(reader: JournalReader, limit: number): ReconciliationView {
  const runs: ReconcileRunRow[] = [];
  const adjustments: ReconciliationView['adjustments'] = [];
  const recoveredFills: ReconciliationView['recoveredFills'] = [];
  let malformed = 0;
  const types = [
    EVENTS.reconcileReport.name,
    EVENTS.reconcileAdjusted.name,
    EVENTS.reconcileFillRecovered.name,
  ];
  for (const r of reader.records(types)) {
    const p = obj(r.payload);
    if (p === undefined || typeof p.venue !== 'string') {
      malformed++;
      continue;
    }
    if (r.type === EVENTS.reconcileReport.name) {
      if (typeof p.status !== 'string' || !Array.isArray(p.mismatches) || !Array.isArray(p.adjustments)) {
        malformed++;
        continue;
      }
      runs.push({
        seq: r.seq,
        ts: r.ts,
        venue: p.venue,
        status: p.status,
        unknownResolved: num(p.unknownResolved),
        unknownPending: num(p.unknownPending),
        ordersChecked: num(p.ordersChecked),
        fillsRecovered: num(p.fillsRecovered),
        mismatches: p.mismatches.map(mismatchOf).filter((m) => m !== undefined),
        adjustments: p.adjustments.map(adjustmentOf).filter((a) => a !== undefined),
      });
    } else if (r.type === EVENTS.reconcileAdjusted.name) {
      const a = adjustmentOf(p);
      if (a === undefined) malformed++;
      else adjustments.push({ seq: r.seq, ts: r.ts, venue: p.venue, ...a });
    } else {
      const fill = obj(p.fill);
      if (fill === undefined || typeof p.clientOrderId !== 'string') malformed++;
      else
        recoveredFills.push({
          seq: r.seq,
          ts: r.ts,
          venue: p.venue,
          clientOrderId: p.clientOrderId,
          orderStatus: str(p.orderStatus),
          fill,
        });
    }
  }
  return {
    runs: lastN(runs, limit),
    adjustments: lastN(adjustments, limit),
    recoveredFills: lastN(recoveredFills, limit),
    totals: {
      runs: runs.length,
      ok: runs.filter((r) => r.status === 'ok').length,
      adjusted: runs.filter((r) => r.status === 'adjusted').length,
      failedClosed: runs.filter((r) => r.status === 'failed-closed').length,
      mismatches: runs.reduce((n, r) => n + r.mismatches.length, 0),
      adjustments: adjustments.length,
      recoveredFills: recoveredFills.length,
      malformed,
    },
  };
}
