/**
 * The one deterministic gate every order passes. A chain of small pure rules runs in order;
 * the first denial wins. Fail closed: a rule that throws denies the order with RULE_ERROR,
 * is reported, and (by default) drops the desk to REDUCING.
 *
 * Hot path: the passing path allocates nothing but what the rules need; derived figures are
 * written once per order into a reused state object, and the pass verdict is a shared constant.
 */
import { type Clock, Decimal } from '../core/index.ts';
import type { Instrument, InstrumentId, VenueId } from '../model/index.ts';
import type { BreakerBoard } from './breakers/board.ts';
import { parseRiskConfig, type RiskConfig, RiskLimits } from './config.ts';
import { MarketRisk, MutableExposureFacts, trackedSpecOf } from './market-risk.ts';
import { OrderRateTracker } from './order-rate.ts';
import { DEFAULT_RULES } from './rules/index.ts';
import { figure, reducesPosition } from './rules/shared.ts';
import { TradingStates } from './trading-states.ts';
import type {
  BlockingBreaker,
  BreakerReader,
  OpenOrdersView,
  OrderFacts,
  PnlFacts,
  RiskCheckContext,
  RiskDenial,
  RiskOrder,
  RiskPortfolioView,
  RiskRule,
  RiskState,
  RiskVerdict,
  RuleErrorReport,
  TradingScope,
  TradingState,
  TradingStateChange,
} from './types.ts';

const PASS: RiskVerdict = Object.freeze({ ok: true as const });
const DAY_MS = 86_400_000;
const NO_OPEN_ORDERS: OpenOrdersView = Object.freeze({ openOrders: () => 0 });
const NO_BREAKERS: BreakerReader = Object.freeze({ blocking: (): BlockingBreaker | undefined => undefined });

export interface RiskEngineOptions {
  /** Parsed limits (see parseRiskConfig); defaults when absent. */
  readonly config?: RiskConfig;
  readonly portfolio: RiskPortfolioView;
  readonly clock: Clock;
  /** The chain, in order; DEFAULT_RULES when absent. */
  readonly rules?: readonly RiskRule[];
  /** Called when a rule throws (the order is already denied). */
  readonly onRuleError?: (report: RuleErrorReport) => void;
  /** Drop the global state to REDUCING when a rule throws (fail closed). Default true. */
  readonly reduceOnRuleError?: boolean;
  /** Called on every trading state change, for the journal and the operator. */
  readonly onTradingStateChange?: (change: TradingStateChange) => void;
  /** Open order counts from the order manager (none when absent). */
  readonly openOrders?: OpenOrdersView;
  /** Circuit breakers; the engine forwards prices and PnL to them and counts probes. */
  readonly breakers?: BreakerBoard;
  /** Instruments to track (base asset for concentration, contract size); others are guessed from their id. */
  readonly instruments?: readonly Instrument[];
}

/** The reused per-check state; rules see it through the read-only RiskState interface. */
class MutableRiskState implements RiskState {
  limits: RiskLimits;
  now = 0;
  readonly facts = {
    quantity: 0,
    signedQuantity: 0,
    price: Number.NaN,
    positionBefore: 0,
    positionAfter: 0,
    tradingState: 'ACTIVE' as TradingState,
  } satisfies OrderFacts;
  instrumentId: InstrumentId = '';
  pending: Decimal | undefined;
  pnl: PnlFacts | undefined = undefined;
  observedPnl: PnlFacts | undefined = undefined;
  readonly exposure = new MutableExposureFacts();

  constructor(
    limits: RiskLimits,
    readonly portfolio: RiskPortfolioView,
    readonly trading: TradingStates,
    readonly openOrders: OpenOrdersView,
    public market: MarketRisk,
    readonly breakers: BreakerReader,
    readonly orderRate: OrderRateTracker,
  ) {
    this.limits = limits;
  }

  exactPositionBefore(): Decimal {
    const view =
      this.portfolio.positionExact?.(this.instrumentId) ??
      floatToDecimal(this.portfolio.position(this.instrumentId));
    return this.pending === undefined ? view : view.add(this.pending);
  }
}

/** The book's value at risk (`RiskEngine.valueAtRisk`). */
export interface BookValueAtRisk {
  /** What the configured method(s) judge by; null until the window has two samples. */
  readonly value: number | null;
  readonly historical: number | null;
  readonly parametric: number | null;
  readonly method: 'historical' | 'parametric' | 'both';
  readonly confidence: number;
  /** The horizon: one sample interval of the return window, ms. */
  readonly horizonMs: number;
  readonly samples: number;
  readonly windowSamples: number;
  /** The VaR rule's limit (null: the rule is off, the figure is informational). */
  readonly limit: number | null;
}

export class RiskEngine {
  private readonly chain: readonly RiskRule[];
  private readonly trading = new TradingStates();
  private readonly state: MutableRiskState;
  private readonly clock: Clock;
  private readonly options: RiskEngineOptions;
  private ruleErrors = 0;
  private readonly breakers: BreakerBoard | undefined;
  /** The loss limit that made the engine drop the desk to REDUCING, and the day it happened. */
  private autoReduced: { readonly by: 'daily-loss' | 'drawdown'; readonly day: number } | undefined;

