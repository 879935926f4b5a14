/**
 * Wiring helpers for sandbox, backtest and paper modes: one SimulatedVenue per
 * venue named by the instruments, and routing of market events to the venue
 * whose book they describe.
 */
import type { Clock, DecimalInput } from '../../core/index.ts';
import {
  type Instrument,
  type MarketEvent,
  type MarketSink,
  type VenueId,
  type VenuePort,
  venueOf,
} from '../../model/index.ts';
import { SimulatedVenue } from './simulated-venue.ts';

export interface SimulatedVenuesOptions {
  readonly clock: Clock;
  readonly instruments: readonly Instrument[];
  /** Starting balances: the same on every venue, or chosen per venue. */
  readonly balances:
    | Readonly<Record<string, DecimalInput>>
    | ((venue: VenueId) => Readonly<Record<string, DecimalInput>>);
  /** One latency for all venues, or one per venue id (missing ids get 0). */
  readonly latencyMs?: number | Readonly<Record<VenueId, number>>;
}

/** One SimulatedVenue per distinct venue of `instruments`, in order of first appearance. */
export function createSimulatedVenues(options: SimulatedVenuesOptions): Map<VenueId, SimulatedVenue> {
  const byVenue = new Map<VenueId, Instrument[]>();
  for (const instrument of options.instruments) {
    const list = byVenue.get(instrument.venue);
    if (list === undefined) byVenue.set(instrument.venue, [instrument]);
    else list.push(instrument);
  }
  const venues = new Map<VenueId, SimulatedVenue>();
  for (const [id, instruments] of byVenue) {
    const balances = typeof options.balances === 'function' ? options.balances(id) : options.balances;
    const latency = options.latencyMs;
    const latencyMs = typeof latency === 'number' ? latency : (latency?.[id] ?? 0);
    venues.set(id, new SimulatedVenue({ id, clock: options.clock, instruments, balances, latencyMs }));
  }
  return venues;
}

/** Hands a market event to the venue it belongs to (by the `<venue>:` prefix of its instrument id). */
export function routeMarketEvent(venues: ReadonlyMap<VenueId, SimulatedVenue>, event: MarketEvent): void {
  venues.get(venueOf(event.instrumentId))?.onMarketEvent(event);
}

/**
 * A session's market tap over its simulated venues: each event goes to the venue it belongs to
 * (by the `<venue>:` prefix of its instrument id), which keeps its own book and fills resting orders.
 */
export function marketFeed(
  venues: Iterable<{ readonly id: VenueId } & MarketSink>,
): (event: MarketEvent) => void {
  const byId = new Map<VenueId, MarketSink>();
  for (const venue of venues) byId.set(venue.id, venue);
  return (event) => byId.get(venueOf(event.instrumentId))?.onMarketEvent(event);
}

/** A venue that keeps its own copy of the market (a simulated venue, CEX or DEX). */
export type VenueWithMarket = VenuePort & MarketSink;
