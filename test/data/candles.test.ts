import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  detectFormat,
  parseTime,
  readCandles,
  readFunding,
  readRecording,
  readTrades,
  SkipLog,
} from '../../src/data/index.ts';
import { BINANCE, dataFile, thrown, tmpDir } from './helpers.ts';

describe('candle readers', () => {
  it('reads freqtrade JSON candles with their interval and instrument', () => {
    const bars = [...readCandles(dataFile('candles/freqtrade/ETH_BTC-5m.json'))];
    expect(bars.length).toBe(5760);
    expect(bars[0]).toMatchObject({ type: 'bar', instrumentId: 'recording:ETH_BTC', intervalMs: 300_000 });
    for (let i = 1; i < bars.length; i++)
      expect((bars[i]?.ts as number) > (bars[i - 1]?.ts as number)).toBe(true);
  });

  it('infers the interval when candles have gaps (smallest step, cross-checked with the name)', () => {
    expect([...readCandles(dataFile('candles/freqtrade/UNITTEST_BTC-1m.json'))][0]?.intervalMs).toBe(60_000);
    expect(
      [...readCandles(dataFile('candles/freqtrade/futures/XRP_USDT_USDT-8h-mark.json'))][0]?.intervalMs,
    ).toBe(28_800_000);
  });

  it('reads the nautilus CSV, whose zone-less timestamps are UTC', () => {
    const bars = [...readCandles(dataFile('candles/btc-perp-1m-2022-01.csv'))];
    expect(bars.length).toBe(45_031);
    expect(bars[0]).toMatchObject({
      ts: Date.UTC(2021, 11, 31, 23, 1),
      open: 46319,
      high: 46385,
      low: 46319,
      close: 46377,
      intervalMs: 60_000,
    });
    expect(bars.at(-1)?.ts).toBe(Date.UTC(2022, 1, 1, 5, 31));
  });

  it('reads newest-first Bybit exports in time order (time in seconds)', () => {
    const bars = [...readCandles(dataFile('candles/bybit_BTCUSDT-perp_15m_candles.json'))];
    expect(bars.length).toBe(668);
    expect(bars[0]?.intervalMs).toBe(900_000);
    expect((bars[1]?.ts as number) - (bars[0]?.ts as number)).toBe(900_000);
  });

  it('refuses the BitMEX bars whose high is below open/close, naming the record; lenient mode skips the 5 of them', () => {
    const path = dataFile('candles/bitmex_XBTUSD_5m.json');
    const err = thrown(() => [...readCandles(path)]);
    expect(err.code).toBe('CONCORD_ERR_DATA_PARSE');
    expect(err.details).toMatchObject({ file: path, line: 359 });
    const skipped = new SkipLog();
    expect([...readCandles(path, { lenient: true, skipped })].length).toBe(485);
    expect(skipped.count).toBe(5);
  });

  it('checks every bar: NaN, negative price, low above close, time going backwards', () => {
    const dir = tmpDir();
    const good = [1000, 10, 11, 9, 10.5, 1];
    const cases: Array<[unknown[], string]> = [
      [[2000, 'x', 11, 9, 10, 1], 'CONCORD_ERR_DATA_PARSE'],
      [[2000, -10, 11, 9, 10, 1], 'CONCORD_ERR_DATA_PARSE'],
      [[2000, 10, 11, 10.2, 10, 1], 'CONCORD_ERR_DATA_PARSE'],
      [[2000, 10, 11, 9, 10, -1], 'CONCORD_ERR_DATA_PARSE'],
      [[500, 10, 11, 9, 10, 1], 'CONCORD_ERR_DATA_OUT_OF_ORDER'],
    ];
    for (const [row, code] of cases) {
      const path = `${dir}/T-1s.json`;
      writeFileSync(path, JSON.stringify([good, [1500, 10, 11, 9, 10, 1], row]));
      const err = thrown(() => [...readCandles(path)]);
      expect(err.code, JSON.stringify(row)).toBe(code);
      expect(err.details?.line).toBe(3);
    }
  });

  it('names the line of a truncated CSV row', () => {
    const path = `${tmpDir()}/bars.csv`;
    writeFileSync(
      path,
      'timestamp,open,high,low,close,volume\n2022-01-01 00:00:00,1,2,1,2,5\n2022-01-01 00:01:00,2,3',
    );
    const err = thrown(() => [...readCandles(path)]);
    expect(err).toMatchObject({ code: 'CONCORD_ERR_DATA_PARSE', details: { file: path, line: 3 } });
  });

  it('parses times with and without zones', () => {
    expect(parseTime('2021-12-31 23:01:00.000000')).toBe(Date.UTC(2021, 11, 31, 23, 1));
    expect(parseTime('2021-12-31T23:01:00Z')).toBe(Date.UTC(2021, 11, 31, 23, 1));
    expect(parseTime('2022-01-01T01:01:00+02:00')).toBe(Date.UTC(2021, 11, 31, 23, 1));
    expect(parseTime('yesterday')).toBeNaN();
  });
});

