import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Agent, AgentDefinition } from '../../src/agents/contract.ts';
import { AgentRegistry } from '../../src/agents/registry.ts';
import { AgentSupervisor, type SupervisorEvent, type SupervisorPolicy } from '../../src/agents/supervisor.ts';
import { canonicalJson, Decimal, isConcordError, SimulatedClock, sha256Hex } from '../../src/core/index.ts';
import type { Decision, Outcome } from '../../src/model/index.ts';
import { BTC, buy, context, deps, noAction } from './helpers.ts';

/** What a scripted agent does on its next calls; shared by all instances of an id (it survives restarts). */
type Step = 'ok' | 'throw' | 'hang' | 'null' | 'nan' | 'negative' | 'slow' | 'busy';
const scripts = new Map<string, Step[]>();
const created = new Map<string, number>();
const processed = new Map<string, number>();

function nextStep(id: string): Step {
  const script = scripts.get(id) ?? [];
  return script.length > 1 ? (script.shift() as Step) : (script[0] ?? 'ok');
}

const scripted: AgentDefinition<{ always?: Step }> = {
  type: 'scripted',
  description: 'test agent driven by a script',
  role: 'proposer',
  configSchema: z.object({ always: z.enum(['ok', 'throw', 'hang']).optional() }),
  create(id, config): Agent {
    created.set(id, (created.get(id) ?? 0) + 1);
    let learned = 0;
    return {
      id,
      type: 'scripted',
      role: 'proposer',
      triggers: ['spread'],
      process(): Decision | Promise<Decision> {
        processed.set(id, (processed.get(id) ?? 0) + 1);
        const step = config.always ?? nextStep(id);
        switch (step) {
          case 'ok':
            return { ...noAction(), reasoning: `learned ${learned}` };
          case 'throw':
            throw new Error(`${id} exploded`);
          case 'hang':
            return new Promise<Decision>(() => {});
          case 'null':
            return null as unknown as Decision;
          case 'nan':
            return { ...noAction(), confidence: Number.NaN };
          case 'negative':
            return {
              intents: [buy(BTC.id, '-1')],
              confidence: 0.5,
              reasoning: 'short by buying negative',
              expectedReturn: 0,
            };
          case 'slow':
            return new Promise<Decision>((resolve) => setTimeout(() => resolve(noAction()), 60));
          case 'busy': {
            const until = performance.now() + 30;
            while (performance.now() < until) {}
            return noAction();
          }
        }
      },
      learn() {
        learned++;
      },
      snapshot: () => ({ learned }),
      restore(state) {
        learned = (state as { learned: number }).learned;
      },
    };
  },
};

const outcome: Outcome = {
  decisionId: 'd1',
  agentId: 'x',
  ts: 1,
  realizedReturn: 0.01,
  correct: true,
  pnl: 1,
};

function setup(policy: Partial<SupervisorPolicy> = {}, clock = new SimulatedClock(0)) {
  const events: SupervisorEvent[] = [];
  const supervisor = new AgentSupervisor({
    clock,
    registry: new AgentRegistry([scripted]),
    deps: deps(),
    policy,
    onEvent: (e) => events.push(e),
  });
  return { supervisor, events, clock };
}

const opts = { deadlineMs: 200 };
const brief = (e: SupervisorEvent): string => {
  switch (e.type) {
    case 'agent.state':
      return `${e.ts} ${e.agentId} state ${e.from}>${e.to}`;
    case 'agent.failed':
      return `${e.ts} ${e.agentId} failed ${e.status} #${e.consecutiveFailures}`;
    case 'agent.restarting':
      return `${e.ts} ${e.agentId} restarting in ${e.backoffMs} (attempt ${e.attempt})`;
    case 'agent.restarted':
      return `${e.ts} ${e.agentId} restarted (attempt ${e.attempt}, snapshot ${e.restoredSnapshot})`;
    case 'agent.quarantined':
      return `${e.ts} ${e.agentId} quarantined after ${e.consecutiveFailures}`;
  }
};

let uid = 0;
const fresh = (name: string) => `${name}-${++uid}`;

