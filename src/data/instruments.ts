/**
 * Instrument specs for recorded data. Venues' own precision for the Binance
 * recordings (as published by Binance for these symbols in 2024), and a generic
 * fine-grained spec for files that name no venue (candles, trades).
 */
import { Decimal } from '../core/index.ts';
import type { InstrumentId, SpotInstrument } from '../model/index.ts';
import { spotInstrument, symbolOf, venueOf } from '../model/index.ts';

interface KnownSpec {
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minNotional: string;
  readonly makerFee: string;
  readonly takerFee: string;
}

/**
 * The USDⓈ-M and COIN-M perpetuals are simulated as spot-like inventories of the base
 * asset (no margin, no funding): enough for fills, fees and basis PnL on a 6-minute window.
 */
const KNOWN: Readonly<Record<InstrumentId, KnownSpec>> = {
  'binance-spot:BTCUSDT': {
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.01',
    lotSize: '0.00001',
    minNotional: '5',
    makerFee: '0.001',
    takerFee: '0.001',
  },
  'binance-usdm:BTCUSDT': {
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.1',
    lotSize: '0.001',
    minNotional: '100',
    makerFee: '0.0002',
    takerFee: '0.0005',
  },
  'binance-coinm:BTCUSD_PERP': {
    base: 'BTC',
    quote: 'USD',
    tickSize: '0.1',
    lotSize: '0.001',
    minNotional: '0',
    makerFee: '0.0002',
    takerFee: '0.0005',
  },
};

/** Splits `XRP_ETH`, `BTC-USDT`, `BTCUSDT` (common quotes) into base and quote. */
const QUOTES = ['USDT', 'USDC', 'BUSD', 'FDUSD', 'USD', 'BTC', 'ETH', 'BNB', 'EUR'];

export function splitSymbol(symbol: string): { base: string; quote: string } {
  const parts = symbol.split(/[-_/]/).filter((p) => p !== '');
  const second = parts[1]?.toUpperCase();
  if (parts.length >= 2 && second !== undefined && QUOTES.includes(second)) {
    return { base: (parts[0] as string).toUpperCase(), quote: second };
  }
  // A name such as `btc-perp-2022-01`: the base is its first word, priced in USD.
  if (parts.length >= 2) return { base: (parts[0] as string).toUpperCase(), quote: 'USD' };
  for (const quote of QUOTES) {
    if (symbol.length > quote.length && symbol.toUpperCase().endsWith(quote)) {
      return { base: symbol.slice(0, -quote.length), quote };
    }
  }
  return { base: symbol, quote: 'USD' };
}

export interface RecordedInstrumentOptions {
  /** Fees for files without a known venue (fractions; default 0: "no fees unless configured"). */
  readonly makerFee?: number;
  readonly takerFee?: number;
}

export function recordedInstrument(
  id: InstrumentId,
  options: RecordedInstrumentOptions = {},
): SpotInstrument {
  const known = KNOWN[id];
  const venue = venueOf(id);
  const symbol = symbolOf(id);
  if (known !== undefined) return spotInstrument({ venue, symbol, ...known });
  const { base, quote } = splitSymbol(symbol.replace(/^.*:/, ''));
  return spotInstrument({
    venue,
    symbol,
    base,
    quote,
    tickSize: '0.00000001',
    lotSize: '0.00000001',
    minNotional: 0,
    makerFee: Decimal.fromNumberRounded(options.makerFee ?? 0),
    takerFee: Decimal.fromNumberRounded(options.takerFee ?? 0),
  });
}
