/**
 * Real exchanges through ccxt. Importing this module does not load ccxt: it is
 * imported on first use (`CcxtVenue.open`, `listVenues`, `loadCcxt`).
 */
export * from './account-gate.ts';
export * from './capabilities.ts';
export * from './clock-offset.ts';
export * from './errors.ts';
export * from './exchange.ts';
export * from './instruments.ts';
export * from './listing.ts';
export * from './market-source.ts';
export * from './new-listings.ts';
export * from './parse.ts';
export * from './venue.ts';
