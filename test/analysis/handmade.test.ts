/**
 * The trace on journals written record by record: cases a short sandbox run does not produce
 * (a plan leg denied because its sibling was, a denial before the risk rules, an operator flatten,
 * ids reused after a crash, a journal without `risk.chain`), a journal another process is still
 * writing, and journals that cannot be read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainJournal, findCandidates, listOrders, trustBefore } from '../../src/analysis/queries/index.ts';
import { EVENTS } from '../../src/bus/index.ts';
import { clientOrderId, isConcordError } from '../../src/core/index.ts';
import { JournalReader, SqliteJournal } from '../../src/journal/index.ts';
import { TrustBook } from '../../src/orchestrator/index.ts';
import { tempDir } from '../helpers/cli.ts';

const T0 = Date.UTC(2024, 0, 1);
const RULES = ['trading-state', 'max-order-notional', 'max-position'];

type Rec = readonly [type: string, payload: unknown];

function write(dir: string, records: readonly Rec[], journal = SqliteJournal.open(dir)): SqliteJournal {
  let ts = T0;
  for (const [type, payload] of records) journal.append(type, ts++, payload);
  journal.flush();
  return journal;
}

function order(root: string, leg: number, status: string, extra: Record<string, unknown> = {}) {
  return {
    clientOrderId: clientOrderId(root, leg),
    instrumentId: 'sim-a:BTC-USDT',
    venue: 'sim-a',
    side: 'buy',
    type: 'market',
    quantity: '0.1',
    timeInForce: 'IOC',
    decisionId: root,
    leg,
    ts: T0,
    status,
    filledQuantity: '0',
    filledNotional: '0',
    fees: '0',
    updatedTs: T0,
    ...extra,
  };
}

const runStart: Rec = [
  EVENTS.runStart.name,
  { config: { risk: { maxPosition: { default: '1' } } }, startTs: T0, version: 1 },
];
const chain: Rec = [
  EVENTS.riskChain.name,
  {
    rules: RULES,
    limits: {
      maxOrderNotional: { default: '10000', perInstrument: {} },
      maxPosition: { default: '1', perInstrument: {} },
    },
  },
];

/** One trigger, one proposer deciding `intents`, its consensus accepting them (weight = confidence). */
function thinking(triggerId: string, decisionId: string, intents: unknown[], confidence = 0.5): Rec[] {
  return [
    [
      EVENTS.trigger.name,
      { id: triggerId, kind: 'price-move', instrumentId: 'sim-a:BTC-USDT', ts: T0, magnitude: 6 },
    ],
    [
      EVENTS.decision.name,
      {
        decisionId,
        agentId: 'arb',
        role: 'proposer',
        ts: T0,
        triggerId,
        intents,
        confidence,
        reasoning: 'because',
        expectedReturn: 0.001,
      },
    ],
    [
      EVENTS.consensus.name,
      {
        triggerId,
        accepted: intents.map((intent) => ({
          intent,
          decisionIds: [decisionId],
          agentIds: ['arb'],
          weights: [confidence],
          reason: 'r',
        })),
        rejected: [],
        conflicts: [],
        vetoes: [],
        caps: [],
      },
    ],
  ];
}

const leg = (side: string) => ({
  kind: 'order',
  instrumentId: 'sim-a:BTC-USDT',
  side,
  type: 'market',
  quantity: '0.1',
});
const planIntent = { kind: 'plan', label: 'p', legs: [leg('buy'), leg('sell')], expectedNetEdge: 0.001 };

function planJson(root: string, status: string) {
  return {
    planId: root,
    label: 'p',
    expectedNetEdge: 0.001,
    policy: 'hedge',
    mode: 'parallel',
    ts: T0,
    status,
    legs: [0, 1].map((i) => ({
      intent: leg(i === 0 ? 'buy' : 'sell'),
      instrument: {},
      referencePrice: 60000,
      clientOrderId: clientOrderId(root, i),
      sent: true,
    })),
    hedgeOrderIds: [],
  };
}

