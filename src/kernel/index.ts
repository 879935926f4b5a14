export * from './commands.ts';
export * from './compact.ts';
export * from './config.ts';
export * from './desk.ts';
export * from './restore.ts';
export * from './shadow-config.ts';
export * from './status.ts';
export * from './validate.ts';
