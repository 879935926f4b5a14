export * from './book.ts';
export * from './chain.ts';
export * from './decision.ts';
export * from './instrument.ts';
export * from './intent.ts';
export * from './market.ts';
export * from './order.ts';
export * from './venue.ts';