describe('explain on handmade journals', () => {
  it('a plan leg denied because its sibling was passed every rule; the sibling shows its own denial', () => {
    const dir = join(tempDir(), 'j');
    const root = 'd-1#0';
    write(dir, [
      runStart,
      chain,
      ...thinking('t-1', 'd-1', [planIntent]),
      [EVENTS.planStarted.name, { plan: planJson(root, 'running'), outcome: 'running' }],
      [EVENTS.orderInitialized.name, { order: order(root, 0, 'INITIALIZED') }],
      [EVENTS.orderInitialized.name, { order: order(root, 1, 'INITIALIZED', { side: 'sell' }) }],
      [
        EVENTS.orderDenied.name,
        {
          order: order(root, 0, 'DENIED'),
          denial: {
            code: 'POSITION_EXCEEDS_MAX',
            rule: 'max-position',
            message: 'max_position=1',
            details: {},
          },
        },
      ],
      [
        EVENTS.orderDenied.name,
        {
          order: order(root, 1, 'DENIED', { side: 'sell' }),
          denial: { code: 'PLAN_LEG_DENIED', rule: 'plan', message: 'another leg', details: {} },
        },
      ],
      [EVENTS.planCompleted.name, { plan: planJson(root, 'failed'), outcome: 'failed' }],
    ]).close();

    const byRoot = explainJournal(dir, root);
    expect(byRoot.query.matched).toBe('orderRoot');
    const [first, second] = byRoot.intents[0]?.orders ?? [];
    expect(first?.risk.rules.map((r) => r.result)).toEqual(['passed', 'passed', 'denied']);
    expect(first?.risk.rules[2]?.limit).toBe('|position after| ≤ 1');
    expect(second?.risk.rules.map((r) => r.result)).toEqual(['passed', 'passed', 'passed']);
    expect(second?.risk.note).toMatch(/another leg/);
    expect(byRoot.intents[0]?.plan).toMatchObject({ planId: root, status: 'failed', mode: 'parallel' });
    expect(byRoot.intents[0]?.plan?.legs.map((l) => l.status)).toEqual(['DENIED', 'DENIED']);
  });

  it('a denial before the rules (order shaping) runs none of them', () => {
    const dir = join(tempDir(), 'j');
    write(dir, [
      runStart,
      chain,
      ...thinking('t-1', 'd-1', [leg('buy')]),
      [EVENTS.orderInitialized.name, { order: order('d-1#0', 0, 'INITIALIZED') }],
      [
        EVENTS.orderDenied.name,
        {
          order: order('d-1#0', 0, 'DENIED'),
          denial: { code: 'OFF_GRID', rule: 'precision', message: 'off', details: {} },
        },
      ],
    ]).close();
    const o = explainJournal(dir, clientOrderId('d-1#0', 0)).intents[0]?.orders[0];
    expect(o?.risk.outcome).toBe('denied');
    expect(o?.risk.rules.every((r) => r.result === 'not-run')).toBe(true);
    expect(o?.risk.note).toMatch(/precision stage/);
  });

  it('names the agents that missed their deadline for the trigger (journaled before it)', () => {
    const dir = join(tempDir(), 'j');
    write(dir, [
      runStart,
      chain,
      [
        EVENTS.market.name,
        {
          type: 'trade',
          instrumentId: 'sim-a:BTC-USDT',
          ts: T0,
          price: 60000,
          size: 1,
          aggressor: 'buy',
          tradeId: 't',
        },
      ],
      [EVENTS.agentTimeout.name, { triggerId: 't-0', agentId: 'stale' }],
      [EVENTS.agentTimeout.name, { triggerId: 't-1', agentId: 'slow' }],
      ...thinking('t-1', 'd-1', [leg('buy')]),
      [EVENTS.orderInitialized.name, { order: order('d-1#0', 0, 'INITIALIZED') }],
    ]).close();
    const trace = explainJournal(dir, 'd-1');
    expect(trace.timeouts).toEqual(['slow']);
    expect(trace.trigger?.marketEvent?.summary).toBe('trade sim-a:BTC-USDT: 1 @ 60000 (aggressor buy)');
  });

  it("an operator's flatten order shows the halt it came from, not a consensus", () => {
    const dir = join(tempDir(), 'j');
    const root = `halt-${T0 + 2}#0`;
    write(dir, [
      runStart,
      chain,
      [EVENTS.riskHalt.name, { reason: 'drill', flatten: true, operator: 'ops' }],
      [
        EVENTS.orderInitialized.name,
        { order: order(root, 0, 'INITIALIZED', { side: 'sell', reduceOnly: true }) },
      ],
      [
        EVENTS.orderSubmitted.name,
        { order: order(root, 0, 'SUBMITTED', { side: 'sell', reduceOnly: true }) },
      ],
    ]).close();
    const trace = explainJournal(dir, clientOrderId(root, 0));
    expect(trace.halt).toMatchObject({ reason: 'drill', operator: 'ops', flatten: true, seq: 3 });
    expect(trace.consensus).toBeNull();
    expect(trace.orders[0]).toMatchObject({ role: 'flatten', reduceOnly: true, status: 'SUBMITTED' });
    expect(trace.orders[0]?.risk.outcome).toBe('passed');
  });

  it('an id reused after a crash is ambiguous; --seq picks one, and each trace follows its own run', () => {
    const dir = join(tempDir(), 'j');
    const id = clientOrderId('d-1#0', 0);
    write(dir, [
      runStart,
      chain,
      ...thinking('t-1', 'd-1', [leg('buy')], 0.4),
      [EVENTS.orderInitialized.name, { order: order('d-1#0', 0, 'INITIALIZED') }],
      [EVENTS.orderSubmitted.name, { order: order('d-1#0', 0, 'SUBMITTED') }],
      // The process died; the resumed desk restored from an earlier checkpoint and reused the ids.
      [
        EVENTS.runResumed.name,
        {
          fromSeq: 8,
          crashed: true,
          checkpointTs: null,
          seed: 1,
          startTs: T0,
          positions: [],
          trust: { version: 1, agents: [] },
        },
      ],
      chain,
      ...thinking('t-1', 'd-1', [leg('buy')], 0.9),
      [EVENTS.orderInitialized.name, { order: order('d-1#0', 0, 'INITIALIZED') }],
      [EVENTS.orderSubmitted.name, { order: order('d-1#0', 0, 'SUBMITTED') }],
    ]).close();

    try {
      explainJournal(dir, id);
      expect.unreachable();
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_EXPLAIN_AMBIGUOUS_ID')).toBe(true);
      const candidates = (err as { details: { candidates: { seq: number; kind: string }[] } }).details
        .candidates;
      expect(candidates.map((c) => [c.kind, c.seq])).toEqual([
        ['clientOrderId', 6],
        ['clientOrderId', 13],
      ]);
    }
    expect(() => explainJournal(dir, 'd-1')).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_EXPLAIN_AMBIGUOUS_ID' }),
    );
    const lost = explainJournal(dir, id, { seq: 6 });
    const resumed = explainJournal(dir, id, { seq: 13 });
    expect(lost.decisions.map((d) => d.confidence)).toEqual([0.4]);
    expect(resumed.decisions.map((d) => d.confidence)).toEqual([0.9]);
    expect(resumed.consensus?.trust.from).toEqual({ type: EVENTS.runResumed.name, seq: 8 });
    expect(resumed.intents[0]?.orders[0]?.lifecycle.map((s) => s.seq)).toEqual([13, 14]);
  });

  it('without a risk.chain record, shows this version’s chain with the limits of the run’s config, and says so', () => {
    const dir = join(tempDir(), 'j');
    write(dir, [
      runStart,
      ...thinking('t-1', 'd-1', [leg('buy')]),
      [EVENTS.orderInitialized.name, { order: order('d-1#0', 0, 'INITIALIZED') }],
      [EVENTS.orderSubmitted.name, { order: order('d-1#0', 0, 'SUBMITTED') }],
    ]).close();
    const trace = explainJournal(dir, clientOrderId('d-1#0', 0));
    const risk = trace.intents[0]?.orders[0]?.risk;
    expect(risk?.chainSource).toBe('config');
    expect(risk?.rules.length).toBeGreaterThan(10);
    expect(risk?.rules.find((r) => r.name === 'max-position')?.limit).toBe('|position after| ≤ 1');
    expect(trace.notes.join('\n')).toMatch(/no risk.chain record/);
  });

  it('rebuilds trust through outcomes, a resume that restores it, and a compacted start', () => {
    const dir = join(tempDir(), 'j');
    const outcome = (agentId: string, correct: boolean, realizedReturn: number) =>
      [EVENTS.outcome.name, { decisionId: 'd', agentId, ts: T0, realizedReturn, correct, pnl: 1 }] as const;
    const cfg = { learningRate: 0.5 };
    write(dir, [
      [EVENTS.runStart.name, { config: { orchestrator: { trust: cfg } }, startTs: T0, version: 1 }],
      outcome('a', true, 0.002),
      outcome('b', false, -0.001),
      [
        EVENTS.checkpoint.name,
        {
          orchestrator: {
            trust: { version: 1, agents: [{ agentId: 'a', trust: 2, decisions: 1, correct: 1, pnl: 1 }] },
          },
        },
      ],
      outcome('a', false, 0),
      [
        EVENTS.runResumed.name,
        { trust: { version: 1, agents: [{ agentId: 'b', trust: 0.5, decisions: 1, correct: 0, pnl: 0 }] } },
      ],
      outcome('b', true, 0.001),
    ]).close();
    const reader = JournalReader.open(dir);
    try {
      const expected = new TrustBook(cfg);
      expected.update({
        decisionId: 'd',
        agentId: 'a',
        ts: T0,
        realizedReturn: 0.002,
        correct: true,
        pnl: 1,
      });
      expected.update({
        decisionId: 'd',
        agentId: 'b',
        ts: T0,
        realizedReturn: -0.001,
        correct: false,
        pnl: 1,
      });
      const early = trustBefore(reader, 4);
      expect([early.book.trust('a'), early.book.trust('b')]).toEqual([
        expected.trust('a'),
        expected.trust('b'),
      ]);
      expect(early.outcomesApplied).toBe(2);
      // A checkpoint is a snapshot of what the outcomes already gave: the rebuild goes on from them.
      expected.update({ decisionId: 'd', agentId: 'a', ts: T0, realizedReturn: 0, correct: false, pnl: 1 });
      expect(trustBefore(reader, 6).book.trust('a')).toBe(expected.trust('a'));
      // The resume restores its own snapshot: a back to its initial trust, b at 0.5 then updated.
      const resumed = new TrustBook(cfg);
      resumed.restore({
        version: 1,
        agents: [{ agentId: 'b', trust: 0.5, decisions: 1, correct: 0, pnl: 0 }],
      });
      resumed.update({ decisionId: 'd', agentId: 'b', ts: T0, realizedReturn: 0.001, correct: true, pnl: 1 });
      const late = trustBefore(reader, 8);
      expect([late.book.trust('a'), late.book.trust('b')]).toEqual([1, resumed.trust('b')]);
      expect(late.origin).toEqual({ type: EVENTS.runResumed.name, seq: 6 });
    } finally {
      reader.close();
    }

    const compacted = join(tempDir(), 'c');
    write(compacted, [
      [EVENTS.journalCompacted.name, { version: 1 }],
      [EVENTS.runStart.name, { config: { orchestrator: { trust: cfg } }, startTs: T0, version: 1 }],
      [
        EVENTS.checkpoint.name,
        {
          orchestrator: {
            trust: { version: 1, agents: [{ agentId: 'a', trust: 2.5, decisions: 3, correct: 2, pnl: 1 }] },
          },
        },
      ],
    ]).close();
    const r2 = JournalReader.open(compacted);
    try {
      const t = trustBefore(r2, 4);
      expect(t.book.trust('a')).toBe(2.5);
      expect(t.book.config.learningRate).toBe(0.5);
      expect(t.origin).toEqual({ type: EVENTS.journalCompacted.name, seq: 1 });
    } finally {
      r2.close();
    }
  });
});

