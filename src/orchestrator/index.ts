export * from './config.ts';
export * from './consolidate.ts';
export * from './fanout.ts';
export * from './orchestrator.ts';
export * from './outcomes.ts';
export * from './triggers.ts';
export * from './trust.ts';
