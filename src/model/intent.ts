/**
 * Intents: what an agent would like to happen. Agents only ever propose intents;
 * the risk gate and the order manager decide what reaches a venue.
 * Quantities are Decimals (they may become orders), prices optional limits.
 */
import type { Decimal } from '../core/index.ts';
import type { InstrumentId } from './instrument.ts';
import type { OrderType, Side, TimeInForce } from './order.ts';

/** Buy or sell on an order book venue. */
export interface OrderIntent {
  readonly kind: 'order';
  readonly instrumentId: InstrumentId;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Decimal;
  readonly limitPrice?: Decimal;
  readonly timeInForce?: TimeInForce;
  readonly reduceOnly?: boolean;
}

/** Legs executed together (e.g. buy on one venue, sell on another); leg risk handled by policy. */
export interface PlanIntent {
  readonly kind: 'plan';
  readonly label: string;
  readonly legs: readonly OrderIntent[];
  /** Expected edge after fees, as a fraction of notional, for the minimum-edge rule. */
  readonly expectedNetEdge: number;
  /**
   * All legs or none: the legs sit on one chain venue that executes them as one transaction
   * (a DEX cycle). The order manager sends them together (a parallel plan: every leg passes the
   * gate before any is sent) and the venue reverts the whole bundle if any leg's bound fails.
   */
  readonly atomic?: boolean;
}

/** Swap on an AMM pool. */
export interface SwapIntent {
  readonly kind: 'swap';
  readonly poolId: InstrumentId;
  readonly tokenIn: string;
  readonly tokenOut: string;
  /** Raw token units. */
  readonly amountIn: bigint;
  /** Slippage bound: the swap reverts below this. */
  readonly minAmountOut: bigint;
}

/** Liquidate an under-collateralised lending position. */
export interface LiquidationIntent {
  readonly kind: 'liquidation';
  readonly marketId: InstrumentId;
  readonly borrower: string;
  readonly debtAsset: string;
  readonly collateralAsset: string;
  readonly repayAmount: bigint;
}

/** Supply to or withdraw from a lending market (yield). */
export interface LendingIntent {
  readonly kind: 'supply' | 'withdraw';
  readonly marketId: InstrumentId;
  readonly asset: string;
  readonly amount: bigint;
}

/** Advice from a risk agent: veto a directional idea or cap its size. */
export interface RiskAdviceIntent {
  readonly kind: 'risk-advice';
  readonly instrumentId: InstrumentId | '*';
  readonly veto: boolean;
  /** Maximum absolute quantity this agent would allow, if capping. */
  readonly maxQuantity?: Decimal;
  readonly reason: string;
}

export type Intent =
  | OrderIntent
  | PlanIntent
  | SwapIntent
  | LiquidationIntent
  | LendingIntent
  | RiskAdviceIntent;
export type IntentKind = Intent['kind'];
