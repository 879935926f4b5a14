/**
 * Bars from trades, and bars resampled to a longer interval. A bar's open time is aligned
 * to its interval in UTC (epoch multiples, so a 1d bar opens at 00:00 UTC). Only intervals
 * with at least one trade produce a bar; empty intervals are not filled.
 */
import { ConcordError } from '../core/index.ts';
import type { Bar, InstrumentId } from '../model/index.ts';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `'1m'` → 60000, `'4h'` → 14400000 (units s, m, h, d, w). */
export function parseInterval(text: string): number {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  const ms = m === null ? Number.NaN : Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (!(ms > 0)) {
    throw new ConcordError(
      'CONCORD_ERR_DATA_INTERVAL',
      `invalid bar interval "${text}"; use a count and a unit, such as 1m, 15m, 4h or 1d`,
      {
        details: { interval: text },
      },
    );
  }
  return ms;
}

/** Open time of the interval that contains `ts` (UTC, epoch-aligned). */
export function alignTime(ts: number, intervalMs: number): number {
  return Math.floor(ts / intervalMs) * intervalMs;
}

/** The part of a trade a bar needs. */
export interface PricePoint {
  readonly ts: number;
  readonly price: number;
  readonly size: number;
}

/** Builds bars from trades in time order; `add` returns the bar a trade closed, if any. */
export class BarAggregator {
  private open = 0;
  private high = 0;
  private low = 0;
  private close = 0;
  private volume = 0;
  private barTs = Number.NaN;
  private lastTs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly instrumentId: InstrumentId,
    readonly intervalMs: number,
  ) {
    assertInterval(intervalMs);
  }

  add(trade: PricePoint): Bar | undefined {
    if (trade.ts < this.lastTs) {
      throw new ConcordError(
        'CONCORD_ERR_DATA_OUT_OF_ORDER',
        `trade at ${trade.ts} is before the previous one at ${this.lastTs}; bars need trades in time order`,
        {
          details: { instrumentId: this.instrumentId, previous: this.lastTs, current: trade.ts },
        },
      );
    }
    this.lastTs = trade.ts;
    const barTs = alignTime(trade.ts, this.intervalMs);
    if (barTs === this.barTs) {
      if (trade.price > this.high) this.high = trade.price;
      if (trade.price < this.low) this.low = trade.price;
      this.close = trade.price;
      this.volume += trade.size;
      return undefined;
    }
    const finished = this.flush();
    this.barTs = barTs;
    this.open = trade.price;
    this.high = trade.price;
    this.low = trade.price;
    this.close = trade.price;
    this.volume = trade.size;
    return finished;
  }

  /** The bar in progress (if any), which is then forgotten. */
  flush(): Bar | undefined {
    if (Number.isNaN(this.barTs)) return undefined;
    const bar = this.current() as Bar;
    this.barTs = Number.NaN;
    return bar;
  }

  /** The bar in progress, without closing it. */
  current(): Bar | undefined {
    if (Number.isNaN(this.barTs)) return undefined;
    return {
      type: 'bar',
      ts: this.barTs,
      instrumentId: this.instrumentId,
      intervalMs: this.intervalMs,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: this.volume,
    };
  }
}

/** All bars of `intervalMs` built from trades (in time order), per instrument, in the order they close. */
export function aggregateTrades(
  trades: Iterable<PricePoint & { readonly instrumentId: InstrumentId }>,
  intervalMs: number,
): Bar[] {
  const aggregators = new Map<InstrumentId, BarAggregator>();
  const out: Bar[] = [];
  for (const trade of trades) {
    let agg = aggregators.get(trade.instrumentId);
    if (agg === undefined) {
      agg = new BarAggregator(trade.instrumentId, intervalMs);
      aggregators.set(trade.instrumentId, agg);
    }
    const bar = agg.add(trade);
    if (bar !== undefined) out.push(bar);
  }
  for (const agg of aggregators.values()) {
    const bar = agg.flush();
    if (bar !== undefined) out.push(bar);
  }
  return out;
}

/**
 * Combines bars (in time order) into bars of a longer interval, which must be a multiple of
 * theirs: open of the first, close of the last, extreme high and low, summed volume.
 */
export function resampleBars(bars: Iterable<Bar>, intervalMs: number): Bar[] {
  assertInterval(intervalMs);
  const out: Bar[] = [];
  const open = new Map<InstrumentId, Accumulator>();
  for (const bar of bars) {
    if (intervalMs % bar.intervalMs !== 0) {
      throw new ConcordError(
        'CONCORD_ERR_DATA_INTERVAL',
        `cannot resample ${bar.intervalMs} ms bars to ${intervalMs} ms: the target must be a whole multiple of the source`,
        { details: { instrumentId: bar.instrumentId, from: bar.intervalMs, to: intervalMs } },
      );
    }
    const acc = open.get(bar.instrumentId);
    if (acc !== undefined && bar.ts <= acc.lastTs) {
      throw new ConcordError(
        'CONCORD_ERR_DATA_OUT_OF_ORDER',
        `bar at ${bar.ts} does not follow the bar at ${acc.lastTs}`,
        {
          details: { instrumentId: bar.instrumentId, previous: acc.lastTs, current: bar.ts },
        },
      );
    }
    const ts = alignTime(bar.ts, intervalMs);
    if (acc !== undefined && acc.ts === ts) {
      if (bar.high > acc.high) acc.high = bar.high;
      if (bar.low < acc.low) acc.low = bar.low;
      acc.close = bar.close;
      acc.volume += bar.volume;
      acc.lastTs = bar.ts;
      continue;
    }
    if (acc !== undefined) out.push(finishBar(acc, intervalMs));
    open.set(bar.instrumentId, {
      instrumentId: bar.instrumentId,
      ts,
      lastTs: bar.ts,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
    });
  }
  for (const acc of open.values()) out.push(finishBar(acc, intervalMs));
  return out;
}

interface Accumulator {
  readonly instrumentId: InstrumentId;
  readonly ts: number;
  lastTs: number;
  readonly open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

function finishBar(acc: Accumulator, intervalMs: number): Bar {
  return {
    type: 'bar',
    ts: acc.ts,
    instrumentId: acc.instrumentId,
    intervalMs,
    open: acc.open,
    high: acc.high,
    low: acc.low,
    close: acc.close,
    volume: acc.volume,
  };
}

function assertInterval(intervalMs: number): void {
  if (!(intervalMs > 0) || !Number.isInteger(intervalMs)) {
    throw new ConcordError(
      'CONCORD_ERR_DATA_INTERVAL',
      `bar interval must be a positive whole number of ms, got ${intervalMs}`,
      {
        details: { intervalMs },
      },
    );
  }
}
