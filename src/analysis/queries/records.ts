/**
 * Journal payloads as the queries read them back. A journal crosses a process boundary (it may
 * have been written by another version, or by a tool), so every payload is checked with a schema
 * before it is used; one that does not match is counted as malformed and skipped, never trusted
 * as typed and never a crash.
 *
 * Also here: the order records of a journal grouped into order instances (one per
 * `order.initialized`: an order id is deterministic, so a journal that resumed after a crash can
 * hold two orders with one id), and the journal's run segments.
 */
import { z } from 'zod';
import { EVENT_LIST, EVENTS } from '../../bus/index.ts';
import { fillJsonSchema, orderJsonSchema } from '../../execution/index.ts';
import type { JournalReader, JournalRecord } from '../../journal/index.ts';
import { ORDER_STATUSES } from '../../model/index.ts';

export type OrderJson = z.infer<typeof orderJsonSchema>;
export type FillJson = z.infer<typeof fillJsonSchema>;

export const triggerSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    instrumentId: z.string(),
    ts: z.number(),
    magnitude: z.number(),
  })
  .loose();
export type TriggerJson = z.infer<typeof triggerSchema>;

const intentJson = z.record(z.string(), z.unknown());
export type IntentJson = z.infer<typeof intentJson>;

export const decisionSchema = z
  .object({
    decisionId: z.string(),
    agentId: z.string(),
    role: z.string().optional(),
    ts: z.number(),
    triggerId: z.string(),
    intents: z.array(intentJson),
    confidence: z.number(),
    reasoning: z.string(),
    expectedReturn: z.number(),
  })
  .loose();
export type DecisionJson = z.infer<typeof decisionSchema>;

const acceptedSchema = z.object({
  intent: intentJson,
  decisionIds: z.array(z.string()).min(1),
  agentIds: z.array(z.string()),
  weights: z.array(z.number()),
  reason: z.string(),
});
const rejectedSchema = z.object({
  intent: intentJson,
  decisionId: z.string(),
  agentId: z.string(),
  reason: z.string(),
});
const conflictSchema = z.object({
  instrumentId: z.string(),
  sides: z.array(z.string()),
  weights: z.record(z.string(), z.number()),
  winner: z.string(),
  reason: z.string(),
});
const vetoSchema = z.object({
  agentId: z.string(),
  decisionId: z.string(),
  instrumentId: z.string(),
  reason: z.string(),
});
const capSchema = z.object({
  agentId: z.string(),
  decisionId: z.string(),
  instrumentId: z.string(),
  maxQuantity: z.string(),
  reason: z.string(),
  effects: z.array(
    z.object({ instrumentId: z.string(), plan: z.string().optional(), from: z.string(), to: z.string() }),
  ),
});

export const consensusSchema = z.object({
  triggerId: z.string(),
  accepted: z.array(acceptedSchema),
  rejected: z.array(rejectedSchema),
  conflicts: z.array(conflictSchema),
  vetoes: z.array(vetoSchema),
  caps: z.array(capSchema),
});
export type ConsensusJson = z.infer<typeof consensusSchema>;
export type AcceptedJson = ConsensusJson['accepted'][number];

export const outcomeSchema = z
  .object({
    decisionId: z.string(),
    agentId: z.string(),
    ts: z.number(),
    realizedReturn: z.number(),
    correct: z.boolean(),
    pnl: z.number(),
  })
  .loose();
export type OutcomeJson = z.infer<typeof outcomeSchema>;

export const denialSchema = z.object({
  code: z.string(),
  rule: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  error: z.string().optional(),
});
export type DenialJson = z.infer<typeof denialSchema>;

