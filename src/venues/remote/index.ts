export * from './client.ts';
export * from './feed.ts';
export * from './server.ts';
export * from './wire.ts';
