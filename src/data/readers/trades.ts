/**
 * freqtrade trade and funding files (JSON arrays, optionally gzipped):
 *   trades  `[ts_ms, id, type, side, price, amount, cost]` → `trade` (aggressor = side)
 *   funding `[ts_ms, rate, ...]`                          → `funding`
 * Validated row by row; `line` in errors is the 1-based record number.
 */
import { ConcordError } from '../../core/index.ts';
import type { FundingRate, InstrumentId, TradeTick } from '../../model/index.ts';
import { defaultInstrumentId, jsonArray } from './candles.ts';
import { dataParseError, isRecordedTime, outOfOrderError, SkipLog } from './errors.ts';
import { readTextFile } from './lines.ts';

export interface RowReadOptions {
  readonly instrumentId?: InstrumentId;
  readonly lenient?: boolean;
  readonly skipped?: SkipLog;
}

/** How one kind of row file is read: its shape, and how a row becomes an event. */
interface RowFormat<E extends { readonly ts: number }> {
  readonly minLength: number;
  readonly shape: string;
  readonly timeLabel: string;
  /** Funding prints must strictly advance; trades may share a millisecond. */
  readonly strictlyIncreasing: boolean;
  toEvent(
    row: readonly unknown[],
    ts: number,
    instrumentId: InstrumentId,
    record: number,
    fail: (reason: string) => never,
  ): E;
}

/** The loop both row formats share: shape, timestamp, time order, lenient skipping. */
function* readRows<E extends { readonly ts: number }>(
  path: string,
  options: RowReadOptions,
  format: RowFormat<E>,
): Generator<E, void, undefined> {
  const rows = jsonArray(path, readTextFile(path));
  const instrumentId = options.instrumentId ?? defaultInstrumentId(path);
  const skipped = options.skipped ?? new SkipLog();
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.length; i++) {
    const record = i + 1;
    const fail = (reason: string): never => {
      throw dataParseError(path, record, reason);
    };
    try {
      const row = rows[i];
      if (!Array.isArray(row) || row.length < format.minLength) fail(`expected ${format.shape}`);
      const ts = (row as unknown[])[0];
      if (!isRecordedTime(ts))
        fail(`timestamp must be a number of ms from 1970 to 9999, got ${JSON.stringify(ts)}`);
      const event = format.toEvent(row as unknown[], ts as number, instrumentId, record, fail);
      if (format.strictlyIncreasing ? event.ts <= previous : event.ts < previous) {
        throw outOfOrderError(path, record, previous, event.ts, format.timeLabel);
      }
      previous = event.ts;
      yield event;
    } catch (err) {
      if (options.lenient !== true || !(err instanceof ConcordError)) throw err;
      skipped.add(err);
    }
  }
}

const TRADE_ROWS: RowFormat<TradeTick> = {
  minLength: 6,
  shape: '[ts, id, type, side, price, amount, cost]',
  timeLabel: 'trade time',
  strictlyIncreasing: false,
  toEvent(row, ts, instrumentId, record, fail) {
    const [, id, , side, price, amount] = row;
    if (typeof price !== 'number' || !(price > 0 && price < Number.POSITIVE_INFINITY)) {
      fail(`price must be a positive number, got ${JSON.stringify(price)}`);
    }
    if (typeof amount !== 'number' || !(amount > 0 && amount < Number.POSITIVE_INFINITY)) {
      fail(`amount must be a positive number, got ${JSON.stringify(amount)}`);
    }
    if (side !== 'buy' && side !== 'sell' && side !== null) {
      fail(`side must be buy, sell or null, got ${JSON.stringify(side)}`);
    }
    return {
      type: 'trade',
      ts,
      instrumentId,
      price: price as number,
      size: amount as number,
      aggressor: (side as 'buy' | 'sell' | null) ?? 'unknown',
      tradeId: id === null || id === undefined ? String(record) : String(id),
    };
  },
};

const FUNDING_ROWS: RowFormat<FundingRate> = {
  minLength: 2,
  shape: '[ts, rate, ...]',
  timeLabel: 'funding time',
  strictlyIncreasing: true,
  toEvent(row, ts, instrumentId, _record, fail) {
    const rate = row[1];
    if (typeof rate !== 'number' || !Number.isFinite(rate))
      fail(`rate must be a finite number, got ${JSON.stringify(rate)}`);
    return { type: 'funding', ts, instrumentId, rate: rate as number };
  },
};

export function readTrades(
  path: string,
  options: RowReadOptions = {},
): Generator<TradeTick, void, undefined> {
  return readRows(path, options, TRADE_ROWS);
}

export function readFunding(
  path: string,
  options: RowReadOptions = {},
): Generator<FundingRate, void, undefined> {
  return readRows(path, options, FUNDING_ROWS);
}
