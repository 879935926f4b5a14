import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinAgents } from '../../src/agents/library/index.ts';
import { AgentRegistry } from '../../src/agents/registry.ts';
import { AgentSupervisor, type SupervisorEvent } from '../../src/agents/supervisor.ts';
import { startIsolatedAgent } from '../../src/agents/worker.ts';
import { Decimal, SimulatedClock } from '../../src/core/index.ts';
import { BUSY_LOOP, GARBAGE, HANG, isolatedTestAgents, THROW } from './fixtures/isolated-agents.ts';
import { BTC, context, deps, INSTRUMENTS } from './helpers.ts';

const workerDefinitions = {
  moduleUrl: new URL('./fixtures/isolated-agents.ts', import.meta.url).href,
  exportName: 'isolatedTestAgents',
};

const open: AgentSupervisor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.stop()));
});

function setup(withWorkerDefinitions = true) {
  const events: SupervisorEvent[] = [];
  const clock = new SimulatedClock(0);
  const supervisor = new AgentSupervisor({
    clock,
    registry: new AgentRegistry([...builtinAgents, ...isolatedTestAgents]),
    deps: deps(),
    onEvent: (e) => events.push(e),
    ...(withWorkerDefinitions ? { workerDefinitions } : {}),
  });
  open.push(supervisor);
  return { supervisor, events, clock };
}

function contextWith(magnitude: number) {
  const c = context(BTC.id);
  return { ...c, trigger: { ...c.trigger, magnitude } };
}

