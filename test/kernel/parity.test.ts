import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS, topics } from '../../src/bus/index.ts';
import { SimulatedClock } from '../../src/core/index.ts';
import { readConcordHeader, readConcordRecording } from '../../src/data/readers/concord.ts';
import { SqliteJournal } from '../../src/journal/index.ts';
import { DEFAULT_AGENTS, Desk, sortedEntries } from '../../src/kernel/index.ts';
import type { Fill } from '../../src/model/index.ts';
import { backtestConfig, recordSource, runBacktest, sandboxRecordingSource } from '../../src/modes/index.ts';
import { marketFeed, SimulatedVenue } from '../../src/venues/index.ts';
import { tempDir } from '../helpers/cli.ts';

interface FillRow {
  ts: number;
  instrumentId: string;
  side: string;
  price: string;
  quantity: string;
  fee: string;
}

/**
 * Mode parity: the same agents and config over the same recording give the same fills
 * through the backtest path (files → runBacktest) and through the paper path (a desk fed
 * event by event, journaling every market event as a live feed would, on the simulated clock).
 */
describe('parity between backtest and paper paths', () => {
  it('replaying a recording through the paper path gives the same fills as the backtest', async () => {
    const dir = tempDir();
    const recording = join(dir, 'sandbox.concord.ndjson.gz');
    await recordSource(recording, sandboxRecordingSource({ seed: 9, durationMs: 4 * 60_000 }), 'parity-test');
    const config = backtestConfig({
      seed: 9,
      agents: DEFAULT_AGENTS,
      venues: { latencyMs: 5, balances: { USDT: 1_000_000, BTC: 10 } },
    });

    const backtest = await runBacktest({ data: [recording], config, journalDir: join(dir, 'backtest') });
    const backtestFills: FillRow[] = backtest.trades.map((t) => ({
      ts: t.ts,
      instrumentId: t.instrumentId,
      side: t.side,
      price: String(t.price),
      quantity: String(t.quantity),
      fee: String(t.fee),
    }));

    // The paper path: the live-style loop, one event at a time, every market event journaled.
    const header = readConcordHeader(recording);
    const events = [...readConcordRecording(recording)];
    const clock = new SimulatedClock(events[0]?.ts ?? 0);
    const balances = Object.fromEntries(sortedEntries(config.venues.balances));
    const venues = [...new Set(header.instruments.map((i) => i.venue))].map(
      (id) =>
        new SimulatedVenue({
          id,
          clock,
          instruments: header.instruments.filter((i) => i.venue === id),
          balances,
          latencyMs: config.venues.latencyMs,
        }),
    );
    const journal = SqliteJournal.open(join(dir, 'paper'));
    const desk = new Desk({
      config,
      clock,
      journal,
      venues,
      instruments: header.instruments,
      marketTap: marketFeed(venues),
      journalMarketEvents: true,
    });
    const paperFills: FillRow[] = [];
    desk.bus.subscribe(topics.event(EVENTS.orderFilled), (envelope) => {
      const { fill } = envelope.payload as { fill: Fill };
      paperFills.push({
        ts: fill.ts,
        instrumentId: fill.instrumentId,
        side: fill.side,
        price: String(Number(fill.price)),
        quantity: String(Number(fill.quantity)),
        fee: String(Number(fill.fee)),
      });
    });
    await desk.start();
    for (const e of events) {
      const p = desk.step(e);
      if (p !== undefined) await p;
    }
    await desk.stop();
    journal.close();

    expect(backtestFills.length).toBeGreaterThan(5);
    expect(paperFills).toEqual(backtestFills);
    expect(desk.counters.marketEvents).toBe(backtest.events);
  });
});
