/**
 * Instruments. CEX spot and derivatives, and from the start the DeFi shapes a
 * later venue only has to fill in: AMM pools and lending markets.
 */
import { ConcordError, Decimal, type DecimalInput, positiveDecimal } from '../core/index.ts';

export type VenueId = string;
/** `<venue>:<symbol>`, e.g. `sim-a:BTC-USDT` or `binance:BTCUSDT`. */
export type InstrumentId = string;

export type InstrumentKind = 'spot' | 'perpetual' | 'future' | 'amm-pool' | 'lending-market';

interface InstrumentBase {
  readonly id: InstrumentId;
  readonly venue: VenueId;
  readonly symbol: string;
  readonly kind: InstrumentKind;
  readonly base: string;
  readonly quote: string;
}

export interface TradableSpec {
  /** Smallest price increment. */
  readonly tickSize: Decimal;
  /** Smallest quantity increment. */
  readonly lotSize: Decimal;
  /** Smallest price × quantity the venue accepts. */
  readonly minNotional: Decimal;
  /** Fee rates as fractions (0.001 = 10 bp). Negative maker fee = rebate. */
  readonly makerFee: Decimal;
  readonly takerFee: Decimal;
}

export interface SpotInstrument extends InstrumentBase, TradableSpec {
  readonly kind: 'spot';
}

export interface PerpetualInstrument extends InstrumentBase, TradableSpec {
  readonly kind: 'perpetual' | 'future';
  readonly settle: string;
  readonly contractSize: Decimal;
  readonly inverse: boolean;
  readonly expiry?: number;
}

export interface AmmPoolInstrument extends InstrumentBase {
  readonly kind: 'amm-pool';
  readonly protocol: 'uniswap-v2' | 'uniswap-v3' | string;
  readonly chainId: number;
  readonly address: string;
  readonly token0: string;
  readonly token1: string;
  /** Pool fee in hundredths of a basis point (Uniswap convention: 3000 = 0.3%). */
  readonly feePips: number;
}

export interface LendingMarketInstrument extends InstrumentBase {
  readonly kind: 'lending-market';
  readonly protocol: 'aave-v3' | string;
  readonly chainId: number;
  readonly address: string;
  /** The asset supplied or borrowed. */
  readonly asset: string;
  /** Liquidation threshold and bonus as fractions. */
  readonly liquidationThreshold: Decimal;
  readonly liquidationBonus: Decimal;
}

export type Instrument = SpotInstrument | PerpetualInstrument | AmmPoolInstrument | LendingMarketInstrument;
export type OrderableInstrument = SpotInstrument | PerpetualInstrument;

export function instrumentId(venue: VenueId, symbol: string): InstrumentId {
  return `${venue}:${symbol}`;
}

export function isOrderable(i: Instrument): i is OrderableInstrument {
  return i.kind === 'spot' || i.kind === 'perpetual' || i.kind === 'future';
}

export interface SpotInstrumentInput {
  venue: VenueId;
  symbol: string;
  base: string;
  quote: string;
  tickSize: DecimalInput;
  lotSize: DecimalInput;
  minNotional?: DecimalInput;
  makerFee?: DecimalInput;
  takerFee?: DecimalInput;
}

export function spotInstrument(input: SpotInstrumentInput): SpotInstrument {
  return {
    id: instrumentId(input.venue, input.symbol),
    venue: input.venue,
    symbol: input.symbol,
    kind: 'spot',
    base: input.base,
    quote: input.quote,
    tickSize: positiveDecimal(input.tickSize, 'tickSize'),
    lotSize: positiveDecimal(input.lotSize, 'lotSize'),
    minNotional: Decimal.from(input.minNotional ?? 0),
    makerFee: Decimal.from(input.makerFee ?? 0),
    takerFee: Decimal.from(input.takerFee ?? 0),
  };
}

/**
 * Checks that a price and quantity can go to the venue as they are: positive,
 * on the tick and lot grid, above the minimum notional. Orders that fail never leave.
 */
export function assertOrderPrecision(
  instrument: TradableSpec & { id: InstrumentId },
  quantity: Decimal,
  price: Decimal | undefined,
): void {
  if (!quantity.isPositive() || !quantity.isMultipleOf(instrument.lotSize)) {
    throw new ConcordError(
      'CONCORD_ERR_ORDER_PRECISION',
      `quantity ${quantity} is not a positive multiple of lot size ${instrument.lotSize}`,
      {
        details: {
          instrument: instrument.id,
          quantity: quantity.toString(),
          lotSize: instrument.lotSize.toString(),
        },
      },
    );
  }
  if (price !== undefined) {
    if (!price.isPositive() || !price.isMultipleOf(instrument.tickSize)) {
      throw new ConcordError(
        'CONCORD_ERR_ORDER_PRECISION',
        `price ${price} is not a positive multiple of tick size ${instrument.tickSize}`,
        {
          details: {
            instrument: instrument.id,
            price: price.toString(),
            tickSize: instrument.tickSize.toString(),
          },
        },
      );
    }
    if (price.mul(quantity).lt(instrument.minNotional)) {
      throw new ConcordError(
        'CONCORD_ERR_ORDER_MIN_NOTIONAL',
        `notional ${price.mul(quantity)} is below the minimum ${instrument.minNotional}`,
        {
          details: {
            instrument: instrument.id,
            notional: price.mul(quantity).toString(),
            minNotional: instrument.minNotional.toString(),
          },
        },
      );
    }
  }
}
