/**
 * The desk config's `shadow` section: candidate agents run beside the live ones on their own
 * simulated venues and journal (the session itself lives in src/modes/shadow.ts). Parsed and
 * validated here so whole-config validation needs nothing outside the kernel.
 */
import { z } from 'zod';
import { ConcordError } from '../core/index.ts';
import { type AgentSpec, type DeskConfig, deskConfigSchema, zodToConfigError } from './config.ts';

/** The desk's own agent spec schema, so a candidate is written exactly like a live agent. */
const agentSpecSchema = deskConfigSchema.shape.agents.unwrap().element;

export const promotionThresholdsSchema = z.strictObject({
  /** Agent decisions the candidates made (empty answers included). */
  minDecisions: z.int().nonnegative().default(1000),
  minFills: z.int().nonnegative().default(20),
  /** Total PnL (realized + unrealized − fees, quote currency) at least this. */
  minPnl: z.number().finite().default(0),
  /** Largest peak-to-trough fall of the sampled PnL, quote currency, at most this. */
  maxDrawdown: z.number().finite().nonnegative().default(1000),
  /** Desk time the session has been running. */
  minDurationMs: z
    .int()
    .nonnegative()
    .default(7 * 24 * 3_600_000),
  /** Shadow PnL − live PnL at least this (needs a live summary). */
  minPnlVsLive: z.number().finite().optional(),
});

export type PromotionThresholds = z.output<typeof promotionThresholdsSchema>;

export const shadowConfigSchema = z.strictObject({
  enabled: z.boolean().default(false),
  candidates: z.array(agentSpecSchema).default([]),
  promotion: promotionThresholdsSchema.prefault({}),
});

export type ShadowConfig = z.output<typeof shadowConfigSchema>;

/**
 * Validates the `shadow` section; throws CONCORD_ERR_CONFIG_INVALID naming the field
 * under `shadow.` (e.g. `shadow.promotion.minFills`, `shadow.candidates.0.id`).
 */
export function parseShadowConfig(raw: unknown, source = 'config'): ShadowConfig {
  const result = shadowConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw zodToConfigError(result.error, source, 'shadow');
  const shadow = result.data;
  if (shadow.enabled && shadow.candidates.length === 0) {
    throw shadowFieldError(
      'shadow.candidates',
      'at least one candidate agent when shadow.enabled is true',
      [],
      source,
    );
  }
  const ids = new Set<string>();
  shadow.candidates.forEach((c, i) => {
    if (ids.has(c.id))
      throw shadowFieldError(`shadow.candidates.${i}.id`, 'a unique candidate id', c.id, source);
    ids.add(c.id);
  });
  return shadow;
}

/** The shadow desk's config: the live desk's (same risk, orchestrator, venues), with only the candidates as agents. */
export function shadowDeskConfig(live: DeskConfig, candidates: readonly AgentSpec[]): DeskConfig {
  // A shadow desk has no shadow of its own.
  return { ...live, agents: candidates.map((c) => ({ ...c })), shadow: {} };
}

export function shadowFieldError(
  path: string,
  expected: string,
  received: unknown,
  source: string,
): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `${source}: field "${path}" is invalid: expected ${expected}, received ${JSON.stringify(received)}`,
    {
      details: { path, expected, received, source },
    },
  );
}
