import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  Agent,
  AgentCaller,
  AgentCallOptions,
  AgentCallResult,
  AgentContext,
  Trigger,
} from '../../src/agents/contract.ts';
import { canonicalJson, Decimal, isConcordError, SimulatedClock } from '../../src/core/index.ts';
import type { Decision, MarketEvent, Outcome, Side } from '../../src/model/index.ts';
import {
  fanOut,
  judgeDecision,
  Orchestrator,
  SubscriptionIndex,
  trackDecision,
} from '../../src/orchestrator/index.ts';

const BTC = 'sim-a:BTC-USDT';

function trigger(kind: Trigger['kind'] = 'price-move', instrumentId = BTC): Trigger {
  const event: MarketEvent = {
    type: 'quote',
    ts: 0,
    instrumentId,
    bid: 99,
    bidSize: 1,
    ask: 101,
    askSize: 1,
  };
  return { id: 't-1', kind, instrumentId, ts: 0, magnitude: 10, event };
}

function context(t: Trigger, ts = 0): AgentContext {
  return { ts, trigger: t, market: {} as AgentContext['market'], portfolio: {} as AgentContext['portfolio'] };
}

function agent(id: string, decision: Decision, extra: Partial<Agent> = {}): Agent {
  return { id, type: 'test', role: 'proposer', triggers: ['price-move'], process: () => decision, ...extra };
}

function buy(side: Side, quantity: number, confidence = 0.9): Decision {
  return {
    intents: [{ kind: 'order', instrumentId: BTC, side, type: 'market', quantity: Decimal.from(quantity) }],
    confidence,
    reasoning: `${side} ${quantity}`,
    expectedReturn: 0.001,
  };
}

/** Calls agents directly; optionally resolves them in a chosen order to mimic different speeds. */
class DirectCaller implements AgentCaller {
  readonly started: string[] = [];
  readonly options: AgentCallOptions[] = [];
  private readonly pending: { agentId: string; resolve: () => void }[] = [];
  constructor(
    private readonly agents: readonly Agent[],
    private readonly manual = false,
  ) {}

  async call(agentId: string, ctx: AgentContext, options: AgentCallOptions): Promise<AgentCallResult> {
    this.started.push(agentId);
    this.options.push(options);
    if (this.manual) await new Promise<void>((resolve) => this.pending.push({ agentId, resolve }));
    if (options.forced === 'timeout') return { agentId, status: 'timeout', error: 'forced' };
    const a = this.agents.find((x) => x.id === agentId);
    if (a === undefined) throw new Error(`no agent ${agentId}`);
    return { agentId, status: 'ok', decision: await a.process(ctx) };
  }

  /** Lets calls finish in the given order of agent ids. */
  release(order: readonly string[]): void {
    for (const id of order) this.pending.find((p) => p.agentId === id)?.resolve();
  }
}

