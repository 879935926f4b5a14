/** The agent runtime: contract, validation, registry, supervisor (lifecycle from core), isolation. */
export * from './contract.ts';
export * from './library/index.ts';
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
