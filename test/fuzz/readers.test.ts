/**
 * Fuzz: every recording format the readers take. Real samples (the heads of files under
 * ../shared/data, read in place, never copied into the repository) and a Concord recording made
 * here are mutated (bit flips, truncation, dropped / repeated / swapped lines, numbers replaced by
 * junk, BOM, CRLF, blank and garbage lines, gzip, odd file names) and read to the end:
 *  - a coded CONCORD_ERR_DATA_* answer, or events that are all valid (finite times within what a
 *    date can hold, in time order, positive prices, consistent bars, non-negative sizes);
 *  - a sample of them runs a backtest in process: when the reader refused the data, the backtest
 *    refuses it with the same code (no trade on data that failed validation); when it ran, every
 *    fill lies within the prices the data showed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecording } from '../../src/data/index.ts';
import type { MarketEvent } from '../../src/model/index.ts';
import { backtestConfig, recordSource, runBacktest, sandboxRecordingSource } from '../../src/modes/index.ts';
import { ROOT, tempDir } from '../helpers/cli.ts';
import { codeOf, runs, Tally } from './harness.ts';

const DATA = join(ROOT, '..', 'shared', 'data');
const scratch = tempDir('concord-fuzz-readers-');
let serial = 0;

interface Sample {
  readonly kind: string;
  /** File name the format is recognised by. */
  readonly name: string;
  readonly lines: string[];
  /** A foreign file: no reader takes it, a coded refusal is the only right answer. */
  readonly foreign?: boolean;
  /** Agents a backtest of it runs. */
  readonly agents: unknown[];
}

const SMA = [{ id: 'sma', type: 'sma-cross', config: { fast: 3, slow: 8 } }];
const MOMENTUM = [
  { id: 'mom', type: 'momentum', config: { lookback: 5, quantity: 0.01, maxPosition: 0.05 } },
];

function text(path: string): string {
  const raw = readFileSync(path);
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
}

/** The first `n` records of a JSON array file, one record per line (so line edits hit records). */
function jsonHead(path: string, n: number): string[] {
  const records = (JSON.parse(text(path)) as unknown[]).slice(0, n);
  return ['[', ...records.map((r, i) => `${JSON.stringify(r)}${i < records.length - 1 ? ',' : ''}`), ']'];
}

const samples: Sample[] = [];

beforeAll(async () => {
  const head = (path: string, n: number) => text(path).split('\n').slice(0, n);
  samples.push(
    {
      kind: 'binance feed (spot)',
      name: 'spot_btcusdt.gz',
      lines: head(join(DATA, 'binance-ws-20240808', 'spot_btcusdt.gz'), 400),
      agents: MOMENTUM,
    },
    {
      kind: 'binance feed (usdm)',
      name: 'usdm_btcusdt.gz',
      lines: head(join(DATA, 'binance-ws-20240808', 'usdm_btcusdt.gz'), 300),
      agents: MOMENTUM,
    },
    {
      kind: 'candles CSV',
      name: 'btc-perp-1m.csv',
      lines: head(join(DATA, 'candles', 'btc-perp-1m-2022-01.csv'), 150),
      agents: SMA,
    },
    {
      kind: 'candles JSON arrays',
      name: 'XRP_ETH-5m.json',
      lines: jsonHead(join(DATA, 'candles', 'freqtrade', 'XRP_ETH-5m.json'), 120),
      agents: SMA,
    },
    {
      kind: 'candles JSON objects',
      name: 'bybit_BTCUSDT-perp_15m_candles.json',
      lines: jsonHead(join(DATA, 'candles', 'bybit_BTCUSDT-perp_15m_candles.json'), 80),
      agents: SMA,
    },
    {
      kind: 'mark-price candles',
      name: 'XRP_USDT_USDT-8h-mark.json',
      lines: jsonHead(join(DATA, 'candles', 'freqtrade', 'futures', 'XRP_USDT_USDT-8h-mark.json'), 60),
      agents: SMA,
    },
    {
      kind: 'trades',
      name: 'XRP_ETH-trades.json',
      lines: jsonHead(join(DATA, 'candles', 'freqtrade', 'XRP_ETH-trades.json.gz'), 200),
      agents: MOMENTUM,
    },
    {
      kind: 'funding',
      name: 'XRP_USDT_USDT-8h-funding_rate.json',
      lines: jsonHead(
        join(DATA, 'candles', 'freqtrade', 'futures', 'XRP_USDT_USDT-8h-funding_rate.json'),
        60,
      ),
      agents: [{ id: 'basis', type: 'spot-perp-basis', config: {} }],
    },
    {
      kind: 'foreign: kraken trades CSV',
      name: 'kraken_trades_BCHEUR.csv',
      lines: head(join(DATA, 'candles', 'freqtrade', 'kraken_trades_BCHEUR.csv'), 100),
      foreign: true,
      agents: SMA,
    },
    {
      kind: 'foreign: coinbase websocket capture',
      name: 'COINBASE.ws.28.0.gz',
      lines: head(join(DATA, 'venue-samples', 'COINBASE.ws.28.0.gz'), 60),
      foreign: true,
      agents: MOMENTUM,
    },
  );
  const recording = join(scratch, 'sandbox.concord.ndjson.gz');
  await recordSource(recording, sandboxRecordingSource({ seed: 5, durationMs: 20_000 }), 'fuzz');
  samples.push({
    kind: 'concord recording',
    name: 'sandbox.concord.ndjson.gz',
    lines: text(recording).split('\n').slice(0, 300),
    agents: MOMENTUM,
  });
}, 120_000);

