/**
 * ccxt markets → Concord instruments.
 *
 * - Spot markets become `SpotInstrument`s; swaps become `perpetual`, dated futures
 *   `future` (`PerpetualInstrument`, with settle currency, contract size, inverse flag
 *   and expiry). Options and anything else Concord cannot trade are skipped, each with
 *   its reason.
 * - The instrument's symbol is ccxt's unified symbol (`BTC/USDT`, `BTC/USDT:USDT`), the
 *   same on every exchange; its id is `<venue>:<symbol>`.
 * - Tick and lot come from `market.precision` read in the exchange's precision mode
 *   (tick size, or decimal places → 10^-n); a market whose precision cannot be read as a
 *   grid is skipped rather than guessed. Minimum notional is `limits.cost.min` (0 when
 *   absent); maker/taker fees are the market's published rates (0 when absent).
 * - Every number is checked (finite, positive where it must be) and converted to an
 *   exact Decimal through its shortest decimal text.
 */
import { Decimal } from '../../core/index.ts';
import {
  type Instrument,
  instrumentId,
  type PerpetualInstrument,
  type SpotInstrument,
  spotInstrument,
  type VenueId,
} from '../../model/index.ts';

/** ccxt's precision modes (`ccxt.DECIMAL_PLACES`, `ccxt.SIGNIFICANT_DIGITS`, `ccxt.TICK_SIZE`). */
export const PRECISION_MODE = { DECIMAL_PLACES: 2, SIGNIFICANT_DIGITS: 3, TICK_SIZE: 4 } as const;

/** The fields of a ccxt market this file reads (ccxt's `MarketInterface`, loosely typed as it arrives). */
export interface CcxtMarketLike {
  readonly id?: unknown;
  readonly symbol?: unknown;
  readonly base?: unknown;
  readonly quote?: unknown;
  readonly settle?: unknown;
  readonly type?: unknown;
  readonly spot?: unknown;
  readonly swap?: unknown;
  readonly future?: unknown;
  readonly option?: unknown;
  readonly active?: unknown;
  readonly contractSize?: unknown;
  readonly inverse?: unknown;
  readonly expiry?: unknown;
  readonly taker?: unknown;
  readonly maker?: unknown;
  readonly precision?: { readonly price?: unknown; readonly amount?: unknown } | undefined;
  readonly limits?: { readonly cost?: { readonly min?: unknown } | undefined } | undefined;
}

export interface SkippedMarket {
  readonly symbol: string;
  readonly reason: string;
}

export interface InstrumentMapping {
  readonly instruments: readonly Instrument[];
  readonly skipped: readonly SkippedMarket[];
}

/** One market as an instrument, or the reason it cannot be one. */
export function marketToInstrument(
  venue: VenueId,
  market: CcxtMarketLike,
  precisionMode: number,
): SpotInstrument | PerpetualInstrument | string {
  const symbol = text(market.symbol);
  const base = text(market.base);
  const quote = text(market.quote);
  if (symbol === undefined || base === undefined || quote === undefined)
    return 'the market has no symbol, base or quote';
  if (market.option === true || market.type === 'option') return 'options are not tradable in Concord';
  const tick = step(market.precision?.price, precisionMode);
  const lot = step(market.precision?.amount, precisionMode);
  if (tick === undefined)
    return `price precision ${String(market.precision?.price)} is not a grid Concord can use`;
  if (lot === undefined)
    return `amount precision ${String(market.precision?.amount)} is not a grid Concord can use`;
  const minNotional = nonNegative(market.limits?.cost?.min) ?? Decimal.ZERO;
  const makerFee = finite(market.maker) ?? Decimal.ZERO;
  const takerFee = finite(market.taker) ?? Decimal.ZERO;
  const spot = market.spot === true || market.type === 'spot';
  if (spot) {
    return spotInstrument({
      venue,
      symbol,
      base,
      quote,
      tickSize: tick,
      lotSize: lot,
      minNotional,
      makerFee,
      takerFee,
    });
  }
  const perpetual = market.swap === true || market.type === 'swap';
  const future = market.future === true || market.type === 'future';
  if (!perpetual && !future) return `market type ${String(market.type)} is not tradable in Concord`;
  const settle = text(market.settle) ?? quote;
  const contractSize = positive(market.contractSize) ?? Decimal.ONE;
  const expiry =
    typeof market.expiry === 'number' && Number.isFinite(market.expiry) ? market.expiry : undefined;
  return {
    id: instrumentId(venue, symbol),
    venue,
    symbol,
    kind: perpetual ? 'perpetual' : 'future',
    base,
    quote,
    settle,
    contractSize,
    inverse: market.inverse === true,
    ...(expiry === undefined ? {} : { expiry }),
    tickSize: tick,
    lotSize: lot,
    minNotional,
    makerFee,
    takerFee,
  };
}

/** Every market in `markets` (a ccxt `markets` dict or list) that Concord can use, sorted by symbol. */
export function marketsToInstruments(
  venue: VenueId,
  markets: Iterable<CcxtMarketLike>,
  precisionMode: number,
  symbols?: ReadonlySet<string>,
): InstrumentMapping {
  const instruments: Instrument[] = [];
  const skipped: SkippedMarket[] = [];
  for (const market of markets) {
    const symbol = text(market.symbol) ?? String(market.id);
    if (symbols !== undefined && !symbols.has(symbol)) continue;
    const result = marketToInstrument(venue, market, precisionMode);
    if (typeof result === 'string') skipped.push({ symbol, reason: result });
    else instruments.push(result);
  }
  instruments.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  return { instruments, skipped };
}

/** A precision value as a grid step: a tick size, or 10^-places. */
export function step(value: unknown, precisionMode: number): Decimal | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (precisionMode === PRECISION_MODE.TICK_SIZE)
    return value > 0 ? Decimal.fromNumberRounded(value) : undefined;
  if (precisionMode === PRECISION_MODE.DECIMAL_PLACES) {
    if (!Number.isInteger(value) || value < 0 || value > 18) return undefined;
    return Decimal.fromUnits(10n ** BigInt(18 - value));
  }
  // Significant digits give no fixed grid.
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function finite(value: unknown): Decimal | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Decimal.fromNumberRounded(value) : undefined;
}

function nonNegative(value: unknown): Decimal | undefined {
  const d = finite(value);
  return d === undefined || d.isNegative() ? undefined : d;
}

function positive(value: unknown): Decimal | undefined {
  const d = finite(value);
  return d?.isPositive() ? d : undefined;
}
