/**
 * Values the readers used to let through (found by the fuzz campaign, test/fuzz/readers.test.ts):
 * times beyond what a date can hold, calendar fields out of range, a file name with no symbol to
 * name the instrument by, a Concord recording's trade of size 0. Each is now a coded refusal.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isConcordError } from '../../src/core/index.ts';
import { parseTime, readRecording } from '../../src/data/index.ts';
import { tmpDir } from './helpers.ts';

function codeOfReading(path: string): string {
  try {
    for (const _ of readRecording([path])) {
      // read to the end
    }
    return 'ok';
  } catch (err) {
    if (isConcordError(err)) return err.code;
    throw err;
  }
}

function file(name: string, text: string | Buffer): string {
  const path = join(tmpDir(), name);
  writeFileSync(path, text);
  return path;
}

const BAR = (ts: number | string) => `[${ts},1.0,1.2,0.9,1.1,10]`;

describe('recording readers refuse what the code cannot honour', () => {
  it('a candle time beyond year 9999 (or negative) is refused, in order or not', () => {
    expect(codeOfReading(file('X_Y-1m.json', `[${BAR(1_600_000_000_000)},${BAR(1_600_000_060_000)}]`))).toBe(
      'ok',
    );
    expect(codeOfReading(file('X_Y-1m.json', `[${BAR(1_600_000_000_000)},${BAR(1e20)}]`))).toBe(
      'CONCORD_ERR_DATA_PARSE',
    );
    expect(codeOfReading(file('X_Y-1m.json', `[${BAR(-60_000)},${BAR(0)}]`))).toBe('CONCORD_ERR_DATA_PARSE');
  });

  it('a trade time beyond year 9999 is refused', () => {
    const row = (ts: number) => `[${ts},"1",null,"buy",0.5,2,1]`;
    expect(codeOfReading(file('X_Y-trades.json', `[${row(1_600_000_000_000)},${row(3e14)}]`))).toBe(
      'CONCORD_ERR_DATA_PARSE',
    );
  });

  it('a Binance receive time beyond year 9999 is refused', () => {
    const line = (ns: string) =>
      `${ns} {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1,"m":true}}`;
    expect(codeOfReading(file('spot_btcusdt', `${line('1723161253937085768')}\n`))).toBe('ok');
    expect(
      codeOfReading(file('spot_btcusdt', `${line('1723161253937085768')}\n${line('9'.repeat(30))}\n`)),
    ).toBe('CONCORD_ERR_DATA_PARSE');
  });

  it('calendar fields out of range are not a time (no silent roll-over into the next month)', () => {
    expect(parseTime('2021-12-31 23:01:00')).toBe(Date.UTC(2021, 11, 31, 23, 1));
    expect(parseTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    for (const text of [
      '2021-13-01',
      '2021-02-30',
      '2023-02-29',
      '2021-01-32',
      '2021-01-01 24:00',
      '2021-01-01 10:60',
    ])
      expect(parseTime(text), text).toBeNaN();
    const csv =
      'timestamp,open,high,low,close,volume\n2021-01-31 00:00,1,2,0.5,1.5,1\n2021-02-30 00:00,1,2,0.5,1.5,1\n';
    expect(codeOfReading(file('X_Y-1d.csv', csv))).toBe('CONCORD_ERR_DATA_PARSE');
  });

  it('a file name that names no instrument is refused', () => {
    const bars = `[${BAR(1_600_000_000_000)},${BAR(1_600_000_060_000)}]`;
    for (const name of ['-1m.json', '..json', '_5m.json'])
      expect(codeOfReading(file(name, bars)), name).toBe('CONCORD_ERR_DATA_FORMAT');
  });

  it('a Concord recording trade of size 0 is refused, as the other formats refuse it', () => {
    const header = {
      format: 'concord-recording/1',
      createdBy: 'test',
      source: { kind: 'test' },
      instruments: [
        {
          kind: 'spot',
          id: 'x:BTC-USDT',
          venue: 'x',
          symbol: 'BTC-USDT',
          base: 'BTC',
          quote: 'USDT',
          tickSize: '0.01',
          lotSize: '0.001',
          minNotional: '0',
          makerFee: '0',
          takerFee: '0',
        },
      ],
    };
    const trade = (size: number) =>
      JSON.stringify({
        type: 'trade',
        ts: 1,
        instrumentId: 'x:BTC-USDT',
        price: 10,
        size,
        aggressor: 'buy',
        tradeId: 't',
      });
    const recording = (size: number) =>
      file('t.concord.ndjson.gz', gzipSync(`${JSON.stringify(header)}\n${trade(size)}\n`));
    expect(codeOfReading(recording(0.5))).toBe('ok');
    expect(codeOfReading(recording(0))).toBe('CONCORD_ERR_DATA_PARSE');
  });
});
