/**
 * A listing watch journaled: each change a `ListingWatcher` (src/venues/ccxt/new-listings.ts)
 * reports is written as `market.listed` / `market.status`, handed to the new-listing agent, and
 * the agent's decision (an observation with no intents) is written after it as a `decision` —
 * journaled like any decision, so other agents, the API and the trace read it from the journal.
 *
 *   const sink = listingJournal({ agent: new NewListingAgent('nl-1'), journal });
 *   const watcher = await ListingWatcher.open({ exchange: 'mexc', clock, onChange: sink.onChange });
 *
 * Nothing here trades.
 */
import { NewListingAgent } from '../agents/library/new-listing/index.ts';
import { EVENTS, type ListingStatePayload } from '../bus/index.ts';
import type { Journal } from '../journal/index.ts';
import type { DecisionRecord } from '../model/index.ts';
import type { ListingChange, ListingState } from '../venues/ccxt/new-listings.ts';

export interface ListingJournalOptions {
  readonly agent: NewListingAgent;
  readonly journal: Journal;
  /** Also told of each decision (e.g. to publish it on the bus). */
  readonly onDecision?: (decision: DecisionRecord) => void;
}

export interface ListingJournal {
  readonly onChange: (change: ListingChange) => void;
  readonly counters: { changes: number; decisions: number };
}

export function listingJournal(options: ListingJournalOptions): ListingJournal {
  const counters = { changes: 0, decisions: 0 };
  const { agent, journal } = options;
  const onChange = (change: ListingChange): void => {
    counters.changes++;
    const base = { venue: change.venue, symbol: change.symbol, instrumentId: change.instrumentId };
    let decision: DecisionRecord | undefined;
    if (change.kind === 'listed') {
      const payload = { ...base, state: statePayload(change.state) };
      journal.append(EVENTS.marketListed.name, change.ts, payload);
      decision = agent.observe({ type: 'listed', ts: change.ts, payload });
    } else {
      const payload =
        change.kind === 'delisted'
          ? { ...base, reason: 'delisted' as const, from: statePayload(change.previous), to: null }
          : {
              ...base,
              reason: change.reason,
              from: statePayload(change.previous),
              to: statePayload(change.state),
            };
      journal.append(EVENTS.marketStatus.name, change.ts, payload);
      decision = agent.observe({ type: 'status', ts: change.ts, payload });
    }
    if (decision === undefined) return;
    journal.append(EVENTS.decision.name, decision.ts, decision);
    counters.decisions++;
    options.onDecision?.(decision);
  };
  return { onChange, counters };
}

function statePayload(state: ListingState): ListingStatePayload {
  return {
    active: state.active ?? null,
    status: state.status ?? null,
    tradable: state.tradable,
    firstTradeTs: state.firstTradeTs ?? null,
    details: state.details,
  };
}

export { NewListingAgent };