describe('AgentSupervisor: failures, backoff, quarantine', () => {
  it('restarts a throwing agent after backoff, quarantines it after maxFailures, while the others keep answering ok', async () => {
    const { supervisor, events, clock } = setup();
    const bad = fresh('bad');
    const good = [fresh('good'), fresh('good')];
    supervisor.add({ id: bad, type: 'scripted', config: { always: 'throw' } });
    for (const id of good) supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    events.length = 0;
    const round = async () => {
      const results = await Promise.all([bad, ...good].map((id) => supervisor.call(id, context(), opts)));
      for (const r of results.slice(1)) expect(r.status).toBe('ok');
      return results[0]!;
    };

    const first = await round();
    expect(first.status).toBe('error');
    expect(first.error).toContain('exploded');
    expect(supervisor.state(bad).state).toBe('DEGRADED');
    expect((await round()).status).toBe('skipped');
    clock.advanceTo(999);
    expect((await round()).error).toContain('backing off: restart due at 1000');
    clock.advanceTo(1000);
    expect(supervisor.state(bad).state).toBe('RUNNING');
    expect((await round()).status).toBe('error');
    clock.advanceTo(1000 + 1999);
    expect((await round()).status).toBe('skipped');
    clock.advanceTo(3000);
    expect((await round()).status).toBe('error');
    expect(supervisor.state(bad)).toMatchObject({
      state: 'QUARANTINED',
      quarantined: true,
      consecutiveFailures: 3,
      restarts: 2,
    });
    clock.advanceTo(500_000);
    const q = await round();
    expect(q.status).toBe('skipped');
    expect(q.error).toContain('quarantined');
    expect(created.get(bad)).toBe(3);
    expect(processed.get(bad)).toBe(3);

    expect(events.map(brief)).toEqual([
      `0 ${bad} failed error #1`,
      `0 ${bad} state RUNNING>DEGRADED`,
      `0 ${bad} restarting in 1000 (attempt 1)`,
      `1000 ${bad} restarted (attempt 1, snapshot false)`,
      `1000 ${bad} state DEGRADED>RUNNING`,
      `1000 ${bad} failed error #2`,
      `1000 ${bad} state RUNNING>DEGRADED`,
      `1000 ${bad} restarting in 2000 (attempt 2)`,
      `3000 ${bad} restarted (attempt 2, snapshot false)`,
      `3000 ${bad} state DEGRADED>RUNNING`,
      `3000 ${bad} failed error #3`,
      `3000 ${bad} state RUNNING>QUARANTINED`,
      `3000 ${bad} quarantined after 3`,
    ]);
    await supervisor.stop();
  });

  it('an operator reset brings a quarantined agent back with a fresh failure count', async () => {
    const { supervisor, clock } = setup({ maxFailures: 1 });
    const id = fresh('q');
    scripts.set(id, ['throw', 'ok']);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    expect((await supervisor.call(id, context(), opts)).status).toBe('error');
    expect(supervisor.state(id).quarantined).toBe(true);
    clock.advanceBy(10_000);
    expect((await supervisor.call(id, context(), opts)).status).toBe('skipped');
    await supervisor.resetQuarantine(id);
    expect(supervisor.state(id)).toMatchObject({
      state: 'RUNNING',
      quarantined: false,
      consecutiveFailures: 0,
    });
    expect((await supervisor.call(id, context(), opts)).status).toBe('ok');
    // Resetting an agent that is not quarantined is an operator mistake, reported as such.
    await expect(supervisor.resetQuarantine(id)).rejects.toThrow(/CONCORD_ERR_LIFECYCLE_TRANSITION/);
    await supervisor.stop();
  });

  it('a success resets the consecutive count, so the next failure backs off from the base again', async () => {
    const { supervisor, events, clock } = setup();
    const id = fresh('flaky');
    scripts.set(id, ['throw', 'throw', 'ok', 'throw', 'ok']);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    events.length = 0;
    expect((await supervisor.call(id, context(), opts)).status).toBe('error');
    clock.advanceBy(1000);
    expect((await supervisor.call(id, context(), opts)).status).toBe('error');
    clock.advanceBy(2000);
    expect((await supervisor.call(id, context(), opts)).status).toBe('ok');
    expect(supervisor.state(id).consecutiveFailures).toBe(0);
    expect((await supervisor.call(id, context(), opts)).status).toBe('error');
    expect(supervisor.state(id)).toMatchObject({
      state: 'DEGRADED',
      consecutiveFailures: 1,
      totalFailures: 3,
    });
    const backoffs = events
      .filter((e) => e.type === 'agent.restarting')
      .map((e) => (e.type === 'agent.restarting' ? e.backoffMs : 0));
    expect(backoffs).toEqual([1000, 2000, 1000]);
    await supervisor.stop();
  });

  it('caps the backoff at backoffMaxMs', async () => {
    const { supervisor, events, clock } = setup({
      maxFailures: 10,
      backoffBaseMs: 100,
      backoffMultiplier: 10,
      backoffMaxMs: 5000,
    });
    const id = fresh('cap');
    supervisor.add({ id, type: 'scripted', config: { always: 'throw' } });
    await supervisor.start();
    for (let i = 0; i < 4; i++) {
      await supervisor.call(id, context(), opts);
      clock.advanceBy(5000);
    }
    const backoffs = events
      .filter((e) => e.type === 'agent.restarting')
      .map((e) => (e.type === 'agent.restarting' ? e.backoffMs : 0));
    expect(backoffs).toEqual([100, 1000, 5000, 5000]);
    await supervisor.stop();
  });
});

