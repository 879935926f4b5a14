export * from './config.ts';
export * from './engine.ts';
export * from './rules/index.ts';
export * from './trading-states.ts';
export * from './types.ts';
