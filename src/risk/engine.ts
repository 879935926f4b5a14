/**
 * The one deterministic gate every order passes. A chain of small pure rules runs in order;
 * the first denial wins. Fail closed: a rule that throws denies the order with RULE_ERROR,
 * is reported, and (by default) drops the desk to REDUCING.
 *
 * Hot path: the passing path allocates nothing but what the rules need; derived figures are
 * written once per order into a reused state object, and the pass verdict is a shared constant.
 */
import { type Clock, Decimal } from '../core/index.ts';
import type { InstrumentId } from '../model/index.ts';
import { parseRiskConfig, type RiskConfig, RiskLimits } from './config.ts';
import { DEFAULT_RULES } from './rules/index.ts';
import { TradingStates } from './trading-states.ts';
import type {
  OrderFacts,
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

  constructor(
    limits: RiskLimits,
    readonly portfolio: RiskPortfolioView,
    readonly trading: TradingStates,
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

export class RiskEngine {
  private readonly chain: readonly RiskRule[];
  private readonly trading = new TradingStates();
  private readonly state: MutableRiskState;
  private readonly clock: Clock;
  private readonly options: RiskEngineOptions;
  private ruleErrors = 0;

  constructor(options: RiskEngineOptions) {
    this.options = options;
    this.clock = options.clock;
    this.chain = [...(options.rules ?? DEFAULT_RULES)];
    this.state = new MutableRiskState(
      new RiskLimits(options.config ?? parseRiskConfig({})),
      options.portfolio,
      this.trading,
    );
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
    this.state.limits = new RiskLimits(config);
  }

  limits(): RiskLimits {
    return this.state.limits;
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
      message: `RULE_ERROR: rule=${rule}, error=${message}`,
      details: { rule, error: message, instrument: order.instrumentId },
    };
  }
}

function floatToDecimal(x: number): Decimal {
  return Decimal.tryFrom(x) ?? Decimal.fromNumberRounded(x);
}
