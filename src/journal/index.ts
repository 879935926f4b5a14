export * from './bridge.ts';
export * from './chain.ts';
export * from './durable-outbox.ts';
export * from './reader.ts';
export * from './sqlite.ts';
export {
  type StorageCondition,
  storageCondition,
  type VerifyProgress,
} from './storage.ts';
export * from './types.ts';
export * from './verify.ts';
