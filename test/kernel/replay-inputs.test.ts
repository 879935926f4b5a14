import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Agent, AgentDefinition } from '../../src/agents/contract.ts';
import { EVENT_LIST } from '../../src/bus/catalogue.ts';
import { controlPaths, FileCommandSource, requestHalt, requestResume } from '../../src/control/index.ts';
import { JournalReader } from '../../src/journal/index.ts';
import { compactJournal, DEFAULT_AGENTS, type DeskStatus, parseDeskConfig } from '../../src/kernel/index.ts';
import {
  NOT_REPLAYED_INPUTS,
  REPLAY_INPUTS,
  type RunSummary,
  replayJournal,
  runDesk,
} from '../../src/modes/index.ts';
import { tempDir } from '../helpers/cli.ts';

/** An agent that never answers: every fan-out it is in misses its deadline (an `agent.timeout` input). */
const hanger: AgentDefinition<Record<string, never>> = {
  type: 'hanger',
  description: 'test agent that never answers',
  role: 'proposer',
  configSchema: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  create: (id) => ({
    id,
    type: 'hanger',
    role: 'proposer',
    triggers: ['price-move', 'spread', 'trade'],
    process: () => new Promise<never>(() => {}) as ReturnType<Agent['process']>,
  }),
};

function types(dir: string): Map<string, number> {
  const reader = JournalReader.open(dir);
  try {
    const count = new Map<string, number>();
    for (const r of reader.records()) count.set(r.type, (count.get(r.type) ?? 0) + 1);
    return count;
  } finally {
    reader.close();
  }
}

/**
 * Runs the sandbox desk in this process, acting on its control directory as an operator would
 * (`script` gets each status, about every 100 ms of real time), until `script` says stop.
 */
async function runScripted(
  dir: string,
  config: Record<string, unknown>,
  script: (status: DeskStatus, stop: () => void) => void,
): Promise<RunSummary> {
  const controller = new AbortController();
  // Bounded whatever happens: the script's conditions are met within seconds on an idle machine.
  const deadline = setTimeout(() => controller.abort(), 60_000);
  try {
    return await runDesk({
      config: parseDeskConfig({ ...config, journal: { dir } }),
      durationMs: Number.POSITIVE_INFINITY,
      speed: 200,
      signal: controller.signal,
      agentDefinitions: [hanger],
      // The operator's channel, composed as the CLI composes it.
      commands: new FileCommandSource(dir),
      onStatus: (status) => script(status, () => controller.abort()),
    });
  } finally {
    clearTimeout(deadline);
  }
}

function plantJunk(dir: string, name: string): void {
  writeFileSync(join(controlPaths(dir).control, name), 'not a request');
}

describe('replay feeds back every input record', () => {
  it('a run with a rejected control file replays to the same journal hash', async () => {
    const dir = join(tempDir(), 'journal');
    let planted = -1;
    const summary = await runScripted(dir, { seed: 3 }, (status, stop) => {
      if (planted < 0) {
        plantJunk(dir, '999999999999999-halt.json');
        planted = status.simulatedMs;
      } else if (status.simulatedMs - planted > 60_000) stop();
    });
    expect(types(dir).get('control.rejected')).toBe(1);
    const replay = await replayJournal(dir, { agentDefinitions: [hanger] });
    expect(replay.message).toBe('replay reproduced the journal hash');
    expect(replay.replayHash).toBe(summary.journalHash);
  });

  describe('a journal with every input in REPLAY_INPUTS', () => {
    const dir = join(tempDir(), 'journal');
    const config = {
      seed: 9,
      orchestrator: { deadlineMs: 100 },
      agents: [...DEFAULT_AGENTS, { id: 'slow', type: 'hanger' }],
      shadow: {
        enabled: true,
        candidates: [{ id: 'candidate', type: 'momentum', config: { lookback: 10 } }],
      },
    };
    const compactedDir = join(tempDir(), 'compacted');
    let summary: RunSummary;
    let compactedSummary: RunSummary;
    let seen: Map<string, number>;

    beforeAll(async () => {
      // First segment: a junk control file and a halt, then (once halted) a resume, then trading on.
      let stage = 0;
      let resumedAt = 0;
      await runScripted(dir, config, (status, stop) => {
        if (stage === 0) {
          plantJunk(dir, 'please-halt.json');
          requestHalt(dir, { reason: 'replay drill', flatten: true, operator: 'ana' });
          stage = 1;
        } else if (stage === 1 && status.tradingState !== 'ACTIVE') {
          // HALTED, or REDUCING while the flatten is still closing positions.
          requestResume(dir, { operator: 'ana', reason: 'drill over' });
          stage = 2;
        } else if (stage === 2 && status.tradingState === 'ACTIVE') {
          resumedAt = status.simulatedMs;
          stage = 3;
        } else if (stage === 3 && status.simulatedMs - resumedAt > 60_000) stop();
      });
      // Second segment: the desk resumes the journal (run.resumed from the last checkpoint).
      let startedAt = -1;
      summary = await runScripted(dir, config, (status, stop) => {
        if (startedAt < 0) startedAt = status.simulatedMs;
        else if (status.simulatedMs - startedAt > 30_000) stop();
      });
      // Third segment: the journal compacted (journal.compacted opens the new one), then resumed.
      compactJournal(dir, compactedDir);
      let compactedAt = -1;
      compactedSummary = await runScripted(compactedDir, config, (status, stop) => {
        if (compactedAt < 0) compactedAt = status.simulatedMs;
        else if (status.simulatedMs - compactedAt > 10_000) stop();
      });
      seen = types(dir);
      for (const [type, n] of types(compactedDir)) seen.set(type, (seen.get(type) ?? 0) + n);
    }, 240_000);

    it.each(Object.keys(REPLAY_INPUTS))('the generated journal holds %s records', (type) => {
      expect(seen.get(type) ?? 0).toBeGreaterThan(0);
    });

    it('and replays to the same journal hash', async () => {
      expect(seen.get('control.command')).toBe(2);
      expect(seen.get('risk.halt')).toBe(1);
      expect(seen.get('risk.resume')).toBe(1);
      expect(seen.get('run.resumed')).toBe(2);
      const replay = await replayJournal(dir, { agentDefinitions: [hanger] });
      expect(replay.message).toBe('replay reproduced the journal hash');
      expect(replay.replayHash).toBe(summary.journalHash);
      expect(replay.records).toBe(summary.records);
      const compacted = await replayJournal(compactedDir, { agentDefinitions: [hanger] });
      expect(compacted.replayHash).toBe(compactedSummary.journalHash);
    }, 180_000);
  });
});

describe('the replay inputs and the event catalogue', () => {
  it('are the same list: every catalogue input is fed back by replay, and nothing else is', () => {
    const catalogueInputs = EVENT_LIST.filter((e) => e.kind === 'input')
      .map((e) => e.name)
      .sort();
    expect([...Object.keys(REPLAY_INPUTS), ...Object.keys(NOT_REPLAYED_INPUTS)].sort()).toEqual(
      catalogueInputs,
    );
  });
});