describe('trade and funding readers', () => {
  it('reads freqtrade trades with the aggressor side', () => {
    const trades = [...readTrades(dataFile('candles/freqtrade/XRP_ETH-trades.json.gz'))];
    expect(trades[0]).toMatchObject({
      type: 'trade',
      ts: 1570752011620,
      tradeId: '13519807',
      aggressor: 'sell',
      price: 0.00141342,
      size: 23,
    });
  });

  it('reads funding rates', () => {
    const rates = [...readFunding(dataFile('candles/freqtrade/futures/XRP_USDT_USDT-8h-funding_rate.json'))];
    expect(rates.length).toBe(91);
    expect(rates[0]).toMatchObject({ type: 'funding', ts: 1637193600017, rate: 0.0001 });
  });

  it('refuses a trade with a negative amount, naming the record', () => {
    const path = `${tmpDir()}/X-trades.json`;
    writeFileSync(
      path,
      JSON.stringify([
        [1, '1', null, 'buy', 1, 1, 1],
        [2, '2', null, 'sell', 1, -1, 1],
      ]),
    );
    expect(thrown(() => [...readTrades(path)])).toMatchObject({
      code: 'CONCORD_ERR_DATA_PARSE',
      details: { line: 2 },
    });
  });
});

describe('readRecording', () => {
  it('detects formats from names and content', () => {
    expect(detectFormat(dataFile(BINANCE.spot))).toBe('binance-feed');
    expect(detectFormat(dataFile('candles/freqtrade/XRP_ETH-trades.json.gz'))).toBe('trades');
    expect(detectFormat(dataFile('candles/freqtrade/futures/XRP_USDT_USDT-8h-funding_rate.json'))).toBe(
      'funding',
    );
    expect(detectFormat(dataFile('candles/btc-perp-1m-2022-01.csv'))).toBe('candles');
    const path = `${tmpDir()}/mystery.bin`;
    writeFileSync(path, 'hello');
    expect(thrown(() => detectFormat(path)).code).toBe('CONCORD_ERR_DATA_FORMAT');
  });

  it('merges several sources into one stream in time order, each source keeping its own order', () => {
    const events = [
      ...readRecording(
        [dataFile('candles/freqtrade/XRP_ETH-1m.json'), dataFile('candles/freqtrade/XRP_ETH-trades.json.gz')],
        {
          instrumentIds: {},
        },
      ),
    ];
    expect(events.length).toBe(3560 + 12_477);
    for (let i = 1; i < events.length; i++)
      expect((events[i]?.ts as number) >= (events[i - 1]?.ts as number)).toBe(true);
  });

  it('merges the three Binance feeds by receive time and keeps each feed complete', () => {
    const counts = new Map<string, number>();
    for (const e of readRecording([
      dataFile(BINANCE.spot),
      dataFile(BINANCE.usdm),
      dataFile(BINANCE.coinm),
    ])) {
      counts.set(e.instrumentId, (counts.get(e.instrumentId) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({
      'binance-spot:BTCUSDT': 41_249,
      'binance-usdm:BTCUSDT': 93_954,
      'binance-coinm:BTCUSD_PERP': 48_270,
    });
  }, 120_000);
});

describe('plainUtcTime (the CSV reader fast path)', () => {
  it('agrees with parseTime on every string it accepts, and declines the rest', async () => {
    const fc = await import('fast-check');
    const { plainUtcTime } = await import('../../src/data/readers/candles.ts');
    const padded = (min: number, max: number, width: number) =>
      fc.integer({ min, max }).map((v) => String(v).padStart(width, '0'));
    const shaped = fc
      .tuple(
        fc.oneof(padded(1899, 2101, 4), padded(0, 9999, 4)),
        padded(0, 13, 2),
        padded(0, 32, 2),
        fc.constantFrom(' ', 'T', 'x'),
        padded(0, 24, 2),
        padded(0, 60, 2),
        padded(0, 60, 2),
        fc.constantFrom('', '.', '.000000', '.5', '.123456789', 'Z', '+01:00', ' '),
      )
      .map(([y, mo, d, sep, h, mi, s, tail]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${tail}`);
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(shaped, fc.string()), (text) => {
        const fast = plainUtcTime(text);
        if (Number.isNaN(fast)) return;
        accepted++;
        expect(fast).toBe(parseTime(text));
      }),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(100);
    expect(plainUtcTime('2021-12-31 23:01:00.000000')).toBe(Date.UTC(2021, 11, 31, 23, 1, 0));
    expect(plainUtcTime('2023-02-29 00:00:00')).toBeNaN();
    expect(plainUtcTime('0000-02-29 00:00:00')).toBeNaN();
    expect(plainUtcTime('2021-12-31 23:01:00Z')).toBeNaN();
  });
});
