/**
 * The new-listing agent: turns a listing watch's `market.listed` / `market.status` events
 * into decisions other agents and operators can act on. It never trades: every decision it
 * makes has no intents (an observation, journaled like any decision), with a confidence that
 * says how far the market is from tradable:
 *
 * - listed, not yet trading            → confidence 0.25, `listed`
 * - trading, no public trade seen yet  → confidence 0.5,  `trading` (when `requireFirstTrade`)
 * - trading and traded (or not required) → confidence 1, `ready` — once per market
 * - halted again or delisted           → confidence 0, `halted` / `delisted`
 *
 * Each decision's reasoning starts with `new-listing <stage> <venue> <symbol>` and the
 * decision id is deterministic (venue, symbol, stage), so a replay journals the same ones.
 * Events it has nothing new to say about (a repeat, a filtered venue or quote) give none.
 * It holds no timers and reads no clock: time comes with the events.
 */
import { z } from 'zod';
import type { EventPayloads, ListingStatePayload } from '../../../bus/index.ts';
import type { DecisionRecord } from '../../../model/index.ts';

export const newListingConfigSchema = z
  .object({
    /** Only these venues (default: all). */
    venues: z.array(z.string().min(1)).optional(),
    /** Only markets quoted in these currencies (the symbol's part after `/`; default: all). */
    quotes: z.array(z.string().min(1)).optional(),
    /** A market is `ready` only after its first public trade (default true). */
    requireFirstTrade: z.boolean().default(true),
  })
  .strict();

export type NewListingConfig = z.input<typeof newListingConfigSchema>;

export type ListingStage = 'listed' | 'trading' | 'ready' | 'halted' | 'delisted';

const CONFIDENCE: Readonly<Record<ListingStage, number>> = {
  listed: 0.25,
  trading: 0.5,
  ready: 1,
  halted: 0,
  delisted: 0,
};

export type ListingEvent =
  | { readonly type: 'listed'; readonly ts: number; readonly payload: EventPayloads['marketListed'] }
  | { readonly type: 'status'; readonly ts: number; readonly payload: EventPayloads['marketStatus'] };

export class NewListingAgent {
  readonly type = 'new-listing';
  private readonly config: z.output<typeof newListingConfigSchema>;
  /** The last stage decided per `venue|symbol`. */
  private readonly stages = new Map<string, ListingStage>();

  constructor(
    readonly id: string,
    config: NewListingConfig = {},
  ) {
    this.config = newListingConfigSchema.parse(config);
  }

  /** The decision for one listing event, or undefined when it changes nothing this agent reports. */
  observe(event: ListingEvent): DecisionRecord | undefined {
    const { venue, symbol, instrumentId } = event.payload;
    if (this.config.venues !== undefined && !this.config.venues.includes(venue)) return undefined;
    const quote = symbol.split('/')[1]?.split(':')[0];
    if (this.config.quotes !== undefined && (quote === undefined || !this.config.quotes.includes(quote)))
      return undefined;
    const key = `${venue}|${symbol}`;
    const previous = this.stages.get(key);
    const stage =
      event.type === 'status' && event.payload.to === null
        ? 'delisted'
        : this.stageOf(
            event.type === 'listed' ? event.payload.state : (event.payload.to as ListingStatePayload),
            previous,
          );
    if (stage === previous) return undefined;
    // A market that never traded here going quiet is no news; one that was trading halting is.
    if (stage === 'listed' && previous !== undefined) return undefined;
    this.stages.set(key, stage);
    const state = event.type === 'listed' ? event.payload.state : event.payload.to;
    return {
      decisionId: `new-listing:${venue}:${symbol}:${stage}`,
      agentId: this.id,
      ts: event.ts,
      triggerId: `listing:${venue}:${symbol}`,
      intents: [],
      confidence: CONFIDENCE[stage],
      expectedReturn: 0,
      reasoning: `new-listing ${stage} ${venue} ${symbol} (${instrumentId}): ${describe(state)}`,
    };
  }

  /** What the agent has concluded so far, per `venue|symbol` (for snapshots and status views). */
  snapshot(): Record<string, ListingStage> {
    return Object.fromEntries([...this.stages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  restore(state: unknown): void {
    const parsed = z
      .record(z.string(), z.enum(['listed', 'trading', 'ready', 'halted', 'delisted']))
      .parse(state);
    this.stages.clear();
    for (const [k, v] of Object.entries(parsed)) this.stages.set(k, v);
  }

  private stageOf(state: ListingStatePayload, previous: ListingStage | undefined): ListingStage {
    if (!state.tradable) return previous === 'trading' || previous === 'ready' ? 'halted' : 'listed';
    if (previous === 'ready') return 'ready';
    if (this.config.requireFirstTrade && state.firstTradeTs === null) return 'trading';
    return 'ready';
  }
}

function describe(state: ListingStatePayload | null): string {
  if (state === null) return 'no longer listed';
  const parts = [
    `status ${state.status ?? 'n/a'}`,
    `active ${state.active === null ? 'n/a' : String(state.active)}`,
    state.tradable ? 'tradable' : 'not tradable',
    state.firstTradeTs === null ? 'no trade yet' : `first trade at ${state.firstTradeTs}`,
  ];
  const details = Object.entries(state.details).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  return [...parts, ...details].join(', ');
}
