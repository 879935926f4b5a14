/**
 * The event catalogue: every journal record type and bus message, declared once with its
 * name, payload type, version, kind and a one-line description. Writers name an event by
 * reference (`desk.record(EVENTS.decision, record)`), so the payload is type-checked against
 * the entry; readers compare with `EVENTS.x.name`. The journal, the bus (`topics.event`) and
 * later a live API stream or a NATS bridge all key on these entries, and docs/events.md
 * documents each one (test/bus/catalogue.test.ts keeps the two in step).
 *
 * Payload types that live in core or model are declared here. Those owned by outer
 * components (risk, execution, kernel, ...) are bound to their catalogue key by the owner,
 * through declaration merging in `src/<component>/events.ts`, because the bus may not import
 * outward. The `satisfies` below makes the two lists agree: a catalogue entry without a
 * payload type, or a payload type without an entry, does not compile.
 *
 * Nothing here runs on the step path: names are plain strings, and payloads are validated
 * (`parsePayload`) only where they are read back from a journal, never on append.
 */
import { z } from 'zod';
import { ConcordError, type Decimal } from '../core/index.ts';
import type { DecisionRecord, InstrumentId, MarketEvent, Outcome } from '../model/index.ts';
import { assertTopic } from './match.ts';

/**
 * `input`: replay feeds (part of) it back to re-run a journal (market data, operator actions,
 * run boundaries, restore points, missed deadlines). `output`: derived by the desk from its
 * inputs; replay must reproduce it byte for byte.
 */
export type EventKind = 'input' | 'output';

// ── payloads read back from a journal: zod schemas (their TypeScript types follow from them) ──

const runEndSchema = z.object({
  reason: z.string(),
  counters: z.record(z.string(), z.number()),
});

// Every mode resumes alike (src/kernel/restore.ts): last run.start, last checkpoint, durable tail.
const runResumedSchema = z.object({
  fromSeq: z.number().int().nonnegative(),
  crashed: z.boolean(),
  checkpointTs: z.number().nullable(),
  /** Durable records after the checkpoint that were applied (orders, plans, fills, corrections). */
  tailApplied: z.number().int().nonnegative(),
  startTs: z.number(),
  /** A seeded market source's seed for this segment (the sandbox's): replay restarts the market from it. */
  seed: z.number().int().optional(),
  positions: z.unknown(),
  trust: z.unknown(),
});

const riskHaltSchema = z.object({
  reason: z.string(),
  flatten: z.boolean(),
  operator: z.string().nullable(),
});

const riskResumeSchema = z.object({
  operator: z.string(),
  reason: z.string(),
  haltedSince: z.number(),
});

/** An operator command as journaled (src/kernel/commands.ts); `operator` is null when none was named. */
const deskCommandSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('halt'),
    reason: z.string(),
    flatten: z.boolean(),
    operator: z.string().nullable(),
  }),
  z.object({ kind: z.literal('resume'), operator: z.string(), reason: z.string() }),
  z.object({ kind: z.literal('flatten'), reason: z.string(), operator: z.string().nullable() }),
  z.object({
    kind: z.literal('simulation'),
    enabled: z.boolean(),
    reason: z.string(),
    operator: z.string().nullable(),
  }),
  z.object({
    kind: z.literal('agent'),
    agentId: z.string(),
    action: z.enum(['start', 'stop', 'quarantine']),
    reason: z.string(),
    operator: z.string(),
  }),
]);

const controlCommandSchema = z.object({
  command: deskCommandSchema,
  /** The channel it came through (`file`, later `api`) and that channel's id for it. */
  channel: z.string(),
  requestId: z.string().nullable(),
  ok: z.boolean(),
  /** The CONCORD_ERR_* code when the command failed or was refused. */
  code: z.string().nullable(),
  message: z.string(),
  /** The desk's global trading state right after. */
  tradingState: z.string(),
});

const agentTimeoutSchema = z.object({ triggerId: z.string(), agentId: z.string() });

const shadowStartedSchema = z.object({
  sessionId: z.string(),
  agents: z.array(z.object({ id: z.string(), type: z.string(), config: z.unknown() })),
  startTs: z.number(),
  journal: z.string(),
});

