import { describe, expect, it } from 'vitest';
import { ConcordError } from '../../src/core/index.ts';
import {
  BreakerBoard,
  parseRiskConfig,
  parseSafetyConfig,
  RiskLimits,
  toBreakerBoardOptions,
  toRiskConfig,
} from '../../src/risk/index.ts';

function errorOf(raw: unknown): ConcordError {
  try {
    parseSafetyConfig(raw);
  } catch (err) {
    if (err instanceof ConcordError) return err;
    throw err;
  }
  throw new Error(`expected parseSafetyConfig to throw for ${JSON.stringify(raw)}`);
}

/** { a: { b: v } } from 'a.b' */
function nested(path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let out: unknown = value;
  for (let i = keys.length - 1; i >= 0; i--) out = { [keys[i]!]: out };
  return out as Record<string, unknown>;
}

const NOT_A_NUMBER = ['many', true, Number.NaN];
const NEGATIVE = [-1];
const BAD_POSITIVE = [...NOT_A_NUMBER, ...NEGATIVE, 0];
const BAD_INT = [...BAD_POSITIVE, 1.5];
const BAD_FRACTION = [...BAD_POSITIVE, 1.5];
const BAD_BOOL = ['yes', 1, null];

/** Every leaf field of the section with values that must be refused. */
const TABLE: ReadonlyArray<readonly [string, readonly unknown[]]> = [
  ['simulation.enabled', BAD_BOOL],
  ['simulation.virtualBalance', [...BAD_POSITIVE, Number.POSITIVE_INFINITY]],
  ['simulation.dataDelayMs', [...NOT_A_NUMBER, ...NEGATIVE, 1.5, 120_000]],
  ['riskManagement.killSwitch', BAD_BOOL],
  ['riskManagement.maxOrderNotional.default', ['lots', -5, 0, true]],
  ['riskManagement.maxOrderNotional.perInstrument.x:Y', ['lots', -5, 0]],
  ['riskManagement.maxPosition.default', ['lots', -5, 0]],
  ['riskManagement.maxPosition.perInstrument.x:Y', ['lots', -5, 0]],
  ['riskManagement.priceBandBps', [...BAD_POSITIVE, 10_001]],
  ['riskManagement.maxGrossExposure', [...BAD_POSITIVE, Number.POSITIVE_INFINITY]],
  ['riskManagement.maxNetExposure', BAD_POSITIVE],
  ['riskManagement.maxOpenOrders', BAD_INT],
  ['riskManagement.maxOpenOrdersPerVenue', BAD_INT],
  ['riskManagement.maxPositionPerVenue', BAD_POSITIVE],
  ['riskManagement.maxDailyLoss', BAD_POSITIVE],
  ['riskManagement.dailyResetUtcMinute', [...NOT_A_NUMBER, ...NEGATIVE, 1.5, 1440]],
  ['riskManagement.maxDrawdown', BAD_FRACTION],
  ['riskManagement.valueAtRisk.limit', BAD_POSITIVE],
  ['riskManagement.valueAtRisk.method', ['monte-carlo', 1]],
  ['riskManagement.valueAtRisk.windowSamples', [...BAD_INT, 19, 10_001]],
  ['riskManagement.valueAtRisk.sampleIntervalMs', BAD_INT],
  ['riskManagement.valueAtRisk.minSamples', [...BAD_INT, 1]],
  ['riskManagement.maxConcentration', BAD_FRACTION],
  ['riskManagement.concentrationMinGross', [...NOT_A_NUMBER, ...NEGATIVE]],
  ['riskManagement.maxCorrelatedExposure', BAD_POSITIVE],
  ['riskManagement.maxLeverage', BAD_POSITIVE],
  ['riskManagement.orderRate.maxOrders', BAD_INT],
  ['riskManagement.orderRate.windowMs', BAD_INT],
  ['riskManagement.minNetEdgeBps', [...NOT_A_NUMBER, ...NEGATIVE, 10_001]],
  ['riskManagement.maxSwapSlippageBps', [...BAD_POSITIVE, 10_001]],
  ['riskManagement.circuitBreakers.volatility.enabled', BAD_BOOL],
  ['riskManagement.circuitBreakers.volatility.sampleMs', BAD_INT],
  ['riskManagement.circuitBreakers.volatility.shortSamples', [...BAD_INT, 1]],
  ['riskManagement.circuitBreakers.volatility.baselineHalfLifeSamples', BAD_INT],
  ['riskManagement.circuitBreakers.volatility.warmupSamples', [...NOT_A_NUMBER, ...NEGATIVE, 1.5]],
  ['riskManagement.circuitBreakers.volatility.moveMultiple', BAD_POSITIVE],
  ['riskManagement.circuitBreakers.volatility.volMultiple', BAD_POSITIVE],
  ['riskManagement.circuitBreakers.volatility.minBaselineVol', [...NOT_A_NUMBER, ...NEGATIVE, 2]],
  ['riskManagement.circuitBreakers.volatility.cooldownMs', BAD_INT],
  ['riskManagement.circuitBreakers.volatility.probes', [...BAD_INT, 1001]],
  ['riskManagement.circuitBreakers.errorRate.enabled', BAD_BOOL],
  ['riskManagement.circuitBreakers.errorRate.windowMs', BAD_INT],
  ['riskManagement.circuitBreakers.errorRate.minSamples', BAD_INT],
  ['riskManagement.circuitBreakers.errorRate.maxErrorRate', [...NOT_A_NUMBER, ...NEGATIVE, 1.5]],
  ['riskManagement.circuitBreakers.errorRate.cooldownMs', BAD_INT],
  ['riskManagement.circuitBreakers.errorRate.probes', BAD_INT],
  ['riskManagement.circuitBreakers.loss.maxDrop', BAD_POSITIVE],
  ['riskManagement.circuitBreakers.loss.windowMs', BAD_INT],
  ['riskManagement.circuitBreakers.loss.cooldownMs', BAD_INT],
  ['riskManagement.circuitBreakers.loss.probes', BAD_INT],
  ['reconciliation.tolerance', [...NOT_A_NUMBER, ...NEGATIVE, 1.5]],
  ['reconciliation.intervalMs', BAD_INT],
  ['reconciliation.autoFixLimit', [...NOT_A_NUMBER, ...NEGATIVE, Number.POSITIVE_INFINITY]],
  ['errorRecovery.maxRetries', [...NOT_A_NUMBER, ...NEGATIVE, 1.5, 101]],
  ['errorRecovery.backoffMultiplier', [...NOT_A_NUMBER, 0.5, 101]],
  ['errorRecovery.baseDelayMs', BAD_INT],
  ['errorRecovery.maxDelayMs', [...BAD_INT, 100]],
  ['errorRecovery.healthCheckIntervalMs', BAD_INT],
];

