/**
 * Reads pools from chain at one block: a V2 pair's reserves; a V3 pool's slot0, in-range
 * liquidity and every initialised tick (the tick bitmap, word by word over the pool's whole
 * usable range, then `ticks(i)` for each set bit). The reads go out together and the HTTP
 * transport batches them. What comes back is checked before it is used.
 */
import type { PublicClient } from 'viem';
import { ConcordError } from '../../core/index.ts';
import { MAX_TICK, MIN_TICK, validateV3Pool } from '../../model/amm/index.ts';
import { V2_PAIR_ABI, V3_POOL_ABI } from './abi.ts';
import type { Address } from './config.ts';
import {
  type ChainPoolState,
  type EvmPoolInfo,
  type EvmPoolProtocol,
  type TickInfo,
  toV3PoolState,
  type V3ChainState,
} from './pools.ts';

/** The word positions of a tick bitmap that can hold an initialised tick of this spacing. */
export function bitmapWords(tickSpacing: number): [number, number] {
  const minCompressed = Math.ceil(MIN_TICK / tickSpacing);
  const maxCompressed = Math.floor(MAX_TICK / tickSpacing);
  return [minCompressed >> 8, maxCompressed >> 8];
}

/** The ticks whose bits are set in one bitmap word. */
export function ticksInWord(word: number, bits: bigint, tickSpacing: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bits !== 0n; bit++, bits >>= 1n)
    if (bits & 1n) out.push((word * 256 + bit) * tickSpacing);
  return out;
}

export async function readV2State(
  client: PublicClient,
  info: EvmPoolInfo,
  blockNumber: bigint,
): Promise<ChainPoolState> {
  const [reserve0, reserve1] = await client.readContract({
    address: info.address as Address,
    abi: V2_PAIR_ABI,
    functionName: 'getReserves',
    blockNumber,
  });
  return { kind: 'v2', reserve0, reserve1 };
}

export async function readV3State(
  client: PublicClient,
  info: EvmPoolInfo,
  blockNumber: bigint,
): Promise<V3ChainState> {
  const address = info.address as Address;
  const [slot0, liquidity] = await Promise.all([
    client.readContract({ address, abi: V3_POOL_ABI, functionName: 'slot0', blockNumber }),
    client.readContract({ address, abi: V3_POOL_ABI, functionName: 'liquidity', blockNumber }),
  ]);
  const [first, last] = bitmapWords(info.tickSpacing);
  const words: number[] = [];
  for (let w = first; w <= last; w++) words.push(w);
  const bitmaps = await Promise.all(
    words.map((w) =>
      client.readContract({ address, abi: V3_POOL_ABI, functionName: 'tickBitmap', args: [w], blockNumber }),
    ),
  );
  const indices: number[] = [];
  bitmaps.forEach((bits, i) => {
    if (bits !== 0n) indices.push(...ticksInWord(words[i] as number, bits, info.tickSpacing));
  });
  const infos = await Promise.all(
    indices.map((index) =>
      client.readContract({ address, abi: V3_POOL_ABI, functionName: 'ticks', args: [index], blockNumber }),
    ),
  );
  const ticks = new Map<number, TickInfo>();
  infos.forEach((t, i) => {
    ticks.set(indices[i] as number, { liquidityGross: t[0], liquidityNet: t[1] });
  });
  const state: V3ChainState = { kind: 'v3', sqrtPriceX96: slot0[0], tick: slot0[1], liquidity, ticks };
  checkV3(info, state);
  return state;
}

/** Refuses a V3 state the AMM maths would not accept (an inconsistent read is not quoted from). */
export function checkV3(info: EvmPoolInfo, state: V3ChainState): void {
  const v3 = toV3PoolState(info, state);
  if (v3 === undefined) return;
  try {
    validateV3Pool(v3);
  } catch (err) {
    throw new ConcordError(
      'CONCORD_ERR_EVM_POOL_STATE_INVALID',
      `pool ${info.address}: the state read from chain is inconsistent (${(err as Error).message.split('\n')[0]})`,
      { details: { pool: info.address }, cause: err },
    );
  }
}

export function readPoolState(
  client: PublicClient,
  info: EvmPoolInfo,
  blockNumber: bigint,
): Promise<ChainPoolState> {
  return info.protocol === 'uniswap-v2'
    ? readV2State(client, info, blockNumber)
    : readV3State(client, info, blockNumber);
}

/** A pool's static facts from chain: tokens, and for V3 its fee and tick spacing. */
export async function readPoolInfo(
  client: PublicClient,
  address: string,
  protocol: EvmPoolProtocol,
  dex: string,
  v2Fee: number,
): Promise<EvmPoolInfo> {
  const a = address as Address;
  if (protocol === 'uniswap-v2') {
    const [token0, token1] = await Promise.all([
      client.readContract({ address: a, abi: V2_PAIR_ABI, functionName: 'token0' }),
      client.readContract({ address: a, abi: V2_PAIR_ABI, functionName: 'token1' }),
    ]);
    return {
      address: address.toLowerCase(),
      protocol,
      dex,
      token0: token0.toLowerCase(),
      token1: token1.toLowerCase(),
      fee: v2Fee,
      tickSpacing: 0,
    };
  }
  const [token0, token1, fee, tickSpacing] = await Promise.all([
    client.readContract({ address: a, abi: V3_POOL_ABI, functionName: 'token0' }),
    client.readContract({ address: a, abi: V3_POOL_ABI, functionName: 'token1' }),
    client.readContract({ address: a, abi: V3_POOL_ABI, functionName: 'fee' }),
    client.readContract({ address: a, abi: V3_POOL_ABI, functionName: 'tickSpacing' }),
  ]);
  return {
    address: address.toLowerCase(),
    protocol,
    dex,
    token0: token0.toLowerCase(),
    token1: token1.toLowerCase(),
    fee,
    tickSpacing,
  };
}
