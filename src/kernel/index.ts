export * from './config.ts';
export * from './desk.ts';
export * from './run.ts';
export * from './validate.ts';
export * from './backtest.ts';
