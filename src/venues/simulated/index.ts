export * from './amm-pools.ts';
export * from './bar-venue.ts';
export * from './dex-venue.ts';
export * from './sandbox.ts';
export * from './simulated-venue.ts';
export * from './synthetic-market.ts';