const orderPayloadSchema = z
  .object({
    order: orderJsonSchema,
    fill: fillJsonSchema.optional(),
    denial: denialSchema.optional(),
    error: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

const fillRecoveredSchema = z
  .object({ clientOrderId: z.string(), orderStatus: z.enum(ORDER_STATUSES), fill: fillJsonSchema })
  .loose();

const planLegSchema = z
  .object({
    intent: z
      .object({
        instrumentId: z.string(),
        side: z.enum(['buy', 'sell']),
        type: z.string(),
        quantity: z.string(),
        limitPrice: z.string().optional(),
      })
      .loose(),
    clientOrderId: z.string(),
    sent: z.boolean(),
    referencePrice: z.number().nullable().optional(),
  })
  .loose();

export const planPayloadSchema = z
  .object({
    plan: z
      .object({
        planId: z.string(),
        label: z.string(),
        expectedNetEdge: z.number().optional(),
        policy: z.string(),
        mode: z.string(),
        status: z.string(),
        legs: z.array(planLegSchema),
        hedgeOrderIds: z.array(z.string()),
      })
      .loose(),
    outcome: z.string().optional(),
    leg: z.number().optional(),
    reason: z.string().optional(),
    orders: z
      .array(
        z
          .object({
            clientOrderId: z.string().optional(),
            forLeg: z.number(),
            instrumentId: z.string(),
            side: z.string(),
            quantity: z.string(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();
export type PlanPayloadJson = z.infer<typeof planPayloadSchema>;

export const riskChainSchema = z.object({
  rules: z.array(z.string()),
  limits: z.record(z.string(), z.unknown()),
});
export type RiskChainJson = z.infer<typeof riskChainSchema>;

export const riskHaltSchema = z
  .object({ reason: z.string(), flatten: z.boolean(), operator: z.string().nullable() })
  .loose();

/** A payload checked against `schema`, or undefined (counted in `malformed`). */
export function parseWith<T>(
  schema: z.ZodType<T>,
  record: JournalRecord,
  malformed: { count: number },
): T | undefined {
  const result = schema.safeParse(record.payload);
  if (result.success) return result.data;
  malformed.count++;
  return undefined;
}

// ── orders ────────────────────────────────────────────────────────────────

/** Every record type that moves or describes one order. */
/** Order records (every state-bearing `order.*` type of the catalogue) and reconciliation's recovered fills. */
export const ORDER_RECORD_TYPES: readonly string[] = EVENT_LIST.filter(
  (e) => e.resumeTail && (e.name.startsWith('order.') || e === EVENTS.reconcileFillRecovered),
).map((e) => e.name);

export const PLAN_RECORD_TYPES: readonly string[] = [
  EVENTS.planStarted.name,
  EVENTS.planLegFailed.name,
  EVENTS.planHedged.name,
  EVENTS.planCompleted.name,
];

/** One record about an order. */
export interface OrderEvent {
  readonly seq: number;
  readonly ts: number;
  readonly type: string;
  /** The order as it stood after the record (absent for a recovered fill: its status is `status`). */
  readonly order: OrderJson | undefined;
  readonly status: OrderJson['status'];
  readonly fill: FillJson | undefined;
  readonly denial: DenialJson | undefined;
  readonly error: Record<string, unknown> | undefined;
}

/** One order: the records from its `order.initialized` (or its first record) on. */
export interface OrderInstance {
  readonly clientOrderId: string;
  readonly firstSeq: number;
  /** The order as first and last journaled (the last record carrying the order). */
  readonly first: OrderJson;
  last: OrderJson;
  readonly events: OrderEvent[];
}

export interface OrderBook {
  /** Instances by client order id, oldest first. */
  readonly byId: Map<string, OrderInstance[]>;
  /** Every instance, by first seq. */
  readonly all: OrderInstance[];
  readonly malformed: number;
}

/**
 * Reads every order record (within `range`) and groups them into order instances. A record for
 * an id with no instance yet (a journal compacted or cut after the order was created) opens one.
 */
export function collectOrders(
  reader: JournalReader,
  range: { fromSeq?: number; toSeq?: number } = {},
): OrderBook {
  const byId = new Map<string, OrderInstance[]>();
  const all: OrderInstance[] = [];
  const malformed = { count: 0 };
  for (const record of reader.records(ORDER_RECORD_TYPES, range)) {
    let event: OrderEvent;
    if (record.type === EVENTS.reconcileFillRecovered.name) {
      const p = parseWith(fillRecoveredSchema, record, malformed);
      if (p === undefined) continue;
      event = {
        seq: record.seq,
        ts: record.ts,
        type: record.type,
        order: undefined,
        status: p.orderStatus,
        fill: p.fill,
        denial: undefined,
        error: undefined,
      };
      const instance = latest(byId, p.clientOrderId);
      if (instance !== undefined) instance.events.push(event);
      continue;
    }
    const p = parseWith(orderPayloadSchema, record, malformed);
    if (p === undefined) continue;
    event = {
      seq: record.seq,
      ts: record.ts,
      type: record.type,
      order: p.order,
      status: p.order.status,
      fill: p.fill,
      denial: p.denial,
      error: p.error,
    };
    const id = p.order.clientOrderId;
    let instance = latest(byId, id);
    if (instance === undefined || record.type === EVENTS.orderInitialized.name) {
      instance = { clientOrderId: id, firstSeq: record.seq, first: p.order, last: p.order, events: [] };
      const list = byId.get(id);
      if (list === undefined) byId.set(id, [instance]);
      else list.push(instance);
      all.push(instance);
    }
    instance.last = p.order;
    instance.events.push(event);
  }
  return { byId, all, malformed: malformed.count };
}

function latest(byId: Map<string, OrderInstance[]>, id: string): OrderInstance | undefined {
  const list = byId.get(id);
  return list === undefined ? undefined : list[list.length - 1];
}

/** The order root (`<decisionId>#<index>`, `halt-<ts>#<i>`) split at its last `#`. */
export function splitRoot(root: string): { decisionId: string; index: number } | undefined {
  const at = root.lastIndexOf('#');
  if (at <= 0) return undefined;
  const suffix = root.slice(at + 1);
  if (!/^\d{1,15}$/.test(suffix)) return undefined;
  const index = Number(suffix);
  return { decisionId: root.slice(0, at), index };
}

/** The venue's order id, once a record carried it. */
export function venueOrderIdOf(instance: OrderInstance): string | undefined {
  for (let i = instance.events.length - 1; i >= 0; i--) {
    const e = instance.events[i] as OrderEvent;
    const id = e.order?.venueOrderId ?? e.fill?.venueOrderId;
    if (id !== undefined && id !== '') return id;
  }
  return undefined;
}

// ── run segments ──────────────────────────────────────────────────────────

export const RUN_BOUNDARY_TYPES: readonly string[] = [
  EVENTS.runStart.name,
  EVENTS.runResumed.name,
  EVENTS.journalCompacted.name,
];

/** Seqs of the records that begin a run segment (run.start, run.resumed, journal.compacted). */
export function runBoundaries(reader: JournalReader): number[] {
  const seqs: number[] = [];
  for (const r of reader.records(RUN_BOUNDARY_TYPES)) seqs.push(r.seq);
  return seqs;
}

/** Index of the segment holding `seq` (0 before the first boundary). */
export function segmentOf(boundaries: readonly number[], seq: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((boundaries[mid] as number) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
