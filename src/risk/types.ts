/**
 * The risk gate's vocabulary. A denial is data (a code from the closed set in
 * model/pre-trade.ts, the rule that denied, a message with the figures), not an error: the
 * order is simply not sent.
 */
import type { Decimal } from '../core/index.ts';
import type { Denial, InstrumentId, PreTradeOrder, PreTradeVerdict, VenueId } from '../model/index.ts';
import type { RiskLimits } from './config.ts';

/** The risk engine judges the order manager's pre-trade order itself (one type, see model/pre-trade.ts). */
export type RiskOrder = PreTradeOrder;
export type RiskDenial = Denial;
export type RiskVerdict = PreTradeVerdict;

/** Open orders known to the order manager (the kernel provides it). */
export interface OpenOrdersView {
  /** Orders not yet terminal, on one venue or (without a venue) everywhere. */
  openOrders(venue?: VenueId): number;
}

/** Portfolio-level figures of the last `observe`, read by the loss rules. */
export interface PnlFacts {
  readonly ts: number;
  readonly equity: number;
  readonly peakEquity: number;
  /** (peak − equity) / peak. */
  readonly drawdown: number;
  /** Realized + unrealized + funding − fees since the daily reset. */
  readonly dailyPnl: number;
}

/**
 * Exposure figures (quote currency, floats from marks) for the order being checked, before and
 * as if fully filled. Computed once per check from live positions and the engine's marks.
 */
export interface ExposureFacts {
  /** Mark of the order's instrument (the order's price when it has none yet). */
  readonly mark: number;
  /** Signed exposure the order adds: signedQuantity × multiplier × mark. */
  readonly orderExposure: number;
  readonly grossBefore: number;
  readonly grossAfter: number;
  readonly netBefore: number;
  readonly netAfter: number;
  /** Σ |exposure| on the order's venue, before and after. */
  readonly venueGrossBefore: number;
  readonly venueGrossAfter: number;
  /** Σ |exposure| in the order's base asset (over all venues), before and after. */
  readonly assetGrossBefore: number;
  readonly assetGrossAfter: number;
}

/** Window figures of the portfolio after the order (computed on demand: they cost O(k²) or O(N·k)). */
export interface MarketRiskReader {
  /** Return samples in the window (VaR and correlation need `minSamples`). */
  samples(): number;
  /**
   * 95% historical VaR (quote currency, positive = loss) of the exposures after the order. With
   * `limit`, a cheap upper bound may be returned when it is within the limit (above it: exact).
   */
  historicalVarAfter(limit?: number): number;
  /** 1.645 · √(wᵀΣw) with Σ the sample covariance of returns, after the order. */
  parametricVarAfter(): number;
  /** √(wᵀρw) with ρ the sample correlation of returns, after the order. */
  correlatedExposureAfter(): number;
}

/** Circuit breakers as the gate sees them. */
export interface BreakerReader {
  /** The breaker that stops new risk on this instrument/venue now, if any. */
  blocking(instrumentId: InstrumentId, venue: VenueId, now: number): BlockingBreaker | undefined;
}

export interface BlockingBreaker {
  readonly breaker: string;
  readonly scope: string;
  readonly state: 'OPEN' | 'HALF_OPEN';
  readonly reason: string;
  /** When an OPEN breaker may start probing. */
  readonly reopensAt: number;
}

/** Orders the gate passed per venue recently (for the rate limit). */
export interface OrderRateReader {
  /** Time of the n-th most recent order passed on this venue (n ≥ 1), −Infinity when fewer. */
  nthLatest(venue: VenueId, n: number): number;
  /** Orders passed on this venue in (now − windowMs, now], counting at most `cap`. */
  countInWindow(venue: VenueId, now: number, windowMs: number, cap: number): number;
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
  /** Rolls the day and updates the equity peak (the Portfolio has it); called by `engine.observe`. */
  observe?(ts: number): PnlFacts;
  /** Figures of the last observe, without recomputing. */
  metrics?(): PnlFacts | undefined;
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
  readonly openOrders: OpenOrdersView;
  /** Undefined until the engine has observed the portfolio. */
  readonly pnl: PnlFacts | undefined;
  /** Valid only when `limits.needsExposure`; zeros otherwise. */
  readonly exposure: ExposureFacts;
  readonly market: MarketRiskReader;
  readonly breakers: BreakerReader;
  readonly orderRate: OrderRateReader;
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
