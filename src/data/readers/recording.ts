/**
 * One ordered event stream from several recordings of any supported format.
 *
 * The format of each file comes from its name and first bytes. Binance raw-feed files whose
 * names differ only in digits (dates) are one continuous feed, read in the order given; every
 * other file is a source of its own. Sources are merged in time order (Binance feeds by local
 * receive time, which never goes backwards; the rest by event time); ties keep the order of the
 * paths. Each source keeps its own order.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { ConcordError } from '../../core/index.ts';
import type { MarketEvent } from '../../model/index.ts';
import { type BinanceFeedOptions, BinanceFeedReader } from './binance.ts';
import { readCandles } from './candles.ts';
import { isConcordHeaderLine, isConcordRecordingName, readConcordRecording } from './concord.ts';
import { SkipLog } from './errors.ts';
import { readFunding, readTrades } from './trades.ts';

export type RecordingFormat = 'binance-feed' | 'candles' | 'trades' | 'funding' | 'concord';

export interface RecordingOptions {
  /** Options for Binance feeds (venue, timestamps). `lenient` below applies to every format. */
  readonly binance?: Omit<BinanceFeedOptions, 'lenient'>;
  readonly lenient?: boolean;
  /** Collects lines skipped in lenient mode (all formats). */
  readonly skipped?: SkipLog;
  /** Instrument id per path for candle, trade and funding files. */
  readonly instrumentIds?: Readonly<Record<string, string>>;
}

export function detectFormat(path: string): RecordingFormat {
  const name = basename(path).toLowerCase();
  if (isConcordRecordingName(name)) return 'concord';
  if (name.includes('funding')) return 'funding';
  if (/trades?[-_.]/.test(name) && /\.json(\.gz)?$/.test(name)) return 'trades';
  if (/\.csv(\.gz)?$/.test(name) || /\.json(\.gz)?$/.test(name)) return 'candles';
  const head = firstLine(path);
  if (/^\d+ \{/.test(head)) return 'binance-feed';
  if (isConcordHeaderLine(head)) return 'concord';
  if (head.startsWith('[')) return 'candles';
  throw new ConcordError(
    'CONCORD_ERR_DATA_FORMAT',
    `cannot tell the format of ${path}; supported: Binance raw feed, candles (JSON/CSV), freqtrade trades and funding, Concord recordings`,
    {
      details: { file: path, start: head.slice(0, 80) },
    },
  );
}

interface Source {
  readonly events: Iterator<MarketEvent, void, undefined>;
  /** Merge key of the current head. */
  key: (event: MarketEvent) => number;
  head: MarketEvent | undefined;
}

export function* readRecording(
  paths: readonly string[],
  options: RecordingOptions = {},
): Generator<MarketEvent, void, undefined> {
  const skipped = options.skipped ?? new SkipLog();
  const lenient = options.lenient === true;
  const sources: Source[] = [];
  const feeds = new Map<string, string[]>();
  for (const path of paths) {
    const format = detectFormat(path);
    if (format === 'binance-feed') {
      const key = basename(path).replace(/\d+/g, '#');
      const group = feeds.get(key);
      if (group !== undefined) {
        group.push(path);
        continue;
      }
      const files = [path];
      feeds.set(key, files);
      // Files are added to the group before reading starts: the generator below runs lazily.
      const reader = new BinanceFeedReader(files, { ...options.binance, lenient });
      sources.push({ events: countSkips(reader, skipped), key: () => reader.lastReceiveMs, head: undefined });
      continue;
    }
    if (format === 'concord') {
      sources.push({
        events: readConcordRecording(path, { lenient, skipped }),
        key: (e) => e.ts,
        head: undefined,
      });
      continue;
    }
    const rowOptions = { lenient, skipped, instrumentId: options.instrumentIds?.[path] };
    const events: Iterator<MarketEvent, void, undefined> =
      format === 'candles'
        ? readCandles(path, rowOptions)
        : format === 'trades'
          ? readTrades(path, rowOptions)
          : readFunding(path, rowOptions);
    sources.push({ events, key: (e) => e.ts, head: undefined });
  }
  yield* merge(sources);
}

function* countSkips(reader: BinanceFeedReader, log: SkipLog): Generator<MarketEvent, void, undefined> {
  try {
    yield* reader.readSync();
  } finally {
    for (const s of reader.skipped.first) log.add({ details: s });
    log.count += reader.skipped.count - reader.skipped.first.length;
  }
}

function* merge(sources: Source[]): Generator<MarketEvent, void, undefined> {
  const keys = new Array<number>(sources.length);
  const advance = (i: number) => {
    const s = sources[i] as Source;
    const r = s.events.next();
    s.head = r.done === true ? undefined : r.value;
    keys[i] = s.head === undefined ? Number.POSITIVE_INFINITY : s.key(s.head);
  };
  for (let i = 0; i < sources.length; i++) advance(i);
  for (;;) {
    let best = -1;
    for (let i = 0; i < sources.length; i++) {
      if (sources[i]?.head !== undefined && (best < 0 || (keys[i] as number) < (keys[best] as number)))
        best = i;
    }
    if (best < 0) return;
    const event = (sources[best] as Source).head as MarketEvent;
    yield event;
    advance(best);
  }
}

/** The first line of a file, gzipped or not, reading only its start. */
function firstLine(path: string): string {
  let head: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(65536);
      head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new ConcordError(
      'CONCORD_ERR_DATA_FILE',
      `recording ${path} cannot be read; check the path (recordings live in ../shared/data/)`,
      {
        details: { file: path, reason: (err as { code?: string }).code ?? String(err) },
        cause: err,
      },
    );
  }
  let text: string;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      text = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      text = '';
    }
  } else text = head.toString('utf8');
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}
