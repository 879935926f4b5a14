export * from './backtest.ts';
export * from './exchange.ts';
export * from './paper.ts';
export * from './record.ts';
export * from './replay.ts';
export * from './run.ts';
export * from './session.ts';
export * from './shadow.ts';