describe('AgentSupervisor: deadlines', () => {
  it('times out an agent that never answers within deadline + slack, without moving the desk clock', async () => {
    const { supervisor, clock } = setup();
    const id = fresh('hang');
    supervisor.add({ id, type: 'scripted', config: { always: 'hang' } });
    await supervisor.start();
    const started = performance.now();
    const r = await supervisor.call(id, context(), { deadlineMs: 50 });
    const took = performance.now() - started;
    expect(r.status).toBe('timeout');
    expect(r.error).toBe('missed the 50 ms deadline');
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(50 + 450); // generous slack: CI machines are shared and noisy
    expect(clock.now()).toBe(0);
    expect(supervisor.state(id).state).toBe('DEGRADED');
    await supervisor.stop();
  });

  it('reports a synchronous answer that overran its deadline as a timeout', async () => {
    const { supervisor } = setup();
    const id = fresh('busy');
    scripts.set(id, ['busy']);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    const r = await supervisor.call(id, context(), { deadlineMs: 5 });
    expect(r.status).toBe('timeout');
    expect(r.error).toBe('missed the 5 ms deadline');
    await supervisor.stop();
  });

  it("forced 'timeout' returns a timeout without calling the agent (replay of a journaled miss)", async () => {
    const { supervisor, events } = setup();
    const id = fresh('forced');
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    const r = await supervisor.call(id, context(), { deadlineMs: 50, forced: 'timeout' });
    expect(r.status).toBe('timeout');
    expect(processed.get(id)).toBeUndefined();
    // Worded exactly like a real miss, so a replay journals the same bytes.
    expect(events.find((e) => e.type === 'agent.failed')).toMatchObject({
      status: 'timeout',
      reason: 'missed the 50 ms deadline',
    });
    await supervisor.stop();
  });

  it("forced 'none' waits for a slow agent past its nominal deadline", async () => {
    const { supervisor } = setup();
    const id = fresh('slow');
    scripts.set(id, ['slow', 'slow']);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    expect((await supervisor.call(id, context(), { deadlineMs: 10, forced: 'none' })).status).toBe('ok');
    expect((await supervisor.call(id, context(), { deadlineMs: 10 })).status).toBe('timeout');
    await supervisor.stop();
  });
});

