export * from './clock.ts';
export * from './decimal.ts';
export * from './errors.ts';
export * from './hash.ts';
export * from './ids.ts';
export * from './lifecycle.ts';
export * from './log.ts';
export * from './random.ts';
