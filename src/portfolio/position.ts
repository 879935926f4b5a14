/**
 * One position and its average-cost accounting (see docs/pnl.md).
 *
 * A position keeps its signed quantity and its signed *cost basis* (the sum of
 * signed fill notionals still open: positive for a long, negative for a short).
 * The average entry price is `costBasis / (quantity × multiplier)`.
 *
 * - Increasing (or opening) adds the fill's notional to the cost basis, which moves the average.
 * - Reducing closes a share of the cost basis proportional to the quantity closed and realizes
 *   `proceeds − closed cost`, i.e. `(exit − avg) × closedQty × sign`.
 * - Flipping closes the whole position (realizing it) and opens the rest at the fill price.
 *
 * Only the proportional share of a partial close can round (to 10^-18); the residue stays in the
 * remaining cost basis, so `realized + unrealized` always equals the mark-to-market PnL of the fill
 * list exactly and nothing is created or lost.
 */
import { Decimal } from '../core/index.ts';
import type { InstrumentId, Side, VenueId } from '../model/index.ts';

export type PositionKind = 'spot' | 'perpetual' | 'future';

export interface PositionState {
  readonly instrumentId: InstrumentId;
  readonly venue: VenueId;
  readonly kind: PositionKind;
  readonly base: string;
  /** Currency the position's PnL is counted in: the quote for spot, the settle currency for derivatives. */
  readonly quote: string;
  /** Contract size for derivatives, 1 for spot. */
  readonly multiplier: Decimal;
  /** Signed, in fill quantity units (base units for spot, contracts for derivatives). */
  quantity: Decimal;
  /** Float copy of `quantity`, kept in step for the hot path (risk, agents). */
  quantityFloat: number;
  /** Signed sum of open notionals (quote currency). */
  costBasis: Decimal;
  realizedPnl: Decimal;
  /** Fees valued in the quote currency. */
  fees: Decimal;
  /** Funding received (positive) or paid (negative), settle currency. */
  funding: Decimal;
  trades: number;
  /** Last fill price, used as the mark until a mark arrives. */
  lastPrice: number;
  mark: number | undefined;
  lastFundingTs: number;
}

const UNIT = 10n ** 18n;

export function newPosition(
  init: Pick<PositionState, 'instrumentId' | 'venue' | 'kind' | 'base' | 'quote' | 'multiplier'>,
): PositionState {
  return {
    ...init,
    quantity: Decimal.ZERO,
    quantityFloat: 0,
    costBasis: Decimal.ZERO,
    realizedPnl: Decimal.ZERO,
    fees: Decimal.ZERO,
    funding: Decimal.ZERO,
    trades: 0,
    lastPrice: 0,
    mark: undefined,
    lastFundingTs: Number.NEGATIVE_INFINITY,
  };
}

/** Signed notional `± quantity × price × multiplier` (positive for a buy). */
export function signedNotional(side: Side, quantity: Decimal, price: Decimal, multiplier: Decimal): Decimal {
  let n = quantity.mul(price);
  if (multiplier.units !== UNIT) n = n.mul(multiplier);
  return side === 'buy' ? n : n.neg();
}

export interface TradeEffect {
  /** PnL realized by this trade (zero when it only increases the position). */
  readonly realized: Decimal;
  /** Signed notional of the whole fill (positive for a buy). */
  readonly notional: Decimal;
}

/** Applies one trade to the position with the average-cost method; returns what it realized. */
export function applyTrade(pos: PositionState, side: Side, quantity: Decimal, price: Decimal): TradeEffect {
  const notional = signedNotional(side, quantity, price, pos.multiplier);
  const signedQty = side === 'buy' ? quantity : quantity.neg();
  const held = pos.quantity;
  let realized = Decimal.ZERO;
  if (held.isZero() || held.sign() === signedQty.sign()) {
    pos.costBasis = pos.costBasis.add(notional);
  } else {
    const heldAbs = held.abs();
    const closesAll = quantity.gte(heldAbs);
    const closedQty = closesAll ? heldAbs : quantity;
    const closedNotional = closesAll ? signedNotional(side, heldAbs, price, pos.multiplier) : notional;
    const closedCost = closesAll ? pos.costBasis : proportion(pos.costBasis, closedQty, heldAbs);
    // Selling a long brings in −closedNotional; the cost of what was sold leaves the basis.
    realized = closedNotional.neg().sub(closedCost);
    pos.costBasis = pos.costBasis.sub(closedCost).add(notional.sub(closedNotional));
    pos.realizedPnl = pos.realizedPnl.add(realized);
  }
  pos.quantity = held.add(signedQty);
  pos.quantityFloat = toFloat(pos.quantity);
  if (pos.quantity.isZero()) pos.costBasis = Decimal.ZERO;
  pos.trades++;
  pos.lastPrice = toFloat(price);
  return { realized, notional };
}

/** `value × part / whole`, one rounding (half-even) at 10^-18. */
export function proportion(value: Decimal, part: Decimal, whole: Decimal): Decimal {
  return Decimal.fromUnits(divHalfEven(value.units * part.units, whole.units));
}

export function divHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  const absD = d < 0n ? -d : d;
  const away = n < 0n !== d < 0n ? q - 1n : q + 1n;
  if (twice > absD) return away;
  if (twice < absD) return q;
  return q % 2n === 0n ? q : away;
}

/** Unrealized PnL at `markPrice`: current value minus the open cost basis. */
export function unrealizedAt(pos: PositionState, markPrice: Decimal): Decimal {
  if (pos.quantity.isZero()) return Decimal.ZERO;
  let value = pos.quantity.mul(markPrice);
  if (pos.multiplier.units !== UNIT) value = value.mul(pos.multiplier);
  return value.sub(pos.costBasis);
}

/** Average entry price, or zero when flat. */
export function averagePrice(pos: PositionState): Decimal {
  if (pos.quantity.isZero()) return Decimal.ZERO;
  let size = pos.quantity;
  if (pos.multiplier.units !== UNIT) size = size.mul(pos.multiplier);
  return pos.costBasis.div(size);
}

/** Fast float view of an exact decimal (no string round trip). */
export function toFloat(d: Decimal): number {
  return Number(d.units) / 1e18;
}

/** A float mark as an exact decimal (its shortest round-trip string, rounded to 18 places). */
export function markDecimal(price: number): Decimal {
  // toFixed(18) would expose the binary expansion (0.1 → 0.100000000000000006), so prefer the short form.
  return Decimal.tryFrom(price) ?? Decimal.fromNumberRounded(price);
}
