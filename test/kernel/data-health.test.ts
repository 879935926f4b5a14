import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/core/index.ts';
import { JournalReader, SqliteJournal } from '../../src/journal/index.ts';
import { agentStatus, Desk, parseDeskConfig } from '../../src/kernel/index.ts';
import { marketFeed, SimulatedVenue, SyntheticMarket } from '../../src/venues/index.ts';
import { tempDir } from '../helpers/cli.ts';

describe('stale data', () => {
  it('marks agents DEGRADED (left out of fan-outs, journaled) while a venue is silent, and back when it speaks again', async () => {
    const dir = join(tempDir(), 'journal');
    const start = Date.UTC(2024, 0, 1);
    const config = parseDeskConfig({ seed: 3, safety: { errorRecovery: { healthCheckIntervalMs: 5000 } } });
    const market = new SyntheticMarket({ seed: 3, startTs: start, tickMs: 100 });
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
    // The venues see the market through the desk's tap, as a session composes them.
    const desk = new Desk({ config, clock, journal, venues, instruments, marketTap: marketFeed(venues) });
    await desk.start();
    const outage = { from: start + 120_000, to: start + 180_000 };
    let staleSeen = false;
    while (clock.now() < start + 300_000) {
      for (const e of market.next()) {
        // sim-c goes silent for a minute.
        if (e.instrumentId.startsWith('sim-c:') && e.ts >= outage.from && e.ts < outage.to) continue;
        const p = desk.step(e);
        if (p !== undefined) await p;
        if (desk.isDataStale('arbitrage')) {
          staleSeen = true;
          // The status view shows it in the shared vocabulary.
          expect(agentStatus(desk, 'arbitrage')).toBe('DEGRADED');
        }
      }
    }
    expect(agentStatus(desk, 'arbitrage')).toBe('RUNNING');
    await desk.stop();
    desk.flush();
    journal.close();
    expect(staleSeen).toBe(true);
    expect(desk.isDataStale('arbitrage')).toBe(false);

    const reader = JournalReader.open(dir);
    const all = [...reader.records()];
    reader.close();
    const staleAt = all.filter((r) => r.type === 'agent.data-stale');
    const freshAt = all.filter((r) => r.type === 'agent.data-fresh');
    expect(staleAt.map((r) => (r.payload as { agentId: string }).agentId)).toContain('arbitrage');
    for (const r of staleAt) {
      // Detected within the threshold (+ the 1 s check period) of the outage, never before it.
      expect(r.ts).toBeGreaterThanOrEqual(outage.from + 5000);
      expect(r.ts).toBeLessThanOrEqual(outage.from + 5000 + 1500);
      expect((r.payload as { instruments: string[] }).instruments).toEqual(['sim-c:BTC-USDT']);
    }
    expect(freshAt.length).toBe(staleAt.length);
    for (const r of freshAt) expect(r.ts).toBeGreaterThanOrEqual(outage.to);
    // While DEGRADED, the agents were not asked: no decision journaled inside the stale window.
    const from = Math.min(...staleAt.map((r) => r.ts));
    const to = Math.max(...freshAt.map((r) => r.ts));
    expect(all.filter((r) => r.type === 'decision' && r.ts > from && r.ts < to)).toEqual([]);
    expect(all.filter((r) => r.type === 'decision' && r.ts > to).length).toBeGreaterThan(0);
  });
});
