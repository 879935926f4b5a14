/**
 * The decision trace of an order, checked against the journal a real sandbox desk wrote: the
 * trigger and its market event, every agent's decision with its weight, the consensus, the risk
 * rules and the fills are the journal's own records, and the weights and trust the trace rebuilds
 * agree with the ones the desk journaled.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  explain,
  explainJournal,
  findCandidates,
  listOrders,
  type OrderSummary,
} from '../../src/analysis/queries/index.ts';
import { EVENTS } from '../../src/bus/index.ts';
import { isConcordError } from '../../src/core/index.ts';
import { JournalReader } from '../../src/journal/index.ts';
import { ofType, orderRecords, type RawFill, type SandboxJournal, sandboxJournal } from './fixture.ts';

interface RawDecision {
  decisionId: string;
  agentId: string;
  triggerId: string;
  confidence: number;
  reasoning: string;
  role: string;
}
interface RawConsensus {
  triggerId: string;
  accepted: {
    decisionIds: string[];
    agentIds: string[];
    weights: number[];
    intent: Record<string, unknown>;
  }[];
}
interface RawTrigger {
  id: string;
  kind: string;
  instrumentId: string;
  ts: number;
  magnitude: number;
}

let run: SandboxJournal;
let orders: OrderSummary[];

beforeAll(async () => {
  run = await sandboxJournal();
  const reader = JournalReader.open(run.dir);
  try {
    orders = listOrders(reader);
  } finally {
    reader.close();
  }
});

const clamp = (x: number) => Math.min(1, Math.max(0, x));

describe('concord explain: the trace of a filled order', () => {
  it('holds the trigger, its market event, every decision with its weight, the consensus, the risk rules and the fills, as journaled', () => {
    const filled = orders.filter((o) => o.status === 'FILLED' && o.leg === 0 && /^d-\d+#\d+$/.test(o.root));
    expect(filled.length).toBeGreaterThan(0);
    // The busiest one: most decisions behind its trigger.
    const traces = filled.map((o) => explainJournal(run.dir, o.venueOrderId as string));
    const trace = traces.reduce((a, b) => (b.decisions.length > a.decisions.length ? b : a));
    const order = trace.intents[0]?.orders[0];
    expect(trace.query.matched).toBe('venueOrderId');
    expect(order).toBeDefined();
    if (order === undefined || trace.trigger === null || trace.consensus === null) return;

    // Trigger and market event: the journal's records, the event the last market record before it.
    const trigger = ofType<RawTrigger>(run.records, EVENTS.trigger).find((t) => t.seq === trace.trigger?.seq);
    expect(trigger?.p).toMatchObject({
      id: trace.trigger.id,
      kind: trace.trigger.kind,
      instrumentId: trace.trigger.instrumentId,
      ts: trace.trigger.ts,
      magnitude: trace.trigger.magnitude,
    });
    const markets = ofType(run.records, EVENTS.market).filter((m) => m.seq < (trigger?.seq ?? 0));
    const market = markets[markets.length - 1];
    expect(trace.trigger.marketEvent?.seq).toBe(market?.seq);
    expect(trace.trigger.marketEvent?.event).toEqual(market?.p);

    // Every journaled decision for the trigger, no other.
    const decisions = ofType<RawDecision>(run.records, EVENTS.decision).filter(
      (d) =>
        d.p.triggerId === trace.trigger?.id &&
        d.seq > (trigger?.seq ?? 0) &&
        d.seq < (trace.consensus?.seq ?? 0),
    );
    expect(decisions.length).toBeGreaterThan(1);
    expect(
      trace.decisions.map((d) => [d.seq, d.decisionId, d.agentId, d.confidence, d.reasoning, d.role]),
    ).toEqual(
      decisions.map((d) => [d.seq, d.p.decisionId, d.p.agentId, d.p.confidence, d.p.reasoning, d.p.role]),
    );
    for (const d of trace.decisions) expect(d.weight).toBe(clamp(d.confidence) * (d.trust as number));

    // The consensus record, and the weights it journaled for the decisions behind the order.
    const consensus = ofType<RawConsensus>(run.records, EVENTS.consensus).find(
      (c) => c.seq === trace.consensus?.seq,
    );
    expect(consensus?.p.triggerId).toBe(trace.trigger.id);
    expect(trace.consensus.check).toBe('reproduced');
    const index = trace.intents[0]?.index as number;
    const accepted = consensus?.p.accepted[index];
    expect(order.root).toBe(`${accepted?.decisionIds[0]}#${index}`);
    expect(trace.intents[0]?.weights).toEqual(accepted?.weights);
    accepted?.decisionIds.forEach((id, i) => {
      const d = trace.decisions.find((x) => x.decisionId === id);
      expect(d?.weightSource).toBe('consensus');
      expect(d?.weight).toBe(accepted.weights[i]);
      expect(
        trace.intents[0]?.tally.kind === 'order' &&
          trace.intents[0].tally.votes.some((v) => v.decisionId === id),
      ).toBe(true);
    });
    const tally = trace.intents[0]?.tally;
    expect(tally?.kind).toBe('order');
    if (tally?.kind === 'order') {
      expect(tally.winner).toBe(accepted?.intent.side);
      expect(tally.buyWeight + tally.sellWeight).toBeGreaterThan(0);
      const winning = tally.winner === 'buy' ? tally.buyShare : tally.sellShare;
      expect(winning).toBeGreaterThanOrEqual(trace.consensus.config?.consensusThreshold as number);
    }

    // Risk: every rule of the journaled chain, passed.
    const chain = ofType<{ rules: string[] }>(run.records, EVENTS.riskChain);
    expect(chain.length).toBe(1);
    expect(order.risk.chainSource).toBe('journal');
    expect(order.risk.rules.map((r) => r.name)).toEqual(chain[0]?.p.rules);
    expect(order.risk.outcome).toBe('passed');
    expect(order.risk.rules.every((r) => r.result === 'passed')).toBe(true);
    expect(order.risk.rules.find((r) => r.name === 'max-order-notional')?.limit).toBe('notional ≤ 5000');

    // Lifecycle and fills: the order's own records.
    const own = orderRecords(run.records).filter((r) => r.order.clientOrderId === order.clientOrderId);
    expect(order.lifecycle.map((s) => [s.seq, s.event, s.status])).toEqual(
      own.map((r) => [r.seq, r.type, r.order.status]),
    );
    const fills = own.filter((r) => r.type === EVENTS.orderFilled.name).map((r) => r.fill as RawFill);
    expect(fills.length).toBeGreaterThan(0);
    expect(
      order.fills.map((f) => [f.tradeId, f.price, f.quantity, f.fee, f.feeCurrency, f.liquidity]),
    ).toEqual(fills.map((f) => [f.tradeId, f.price, f.quantity, f.fee, f.feeCurrency, f.liquidity]));
    expect(order.status).toBe('FILLED');
  });

  it('rebuilds each agent trust the desk used: weight ÷ confidence of every journaled contributor', () => {
    let checked = 0;
    let moved = 0;
    const reader = JournalReader.open(run.dir);
    try {
      for (const o of orders.filter((x) => /^d-\d+#\d+$/.test(x.root) && x.leg === 0)) {
        const trace = explain(reader, run.dir, o.clientOrderId);
        for (const d of trace.decisions) {
          if (d.weightSource !== 'consensus' || d.confidence <= 0 || d.confidence >= 1) continue;
          const journaled = (d.weight as number) / d.confidence;
          expect(Math.abs((d.trust as number) - journaled)).toBeLessThanOrEqual(
            4 * Number.EPSILON * journaled,
          );
          checked++;
          if (d.trust !== 1) moved++;
        }
      }
    } finally {
      reader.close();
    }
    expect(checked).toBeGreaterThan(5);
    // Outcomes moved some trust away from its initial value: the rebuild is not trivially 1.
    expect(moved).toBeGreaterThan(0);
  });

  it('shows a multi-leg order with its plan: legs, their orders and the plan records', () => {
    const started = ofType<{ plan: { planId: string; legs: { clientOrderId: string }[] } }>(
      run.records,
      EVENTS.planStarted,
    );
    expect(started.length).toBeGreaterThan(0);
    const planIds = new Set(started.map((p) => p.p.plan.planId));
    const leg = orders.find((o) => planIds.has(o.root));
    expect(leg).toBeDefined();
    const trace = explainJournal(run.dir, leg?.clientOrderId as string);
    const plan = trace.intents[0]?.plan;
    const raw = started.find((p) => p.p.plan.planId === leg?.root);
    expect(trace.intents[0]?.kind).toBe('plan');
    expect(plan?.planId).toBe(leg?.root);
    expect(plan?.legs.map((l) => l.clientOrderId)).toEqual(raw?.p.plan.legs.map((l) => l.clientOrderId));
    expect(plan?.legs[leg?.leg as number]?.status).toBe(leg?.status);
    expect(plan?.events[0]).toMatchObject({ event: EVENTS.planStarted.name, seq: raw?.seq });
    expect(trace.intents[0]?.orders.map((o) => [o.clientOrderId, o.role])).toEqual([
      [leg?.clientOrderId, 'leg'],
    ]);
    expect(trace.intents[0]?.tally.kind).toBe('group');
  });

  it('explains a decision: the orders of every accepted intent it is behind', () => {
    const o = orders.find((x) => x.status === 'FILLED' && /^d-\d+#0$/.test(x.root));
    const decisionId = o?.root.split('#')[0] as string;
    const trace = explainJournal(run.dir, decisionId);
    expect(trace.query.matched).toBe('decisionId');
    expect(trace.intents.map((i) => i.index)).toContain(0);
    expect(trace.intents.flatMap((i) => i.orders).map((x) => x.clientOrderId)).toContain(o?.clientOrderId);
    expect(trace.decisions.find((d) => d.decisionId === decisionId)?.verdict.kind).toMatch(/accepted|partly/);
    // The same trace through the order root.
    const byRoot = explainJournal(run.dir, o?.root as string);
    expect(byRoot.query.matched).toBe('orderRoot');
    // A plan's legs (a DEX cycle's two swaps) share the root: every order of the root, this one among them.
    const rootOrders = orders.filter((x) => x.root === o?.root).map((x) => x.clientOrderId);
    expect(byRoot.intents[0]?.orders.map((x) => x.clientOrderId).sort()).toEqual(rootOrders.sort());
    expect(rootOrders).toContain(o?.clientOrderId);
  });
});

describe('concord explain: the trace of a denied order', () => {
  it('shows the denial code, the rules passed before the denying rule and none after it', () => {
    const denied = orderRecords(run.records).filter(
      (r) => r.type === EVENTS.orderDenied.name && r.denial?.code === 'NOTIONAL_EXCEEDS_MAX_PER_ORDER',
    );
    expect(denied.length).toBeGreaterThan(0);
    const raw = denied[0];
    const trace = explainJournal(run.dir, raw?.order.clientOrderId as string);
    const order = [...trace.intents.flatMap((i) => i.orders)].find(
      (x) => x.clientOrderId === raw?.order.clientOrderId,
    );
    expect(order?.status).toBe('DENIED');
    expect(order?.risk.outcome).toBe('denied');
    expect(order?.risk.denial).toEqual(raw?.denial);
    const rules = order?.risk.rules ?? [];
    const at = rules.findIndex((r) => r.name === raw?.denial?.rule);
    expect(at).toBeGreaterThan(0);
    expect(rules.slice(0, at).every((r) => r.result === 'passed')).toBe(true);
    expect(rules[at]?.result).toBe('denied');
    expect(rules.slice(at + 1).every((r) => r.result === 'not-run')).toBe(true);
    expect(order?.fills).toEqual([]);
  });
});

describe('concord explain: errors', () => {
  it('refuses an id that names nothing with CONCORD_ERR_EXPLAIN_UNKNOWN_ID', () => {
    expect(() => explainJournal(run.dir, 'no-such-order')).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_EXPLAIN_UNKNOWN_ID' }),
    );
  });

  it('refuses an empty or unprintable id as bad input', () => {
    for (const id of ['', 'a\u0000b', 'x'.repeat(300)]) {
      try {
        explainJournal(run.dir, id);
        expect.unreachable();
      } catch (err) {
        expect(isConcordError(err, 'CONCORD_ERR_CONFIG_INVALID')).toBe(true);
      }
    }
  });

  it('refuses a --seq where no match starts, naming where they do', () => {
    const o = orders[0] as OrderSummary;
    try {
      explainJournal(run.dir, o.clientOrderId, { seq: o.firstSeq + 1 });
      expect.unreachable();
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_EXPLAIN_UNKNOWN_ID')).toBe(true);
      expect(
        (err as { details: { candidates: { seq: number }[] } }).details.candidates.map((c) => c.seq),
      ).toEqual([o.firstSeq]);
    }
    expect(explainJournal(run.dir, o.clientOrderId, { seq: o.firstSeq }).query.seq).toBe(o.firstSeq);
  });

  it('finds one candidate per order id in a journal without resumes', () => {
    const reader = JournalReader.open(run.dir);
    try {
      for (const o of orders.slice(0, 10)) expect(findCandidates(reader, o.clientOrderId)).toHaveLength(1);
    } finally {
      reader.close();
    }
  });
});
