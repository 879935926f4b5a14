/**
 * Learned trust per agent, by multiplicative weights: after each judged decision,
 *   trust ← clamp(trust × exp(η × reward), minTrust, maxTrust)
 * with reward ∈ [−1, 1] = ½·(correct ? +1 : −1) + ½·clamp(realizedReturn / returnScale, −1, 1):
 * half for being right, half for how much it earned. Trust is bounded rather than
 * normalised, so one agent's outcome never moves another agent's trust, and the
 * result does not depend on how outcomes of different agents interleave.
 * New agents start at `initialTrust` (1). Pure arithmetic on the outcomes: deterministic.
 */
import { z } from 'zod';
import { ConcordError } from '../core/index.ts';
import type { Outcome } from '../model/index.ts';
import { parseConfigSection } from './config.ts';

export const TrustConfigSchema = z
  .object({
    learningRate: z.number().positive().default(0.1),
    minTrust: z.number().positive().default(0.1),
    maxTrust: z.number().positive().default(3),
    initialTrust: z.number().positive().default(1),
    /** A realised return of this size (fraction of notional) earns the full return half of the reward. */
    returnScale: z.number().positive().default(0.001),
  })
  .strict()
  .refine((c) => c.minTrust <= c.initialTrust && c.initialTrust <= c.maxTrust, {
    message: 'expected minTrust ≤ initialTrust ≤ maxTrust',
    path: ['initialTrust'],
  });

export type TrustConfig = z.infer<typeof TrustConfigSchema>;

export function parseTrustConfig(input: unknown, pathPrefix = 'orchestrator.trust'): TrustConfig {
  return parseConfigSection(TrustConfigSchema, input, pathPrefix);
}

export interface AgentStats {
  readonly agentId: string;
  readonly trust: number;
  /** Judged decisions. */
  readonly decisions: number;
  readonly correct: number;
  readonly pnl: number;
}

export interface TrustSnapshot {
  readonly version: 1;
  readonly agents: readonly AgentStats[];
}

const TrustSnapshotSchema = z.object({
  version: z.literal(1),
  agents: z.array(
    z.object({
      agentId: z.string().min(1),
      trust: z.number().positive(),
      decisions: z.number().int().nonnegative(),
      correct: z.number().int().nonnegative(),
      pnl: z.number(),
    }),
  ),
});

interface MutableStats {
  trust: number;
  decisions: number;
  correct: number;
  pnl: number;
}

export class TrustBook {
  readonly config: TrustConfig;
  private readonly agents = new Map<string, MutableStats>();
  /** Bound once so it can be handed to `consolidate` without allocating. */
  readonly lookup = (agentId: string): number => this.trust(agentId);

  constructor(config: unknown = {}) {
    this.config = parseTrustConfig(config);
  }

  trust(agentId: string): number {
    return this.agents.get(agentId)?.trust ?? this.config.initialTrust;
  }

  /** The reward in [−1, 1] an outcome earns (exported for tests and dashboards). */
  reward(outcome: Pick<Outcome, 'correct' | 'realizedReturn'>): number {
    const r = Number.isFinite(outcome.realizedReturn) ? outcome.realizedReturn / this.config.returnScale : 0;
    return 0.5 * (outcome.correct ? 1 : -1) + 0.5 * Math.min(1, Math.max(-1, r));
  }

  /** Applies one outcome; returns the agent's new trust. */
  update(outcome: Outcome): number {
    const s = this.statsOf(outcome.agentId);
    const c = this.config;
    s.trust = Math.min(
      c.maxTrust,
      Math.max(c.minTrust, s.trust * Math.exp(c.learningRate * this.reward(outcome))),
    );
    s.decisions++;
    if (outcome.correct) s.correct++;
    if (Number.isFinite(outcome.pnl)) s.pnl += outcome.pnl;
    return s.trust;
  }

  stats(agentId: string): AgentStats {
    const s = this.agents.get(agentId);
    return s === undefined
      ? { agentId, trust: this.config.initialTrust, decisions: 0, correct: 0, pnl: 0 }
      : { agentId, ...s };
  }

  /** All agents seen, sorted by id. */
  all(): AgentStats[] {
    return [...this.agents.keys()].sort().map((id) => this.stats(id));
  }

  snapshot(): TrustSnapshot {
    return { version: 1, agents: this.all() };
  }

  /** Restores a snapshot read back from the journal (validated: it crossed a process boundary). */
  restore(snapshot: unknown): void {
    const parsed = TrustSnapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConcordError(
        'CONCORD_ERR_ORCHESTRATOR_SNAPSHOT_INVALID',
        `the trust snapshot is not valid at ${(issue?.path ?? []).join('.') || '(root)'}: ${issue?.message}`,
        { details: { path: (issue?.path ?? []).join('.'), expected: issue?.message } },
      );
    }
    this.agents.clear();
    const c = this.config;
    for (const a of parsed.data.agents) {
      this.agents.set(a.agentId, {
        trust: Math.min(c.maxTrust, Math.max(c.minTrust, a.trust)),
        decisions: a.decisions,
        correct: a.correct,
        pnl: a.pnl,
      });
    }
  }

  private statsOf(agentId: string): MutableStats {
    let s = this.agents.get(agentId);
    if (s === undefined) {
      s = { trust: this.config.initialTrust, decisions: 0, correct: 0, pnl: 0 };
      this.agents.set(agentId, s);
    }
    return s;
  }
}
