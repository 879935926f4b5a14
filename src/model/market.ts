/**
 * Market data events. Prices and sizes here are floats: they are analytics inputs,
 * parsed once at the boundary for speed. Anything that becomes an order is turned
 * into an exact Decimal at the instrument's precision (see instrument.ts).
 */
import type { InstrumentId, VenueId } from './instrument.ts';

/** [price, size]; size 0 in a delta removes the level. */
export type Level = readonly [price: number, size: number];

export interface BookSnapshot {
  readonly type: 'book.snapshot';
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly sequence: number;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

export interface BookDelta {
  readonly type: 'book.delta';
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  /** First and last update id covered by this delta. */
  readonly firstSequence: number;
  readonly sequence: number;
  /** For feeds that chain by the previous delta's last id (Binance futures `pu`). */
  readonly previousSequence?: number;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

export interface Quote {
  readonly type: 'quote';
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly bid: number;
  readonly bidSize: number;
  readonly ask: number;
  readonly askSize: number;
  readonly sequence?: number;
}

export interface TradeTick {
  readonly type: 'trade';
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly price: number;
  readonly size: number;
  readonly aggressor: 'buy' | 'sell' | 'unknown';
  readonly tradeId: string;
}

export interface Bar {
  readonly type: 'bar';
  /** Open time of the bar. */
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly intervalMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export interface FundingRate {
  readonly type: 'funding';
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly rate: number;
  readonly markPrice?: number;
  readonly nextFundingTs?: number;
}

/** An initialised tick of a concentrated-liquidity pool; liquidityNet is a signed decimal string. */
export interface PoolTick {
  readonly index: number;
  readonly liquidityNet: string;
}

/** State of an AMM pool after a block or a swap. */
export interface PoolState {
  readonly type: 'pool';
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly blockNumber: number;
  /** Hash of that block (0x + 64 hex), when the state comes from a chain: a reorg replaces it. */
  readonly blockHash?: string;
  /** Raw token units as decimal strings (V2 reserves), or sqrtPriceX96/liquidity/tick for V3. */
  readonly reserve0?: string;
  readonly reserve1?: string;
  readonly sqrtPriceX96?: string;
  readonly liquidity?: string;
  readonly tick?: number;
  /**
   * V3: the pool's complete list of initialised ticks, ascending, when it changed (liquidity
   * added or removed) or is sent for the first time; absent when unchanged since the last event.
   */
  readonly ticks?: readonly PoolTick[];
}

/** A lending market's rates, and accounts whose health changed. */
export interface LendingState {
  readonly type: 'lending';
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly supplyApy: number;
  readonly borrowApy: number;
  readonly utilization: number;
}

export type MarketEvent =
  | BookSnapshot
  | BookDelta
  | Quote
  | TradeTick
  | Bar
  | FundingRate
  | PoolState
  | LendingState;
export type MarketEventType = MarketEvent['type'];

export function venueOf(instrumentId: InstrumentId): VenueId {
  const i = instrumentId.indexOf(':');
  return i < 0 ? instrumentId : instrumentId.slice(0, i);
}

export function symbolOf(instrumentId: InstrumentId): string {
  const i = instrumentId.indexOf(':');
  return i < 0 ? instrumentId : instrumentId.slice(i + 1);
}
