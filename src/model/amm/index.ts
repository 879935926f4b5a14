/** Exact AMM maths in bigint: pure functions shared by simulated venues, agents and the EVM venue. */
export * from './full-math.ts';
export * from './sqrt-price-math.ts';
export * from './swap-math.ts';
export * from './tick-math.ts';
export * from './v2.ts';
export * from './v3-pool.ts';
