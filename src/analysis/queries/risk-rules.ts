/**
 * The risk gate's rules in words, for a trace: which limit each rule of the journaled chain
 * (`risk.chain`) judged an order against, read from the journaled limits. A rule whose limit is
 * not configured still runs and passes every order: it is reported as such ("no limit set").
 */
import { DEFAULT_RULES } from '../../risk/index.ts';

type Limits = Readonly<Record<string, unknown>>;

/** A rule's limit for one order: the text, and whether a limit is set at all. */
export interface RuleLimit {
  readonly limit: string;
  readonly configured: boolean;
}

const NOT_SET: RuleLimit = { limit: 'no limit set', configured: false };

function num(v: unknown): number | string | undefined {
  return typeof v === 'number' || typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): Limits {
  return v !== null && typeof v === 'object' ? (v as Limits) : {};
}

function simple(value: unknown, text: (v: number | string) => string): RuleLimit {
  const v = num(value);
  return v === undefined ? NOT_SET : { limit: text(v), configured: true };
}

/** The limit `rule` applies to an order on `instrumentId`, from the journaled limits. */
export function ruleLimit(rule: string, limits: Limits, instrumentId: string): RuleLimit {
  switch (rule) {
    case 'trading-state':
      return {
        limit:
          limits.killSwitch === true
            ? 'kill switch ON: nothing passes'
            : 'no HALTED scope; under REDUCING only orders that reduce a position',
        configured: true,
      };
    case 'circuit-breaker':
      return { limit: 'no open circuit breaker on the instrument or its venue', configured: true };
    case 'reduce-only':
      return { limit: 'a reduce-only order must not grow the position', configured: true };
    case 'order-rate': {
      const r = obj(limits.orderRate);
      const max = num(r.maxOrders);
      const window = num(r.windowMs);
      return max === undefined || window === undefined
        ? NOT_SET
        : { limit: `at most ${max} orders per ${window} ms per venue`, configured: true };
    }
    case 'price-band':
      return simple(limits.priceBandBps, (v) => `limit price within ${v} bp of the reference mid`);
    case 'net-edge':
      return simple(limits.minNetEdgeBps, (v) => `a plan leg expects ≥ ${v} bp net edge after fees`);
    case 'max-order-notional': {
      const m = obj(limits.maxOrderNotional);
      const own = num(obj(m.perInstrument)[instrumentId]);
      return simple(
        own ?? m.default,
        (v) => `notional ≤ ${v}${own === undefined ? '' : ` (${instrumentId})`}`,
      );
    }
    case 'max-position': {
      const m = obj(limits.maxPosition);
      const own = num(obj(m.perInstrument)[instrumentId]);
      return simple(
        own ?? m.default,
        (v) => `|position after| ≤ ${v}${own === undefined ? '' : ` (${instrumentId})`}`,
      );
    }
    case 'open-orders': {
      const all = num(limits.maxOpenOrders);
      const venue = num(limits.maxOpenOrdersPerVenue);
      if (all === undefined && venue === undefined) return NOT_SET;
      const parts = [];
      if (all !== undefined) parts.push(`≤ ${all} open orders`);
      if (venue !== undefined) parts.push(`≤ ${venue} per venue`);
      return { limit: parts.join(', '), configured: true };
    }
    case 'daily-loss':
      return simple(
        limits.maxDailyLoss,
        (v) => `loss since the daily reset < ${v} (else only reducing orders)`,
      );
    case 'drawdown':
      return simple(
        limits.maxDrawdown,
        (v) => `drawdown from the equity peak < ${v} (else only reducing orders)`,
      );
    case 'venue-position':
      return simple(limits.maxPositionPerVenue, (v) => `Σ |exposure| on the venue ≤ ${v}`);
    case 'gross-exposure':
      return simple(limits.maxGrossExposure, (v) => `Σ |exposure| ≤ ${v}`);
    case 'net-exposure':
      return simple(limits.maxNetExposure, (v) => `|Σ exposure| ≤ ${v}`);
    case 'leverage':
      return simple(limits.maxLeverage, (v) => `gross exposure / equity ≤ ${v}`);
    case 'concentration':
      return simple(
        limits.maxConcentration,
        (v) =>
          `one base asset ≤ ${v} of the gross exposure (from gross ${num(limits.concentrationMinGross) ?? 0})`,
      );
    case 'correlated-exposure':
      return simple(limits.maxCorrelatedExposure, (v) => `√(wᵀρw) ≤ ${v}`);
    case 'value-at-risk': {
      const v = obj(limits.valueAtRisk);
      return simple(v.limit, (x) => `95% VaR (${String(v.method ?? 'both')}) ≤ ${x}`);
    }
    default:
      return { limit: 'see the rule', configured: true };
  }
}

/** The rule names of this version's default chain (for journals written before `risk.chain`). */
export function defaultRuleNames(): string[] {
  return DEFAULT_RULES.map((r) => r.name);
}
