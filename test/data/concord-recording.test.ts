import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONCORD_RECORDING_FORMAT,
  isValidConcordEvent,
  parseConcordEvent,
  readConcordHeader,
  readConcordRecording,
} from '../../src/data/readers/concord.ts';
import { SkipLog } from '../../src/data/readers/errors.ts';
import { detectFormat, readRecording } from '../../src/data/readers/recording.ts';
import { ConcordRecordingWriter } from '../../src/data/recording-writer.ts';
import type { MarketEvent } from '../../src/model/index.ts';
import { spotInstrument } from '../../src/model/index.ts';
import { backtestConfig, runBacktest } from '../../src/modes/backtest.ts';
import { recordSource, sandboxRecordingSource } from '../../src/modes/record.ts';
import { SyntheticMarket } from '../../src/venues/index.ts';
import { tmpDir } from './helpers.ts';

const MINUTE = 60_000;
const HEADER = {
  createdBy: 'test',
  source: { kind: 'test' },
  instruments: [
    spotInstrument({
      venue: 'x',
      symbol: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      tickSize: '0.01',
      lotSize: '0.001',
    }),
  ],
};

function caught(fn: () => unknown): { code?: string; details?: Record<string, unknown>; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; details?: Record<string, unknown>; message?: string };
  }
  throw new Error('expected an error, none was thrown');
}

function readAll(path: string): MarketEvent[] {
  return [...readConcordRecording(path)];
}

/** Rewrites a recording's decompressed lines (line 1 = header) and gzips it again. */
function rewrite(from: string, to: string, edit: (lines: string[]) => string[]): string {
  const lines = gunzipSync(readFileSync(from)).toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  writeFileSync(to, gzipSync(`${edit(lines).join('\n')}\n`));
  return to;
}

