/**
 * `market-regime`: labels the triggering instrument's recent mid history as
 * bull, bear, sideways or volatile. It proposes no orders: its decision carries
 * the label in `reasoning` and the strength of the classification as confidence,
 * for the orchestrator and for other agents (which may also call `classifyRegime`).
 */
import { z } from 'zod';
import { ConcordError } from '../../../core/index.ts';
import type { Decision, InstrumentId } from '../../../model/index.ts';
import { NO_ACTION } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition } from '../../contract.ts';
import { classifyRegime, type RegimeLabel, type RegimeParams, regimeHistoryLength } from './classify.ts';
import { fmt } from './stats.ts';

export * from './classify.ts';

export const regimeConfigSchema = z
  .strictObject({
    window: z.number().int().min(5).max(10_000).default(60),
    baselineWindow: z.number().int().min(0).max(100_000).default(240),
    trendT: z.number().positive().default(2.5),
    volatileRatio: z.number().gt(1).default(1.5),
    /** Only these instruments (all when absent). */
    instruments: z.array(z.string().min(1)).min(1).optional(),
  })
  .prefault({});

export type RegimeConfig = z.output<typeof regimeConfigSchema>;

const REGIME_LABELS = ['bull', 'bear', 'sideways', 'volatile'] as const;
const regimeStateSchema = z.strictObject({
  lastLabels: z.record(z.string(), z.enum(REGIME_LABELS)),
});

export type RegimeState = z.output<typeof regimeStateSchema>;

export class RegimeAgent implements Agent {
  readonly type = 'market-regime';
  readonly role = 'proposer';
  readonly triggers = ['price-move', 'bar', 'timer'] as const;
  readonly instruments?: readonly InstrumentId[];
  private readonly params: RegimeParams;
  private readonly historyLength: number;
  /** Learned state: the last label seen per instrument, to report regime changes. */
  private readonly lastLabels = new Map<InstrumentId, RegimeLabel>();

  constructor(
    readonly id: string,
    config: RegimeConfig,
  ) {
    this.params = {
      window: config.window,
      baselineWindow: config.baselineWindow,
      trendT: config.trendT,
      volatileRatio: config.volatileRatio,
    };
    this.historyLength = regimeHistoryLength(this.params);
    if (config.instruments !== undefined) this.instruments = config.instruments;
  }

  process(context: AgentContext): Decision {
    const instrumentId = context.trigger.instrumentId;
    const mids = context.market.midHistory(instrumentId, this.historyLength);
    const regime = classifyRegime(mids, this.params);
    if (regime === undefined) {
      return {
        ...NO_ACTION,
        reasoning: `regime ${instrumentId}: ${mids.length} mids, need ${this.params.window + 1}`,
      };
    }
    const previous = this.lastLabels.get(instrumentId);
    this.lastLabels.set(instrumentId, regime.label);
    const change = previous === undefined || previous === regime.label ? '' : ` (was ${previous})`;
    return {
      intents: [],
      confidence: regime.strength,
      expectedReturn: 0,
      reasoning:
        `regime ${instrumentId}: ${regime.label}${change}; trend t=${fmt(regime.trendT)} (|t|≥${this.params.trendT} trends), ` +
        `vol ratio ${fmt(regime.volatilityRatio)} (≥${this.params.volatileRatio} volatile), ` +
        `vol ${fmt(regime.volatility * 1e4)} bp/sample over ${regime.samples} returns`,
    };
  }

  /** The label this agent last reported for an instrument, if any. */
  lastLabel(instrumentId: InstrumentId): RegimeLabel | undefined {
    return this.lastLabels.get(instrumentId);
  }

  snapshot(): RegimeState {
    return { lastLabels: Object.fromEntries(this.lastLabels) };
  }

  restore(state: unknown): void {
    const parsed = regimeStateSchema.safeParse(state);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConcordError(
        'CONCORD_ERR_AGENT_STATE_INVALID',
        `agent ${this.id} cannot restore its saved state: ${issue?.message}`,
        {
          details: { agentId: this.id, type: this.type, path: issue?.path.map(String).join('.') ?? '' },
        },
      );
    }
    this.lastLabels.clear();
    for (const [id, label] of Object.entries(parsed.data.lastLabels)) this.lastLabels.set(id, label);
  }
}

export const regimeAgent: AgentDefinition<RegimeConfig> = {
  type: 'market-regime',
  description:
    'Labels each instrument bull, bear, sideways or volatile from its mid history (drift t-stat, vol vs baseline); proposes no orders.',
  role: 'proposer',
  configSchema: regimeConfigSchema,
  create: (id, config) => new RegimeAgent(id, config),
};