  constructor(options: RiskEngineOptions) {
    this.options = options;
    this.clock = options.clock;
    this.chain = [...(options.rules ?? DEFAULT_RULES)];
    this.breakers = options.breakers;
    const limits = new RiskLimits(options.config ?? parseRiskConfig({}));
    const market = new MarketRisk(limits.varWindowSamples, limits.varSampleIntervalMs);
    for (const i of options.instruments ?? []) {
      if (i.kind === 'spot' || i.kind === 'perpetual' || i.kind === 'future')
        market.register(trackedSpecOf(i));
    }
    this.state = new MutableRiskState(
      limits,
      options.portfolio,
      this.trading,
      options.openOrders ?? NO_OPEN_ORDERS,
      market,
      options.breakers ?? NO_BREAKERS,
      new OrderRateTracker(limits.orderRate?.maxOrders ?? 1),
    );
  }

  /**
   * A mark for an instrument (a book mid, on market events): feeds the return window for VaR and
   * correlation, the exposures, and the volatility breakers. Off the hot path of `check`.
   */
  observePrice(instrumentId: InstrumentId, price: number, ts: number, venue?: VenueId): void {
    this.state.market.observePrice(instrumentId, price, ts, venue);
    this.breakers?.observePrice(instrumentId, price, ts);
  }

  /**
   * Reads the portfolio's equity, peak, drawdown and daily PnL (rolling the day), feeds the loss
   * breaker, and applies the loss limits: when the daily loss or drawdown limit is reached the
   * global state drops to REDUCING (reported through onTradingStateChange). A desk the engine
   * reduced for its daily loss becomes ACTIVE again after the next daily reset; a drawdown stop
   * stays until the operator lifts it. Call it on market events and after fills.
   */
  observe(ts: number): PnlFacts | undefined {
    const p = this.state.portfolio;
    const pnl = p.observe?.(ts) ?? p.metrics?.();
    this.state.observedPnl = pnl;
    this.state.pnl = pnl;
    this.breakers?.poll(ts);
    if (pnl === undefined) return undefined;
    this.breakers?.observePnl(pnl.equity, ts);
    this.applyLossLimits(pnl, ts);
    return pnl;
  }

  /** The breaker board (when configured), e.g. for the kernel to report venue outcomes. */
  breakerBoard(): BreakerBoard | undefined {
    return this.breakers;
  }

  /** Runs the chain on one order. `{ ok: true }` is a shared frozen object: do not mutate it. */
  check(order: RiskOrder, ctx?: RiskCheckContext): RiskVerdict {
    const s = this.state;
    let current = 'engine';
    try {
      this.prepare(order, ctx);
      const chain = this.chain;
      for (let i = 0; i < chain.length; i++) {
        const rule = chain[i]!;
        current = rule.name;
        const denial = rule.check(order, s);
        if (denial !== undefined) return { ok: false, denial };
      }
      current = 'engine';
      this.notePassed(order);
      return PASS;
    } catch (error) {
      return { ok: false, denial: this.ruleFailed(current, order, error) };
    }
  }

  setTradingState(scope: TradingScope, state: TradingState, reason: string): void {
    const from = this.trading.set(scope, state, reason);
    if (from !== state)
      this.options.onTradingStateChange?.({ scope, from, to: state, reason, ts: this.clock.now() });
  }

  tradingState(scope: TradingScope): TradingState {
    return this.trading.get(scope);
  }

  /** The state that applies to an order on this instrument and venue. */
  effectiveTradingState(instrumentId: InstrumentId, venue: string): TradingState {
    return this.trading.effective(instrumentId, venue);
  }

  /** Scopes that are not ACTIVE, with their reasons. */
  tradingStates(): ReturnType<TradingStates['list']> {
    return this.trading.list();
  }

  /** Replaces the limits (e.g. after a config reload); takes effect on the next check. */
  updateConfig(config: RiskConfig): void {
    const limits = new RiskLimits(config);
    const old = this.state.market;
    if (
      old.windowSamples !== limits.varWindowSamples ||
      old.sampleIntervalMs !== limits.varSampleIntervalMs
    ) {
      // A different window cannot reuse the samples: start a new one with the same instruments.
      const market = new MarketRisk(limits.varWindowSamples, limits.varSampleIntervalMs);
      for (const spec of old.instruments()) market.register(spec);
      this.state.market = market;
    }
    this.state.orderRate.resize(limits.orderRate?.maxOrders ?? 1);
    this.state.limits = limits;
  }

  /** The window figures (samples, VaR, correlation) of the last check. */
  marketRisk(): MarketRisk {
    return this.state.market;
  }

  limits(): RiskLimits {
    return this.state.limits;
  }

