export * from './html.ts';
export * from './metrics.ts';
export * from './overfitting.ts';
export * from './price-chart.ts';
export * from './result.ts';
export * from './sweep.ts';
