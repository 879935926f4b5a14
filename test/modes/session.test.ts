/**
 * The session runner (src/modes/session.ts): one loop over a market source for every mode, one
 * resume algorithm (last run.start + last checkpoint + the durable tail after it), and operator
 * commands applied through the kernel's command port between two steps.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../src/bus/index.ts';
import { SimulatedClock } from '../../src/core/index.ts';
import { JournalReader, type JournalRecord, SqliteJournal } from '../../src/journal/index.ts';
import {
  type CommandResult,
  type CommandSource,
  compactJournal,
  DEFAULT_AGENTS,
  type DeskCommand,
  isTailRecord,
  parseDeskConfig,
  startTimeMs,
} from '../../src/kernel/index.ts';
import { replayJournal, runDesk, runSession, sandboxParts } from '../../src/modes/index.ts';
import { SyntheticMarket, syntheticSteps } from '../../src/venues/index.ts';
import { tempDir } from '../helpers/cli.ts';

function records(dir: string): JournalRecord[] {
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()];
  } finally {
    reader.close();
  }
}

/** A command channel of the port, in memory: issues each command at the poll number given. */
class ScriptedCommands implements CommandSource {
  polls = 0;
  opened = 0;
  readonly results: Array<{ id: string; result: CommandResult }> = [];
  constructor(private readonly script: ReadonlyArray<{ atPoll: number; id: string; command: DeskCommand }>) {}
  open(): void {
    this.opened++;
  }
  poll() {
    this.polls++;
    const due = this.script.filter((s) => s.atPoll === this.polls);
    return {
      rejected: due
        .filter((s) => s.id.startsWith('junk'))
        .map((s) => ({ file: s.id, code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID' as const, message: 'junk' })),
      commands: due
        .filter((s) => !s.id.startsWith('junk'))
        .map((s) => ({
          command: s.command,
          origin: { channel: 'test', requestId: s.id },
          settle: (result: CommandResult) => this.results.push({ id: s.id, result }),
        })),
    };
  }
}

describe('a session over a market source', () => {
  it('steps every event of a source that ends, feeds the simulated venues through the tap, and ends with end-of-data', async () => {
    const steps = 3000;
    const run = async (dir: string) => {
      const config = parseDeskConfig({ seed: 5, agents: DEFAULT_AGENTS, journal: { dir } });
      const startTs = startTimeMs(config);
      return runSession({
        journal: { dir, synchronous: 'NORMAL' },
        config,
        open: () => {
          const sandbox = sandboxParts(config, new SimulatedClock(startTs), config.seed, startTs);
          // The same market, bounded: done after `steps` steps.
          return { ...sandbox, source: syntheticSteps(sandbox.source as SyntheticMarket, steps) };
        },
      });
    };
    const dir = join(tempDir(), 'journal');
    const result = await run(dir);
    // The sandbox's market: CEX books and the sandbox chain's pools.
    const expected = new SyntheticMarket({
      seed: 5,
      startTs: startTimeMs(parseDeskConfig({})),
      tickMs: 100,
      dex: {},
    });
    let events = 0;
    for (let i = 0; i < steps; i++) events += expected.next().length;
    expect(result.reason).toBe('end-of-data');
    expect(result.events).toBe(events);
    expect(result.desk.counters.marketEvents).toBe(events);
    // Fills only happen when the venues see the market: the session's tap feeds them.
    expect(result.desk.counters.fills).toBeGreaterThan(0);
    const all = records(dir);
    expect(all[0]?.type).toBe(EVENTS.runStart.name);
    expect(all.filter((r) => r.type === EVENTS.market.name)).toHaveLength(events);
    const endAt = all.findLastIndex((r) => r.type === EVENTS.runEnd.name);
    expect((all[endAt]?.payload as { reason: string } | undefined)?.reason).toBe('end-of-data');
    // The end record goes out in the last durable batch, with its checkpoint.
    expect(all[endAt + 1]?.type).toBe(EVENTS.checkpoint.name);
    // A pure function of its inputs: the same session again gives the same journal.
    const again = await run(join(tempDir(), 'journal'));
    expect(again.head.hash).toBe(result.head.hash);
  }, 120_000);

  it('applies operator commands between two steps, journals each with its issuer and result, and replay reproduces them', async () => {
    const dir = join(tempDir(), 'journal');
    const commands = new ScriptedCommands([
      { atPoll: 100, id: 'junk-1', command: { kind: 'flatten', reason: 'never applied' } },
      { atPoll: 200, id: 's-off', command: { kind: 'simulation', enabled: false, reason: 'go live' } },
      { atPoll: 201, id: 's-on', command: { kind: 'simulation', enabled: true, reason: 'stay simulated' } },
      { atPoll: 500, id: 'flat', command: { kind: 'flatten', reason: 'reduce', operator: 'ana' } },
      {
        atPoll: 3500,
        id: 'halt',
        command: { kind: 'halt', reason: 'drill', flatten: false, operator: 'ana' },
      },
      { atPoll: 4000, id: 'resume', command: { kind: 'resume', operator: 'ana', reason: 'over' } },
      { atPoll: 4001, id: 'resume-2', command: { kind: 'resume', operator: 'ana', reason: 'again' } },
    ]);
    const summary = await runDesk({
      config: parseDeskConfig({ seed: 4, agents: DEFAULT_AGENTS, journal: { dir } }),
      durationMs: 8 * 60_000,
      speed: Number.POSITIVE_INFINITY,
      commands,
    });
    expect(commands.opened).toBe(1);
    const byId = new Map(commands.results.map((r) => [r.id, r.result]));
    expect(byId.get('s-off')).toMatchObject({ ok: false, code: 'CONCORD_ERR_COMMAND_UNSUPPORTED' });
    expect(byId.get('s-on')).toMatchObject({ ok: true, tradingState: 'ACTIVE' });
    expect(byId.get('flat')).toMatchObject({
      ok: true,
      // Three CEX positions and two in the sandbox pools (reduce-only market orders, bounded on the pool).
      message: 'flattening: 5 reduce-only order(s) sent: reduce',
    });
    expect(byId.get('halt')).toMatchObject({ ok: true, tradingState: 'HALTED' });
    expect(byId.get('resume')).toMatchObject({ ok: true, tradingState: 'ACTIVE' });
    expect(byId.get('resume-2')?.message).toMatch(/^not halted/);
    expect(byId.has('junk-1')).toBe(false);

    const all = records(dir);
    const journaled = all.filter((r) => r.type === EVENTS.controlCommand.name);
    expect(journaled.map((r) => (r.payload as { requestId: string }).requestId)).toEqual([
      's-off',
      's-on',
      'flat',
      'halt',
      'resume',
      'resume-2',
    ]);
    for (const r of journaled) expect((r.payload as { channel: string }).channel).toBe('test');
    expect(all.filter((r) => r.type === EVENTS.controlRejected.name)).toHaveLength(1);
    // The flatten sent reduce-only orders of its own; agents kept their ids.
    const flattens = all
      .filter((r) => r.type === EVENTS.orderSubmitted.name)
      .map((r) => (r.payload as { order: { decisionId: string } }).order.decisionId)
      .filter((id) => id.startsWith('flatten-'));
    expect(flattens.length).toBeGreaterThan(0);
    // While halted, the agents were not asked; the halt's effects come before its command record.
    const haltAt = all.findIndex((r) => r.type === EVENTS.riskHalt.name);
    const resumeAt = all.findIndex((r) => r.type === EVENTS.riskResume.name);
    expect(haltAt).toBeGreaterThan(0);
    expect(all.slice(haltAt, resumeAt).filter((r) => r.type === EVENTS.decision.name)).toEqual([]);
    expect(all.slice(haltAt).find((r) => r.type === EVENTS.controlCommand.name)?.payload).toMatchObject({
      command: { kind: 'halt', operator: 'ana', flatten: false },
      requestId: 'halt',
      ok: true,
    });

    const replay = await replayJournal(dir);
    expect(replay.message).toBe('replay reproduced the journal hash');
    expect(replay.replayHash).toBe(summary.journalHash);
  }, 180_000);
});

describe('operator commands on agents', () => {
  it('stop, quarantine and start an agent through the command port: journaled with the operator, illegal ones refused, and replay reproduces the hash', async () => {
    const dir = join(tempDir(), 'journal');
    const agent = (
      agentId: string,
      action: 'start' | 'stop' | 'quarantine',
      reason: string,
    ): DeskCommand => ({
      kind: 'agent',
      agentId,
      action,
      reason,
      operator: 'ana (key k1)',
    });
    const commands = new ScriptedCommands([
      { atPoll: 300, id: 'stop', command: agent('regime', 'stop', 'too noisy') },
      { atPoll: 301, id: 'stop-again', command: agent('regime', 'stop', 'twice') },
      { atPoll: 302, id: 'unknown', command: agent('nobody', 'quarantine', 'who?') },
      { atPoll: 303, id: 'start-running', command: agent('arbitrage', 'start', 'already running') },
      { atPoll: 1200, id: 'start', command: agent('regime', 'start', 'calm again') },
      { atPoll: 1300, id: 'quarantine', command: agent('arbitrage', 'quarantine', 'suspect') },
      { atPoll: 1301, id: 'stop-held', command: agent('arbitrage', 'stop', 'held already') },
      { atPoll: 1800, id: 'release', command: agent('arbitrage', 'start', 'cleared') },
    ]);
    const summary = await runDesk({
      config: parseDeskConfig({ seed: 4, agents: DEFAULT_AGENTS, journal: { dir } }),
      durationMs: 4 * 60_000,
      speed: Number.POSITIVE_INFINITY,
      commands,
    });
    const byId = new Map(commands.results.map((r) => [r.id, r.result]));
    expect(byId.get('stop')).toMatchObject({
      ok: true,
      message: 'agent regime stopped by ana (key k1): too noisy',
    });
    expect(byId.get('stop-again')).toMatchObject({ ok: false, code: 'CONCORD_ERR_LIFECYCLE_TRANSITION' });
    expect(byId.get('unknown')).toMatchObject({ ok: false, code: 'CONCORD_ERR_AGENT_UNKNOWN' });
    expect(byId.get('start-running')).toMatchObject({ ok: false, code: 'CONCORD_ERR_LIFECYCLE_TRANSITION' });
    expect(byId.get('start')).toMatchObject({ ok: true });
    expect(byId.get('quarantine')).toMatchObject({ ok: true });
    expect(byId.get('stop-held')).toMatchObject({ ok: false, code: 'CONCORD_ERR_LIFECYCLE_TRANSITION' });
    expect(byId.get('release')).toMatchObject({ ok: true });

    const all = records(dir);
    const journaled = all.filter((r) => r.type === EVENTS.controlCommand.name);
    expect(journaled.map((r) => (r.payload as { requestId: string }).requestId)).toEqual([
      'stop',
      'stop-again',
      'unknown',
      'start-running',
      'start',
      'quarantine',
      'stop-held',
      'release',
    ]);
    expect(journaled[0]?.payload).toMatchObject({
      command: { kind: 'agent', agentId: 'regime', action: 'stop', operator: 'ana (key k1)' },
      ok: true,
    });
    // While stopped, the agent was not asked (and it decides again once started): no decision of it between its stop and its start.
    const at = (id: string) => all.findIndex((r) => (r.payload as { requestId?: unknown })?.requestId === id);
    const decisionsOf = (agentId: string, from: number, to: number) =>
      all
        .slice(from, to)
        .filter(
          (r) =>
            r.type === EVENTS.decision.name && JSON.stringify(r.payload).includes(`"agentId":"${agentId}"`),
        );
    expect(decisionsOf('regime', 0, at('stop')).length).toBeGreaterThan(0);
    expect(decisionsOf('regime', at('stop'), at('start'))).toEqual([]);
    expect(decisionsOf('regime', at('start'), all.length).length).toBeGreaterThan(0);
    expect(decisionsOf('arbitrage', at('quarantine'), at('release'))).toEqual([]);
    const quarantined = all.filter((r) => r.type === EVENTS.agentQuarantined.name);
    expect(quarantined.map((r) => (r.payload as { agentId: string }).agentId)).toEqual(['arbitrage']);
    const states = all
      .filter((r) => r.type === EVENTS.agentState.name)
      .map((r) => r.payload as { agentId: string; to: string })
      .filter((p) => p.agentId === 'regime')
      .map((p) => p.to);
    expect(states.join(' ')).toContain('RUNNING QUARANTINED CREATED STARTING RUNNING');

    const replay = await replayJournal(dir);
    expect(replay.message).toBe('replay reproduced the journal hash');
    expect(replay.replayHash).toBe(summary.journalHash);
  }, 180_000);
});

describe('one resume algorithm', () => {
  it('a sandbox journal cut by a crash after a durable tail resumes with the tail applied, and replays', async () => {
    const dir = join(tempDir(), 'journal');
    const config = { seed: 6, agents: DEFAULT_AGENTS, journal: { dir, flushEveryMs: 60_000 } };
    await runDesk({
      config: parseDeskConfig(config),
      durationMs: 6 * 60_000,
      speed: Number.POSITIVE_INFINITY,
    });
    const full = records(dir);
    // Every record that carries an order's state or a fill is restored from the tail (the
    // catalogue's resumeTail flag): a new order record type without it would be lost on restart.
    const stateBearing = new Set(
      full
        .filter((r) => {
          const p = r.payload as { order?: { clientOrderId?: unknown }; fill?: unknown } | null;
          return (
            p !== null &&
            typeof p === 'object' &&
            (p.order?.clientOrderId !== undefined || p.fill !== undefined)
          );
        })
        .map((r) => r.type),
    );
    expect(stateBearing.size).toBeGreaterThan(3);
    expect([...stateBearing].filter((type) => !isTailRecord(type))).toEqual([]);
    // A cut at a step boundary (a step of one market record, followed by the next step's market
    // record) with orders journaled after the last checkpoint before it: what a crash leaves when
    // a batch filled up and was committed there, before the desk's own checkpoint.
    let cut = -1;
    let ordersSinceCheckpoint = 0;
    for (let i = 0; i + 1 < full.length; i++) {
      const type = full[i]?.type ?? '';
      if (type === EVENTS.checkpoint.name) ordersSinceCheckpoint = 0;
      else if (type === EVENTS.orderFilled.name) ordersSinceCheckpoint++;
      if (
        ordersSinceCheckpoint > 0 &&
        type === EVENTS.market.name &&
        full[i + 1]?.type === EVENTS.market.name &&
        i > full.length / 3
      ) {
        cut = i;
        break;
      }
    }
    expect(cut).toBeGreaterThan(0);
    const crashed = join(tempDir(), 'journal');
    const copy = SqliteJournal.open(crashed);
    for (const r of full.slice(0, cut + 1)) copy.append(r.type, r.ts, r.payload);
    copy.close();
    const copied = records(crashed);
    expect(copied[copied.length - 1]?.hash).toBe(full[cut]?.hash);
    const lastCheckpoint = copied.findLastIndex((r) => r.type === EVENTS.checkpoint.name);
    const tailFills = copied
      .slice(lastCheckpoint + 1)
      .filter((r) => r.type === EVENTS.orderFilled.name)
      .map((r) => (r.payload as { fill: { instrumentId: string; side: string; quantity: string } }).fill);
    expect(tailFills.length).toBeGreaterThan(0);

    // Compaction carries the tail too: its journal resumes to the same state.
    const compacted = join(tempDir(), 'compacted');
    const compaction = compactJournal(crashed, compacted);
    expect(compaction.out.records).toBe(
      3 +
        records(crashed)
          .slice(lastCheckpoint + 1)
          .filter((r) => isTailRecord(r.type)).length,
    );
    const resumeOf = async (dir: string) =>
      runDesk({
        config: parseDeskConfig({ ...config, journal: { ...config.journal, dir } }),
        durationMs: 60_000,
        speed: Number.POSITIVE_INFINITY,
      });
    const resumed = await resumeOf(crashed);
    await resumeOf(compacted);
    const resumedRecordOf = (dir: string) => {
      const found = records(dir).find((r) => r.type === EVENTS.runResumed.name);
      if (found === undefined) throw new Error(`no run.resumed in ${dir}`);
      const { fromSeq: _fromSeq, ...rest } = found.payload as { fromSeq: number };
      return rest;
    };
    expect(resumedRecordOf(compacted)).toEqual(resumedRecordOf(crashed));
    expect(resumed.resumed).toEqual({ fromSeq: cut + 1, crashed: false });
    const after = records(crashed);
    const record = after[cut + 1];
    expect(record?.type).toBe(EVENTS.runResumed.name);
    const payload = record?.payload as {
      tailApplied: number;
      positions: Array<{ instrumentId: string; quantity: string }>;
    };
    expect(payload.tailApplied).toBeGreaterThan(0);
    // The restored positions are the checkpoint's plus the tail's fills.
    const checkpointRecord = copied[lastCheckpoint];
    if (checkpointRecord === undefined) throw new Error('no checkpoint before the cut');
    const checkpointPositions = (
      checkpointRecord.payload as {
        portfolio: { positions: Array<{ instrumentId: string; quantity: string }> };
      }
    ).portfolio.positions;
    const restored = new Map(payload.positions.map((p) => [p.instrumentId, Number(p.quantity)]));
    const expected = new Map(checkpointPositions.map((p) => [p.instrumentId, Number(p.quantity)]));
    for (const f of tailFills)
      expected.set(
        f.instrumentId,
        (expected.get(f.instrumentId) ?? 0) + (f.side === 'buy' ? 1 : -1) * Number(f.quantity),
      );
    for (const [id, quantity] of expected) expect(restored.get(id) ?? 0, id).toBeCloseTo(quantity, 9);

    const replay = await replayJournal(crashed);
    expect(replay.message).toBe('replay reproduced the journal hash');
    expect(replay.replayHash).toBe(resumed.journalHash);
    expect((await replayJournal(compacted)).message).toBe('replay reproduced the journal hash');
  }, 240_000);
});

describe('the source decides how books chain their diffs', () => {
  it("hands the source's book sequencing to the desk", async () => {
    const dir = join(tempDir(), 'journal');
    const config = parseDeskConfig({ seed: 2, journal: { dir } });
    const startTs = startTimeMs(config);
    const asked: string[] = [];
    const result = await runSession({
      journal: { dir, synchronous: 'NORMAL' },
      config,
      open: () => {
        const sandbox = sandboxParts(config, new SimulatedClock(startTs), config.seed, startTs);
        const market = sandbox.source as SyntheticMarket;
        const bounded = syntheticSteps(market, 20);
        return {
          ...sandbox,
          source: {
            instruments: () => bounded.instruments(),
            next: () => bounded.next(),
            bookSequencing: (id: string) => {
              asked.push(id);
              return 'previous-id' as const;
            },
          },
        };
      },
    });
    const ids = result.desk.market.books.allStats().map((s) => s.instrumentId);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set(ids));
    for (const stats of result.desk.market.books.allStats()) expect(stats.mode).toBe('previous-id');
  });
});
