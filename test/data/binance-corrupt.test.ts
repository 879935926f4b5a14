import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BinanceFeedReader,
  BookManager,
  binanceSequenceMode,
  readBinanceFeed,
} from '../../src/data/index.ts';
import { BINANCE, dataFile, gunzipLines, thrown, tmpDir, writeGz } from './helpers.ts';

const ID = 'binance-spot:BTCUSDT';
/** The first 400 lines of the spot recording: snapshot on line 8, deltas, quotes, trades. */
const base = () => gunzipLines(dataFile(BINANCE.spot)).slice(0, 400);
const lineNumberOf = (lines: string[], predicate: (l: string) => boolean, after = 0) =>
  lines.findIndex((l, i) => i >= after && predicate(l)) + 1;
const isDelta = (l: string) => l.includes('@depth');

function replay(path: string, lenient = false) {
  const reader = new BinanceFeedReader([path], { lenient });
  const manager = new BookManager({ modeFor: binanceSequenceMode });
  for (const e of reader.readSync()) manager.apply(e);
  return { reader, manager, stats: manager.stats(ID) };
}

describe('corrupted Binance recordings', () => {
  it('the clean sample replays with no gap (control)', () => {
    const path = writeGz(`${tmpDir()}/spot_btcusdt.gz`, base());
    const { stats } = replay(path);
    expect(stats?.gaps).toBe(0);
    expect(stats?.status).toBe('live');
  });

  it('a line truncated mid-way is a CONCORD_ERR_DATA_PARSE naming the file and that line', () => {
    const lines = base();
    const cut = lines.slice(0, 300);
    cut[299] = (cut[299] as string).slice(0, 80);
    const path = writeGz(`${tmpDir()}/spot_btcusdt.gz`, cut, false);
    const err = thrown(() => replay(path));
    expect(err.code).toBe('CONCORD_ERR_DATA_PARSE');
    expect(err.details).toMatchObject({ file: path, line: 300 });
    expect(String(err.details?.reason)).toMatch(/invalid JSON/);
  });

  it('a gzip stream cut short is a CONCORD_ERR_DATA_PARSE naming the file, in both readers', async () => {
    const dir = tmpDir();
    const full = readFileSync(writeGz(`${dir}/full.gz`, base()));
    const path = `${dir}/spot_btcusdt.gz`;
    writeFileSync(path, full.subarray(0, Math.floor(full.length / 2)));
    const err = thrown(() => replay(path));
    expect(err.code).toBe('CONCORD_ERR_DATA_PARSE');
    expect(err.details?.file).toBe(path);
    let asyncError: { code?: string; details?: Record<string, unknown> } | undefined;
    try {
      for await (const _ of readBinanceFeed([path])) {
        // drain
      }
    } catch (e) {
      asyncError = e as typeof asyncError;
    }
    expect(asyncError?.code).toBe('CONCORD_ERR_DATA_PARSE');
    expect(asyncError?.details?.file).toBe(path);
    expect(asyncError?.details?.line).toBeGreaterThan(1);
  });

  it('a NaN price is a coded error naming the line; lenient mode skips it, counts it, and the book resyncs', () => {
    const lines = base();
    const at = lineNumberOf(lines, isDelta, 20); // a delta after the snapshot
    lines[at - 1] = (lines[at - 1] as string).replace(/"b":\[\["[0-9.]+"/, '"b":[["NaN"');
    expect(lines[at - 1]).toContain('"NaN"');
    const path = writeGz(`${tmpDir()}/spot_btcusdt.gz`, lines);
    const err = thrown(() => replay(path));
    expect(err.code).toBe('CONCORD_ERR_DATA_PARSE');
    expect(err.details).toMatchObject({ file: path, line: at });
    expect(String(err.details?.reason)).toMatch(/invalid bid level 0/);

    const lenient = replay(path, true);
    expect(lenient.reader.skipped.count).toBe(1);
    expect(lenient.reader.skipped.first[0]).toMatchObject({ file: path, line: at });
    expect(lenient.stats?.gaps).toBe(1);
    expect(lenient.stats?.resyncs).toBe(1);
    expect(lenient.stats?.status).toBe('resyncing');
    expect(lenient.manager.isTradable(ID)).toBe(false);
  });

  it('negative and non-numeric sizes and prices are refused too', () => {
    for (const bad of ['"-1.5"', '"abc"', '""', 'null']) {
      const lines = base();
      const at = lineNumberOf(lines, (l) => l.includes('@trade'));
      lines[at - 1] = (lines[at - 1] as string).replace(/"p":"[0-9.]+"/, `"p":${bad}`);
      const path = writeGz(`${tmpDir()}/spot_btcusdt.gz`, lines);
      const err = thrown(() => replay(path));
      expect(err.code).toBe('CONCORD_ERR_DATA_PARSE');
      expect(err.details?.line).toBe(at);
    }
  });

  it('a removed delta line is a gap: the book leaves live, counts it, and is not tradable', () => {
    const lines = base();
    const at = lineNumberOf(lines, isDelta, 60);
    lines.splice(at - 1, 1);
    const path = writeGz(`${tmpDir()}/spot_btcusdt.gz`, lines);
    const { stats, manager } = replay(path);
    expect(stats?.gaps).toBe(1);
    expect(stats?.resyncs).toBe(1);
    expect(stats?.status).toBe('resyncing');
    expect(manager.isTradable(ID)).toBe(false);
  });

  it('a removed futures delta breaks the pu chain the same way', () => {
    const lines = gunzipLines(dataFile(BINANCE.usdm)).slice(0, 400);
    const at = lineNumberOf(lines, isDelta, 100);
    lines.splice(at - 1, 1);
    const path = writeGz(`${tmpDir()}/usdm_btcusdt.gz`, lines);
    const reader = new BinanceFeedReader([path]);
    const manager = new BookManager({ modeFor: binanceSequenceMode });
    for (const e of reader.readSync()) manager.apply(e);
    expect(manager.stats('binance-usdm:BTCUSDT')).toMatchObject({ gaps: 1, resyncs: 1, status: 'resyncing' });
  });

  it('swapped timestamps are a CONCORD_ERR_DATA_OUT_OF_ORDER naming the line', () => {
    const lines = base();
    const a = lines[200] as string;
    const b = lines[210] as string;
    const tsA = a.slice(0, a.indexOf(' '));
    const tsB = b.slice(0, b.indexOf(' '));
    expect(tsA).not.toBe(tsB);
    lines[200] = tsB + a.slice(a.indexOf(' '));
    lines[210] = tsA + b.slice(b.indexOf(' '));
    const path = writeGz(`${tmpDir()}/spot_btcusdt.gz`, lines);
    const err = thrown(() => replay(path));
    expect(err.code).toBe('CONCORD_ERR_DATA_OUT_OF_ORDER');
    expect(err.details).toMatchObject({ file: path });
    // Line 201 now carries the later time, so the first line found going back is 202.
    expect(err.details?.line).toBe(202);
  });

  it('a line that is not "<ns> <json>" is refused with its line number', () => {
    const lines = base();
    lines[50] = 'garbage';
    const path = writeGz(`${tmpDir()}/spot_btcusdt.gz`, lines);
    expect(thrown(() => replay(path)).details).toMatchObject({ line: 51 });
  });

  it('a missing file is a CONCORD_ERR_DATA_FILE naming it', () => {
    const err = thrown(() => replay('/nonexistent/spot_btcusdt.gz'));
    expect(err.code).toBe('CONCORD_ERR_DATA_FILE');
    expect(err.details?.file).toBe('/nonexistent/spot_btcusdt.gz');
  });
});
