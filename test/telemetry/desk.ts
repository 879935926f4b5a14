/** A small sandbox desk stepped in process (simulated clock and venues), for the telemetry tests. */
import { join } from 'node:path';
import { SimulatedClock } from '../../src/core/index.ts';
import { SqliteJournal } from '../../src/journal/index.ts';
import { Desk, parseDeskConfig } from '../../src/kernel/index.ts';
import { SimulatedVenue, SyntheticMarket } from '../../src/venues/index.ts';
import { tempDir } from '../helpers/cli.ts';

export function sandboxDesk(seed = 7) {
  const start = Date.UTC(2024, 0, 1);
  const dir = join(tempDir('concord-telemetry-'), 'journal');
  const config = parseDeskConfig({ seed, risk: { maxOrderNotional: { default: 5000 } } });
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
  return {
    desk,
    journal,
    async steps(n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        for (const e of market.next()) {
          const p = desk.step(e);
          if (p !== undefined) await p;
        }
      }
      desk.flush();
    },
    async close(): Promise<void> {
      await desk.stop();
      desk.flush();
      journal.close();
    },
  };
}
