export * from './board.ts';
export * from './circuit-breaker.ts';
export * from './error-rate.ts';
export * from './loss.ts';
export * from './volatility.ts';
