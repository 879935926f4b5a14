export * from './agents-view.ts';
export * from './desk-view.ts';
export * from './errors.ts';
export * from './journal-view.ts';
export * from './keys.ts';
export * from './metrics.ts';
export * from './server.ts';
export * from './view.ts';