/** Siblings a field needs so that only the field itself is wrong. */
function validSiblings(path: string): Record<string, unknown> {
  if (path.startsWith('riskManagement.orderRate.')) {
    return { riskManagement: { orderRate: { maxOrders: 10, windowMs: 1000 } } };
  }
  if (path.startsWith('riskManagement.circuitBreakers.loss.')) {
    return { riskManagement: { circuitBreakers: { loss: { maxDrop: 100 } } } };
  }
  return {};
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const av = out[k];
    out[k] =
      av !== null && typeof av === 'object' && v !== null && typeof v === 'object' && !Array.isArray(v)
        ? merge(av as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

describe('parseSafetyConfig', () => {
  it('fills every default for an empty or absent section', () => {
    const s = parseSafetyConfig(undefined);
    expect(s).toEqual(parseSafetyConfig({}));
    expect(s.simulation).toEqual({ enabled: true, virtualBalance: 10_000, dataDelayMs: 0 });
    expect(s.reconciliation).toEqual({ tolerance: 0.0001, intervalMs: 30_000, autoFixLimit: 0 });
    expect(s.errorRecovery).toEqual({
      maxRetries: 3,
      backoffMultiplier: 2,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      healthCheckIntervalMs: 10_000,
    });
    expect(s.riskManagement.maxDailyLoss).toBeNull();
    expect(s.riskManagement.circuitBreakers.loss).toBeNull();
    expect(s.riskManagement.circuitBreakers.volatility.moveMultiple).toBe(6);
    // The risk part of the defaults is the risk section's defaults.
    expect(toRiskConfig(s)).toEqual(parseRiskConfig({}));
  });

  it('the valid siblings used by the table are themselves valid', () => {
    for (const [path] of TABLE) expect(() => parseSafetyConfig(validSiblings(path))).not.toThrow();
  });

  for (const [path, values] of TABLE) {
    it(`names safety.${path} for each invalid value`, () => {
      for (const value of values) {
        const e = errorOf(merge(validSiblings(path), nested(path, value)));
        expect(e.code).toBe('CONCORD_ERR_CONFIG_INVALID');
        expect(e.details.path, `value ${String(value)}`).toBe(`safety.${path}`);
        expect(e.message).toContain(`safety.${path}`);
      }
    });
  }

  it('covers every leaf of the defaults in the table', () => {
    const leaves: string[] = [];
    const walk = (v: unknown, prefix: string) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v.constructor?.name === 'Decimal')) {
        const entries = Object.entries(v as Record<string, unknown>);
        if (entries.length === 0) leaves.push(`${prefix}.x:Y`);
        for (const [k, child] of entries) walk(child, prefix === '' ? k : `${prefix}.${k}`);
      } else leaves.push(prefix);
    };
    const full = parseSafetyConfig({
      riskManagement: { orderRate: { maxOrders: 1, windowMs: 1 }, circuitBreakers: { loss: { maxDrop: 1 } } },
    });
    walk(full, '');
    const tabled = new Set(TABLE.map(([p]) => p));
    expect(leaves.filter((l) => !tabled.has(l))).toEqual([]);
  });

  it('rejects unknown keys at every level, naming where they are', () => {
    expect(errorOf({ simulatoin: {} }).details.path).toBe('safety');
    expect(errorOf({ simulatoin: {} }).message).toContain('simulatoin');
    expect(errorOf({ riskManagement: { maxDailyLos: 5 } }).details.path).toBe('safety.riskManagement');
    expect(errorOf({ riskManagement: { circuitBreakers: { foo: 1 } } }).details.path).toBe(
      'safety.riskManagement.circuitBreakers',
    );
    expect(errorOf({ errorRecovery: { retries: 1 } }).details.path).toBe('safety.errorRecovery');
  });

  it('maps onto the risk engine config and the breaker board', () => {
    const s = parseSafetyConfig({
      riskManagement: {
        maxDailyLoss: 500,
        maxDrawdown: 0.2,
        valueAtRisk: { limit: 100, method: 'historical' },
        orderRate: { maxOrders: 5, windowMs: 1000 },
        circuitBreakers: { errorRate: { enabled: false }, loss: { maxDrop: 250 } },
      },
    });
    const limits = new RiskLimits(toRiskConfig(s));
    expect(limits.maxDailyLoss).toBe(500);
    expect(limits.maxDrawdown).toBe(0.2);
    expect(limits.varLimit).toBe(100);
    expect(limits.varParametric).toBe(false);
    expect(limits.orderRate).toEqual({ maxOrders: 5, windowMs: 1000 });
    const board = toBreakerBoardOptions(s);
    expect(board.errorRate).toBe(false);
    expect(board.loss).toEqual({ maxDrop: 250, windowMs: 300_000, cooldownMs: 300_000, probes: 1 });
    expect(board.volatility).toMatchObject({ moveMultiple: 6, probes: 3 });
    expect(new BreakerBoard(board).status()).toEqual([
      { breaker: 'loss', scope: 'global', state: 'CLOSED', reason: '', trips: 0 },
    ]);
  });
});
