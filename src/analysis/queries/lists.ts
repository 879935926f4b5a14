/**
 * Read-side queries over a journal for operators and the API: orders with their status, fills,
 * the portfolio (equity, PnL, positions) along the run's checkpoints, and the agents' decisions
 * with their trust, weight, verdict and outcome. Each one is a read-only pass over the record
 * types it needs (market data is never read), on a finished journal or one being written.
 */
import { EVENTS } from '../../bus/index.ts';
import { Decimal } from '../../core/index.ts';
import type { JournalReader } from '../../journal/index.ts';
import type { OrderStatus } from '../../model/index.ts';
import { decisionWeight } from '../../orchestrator/index.ts';
import { Portfolio } from '../../portfolio/index.ts';
import {
  collectOrders,
  consensusSchema,
  decisionSchema,
  type IntentJson,
  type OrderInstance,
  outcomeSchema,
  parseWith,
  splitRoot,
  venueOrderIdOf,
} from './records.ts';
import { TrustTracker } from './trust.ts';

// ── orders ────────────────────────────────────────────────────────────────

export interface OrderSummary {
  readonly clientOrderId: string;
  readonly venueOrderId: string | null;
  /** The order's root: `<decisionId>#<index>` of the consensus, or `halt-<ts>#<i>` for a flatten. */
  readonly root: string;
  readonly leg: number;
  /** The agents whose decisions the consensus followed (empty for operator orders). */
  readonly agentIds: readonly string[];
  readonly instrumentId: string;
  readonly venue: string;
  readonly side: string;
  readonly type: string;
  readonly quantity: string;
  readonly price: string | null;
  readonly status: OrderStatus;
  readonly filledQuantity: string;
  readonly averagePrice: string | null;
  readonly fees: string;
  /** Why it is denied, rejected, cancelled or unknown (code and message), when it is. */
  readonly reason: string | null;
  readonly denialCode: string | null;
  readonly createdTs: number;
  readonly updatedTs: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export interface OrderFilter {
  readonly status?: readonly OrderStatus[];
  readonly instrumentId?: string;
  readonly venue?: string;
  readonly agentId?: string;
  /** Only orders created at or after this record. */
  readonly fromSeq?: number;
  /** The most recent `limit` orders (after filtering). */
  readonly limit?: number;
}

/** Orders in creation order, each with the status of its last record. */
export function listOrders(reader: JournalReader, filter: OrderFilter = {}): OrderSummary[] {
  const book = collectOrders(reader, filter.fromSeq === undefined ? {} : { fromSeq: filter.fromSeq });
  const agents = consensusAgents(reader);
  const statuses = filter.status === undefined ? undefined : new Set<string>(filter.status);
  const out: OrderSummary[] = [];
  for (const instance of book.all) {
    const summary = summarizeOrder(instance, agents);
    if (statuses !== undefined && !statuses.has(summary.status)) continue;
    if (filter.instrumentId !== undefined && summary.instrumentId !== filter.instrumentId) continue;
    if (filter.venue !== undefined && summary.venue !== filter.venue) continue;
    if (filter.agentId !== undefined && !summary.agentIds.includes(filter.agentId)) continue;
    out.push(summary);
  }
  return takeLast(out, filter.limit);
}

function summarizeOrder(instance: OrderInstance, agents: ConsensusAgents): OrderSummary {
  const o = instance.last;
  const lastEvent = instance.events[instance.events.length - 1];
  const denial = instance.events.find((e) => e.denial !== undefined)?.denial;
  const filled = Decimal.tryFrom(o.filledQuantity) ?? Decimal.ZERO;
  const notional = Decimal.tryFrom(o.filledNotional) ?? Decimal.ZERO;
  return {
    clientOrderId: instance.clientOrderId,
    venueOrderId: venueOrderIdOf(instance) ?? null,
    root: o.decisionId,
    leg: o.leg,
    agentIds: agents.of(o.decisionId, instance.firstSeq),
    instrumentId: o.instrumentId,
    venue: o.venue,
    side: o.side,
    type: o.type,
    quantity: o.quantity,
    price: o.price ?? null,
    status: lastEvent?.status ?? o.status,
    filledQuantity: o.filledQuantity,
    averagePrice: filled.isPositive() ? notional.div(filled).toString() : null,
    fees: o.fees,
    reason: o.reason ?? null,
    denialCode: denial?.code ?? null,
    createdTs: instance.first.ts,
    updatedTs: lastEvent?.ts ?? o.updatedTs,
    firstSeq: instance.firstSeq,
    lastSeq: lastEvent?.seq ?? instance.firstSeq,
  };
}

interface ConsensusAgents {
  /** The agents behind the accepted intent an order root names, in the consensus before `seq`. */
  of(root: string, seq: number): string[];
}

function consensusAgents(reader: JournalReader): ConsensusAgents {
  const byRoot = new Map<string, { seq: number; agentIds: string[] }[]>();
  const malformed = { count: 0 };
  for (const r of reader.records([EVENTS.consensus.name])) {
    const c = parseWith(consensusSchema, r, malformed);
    if (c === undefined) continue;
    c.accepted.forEach((a, i) => {
      const root = `${a.decisionIds[0]}#${i}`;
      const list = byRoot.get(root);
      const entry = { seq: r.seq, agentIds: [...new Set(a.agentIds)] };
      if (list === undefined) byRoot.set(root, [entry]);
      else list.push(entry);
    });
  }
  return {
    of(root, seq) {
      if (splitRoot(root) === undefined) return [];
      let found: string[] = [];
      for (const e of byRoot.get(root) ?? []) if (e.seq < seq) found = e.agentIds;
      return found;
    },
  };
}

// ── fills ─────────────────────────────────────────────────────────────────

export interface FillSummary {
  readonly seq: number;
  readonly ts: number;
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly tradeId: string;
  readonly instrumentId: string;
  readonly venue: string;
  readonly side: string;
  readonly price: string;
  readonly quantity: string;
  readonly fee: string;
  readonly feeCurrency: string;
  readonly liquidity: string;
  /** Found by reconciliation rather than reported live. */
  readonly recovered: boolean;
}

export interface FillFilter {
  readonly instrumentId?: string;
  readonly clientOrderId?: string;
  readonly fromSeq?: number;
  readonly limit?: number;
}

/** Every fill booked to an order (live and recovered; refused overfills are not fills), in journal order. */
export function listFills(reader: JournalReader, filter: FillFilter = {}): FillSummary[] {
  const book = collectOrders(reader, filter.fromSeq === undefined ? {} : { fromSeq: filter.fromSeq });
  const out: FillSummary[] = [];
  for (const instance of book.all) {
    if (filter.clientOrderId !== undefined && instance.clientOrderId !== filter.clientOrderId) continue;
    for (const e of instance.events) {
      const f = e.fill;
      if (f === undefined || e.type === EVENTS.orderOverfill.name) continue;
      if (filter.instrumentId !== undefined && f.instrumentId !== filter.instrumentId) continue;
      out.push({
        seq: e.seq,
        ts: f.ts,
        clientOrderId: f.clientOrderId,
        venueOrderId: f.venueOrderId,
        tradeId: f.tradeId,
        instrumentId: f.instrumentId,
        venue: f.venue,
        side: f.side,
        price: f.price,
        quantity: f.quantity,
        fee: f.fee,
        feeCurrency: f.feeCurrency,
        liquidity: f.liquidity,
        recovered: e.type === EVENTS.reconcileFillRecovered.name,
      });
    }
  }
  out.sort((a, b) => a.seq - b.seq);
  return takeLast(out, filter.limit);
}

// ── portfolio history ─────────────────────────────────────────────────────

export interface PortfolioPosition {
  readonly instrumentId: string;
  readonly venue: string;
  readonly quantity: string;
  readonly averagePrice: string;
  readonly mark: number | null;
  readonly unrealizedPnl: number;
  readonly realizedPnl: string;
}

export interface PortfolioPoint {
  readonly seq: number;
  readonly ts: number;
  readonly equity: number;
  readonly peakEquity: number;
  readonly drawdown: number;
  readonly dailyPnl: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly fees: number;
  readonly grossExposure: number;
  readonly netExposure: number;
  /** Open positions (non-zero quantity). */
  readonly positions: readonly PortfolioPosition[];
}

export interface PortfolioHistoryOptions {
  /** Keep at most one point per this much desk time (the last checkpoint is always kept). */
  readonly minIntervalMs?: number;
  readonly fromSeq?: number;
  /** The most recent `limit` points. */
  readonly limit?: number;
}

/**
 * Equity, PnL, exposure and positions at each `checkpoint` (one per durable batch): the state the
 * desk would restart from. Checkpoints whose portfolio does not restore are skipped.
 */
export function portfolioHistory(
  reader: JournalReader,
  options: PortfolioHistoryOptions = {},
): PortfolioPoint[] {
  const out: PortfolioPoint[] = [];
  const minInterval = options.minIntervalMs ?? 0;
  let pending: { seq: number; ts: number; snapshot: unknown } | undefined;
  let lastKeptTs = Number.NEGATIVE_INFINITY;
  const keep = (cp: { seq: number; ts: number; snapshot: unknown }) => {
    const point = portfolioPoint(cp.seq, cp.ts, cp.snapshot);
    if (point !== undefined) {
      out.push(point);
      lastKeptTs = cp.ts;
    }
  };
  const range = options.fromSeq === undefined ? {} : { fromSeq: options.fromSeq };
  for (const r of reader.records([EVENTS.checkpoint.name], range)) {
    const snapshot = (r.payload as { portfolio?: unknown } | null)?.portfolio;
    const cp = { seq: r.seq, ts: r.ts, snapshot };
    if (r.ts - lastKeptTs >= minInterval) {
      keep(cp);
      pending = undefined;
    } else pending = cp;
  }
  if (pending !== undefined) keep(pending);
  return takeLast(out, options.limit);
}

/** The portfolio at the journal's last checkpoint, or undefined. */
export function latestPortfolio(reader: JournalReader): PortfolioPoint | undefined {
  const r = reader.last([EVENTS.checkpoint.name]);
  if (r === undefined) return undefined;
  return portfolioPoint(r.seq, r.ts, (r.payload as { portfolio?: unknown } | null)?.portfolio);
}

function portfolioPoint(seq: number, ts: number, snapshot: unknown): PortfolioPoint | undefined {
  if (snapshot === null || typeof snapshot !== 'object') return undefined;
  let p: Portfolio;
  try {
    // Trade ids only deduplicate fills; dropping them makes restoring cheap.
    p = Portfolio.restore({ ...(snapshot as object), seenTrades: [] });
  } catch {
    return undefined;
  }
  const m = p.observe(ts);
  return {
    seq,
    ts,
    equity: m.equity,
    peakEquity: m.peakEquity,
    drawdown: m.drawdown,
    dailyPnl: m.dailyPnl,
    realizedPnl: p.realizedExact().toNumber(),
    unrealizedPnl: p.unrealizedPnl(),
    fees: p.feesExact().toNumber(),
    grossExposure: p.grossExposure(),
    netExposure: p.netExposure(),
    positions: p
      .allPositions()
      .filter((x) => !x.quantity.isZero())
      .map((x) => ({
        instrumentId: x.instrumentId,
        venue: x.venue,
        quantity: x.quantity.toString(),
        averagePrice: x.averagePrice.toString(),
        mark: x.mark ?? null,
        unrealizedPnl: x.unrealizedPnl,
        realizedPnl: x.realizedPnl.toString(),
      })),
  };
}

// ── decisions ─────────────────────────────────────────────────────────────

export interface DecisionSummary {
  readonly seq: number;
  readonly ts: number;
  readonly decisionId: string;
  readonly agentId: string;
  readonly role: string;
  readonly triggerId: string;
  readonly confidence: number;
  readonly reasoning: string;
  readonly expectedReturn: number;
  readonly intents: readonly IntentJson[];
  /** The agent's trust then, rebuilt from the journaled outcomes. */
  readonly trust: number;
  /** clamp(confidence, 0, 1) × trust: the decision's weight in the consensus. */
  readonly weight: number;
  /** Indexes of the accepted intents this decision is behind (the `<index>` of their orders' root). */
  readonly accepted: readonly number[];
  /** Why the consensus rejected its intents, when it did. */
  readonly rejected: readonly string[];
  readonly outcome: {
    readonly seq: number;
    readonly realizedReturn: number;
    readonly correct: boolean;
    readonly pnl: number;
  } | null;
}

export interface DecisionFilter {
  readonly agentId?: string;
  readonly triggerId?: string;
  /** The most recent `limit` decisions (after filtering). */
  readonly limit?: number;
}

type MutableDecision = { -readonly [K in keyof DecisionSummary]: DecisionSummary[K] };

/**
 * Journaled decisions (an agent with nothing to say is not journaled) in journal order, each with
 * the trust and weight it had, what the consensus did with it and, once known, its outcome.
 */
export function listDecisions(reader: JournalReader, filter: DecisionFilter = {}): DecisionSummary[] {
  const trust = new TrustTracker(reader);
  const types = [...TrustTracker.TYPES, EVENTS.decision.name, EVENTS.consensus.name];
  const out: MutableDecision[] = [];
  const byTrigger = new Map<string, MutableDecision[]>();
  const byDecision = new Map<string, MutableDecision>();
  const malformed = { count: 0 };
  for (const r of reader.records(types)) {
    if (r.type === EVENTS.decision.name) {
      const d = parseWith(decisionSchema, r, malformed);
      if (d === undefined) continue;
      if (filter.agentId !== undefined && d.agentId !== filter.agentId) continue;
      if (filter.triggerId !== undefined && d.triggerId !== filter.triggerId) continue;
      const t = trust.book.trust(d.agentId);
      const summary: MutableDecision = {
        seq: r.seq,
        ts: d.ts,
        decisionId: d.decisionId,
        agentId: d.agentId,
        role: d.role ?? 'proposer',
        triggerId: d.triggerId,
        confidence: d.confidence,
        reasoning: d.reasoning,
        expectedReturn: d.expectedReturn,
        intents: d.intents,
        trust: t,
        weight: decisionWeight(d, () => t),
        accepted: [],
        rejected: [],
        outcome: null,
      };
      out.push(summary);
      byDecision.set(d.decisionId, summary);
      const list = byTrigger.get(d.triggerId);
      if (list === undefined) byTrigger.set(d.triggerId, [summary]);
      else list.push(summary);
    } else if (r.type === EVENTS.consensus.name) {
      const c = parseWith(consensusSchema, r, malformed);
      if (c === undefined) continue;
      const pending = byTrigger.get(c.triggerId);
      byTrigger.delete(c.triggerId);
      for (const d of pending ?? []) {
        const accepted: number[] = [];
        c.accepted.forEach((a, i) => {
          if (a.decisionIds.includes(d.decisionId)) accepted.push(i);
        });
        d.accepted = accepted;
        d.rejected = [
          ...new Set(c.rejected.filter((x) => x.decisionId === d.decisionId).map((x) => x.reason)),
        ];
      }
    } else {
      if (r.type === EVENTS.outcome.name) {
        const o = parseWith(outcomeSchema, r, malformed);
        const d = o === undefined ? undefined : byDecision.get(o.decisionId);
        if (o !== undefined && d !== undefined && d.outcome === null)
          d.outcome = { seq: r.seq, realizedReturn: o.realizedReturn, correct: o.correct, pnl: o.pnl };
      }
      trust.feed(r);
    }
  }
  return takeLast(out, filter.limit);
}

function takeLast<T>(items: T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return items;
  return items.slice(items.length - Math.max(0, limit));
}
