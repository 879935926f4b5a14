export * from './file-channel.ts';
