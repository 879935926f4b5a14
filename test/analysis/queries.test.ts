/**
 * The read-side queries the API serves (orders, fills, portfolio history, decisions), checked
 * against the raw records and the run summary of a real sandbox desk.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  latestPortfolio,
  listDecisions,
  listFills,
  listOrders,
  portfolioHistory,
  splitRoot,
} from '../../src/analysis/queries/index.ts';
import { segmentOf } from '../../src/analysis/queries/records.ts';
import { EVENTS } from '../../src/bus/index.ts';
import { Decimal } from '../../src/core/index.ts';
import { JournalReader } from '../../src/journal/index.ts';
import { ofType, orderRecords, type RawFill, type SandboxJournal, sandboxJournal } from './fixture.ts';

let run: SandboxJournal;
let reader: JournalReader;

beforeAll(async () => {
  run = await sandboxJournal();
  reader = JournalReader.open(run.dir);
  return () => reader.close();
});

describe('listOrders', () => {
  it('lists every order once, in creation order, with the status of its last record', () => {
    const raw = orderRecords(run.records);
    const created = raw.filter((r) => r.type === EVENTS.orderInitialized.name);
    const orders = listOrders(reader);
    expect(orders.map((o) => o.clientOrderId)).toEqual(created.map((r) => r.order.clientOrderId));
    for (const o of orders) {
      const own = raw.filter((r) => r.order.clientOrderId === o.clientOrderId);
      expect(o.status).toBe(own[own.length - 1]?.order.status);
      expect(o.firstSeq).toBe(own[0]?.seq);
      expect(o.lastSeq).toBe(own[own.length - 1]?.seq);
      if (o.status === 'DENIED') expect(o.denialCode).toBe(own.find((r) => r.denial)?.denial?.code);
    }
    const statuses = orders.map((o) => o.status);
    expect(statuses).toContain('FILLED');
    expect(statuses).toContain('DENIED');
  });

  it('names the agents behind each order, from the consensus that accepted its intent', () => {
    const consensus = ofType<{ accepted: { decisionIds: string[]; agentIds: string[] }[] }>(
      run.records,
      EVENTS.consensus,
    );
    const agentsOf = new Map<string, string[]>();
    for (const c of consensus)
      c.p.accepted.forEach((a, i) => {
        agentsOf.set(`${a.decisionIds[0]}#${i}`, [...new Set(a.agentIds)]);
      });
    const orders = listOrders(reader);
    for (const o of orders) expect(o.agentIds).toEqual(agentsOf.get(o.root) ?? []);
    const agent = orders.find((o) => o.agentIds.length > 0)?.agentIds[0] as string;
    const mine = listOrders(reader, { agentId: agent });
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((o) => o.agentIds.includes(agent))).toBe(true);
  });

  it('filters by status and instrument, and keeps the most recent `limit`', () => {
    const all = listOrders(reader);
    const denied = listOrders(reader, { status: ['DENIED'] });
    expect(denied).toEqual(all.filter((o) => o.status === 'DENIED'));
    const instrument = all[0]?.instrumentId as string;
    expect(listOrders(reader, { instrumentId: instrument })).toEqual(
      all.filter((o) => o.instrumentId === instrument),
    );
    expect(listOrders(reader, { limit: 3 })).toEqual(all.slice(-3));
    expect(listOrders(reader, { limit: 0 })).toEqual([]);
  });
});

describe('listFills', () => {
  it('lists every booked fill, and per order they add up to its filled quantity', () => {
    const raw = orderRecords(run.records).filter((r) => r.type === EVENTS.orderFilled.name);
    const fills = listFills(reader);
    expect(fills.map((f) => [f.seq, f.tradeId, f.price, f.quantity, f.fee])).toEqual(
      raw.map((r) => [
        r.seq,
        (r.fill as RawFill).tradeId,
        (r.fill as RawFill).price,
        (r.fill as RawFill).quantity,
        (r.fill as RawFill).fee,
      ]),
    );
    for (const o of listOrders(reader, { status: ['FILLED'] })) {
      const sum = Decimal.sum(
        fills.filter((f) => f.clientOrderId === o.clientOrderId).map((f) => Decimal.from(f.quantity)),
      );
      expect(sum.eq(o.filledQuantity)).toBe(true);
    }
    const one = fills[0]?.clientOrderId as string;
    expect(listFills(reader, { clientOrderId: one })).toEqual(fills.filter((f) => f.clientOrderId === one));
  });
});

describe('portfolioHistory', () => {
  it('gives one point per checkpoint, ending where the run summary ended', () => {
    const checkpoints = ofType(run.records, EVENTS.checkpoint);
    const points = portfolioHistory(reader);
    expect(points.map((p) => p.seq)).toEqual(checkpoints.map((c) => c.seq));
    const last = points[points.length - 1];
    expect(last).toEqual(latestPortfolio(reader));
    const byId = (xs: readonly { instrumentId: string; quantity: string }[]) =>
      Object.fromEntries(xs.map((x) => [x.instrumentId, Decimal.from(x.quantity).toString()]));
    expect(byId(last?.positions ?? [])).toEqual(byId(run.summary.positions));
    expect(last?.fees).toBeCloseTo(run.summary.fees, 9);
    expect(last?.realizedPnl).toBeCloseTo(run.summary.realizedPnl, 9);
    for (const p of points) expect(p.drawdown).toBeGreaterThanOrEqual(0);
  });

  it('thins to one point per interval of desk time, always keeping the last', () => {
    const all = portfolioHistory(reader);
    const thin = portfolioHistory(reader, { minIntervalMs: 30_000 });
    expect(thin.length).toBeLessThan(all.length);
    expect(thin[thin.length - 1]).toEqual(all[all.length - 1]);
    for (let i = 1; i < thin.length - 1; i++)
      expect((thin[i]?.ts as number) - (thin[i - 1]?.ts as number)).toBeGreaterThanOrEqual(30_000);
  });
});

describe('listDecisions', () => {
  it('lists every journaled decision with its weight; accepted ones carry the weight the consensus journaled', () => {
    const raw = ofType<{ decisionId: string; agentId: string }>(run.records, EVENTS.decision);
    const decisions = listDecisions(reader);
    expect(decisions.map((d) => d.decisionId)).toEqual(raw.map((d) => d.p.decisionId));
    const consensus = ofType<{ accepted: { decisionIds: string[]; weights: number[] }[] }>(
      run.records,
      EVENTS.consensus,
    );
    const journaled = new Map<string, number>();
    for (const c of consensus)
      for (const a of c.p.accepted)
        a.decisionIds.forEach((id, i) => {
          journaled.set(id, a.weights[i] as number);
        });
    let compared = 0;
    for (const d of decisions) {
      const w = journaled.get(d.decisionId);
      if (w === undefined) continue;
      expect(d.weight).toBe(w);
      expect(d.accepted.length).toBeGreaterThan(0);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
    const outcomes = ofType<{ decisionId: string; correct: boolean }>(run.records, EVENTS.outcome);
    expect(outcomes.length).toBeGreaterThan(0);
    for (const o of outcomes)
      expect(decisions.find((d) => d.decisionId === o.p.decisionId)?.outcome?.correct).toBe(o.p.correct);
  });

  it('filters by agent', () => {
    const all = listDecisions(reader);
    const agent = all[0]?.agentId as string;
    expect(listDecisions(reader, { agentId: agent })).toEqual(all.filter((d) => d.agentId === agent));
    expect(listDecisions(reader, { agentId: agent, limit: 2 })).toEqual(
      all.filter((d) => d.agentId === agent).slice(-2),
    );
  });
});

describe('helpers', () => {
  it('segmentOf counts the boundaries at or before a seq (binary search = linear count)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 })),
        fc.integer({ min: 0, max: 10_001 }),
        (raw, seq) => {
          const boundaries = [...raw].sort((a, b) => a - b);
          expect(segmentOf(boundaries, seq)).toBe(boundaries.filter((b) => b <= seq).length);
        },
      ),
    );
  });

  it('splitRoot undoes `<decisionId>#<index>` for any decision id', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), (decisionId, index) => {
        expect(splitRoot(`${decisionId}#${index}`)).toEqual({ decisionId, index });
      }),
    );
    expect(splitRoot('d-1')).toBeUndefined();
    expect(splitRoot('#1')).toBeUndefined();
    expect(splitRoot('d-1#x')).toBeUndefined();
  });
});
