/**
 * The control-file channel as an adapter of the kernel's command port: requests written by
 * `concord halt` / `resume` come out of `poll()` as desk commands with their origin, junk comes out
 * as rejected input, and settling a command writes the outcome the waiting CLI reads.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  controlPaths,
  FILE_CHANNEL,
  FileCommandSource,
  requestHalt,
  requestResume,
  ticketState,
} from '../../src/control/index.ts';
import { tempDir } from '../helpers/cli.ts';

describe('FileCommandSource', () => {
  it('touches nothing until opened: the control directory is made when the desk runs', () => {
    const dir = tempDir();
    const source = new FileCommandSource(dir, { intervalMs: 0 });
    expect(existsSync(controlPaths(dir).control)).toBe(false);
    source.open();
    expect(existsSync(controlPaths(dir).done)).toBe(true);
    expect(existsSync(controlPaths(dir).rejected)).toBe(true);
  });

  it('hands halt and resume requests over as desk commands, in the order written, with the file channel and request id', () => {
    const dir = tempDir();
    const source = new FileCommandSource(dir, { intervalMs: 0 });
    source.open();
    const halt = requestHalt(dir, { reason: 'drill', flatten: true, operator: 'ana' });
    const resume = requestResume(dir, { operator: 'bo', reason: 'clear' });
    const polled = source.poll();
    expect(polled.rejected).toEqual([]);
    expect(polled.commands.map((c) => c.command)).toEqual([
      { kind: 'halt', reason: 'drill', flatten: true, operator: 'ana' },
      { kind: 'resume', operator: 'bo', reason: 'clear' },
    ]);
    expect(polled.commands.map((c) => c.origin)).toEqual([
      { channel: FILE_CHANNEL, requestId: halt.request.id },
      { channel: FILE_CHANNEL, requestId: resume.request.id },
    ]);
    // Claimed once: the next poll has nothing.
    expect(source.poll().commands).toEqual([]);
    // Settling writes the outcome the waiting `concord halt` reads.
    polled.commands[0]?.settle?.({
      ok: true,
      message: 'halted and flattening: drill',
      tradingState: 'REDUCING',
    });
    expect(ticketState(halt)).toMatchObject({
      state: 'picked-up',
      outcome: { ok: true, kind: 'halt', message: 'halted and flattening: drill', tradingState: 'REDUCING' },
    });
  });

  it('reports junk as rejected input (journaled by the runner), never as a command', () => {
    const dir = tempDir();
    const source = new FileCommandSource(dir, { intervalMs: 0 });
    source.open();
    writeFileSync(join(controlPaths(dir).control, '123-0123456789abcdef-halt.json'), 'not json');
    writeFileSync(join(controlPaths(dir).control, 'please-halt.json'), '{}');
    // A half-written file is given a grace period; the junk name is rejected at once.
    const first = source.poll();
    expect(first.commands).toEqual([]);
    expect(first.rejected.map((r) => r.file)).toContain('please-halt.json');
    for (const r of first.rejected) expect(r.code).toBe('CONCORD_ERR_CONTROL_REQUEST_INVALID');
    // Reported once.
    expect(source.poll().rejected.map((r) => r.file)).not.toContain('please-halt.json');
  });
});
