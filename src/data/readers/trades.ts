/**
 * freqtrade trade and funding files (JSON arrays, optionally gzipped):
 *   trades  `[ts_ms, id, type, side, price, amount, cost]` → `trade` (aggressor = side)
 *   funding `[ts_ms, rate, ...]`                          → `funding`
 * Validated row by row; `line` in errors is the 1-based record number.
 */
import { ConcordError } from '../../core/index.ts';
import type { FundingRate, InstrumentId, TradeTick } from '../../model/index.ts';
import { defaultInstrumentId, jsonArray } from './candles.ts';
import { dataParseError, outOfOrderError, SkipLog } from './errors.ts';
import { readTextFile } from './lines.ts';

export interface RowReadOptions {
  readonly instrumentId?: InstrumentId;
  readonly lenient?: boolean;
  readonly skipped?: SkipLog;
}

export function* readTrades(
  path: string,
  options: RowReadOptions = {},
): Generator<TradeTick, void, undefined> {
  const rows = jsonArray(path, readTextFile(path));
  const instrumentId = options.instrumentId ?? defaultInstrumentId(path);
  const skipped = options.skipped ?? new SkipLog();
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.length; i++) {
    const record = i + 1;
    try {
      const row = rows[i];
      if (!Array.isArray(row) || row.length < 6)
        throw dataParseError(path, record, 'expected [ts, id, type, side, price, amount, cost]');
      const [ts, id, , side, price, amount] = row as unknown[];
      if (typeof ts !== 'number' || !Number.isFinite(ts))
        throw dataParseError(path, record, `timestamp must be a number of ms, got ${JSON.stringify(ts)}`);
      if (typeof price !== 'number' || !(price > 0 && price < Number.POSITIVE_INFINITY)) {
        throw dataParseError(path, record, `price must be a positive number, got ${JSON.stringify(price)}`);
      }
      if (typeof amount !== 'number' || !(amount > 0 && amount < Number.POSITIVE_INFINITY)) {
        throw dataParseError(path, record, `amount must be a positive number, got ${JSON.stringify(amount)}`);
      }
      if (side !== 'buy' && side !== 'sell' && side !== null)
        throw dataParseError(path, record, `side must be buy, sell or null, got ${JSON.stringify(side)}`);
      if (ts < previous) throw outOfOrderError(path, record, previous, ts, 'trade time');
      previous = ts;
      yield {
        type: 'trade',
        ts,
        instrumentId,
        price,
        size: amount,
        aggressor: side ?? 'unknown',
        tradeId: id === null || id === undefined ? String(record) : String(id),
      };
    } catch (err) {
      if (options.lenient !== true || !(err instanceof ConcordError)) throw err;
      skipped.add(err);
    }
  }
}

export function* readFunding(
  path: string,
  options: RowReadOptions = {},
): Generator<FundingRate, void, undefined> {
  const rows = jsonArray(path, readTextFile(path));
  const instrumentId = options.instrumentId ?? defaultInstrumentId(path);
  const skipped = options.skipped ?? new SkipLog();
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.length; i++) {
    const record = i + 1;
    try {
      const row = rows[i];
      if (!Array.isArray(row) || row.length < 2)
        throw dataParseError(path, record, 'expected [ts, rate, ...]');
      const [ts, rate] = row as unknown[];
      if (typeof ts !== 'number' || !Number.isFinite(ts))
        throw dataParseError(path, record, `timestamp must be a number of ms, got ${JSON.stringify(ts)}`);
      if (typeof rate !== 'number' || !Number.isFinite(rate))
        throw dataParseError(path, record, `rate must be a finite number, got ${JSON.stringify(rate)}`);
      if (ts <= previous) throw outOfOrderError(path, record, previous, ts, 'funding time');
      previous = ts;
      yield { type: 'funding', ts, instrumentId, rate };
    } catch (err) {
      if (options.lenient !== true || !(err instanceof ConcordError)) throw err;
      skipped.add(err);
    }
  }
}
