import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentDefinition } from '../../src/agents/contract.ts';
import { spreadWatcher } from '../../src/agents/library/example/index.ts';
import { builtinAgents, createBuiltinRegistry } from '../../src/agents/library/index.ts';
import { AgentRegistry } from '../../src/agents/registry.ts';
import { isConcordError } from '../../src/core/index.ts';
import { BTC, context, deps, noAction } from './helpers.ts';

const thresholdBuyer: AgentDefinition<{ threshold: number; nested: { size: number } }> = {
  type: 'threshold-buyer',
  description: 'test',
  role: 'proposer',
  configSchema: z.object({ threshold: z.number().positive(), nested: z.object({ size: z.number() }) }),
  create: (id) => ({
    id,
    type: 'threshold-buyer',
    role: 'proposer',
    triggers: ['price-move'],
    process: noAction,
  }),
};

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('AgentRegistry', () => {
  it('registers, gets, lists and creates agents', () => {
    const r = new AgentRegistry().register(thresholdBuyer);
    expect(r.get('threshold-buyer')).toBe(thresholdBuyer);
    expect(r.list()).toEqual([thresholdBuyer]);
    const a = r.create('threshold-buyer', 'tb-1', { threshold: 2, nested: { size: 1 } }, deps());
    expect(a.id).toBe('tb-1');
  });

  it('names the config field path in CONCORD_ERR_AGENT_CONFIG', () => {
    const r = new AgentRegistry([thresholdBuyer]);
    const err = caught(() =>
      r.create('threshold-buyer', 'tb-1', { threshold: 2, nested: { size: 'big' } }, deps()),
    );
    expect(isConcordError(err, 'CONCORD_ERR_AGENT_CONFIG')).toBe(true);
    const e = err as { details: { path: string }; message: string };
    expect(e.details.path).toBe('agents.tb-1.nested.size');
    expect(e.message).toContain('agents.tb-1.nested.size');
    const negative = caught(() =>
      r.create('threshold-buyer', 'tb-2', { threshold: -1, nested: { size: 1 } }, deps()),
    );
    expect((negative as { details: { path: string } }).details.path).toBe('agents.tb-2.threshold');
  });

  it('lists the known types when asked for an unknown one', () => {
    const r = new AgentRegistry([thresholdBuyer, spreadWatcher]);
    const err = caught(() => r.get('momentum-typo'));
    expect(isConcordError(err, 'CONCORD_ERR_AGENT_UNKNOWN_TYPE')).toBe(true);
    expect((err as Error).message).toContain('known types: spread-watcher, threshold-buyer');
    expect(
      isConcordError(
        caught(() => r.create('nope', 'x', {}, deps())),
        'CONCORD_ERR_AGENT_UNKNOWN_TYPE',
      ),
    ).toBe(true);
  });

  it('refuses a second definition with the same type', () => {
    const r = new AgentRegistry([thresholdBuyer]);
    expect(
      isConcordError(
        caught(() => r.register(thresholdBuyer)),
        'CONCORD_ERR_AGENT_DUPLICATE_TYPE',
      ),
    ).toBe(true);
  });
});

describe('builtin library', () => {
  it('registers every builtin agent, including the example', () => {
    const r = createBuiltinRegistry();
    expect(r.list()).toHaveLength(builtinAgents.length);
    expect(r.has('spread-watcher')).toBe(true);
    // A fresh registry each time: registering into one does not touch another.
    r.register(thresholdBuyer);
    expect(createBuiltinRegistry().has('threshold-buyer')).toBe(false);
  });

  it('spread-watcher reports the spread in its reasoning and proposes nothing', async () => {
    const a = createBuiltinRegistry().create('spread-watcher', 'sw-1', {}, deps());
    const d = await a.process(context(BTC.id));
    expect(d.intents).toEqual([]);
    // Book around 60000: bid 59999.5, ask 60000.5 → 1 / 60000 × 10^4 ≈ 0.17 bp.
    expect(d.reasoning).toBe(`spread 0.17 bp on ${BTC.id} (bid 59999.5, ask 60000.5)`);
    const quiet = createBuiltinRegistry().create('spread-watcher', 'sw-2', { minSpreadBp: 5 }, deps());
    expect((await quiet.process(context(BTC.id))).reasoning).toContain('below 5 bp');
  });

  it('spread-watcher config errors name the field', () => {
    const err = caught(() =>
      createBuiltinRegistry().create('spread-watcher', 'sw', { minSpreadBp: -1 }, deps()),
    );
    expect((err as { details: { path: string } }).details.path).toBe('agents.sw.minSpreadBp');
  });

  it('spread-watcher round-trips its learned state', () => {
    const a = createBuiltinRegistry().create('spread-watcher', 'sw', {}, deps());
    a.learn?.({ decisionId: 'd', agentId: 'sw', ts: 1, realizedReturn: 0, correct: true, pnl: 0 });
    const b = createBuiltinRegistry().create('spread-watcher', 'sw', {}, deps());
    b.restore?.(a.snapshot?.());
    expect(b.snapshot?.()).toEqual({ outcomesSeen: 1 });
  });
});
