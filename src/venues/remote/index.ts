export * from './client.ts';
export * from './server.ts';
export * from './wire.ts';
