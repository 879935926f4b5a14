/**
 * Trading states by scope (global, venue, instrument). The effective state of an order is the
 * most severe of the three that apply: HALTED > REDUCING > ACTIVE.
 */
import type { InstrumentId, VenueId } from '../model/index.ts';
import type { TradingScope, TradingState, TradingStateReader } from './types.ts';

const SEVERITY: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

interface Entry {
  readonly state: TradingState;
  readonly reason: string;
}

const ACTIVE: Entry = Object.freeze({ state: 'ACTIVE', reason: '' });

export class TradingStates implements TradingStateReader {
  private global: Entry = ACTIVE;
  private readonly venues = new Map<VenueId, Entry>();
  private readonly instruments = new Map<InstrumentId, Entry>();

  get(scope: TradingScope): TradingState {
    return this.entry(scope).state;
  }

  /** Sets a scope's state; returns the previous one. ACTIVE on a venue or instrument removes the override. */
  set(scope: TradingScope, state: TradingState, reason: string): TradingState {
    const previous = this.entry(scope).state;
    const entry: Entry = state === 'ACTIVE' ? ACTIVE : { state, reason };
    if (scope.kind === 'global') this.global = entry;
    else if (scope.kind === 'venue') {
      if (state === 'ACTIVE') this.venues.delete(scope.venue);
      else this.venues.set(scope.venue, entry);
    } else if (state === 'ACTIVE') this.instruments.delete(scope.instrumentId);
    else this.instruments.set(scope.instrumentId, entry);
    return previous;
  }

  effective(instrumentId: InstrumentId, venue: VenueId): TradingState {
    let s = this.global.state;
    if (s === 'HALTED') return s;
    // Empty maps cost one size check, not a hash lookup.
    if (this.venues.size > 0) s = worse(s, this.venues.get(venue)?.state);
    if (this.instruments.size > 0) s = worse(s, this.instruments.get(instrumentId)?.state);
    return s;
  }

  explain(instrumentId: InstrumentId, venue: VenueId): { scope: string; reason: string } {
    const candidates: Array<[string, Entry | undefined]> = [
      ['global', this.global],
      [`venue ${venue}`, this.venues.get(venue)],
      [`instrument ${instrumentId}`, this.instruments.get(instrumentId)],
    ];
    let best: [string, Entry] = ['global', this.global];
    for (const [scope, e] of candidates) {
      if (e !== undefined && SEVERITY[e.state] > SEVERITY[best[1].state]) best = [scope, e];
    }
    return { scope: best[0], reason: best[1].reason };
  }

  /** Every scope that is not ACTIVE, for the operator. */
  list(): Array<{ scope: TradingScope; state: TradingState; reason: string }> {
    const out: Array<{ scope: TradingScope; state: TradingState; reason: string }> = [];
    if (this.global.state !== 'ACTIVE') out.push({ scope: { kind: 'global' }, ...this.global });
    for (const [venue, e] of this.venues) out.push({ scope: { kind: 'venue', venue }, ...e });
    for (const [instrumentId, e] of this.instruments)
      out.push({ scope: { kind: 'instrument', instrumentId }, ...e });
    return out;
  }

  private entry(scope: TradingScope): Entry {
    if (scope.kind === 'global') return this.global;
    if (scope.kind === 'venue') return this.venues.get(scope.venue) ?? ACTIVE;
    return this.instruments.get(scope.instrumentId) ?? ACTIVE;
  }
}

function worse(a: TradingState, b: TradingState | undefined): TradingState {
  return b !== undefined && SEVERITY[b] > SEVERITY[a] ? b : a;
}
