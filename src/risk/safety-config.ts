/**
 * The `safety` config section: simulation, risk management (every limit of the risk engine plus
 * the circuit breakers), reconciliation and error recovery. Validated once at load; every error
 * is CONCORD_ERR_CONFIG_INVALID with `details.path` naming the field
 * (e.g. `safety.riskManagement.maxDailyLoss`). Unknown keys are errors. Defaults fill the rest.
 */
import { z } from 'zod';
import type { BreakerBoardOptions } from './breakers/board.ts';
import { configIssueError, type RiskConfig, riskConfigSchema } from './config.ts';

const nonNegativeInt = z.number().int().min(0);
const positiveInt = z.number().int().positive();
const positive = z.number().positive().finite();

const circuitFields = {
  cooldownMs: positiveInt,
  probes: z.number().int().min(1).max(1000),
};

const volatilityBreakerSchema = z
  .object({
    enabled: z.boolean().default(true),
    sampleMs: positiveInt.default(1000),
    shortSamples: z.number().int().min(2).max(10_000).default(10),
    baselineHalfLifeSamples: z.number().int().min(1).max(1_000_000).default(300),
    warmupSamples: nonNegativeInt.default(60),
    moveMultiple: positive.default(6),
    volMultiple: positive.default(4),
    minBaselineVol: z.number().min(0).max(1).default(1e-5),
    cooldownMs: circuitFields.cooldownMs.default(60_000),
    probes: circuitFields.probes.default(3),
  })
  .strict();

const errorRateBreakerSchema = z
  .object({
    enabled: z.boolean().default(true),
    windowMs: positiveInt.default(60_000),
    minSamples: positiveInt.default(10),
    maxErrorRate: z.number().min(0).max(1).default(0.5),
    cooldownMs: circuitFields.cooldownMs.default(30_000),
    probes: circuitFields.probes.default(3),
  })
  .strict();

const lossBreakerSchema = z
  .object({
    /** Largest tolerated equity drop within the window, quote currency. */
    maxDrop: positive,
    windowMs: positiveInt.default(300_000),
    cooldownMs: circuitFields.cooldownMs.default(300_000),
    probes: circuitFields.probes.default(1),
  })
  .strict();

export const safetyConfigSchema = z
  .object({
    simulation: z
      .object({
        /** Simulate execution (no real orders). */
        enabled: z.boolean().default(true),
        /** Starting balance of the simulated account, quote currency. */
        virtualBalance: positive.default(10_000),
        /** Delay added to market data in simulation (latency model). */
        dataDelayMs: nonNegativeInt.max(60_000).default(0),
      })
      .strict()
      .prefault({}),
    riskManagement: riskConfigSchema
      .extend({
        circuitBreakers: z
          .object({
            volatility: volatilityBreakerSchema.prefault({}),
            errorRate: errorRateBreakerSchema.prefault({}),
            /** null: no loss breaker. */
            loss: lossBreakerSchema.nullable().default(null),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    reconciliation: z
      .object({
        /** Relative difference (0.0001 = 1 bp) between our books and the venue's that is not a mismatch. */
        tolerance: z.number().min(0).max(1).default(0.0001),
        intervalMs: positiveInt.default(30_000),
        /** Largest mismatch (quote currency) reconciliation may correct on its own; 0 = always ask. */
        autoFixLimit: z.number().min(0).finite().default(0),
      })
      .strict()
      .prefault({}),
    errorRecovery: z
      .object({
        maxRetries: nonNegativeInt.max(100).default(3),
        backoffMultiplier: z.number().min(1).max(100).default(2),
        baseDelayMs: positiveInt.default(500),
        maxDelayMs: positiveInt.default(30_000),
        healthCheckIntervalMs: positiveInt.default(10_000),
      })
      .strict()
      .refine((e) => e.maxDelayMs >= e.baseDelayMs, {
        message: 'maxDelayMs must be at least baseDelayMs',
        path: ['maxDelayMs'],
      })
      .prefault({}),
  })
  .strict();

export type SafetyConfigInput = z.input<typeof safetyConfigSchema>;
export type SafetyConfig = z.output<typeof safetyConfigSchema>;

/** Validates the `safety` section (absent = all defaults). */
export function parseSafetyConfig(raw: unknown): SafetyConfig {
  const result = safetyConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw configIssueError('safety', raw, result.error.issues[0]!);
}

/** The risk engine's config from `safety.riskManagement` (the breakers go to toBreakerBoardOptions). */
export function toRiskConfig(safety: SafetyConfig): RiskConfig {
  const { circuitBreakers: _breakers, ...risk } = safety.riskManagement;
  return risk;
}

/** Options for a BreakerBoard from `safety.riskManagement.circuitBreakers` (add onTransition). */
export function toBreakerBoardOptions(safety: SafetyConfig): Omit<BreakerBoardOptions, 'onTransition'> {
  const b = safety.riskManagement.circuitBreakers;
  const { enabled: volatilityOn, ...volatility } = b.volatility;
  const { enabled: errorRateOn, ...errorRate } = b.errorRate;
  return {
    volatility: volatilityOn ? volatility : false,
    errorRate: errorRateOn ? errorRate : false,
    ...(b.loss === null ? {} : { loss: b.loss }),
  };
}
