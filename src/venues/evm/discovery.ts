/**
 * Which pools to track: from a list (config or file; tokens, fee and tick spacing are read from
 * chain), or from the factories' creation events over a block range (PairCreated for V2-style
 * factories, PoolCreated for V3-style ones), fetched in bounded chunks. The syncer can also
 * watch the factories live (see syncer.ts); what it finds there is rolled back like any state.
 */
import type { PublicClient } from 'viem';
import { z } from 'zod';
import { ConcordError } from '../../core/index.ts';
import { EVENTS_ABI } from './abi.ts';
import { rpc } from './client.ts';
import type { Address } from './config.ts';
import type { EvmPoolInfo, EvmPoolProtocol } from './pools.ts';
import { readPoolInfo } from './reader.ts';

export const V2_DEFAULT_FEE = 3000;

const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte hex address (0x followed by 40 hex digits)')
  .transform((a) => a.toLowerCase());
const protocolSchema = z.enum(['uniswap-v2', 'uniswap-v3']);
const dexSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lowercase letters, digits and dashes');
const feeSchema = z.number().int().min(0).max(999_999);

const listEntrySchema = z.strictObject({
  address: addressSchema,
  protocol: protocolSchema,
  dex: dexSchema.optional(),
  /** V2-style pairs only (their fee is not on chain): pips, default 3000. */
  fee: feeSchema.optional(),
});

export type PoolListEntry = z.output<typeof listEntrySchema>;

/** A factory whose creation events add pools. */
export interface FactoryWatch {
  readonly address: string;
  readonly protocol: EvmPoolProtocol;
  readonly dex: string;
  /** V2-style factories: the fee of their pairs in pips (default 3000). */
  readonly fee: number;
}

const factorySchema = z.strictObject({
  address: addressSchema,
  protocol: protocolSchema,
  dex: dexSchema,
  fee: feeSchema.default(V2_DEFAULT_FEE),
});

function listError(path: string, message: string): ConcordError {
  return new ConcordError('CONCORD_ERR_EVM_POOL_LIST_INVALID', `${path}: ${message}`, { details: { path } });
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, root: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw listError([root, ...(issue?.path ?? []).map(String)].join('.'), issue?.message ?? 'invalid value');
}

/** Validates a pool list (JSON as read): each address once, a fee only on V2 pairs. */
export function parsePoolList(value: unknown): PoolListEntry[] {
  const entries = parseWith(z.array(listEntrySchema).max(100_000), value, 'pools');
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.address)) throw listError(`pools.${i}.address`, `pool ${e.address} is listed twice`);
    seen.add(e.address);
    if (e.protocol === 'uniswap-v3' && e.fee !== undefined)
      throw listError(`pools.${i}.fee`, 'a V3 pool’s fee is read from chain; leave it out');
  });
  return entries;
}

export function parseFactories(value: unknown): FactoryWatch[] {
  return parseWith(z.array(factorySchema).max(100), value, 'factories');
}

/** The listed pools with their tokens (and V3 fee and spacing) read from chain. */
export async function poolsFromList(
  client: PublicClient,
  endpoint: string,
  entries: readonly PoolListEntry[],
): Promise<EvmPoolInfo[]> {
  return rpc('reading the listed pools', endpoint, () =>
    Promise.all(
      entries.map((e) =>
        readPoolInfo(client, e.address, e.protocol, e.dex ?? e.protocol, e.fee ?? V2_DEFAULT_FEE),
      ),
    ),
  );
}

/** A pool from a factory creation log, or undefined when the log is not one. */
export function poolFromCreationLog(
  factory: FactoryWatch,
  log: { readonly eventName: string; readonly args: Record<string, unknown> },
): EvmPoolInfo | undefined {
  const a = log.args;
  if (factory.protocol === 'uniswap-v2' && log.eventName === 'PairCreated')
    return {
      address: String(a.pair).toLowerCase(),
      protocol: 'uniswap-v2',
      dex: factory.dex,
      token0: String(a.token0).toLowerCase(),
      token1: String(a.token1).toLowerCase(),
      fee: factory.fee,
      tickSpacing: 0,
    };
  if (factory.protocol === 'uniswap-v3' && log.eventName === 'PoolCreated')
    return {
      address: String(a.pool).toLowerCase(),
      protocol: 'uniswap-v3',
      dex: factory.dex,
      token0: String(a.token0).toLowerCase(),
      token1: String(a.token1).toLowerCase(),
      fee: Number(a.fee),
      tickSpacing: Number(a.tickSpacing),
    };
  return undefined;
}

export interface DiscoverOptions {
  readonly fromBlock: bigint;
  readonly toBlock: bigint;
  /** Blocks per eth_getLogs request (providers cap the range; default 10,000). */
  readonly chunk?: number;
}

/** Every pool the factories created in [fromBlock, toBlock], in creation order. */
export async function discoverPools(
  client: PublicClient,
  endpoint: string,
  factories: readonly FactoryWatch[],
  options: DiscoverOptions,
): Promise<EvmPoolInfo[]> {
  const chunk = BigInt(options.chunk ?? 10_000);
  if (chunk < 1n || options.fromBlock < 0n || options.toBlock < options.fromBlock)
    throw listError('discovery', 'needs 0 ≤ fromBlock ≤ toBlock and a chunk of at least one block');
  const byAddress = new Map(factories.map((f) => [f.address.toLowerCase(), f]));
  const found: EvmPoolInfo[] = [];
  for (let from = options.fromBlock; from <= options.toBlock; from += chunk) {
    const to = from + chunk - 1n < options.toBlock ? from + chunk - 1n : options.toBlock;
    const logs = await rpc(`eth_getLogs ${from}..${to} (factories)`, endpoint, () =>
      client.getLogs({
        address: [...byAddress.keys()] as Address[],
        events: [EVENTS_ABI.pairCreated, EVENTS_ABI.poolCreated],
        fromBlock: from,
        toBlock: to,
        strict: true,
      }),
    );
    for (const log of logs) {
      const factory = byAddress.get(log.address.toLowerCase());
      const pool = factory && poolFromCreationLog(factory, log as never);
      if (pool) found.push(pool);
    }
  }
  return found;
}
