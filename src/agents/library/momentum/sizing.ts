/**
 * Position-aware sizing shared by the directional library agents (momentum, mean
 * reversion): how much to trade toward a direction given the current position, a
 * step quantity and a position cap, and how to turn that float into an order on
 * the instrument's lot grid.
 */
import type { Decimal } from '../../../core/index.ts';
import type { InstrumentId, OrderableInstrument, OrderIntent, Side } from '../../../model/index.ts';
import { isOrderable } from '../../../model/index.ts';
import type { MarketView } from '../../contract.ts';

export interface PositionLimits {
  /** Size of one entry, base units. */
  readonly quantity: number;
  /** Largest absolute position the agent builds, base units. */
  readonly maxPosition: number;
  /** When false, a sell signal only flattens a long (spot without borrowing). */
  readonly allowShort: boolean;
}

/**
 * Signed base quantity to trade for a signal in `direction` (+1 long, −1 short).
 * Same direction: add `quantity`, never past `maxPosition`. Opposite position:
 * reverse, i.e. close it all and open `quantity` the other way (flatten only when
 * shorting is not allowed). 0 when the position is already at the cap.
 */
export function tradeToward(position: number, direction: 1 | -1, limits: PositionLimits): number {
  if (direction === 1) {
    const target =
      position < 0
        ? Math.min(limits.quantity, limits.maxPosition)
        : Math.min(position + limits.quantity, limits.maxPosition);
    return Math.max(0, target - position);
  }
  const maxShort = limits.allowShort ? limits.maxPosition : 0;
  const target =
    position > 0 ? -Math.min(limits.quantity, maxShort) : Math.max(position - limits.quantity, -maxShort);
  return Math.min(0, target - position);
}

/** True when a trade only shrinks the position (same size or less, opposite sign). */
export function isReducing(position: number, trade: number): boolean {
  return position !== 0 && Math.sign(trade) === -Math.sign(position) && Math.abs(trade) <= Math.abs(position);
}

// Float noise (0.30000000000000004 / 0.1) must not cost a whole lot; 1e-9 lot is far below any real size.
const LOT_EPSILON = 1e-9;

/** Whole lots in `quantity` (float, base units), rounded down; 0 when less than one lot. */
export function wholeLots(quantity: number, lotSize: number): number {
  if (!(quantity > 0) || !(lotSize > 0)) return 0;
  const lots = Math.floor(quantity / lotSize + LOT_EPSILON);
  // The epsilon may round a genuinely smaller quantity (a cap like 0.086999999999) up: never exceed it beyond float noise.
  return lots * lotSize > quantity * (1 + 1e-12) ? lots - 1 : lots;
}

/** Whole lots that fit under a hard cap (a configured maximum): never a float hair above it. */
export function lotsWithin(cap: number, lotSize: number): number {
  if (!(cap > 0) || !(lotSize > 0)) return 0;
  let lots = Math.floor(cap / lotSize);
  if ((lots + 1) * lotSize <= cap) lots++;
  if (lots * lotSize > cap) lots--;
  return lots;
}

// Decimal.toNumber goes through a string; lot sizes are few and immutable, so convert each once.
const lotFloats = new WeakMap<Decimal, number>();

function floatOf(lotSize: Decimal): number {
  let value = lotFloats.get(lotSize);
  if (value === undefined) {
    value = lotSize.toNumber();
    lotFloats.set(lotSize, value);
  }
  return value;
}

/** `quantity` rounded down to the lot grid as an exact Decimal, or undefined when that is zero. */
export function toLotQuantity(
  quantity: number,
  lotSize: Decimal,
  lotSizeFloat = floatOf(lotSize),
): Decimal | undefined {
  const lots = wholeLots(quantity, lotSizeFloat);
  return lots > 0 ? lotSize.mul(lots) : undefined;
}

/** A market order for a signed float quantity, on the lot grid; undefined when it rounds to zero. */
export function marketOrderFor(
  instrument: OrderableInstrument,
  signedQuantity: number,
  reduceOnly: boolean,
): OrderIntent | undefined {
  const quantity = toLotQuantity(Math.abs(signedQuantity), instrument.lotSize);
  if (quantity === undefined) return undefined;
  const side: Side = signedQuantity > 0 ? 'buy' : 'sell';
  return reduceOnly
    ? { kind: 'order', instrumentId: instrument.id, side, type: 'market', quantity, reduceOnly: true }
    : { kind: 'order', instrumentId: instrument.id, side, type: 'market', quantity };
}

/** The instrument if the market knows it and it takes orders (spot, perpetual, future). */
export function orderableInstrument(market: MarketView, id: InstrumentId): OrderableInstrument | undefined {
  const instrument = market.instrument(id);
  return instrument !== undefined && isOrderable(instrument) ? instrument : undefined;
}