describe('fan-out', () => {
  it('selects subscribers by trigger kind and instrument, in registration order', () => {
    const agents = [
      agent('a', buy('buy', 1), { triggers: ['price-move', 'trade'] }),
      agent('b', buy('buy', 1), { triggers: ['trade'] }),
      agent('c', buy('buy', 1), { triggers: ['price-move'], instruments: ['other:X'] }),
      agent('d', buy('buy', 1), { triggers: ['price-move'], instruments: [BTC] }),
    ];
    const index = new SubscriptionIndex(agents);
    expect(index.subscribers(trigger('price-move')).map((a) => a.id)).toEqual(['a', 'd']);
    expect(index.subscribers(trigger('trade')).map((a) => a.id)).toEqual(['a', 'b']);
    expect(index.subscribers(trigger('bar'))).toEqual([]);
  });

  it('calls all agents before any finishes and returns results in registration order whatever the completion order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(['a', 'b', 'c', 'd', 'e'], { minLength: 5, maxLength: 5 }),
        async (finishOrder) => {
          const agents = ['a', 'b', 'c', 'd', 'e'].map((id, i) => agent(id, buy('buy', i + 1)));
          const caller = new DirectCaller(agents, true);
          const t = trigger();
          const done = fanOut(agents, context(t), caller, { deadlineMs: 5 });
          await Promise.resolve();
          expect(caller.started).toEqual(['a', 'b', 'c', 'd', 'e']);
          caller.release(finishOrder);
          const results = await done;
          expect(results.map((r) => r.agentId)).toEqual(['a', 'b', 'c', 'd', 'e']);
          expect(caller.options.every((o) => o.deadlineMs === 5)).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('forces recorded timeouts on replay and lifts the deadline for the others', async () => {
    const agents = [agent('a', buy('buy', 1)), agent('b', buy('buy', 1))];
    const caller = new DirectCaller(agents);
    const results = await fanOut(agents, context(trigger()), caller, {
      deadlineMs: 5,
      forcedOutcomes: new Map([['b', 'timeout']]),
      defaultForced: 'none',
    });
    expect(results.map((r) => r.status)).toEqual(['ok', 'timeout']);
    expect(caller.options.map((o) => o.forced)).toEqual(['none', 'timeout']);
  });

  it('turns a throwing caller into an error result for that agent only', async () => {
    const agents = [agent('a', buy('buy', 1)), agent('ghost', buy('buy', 1))];
    const caller = new DirectCaller([agents[0] as Agent]);
    const results = await fanOut(agents, context(trigger()), caller, { deadlineMs: 5 });
    expect(results.map((r) => r.status)).toEqual(['ok', 'error']);
    expect(results[1]?.error).toMatch(/no agent ghost/);
  });

  it('also survives a caller that throws synchronously', async () => {
    const caller: AgentCaller = {
      call: () => {
        throw new Error('sync boom');
      },
    };
    const results = await fanOut([agent('a', buy('buy', 1))], context(trigger()), caller, { deadlineMs: 5 });
    expect(results).toEqual([{ agentId: 'a', status: 'error', error: 'agent caller failed: sync boom' }]);
  });
});

describe('Orchestrator', () => {
  it('triggers, thinks in parallel, records decisions with deterministic ids and consolidates', async () => {
    const clock = new SimulatedClock(0);
    const orch = new Orchestrator({ clock, config: { triggers: { priceMoveBps: 10, heartbeatMs: 0 } } });
    const quote = (ts: number, mid: number): MarketEvent => ({
      type: 'quote',
      ts,
      instrumentId: BTC,
      bid: mid - 0.5,
      bidSize: 1,
      ask: mid + 0.5,
      askSize: 1,
    });
    expect(orch.onMarketEvent(quote(0, 100), { mid: 100, spread: 1 })).toBeUndefined();
    const t = orch.onMarketEvent(quote(1, 101), { mid: 101, spread: 1 });
    expect(t?.kind).toBe('price-move');

    const agents = [
      agent('a', buy('buy', 2)),
      agent('slow', buy('buy', 5)),
      agent('bar-only', buy('sell', 1), { triggers: ['bar'] }),
      agent(
        'risk',
        {
          intents: [
            {
              kind: 'risk-advice',
              instrumentId: BTC,
              veto: false,
              maxQuantity: Decimal.from(3),
              reason: 'size',
            },
          ],
          confidence: 1,
          reasoning: '',
          expectedReturn: 0,
        },
        { role: 'risk' },
      ),
    ];
    const caller = new DirectCaller(agents);
    const result = await orch.think(t as Trigger, context(t as Trigger, 1), caller, agents);
    expect(result.results.map((r) => r.agentId)).toEqual(['a', 'slow', 'risk']);
    expect(result.decisionIds).toEqual(['d-1', 'd-2', 'd-3']);
    expect(result.records.map((r) => [r.decisionId, r.agentId, r.role, r.triggerId])).toEqual([
      ['d-1', 'a', 'proposer', 't-1'],
      ['d-2', 'slow', 'proposer', 't-1'],
      ['d-3', 'risk', 'risk', 't-1'],
    ]);
    const accepted = result.consolidation.accepted;
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.decisionIds).toEqual(['d-1', 'd-2']);
    expect(accepted[0]?.intent.kind === 'order' && accepted[0].intent.quantity.toString()).toBe('2');

    const next = await orch.think(t as Trigger, context(t as Trigger, 2), caller, agents);
    expect(next.decisionIds).toEqual(['d-4', 'd-5', 'd-6']);
  });

  it('leaves failed calls out of the records, keeping their reserved ids unused', async () => {
    const agents = [agent('a', buy('buy', 1)), agent('b', buy('buy', 1))];
    const orch = new Orchestrator({ clock: new SimulatedClock(0) });
    const t = trigger();
    const result = await orch.think(t, context(t), new DirectCaller(agents), agents, {
      forcedOutcomes: new Map([['a', 'timeout']]),
    });
    expect(result.results.map((r) => r.status)).toEqual(['timeout', 'ok']);
    expect(result.records.map((r) => r.decisionId)).toEqual(['d-2']);
  });

  it('judges decisions after the horizon on the desk clock, updates trust and lets agents learn', async () => {
    const clock = new SimulatedClock(1_000);
    let mid = 100;
    const learned: Outcome[] = [];
    const reported: Outcome[] = [];
    const orch = new Orchestrator({
      clock,
      config: { outcomeHorizonMs: 60_000 },
      midOf: () => mid,
      onOutcome: (o) => reported.push(o),
    });
    const agents = [
      agent('bull', buy('buy', 2), { learn: (o) => learned.push(o) }),
      agent('bear', buy('sell', 1, 0.1)),
    ];
    const t = trigger();
    await orch.think(t, context(t, 1_000), new DirectCaller(agents), agents);
    expect(orch.outcomes?.pending()).toBe(2);
    mid = 101;
    clock.advanceTo(60_999);
    expect(reported).toEqual([]);
    clock.advanceTo(61_000);
    expect(reported.map((o) => [o.decisionId, o.agentId, o.correct])).toEqual([
      ['d-1', 'bull', true],
      ['d-2', 'bear', false],
    ]);
    expect(reported[0]?.realizedReturn).toBeCloseTo(0.01, 12);
    expect(reported[0]?.pnl).toBeCloseTo(2, 12);
    expect(reported[1]?.pnl).toBeCloseTo(-1, 12);
    expect(reported[0]?.ts).toBe(61_000);
    expect(learned).toEqual([reported[0]]);
    expect(orch.trust.trust('bull')).toBeGreaterThan(1);
    expect(orch.trust.trust('bear')).toBeLessThan(1);
    expect(orch.outcomes?.pending()).toBe(0);
  });

  it('keeps counting trust when an agent’s learn() throws', () => {
    const errors: string[] = [];
    const orch = new Orchestrator({ clock: new SimulatedClock(0), onLearnError: (id) => errors.push(id) });
    const bad = agent('bad', buy('buy', 1), {
      learn: () => {
        throw new Error('boom');
      },
    });
    orch.setAgents([bad]);
    orch.recordOutcome({
      decisionId: 'd-1',
      agentId: 'bad',
      ts: 0,
      realizedReturn: 0.01,
      correct: true,
      pnl: 1,
    });
    expect(errors).toEqual(['bad']);
    expect(orch.trust.stats('bad').decisions).toBe(1);
  });

  it('restores counters and trust from a snapshot, and refuses a malformed one', async () => {
    const orch = new Orchestrator({
      clock: new SimulatedClock(0),
      config: { triggers: { minTradeSize: 1 } },
    });
    const agents = [agent('a', buy('buy', 1))];
    const t = trigger();
    await orch.think(t, context(t), new DirectCaller(agents), agents);
    orch.recordOutcome({
      decisionId: 'd-1',
      agentId: 'a',
      ts: 0,
      realizedReturn: 0.01,
      correct: true,
      pnl: 1,
    });
    const snap = JSON.parse(JSON.stringify(orch.snapshot()));

    const restarted = new Orchestrator({
      clock: new SimulatedClock(0),
      config: { triggers: { minTradeSize: 1 } },
    });
    restarted.restore(snap);
    expect(restarted.trust.trust('a')).toBe(orch.trust.trust('a'));
    const next = await restarted.think(t, context(t), new DirectCaller(agents), agents);
    expect(next.decisionIds).toEqual(['d-2']);
    try {
      restarted.restore({ ...snap, decisionCount: -1 });
      expect.unreachable();
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_ORCHESTRATOR_SNAPSHOT_INVALID')).toBe(true);
    }
  });

  it('names an invalid config field', () => {
    expect(
      () =>
        new Orchestrator({ clock: new SimulatedClock(0), config: { consensus: { consensusThreshold: 2 } } }),
    ).toThrow(/orchestrator\.consensus\.consensusThreshold/);
    expect(() => new Orchestrator({ clock: new SimulatedClock(0), config: { deadlineMs: 0 } })).toThrow(
      /orchestrator\.deadlineMs/,
    );
  });

  it('gives byte-identical results for the same inputs, whatever the agents’ completion order', async () => {
    const run = async (finishOrder: string[]) => {
      const clock = new SimulatedClock(0);
      const mids = [100, 100.2, 99.7, 100.9, 101.5, 100.1];
      let mid = mids[0] as number;
      const outcomes: Outcome[] = [];
      const orch = new Orchestrator({
        clock,
        config: { triggers: { priceMoveBps: 5, heartbeatMs: 0 }, outcomeHorizonMs: 1_000 },
        midOf: () => mid,
        onOutcome: (o) => outcomes.push(o),
      });
      const agents = [
        agent('m', buy('buy', 1, 0.8)),
        agent('r', buy('sell', 2, 0.5)),
        agent('x', buy('buy', 3, 0.6)),
      ];
      const log: unknown[] = [];
      for (let i = 0; i < mids.length; i++) {
        mid = mids[i] as number;
        clock.advanceTo(i * 500);
        const event: MarketEvent = {
          type: 'quote',
          ts: i * 500,
          instrumentId: BTC,
          bid: mid - 0.1,
          bidSize: 1,
          ask: mid + 0.1,
          askSize: 1,
        };
        const t = orch.onMarketEvent(event, { mid, spread: 0.2 });
        if (t === undefined) continue;
        const caller = new DirectCaller(agents, true);
        const pending = orch.think(t, context(t, i * 500), caller, agents);
        await Promise.resolve();
        caller.release(finishOrder);
        const r = await pending;
        log.push({ records: r.records, consolidation: r.consolidation });
      }
      clock.advanceTo(10_000);
      log.push(outcomes, orch.snapshot());
      return canonicalJson(log);
    };
    const first = await run(['m', 'r', 'x']);
    expect(await run(['x', 'r', 'm'])).toBe(first);
    expect(first).toContain('"d-');
  });
});

describe('outcome judgement', () => {
  it('judges by the notional-weighted signed move of the mid, skipping legs without a mid', () => {
    const record = {
      decisionId: 'd-9',
      agentId: 'a',
      ts: 0,
      triggerId: 't',
      confidence: 1,
      reasoning: '',
      expectedReturn: 0,
      intents: [
        {
          kind: 'order' as const,
          instrumentId: 'x',
          side: 'sell' as const,
          type: 'market' as const,
          quantity: Decimal.from(1),
        },
        {
          kind: 'order' as const,
          instrumentId: 'nomid',
          side: 'buy' as const,
          type: 'market' as const,
          quantity: Decimal.from(1),
        },
      ],
    };
    const tracked = trackDecision(record, (id) => (id === 'x' ? 200 : undefined));
    expect(tracked?.legs).toHaveLength(1);
    const outcome = judgeDecision(tracked!, () => 190, 5);
    expect(outcome).toMatchObject({ decisionId: 'd-9', agentId: 'a', ts: 5, correct: true, pnl: 10 });
    expect(outcome?.realizedReturn).toBeCloseTo(0.05, 12);
    expect(judgeDecision(tracked!, () => 200, 5)?.correct).toBe(false);
    expect(judgeDecision(tracked!, () => undefined, 5)).toBeUndefined();
  });
});
