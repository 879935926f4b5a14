import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aggregateTrades,
  alignTime,
  BarAggregator,
  parseInterval,
  readCandles,
  readTrades,
  resampleBars,
} from '../../src/data/index.ts';
import type { Bar } from '../../src/model/index.ts';
import { dataFile, thrown } from './helpers.ts';

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('bars from trades', () => {
  it('aggregating XRP_ETH trades into 1m bars reproduces XRP_ETH-1m.json for every traded minute', () => {
    const trades = [...readTrades(dataFile('candles/freqtrade/XRP_ETH-trades.json.gz'))];
    expect(trades.length).toBe(12_477);
    const bars = aggregateTrades(trades, 60_000);
    const reference = new Map(
      [...readCandles(dataFile('candles/freqtrade/XRP_ETH-1m.json'))].map((b) => [b.ts, b]),
    );
    expect(bars.length).toBe(2469);
    let compared = 0;
    for (const bar of bars) {
      const ref = reference.get(bar.ts);
      expect(ref, `minute ${bar.ts} missing from the reference`).toBeDefined();
      if (ref === undefined) continue;
      for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) {
        expect(close(bar[k], ref[k]), `${k} at ${bar.ts}: ${bar[k]} vs ${ref[k]}`).toBe(true);
      }
      compared++;
    }
    expect(compared).toBe(2469);
  });

  it('aligns bar open times to the interval in UTC', () => {
    const agg = new BarAggregator('x', 60_000);
    expect(agg.add({ ts: 1_570_752_011_620, price: 1, size: 1 })).toBeUndefined();
    const bar = agg.add({ ts: 1_570_752_071_000, price: 2, size: 1 });
    expect(bar?.ts).toBe(1_570_752_000_000);
    expect(alignTime(Date.UTC(2024, 0, 1, 13, 37), parseInterval('1d'))).toBe(Date.UTC(2024, 0, 1));
  });

  it('refuses trades out of time order with a coded error', () => {
    const agg = new BarAggregator('x', 60_000);
    agg.add({ ts: 1000, price: 1, size: 1 });
    expect(thrown(() => agg.add({ ts: 999, price: 1, size: 1 })).code).toBe('CONCORD_ERR_DATA_OUT_OF_ORDER');
  });

  it('parses intervals and refuses nonsense', () => {
    expect(parseInterval('1m')).toBe(60_000);
    expect(parseInterval('15m')).toBe(900_000);
    expect(parseInterval('4h')).toBe(14_400_000);
    expect(thrown(() => parseInterval('5x')).code).toBe('CONCORD_ERR_DATA_INTERVAL');
    expect(thrown(() => parseInterval('0m')).code).toBe('CONCORD_ERR_DATA_INTERVAL');
  });
});

describe('resampling', () => {
  const trades = fc
    .array(
      fc.record({
        dt: fc.integer({ min: 0, max: 90_000 }),
        price: fc.integer({ min: 1, max: 1000 }),
        size: fc.integer({ min: 1, max: 100 }),
      }),
      { minLength: 1, maxLength: 200 },
    )
    .map((rows) => {
      let ts = 1_700_000_000_000;
      return rows.map((r) => {
        ts += r.dt;
        return {
          type: 'trade',
          ts,
          instrumentId: 'x',
          price: r.price / 8,
          size: r.size,
          aggressor: 'buy',
          tradeId: '',
        } as const;
      });
    });

  it('1m bars resampled to 5m equal 5m bars aggregated directly (and 5m→15m equals 1m→15m)', () => {
    fc.assert(
      fc.property(trades, (ts) => {
        const oneMinute = aggregateTrades(ts, 60_000);
        expect(resampleBars(oneMinute, 300_000)).toEqual(aggregateTrades(ts, 300_000));
        expect(resampleBars(resampleBars(oneMinute, 300_000), 900_000)).toEqual(
          resampleBars(oneMinute, 900_000),
        );
      }),
    );
  });

  it('resampling the traded real 1m candles to 5m reproduces the 5m file', () => {
    // The 1m file forward-fills empty minutes (volume 0, open = previous close); those are not trades.
    const oneMinute = [...readCandles(dataFile('candles/freqtrade/XRP_ETH-1m.json'))].filter(
      (b) => b.volume > 0,
    );
    const five = new Map(
      [...readCandles(dataFile('candles/freqtrade/XRP_ETH-5m.json'))].map((b) => [b.ts, b]),
    );
    const resampled = resampleBars(oneMinute, 300_000);
    let compared = 0;
    for (const bar of resampled) {
      const ref = five.get(bar.ts) as Bar;
      expect(ref).toBeDefined();
      for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) {
        expect(close(bar[k], ref[k]), `${k} at ${bar.ts}: ${bar[k]} vs ${ref[k]}`).toBe(true);
      }
      compared++;
    }
    expect(compared).toBe(706);
  });

  it('refuses a target that is not a multiple of the source interval', () => {
    const bars = aggregateTrades([{ ts: 0, price: 1, size: 1, instrumentId: 'x' }], 300_000);
    expect(thrown(() => resampleBars(bars, 420_000)).code).toBe('CONCORD_ERR_DATA_INTERVAL');
  });
});