const JUNK_NUMBERS = [
  'NaN',
  '-1',
  '0',
  '-0',
  '1e309',
  '-1e309',
  '1e-30',
  '1e20',
  '99999999999999999999',
  '',
  'abc',
  'null',
  '"7"',
  '0x10',
  '1.2.3',
  '٣',
];
const NAMES = [
  'x.csv',
  '-1m.csv',
  '..csv',
  'BTC USDT-1m.csv',
  'é-5m.json',
  'trades-.json',
  '1m.csv',
  'a-0m.csv',
  'funding.json',
];

type Edit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'drop' | 'repeat' | 'blank'; line: number }
  | { op: 'swap'; line: number; other: number }
  | { op: 'number'; line: number; which: number; value: string }
  | { op: 'garbage'; line: number; text: string }
  | { op: 'bom' | 'crlf' | 'none' }
  | { op: 'rename'; name: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constantFrom('drop' as const, 'repeat' as const, 'blank' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), line: fc.nat(), other: fc.nat() }),
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('number' as const),
      line: fc.nat(),
      which: fc.nat(),
      value: fc.constantFrom(...JUNK_NUMBERS),
    }),
  },
  fc.record({ op: fc.constant('garbage' as const), line: fc.nat(), text: fc.string({ maxLength: 20 }) }),
  fc.record({ op: fc.constantFrom('bom' as const, 'crlf' as const, 'none' as const) }),
  fc.record({ op: fc.constant('rename' as const), name: fc.constantFrom(...NAMES) }),
);

