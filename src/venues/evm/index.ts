/**
 * The chain side of an EVM venue (viem): chain config and clients, pool discovery and block-by-
 * block state sync with reorg rollback, the per-chain gas model, simulation before submission,
 * Concord's executor contract, and private bundles to a Flashbots-style relay (with a local
 * stand-in relay for tests and local chains). Not re-exported from src/venues/index.ts, so
 * nothing loads viem unless it asks for this module. Overview: docs/dex.md.
 */
export * from './abi.ts';
export * from './bundle.ts';
export * from './client.ts';
export * from './config.ts';
export * from './discovery.ts';
export * from './executor.ts';
export * from './gas.ts';
export * from './local-relay.ts';
export * from './nonce.ts';
export * from './pools.ts';
export * from './reader.ts';
export * from './simulate.ts';
export * from './submit.ts';
export * from './syncer.ts';
export * from './venue.ts';
