import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Agent, AgentDefinition, TriggerKind } from '../../src/agents/contract.ts';
import { JournalReader } from '../../src/journal/index.ts';
import { DEFAULT_AGENTS, parseDeskConfig } from '../../src/kernel/index.ts';
import { replayJournal, runDesk } from '../../src/modes/index.ts';
import { tempDir } from '../helpers/cli.ts';

const ALL_TRIGGERS: TriggerKind[] = [
  'price-move',
  'spread',
  'trade',
  'bar',
  'funding',
  'apy-change',
  'liquidation',
  'timer',
];

function misbehaving(type: string, process: Agent['process']): AgentDefinition<Record<string, never>> {
  return {
    type,
    description: `test agent that misbehaves (${type})`,
    role: 'proposer',
    configSchema: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
    create: (id) => ({ id, type, role: 'proposer', triggers: ALL_TRIGGERS, process }),
  };
}

const faulty = [
  misbehaving('thrower', () => {
    throw new Error('boom');
  }),
  misbehaving('hanger', () => new Promise(() => {})),
  misbehaving('garbage', () => ({ intents: [{ kind: 'order' }], confidence: Number.NaN }) as never),
];

function records(dir: string) {
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()];
  } finally {
    reader.close();
  }
}

describe('agents that throw, hang or return garbage', () => {
  it('are restarted with backoff, then quarantined, journaled, and the desk keeps trading; replay reproduces it', async () => {
    const dir = join(tempDir(), 'journal');
    const config = parseDeskConfig({
      seed: 5,
      journal: { dir },
      orchestrator: { deadlineMs: 100 },
      agents: [
        ...DEFAULT_AGENTS,
        { id: 'bad-thrower', type: 'thrower' },
        { id: 'bad-hanger', type: 'hanger' },
        { id: 'bad-garbage', type: 'garbage' },
      ],
    });
    const summary = await runDesk({
      config,
      durationMs: 5 * 60_000,
      speed: Number.POSITIVE_INFINITY,
      agentDefinitions: faulty,
    });

    const all = records(dir);
    const expectations = [
      { id: 'bad-thrower', status: 'error' },
      { id: 'bad-hanger', status: 'timeout' },
      { id: 'bad-garbage', status: 'invalid' },
    ];
    for (const { id, status } of expectations) {
      const mine = all.filter((r) => (r.payload as { agentId?: string }).agentId === id);
      const failed = mine.filter((r) => r.type === 'agent.failed');
      expect(failed.length, id).toBe(3);
      for (const f of failed) expect((f.payload as { status: string }).status).toBe(status);
      expect(mine.filter((r) => r.type === 'agent.restarting').length, id).toBe(2);
      expect(mine.filter((r) => r.type === 'agent.restarted').length, id).toBe(2);
      const quarantined = mine.find((r) => r.type === 'agent.quarantined');
      expect(quarantined, id).toBeDefined();
      // The desk kept running after the quarantine: other agents decided and orders filled.
      const after = all.filter((r) => r.seq > (quarantined?.seq ?? 0));
      expect(after.filter((r) => r.type === 'decision').length).toBeGreaterThan(50);
      expect(after.filter((r) => r.type === 'order.filled').length).toBeGreaterThan(0);
      const s = summary.agents.find((a) => a.id === id);
      expect(s?.status).toBe('QUARANTINED');
      expect(s?.failures).toBe(3);
    }
    // One status vocabulary: the desk and its venues ended STOPPED, the quarantined agents stayed QUARANTINED.
    expect(summary.status).toBe('STOPPED');
    expect(summary.venues.length).toBeGreaterThan(0);
    for (const v of summary.venues) expect(v.status, v.id).toBe('STOPPED');
    for (const a of summary.agents)
      expect(a.status, a.id).toBe(a.id.startsWith('bad-') ? 'QUARANTINED' : 'STOPPED');
    // A missed deadline is journaled as an input.
    expect(all.filter((r) => r.type === 'agent.timeout').length).toBe(3);
    // Healthy agents never failed.
    for (const a of summary.agents.filter((x) => !x.id.startsWith('bad-'))) expect(a.failures).toBe(0);

    const replay = await replayJournal(dir, { agentDefinitions: faulty });
    expect(replay.message).toBe('replay reproduced the journal hash');
    expect(replay.replayHash).toBe(summary.journalHash);
  });
});