describe('explain on a journal another process is writing', () => {
  it('reads what is durable without taking the writer’s lock, and sees later batches on the next open', () => {
    const dir = join(tempDir(), 'j');
    const writer = write(
      dir,
      [
        runStart,
        chain,
        ...thinking('t-1', 'd-1', [leg('buy')]),
        [EVENTS.orderInitialized.name, { order: order('d-1#0', 0, 'INITIALIZED') }],
      ],
      SqliteJournal.open(dir, { exclusive: false }),
    );
    try {
      const id = clientOrderId('d-1#0', 0);
      expect(explainJournal(dir, id).intents[0]?.orders[0]?.status).toBe('INITIALIZED');
      // The writer goes on while nobody reads; the next explain sees the new batch.
      write(dir, [[EVENTS.orderSubmitted.name, { order: order('d-1#0', 0, 'SUBMITTED') }]], writer);
      const later = explainJournal(dir, id).intents[0]?.orders[0];
      expect(later?.status).toBe('SUBMITTED');
      expect(later?.risk.outcome).toBe('passed');
      // Reading never blocked the writer.
      write(
        dir,
        [[EVENTS.orderAccepted.name, { order: order('d-1#0', 0, 'ACCEPTED', { venueOrderId: 'v-1' }) }]],
        writer,
      );
      expect(explainJournal(dir, 'v-1').query.matched).toBe('venueOrderId');
    } finally {
      writer.close();
    }
  });

  it('refuses a journal its desk holds exclusively with CONCORD_ERR_JOURNAL_LOCKED', () => {
    const dir = join(tempDir(), 'j');
    const writer = write(dir, [runStart], SqliteJournal.open(dir));
    try {
      expect(() => explainJournal(dir, 'x')).toThrow(
        expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_LOCKED' }),
      );
    } finally {
      writer.close();
    }
  });
});

describe('explain on what is not a journal', () => {
  it('names a missing journal, a file that is not one, and an empty journal’s unknown id', () => {
    const root = tempDir();
    expect(() => explainJournal(join(root, 'none'), 'x')).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_NOT_FOUND' }),
    );
    const text = join(root, 'text');
    mkdirSync(text);
    writeFileSync(join(text, 'journal.sqlite'), 'hello, not a database\n');
    expect(() => explainJournal(text, 'x')).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_NOT_A_JOURNAL' }),
    );
    const empty = join(root, 'empty');
    write(empty, [runStart]).close();
    expect(() => explainJournal(empty, 'x')).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_EXPLAIN_UNKNOWN_ID' }),
    );
    const reader = JournalReader.open(empty);
    try {
      expect(findCandidates(reader, 'x')).toEqual([]);
      expect(listOrders(reader)).toEqual([]);
    } finally {
      reader.close();
    }
  });
});