/** A market's readiness as a listing watch sees it (src/venues/ccxt/new-listings.ts). */
export interface ListingStatePayload {
  /** ccxt's `active`, null when the exchange does not say. */
  readonly active: boolean | null;
  /** The exchange's own status word (`TRADING`, MEXC `1`, OKX `live`, …), null when none. */
  readonly status: string | null;
  /** The exchange says it trades. */
  readonly tradable: boolean;
  /** Time of the first public trade seen, null until then. */
  readonly firstTradeTs: number | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A ConcordError as journaled (`error.toJSON()`). */
export type ErrorJson = Record<string, unknown>;

/**
 * Payload type per catalogue key. Outer components add theirs (see the file comment); the
 * entries below are the ones whose types core and model can express.
 */
export interface EventPayloads {
  market: MarketEvent;
  decision: DecisionRecord;
  outcome: Outcome;
  runResumed: z.input<typeof runResumedSchema>;
  runEnd: { readonly reason: string; readonly counters: object };
  riskHalt: z.infer<typeof riskHaltSchema>;
  controlCommand: z.infer<typeof controlCommandSchema>;
  riskResume: z.infer<typeof riskResumeSchema>;
  agentTimeout: z.infer<typeof agentTimeoutSchema>;
  agentLearnFailed: { readonly agentId: string; readonly error: string };
  agentDataStale: { readonly agentId: string; readonly instruments: readonly InstrumentId[] };
  agentDataFresh: { readonly agentId: string };
  portfolioFunding: {
    readonly instrumentId: InstrumentId;
    readonly rate: number;
    readonly mark: number;
    /** Cash paid (negative) or received; a decimal string in the journal. */
    readonly amount: Decimal;
  };
  shadowStarted: z.infer<typeof shadowStartedSchema>;
  shadowEnd: { readonly sessionId: string; readonly counters: object };
  shadowFaulted: { readonly sessionId: string; readonly reason: string };
  orderEventRejected: {
    readonly code: `CONCORD_ERR_${string}`;
    readonly message: string;
    readonly details: Record<string, unknown>;
  };
  executionHandlerFailed: {
    readonly error: ErrorJson;
    readonly clientOrderId: string;
    readonly tradeId: string;
  };
  executionInternalError: { readonly error: ErrorJson };
  marketListed: {
    readonly venue: string;
    readonly symbol: string;
    readonly instrumentId: InstrumentId;
    readonly state: ListingStatePayload;
  };
  marketStatus: {
    readonly venue: string;
    readonly symbol: string;
    readonly instrumentId: InstrumentId;
    /** `status` (status word or active flag), `first-trade`, or `delisted`. */
    readonly reason: 'status' | 'first-trade' | 'delisted';
    readonly from: ListingStatePayload;
    /** Null when the market was delisted. */
    readonly to: ListingStatePayload | null;
  };
}

interface Spec {
  readonly name: string;
  readonly version: number;
  readonly kind: EventKind;
  readonly doc: string;
  readonly schema?: z.ZodType;
  /** Carries state a restart must not lose: applied from the durable tail after the last checkpoint. */
  readonly resumeTail?: true;
}

/** The catalogue. Keys are how code names an event; `name` is the journal's record type. */
const SPEC = {
  // ── run boundaries and inputs ──
  runStart: {
    name: 'run.start',
    version: 1,
    kind: 'input',
    doc: 'A run begins: its config (without the journal directory), start time and, for backtests, the recording files.',
  },
  runResumed: {
    name: 'run.resumed',
    version: 2,
    kind: 'input',
    doc: 'A run continues an existing journal after a restart: where it resumed from and what it restored.',
    schema: runResumedSchema,
  },
  runEnd: {
    name: 'run.end',
    version: 1,
    kind: 'input',
    doc: 'A run ends cleanly (replay takes the reason from it); the desk counters at the end.',
    schema: runEndSchema,
  },
  market: {
    name: 'market',
    version: 1,
    kind: 'input',
    doc: 'One market event (book, quote, trade, bar, funding, pool, lending) as the desk stepped it.',
  },
  marketListed: {
    name: 'market.listed',
    version: 1,
    kind: 'input',
    doc: 'A listing watch found a market the exchange did not list before, with its readiness.',
  },
  marketStatus: {
    name: 'market.status',
    version: 1,
    kind: 'input',
    doc: "A watched market's readiness changed: the exchange's status or active flag, its first public trade, or its delisting.",
  },
  checkpoint: {
    name: 'checkpoint',
    version: 1,
    kind: 'input',
    doc: 'Desk state at the end of a durable batch; a restart (and its replay) resumes from the last one.',
  },
  journalCompacted: {
    name: 'journal.compacted',
    version: 2,
    kind: 'input',
    doc: "First record of a compacted journal: the source journal's head, the checkpoint it starts from and the durable tail it carries.",
  },
  controlRejected: {
    name: 'control.rejected',
    version: 1,
    kind: 'input',
    doc: 'An operator control file could not be read or validated; it was moved aside unexecuted.',
  },
  controlCommand: {
    name: 'control.command',
    version: 2,
    kind: 'input',
    doc: 'An operator command (halt, resume, flatten, simulation, or start/stop/quarantine of an agent), who issued it through which channel, and what the desk did; replay applies it at the same point.',
    schema: controlCommandSchema,
  },
  // ── thinking: triggers, decisions, consensus, outcomes ──
  trigger: {
    name: 'trigger',
    version: 1,
    kind: 'output',
    doc: 'A market change big enough to ask the agents about (journaled when some agent had something to say).',
    resumeTail: true,
  },
  decision: {
    name: 'decision',
    version: 1,
    kind: 'output',
    doc: 'One agent’s decision for a trigger: intents, confidence, reasoning.',
    resumeTail: true,
  },
  consensus: {
    name: 'consensus',
    version: 1,
    kind: 'output',
    doc: 'The consolidated result of a trigger’s decisions: accepted and rejected intents, conflicts, vetoes, caps.',
  },
  outcome: {
    name: 'outcome',
    version: 1,
    kind: 'output',
    doc: 'The realised outcome of a decision, fed to the agent’s learning and the trust scores.',
  },
  // ── agents ──
  agentState: {
    name: 'agent.state',
    version: 2,
    kind: 'output',
    doc: 'An agent moved between lifecycle states (the shared vocabulary of src/core/lifecycle.ts).',
  },
  agentFailed: {
    name: 'agent.failed',
    version: 1,
    kind: 'output',
    doc: 'An agent call failed (timeout, error or invalid output).',
  },
  agentRestarting: {
    name: 'agent.restarting',
    version: 1,
    kind: 'output',
    doc: 'A failed agent will be restarted after a backoff.',
  },
  agentRestarted: {
    name: 'agent.restarted',
    version: 1,
    kind: 'output',
    doc: 'A failed agent was restarted.',
  },
  agentQuarantined: {
    name: 'agent.quarantined',
    version: 1,
    kind: 'output',
    doc: 'An agent failed too often in a row and is left out until an operator acts.',
  },
  agentTimeout: {
    name: 'agent.timeout',
    version: 1,
    kind: 'input',
    doc: 'An agent missed its deadline for a trigger; replay makes the same agent miss it again.',
    schema: agentTimeoutSchema,
  },
  agentLearnFailed: {
    name: 'agent.learn-failed',
    version: 1,
    kind: 'output',
    doc: 'An agent’s learn() call failed on an outcome.',
  },
  agentDataStale: {
    name: 'agent.data-stale',
    version: 1,
    kind: 'output',
    doc: 'An agent’s instruments have stale data: it is DEGRADED and left out of fan-outs.',
  },
  agentDataFresh: {
    name: 'agent.data-fresh',
    version: 1,
    kind: 'output',
    doc: 'A DEGRADED agent’s data flows again: it is back in fan-outs.',
  },
  // ── risk and safety ──
  riskChain: {
    name: 'risk.chain',
    version: 1,
    kind: 'output',
    doc: 'The risk gate as the desk starts: its rules in the order they run, and the limits they read. An order the gate passed passed each of them.',
  },
  riskBreaker: {
    name: 'risk.breaker',
    version: 1,
    kind: 'output',
    doc: 'A circuit breaker changed state (volatility, error rate, loss).',
  },
  riskRuleError: {
    name: 'risk.rule-error',
    version: 1,
    kind: 'output',
    doc: 'A risk rule could not be evaluated; the desk fails closed for that order.',
  },
  riskTradingState: {
    name: 'risk.trading-state',
    version: 1,
    kind: 'output',
    doc: 'The trading state of a scope changed (ACTIVE, REDUCING, HALTED).',
  },
  riskHalt: {
    name: 'risk.halt',
    version: 1,
    kind: 'output',
    doc: 'The desk halted (optionally flattening), on an operator command (`control.command`).',
    schema: riskHaltSchema,
  },
  riskResume: {
    name: 'risk.resume',
    version: 1,
    kind: 'output',
    doc: 'A halted desk resumed, on an operator command (`control.command`).',
    schema: riskResumeSchema,
  },
  // ── portfolio ──
  portfolioFunding: {
    name: 'portfolio.funding',
    version: 1,
    kind: 'output',
    doc: 'A perpetual funding payment moved cash for an open position.',
  },
  // ── orders (the order manager) ──
  orderInitialized: {
    name: 'order.initialized',
    version: 2,
    kind: 'output',
    doc: 'An order was created from an accepted intent, before the risk gate.',
    resumeTail: true,
  },
  orderDenied: {
    name: 'order.denied',
    version: 2,
    kind: 'output',
    doc: 'The risk gate (or order shaping, or fail-closed) refused an order; it never left.',
    resumeTail: true,
  },
  orderSubmitted: {
    name: 'order.submitted',
    version: 2,
    kind: 'output',
    doc: 'An order passed the gate and is being sent to its venue.',
    resumeTail: true,
  },
  orderAccepted: {
    name: 'order.accepted',
    version: 2,
    kind: 'output',
    doc: 'The venue accepted an order.',
    resumeTail: true,
  },
  orderRejected: {
    name: 'order.rejected',
    version: 2,
    kind: 'output',
    doc: 'The venue refused an order.',
    resumeTail: true,
  },
  orderFilled: {
    name: 'order.filled',
    version: 2,
    kind: 'output',
    doc: 'A fill was applied to an order (partial or complete).',
    resumeTail: true,
  },
  orderPendingCancel: {
    name: 'order.pending-cancel',
    version: 2,
    kind: 'output',
    doc: 'Reconciliation found an order the venue is cancelling.',
    resumeTail: true,
  },
  orderCancelRequested: {
    name: 'order.cancel-requested',
    version: 2,
    kind: 'output',
    doc: 'A cancel was asked of the venue.',
    resumeTail: true,
  },
  orderCancelFailed: {
    name: 'order.cancel-failed',
    version: 2,
    kind: 'output',
    doc: 'A cancel request failed at the venue.',
    resumeTail: true,
  },
  orderCanceled: {
    name: 'order.canceled',
    version: 2,
    kind: 'output',
    doc: 'The venue cancelled an order.',
    resumeTail: true,
  },
  orderExpired: {
    name: 'order.expired',
    version: 2,
    kind: 'output',
    doc: 'An order expired at the venue (IOC/FOK remainder, time in force).',
    resumeTail: true,
  },
  orderUnknown: {
    name: 'order.unknown',
    version: 2,
    kind: 'output',
    doc: 'A submit’s outcome is unknown (timeout, unexpected error); the order is UNKNOWN until reconciled, never resent.',
    resumeTail: true,
  },
  orderOverfill: {
    name: 'order.overfill',
    version: 2,
    kind: 'output',
    doc: 'A fill would take an order above its quantity; it was not applied.',
    resumeTail: true,
  },
  orderEventRejected: {
    name: 'order.event-rejected',
    version: 1,
    kind: 'output',
    doc: 'A venue event was refused (unknown order, wrong venue, illegal transition, mismatching fill).',
  },
  orderReconcileMismatch: {
    name: 'order.reconcile-mismatch',
    version: 2,
    kind: 'output',
    doc: 'The venue reports a status the order cannot move to; an operator must check.',
    resumeTail: true,
  },
  // ── on-chain orders: the transaction behind an order (ADR 0016) ──
  txSent: {
    name: 'tx.sent',
    version: 1,
    kind: 'output',
    doc: 'An on-chain order’s transaction passed its simulation and was broadcast (or the same bytes again after it left the mempool).',
  },
  txReplaced: {
    name: 'tx.replaced',
    version: 1,
    kind: 'output',
    doc: 'A stuck transaction was replaced at the same nonce with bumped fees (or by a self-transfer that cancels the order).',
  },
  txIncluded: {
    name: 'tx.included',
    version: 1,
    kind: 'output',
    doc: 'An on-chain order’s transaction was mined; its fill is booked only once the block has enough confirmations.',
  },
  txReorged: {
    name: 'tx.reorged',
    version: 1,
    kind: 'output',
    doc: 'The block holding an on-chain order’s transaction left the canonical chain; the transaction is watched again.',
  },
  txDropped: {
    name: 'tx.dropped',
    version: 1,
    kind: 'output',
    doc: 'An on-chain order’s transaction left the mempool without a receipt; it is rebroadcast or cancelled per policy.',
  },
  txStuck: {
    name: 'tx.stuck',
    version: 1,
    kind: 'output',
    doc: 'An on-chain order’s transaction and its replacements and cancel did not land; nothing more is sent, it is still watched.',
  },
  // ── plans (multi-leg intents) ──
  planStarted: {
    name: 'plan.started',
    version: 2,
    kind: 'output',
    doc: 'A multi-leg plan started.',
    resumeTail: true,
  },
  planLegFailed: {
    name: 'plan.leg-failed',
    version: 2,
    kind: 'output',
    doc: 'A plan leg ended without filling completely.',
    resumeTail: true,
  },
  planHedged: {
    name: 'plan.hedged',
    version: 2,
    kind: 'output',
    doc: 'Correction orders were sent to complete or unwind a plan after a leg failed.',
    resumeTail: true,
  },
  planCompleted: {
    name: 'plan.completed',
    version: 2,
    kind: 'output',
    doc: 'A plan finished (its outcome says how).',
    resumeTail: true,
  },
  executionHandlerFailed: {
    name: 'execution.handler-failed',
    version: 1,
    kind: 'output',
    doc: 'A fill handler threw: downstream state (portfolio) may be behind the order.',
  },
  executionInternalError: {
    name: 'execution.internal-error',
    version: 1,
    kind: 'output',
    doc: 'A send started from an event handler failed unexpectedly (a bug, reported rather than lost).',
  },
  // ── reconciliation ──
  reconcileFillRecovered: {
    name: 'reconcile.fill-recovered',
    // 2: the order (with the fill added) is in the record, and the order manager writes it.
    version: 2,
    kind: 'output',
    doc: 'Reconciliation found a fill the desk had missed; the order manager booked it on its order.',
    resumeTail: true,
  },
  reconcileSnapshot: {
    name: 'reconcile.snapshot',
    version: 1,
    kind: 'output',
    doc: 'Positions and balances of one venue as the desk and the venue saw them.',
  },
  reconcileAdjusted: {
    name: 'reconcile.adjusted',
    version: 1,
    kind: 'output',
    doc: 'Reconciliation corrected a position or balance to the venue’s figure.',
    resumeTail: true,
  },
  reconcileReport: {
    name: 'reconcile.report',
    version: 1,
    kind: 'output',
    doc: 'One reconciliation run of one venue: what was checked, found and fixed.',
  },
  // ── live desks on exchanges (src/modes/exchange.ts) ──
  liveUnknownOrders: {
    name: 'live.unknown-orders',
    version: 1,
    kind: 'output',
    doc: 'At a live desk’s start: open orders at the exchange its journal does not know, and what the policy did (cancel or halt).',
  },
  haltVerified: {
    name: 'halt.verified',
    version: 1,
    kind: 'output',
    doc: 'After an operator halt of a live desk: what was cancelled at the exchange, what it reported open, the dead-man switch.',
  },
  // ── shadow sessions ──
  shadowStart: {
    name: 'shadow.start',
    version: 1,
    kind: 'output',
    doc: 'First record of a shadow session’s own journal: its config and start time.',
  },
  shadowEnd: {
    name: 'shadow.end',
    version: 1,
    kind: 'output',
    doc: 'Last record of a shadow session’s own journal: its counters.',
  },
  shadowStarted: {
    name: 'shadow.started',
    version: 1,
    kind: 'input',
    doc: 'In the live journal: a shadow session started with these candidates; replay rebuilds it.',
    schema: shadowStartedSchema,
  },
  shadowPromotion: {
    name: 'shadow.promotion',
    version: 1,
    kind: 'output',
    doc: 'In the live journal: whether the shadow candidates meet the promotion thresholds, and why not.',
  },
  shadowReport: {
    name: 'shadow.report',
    version: 2,
    kind: 'output',
    doc: 'In the live journal: the shadow session’s final report.',
  },
  shadowFaulted: {
    name: 'shadow.faulted',
    version: 1,
    kind: 'output',
    doc: 'In the live journal: the shadow session failed and stopped (the live desk is unaffected).',
  },
} as const satisfies { readonly [K in keyof EventPayloads]: Spec };

type Specs = typeof SPEC;

/** How code names an event: `runStart`, `orderFilled`, ... */
export type EventKey = keyof Specs;

/** One catalogue entry. Its payload type is `EventPayload<E>`. */
export interface EventDef<K extends EventKey = EventKey> {
  readonly key: K;
  /** The journal record type and the bus envelope type. */
  readonly name: Specs[K]['name'];
  /** Payload schema version; bumped when the payload's shape changes. */
  readonly version: number;
  readonly kind: EventKind;
  readonly doc: string;
  /** Bus topic (see `topics.event`): the name, whose dots are topic segments. */
  readonly topic: string;
  /** Validates the payload where it is read back from a journal; absent when the reader validates it itself. */
  readonly schema: z.ZodType | undefined;
  /** A restart applies it from the durable tail after the last checkpoint (src/kernel/restore.ts). */
  readonly resumeTail: boolean;
}

/** Any one entry, as a union (narrows on `key` and `name`). */
export type AnyEvent = { readonly [K in EventKey]: EventDef<K> }[EventKey];

export type EventPayload<E extends EventDef> = EventPayloads[E['key']];

/** The value a journal reader gets back for a payload of `E` (validated by its schema). */
export type ParsedPayload<E extends EventDef> = Specs[E['key']] extends { readonly schema: infer S }
  ? S extends z.ZodType
    ? z.output<S>
    : unknown
  : unknown;

/** Every record type the journal knows, as written. */
export type EventName = Specs[EventKey]['name'];

/** Writes one event; the payload is checked against the catalogue entry. */
export type RecordEvent = <E extends EventDef>(event: E, payload: EventPayload<E>) => void;

function build(): { readonly [K in EventKey]: EventDef<K> } {
  const out: Record<string, EventDef> = {};
  const names = new Set<string>();
  for (const key of Object.keys(SPEC) as EventKey[]) {
    const spec: Spec = SPEC[key];
    if (names.has(spec.name)) throw new Error(`event catalogue: "${spec.name}" is declared twice`);
    names.add(spec.name);
    assertTopic(spec.name);
    out[key] = Object.freeze({
      key,
      name: spec.name,
      version: spec.version,
      kind: spec.kind,
      doc: spec.doc,
      topic: spec.name,
      schema: spec.schema,
      resumeTail: spec.resumeTail === true,
    }) as EventDef;
  }
  return Object.freeze(out) as { readonly [K in EventKey]: EventDef<K> };
}

export const EVENTS = build();

/** Every entry, in declaration order. */
export const EVENT_LIST: readonly EventDef[] = Object.values(EVENTS);

const BY_NAME = new Map<string, EventDef>(EVENT_LIST.map((e) => [e.name, e]));

/** The entry of a record type, or undefined when the catalogue does not know it. */
export function eventNamed<N extends EventName>(name: N): Extract<AnyEvent, { name: N }>;
export function eventNamed(name: string): EventDef | undefined;
export function eventNamed(name: string): EventDef | undefined {
  return BY_NAME.get(name);
}

/**
 * Checks a payload read back from a journal against its entry's schema. Throws
 * CONCORD_ERR_EVENT_PAYLOAD_INVALID when it does not match; an entry without a schema returns
 * the payload unchanged (its reader validates it). Not for the append path.
 */
export function parsePayload<E extends EventDef>(event: E, payload: unknown, seq?: number): ParsedPayload<E> {
  const schema = event.schema;
  if (schema === undefined) return payload as ParsedPayload<E>;
  const result = schema.safeParse(payload);
  if (result.success) return result.data as ParsedPayload<E>;
  const issue = result.error.issues[0];
  const path =
    issue === undefined || issue.path.length === 0 ? '(payload)' : issue.path.map(String).join('.');
  throw new ConcordError(
    'CONCORD_ERR_EVENT_PAYLOAD_INVALID',
    `journal record ${seq === undefined ? '' : `${seq} `}of type ${event.name} has an invalid payload at ${path}: ${issue?.message ?? 'does not match'}; the journal was not written by this version of Concord, or was edited`,
    { details: { type: event.name, version: event.version, path, ...(seq === undefined ? {} : { seq }) } },
  );
}
