/**
 * `mean-reversion`: fades deviations. The z-score of the current mid against the
 * mean and standard deviation of the last `window` mids; at or beyond ±entryZ it
 * trades against the deviation (sell above, buy below), and it closes a position
 * once the mid has come back inside ±exitZ on the position's side.
 */
import { z } from 'zod';
import type { Decision, InstrumentId } from '../../../model/index.ts';
import { noAction } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition } from '../../contract.ts';
import {
  isReducing,
  marketOrderFor,
  orderableInstrument,
  type PositionLimits,
  tradeToward,
} from '../momentum/sizing.ts';
import { fmt, meanStd, strengthPast } from '../regime/stats.ts';

export const meanReversionConfigSchema = z
  .strictObject({
    /** Mids in the rolling mean / std, the current one included. */
    window: z.number().int().min(3).max(100_000).default(20),
    entryZ: z.number().positive().default(2),
    exitZ: z.number().min(0).default(0.5),
    /** Size of one entry, base units. */
    quantity: z.number().positive().default(1),
    /** Largest absolute position, base units. */
    maxPosition: z.number().positive().default(2),
    allowShort: z.boolean().default(true),
    instruments: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((c) => c.exitZ < c.entryZ, { message: 'exitZ must be below entryZ', path: ['exitZ'] })
  .prefault({});

export type MeanReversionConfig = z.output<typeof meanReversionConfigSchema>;

export interface ZScore {
  readonly z: number;
  readonly mean: number;
  readonly std: number;
}

/** z-score of the last value against the mean and sample std of all of `mids`; undefined if flat or too short. */
export function zScoreOfLast(mids: readonly number[]): ZScore | undefined {
  if (mids.length < 2) return undefined;
  const { mean, std } = meanStd(mids);
  if (!(std > 0)) return undefined;
  return { z: ((mids[mids.length - 1] as number) - mean) / std, mean, std };
}

export type MeanReversionAction = 'enter-long' | 'enter-short' | 'exit' | 'hold';

/** What the rules say for a z-score and a position (pure; the agent sizes it). */
export function meanReversionAction(
  z: number,
  position: number,
  entryZ: number,
  exitZ: number,
): MeanReversionAction {
  if (z >= entryZ) return 'enter-short';
  if (z <= -entryZ) return 'enter-long';
  // Exit once the deviation that opened the position has come back inside the exit band (or beyond it).
  if ((position > 0 && z >= -exitZ) || (position < 0 && z <= exitZ)) return 'exit';
  return 'hold';
}

export class MeanReversionAgent implements Agent {
  readonly type = 'mean-reversion';
  readonly role = 'proposer';
  readonly triggers = ['price-move', 'bar'] as const;
  readonly instruments?: readonly InstrumentId[];
  private readonly limits: PositionLimits;

  constructor(
    readonly id: string,
    private readonly config: MeanReversionConfig,
  ) {
    this.limits = {
      quantity: config.quantity,
      maxPosition: config.maxPosition,
      allowShort: config.allowShort,
    };
    if (config.instruments !== undefined) this.instruments = config.instruments;
  }

  process(context: AgentContext): Decision {
    const id = context.trigger.instrumentId;
    const { window, entryZ, exitZ } = this.config;
    const mids = context.market.midHistory(id, window);
    if (mids.length < window) return noAction(`mean-reversion ${id}: ${mids.length} mids, need ${window}`);
    const score = zScoreOfLast(mids);
    if (score === undefined) return noAction(`mean-reversion ${id}: flat or invalid mids, no z-score`);
    const position = context.portfolio.position(id);
    const action = meanReversionAction(score.z, position, entryZ, exitZ);
    const measured = `z=${fmt(score.z)} (entry ±${entryZ}, exit ±${exitZ}) over ${window} mids, mean ${fmt(score.mean)}, std ${fmt(score.std, 4)}, position ${position}`;
    if (action === 'hold') return noAction(`mean-reversion ${id}: hold; ${measured}`);

    const trade =
      action === 'exit' ? -position : tradeToward(position, action === 'enter-long' ? 1 : -1, this.limits);
    const instrument = orderableInstrument(context.market, id);
    if (instrument === undefined) return noAction(`mean-reversion ${id}: not an orderable instrument`);
    const order = trade === 0 ? undefined : marketOrderFor(instrument, trade, isReducing(position, trade));
    if (order === undefined)
      return noAction(`mean-reversion ${id}: ${action} but at position cap or below one lot; ${measured}`);

    const mid = mids[mids.length - 1] as number;
    const entering = action !== 'exit';
    return {
      intents: [order],
      confidence: entering ? strengthPast(Math.abs(score.z) - entryZ) : 0.5,
      // Entry expects the mid to come back to the exit band: (|z| − exitZ) standard deviations.
      expectedReturn: entering ? ((Math.abs(score.z) - exitZ) * score.std) / mid : 0,
      reasoning: `mean-reversion ${id}: ${action}, ${order.side} ${order.quantity} at market; ${measured}`,
    };
  }
}

export const meanReversionAgent: AgentDefinition<MeanReversionConfig> = {
  type: 'mean-reversion',
  description:
    'Fades z-score deviations of the mid from its rolling mean: enters beyond ±entryZ, exits inside ±exitZ; position-capped.',
  role: 'proposer',
  configSchema: meanReversionConfigSchema,
  create: (id, config) => new MeanReversionAgent(id, config),
};
