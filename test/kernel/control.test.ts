import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Out } from '../../src/cli/output.ts';
import { haltCommand, resumeCommand } from '../../src/cli/safety.ts';
import {
  ControlChannel,
  type ControlRequest,
  controlPaths,
  type RejectedControlFile,
  requestHalt,
  requestResume,
  ticketState,
} from '../../src/control/file-channel.ts';
import { isConcordError, SimulatedClock } from '../../src/core/index.ts';
import { JOURNAL_FILE } from '../../src/journal/index.ts';
import {
  breakSubdirectories,
  plantFlood,
  plantHostileEntries,
  requestLikeName,
  validBody,
} from '../helpers/hostile-control.ts';

const made: string[] = [];
/** A journal directory as a desk leaves it (requests are only written where a desk journals). */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'concord-control-'));
  made.push(dir);
  writeFileSync(join(dir, JOURNAL_FILE), '');
  return dir;
}
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function captureOut(): Out & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    tty: false,
    color: false,
    lines,
    errors,
    line: (text = '') => lines.push(text),
    err: (text) => errors.push(text),
    paint: (_code, text) => text,
  };
}

/** A stand-in for the desk's run loop: handles requests every few ms until stopped. */
function fakeDesk(dir: string, behaviour: { failResume?: boolean } = {}) {
  const channel = new ControlChannel(dir);
  const seen: ControlRequest[] = [];
  let state = 'ACTIVE';
  const timer = setInterval(() => {
    void channel.handle(
      {
        halt: (r) => {
          seen.push(r);
          state = r.flatten ? 'REDUCING' : 'HALTED';
        },
        resume: (r) => {
          seen.push(r);
          if (behaviour.failResume) throw new Error('resume refused: reconciliation incomplete');
          state = 'ACTIVE';
        },
        tradingState: () => state,
      },
      true,
    );
  }, 10);
  return { seen, stop: () => clearInterval(timer) };
}

