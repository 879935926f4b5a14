/**
 * spread-watcher: the example agent. It proposes nothing; it reports the spread
 * of the instrument that triggered it, which makes it a template for a new agent
 * and a harmless probe in a live desk. See README.md beside this file.
 */
import { z } from 'zod';
import type { Decision } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition } from '../../contract.ts';

export const spreadWatcherConfig = z.object({
  /** Only report spreads at least this wide, in basis points of the mid. */
  minSpreadBp: z.number().nonnegative().default(0),
  /** Restrict to these instruments (all when absent). */
  instruments: z.array(z.string().min(1)).min(1).optional(),
});

export type SpreadWatcherConfig = z.infer<typeof spreadWatcherConfig>;

interface SpreadWatcherState {
  readonly outcomesSeen: number;
}

export function spreadInBp(bid: number, ask: number): number {
  return ((ask - bid) / ((ask + bid) / 2)) * 10_000;
}

export const spreadWatcher: AgentDefinition<SpreadWatcherConfig> = {
  type: 'spread-watcher',
  description:
    'Example agent: reports the spread of the triggering instrument in its reasoning, never trades.',
  role: 'proposer',
  configSchema: spreadWatcherConfig,
  create(id, config): Agent {
    let outcomesSeen = 0;
    return {
      id,
      type: 'spread-watcher',
      role: 'proposer',
      triggers: ['spread', 'price-move'],
      ...(config.instruments === undefined ? {} : { instruments: config.instruments }),
      process(context: AgentContext): Decision {
        const instrumentId = context.trigger.instrumentId;
        const book = context.market.book(instrumentId);
        const bid = book?.bestBid();
        const ask = book?.bestAsk();
        if (bid === undefined || ask === undefined) {
          return {
            intents: [],
            confidence: 0,
            reasoning: `no two-sided book for ${instrumentId}`,
            expectedReturn: 0,
          };
        }
        const bp = spreadInBp(bid, ask);
        const reasoning =
          bp >= config.minSpreadBp
            ? `spread ${bp.toFixed(2)} bp on ${instrumentId} (bid ${bid}, ask ${ask})`
            : `spread below ${config.minSpreadBp} bp on ${instrumentId}`;
        return { intents: [], confidence: 0, reasoning, expectedReturn: 0 };
      },
      learn() {
        outcomesSeen++;
      },
      snapshot(): SpreadWatcherState {
        return { outcomesSeen };
      },
      restore(state: unknown) {
        const seen = (state as Partial<SpreadWatcherState> | undefined)?.outcomesSeen;
        if (typeof seen === 'number' && Number.isInteger(seen) && seen >= 0) outcomesSeen = seen;
      },
    };
  },
};
