export * from './simulated-venue.ts';
export * from './synthetic-market.ts';
