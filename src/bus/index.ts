export * from './bus.ts';
export * from './catalogue.ts';
export * from './match.ts';
export * from './topics.ts';
export * from './types.ts';
