/**
 * Real-data figure: the volatility breaker (default settings) over the three Binance recordings
 * of 2024-08-08 23:54 → 2024-08-09 00:00 UTC (../shared/data/binance-ws-20240808/), fed with the
 * mid of the rebuilt books on every book change. The window is calm (spot vs perp basis within
 * −9.4..−0.8 bp), so the breaker should trip rarely: after its 60 s warm-up it judges ≈ 300
 * one-second samples per instrument, and a trip needs a 10-second move beyond 6σ·√10 or a
 * 10-second realized σ beyond 4× the EWMA baseline. We bound it at 3 trips per instrument: a
 * breaker that trips more often than once every ~100 s on a calm tape would be noise.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binanceSequenceMode, MarketData, readRecording } from '../../src/data/index.ts';
import { BreakerBoard, type BreakerTransition } from '../../src/risk/index.ts';

const DIR = resolve(import.meta.dirname, '../../../shared/data/binance-ws-20240808');
const FILES = ['spot_btcusdt.gz', 'usdm_btcusdt.gz', 'cm_btcusd_perp.gz'].map((f) => join(DIR, f));

describe('volatility breaker on the real Binance recordings', () => {
  it('trips rarely on the calm 6-minute window (default settings)', () => {
    for (const f of FILES)
      if (!existsSync(f)) throw new Error(`missing recording ${f} (see ../shared/data/README.md)`);
    const transitions: BreakerTransition[] = [];
    const board = new BreakerBoard({ onTransition: (t) => transitions.push(t) });
    const market = new MarketData({ books: { modeFor: binanceSequenceMode } });
    const samples = new Map<string, number>();
    for (const event of readRecording(FILES)) {
      if (event.type !== 'book.snapshot' && event.type !== 'book.delta') continue;
      if (!market.apply(event)) continue;
      const mid = market.book(event.instrumentId)?.mid();
      if (mid === undefined) continue;
      board.observePrice(event.instrumentId, mid, event.ts);
      samples.set(event.instrumentId, (samples.get(event.instrumentId) ?? 0) + 1);
    }
    const trips: Record<string, number> = {};
    for (const id of samples.keys()) trips[id] = 0;
    for (const t of transitions) if (t.to === 'OPEN') trips[t.scope.replace('instrument:', '')]! += 1;
    const judged: Record<string, number> = {};
    for (const id of samples.keys()) judged[id] = board.volatilityMonitor(id)!.sampleCount();
    console.info('volatility breaker trips per instrument (default settings):', trips, 'samples:', judged);
    for (const t of transitions)
      console.info(`  ${t.ts} ${t.scope} ${t.from}>${t.to} ${t.reason} ${JSON.stringify(t.numbers)}`);
    expect(Object.keys(trips).sort()).toEqual([
      'binance-coinm:BTCUSD_PERP',
      'binance-spot:BTCUSDT',
      'binance-usdm:BTCUSDT',
    ]);
    for (const n of Object.values(judged)) expect(n).toBeGreaterThan(300);
    for (const n of Object.values(trips)) expect(n).toBeLessThanOrEqual(3);
  });
});