/** Applies edits to a sample; returns the file's bytes and name. */
function apply(sample: Sample, edits: readonly Edit[], gzip: boolean): { bytes: Buffer; name: string } {
  let lines = [...sample.lines];
  let name = sample.name;
  let bom = false;
  let eol = '\n';
  const pick = (n: number) => (lines.length === 0 ? 0 : n % lines.length);
  const byteEdits: Edit[] = [];
  for (const e of edits) {
    switch (e.op) {
      case 'drop':
        lines.splice(pick(e.line), 1);
        break;
      case 'repeat':
        lines.splice(pick(e.line), 0, lines[pick(e.line)] ?? '');
        break;
      case 'blank':
        lines.splice(pick(e.line), 0, '');
        break;
      case 'swap': {
        const a = pick(e.line);
        const b = pick(e.other);
        [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
        break;
      }
      case 'number': {
        const i = pick(e.line);
        const numbers = [...(lines[i] ?? '').matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
        const m = numbers[e.which % Math.max(1, numbers.length)];
        if (m?.index !== undefined)
          lines[i] =
            `${(lines[i] as string).slice(0, m.index)}${e.value}${(lines[i] as string).slice(m.index + m[0].length)}`;
        break;
      }
      case 'garbage':
        lines.splice(pick(e.line), 0, e.text);
        break;
      case 'bom':
        bom = true;
        break;
      case 'crlf':
        eol = '\r\n';
        break;
      case 'rename':
        if (!sample.kind.startsWith('binance') && !sample.kind.startsWith('concord')) name = e.name;
        break;
      default:
        byteEdits.push(e);
    }
  }
  lines = lines.filter((l) => l !== undefined);
  let bytes = Buffer.from(`${bom ? '\uFEFF' : ''}${lines.join(eol)}${eol}`);
  const gz = gzip || name.endsWith('.gz');
  for (const e of byteEdits) {
    if (e.op === 'flip' && bytes.length > 0 && !gz) {
      bytes = Buffer.from(bytes);
      const at = e.at % bytes.length;
      bytes[at] = (bytes[at] as number) ^ (1 << e.bit);
    }
    if (e.op === 'truncate' && !gz) bytes = bytes.subarray(0, e.at % (bytes.length + 1));
  }
  if (!gz) return { bytes, name };
  let zipped = gzipSync(bytes);
  // On a gzip file, flips and cuts hit the compressed bytes.
  for (const e of byteEdits) {
    if (e.op === 'flip' && zipped.length > 0) {
      zipped = Buffer.from(zipped);
      const at = e.at % zipped.length;
      zipped[at] = (zipped[at] as number) ^ (1 << e.bit);
    }
    if (e.op === 'truncate') zipped = zipped.subarray(0, e.at % (zipped.length + 1));
  }
  return { bytes: zipped, name: name.endsWith('.gz') ? name : `${name}.gz` };
}

/** The end of year 9999: later times cannot be written as ISO dates. */
const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** What every accepted event must satisfy; returns a problem or undefined. */
function invalid(e: MarketEvent, previousTs: number): string | undefined {
  const pos = (x: number) => Number.isFinite(x) && x > 0;
  const nonNeg = (x: number) => Number.isFinite(x) && x >= 0;
  if (!Number.isFinite(e.ts) || e.ts < 0 || e.ts > MAX_DATE_MS)
    return `time ${e.ts} outside what a date can hold`;
  if (e.ts < previousTs) return `time ${e.ts} before ${previousTs}`;
  if (typeof e.instrumentId !== 'string' || !/^[^:\s]+:.*[A-Za-z0-9]/.test(e.instrumentId))
    return `instrument id ${JSON.stringify(e.instrumentId)}`;
  switch (e.type) {
    case 'bar':
      if (![e.open, e.high, e.low, e.close].every(pos) || !nonNeg(e.volume)) return 'bar with a bad number';
      if (e.high < Math.max(e.open, e.close) || e.low > Math.min(e.open, e.close)) return 'inconsistent bar';
      if (!pos(e.intervalMs)) return 'bar interval';
      return undefined;
    case 'trade':
      return pos(e.price) && pos(e.size) ? undefined : 'trade with a bad price or size';
    case 'quote':
      return [e.bid, e.ask].every(pos) && [e.bidSize, e.askSize].every(nonNeg) ? undefined : 'bad quote';
    case 'funding':
      return Number.isFinite(e.rate) && (e.markPrice === undefined || pos(e.markPrice))
        ? undefined
        : 'bad funding';
    case 'book.snapshot':
    case 'book.delta':
      return [...e.bids, ...e.asks].every(([p, s]) => pos(p) && nonNeg(s)) ? undefined : 'bad book level';
    default:
      return undefined;
  }
}

interface Read {
  readonly outcome: string;
  readonly events: number;
  readonly low: number;
  readonly high: number;
}

function read(path: string): Read {
  let events = 0;
  let previous = Number.NEGATIVE_INFINITY;
  let low = Number.POSITIVE_INFINITY;
  let high = 0;
  try {
    for (const e of readRecording([path], { binance: { timestamps: 'receive' } })) {
      const problem = invalid(e, previous);
      if (problem !== undefined)
        throw new Error(`accepted an invalid event (${problem}): ${JSON.stringify(e)}`);
      previous = e.ts;
      events++;
      const prices =
        e.type === 'bar'
          ? [e.low, e.high]
          : e.type === 'trade'
            ? [e.price]
            : e.type === 'quote'
              ? [e.bid, e.ask]
              : e.type === 'book.snapshot' || e.type === 'book.delta'
                ? [...e.bids, ...e.asks].map(([p]) => p)
                : [];
      for (const p of prices) {
        low = Math.min(low, p);
        high = Math.max(high, p);
      }
    }
    return { outcome: 'ok', events, low, high };
  } catch (err) {
    return { outcome: codeOf(err), events, low, high };
  }
}

const tallies = new Map<string, Tally>();
const tallyOf = (name: string) => {
  let t = tallies.get(name);
  if (t === undefined) {
    t = new Tally(name);
    tallies.set(name, t);
  }
  return t;
};
afterAll(() => {
  for (const t of tallies.values()) t.report();
  rmSync(scratch, { recursive: true, force: true });
});

function write(sampleIndex: number, edits: readonly Edit[], gzip: boolean): { sample: Sample; path: string } {
  const sample = samples[sampleIndex % samples.length] as Sample;
  const { bytes, name } = apply(sample, edits, gzip);
  const dir = join(scratch, `in-${++serial}`);
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { sample, path };
}

describe('fuzz: recordings', () => {
  it('the unmutated samples read cleanly (foreign ones are refused)', () => {
    for (const [i, sample] of samples.entries()) {
      const { path } = write(i, [], false);
      const r = read(path);
      if (sample.foreign) expect(r.outcome, sample.kind).not.toBe('ok');
      else {
        expect(r.outcome, sample.kind).toBe('ok');
        expect(r.events, sample.kind).toBeGreaterThan(10);
      }
    }
  });

  it('mutated recordings: a coded DATA error, or events that are all valid', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (s, edits, gzip) => {
          const { sample, path } = write(s, edits, gzip && edits.length % 2 === 0);
          const r = read(path);
          tallyOf(`readers: ${sample.kind}`).add(r.outcome);
          if (r.outcome !== 'ok') expect(r.outcome).toMatch(/^CONCORD_ERR_(DATA_|BOOK_)/);
          if (sample.foreign)
            expect(r.outcome === 'ok' && r.events > 0, `${sample.kind} accepted`).toBe(false);
        },
      ),
      runs(2000, 12_000),
    );
  }, 300_000);

  it('backtests of mutated recordings: refused data is never traded, fills stay within the data', async () => {
    const tally = tallyOf('readers: mutated recordings through a backtest');
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 2 }), async (s, edits) => {
        const { sample, path } = write(s, edits, false);
        const r = read(path);
        let outcome: string;
        let fills: Array<{ price: number }> = [];
        try {
          const result = await runBacktest({
            data: [path],
            config: backtestConfig({ agents: sample.agents }),
            journalDir: join(scratch, `journal-${++serial}`),
          });
          outcome = 'ok';
          fills = [...result.trades];
        } catch (err) {
          outcome = codeOf(err);
        }
        tally.add(`${outcome}${outcome === 'ok' ? ` (${fills.length > 0 ? 'traded' : 'no trade'})` : ''}`);
        if (r.outcome !== 'ok') {
          // Refused by the reader: the backtest refuses too (an agent/data mismatch may come first).
          expect(
            outcome === r.outcome || outcome === 'CONCORD_ERR_BACKTEST_AGENT_NO_DATA',
            `${outcome} vs reader ${r.outcome}`,
          ).toBe(true);
        } else if (outcome === 'ok') {
          for (const f of fills) {
            expect(f.price, 'fill price inside the data').toBeGreaterThanOrEqual(r.low * 0.5);
            expect(f.price, 'fill price inside the data').toBeLessThanOrEqual(r.high * 1.5);
          }
        }
      }),
      runs(80, 15_000),
    );
    expect(tally.inputs).toBeGreaterThan(5);
  }, 300_000);
});
