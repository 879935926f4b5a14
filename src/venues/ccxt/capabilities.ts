/**
 * What an exchange can do, from ccxt's own capability map (`has`: `true`, `false` or
 * `'emulated'` per unified method) and its `features` (time-in-force support per market
 * type). `capabilitiesOf` gives the venue port's flags; `summarise` the rows of
 * `concord venues`.
 */
import type { VenueCapabilities } from '../../model/index.ts';
import type { CcxtExchange } from './exchange.ts';

/** Exchanges Concord tests against a loopback server speaking their wire format. */
export const FIRST_CLASS: readonly string[] = ['binance', 'mexc', 'hyperliquid'];

/** The ccxt methods `concord venues` reports, in the order shown. */
export const LISTED_METHODS = [
  'createOrder',
  'cancelOrder',
  'fetchOrder',
  'fetchOpenOrders',
  'fetchMyTrades',
  'fetchBalance',
  'fetchPositions',
  'fetchOrderBook',
  'fetchTrades',
  'watchOrderBook',
  'watchTrades',
  'watchTicker',
  'watchOrders',
  'watchMyTrades',
  'cancelAllOrders',
  'cancelAllOrdersAfter',
] as const;

export type HasValue = boolean | 'emulated';

export interface VenueSummary {
  readonly id: string;
  readonly name: string;
  readonly firstClass: boolean;
  /** ccxt.pro has a WebSocket implementation of it. */
  readonly websocket: boolean;
  readonly has: Readonly<Record<(typeof LISTED_METHODS)[number], HasValue>>;
  /** Time in force the exchange takes on its default market type. */
  readonly timeInForce: readonly string[];
}

type Features = Record<string, unknown> | undefined;

/** The `createOrder` features of a market type (`spot`, or linear swaps). */
function createOrderFeatures(features: Features, kind: 'spot' | 'swap'): Record<string, unknown> | undefined {
  const section =
    kind === 'spot'
      ? (features?.spot as Record<string, unknown> | undefined)
      : ((features?.swap as Record<string, unknown> | undefined)?.linear as
          | Record<string, unknown>
          | undefined);
  return section?.createOrder as Record<string, unknown> | undefined;
}

function timeInForceOf(features: Features, kind: 'spot' | 'swap'): Record<string, unknown> {
  return (createOrderFeatures(features, kind)?.timeInForce as Record<string, unknown> | undefined) ?? {};
}

/** The venue port's flags for an exchange and the market type it trades. */
export function capabilitiesOf(
  ex: Pick<CcxtExchange, 'has' | 'features'>,
  kind: 'spot' | 'swap',
): VenueCapabilities {
  const tif = timeInForceOf(ex.features, kind);
  return Object.freeze({
    market: ex.has.createMarketOrder !== false,
    limit: ex.has.createLimitOrder !== false,
    ioc: tif.IOC === true,
    fok: tif.FOK === true,
    postOnly: tif.PO === true,
    cancel: ex.has.cancelOrder === true || ex.has.cancelOrder === 'emulated',
    fetchOrder: ex.has.fetchOrder === true || ex.has.fetchOrder === 'emulated',
  });
}

/** One row of `concord venues`. */
export function summarise(
  ex: Pick<CcxtExchange, 'id' | 'name' | 'has' | 'features'>,
  websocket: boolean,
): VenueSummary {
  const has = {} as Record<(typeof LISTED_METHODS)[number], HasValue>;
  for (const m of LISTED_METHODS) {
    const v = ex.has[m];
    has[m] = v === 'emulated' ? 'emulated' : v === true;
  }
  const spotTif = timeInForceOf(ex.features, 'spot');
  const tif = Object.keys(spotTif).length > 0 ? spotTif : timeInForceOf(ex.features, 'swap');
  return {
    id: ex.id,
    name: typeof ex.name === 'string' ? ex.name : ex.id,
    firstClass: FIRST_CLASS.includes(ex.id),
    websocket,
    has,
    timeInForce: Object.entries(tif)
      .filter(([, v]) => v === true)
      .map(([k]) => k),
  };
}