async function waitFor(condition: () => boolean, ms = 20_000): Promise<void> {
  const until = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('isolated agents (worker threads)', () => {
  it('rebuilds the context in the worker and revives Decimals both ways', async () => {
    const { supervisor } = setup();
    supervisor.add({ id: 'probe', type: 'worker-probe', isolated: true });
    await supervisor.start();
    expect(supervisor.state('probe')).toMatchObject({ state: 'RUNNING', isolated: true });
    const r = await supervisor.call('probe', contextWith(1), { deadlineMs: 5000 });
    expect(r.status).toBe('ok');
    const seen = JSON.parse(r.decision?.reasoning ?? '{}');
    expect(seen).toEqual({
      learned: 0,
      ts: 1000,
      bids: 20, // top-20 levels of the 30 in the book
      bestBid: 59_999.5,
      bestAsk: 60_000.5,
      mid: 60_000,
      history: 200, // last 200 of 300 mids
      lastMid: 60_299,
      lastPrice: 60_001,
      otherBook: false, // only the instruments it covers, or the trigger's
      instruments: 2,
      tickIsDecimal: true,
      tick: '0.01',
      position: 0.5,
      cash: 70_000,
      equity: 100_000,
      random: true,
    });
    const intent = r.decision?.intents[0];
    expect(intent?.kind).toBe('order');
    if (intent?.kind === 'order') {
      expect(intent.quantity).toBeInstanceOf(Decimal);
      expect(intent.quantity.toString()).toBe('0.0123');
      expect(intent.limitPrice?.toString()).toBe('59000.01');
    }
  });

  it('terminates a synchronous busy loop at the deadline, the desk thread stays responsive, and restarts the agent per policy', async () => {
    const { supervisor, events, clock } = setup();
    supervisor.add({ id: 'spin', type: 'worker-probe', isolated: true });
    await supervisor.start();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const started = performance.now();
    const r = await supervisor.call('spin', contextWith(BUSY_LOOP), { deadlineMs: 300 });
    const took = performance.now() - started;
    clearInterval(ticker);
    expect(r.status).toBe('timeout');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(300 + 1500);
    expect(ticks).toBeGreaterThan(10); // the main thread kept running its timers
    expect(supervisor.state('spin').state).toBe('DEGRADED');
    expect((await supervisor.call('spin', contextWith(1), { deadlineMs: 5000 })).status).toBe('skipped');
    clock.advanceBy(1000);
    await waitFor(() => supervisor.state('spin').state === 'RUNNING');
    expect((await supervisor.call('spin', contextWith(1), { deadlineMs: 5000 })).status).toBe('ok');
    expect(events.filter((e) => e.type !== 'agent.state').map((e) => e.type)).toEqual([
      'agent.failed',
      'agent.restarting',
      'agent.restarted',
    ]);
  });

  it('restores the learned snapshot into the new worker after a restart', async () => {
    const { supervisor, clock } = setup();
    supervisor.add({ id: 'learner', type: 'worker-probe', isolated: true });
    await supervisor.start();
    const outcome = { decisionId: 'd', agentId: 'learner', ts: 1, realizedReturn: 0, correct: true, pnl: 0 };
    await supervisor.learn('learner', outcome);
    await supervisor.learn('learner', outcome);
    expect(supervisor.snapshot().agents.learner?.learned).toEqual({ learned: 2 });
    expect((await supervisor.call('learner', contextWith(HANG), { deadlineMs: 100 })).status).toBe('timeout');
    clock.advanceBy(1000);
    await waitFor(() => supervisor.state('learner').state === 'RUNNING');
    const r = await supervisor.call('learner', contextWith(1), { deadlineMs: 5000 });
    expect(JSON.parse(r.decision?.reasoning ?? '{}').learned).toBe(2);
  });

  it("reports a throw in the worker as 'error' and garbage as 'invalid'", async () => {
    const { supervisor, clock } = setup();
    supervisor.add({ id: 'p', type: 'worker-probe', isolated: true });
    await supervisor.start();
    const thrown = await supervisor.call('p', contextWith(THROW), { deadlineMs: 5000 });
    expect(thrown).toMatchObject({ status: 'error' });
    expect(thrown.error).toContain('probe exploded');
    clock.advanceBy(1000);
    await waitFor(() => supervisor.state('p').state === 'RUNNING');
    const garbage = await supervisor.call('p', contextWith(GARBAGE), { deadlineMs: 5000 });
    expect(garbage.status).toBe('invalid');
    expect(garbage.error).toMatch(/^confidence/);
  });

  it('enforces coverage on the main side for isolated agents too', async () => {
    const { supervisor } = setup();
    supervisor.add({
      id: 'eth-only',
      type: 'worker-probe',
      isolated: true,
      config: { instruments: ['sim-a:ETH-USDT'] },
    });
    await supervisor.start();
    const r = await supervisor.call('eth-only', contextWith(1), { deadlineMs: 5000 });
    expect(r.status).toBe('invalid');
    expect(r.error).toContain('does not cover');
  });

  it('quarantines an isolated agent whose worker cannot build it', async () => {
    const { supervisor, events } = setup(false); // the worker's registry lacks worker-probe
    supervisor.add({ id: 'orphan', type: 'worker-probe', isolated: true });
    await supervisor.start();
    expect(supervisor.state('orphan')).toMatchObject({ state: 'QUARANTINED', quarantined: true });
    const failed = events.find((e) => e.type === 'agent.failed');
    expect(failed?.type === 'agent.failed' && failed.reason).toMatch(
      /CONCORD_ERR_AGENT_WORKER|unknown agent type "worker-probe"/,
    );
    expect((await supervisor.call('orphan', contextWith(1), { deadlineMs: 100 })).status).toBe('skipped');
  });

  it('a terminated isolated agent rejects further calls with CONCORD_ERR_AGENT_WORKER', async () => {
    const agent = await startIsolatedAgent({
      id: 'sw',
      type: 'spread-watcher',
      config: {},
      seed: 1,
      instruments: INSTRUMENTS,
    });
    expect((await agent.process(context())).reasoning).toContain('spread 0.17 bp');
    await agent.terminate();
    expect(agent.alive).toBe(false);
    await expect(agent.process(context())).rejects.toThrow(/CONCORD_ERR_AGENT_WORKER/);
  });

  it('works under plain node --import tsx as well as under vitest', () => {
    const script = fileURLToPath(new URL('./fixtures/run-isolated.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(out.trim())).toEqual({
      intents: [],
      confidence: 0,
      reasoning: `spread 0.17 bp on ${BTC.id} (bid 59999.5, ask 60000.5)`,
      expectedReturn: 0,
    });
  });
});