describe('AgentSupervisor: invalid answers', () => {
  it.each([
    ['null', 'decision'],
    ['nan', 'confidence'],
    ['negative', 'intents.0.quantity'],
  ] as const)("a %s answer is 'invalid' and counts as a failure", async (step, where) => {
    const { supervisor, events } = setup();
    const id = fresh(`garbage-${step}`);
    scripts.set(id, [step]);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    const r = await supervisor.call(id, context(), opts);
    expect(r.status).toBe('invalid');
    expect(r.decision).toBeUndefined();
    expect(r.error?.startsWith(where)).toBe(true);
    expect(events.find((e) => e.type === 'agent.failed')).toMatchObject({ status: 'invalid', agentId: id });
    await supervisor.stop();
  });

  it('an intent outside the instruments an agent covers is invalid', async () => {
    const covering: AgentDefinition<unknown> = {
      type: 'btc-only',
      description: 'test',
      role: 'proposer',
      configSchema: z.unknown(),
      create: (id) => ({
        id,
        type: 'btc-only',
        role: 'proposer',
        triggers: ['spread'],
        instruments: [BTC.id],
        process: () => ({
          intents: [buy('sim-a:ETH-USDT', '1')],
          confidence: 1,
          reasoning: 'r',
          expectedReturn: 0,
        }),
      }),
    };
    const supervisor = new AgentSupervisor({
      clock: new SimulatedClock(),
      registry: new AgentRegistry([covering]),
      deps: deps(),
    });
    supervisor.add({ id: 'c', type: 'btc-only' });
    await supervisor.start();
    const r = await supervisor.call('c', context(), opts);
    expect(r.status).toBe('invalid');
    expect(r.error).toContain('does not cover');
    await supervisor.stop();
  });
});