describe('control channel: request files', () => {
  it('a halt request is polled once, in full, and moved to done/', () => {
    const dir = tempDir();
    const ticket = requestHalt(dir, { reason: 'venue acting up', flatten: true, operator: 'ana' });
    expect(existsSync(ticket.pendingPath)).toBe(true);
    expect(ticketState(ticket)).toEqual({ state: 'pending' });
    const channel = new ControlChannel(dir);
    const requests = channel.poll();
    expect(requests).toEqual([ticket.request]);
    expect(requests[0]).toMatchObject({
      kind: 'halt',
      reason: 'venue acting up',
      flatten: true,
      operator: 'ana',
    });
    expect(existsSync(ticket.pendingPath)).toBe(false);
    expect(existsSync(ticket.donePath)).toBe(true);
    expect(channel.poll()).toEqual([]);
    expect(ticketState(ticket)).toEqual({ state: 'picked-up', outcome: undefined });
    channel.complete(ticket.request, { ok: true, message: 'halted', tradingState: 'HALTED' });
    const state = ticketState(ticket);
    expect(state.state).toBe('picked-up');
    expect(state.state === 'picked-up' && state.outcome).toMatchObject({
      id: ticket.request.id,
      ok: true,
      tradingState: 'HALTED',
    });
  });

  it('a resume must name its operator', () => {
    const dir = tempDir();
    let caught: unknown;
    try {
      requestResume(dir, { operator: '  ' });
    } catch (err) {
      caught = err;
    }
    expect(isConcordError(caught, 'CONCORD_ERR_CONTROL_REQUEST_INVALID')).toBe(true);
    expect(existsSync(controlPaths(dir).control)).toBe(false);
    expect(new ControlChannel(dir).poll()).toEqual([]);
  });

  it('malformed files are moved to rejected/ and reported, never thrown, and valid ones still go through', () => {
    const dir = tempDir();
    const { control, rejected } = controlPaths(dir);
    mkdirSync(control, { recursive: true });
    const name = (n: number, kind: string) =>
      `${String(n).padStart(16, '0')}-${'0'.repeat(15)}${n}-${kind}.json`;
    writeFileSync(join(control, name(1, 'halt')), '{ not json');
    writeFileSync(
      join(control, name(2, 'resume')),
      JSON.stringify({
        version: 1,
        kind: 'resume',
        id: name(2, 'resume').slice(0, -5),
        requestedAt: 1,
        reason: 'r',
      }),
    );
    writeFileSync(
      join(control, name(3, 'halt')),
      JSON.stringify({
        version: 1,
        kind: 'resume',
        id: name(3, 'halt').slice(0, -5),
        requestedAt: 1,
        reason: 'r',
        operator: 'o',
      }),
    );
    // Valid content under someone else's id: the id must be the file's own stem.
    const other = requestHalt(dir, { reason: 'copied' });
    writeFileSync(join(control, name(4, 'halt')), JSON.stringify(other.request));
    rmSync(other.pendingPath);
    writeFileSync(join(control, 'please-halt.json'), '{}');
    writeFileSync(join(control, '00000004-halt.json'), '{}');
    const good = requestHalt(dir, { reason: 'after the junk' });
    expect(good.file).toMatch(/^\d{16}-[0-9a-f]{16}-halt\.json$/);
    const reported: RejectedControlFile[] = [];
    // requestedAt 1 would be stale: staleness has its own test, this one is about shape.
    const channel = new ControlChannel(dir, {
      onRejected: (r) => reported.push(r),
      maxAgeMs: Number.POSITIVE_INFINITY,
    });
    // The unparseable file is given a moment to be finished by its writer, then rejected.
    const first = channel.poll();
    expect(first.map((r) => r.id)).toEqual([good.request.id]);
    expect(reported.map((r) => r.file)).not.toContain(name(1, 'halt'));
    const until = performance.now() + 5000;
    while (reported.length < 6 && performance.now() < until) {
      expect(channel.poll()).toEqual([]);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
    expect(reported.map((r) => r.file).sort()).toEqual(
      [
        name(1, 'halt'),
        name(2, 'resume'),
        name(3, 'halt'),
        name(4, 'halt'),
        'please-halt.json',
        '00000004-halt.json',
      ].sort(),
    );
    expect(reported.every((r) => r.code === 'CONCORD_ERR_CONTROL_REQUEST_INVALID')).toBe(true);
    expect(reported.find((r) => r.file === name(2, 'resume'))?.message).toMatch(/operator/);
    expect(reported.find((r) => r.file === name(3, 'halt'))?.message).toMatch(/kind "resume"/);
    expect(reported.find((r) => r.file === name(4, 'halt'))?.message).toMatch(/stem/);
    expect(reported.find((r) => r.file === name(1, 'halt'))?.message).toMatch(/not valid JSON/);
    // The parser's message would quote the file's content, whatever it is: it is not repeated.
    expect(reported.find((r) => r.file === name(1, 'halt'))?.message).not.toMatch(/not json/);
    for (const r of reported) {
      expect(existsSync(join(rejected, r.file))).toBe(true);
      const error = JSON.parse(readFileSync(join(rejected, `${r.file}.error.json`), 'utf8')) as {
        code: string;
        file: string;
      };
      expect(error).toMatchObject({ code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID', file: r.file });
    }
    expect(readdirSync(control).filter((n) => n.endsWith('.json'))).toEqual([]);
  });

  it('property: every request written is polled exactly once, in the order written, with unique ids', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant('halt' as const),
            fc.constant('resume' as const),
            fc.constant('poll' as const),
          ),
          { maxLength: 25 },
        ),
        (steps) => {
          const dir = tempDir();
          const channel = new ControlChannel(dir);
          const written: string[] = [];
          const polled: string[] = [];
          for (const step of steps) {
            if (step === 'poll') polled.push(...channel.poll().map((r) => r.id));
            else if (step === 'halt')
              written.push(requestHalt(dir, { reason: `h${written.length}` }).request.id);
            else
              written.push(requestResume(dir, { operator: 'op', reason: `r${written.length}` }).request.id);
          }
          polled.push(...channel.poll().map((r) => r.id));
          expect(polled).toEqual(written);
          expect(new Set(written).size).toBe(written.length);
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('handle() reports a handler failure as a failed outcome instead of throwing', async () => {
    const dir = tempDir();
    const ticket = requestResume(dir, { operator: 'bo' });
    const outcomes = await new ControlChannel(dir).handle(
      {
        halt: () => undefined,
        resume: () => {
          throw new Error('not halted');
        },
      },
      true,
    );
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ ok: false, kind: 'resume', message: 'not halted' });
    const state = ticketState(ticket);
    expect(state.state === 'picked-up' && state.outcome?.ok).toBe(false);
  });

  it('a request older than maxAgeMs is rejected as stale, not acted on', () => {
    const dir = tempDir();
    const old = requestResume(dir, { operator: 'ana', clock: new SimulatedClock(1_000) });
    const fresh = requestHalt(dir, { clock: new SimulatedClock(900_000) });
    const reported: RejectedControlFile[] = [];
    const channel = new ControlChannel(dir, {
      maxAgeMs: 600_000,
      clock: new SimulatedClock(1_000_000),
      onRejected: (r) => reported.push(r),
    });
    expect(channel.poll().map((r) => r.id)).toEqual([fresh.request.id]);
    expect(reported).toHaveLength(1);
    expect(reported[0]?.message).toMatch(/stale/);
    expect(ticketState(old)).toMatchObject({ state: 'rejected', message: expect.stringMatching(/stale/) });
  });

  it('pollIfDue reads the directory at most once per interval', () => {
    const dir = tempDir();
    const channel = new ControlChannel(dir, { intervalMs: 60_000 });
    expect(channel.pollIfDue()).toEqual([]);
    requestHalt(dir);
    expect(channel.pollIfDue()).toEqual([]);
    expect(channel.poll()).toHaveLength(1);
  });
});

describe('concord halt / resume against a running desk', () => {
  it('halt --flatten is picked up, carried out and reported (exit 0, JSON last line)', async () => {
    const dir = tempDir();
    const desk = fakeDesk(dir);
    const out = captureOut();
    try {
      const code = await haltCommand(['--journal', dir, '--flatten', '--reason', 'drill', '--json'], out);
      expect(code).toBe(0);
    } finally {
      desk.stop();
    }
    expect(desk.seen).toHaveLength(1);
    expect(desk.seen[0]).toMatchObject({ kind: 'halt', flatten: true, reason: 'drill' });
    const result = JSON.parse(out.lines.at(-1) ?? '') as {
      ok: boolean;
      state: string;
      outcome: { tradingState: string };
    };
    expect(result).toMatchObject({ ok: true, state: 'done', outcome: { tradingState: 'REDUCING' } });
  });

  it('resume prints the outcome, and a refused resume exits 1', async () => {
    const dir = tempDir();
    let desk = fakeDesk(dir);
    const out = captureOut();
    try {
      expect(await resumeCommand(['--journal', dir, '--operator', 'ana', '--reason', 'all clear'], out)).toBe(
        0,
      );
    } finally {
      desk.stop();
    }
    expect(out.lines.join('\n')).toMatch(/done: resumed by ana: all clear \(trading state ACTIVE\)/);
    desk = fakeDesk(dir, { failResume: true });
    const out2 = captureOut();
    try {
      expect(await resumeCommand(['--journal', dir, '--operator', 'ana'], out2)).toBe(1);
    } finally {
      desk.stop();
    }
    expect(out2.lines.join('\n')).toMatch(/failed: resume refused/);
  });

  it('with no desk running (a journal, nobody polling), halt exits 1 after the timeout, says why, and withdraws the request', async () => {
    const dir = tempDir();
    const out = captureOut();
    const started = performance.now();
    const code = await haltCommand(['--journal', dir, '--timeout', '300ms', '--json'], out);
    expect(code).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(out.errors.join('\n')).toMatch(/may not be running/);
    expect(JSON.parse(out.lines.at(-1) ?? '')).toMatchObject({
      ok: false,
      state: 'not-picked-up',
      error: { code: 'CONCORD_ERR_CONTROL_NOT_PICKED_UP' },
    });
    // Withdrawn: a desk started later does not halt on a stale command.
    expect(new ControlChannel(dir).poll()).toEqual([]);
  });

  it('usage errors exit 2 without writing anything', async () => {
    const dir = tempDir();
    const out = captureOut();
    expect(await resumeCommand(['--journal', dir], out)).toBe(2);
    expect(out.errors.join('\n')).toMatch(/--operator/);
    expect(await haltCommand([], out)).toBe(2);
    expect(await haltCommand(['--journal', dir, '--timeout', 'soon'], out)).toBe(2);
    expect(existsSync(controlPaths(dir).control)).toBe(false);
    expect(await haltCommand(['--help'], out)).toBe(0);
  });
});

/** Polls until `done()` or the deadline, pausing the thread between polls (the channel is synchronous). */
function pollUntil(channel: ControlChannel, done: () => boolean, timeoutMs = 5000): ControlRequest[] {
  const got: ControlRequest[] = [];
  const until = performance.now() + timeoutMs;
  while (!done() && performance.now() < until) {
    got.push(...channel.poll());
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  return got;
}

describe('control channel: a hostile directory', () => {
  it('whatever is in control/, a halt is taken on the first poll and everything else is rejected once, never thrown, never blocking', () => {
    const dir = tempDir();
    const { control, done } = controlPaths(dir);
    const outside = join(dir, 'outside');
    const reported: RejectedControlFile[] = [];
    const channel = new ControlChannel(dir, { onRejected: (r) => reported.push(r) });
    const planted = plantHostileEntries(control, outside, Date.now());
    breakSubdirectories(control, outside);
    plantFlood(control, 600);
    const ticket = requestHalt(dir, { reason: 'stop everything' });

    // A FIFO opened blocking, or a 2 GiB file read whole, would hang or blow up right here.
    expect(channel.poll().map((r) => r.id)).toEqual([ticket.request.id]);
    expect(ticketState(ticket)).toEqual({ state: 'picked-up', outcome: undefined });
    // done/ was a symlink: it was put aside and made again, so nothing left the directory.
    expect(lstatSync(done).isDirectory()).toBe(true);
    expect(readdirSync(join(outside, 'elsewhere'))).toEqual([]);

    const expected = [
      ...planted.map((p) => p.name),
      ...Array.from({ length: 600 }, (_, i) => `flood-${i}.tmp`),
    ];
    const more = pollUntil(channel, () => reported.length >= expected.length);
    expect(more).toEqual([]);
    expect(reported.map((r) => r.file).sort()).toEqual([...expected].sort());
    const why = (name: string) => reported.find((r) => r.file === name)?.message ?? '';
    expect(why('999999999999999-halt.json')).toMatch(/not a request file name/);
    expect(why(requestLikeName(5))).toMatch(/over the 16384/);
    expect(why(requestLikeName(6))).toMatch(/symbolic link/);
    expect(why(requestLikeName(2))).toMatch(/not valid JSON/);
    expect(why(requestLikeName(1))).toMatch(/not UTF-8/);
    if (planted.some((p) => p.what === 'FIFO')) expect(why(requestLikeName(9))).toMatch(/FIFO/);
    expect(why(requestLikeName(11))).toMatch(/directory/);
    if (process.getuid?.() === 0) expect(why(requestLikeName(13))).toMatch(/belongs to user 65534/);
    // Nothing is left to trip over: only the desk's own directories and dot-entries remain.
    expect(
      readdirSync(control)
        .filter((n) => !n.startsWith('.'))
        .sort(),
    ).toEqual(['done', 'rejected']);
    // And a later halt still goes straight through.
    const again = requestHalt(dir, { reason: 'again' });
    expect(channel.poll().map((r) => r.id)).toEqual([again.request.id]);
    expect(reported).toHaveLength(expected.length);
  });

  it('orders requests by stamp as numbers of any length: a far-future stamp neither overflows nor jumps the queue', () => {
    const dir = tempDir();
    const { control } = controlPaths(dir);
    const channel = new ControlChannel(dir);
    const now = Date.now();
    const huge = `${'9'.repeat(30)}-00000000000000ff-halt.json`;
    const tiny = '1-00000000000000aa-halt.json';
    writeFileSync(join(control, huge), validBody(huge, now));
    writeFileSync(join(control, tiny), validBody(tiny, now));
    const normal = requestHalt(dir);
    expect(channel.poll().map((r) => r.id)).toEqual([
      tiny.slice(0, -5),
      normal.request.id,
      huge.slice(0, -5),
    ]);
  });

  it('makes control/, done/ and rejected/ 0700 and request files 0600 whatever the umask', () => {
    for (const umask of [0o000, 0o277]) {
      const previous = process.umask(umask);
      try {
        const dir = tempDir();
        const { control, done, rejected } = controlPaths(dir);
        const ticket = requestHalt(dir);
        expect(statSync(control).mode & 0o777).toBe(0o700);
        expect(statSync(ticket.pendingPath).mode & 0o777).toBe(0o600);
        new ControlChannel(dir);
        for (const d of [done, rejected]) expect(statSync(d).mode & 0o777).toBe(0o700);
      } finally {
        process.umask(previous);
      }
    }
    // A control directory left open to others is made private when the desk starts.
    const dir = tempDir();
    mkdirSync(controlPaths(dir).control);
    chmodSync(controlPaths(dir).control, 0o777);
    new ControlChannel(dir);
    expect(statSync(controlPaths(dir).control).mode & 0o777).toBe(0o700);
  });

  it('a control directory removed under the desk is made again, and a control path that is not a directory is refused', () => {
    const dir = tempDir();
    const channel = new ControlChannel(dir);
    rmSync(controlPaths(dir).control, { recursive: true });
    expect(channel.poll()).toEqual([]);
    const ticket = requestHalt(dir);
    expect(channel.poll().map((r) => r.id)).toEqual([ticket.request.id]);

    const other = tempDir();
    symlinkSync(join(dir, 'control'), controlPaths(other).control);
    let caught: unknown;
    try {
      new ControlChannel(other);
    } catch (err) {
      caught = err;
    }
    expect(isConcordError(caught, 'CONCORD_ERR_CONTROL_WRITE')).toBe(true);
  });

  it('halt and resume refuse a directory where no desk journals, creating nothing (exit 2, coded)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'concord-control-'));
    made.push(base);
    const missing = join(base, 'no-such-desk');
    const out = captureOut();
    expect(await haltCommand(['--journal', missing, '--json'], out)).toBe(2);
    expect(JSON.parse(out.lines.at(-1) ?? '')).toMatchObject({
      ok: false,
      error: { code: 'CONCORD_ERR_CONTROL_NO_DESK' },
    });
    expect(out.errors.join('\n')).toMatch(/no desk journals into .*does not exist/);
    expect(existsSync(missing)).toBe(false);
    // An existing directory without a journal: not touched either.
    expect(await resumeCommand(['--journal', base, '--operator', 'ana'], out)).toBe(2);
    expect(out.errors.join('\n')).toMatch(/holds no journal/);
    expect(readdirSync(base)).toEqual([]);
    writeFileSync(join(base, 'a-file'), 'x');
    expect(await haltCommand(['--journal', join(base, 'a-file')], out)).toBe(2);
    expect(out.errors.join('\n')).toMatch(/is not a directory/);
  });
});
