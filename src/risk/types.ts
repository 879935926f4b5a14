/**
 * The risk gate's vocabulary. A denial is data (a code from a closed set, the rule that
 * denied, a message with the figures), not an error: the order is simply not sent.
 */
import type { Decimal } from '../core/index.ts';
import type { InstrumentId, Side, VenueId } from '../model/index.ts';
import type { RiskLimits } from './config.ts';

/** Every code a denial can carry. New rules add codes here; a code never changes meaning. */
export const RISK_DENIAL_CODES = [
  'TRADING_HALTED',
  'REDUCING_ONLY',
  'REDUCE_ONLY_WOULD_INCREASE',
  'NOTIONAL_EXCEEDS_MAX_PER_ORDER',
  'POSITION_EXCEEDS_MAX',
  'PRICE_OUTSIDE_BAND',
  'NO_REFERENCE_PRICE',
  'RULE_ERROR',
] as const;

export type RiskDenialCode = (typeof RISK_DENIAL_CODES)[number];

export interface RiskDenial {
  readonly code: RiskDenialCode;
  /** Name of the rule that denied (or threw). */
  readonly rule: string;
  /** `CODE: key=value, …` — readable by an operator, stable enough to grep. */
  readonly message: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

export type RiskVerdict = { readonly ok: true } | { readonly ok: false; readonly denial: RiskDenial };

/** What the gate checks. Quantities and limit prices are exact; the reference is the book's float mid. */
export interface RiskOrder {
  readonly instrumentId: InstrumentId;
  readonly venue: VenueId;
  readonly side: Side;
  readonly quantity: Decimal;
  /** Limit price; absent for a market order. */
  readonly price?: Decimal;
  /** Mid price from the book, undefined when the book is empty or stale. */
  readonly referencePrice: number | undefined;
  readonly reduceOnly?: boolean;
}

export interface RiskCheckContext {
  /** Time of the check (defaults to the engine's clock). */
  readonly now?: number;
  /**
   * Signed quantity of orders already in flight on this instrument that the caller wants counted
   * as if filled (e.g. the other legs of a plan). Added to the position before the rules run.
   */
  readonly pendingPosition?: Decimal;
}

export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

export type TradingScope =
  | { readonly kind: 'global' }
  | { readonly kind: 'venue'; readonly venue: VenueId }
  | { readonly kind: 'instrument'; readonly instrumentId: InstrumentId };

/** The position source: the Portfolio, or anything shaped like it. */
export interface RiskPortfolioView {
  /** Signed position in fill quantity units (float). */
  position(id: InstrumentId): number;
  /** Exact position, when the view has it (used to settle comparisons near a limit). */
  positionExact?(id: InstrumentId): Decimal;
}

/**
 * Figures the engine derives once per order so rules need not recompute them. Floats are
 * for fast, conservative comparisons; rules fall back to exact Decimals near a threshold.
 */
export interface OrderFacts {
  readonly quantity: number;
  /** +quantity for a buy, −quantity for a sell. */
  readonly signedQuantity: number;
  /** Limit price, or the reference price for a market order, or NaN when neither exists. */
  readonly price: number;
  /** Position (plus pending) before the order, and after it if fully filled. */
  readonly positionBefore: number;
  readonly positionAfter: number;
  /** The most severe of the global, venue and instrument trading states. */
  readonly tradingState: TradingState;
}

export interface TradingStateReader {
  /** Effective state for an instrument on a venue (most severe of the three scopes). */
  effective(instrumentId: InstrumentId, venue: VenueId): TradingState;
  /** Why the effective state is what it is: the scope and reason that set it. */
  explain(instrumentId: InstrumentId, venue: VenueId): { readonly scope: string; readonly reason: string };
}

/**
 * What every rule reads. Rules must not change it: a rule is a pure function of (order, state).
 */
export interface RiskState {
  readonly limits: RiskLimits;
  readonly portfolio: RiskPortfolioView;
  readonly trading: TradingStateReader;
  readonly now: number;
  readonly facts: OrderFacts;
  /** Exact position before the order (including pending), computed on demand. */
  exactPositionBefore(): Decimal;
}

export type RiskRuleCheck = (order: RiskOrder, state: RiskState) => RiskDenial | undefined;

/** One small, pure rule of the chain. */
export interface RiskRule {
  readonly name: string;
  readonly check: RiskRuleCheck;
}

export interface RuleErrorReport {
  readonly rule: string;
  readonly error: unknown;
  readonly order: RiskOrder;
  readonly ts: number;
}

export interface TradingStateChange {
  readonly scope: TradingScope;
  readonly from: TradingState;
  readonly to: TradingState;
  readonly reason: string;
  readonly ts: number;
}
