import { Decimal, type DecimalInput, Random, SimulatedClock } from '../../src/core/index.ts';
import {
  type OrderRequest,
  type SpotInstrument,
  spotInstrument,
  type VenueOrderEvent,
} from '../../src/model/index.ts';
import { type FaultConfig, FaultyVenue } from '../../src/venues/faulty/index.ts';
import { SimulatedVenue } from '../../src/venues/simulated/index.ts';

export const VENUE = 'sim-a';

export function btc(venue = VENUE): SpotInstrument {
  return spotInstrument({
    venue,
    symbol: 'BTC-USDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.01',
    lotSize: '0.001',
    minNotional: '1',
    takerFee: '0.001',
    makerFee: '0.0005',
  });
}

export const START_BALANCES: Readonly<Record<string, string>> = { USDT: '1000000', BTC: '10' };

/** Feeds the inner venue a two-sided book around `mid` (deep enough for every test order). */
export function setBook(
  venue: SimulatedVenue,
  instrument: SpotInstrument,
  clock: SimulatedClock,
  mid: number,
  sequence: number,
): void {
  venue.onMarketEvent({
    type: 'book.snapshot',
    ts: clock.now(),
    instrumentId: instrument.id,
    sequence,
    bids: [
      [mid - 5, 3],
      [mid - 10, 50],
    ],
    asks: [
      [mid + 5, 3],
      [mid + 10, 50],
    ],
  });
}

export function setupFaulty(seed: number | string, faults: FaultConfig, latencyMs = 5) {
  const clock = new SimulatedClock(1_700_000_000_000);
  const instrument = btc();
  const inner = new SimulatedVenue({
    id: VENUE,
    clock,
    instruments: [instrument],
    balances: START_BALANCES,
    latencyMs,
  });
  /** Every request that reached the inner venue, by client order id. */
  const innerSubmits = new Map<string, number>();
  const originalSubmit = inner.submitOrder.bind(inner);
  inner.submitOrder = (request: OrderRequest) => {
    innerSubmits.set(request.clientOrderId, (innerSubmits.get(request.clientOrderId) ?? 0) + 1);
    return originalSubmit(request);
  };
  const innerSeen: VenueOrderEvent[] = [];
  inner.onOrderEvent((e) => innerSeen.push(e));
  setBook(inner, instrument, clock, 60_000, 1);
  const venue = new FaultyVenue({ inner, clock, random: new Random(seed), faults });
  const seen: VenueOrderEvent[] = [];
  venue.onOrderEvent((e) => seen.push(e));
  return { clock, instrument, inner, venue, seen, innerSeen, innerSubmits };
}

let requestSeq = 0;
export function request(
  instrument: SpotInstrument,
  over: Omit<Partial<OrderRequest>, 'quantity' | 'price'> & {
    quantity?: DecimalInput;
    price?: DecimalInput;
  } = {},
): OrderRequest {
  const n = ++requestSeq;
  const { quantity, price, ...rest } = over;
  return {
    clientOrderId: `c-${n}`,
    instrumentId: instrument.id,
    venue: instrument.venue,
    side: 'buy',
    type: 'market',
    timeInForce: 'IOC',
    decisionId: `d-${n}`,
    leg: 0,
    ts: 0,
    ...rest,
    quantity: Decimal.from(quantity ?? '0.01'),
    price: price === undefined ? undefined : Decimal.from(price),
  };
}

/** A compact, comparable description of an event. */
export function describe(e: VenueOrderEvent): string {
  return e.type === 'order.filled'
    ? `fill ${e.fill.clientOrderId} ${e.fill.tradeId} ${e.fill.quantity}`
    : `${e.type} ${e.clientOrderId}`;
}
