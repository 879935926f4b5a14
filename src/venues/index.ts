/**
 * Venues: adapters behind the VenuePort. `simulated/` holds the matching engine
 * used in sandbox, backtest and paper modes, and the synthetic sandbox market.
 * Real exchanges (`ccxt/`) and the remote venue (`remote/`) are imported from their
 * own index, so nothing that only needs the simulated venue loads them.
 */

export * from './faulty/index.ts';
export * from './simulated/index.ts';
