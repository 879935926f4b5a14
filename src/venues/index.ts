/**
 * Venues: adapters behind the VenuePort. `simulated/` holds the matching engine
 * used in sandbox, backtest and paper modes, and the synthetic sandbox market.
 */

export * from './faulty/index.ts';
export * from './simulated/index.ts';
