/**
 * Recorded files as a market source: the whole stream in order and in batches, then done; the
 * instruments known before the first event; Binance books chained the Binance way; an instrument
 * that first appears too late refused with a coded error.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConcordError } from '../../src/core/index.ts';
import { RecordedMarket, readRecording } from '../../src/data/index.ts';
import type { MarketEvent } from '../../src/model/index.ts';
import { tempDir } from '../helpers/cli.ts';

const SPOT = resolve(import.meta.dirname, '../../../shared/data/binance-ws-20240808/spot_btcusdt.gz');

function drain(market: RecordedMarket): { events: MarketEvent[]; batches: number } {
  const events: MarketEvent[] = [];
  let batches = 0;
  for (let batch = market.next(); batch !== undefined; batch = market.next()) {
    batches++;
    events.push(...batch);
  }
  return { events, batches };
}

describe('RecordedMarket', () => {
  it('gives every event of the recording, in order and in batches, then is done', () => {
    const paths = [SPOT];
    const market = new RecordedMarket(paths, { batchSize: 500, peek: 100 });
    const expected = [...readRecording(paths)];
    const { events, batches } = drain(market);
    expect(events.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i += 997) expect(events[i], String(i)).toEqual(expected[i]);
    expect(events[events.length - 1]).toEqual(expected[expected.length - 1]);
    expect(batches).toBe(Math.ceil(expected.length / 500));
    expect(market.next()).toBeUndefined();
    expect(market.startTs).toBe(expected[0]?.ts);
    expect(market.instruments().map((i) => i.id)).toEqual(['binance-spot:BTCUSDT']);
    // Binance spot books chain by update range; other venues keep the default.
    expect(market.bookSequencing('binance-spot:BTCUSDT')).toBe('update-range');
    expect(market.bookSequencing('binance-usdm:BTCUSDT')).toBe('previous-id');
    expect(market.bookSequencing('sim-a:BTC-USDT')).toBeUndefined();
  });

  it('refuses an instrument that first appears after the read-ahead, and an empty recording', () => {
    const dir = tempDir();
    const candles = (_symbol: string, from: number, n: number) =>
      Array.from({ length: n }, (_, i) => {
        const ts = new Date(Date.UTC(2024, 0, 1, 0, from + i)).toISOString().replace('T', ' ').slice(0, 19);
        return `${ts},1,2,0.5,1.5,10`;
      });
    const early = join(dir, 'AAA-USD-1m.csv');
    const late = join(dir, 'BBB-USD-1m.csv');
    writeFileSync(early, ['date,open,high,low,close,volume', ...candles('AAA', 0, 50)].join('\n'));
    writeFileSync(late, ['date,open,high,low,close,volume', ...candles('BBB', 40, 5)].join('\n'));
    const market = new RecordedMarket([early, late], { peek: 10 });
    let error: unknown;
    try {
      drain(market);
    } catch (err) {
      error = err;
    }
    expect(isConcordError(error, 'CONCORD_ERR_DATA_FORMAT')).toBe(true);
    // With the read-ahead covering it, the same files are one stream of two instruments.
    expect(new RecordedMarket([early, late], { peek: 100 }).instruments()).toHaveLength(2);

    const empty = join(dir, 'EMPTY-USD-1m.csv');
    writeFileSync(empty, 'date,open,high,low,close,volume\n');
    expect(() => new RecordedMarket([empty])).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_DATA_FILE' }),
    );
  });
});
