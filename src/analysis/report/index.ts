export * from './html.ts';
export * from './metrics.ts';
export * from './result.ts';