describe('AgentSupervisor: state', () => {
  it('restores the last learned snapshot into the rebuilt agent', async () => {
    const { supervisor, events, clock } = setup();
    const id = fresh('learner');
    scripts.set(id, ['ok', 'throw', 'ok']);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    for (let i = 0; i < 3; i++) await supervisor.learn(id, outcome);
    expect((await supervisor.call(id, context(), opts)).decision?.reasoning).toBe('learned 3');
    expect((await supervisor.call(id, context(), opts)).status).toBe('error');
    clock.advanceBy(1000);
    expect(created.get(id)).toBe(2);
    expect(events.find((e) => e.type === 'agent.restarted')).toMatchObject({ restoredSnapshot: true });
    expect((await supervisor.call(id, context(), opts)).decision?.reasoning).toBe('learned 3');
    expect(supervisor.snapshot().agents[id]).toEqual({
      learned: { learned: 3 },
      consecutiveFailures: 0,
      totalFailures: 1,
      restarts: 1,
      quarantined: false,
    });
    await supervisor.stop();
  });

  it('snapshot() → restore() on a new supervisor rebuilds learned state, counts and quarantine', async () => {
    const a = setup({ maxFailures: 2 });
    const learner = fresh('l');
    const broken = fresh('b');
    scripts.set(broken, ['throw']);
    a.supervisor.add({ id: learner, type: 'scripted' });
    a.supervisor.add({ id: broken, type: 'scripted' });
    await a.supervisor.start();
    await a.supervisor.learn(learner, outcome);
    await a.supervisor.learn(learner, outcome);
    await a.supervisor.call(broken, context(), opts);
    a.clock.advanceBy(1000);
    await a.supervisor.call(broken, context(), opts);
    const snap = JSON.parse(JSON.stringify(a.supervisor.snapshot()));
    await a.supervisor.stop();

    const b = setup({ maxFailures: 2 });
    b.supervisor.restore(snap); // before add: applied when the agents are added
    b.supervisor.add({ id: learner, type: 'scripted' });
    b.supervisor.add({ id: broken, type: 'scripted' });
    await b.supervisor.start();
    expect(b.events).toEqual([
      { type: 'agent.state', agentId: learner, ts: 0, from: 'CREATED', to: 'STARTING', reason: 'start' },
      { type: 'agent.state', agentId: learner, ts: 0, from: 'STARTING', to: 'RUNNING', reason: 'started' },
    ]);
    expect((await b.supervisor.call(learner, context(), opts)).decision?.reasoning).toBe('learned 2');
    expect(b.supervisor.state(broken)).toMatchObject({
      state: 'QUARANTINED',
      quarantined: true,
      totalFailures: 2,
      restarts: 1,
    });
    expect((await b.supervisor.call(broken, context(), opts)).status).toBe('skipped');
    expect(b.supervisor.snapshot()).toEqual(snap);
    await b.supervisor.stop();
  });

  it('operator hold: stop and quarantine skip the agent, survive snapshot → restore, and start lets it work again', async () => {
    const a = setup();
    const stopped = fresh('s');
    const held = fresh('q');
    a.supervisor.add({ id: stopped, type: 'scripted' });
    a.supervisor.add({ id: held, type: 'scripted' });
    await a.supervisor.start();
    await expect(a.supervisor.release(stopped)).rejects.toThrow(/CONCORD_ERR_LIFECYCLE_TRANSITION/);
    await a.supervisor.hold(stopped, 'stopped', 'ana: noisy');
    await a.supervisor.hold(held, 'quarantined', 'ana: suspect');
    await expect(a.supervisor.hold(stopped, 'quarantined', 'again')).rejects.toThrow(
      /CONCORD_ERR_LIFECYCLE_TRANSITION.*stopped by an operator/,
    );
    await expect(a.supervisor.hold(fresh('none'), 'stopped', 'x')).rejects.toThrow(
      /CONCORD_ERR_AGENT_UNKNOWN/,
    );
    expect(a.supervisor.state(stopped)).toMatchObject({ state: 'QUARANTINED', hold: 'stopped' });
    expect(a.supervisor.state(held)).toMatchObject({ state: 'QUARANTINED', hold: 'quarantined' });
    expect(await a.supervisor.call(stopped, context(), opts)).toMatchObject({
      status: 'skipped',
      error: 'stopped by an operator',
    });
    // A stop is only a state change; an operator quarantine is journaled like the supervisor's own.
    expect(
      a.events
        .filter((e) => e.type === 'agent.quarantined')
        .map((e) => [e.agentId, (e as { reason: string }).reason]),
    ).toEqual([[held, 'quarantined by an operator: ana: suspect']]);
    const snap = JSON.parse(JSON.stringify(a.supervisor.snapshot()));
    await a.supervisor.stop();

    const b = setup();
    b.supervisor.add({ id: stopped, type: 'scripted' });
    b.supervisor.add({ id: held, type: 'scripted' });
    b.supervisor.restore(snap);
    await b.supervisor.start();
    expect(b.supervisor.state(stopped)).toMatchObject({ state: 'QUARANTINED', hold: 'stopped' });
    expect(b.supervisor.state(held)).toMatchObject({ state: 'QUARANTINED', hold: 'quarantined' });
    expect(b.supervisor.snapshot()).toEqual(snap);
    await b.supervisor.release(stopped);
    expect(b.supervisor.state(stopped).state).toBe('RUNNING');
    expect(b.supervisor.state(stopped).hold).toBeUndefined();
    expect((await b.supervisor.call(stopped, context(), opts)).status).toBe('ok');
    await b.supervisor.stop();
  });

  it('refuses a malformed snapshot with CONCORD_ERR_AGENT_SNAPSHOT', () => {
    const { supervisor } = setup();
    expect(() => supervisor.restore({ version: 1, agents: { x: { consecutiveFailures: -1 } } })).toThrow(
      /CONCORD_ERR_AGENT_SNAPSHOT.*agents\.x/,
    );
    expect(() => supervisor.restore(null)).toThrow(/CONCORD_ERR_AGENT_SNAPSHOT/);
  });

  it('stop() cancels pending restarts and skips later calls', async () => {
    const { supervisor, events, clock } = setup();
    const id = fresh('s');
    scripts.set(id, ['throw']);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    await supervisor.call(id, context(), opts);
    await supervisor.stop();
    clock.advanceBy(10_000);
    expect(events.some((e) => e.type === 'agent.restarted')).toBe(false);
    expect(supervisor.state(id).state).toBe('STOPPED');
    expect(clock.pendingTimers()).toBe(0);
    expect((await supervisor.call(id, context(), opts)).error).toContain('not running (STOPPED)');
    await expect(supervisor.start()).rejects.toThrow(/CONCORD_ERR_LIFECYCLE_TRANSITION/);
  });

  it('skips calls before start, and reports unknown or duplicate ids and bad policies with codes', async () => {
    const { supervisor } = setup();
    supervisor.add({ id: 'n', type: 'scripted' });
    expect((await supervisor.call('n', context(), opts)).error).toBe('not running (CREATED)');
    expect(() => supervisor.add({ id: 'n', type: 'scripted' })).toThrow(/CONCORD_ERR_AGENT_DUPLICATE_ID/);
    await expect(supervisor.call('ghost', context(), opts)).rejects.toSatisfy((e) =>
      isConcordError(e, 'CONCORD_ERR_AGENT_UNKNOWN'),
    );
    expect(() => supervisor.add({ id: 'm', type: 'scripted', config: { always: 'maybe' } })).toThrow(
      /CONCORD_ERR_AGENT_CONFIG.*agents\.m\.always/,
    );
    expect(() => setup({ maxFailures: 0 })).toThrow(/CONCORD_ERR_AGENT_POLICY/);
  });

  it('is deterministic: the same script on a simulated clock gives the same event log', async () => {
    const run = async () => {
      const { supervisor, events, clock } = setup();
      scripts.set('det-a', ['ok', 'throw', 'null', 'ok', 'throw', 'throw']);
      scripts.set('det-b', ['negative', 'ok']);
      supervisor.add({ id: 'det-a', type: 'scripted' });
      supervisor.add({ id: 'det-b', type: 'scripted' });
      await supervisor.start();
      const statuses: string[] = [];
      for (let t = 0; t < 20; t++) {
        clock.advanceTo(t * 700);
        for (const id of ['det-a', 'det-b'])
          statuses.push((await supervisor.call(id, context(BTC.id, t), opts)).status);
      }
      await supervisor.stop();
      return sha256Hex(canonicalJson({ events, statuses }));
    };
    const first = await run();
    expect(await run()).toBe(first);
  });
});

