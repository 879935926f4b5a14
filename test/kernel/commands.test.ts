/**
 * The command port's one handler (src/kernel/commands.ts): every command is carried out (or
 * refused with a code), never thrown, and journaled as `control.command` with its issuer and
 * result, in a form replay turns back into the same command.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS, parsePayload } from '../../src/bus/index.ts';
import { SimulatedClock } from '../../src/core/index.ts';
import { SqliteJournal } from '../../src/journal/index.ts';
import {
  applyCommand,
  commandOf,
  type DeskCommand,
  parseDeskConfig,
  startTimeMs,
} from '../../src/kernel/index.ts';
import { deskOf, sandboxParts } from '../../src/modes/index.ts';
import { tempDir } from '../helpers/cli.ts';

async function sandboxDesk() {
  const dir = join(tempDir(), 'journal');
  const config = parseDeskConfig({ seed: 1, journal: { dir } });
  const startTs = startTimeMs(config);
  const journal = SqliteJournal.open(dir);
  const desk = deskOf(sandboxParts(config, new SimulatedClock(startTs), config.seed, startTs), {
    config,
    journal,
  });
  await desk.start();
  return { desk, journal };
}

const COMMANDS: DeskCommand[] = [
  { kind: 'halt', reason: 'drill', flatten: true, operator: 'ana' },
  { kind: 'halt', reason: 'no operator named', flatten: false },
  { kind: 'resume', operator: 'ana', reason: 'over' },
  { kind: 'resume', operator: 'bo', reason: 'not halted any more' },
  { kind: 'flatten', reason: 'trim', operator: 'ana' },
  { kind: 'flatten', reason: 'trim again' },
  { kind: 'simulation', enabled: true, reason: 'stay', operator: 'ana' },
  { kind: 'simulation', enabled: false, reason: 'go live' },
];

describe('applyCommand', () => {
  it('carries out each command and journals it with its issuer, in a form replay turns back into the same command', async () => {
    const { desk, journal } = await sandboxDesk();
    try {
      const results = [];
      for (const [i, command] of COMMANDS.entries())
        results.push(await applyCommand(desk, command, { channel: 'test', requestId: `r${i}` }));
      expect(results.map((r) => [r.ok, r.code, r.tradingState])).toEqual([
        [true, undefined, 'REDUCING'],
        [true, undefined, 'HALTED'],
        [true, undefined, 'ACTIVE'],
        [true, undefined, 'ACTIVE'],
        [true, undefined, 'ACTIVE'],
        [true, undefined, 'ACTIVE'],
        [true, undefined, 'ACTIVE'],
        [false, 'CONCORD_ERR_COMMAND_UNSUPPORTED', 'ACTIVE'],
      ]);
      expect(results[3]?.message).toBe('not halted, nothing to resume: not halted any more');
      const journaled = [...journal.records()].filter((r) => r.type === EVENTS.controlCommand.name);
      expect(journaled).toHaveLength(COMMANDS.length);
      for (const [i, r] of journaled.entries()) {
        const p = parsePayload(EVENTS.controlCommand, r.payload, r.seq);
        expect(commandOf(p.command)).toEqual(COMMANDS[i]);
        expect(p).toMatchObject({
          channel: 'test',
          requestId: `r${i}`,
          ok: results[i]?.ok,
          code: results[i]?.code ?? null,
          message: results[i]?.message,
          tradingState: results[i]?.tradingState,
        });
      }
      // The halt's own effects are journaled before the command's record.
      const types = [...journal.records()].map((r) => r.type);
      expect(types.indexOf(EVENTS.riskHalt.name)).toBeLessThan(types.indexOf(EVENTS.controlCommand.name));
    } finally {
      await desk.stop();
      journal.close();
    }
  });
});
