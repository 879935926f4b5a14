/**
 * `momentum`: follows the trend. The signal is the mid-history return over the
 * last `lookback` samples; past +thresholdBps it buys, past −thresholdBps it sells,
 * with a market order sized `quantity`, reversing an opposite position and never
 * building more than `maxPosition`.
 */
import { z } from 'zod';
import type { Decision, InstrumentId } from '../../../model/index.ts';
import { noAction } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition } from '../../contract.ts';
import { fmt, strengthPast } from '../regime/stats.ts';
import {
  isReducing,
  marketOrderFor,
  orderableInstrument,
  type PositionLimits,
  tradeToward,
} from './sizing.ts';

export const momentumConfigSchema = z
  .strictObject({
    /** Samples of mid history the return is measured over. */
    lookback: z.number().int().min(1).max(100_000).default(20),
    /** |return| in bp that counts as a trend. */
    thresholdBps: z.number().positive().default(20),
    /** Size of one entry, base units. */
    quantity: z.number().positive().default(1),
    /** Largest absolute position, base units. */
    maxPosition: z.number().positive().default(2),
    allowShort: z.boolean().default(true),
    /** Close the position when the signal is neutral. */
    flattenOnNeutral: z.boolean().default(false),
    /** Share of the lookback return expected to continue (for expectedReturn). */
    persistence: z.number().min(0).max(1).default(0.1),
    instruments: z.array(z.string().min(1)).min(1).optional(),
  })
  .prefault({});

export type MomentumConfig = z.output<typeof momentumConfigSchema>;

/** Trend direction of a lookback return: +1, −1, or 0 inside the threshold. */
export function momentumSignal(returnBps: number, thresholdBps: number): 1 | -1 | 0 {
  return returnBps > thresholdBps ? 1 : returnBps < -thresholdBps ? -1 : 0;
}

export class MomentumAgent implements Agent {
  readonly type = 'momentum';
  readonly role = 'proposer';
  readonly triggers = ['price-move', 'bar'] as const;
  readonly instruments?: readonly InstrumentId[];
  private readonly limits: PositionLimits;

  constructor(
    readonly id: string,
    private readonly config: MomentumConfig,
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
    const { lookback, thresholdBps } = this.config;
    const mids = context.market.midHistory(id, lookback + 1);
    if (mids.length < lookback + 1)
      return noAction(`momentum ${id}: ${mids.length} mids, need ${lookback + 1}`);
    const first = mids[0] as number;
    const last = mids[mids.length - 1] as number;
    if (!(first > 0) || !(last > 0)) return noAction(`momentum ${id}: no valid mid`);
    const returnBps = (last / first - 1) * 1e4;
    const signal = momentumSignal(returnBps, thresholdBps);
    const position = context.portfolio.position(id);
    const measured = `${lookback}-sample return ${fmt(returnBps)} bp vs ±${thresholdBps} bp, position ${position}`;

    let trade: number;
    if (signal === 0) {
      if (!this.config.flattenOnNeutral || position === 0)
        return noAction(`momentum ${id}: no trend; ${measured}`);
      trade = -position;
    } else {
      trade = tradeToward(position, signal, this.limits);
    }
    const instrument = orderableInstrument(context.market, id);
    if (instrument === undefined) return noAction(`momentum ${id}: not an orderable instrument`);
    const order = trade === 0 ? undefined : marketOrderFor(instrument, trade, isReducing(position, trade));
    if (order === undefined)
      return noAction(
        `momentum ${id}: at position cap ${this.config.maxPosition} or below one lot; ${measured}`,
      );

    const why = signal === 0 ? 'no trend, flatten' : signal > 0 ? 'uptrend' : 'downtrend';
    return {
      intents: [order],
      confidence: signal === 0 ? 0.5 : strengthPast((Math.abs(returnBps) - thresholdBps) / thresholdBps),
      expectedReturn: signal === 0 ? 0 : (this.config.persistence * Math.abs(returnBps)) / 1e4,
      reasoning: `momentum ${id}: ${why}, ${order.side} ${order.quantity} at market; ${measured}`,
    };
  }
}

export const momentumAgent: AgentDefinition<MomentumConfig> = {
  type: 'momentum',
  description:
    'Trend follower: market order in the direction of the lookback mid return when it passes a bp threshold; position-capped.',
  role: 'proposer',
  configSchema: momentumConfigSchema,
  create: (id, config) => new MomentumAgent(id, config),
};
