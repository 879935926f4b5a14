export * from './command-source.ts';
export * from './file-channel.ts';
