export * from './backtest.ts';
export * from './paper.ts';
export * from './record.ts';
export * from './run.ts';
export * from './shadow.ts';