  /**
   * Value at risk of the book as it stands, as the VaR rule computes it (95%, one sample interval
   * of the rolling window), both methods; `value` is the figure the configured method(s) judge by
   * (the larger of the two for `both`). Null figures while the window has fewer than two samples.
   */
  valueAtRisk(): BookValueAtRisk {
    const l = this.state.limits;
    const method =
      l.varHistorical && l.varParametric ? 'both' : l.varHistorical ? 'historical' : 'parametric';
    const v = this.state.market.bookVar(this.state.portfolio);
    const known = v.samples >= 2;
    const historical = known ? v.historical : null;
    const parametric = known ? v.parametric : null;
    const value = !known
      ? null
      : Math.max(l.varHistorical ? v.historical : 0, l.varParametric ? v.parametric : 0);
    return {
      value,
      historical,
      parametric,
      method,
      confidence: 0.95,
      horizonMs: l.varSampleIntervalMs,
      samples: v.samples,
      windowSamples: l.varWindowSamples,
      limit: l.varLimit,
    };
  }

  rules(): readonly RiskRule[] {
    return this.chain;
  }

  /** How many checks a throwing rule has denied since start. */
  ruleErrorCount(): number {
    return this.ruleErrors;
  }

  private prepare(order: RiskOrder, ctx: RiskCheckContext | undefined): void {
    const s = this.state;
    const f = s.facts;
    s.now = ctx?.now ?? this.clock.now();
    s.instrumentId = order.instrumentId;
    s.pending = ctx?.pendingPosition;
    const q = Number(order.quantity.units) / 1e18;
    f.quantity = q;
    f.signedQuantity = order.side === 'buy' ? q : -q;
    f.price =
      order.price !== undefined ? Number(order.price.units) / 1e18 : (order.referencePrice ?? Number.NaN);
    let before = s.portfolio.position(order.instrumentId);
    if (s.pending !== undefined) before += Number(s.pending.units) / 1e18;
    f.positionBefore = before;
    f.positionAfter = before + f.signedQuantity;
    f.tradingState = this.trading.effective(order.instrumentId, order.venue);
    // The portfolio's last observe (cheap: a cached object), else what engine.observe saw.
    s.pnl = s.portfolio.metrics?.() ?? s.observedPnl;
    if (s.limits.needsExposure) {
      if (f.price > 0 && f.price !== Number.POSITIVE_INFINITY) {
        s.market.prepare(order, f.price, f.signedQuantity, s.portfolio, s.exposure);
      } else s.exposure.unknown(); // NaN figures: every exposure rule denies (fail closed)
    }
  }

  /** Bookkeeping for a passed order: the rate window, and a probe of any half-open breaker. */
  private notePassed(order: RiskOrder): void {
    const s = this.state;
    if (s.limits.orderRate !== null) s.orderRate.record(order.venue, s.now);
    if (this.breakers !== undefined && !reducesPosition(order, s)) {
      this.breakers.notePassed(order.instrumentId, order.venue, s.now);
    }
  }

  private applyLossLimits(pnl: PnlFacts, ts: number): void {
    const limits = this.state.limits;
    const day = Math.floor((ts - limits.dailyResetUtcMinute * 60_000) / DAY_MS);
    const loss = -pnl.dailyPnl;
    const dailyHit = limits.maxDailyLoss !== null && loss >= limits.maxDailyLoss;
    const drawdownHit = limits.maxDrawdown !== null && pnl.drawdown >= limits.maxDrawdown;
    const global = this.trading.get({ kind: 'global' });
    if (global === 'ACTIVE' && (dailyHit || drawdownHit)) {
      const by = dailyHit ? 'daily-loss' : 'drawdown';
      this.autoReduced = { by, day };
      const reason = dailyHit
        ? `DAILY_LOSS_LIMIT_REACHED: limit=${limits.maxDailyLoss}, value=${figure(loss)}`
        : `DRAWDOWN_LIMIT_REACHED: limit=${limits.maxDrawdown}, value=${figure(pnl.drawdown)}`;
      this.setTradingState({ kind: 'global' }, 'REDUCING', reason);
      return;
    }
    const auto = this.autoReduced;
    if (auto?.by === 'daily-loss' && day > auto.day && !dailyHit && !drawdownHit && global === 'REDUCING') {
      this.autoReduced = undefined;
      this.setTradingState({ kind: 'global' }, 'ACTIVE', 'daily reset: daily loss limit no longer reached');
    }
  }

  private ruleFailed(rule: string, order: RiskOrder, error: unknown): RiskDenial {
    this.ruleErrors++;
    const message = error instanceof Error ? error.message : String(error);
    const ts = this.clock.now();
    if (this.options.reduceOnRuleError !== false && this.trading.get({ kind: 'global' }) === 'ACTIVE') {
      this.setTradingState({ kind: 'global' }, 'REDUCING', `risk rule ${rule} failed: ${message}`);
    }
    try {
      this.options.onRuleError?.({ rule, error, order, ts });
    } catch {
      // A failing reporter must not turn a denial into a crash of the gate.
    }
    return {
      code: 'RULE_ERROR',
      rule,
      message: `rule=${rule}, error=${message}`,
      details: { rule, error: message, instrument: order.instrumentId },
    };
  }
}

function floatToDecimal(x: number): Decimal {
  return Decimal.tryFrom(x) ?? Decimal.fromNumberRounded(x);
}