describe('AgentSupervisor: Decimal answers survive as Decimals', () => {
  it('passes a valid order decision through untouched', async () => {
    const trader: AgentDefinition<unknown> = {
      type: 'trader',
      description: 'test',
      role: 'proposer',
      configSchema: z.unknown(),
      create: (id) => ({
        id,
        type: 'trader',
        role: 'proposer',
        triggers: ['spread'],
        process: () => ({ intents: [buy()], confidence: 0.7, reasoning: 'r', expectedReturn: 0.001 }),
      }),
    };
    const supervisor = new AgentSupervisor({
      clock: new SimulatedClock(),
      registry: new AgentRegistry([trader]),
      deps: deps(),
    });
    supervisor.add({ id: 't', type: 'trader' });
    await supervisor.start();
    const r = await supervisor.call('t', context(), opts);
    expect(r.status).toBe('ok');
    const intent = r.decision?.intents[0];
    expect(intent?.kind === 'order' && intent.quantity instanceof Decimal && intent.quantity.eq('0.01')).toBe(
      true,
    );
    await supervisor.stop();
  });
});

describe('AgentSupervisor: answers from a discarded instance', () => {
  it('drops an answer that arrives after stop() discarded the agent', async () => {
    const { supervisor } = setup();
    const id = fresh('late');
    scripts.set(id, ['slow']);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    const pending = supervisor.call(id, context(), { deadlineMs: 5000 });
    await supervisor.stop();
    const r = await pending;
    expect(r.status).toBe('skipped');
    expect(r.decision).toBeUndefined();
  });

  it('a late failure of an instance that was already replaced does not count twice', async () => {
    const { supervisor, clock } = setup();
    const id = fresh('twice');
    scripts.set(id, ['slow', 'throw', 'ok']);
    supervisor.add({ id, type: 'scripted' });
    await supervisor.start();
    const slow = supervisor.call(id, context(), { deadlineMs: 5000 });
    expect((await supervisor.call(id, context(), opts)).status).toBe('error');
    expect((await slow).status).toBe('skipped');
    expect(supervisor.state(id).consecutiveFailures).toBe(1);
    clock.advanceBy(1000);
    expect((await supervisor.call(id, context(), opts)).status).toBe('ok');
    await supervisor.stop();
  });
});
