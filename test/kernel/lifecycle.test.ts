/**
 * The desk's own lifecycle and the status views: one vocabulary for the desk, its agents and
 * its venues, apart from the trading state.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConcordError, type LifecycleTransition, SimulatedClock } from '../../src/core/index.ts';
import { JournalReader, SqliteJournal } from '../../src/journal/index.ts';
import { agentStatus, Desk, lifecycleStatus, parseDeskConfig } from '../../src/kernel/index.ts';
import { SimulatedVenue, SyntheticMarket } from '../../src/venues/index.ts';
import { tempDir } from '../helpers/cli.ts';

function sandboxDesk(seed = 4) {
  const dir = join(tempDir(), 'journal');
  const start = Date.UTC(2024, 0, 1);
  const config = parseDeskConfig({ seed });
  const market = new SyntheticMarket({ seed, startTs: start, tickMs: 100 });
  const clock = new SimulatedClock(start);
  const instruments = market.instruments();
  const venues = [...new Set(instruments.map((i) => i.venue))].map(
    (id) =>
      new SimulatedVenue({
        id,
        clock,
        instruments: instruments.filter((i) => i.venue === id),
        balances: { USDT: 100_000, BTC: 2 },
      }),
  );
  const journal = SqliteJournal.open(dir);
  const desk = new Desk({ config, clock, journal, venues, instruments });
  return { desk, market, venues, journal, dir };
}

async function steps(desk: Desk, market: SyntheticMarket, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    for (const e of market.next()) {
      const p = desk.step(e);
      if (p !== undefined) await p;
    }
  }
}

describe('the desk lifecycle', () => {
  it('goes CREATED → STARTING → RUNNING → STOPPING → STOPPED; a second stop changes nothing, a second start is refused', async () => {
    const { desk, market, journal } = sandboxDesk();
    const seen: LifecycleTransition[] = [];
    desk.lifecycle.onTransition((t) => seen.push(t));
    expect(desk.lifecycle.state).toBe('CREATED');
    await desk.start();
    expect(desk.lifecycle.state).toBe('RUNNING');
    await steps(desk, market, 50);
    await desk.stop();
    await desk.stop();
    desk.flush();
    journal.close();
    expect(seen.map((t) => `${t.from}>${t.to}`)).toEqual([
      'CREATED>STARTING',
      'STARTING>RUNNING',
      'RUNNING>STOPPING',
      'STOPPING>STOPPED',
    ]);
    await expect(desk.start()).rejects.toSatisfy((e: unknown) =>
      isConcordError(e, 'CONCORD_ERR_LIFECYCLE_TRANSITION'),
    );
  });

  it('a desk that fails closed is DEGRADED (and HALTED on the other axis) for the rest of its life', async () => {
    const { desk, market, journal } = sandboxDesk();
    await desk.start();
    await steps(desk, market, 20);
    expect(lifecycleStatus(desk).status).toBe('RUNNING');
    expect(desk.tradingState()).toBe('ACTIVE');
    desk.failClosed('risk rule could not be evaluated');
    expect(desk.lifecycle.state).toBe('DEGRADED');
    expect(desk.lifecycle.reason).toBe('failed closed: risk rule could not be evaluated');
    expect(desk.tradingState()).toBe('HALTED');
    await steps(desk, market, 20); // it keeps stepping market data
    expect(desk.lifecycle.state).toBe('DEGRADED');
    await desk.stop();
    expect(desk.lifecycle.state).toBe('STOPPED');
    journal.close();
  });

  it('status views speak the one vocabulary: desk, agents and venues, sorted and complete', async () => {
    const { desk, market, venues, journal } = sandboxDesk();
    const before = lifecycleStatus(desk);
    expect(before.status).toBe('CREATED');
    expect(before.venues.map((v) => v.id)).toEqual(venues.map((v) => v.id).sort());
    for (const v of before.venues) expect(v.status).toBe('RUNNING');
    for (const a of desk.config.agents) expect(agentStatus(desk, a.id)).toBe('CREATED');
    await desk.start();
    await steps(desk, market, 20);
    for (const a of desk.config.agents) expect(agentStatus(desk, a.id)).toBe('RUNNING');
    venues[0]?.stop('maintenance');
    const during = lifecycleStatus(desk).venues.find((v) => v.id === venues[0]?.id);
    expect(during).toEqual({ id: venues[0]?.id, status: 'STOPPED', reason: 'maintenance' });
    await desk.stop();
    for (const a of desk.config.agents) expect(agentStatus(desk, a.id)).toBe('STOPPED');
    desk.flush();
    journal.close();
  });

  it('is not journaled: the same seed gives the same journal however often its status is read', async () => {
    const heads: string[] = [];
    for (const read of [false, true]) {
      const { desk, market, journal, dir } = sandboxDesk(9);
      await desk.start();
      for (let i = 0; i < 60; i++) {
        await steps(desk, market, 1);
        if (read) lifecycleStatus(desk);
      }
      await desk.stop();
      desk.flush();
      journal.close();
      const reader = JournalReader.open(dir);
      heads.push(reader.head().hash);
      reader.close();
    }
    expect(heads[0]).toBe(heads[1]);
  });
});