describe('concord-recording/1: sandbox round trip', () => {
  let dir: string;
  let path: string;
  let recorded: Awaited<ReturnType<typeof recordSource>>;

  beforeAll(async () => {
    dir = tmpDir();
    path = join(dir, 'sandbox.concord.ndjson.gz');
    recorded = await recordSource(path, sandboxRecordingSource({ seed: 11, durationMs: MINUTE }), 'test');
  });

  it('reads back exactly the events a fresh SyntheticMarket with the same seed produces', () => {
    const header = readConcordHeader(path);
    expect(header.format).toBe(CONCORD_RECORDING_FORMAT);
    expect(header.source).toMatchObject({
      kind: 'sandbox',
      seed: 11,
      tickMs: 100,
      steps: 600,
      durationMs: MINUTE,
    });
    const market = new SyntheticMarket({ seed: 11, startTs: header.source.startTs as number, tickMs: 100 });
    const fresh = [...market.stream(600)];
    const read = readAll(path);
    expect(read.length).toBe(recorded.events);
    expect(read.length).toBeGreaterThan(1000);
    expect(read).toStrictEqual(fresh);
    expect(recorded).toMatchObject({ instruments: 3, durationMs: MINUTE, interrupted: false });
  });

  it('keeps the instruments in the header, Decimals exact', () => {
    const market = new SyntheticMarket({ seed: 11, startTs: 0 });
    const header = readConcordHeader(path);
    expect(header.instruments).toEqual(market.instruments());
    expect(header.instruments[0]?.kind).toBe('spot');
    expect(String((header.instruments[0] as { takerFee: unknown }).takerFee)).toBe('0.0005');
  });

  it('is byte-identical for the same seed and duration (sha256 of the file as written)', async () => {
    const again = join(dir, 'again.concord.ndjson.gz');
    const second = await recordSource(
      again,
      sandboxRecordingSource({ seed: 11, durationMs: MINUTE }),
      'test',
    );
    expect(second.sha256).toBe(recorded.sha256);
    expect(readFileSync(again).equals(readFileSync(path))).toBe(true);
    const other = await recordSource(
      join(dir, 'other.concord.ndjson.gz'),
      sandboxRecordingSource({ seed: 12, durationMs: MINUTE }),
      'test',
    );
    expect(other.sha256).not.toBe(recorded.sha256);
  });

  it('is recognised by detectFormat, by name and by content, and replays through readRecording', () => {
    expect(detectFormat(path)).toBe('concord');
    const renamed = join(dir, 'no-hint.gz');
    writeFileSync(renamed, readFileSync(path));
    expect(detectFormat(renamed)).toBe('concord');
    expect([...readRecording([renamed])]).toStrictEqual(readAll(path));
  });

  it('replays through runBacktest (the desk sees every recorded event)', async () => {
    const result = await runBacktest({
      data: [path],
      config: backtestConfig({}),
      journalDir: join(dir, 'journal'),
    });
    expect(result.files[0]?.format).toBe('concord');
    expect(result.events).toBe(recorded.events);
    expect(result.books.map((b) => b.instrumentId).sort()).toEqual([
      'sim-a:BTC-USDT',
      'sim-b:BTC-USDT',
      'sim-c:BTC-USDT',
    ]);
    expect(result.books.every((b) => b.gaps === 0)).toBe(true);
  }, 60_000);

  it('names the file and line of a truncated gzip stream', () => {
    const raw = readFileSync(path);
    const cut = join(dir, 'cut.concord.ndjson.gz');
    writeFileSync(cut, raw.subarray(0, Math.floor(raw.length * 0.6)));
    const err = caught(() => readAll(cut));
    expect(err.code).toBe('CONCORD_ERR_DATA_PARSE');
    expect(err.details?.file).toBe(cut);
    expect(err.details?.line).toBeGreaterThan(100);
    expect(err.details?.line).toBeLessThan(recorded.events);
    expect(String(err.details?.reason)).toMatch(/truncated/);
  });

  it.each([
    ['a NaN price', (l: string) => l.replace(/"bids":\[\[[\d.]+/, '"bids":[[NaN'), /JSON/],
    [
      'a null price (NaN written by JSON.stringify)',
      (l: string) => l.replace(/"bids":\[\[[\d.]+/, '"bids":[[null'),
      /bids/,
    ],
    ['a negative price', (l: string) => l.replace(/"bids":\[\[([\d.]+)/, '"bids":[[-$1'), /bids\.0\.0/],
    [
      'an unknown type',
      (l: string) => l.replace('"type":"book.delta"', '"type":"book.teleport"'),
      /unknown event type "book\.teleport"/,
    ],
    ['a missing field', (l: string) => l.replace(/"sequence":\d+,/, ''), /sequence/],
    ['an extra field', (l: string) => l.replace('{', '{"extra":1,'), /extra/],
  ])('refuses %s with CONCORD_ERR_DATA_PARSE naming the line', (_what, corrupt, reason) => {
    let corruptedLine = 0;
    const bad = rewrite(path, join(dir, 'bad.concord.ndjson.gz'), (lines) => {
      // The first delta with bids after line 40; line numbers are 1-based and line 1 is the header.
      const index = lines.findIndex(
        (l, i) => i >= 40 && l.includes('"book.delta"') && l.includes('"bids":[['),
      );
      lines[index] = corrupt(lines[index] as string);
      corruptedLine = index + 1;
      return lines;
    });
    expect(corruptedLine).toBeGreaterThan(40);
    const err = caught(() => readAll(bad));
    expect(err.code).toBe('CONCORD_ERR_DATA_PARSE');
    expect(err.details).toMatchObject({ file: bad, line: corruptedLine });
    expect(String(err.details?.reason)).toMatch(reason);
    expect(err.message).toContain(`${bad}:${err.details?.line}:`);
  });

  it('refuses a timestamp going backwards, naming the line', () => {
    const bad = rewrite(path, join(dir, 'backwards.concord.ndjson.gz'), (lines) => {
      lines[100] = (lines[100] as string).replace(/"ts":\d+/, '"ts":1');
      return lines;
    });
    const err = caught(() => readAll(bad));
    expect(err.code).toBe('CONCORD_ERR_DATA_OUT_OF_ORDER');
    expect(err.details).toMatchObject({ file: bad, line: 101, current: 1 });
  });

  it('refuses a bad header on line 1', () => {
    const other = rewrite(path, join(dir, 'v2.concord.ndjson.gz'), (lines) => {
      lines[0] = (lines[0] as string).replace(CONCORD_RECORDING_FORMAT, 'concord-recording/2');
      return lines;
    });
    expect(caught(() => readAll(other)).details).toMatchObject({ line: 1, file: other });
    expect(caught(() => readConcordHeader(other)).code).toBe('CONCORD_ERR_DATA_PARSE');
    const badTick = rewrite(path, join(dir, 'tick.concord.ndjson.gz'), (lines) => {
      lines[0] = (lines[0] as string).replace('"tickSize":"0.01"', '"tickSize":"-0.01"');
      return lines;
    });
    const err = caught(() => readConcordHeader(badTick));
    expect(err.code).toBe('CONCORD_ERR_DATA_PARSE');
    expect(String(err.details?.reason)).toMatch(/instruments\.0\.tickSize/);
    const empty = join(dir, 'empty.concord.ndjson.gz');
    writeFileSync(empty, gzipSync(''));
    expect(caught(() => readAll(empty)).details).toMatchObject({ line: 1 });
  });

  it('skips and counts bad event lines in lenient mode', () => {
    const bad = rewrite(path, join(dir, 'lenient.concord.ndjson.gz'), (lines) => {
      lines[10] = '{"type":"nope"}';
      lines[20] = 'not json';
      return lines;
    });
    const skipped = new SkipLog();
    const events = [...readConcordRecording(bad, { lenient: true, skipped })];
    expect(events.length).toBe(recorded.events - 2);
    expect(skipped.count).toBe(2);
    expect(skipped.first.map((s) => s.line)).toEqual([11, 21]);
  });

  it('an interrupted recording (abort signal) is still a complete, readable file', async () => {
    const controller = new AbortController();
    const cut = join(dir, 'interrupted.concord.ndjson.gz');
    const result = await recordSource(
      cut,
      sandboxRecordingSource({ seed: 11, durationMs: 10 * MINUTE }),
      'test',
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= 0.2) controller.abort();
        },
      },
    );
    expect(result.interrupted).toBe(true);
    expect(result.durationMs).toBeLessThan(10 * MINUTE);
    expect(result.durationMs).toBeGreaterThanOrEqual(2 * MINUTE);
    const events = readAll(cut);
    expect(events.length).toBe(result.events);
    // A prefix of the full run with the same seed.
    expect(events.slice(0, 1000)).toStrictEqual(readAll(path).slice(0, 1000));
  });

  it('names a missing file with CONCORD_ERR_DATA_FILE', () => {
    expect(caught(() => readAll(join(dir, 'absent.concord.ndjson.gz'))).code).toBe('CONCORD_ERR_DATA_FILE');
    expect(caught(() => readConcordHeader(join(dir, 'absent.concord.ndjson.gz'))).code).toBe(
      'CONCORD_ERR_DATA_FILE',
    );
  });
});

describe('ConcordRecordingWriter', () => {
  it('refuses to overwrite a file unless forced, and leaves no partial file behind', async () => {
    const dir = tmpDir();
    const path = join(dir, 'x.concord.ndjson.gz');
    writeFileSync(path, 'precious');
    await expect(ConcordRecordingWriter.open(path, HEADER)).rejects.toMatchObject({
      code: 'CONCORD_ERR_RECORDING_EXISTS',
    });
    expect(readFileSync(path, 'utf8')).toBe('precious');
    const writer = await ConcordRecordingWriter.open(path, HEADER, { force: true });
    expect(readFileSync(path, 'utf8')).toBe('precious');
    writer.write(trade(1, 100));
    const result = await writer.close();
    expect(result.events).toBe(1);
    expect(existsSync(`${path}.partial`)).toBe(false);
    expect(readAll(path)).toEqual([trade(1, 100)]);
  });

  it('fails with CONCORD_ERR_RECORDING_WRITE when the directory does not exist', async () => {
    await expect(
      ConcordRecordingWriter.open(join(tmpDir(), 'missing', 'x.concord.ndjson.gz'), HEADER),
    ).rejects.toMatchObject({
      code: 'CONCORD_ERR_RECORDING_WRITE',
    });
  });

  it('refuses events out of time order, and abort() removes the partial file', async () => {
    const path = join(tmpDir(), 'x.concord.ndjson.gz');
    const writer = await ConcordRecordingWriter.open(path, HEADER);
    writer.write(trade(5, 100));
    expect(() => writer.write(trade(4, 100))).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_DATA_OUT_OF_ORDER' }),
    );
    await writer.abort();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('flush() makes everything written so far readable in the partial file', async () => {
    const path = join(tmpDir(), 'x.concord.ndjson.gz');
    const writer = await ConcordRecordingWriter.open(path, HEADER);
    writer.write(trade(1, 100));
    writer.write(trade(2, 101));
    await writer.flush();
    const text = gunzipSync(readFileSync(`${path}.partial`), { finishFlush: 2 }).toString();
    expect(text.trim().split('\n')).toHaveLength(3);
    await writer.close();
    await expect(writer.close()).rejects.toMatchObject({ code: 'CONCORD_ERR_RECORDING_WRITE' });
  });

  it('round-trips any valid event stream (property), through several gzip chunks', async () => {
    const dir = tmpDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArbitrary(), { maxLength: 300 }),
        fc.integer({ min: 0, max: 1 }),
        async (events, copies) => {
          const sorted = [...events].sort((a, b) => a.ts - b.ts);
          // Occasionally repeat the stream to cross the 64 KiB buffer.
          const stream =
            copies === 0 ? sorted : [...sorted, ...sorted.map((e) => ({ ...e, ts: e.ts + 2e12 }))];
          const path = join(dir, `p${run++}.concord.ndjson.gz`);
          const writer = await ConcordRecordingWriter.open(path, HEADER);
          for (const e of stream) if (!writer.write(e)) await writer.drain();
          const result = await writer.close();
          expect(result.events).toBe(stream.length);
          // fast-check's records have no prototype; compare contents and the exact JSON.
          const read = readAll(path);
          expect(read).toEqual(stream);
          expect(JSON.stringify(read)).toBe(JSON.stringify(stream));
          rmSync(path);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('event validation', () => {
  it('the fast check accepts exactly what the zod schema accepts (property over valid and mutated events)', () => {
    fc.assert(
      fc.property(eventArbitrary(), mutationArbitrary(), (event, mutate) => {
        const raw = JSON.parse(
          JSON.stringify(mutate(event as unknown as Record<string, unknown>)),
        ) as unknown;
        let zodAccepts = true;
        try {
          parseConcordEvent('f', 2, JSON.stringify(raw));
        } catch {
          zodAccepts = false;
        }
        expect(isValidConcordEvent(raw)).toBe(zodAccepts);
      }),
      { numRuns: 3000 },
    );
  });

  it('a field named like an Object.prototype member is still an unknown field', () => {
    const raw = { ...trade(1, 100), constructor: 1 };
    expect(isValidConcordEvent(raw)).toBe(false);
    expect(() => parseConcordEvent('f', 2, JSON.stringify(raw))).toThrow(/constructor|Unrecognized/);
  });
});

// ---------------------------------------------------------------- arbitraries

function trade(ts: number, price: number): MarketEvent {
  return {
    type: 'trade',
    ts,
    instrumentId: 'x:BTC-USDT',
    price,
    size: 1,
    aggressor: 'buy',
    tradeId: `t${ts}`,
  };
}

const tsArb = fc.integer({ min: 0, max: 2e12 });
const priceArb = fc.double({ min: 1e-8, max: 1e9, noNaN: true, noDefaultInfinity: true });
const amountArb = fc
  .double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true })
  .map((x) => (Object.is(x, -0) ? 0 : x));
const seqArb = fc.integer({ min: 0, max: 1e12 });
const idArb = fc.constantFrom('sim-a:BTC-USDT', 'binance-spot:BTCUSDT', 'x:ü');
const levelsArb = fc.array(fc.tuple(priceArb, amountArb), { maxLength: 5 });
const unitsArb = fc.bigInt({ min: 0n, max: 2n ** 160n }).map(String);

function eventArbitrary(): fc.Arbitrary<MarketEvent> {
  const base = { ts: tsArb, instrumentId: idArb };
  return fc.oneof(
    fc.record({
      type: fc.constant('book.snapshot' as const),
      ...base,
      sequence: seqArb,
      bids: levelsArb,
      asks: levelsArb,
    }),
    fc.record(
      {
        type: fc.constant('book.delta' as const),
        ...base,
        firstSequence: seqArb,
        sequence: seqArb,
        previousSequence: seqArb,
        bids: levelsArb,
        asks: levelsArb,
      },
      { requiredKeys: ['type', 'ts', 'instrumentId', 'firstSequence', 'sequence', 'bids', 'asks'] },
    ),
    fc.record(
      {
        type: fc.constant('quote' as const),
        ...base,
        bid: priceArb,
        bidSize: amountArb,
        ask: priceArb,
        askSize: amountArb,
        sequence: seqArb,
      },
      { requiredKeys: ['type', 'ts', 'instrumentId', 'bid', 'bidSize', 'ask', 'askSize'] },
    ),
    fc.record({
      type: fc.constant('trade' as const),
      ...base,
      price: priceArb,
      // A trade has a size (the reader refuses 0); book levels may be 0 (a deletion).
      size: fc.double({ min: 1e-12, max: 1e9, noNaN: true, noDefaultInfinity: true }),
      aggressor: fc.constantFrom('buy' as const, 'sell' as const, 'unknown' as const),
      tradeId: fc.string(),
    }),
    fc.record({
      type: fc.constant('bar' as const),
      ...base,
      intervalMs: fc.integer({ min: 1, max: 86_400_000 }),
      open: priceArb,
      high: priceArb,
      low: priceArb,
      close: priceArb,
      volume: amountArb,
    }),
    fc.record(
      {
        type: fc.constant('funding' as const),
        ...base,
        rate: fc.double({ min: -1, max: 1, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x)), // JSON has no -0
        markPrice: priceArb,
        nextFundingTs: tsArb,
      },
      { requiredKeys: ['type', 'ts', 'instrumentId', 'rate'] },
    ),
    fc.record(
      {
        type: fc.constant('pool' as const),
        ...base,
        blockNumber: seqArb,
        reserve0: unitsArb,
        reserve1: unitsArb,
        sqrtPriceX96: unitsArb,
        liquidity: unitsArb,
        tick: fc.integer({ min: -887272, max: 887272 }),
        blockHash: fc
          .uint8Array({ minLength: 32, maxLength: 32 })
          .map((b) => `0x${Buffer.from(b).toString('hex')}`),
        ticks: fc.array(
          fc.record({
            index: fc.integer({ min: -887272, max: 887272 }),
            liquidityNet: fc.bigInt({ min: -(2n ** 128n), max: 2n ** 128n }).map(String),
          }),
          { maxLength: 4 },
        ),
      },
      { requiredKeys: ['type', 'ts', 'instrumentId', 'blockNumber'] },
    ),
    fc.record({
      type: fc.constant('lending' as const),
      ...base,
      supplyApy: amountArb,
      borrowApy: amountArb,
      utilization: amountArb,
    }),
  ) as fc.Arbitrary<MarketEvent>;
}

type Mutation = (event: Record<string, unknown>) => unknown;

const weirdValue = fc.oneof(
  fc.constantFrom(
    null,
    -1,
    0,
    1.5,
    -0.001,
    2 ** 53,
    '',
    'x',
    '12',
    true,
    [],
    {},
    [1],
    [[1, 2]],
    [[1, -2]],
    [[0, 1]],
    [[1, 2, 3]],
    'buy',
    'book.delta',
    1e308 * 10,
    [{ index: 60, liquidityNet: '-5' }],
    [{ index: 1.5, liquidityNet: '1' }],
    [{ index: 1, liquidityNet: '1', extra: 0 }],
    [{ index: 1, liquidityNet: '+1' }],
    `0x${'ab'.repeat(32)}`,
    `0x${'AB'.repeat(32)}`,
  ),
  fc.double(),
  fc.string(),
);

function mutationArbitrary(): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.constant<Mutation>((e) => e),
    fc.tuple(fc.nat(20), weirdValue).map(
      ([i, v]): Mutation =>
        (e) => {
          const keys = Object.keys(e);
          return { ...e, [keys[i % keys.length] as string]: v };
        },
    ),
    fc.nat(20).map(
      (i): Mutation =>
        (e) => {
          const keys = Object.keys(e);
          const { [keys[i % keys.length] as string]: _gone, ...rest } = e;
          return rest;
        },
    ),
    fc
      .tuple(
        fc.constantFrom(
          'extra',
          'previousSequence',
          'sequence',
          'markPrice',
          'tick',
          'ticks',
          'blockHash',
          'toString',
        ),
        weirdValue,
      )
      .map(
        ([k, v]): Mutation =>
          (e) => ({ ...e, [k]: v }),
      ),
    fc.constant<Mutation>(() => [1, 2]),
    fc.constant<Mutation>(() => null),
  );
}
