/** Helpers the rules share: denials, and float-first comparisons settled exactly near a threshold. */
import { Decimal } from '../../core/index.ts';
import type { DenialCode } from '../../model/index.ts';
import type { RiskDenial, RiskOrder, RiskState } from '../types.ts';

/** Relative margin inside which a float comparison is not trusted and the exact one decides. */
export const FLOAT_MARGIN = 1e-9;

export function deny(
  code: DenialCode,
  rule: string,
  details: Readonly<Record<string, string | number | boolean>>,
  note?: string,
): RiskDenial {
  const figures = Object.entries(details)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  // The code is a field of its own: the message carries only the figures and the reason.
  return { code, rule, message: `${figures}${note === undefined ? '' : ` (${note})`}`, details };
}

export function signedQuantityExact(order: RiskOrder): Decimal {
  return order.side === 'buy' ? order.quantity : order.quantity.neg();
}

/**
 * True when the order only shrinks the existing position: opposite side and no larger than
 * it (so it cannot flip). A flat position cannot be reduced.
 */
export function reducesPosition(order: RiskOrder, state: RiskState): boolean {
  const before = state.facts.positionBefore;
  const q = state.facts.quantity;
  if (before === 0 || Math.sign(before) === Math.sign(state.facts.signedQuantity)) {
    // A tiny position may round to 0 as a float: let the exact value decide.
    if (before !== 0) return false;
    const exact = state.exactPositionBefore();
    return (
      !exact.isZero() && exact.sign() !== (order.side === 'buy' ? 1 : -1) && order.quantity.lte(exact.abs())
    );
  }
  const held = Math.abs(before);
  if (q < held * (1 - FLOAT_MARGIN)) return true;
  if (q > held * (1 + FLOAT_MARGIN)) return false;
  return order.quantity.lte(state.exactPositionBefore().abs());
}

/** Price used for notional: the limit price, else the reference for a market order. */
export function exactPrice(order: RiskOrder): Decimal | undefined {
  if (order.price !== undefined) return order.price;
  const ref = order.referencePrice;
  if (ref === undefined || !(ref > 0) || ref === Number.POSITIVE_INFINITY) return undefined;
  return Decimal.tryFrom(ref) ?? Decimal.fromNumberRounded(ref);
}

/** A quote amount or ratio for a denial message: at most 6 significant decimals, no float noise. */
export function figure(x: number): number {
  if (!Number.isFinite(x)) return x;
  const magnitude = Math.abs(x);
  const dp = magnitude >= 1000 ? 2 : magnitude >= 1 ? 4 : 8;
  const f = 10 ** dp;
  return Math.round(x * f) / f;
}

/** Note used when a PnL limit is configured but the engine has not observed the portfolio yet. */
export const NOT_OBSERVED = 'no portfolio figures observed yet: the kernel must call engine.observe(ts)';
