export * from './lists.ts';
export {
  collectOrders,
  type OrderBook,
  type OrderEvent,
  type OrderInstance,
  splitRoot,
} from './records.ts';
export * from './risk-rules.ts';
export * from './trace.ts';
export * from './trust.ts';
