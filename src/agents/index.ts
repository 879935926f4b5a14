/** The agent runtime: contract, lifecycle, validation, registry, supervisor, isolation. */
export * from './contract.ts';
export * from './library/index.ts';
export * from './lifecycle.ts';
export * from './registry.ts';
export * from './supervisor.ts';
export * from './validate.ts';
export * from './wire.ts';
export {
  type ExtraDefinitionsModule,
  IsolatedAgent,
  type IsolatedAgentOptions,
  startIsolatedAgent,
} from './worker.ts';
