/**
 * Market data: readers for recorded feeds and candles, the sequenced book manager,
 * bar aggregation, and the MarketData read model agents see.
 */
export * from './bar-columns.ts';
export * from './bars.ts';
export * from './book-manager.ts';
export * from './market-view.ts';
export * from './readers/binance.ts';
export * from './readers/candles.ts';
export * from './readers/errors.ts';
export * from './readers/lines.ts';
export * from './readers/recording.ts';
export * from './readers/trades.ts';
export * from './recorded-market.ts';
