/**
 * Pools as the EVM venue tracks them: static facts (`EvmPoolInfo`), swap state (`ChainPoolState`)
 * and the pure functions that move a state by one on-chain event, exactly as the pool contract
 * does. States are immutable values, so the syncer keeps a block's previous states as its undo log.
 *
 * Out of them come the shapes the rest of Concord uses: the AMM maths' `V3PoolState`
 * (src/model/amm), the arbitrage graph's pool inputs (`GraphPoolInput`, structurally the
 * dex-arbitrage `PoolInput`) and the market event `PoolState` (src/model/market.ts).
 */
import { ConcordError } from '../../core/index.ts';
import { MAX_UINT128, type V3PoolState, type V3Tick } from '../../model/amm/index.ts';
import type { AmmPoolInstrument, PoolState, PoolTick } from '../../model/index.ts';

export type EvmPoolProtocol = 'uniswap-v2' | 'uniswap-v3';

/** What does not change over a pool's life. Addresses are lower-case. */
export interface EvmPoolInfo {
  readonly address: string;
  readonly protocol: EvmPoolProtocol;
  /** The DEX it belongs to (a label: `uniswap-v2`, `sushiswap`, ...). */
  readonly dex: string;
  readonly token0: string;
  readonly token1: string;
  /** Fee in pips (3000 = 0.30 %). */
  readonly fee: number;
  /** V3 only (0 for V2 pairs). */
  readonly tickSpacing: number;
}

export interface V2ChainState {
  readonly kind: 'v2';
  readonly reserve0: bigint;
  readonly reserve1: bigint;
}

export interface TickInfo {
  /** Total liquidity referencing the tick; > 0 exactly when it is initialised. */
  readonly liquidityGross: bigint;
  readonly liquidityNet: bigint;
}

export interface V3ChainState {
  readonly kind: 'v3';
  /** 0 until the pool is initialised (Initialize event). */
  readonly sqrtPriceX96: bigint;
  readonly tick: number;
  readonly liquidity: bigint;
  /** Initialised ticks only. */
  readonly ticks: ReadonlyMap<number, TickInfo>;
}

export type ChainPoolState = V2ChainState | V3ChainState;

/** A pool for the arbitrage graph (the dex-arbitrage `PoolInput`, structurally). */
export type GraphPoolInput =
  | {
      readonly kind: 'v2';
      readonly address: string;
      readonly dex: string;
      readonly token0: string;
      readonly token1: string;
      readonly reserve0: bigint;
      readonly reserve1: bigint;
      readonly fee: number;
    }
  | {
      readonly kind: 'v3';
      readonly address: string;
      readonly dex: string;
      readonly token0: string;
      readonly token1: string;
      readonly state: V3PoolState;
    };

const MAX_UINT112 = (1n << 112n) - 1n;

function stateInvalid(message: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError('CONCORD_ERR_EVM_POOL_STATE_INVALID', message, { details });
}

export function emptyState(info: EvmPoolInfo): ChainPoolState {
  return info.protocol === 'uniswap-v2'
    ? { kind: 'v2', reserve0: 0n, reserve1: 0n }
    : { kind: 'v3', sqrtPriceX96: 0n, tick: 0, liquidity: 0n, ticks: new Map() };
}

/** Sync(reserve0, reserve1): a V2 pair's reserves after any swap, mint, burn or sync. */
export function applySync(reserve0: bigint, reserve1: bigint): V2ChainState {
  if (reserve0 < 0n || reserve1 < 0n || reserve0 > MAX_UINT112 || reserve1 > MAX_UINT112)
    throw stateInvalid('a V2 reserve is outside uint112', {
      reserve0: reserve0.toString(),
      reserve1: reserve1.toString(),
    });
  return { kind: 'v2', reserve0, reserve1 };
}

/** Initialize(sqrtPriceX96, tick) or Swap(…, sqrtPriceX96, liquidity, tick): the new slot0 and liquidity. */
export function applyPrice(
  state: V3ChainState,
  sqrtPriceX96: bigint,
  tick: number,
  liquidity: bigint = state.liquidity,
): V3ChainState {
  return { kind: 'v3', sqrtPriceX96, tick, liquidity, ticks: state.ticks };
}

/**
 * Mint (delta > 0) or Burn (delta < 0) of `amount` between two ticks, as UniswapV3Pool's
 * _modifyPosition does: both ticks' gross and net liquidity move (a tick whose gross reaches
 * zero is cleared), and the in-range liquidity moves when tickLower ≤ tick < tickUpper.
 */
export function applyLiquidity(
  state: V3ChainState,
  tickLower: number,
  tickUpper: number,
  delta: bigint,
): V3ChainState {
  if (delta === 0n) return state;
  if (tickLower >= tickUpper)
    throw stateInvalid('a position needs tickLower < tickUpper', { tickLower, tickUpper });
  const ticks = new Map(state.ticks);
  const update = (index: number, upper: boolean) => {
    const before = ticks.get(index) ?? { liquidityGross: 0n, liquidityNet: 0n };
    const gross = before.liquidityGross + delta;
    if (gross < 0n || gross > MAX_UINT128)
      throw stateInvalid('a tick’s gross liquidity would leave [0, 2^128): the event history is incomplete', {
        tick: index,
        gross: gross.toString(),
      });
    if (gross === 0n) ticks.delete(index);
    else
      ticks.set(index, {
        liquidityGross: gross,
        liquidityNet: before.liquidityNet + (upper ? -delta : delta),
      });
  };
  update(tickLower, false);
  update(tickUpper, true);
  let liquidity = state.liquidity;
  if (tickLower <= state.tick && state.tick < tickUpper) {
    liquidity += delta;
    if (liquidity < 0n || liquidity > MAX_UINT128)
      throw stateInvalid('in-range liquidity would leave [0, 2^128): the event history is incomplete', {
        liquidity: liquidity.toString(),
      });
  }
  return { kind: 'v3', sqrtPriceX96: state.sqrtPriceX96, tick: state.tick, liquidity, ticks };
}

/** Initialised ticks, ascending, as the AMM maths takes them. */
export function sortedTicks(state: V3ChainState): V3Tick[] {
  return [...state.ticks.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, t]) => ({ index, liquidityNet: t.liquidityNet }));
}

/** The AMM maths' pool state, or undefined while the pool is not initialised. */
export function toV3PoolState(info: EvmPoolInfo, state: V3ChainState): V3PoolState | undefined {
  if (state.sqrtPriceX96 === 0n) return undefined;
  return {
    sqrtPriceX96: state.sqrtPriceX96,
    tick: state.tick,
    liquidity: state.liquidity,
    fee: info.fee,
    tickSpacing: info.tickSpacing,
    ticks: sortedTicks(state),
  };
}

/** The pool as the arbitrage graph takes it; undefined while it cannot quote (empty or uninitialised). */
export function toGraphInput(info: EvmPoolInfo, state: ChainPoolState): GraphPoolInput | undefined {
  const { address, dex, token0, token1 } = info;
  if (state.kind === 'v2') {
    if (state.reserve0 === 0n || state.reserve1 === 0n) return undefined;
    return {
      kind: 'v2',
      address,
      dex,
      token0,
      token1,
      reserve0: state.reserve0,
      reserve1: state.reserve1,
      fee: info.fee,
    };
  }
  const v3 = toV3PoolState(info, state);
  return v3 === undefined ? undefined : { kind: 'v3', address, dex, token0, token1, state: v3 };
}

export function poolInstrumentId(venue: string, info: EvmPoolInfo): string {
  return `${venue}:${info.address}`;
}

/** The market event of a pool's state at a block; `withTicks` adds a V3 pool's full tick list. */
export function toPoolEvent(
  venue: string,
  info: EvmPoolInfo,
  state: ChainPoolState,
  block: { readonly number: bigint; readonly hash: string; readonly timestamp: bigint },
  withTicks: boolean,
): PoolState {
  const common = {
    type: 'pool' as const,
    ts: Number(block.timestamp) * 1000,
    instrumentId: poolInstrumentId(venue, info),
    blockNumber: Number(block.number),
    blockHash: block.hash,
  };
  if (state.kind === 'v2')
    return { ...common, reserve0: state.reserve0.toString(), reserve1: state.reserve1.toString() };
  const event: PoolState = {
    ...common,
    sqrtPriceX96: state.sqrtPriceX96.toString(),
    liquidity: state.liquidity.toString(),
    tick: state.tick,
  };
  if (!withTicks) return event;
  const ticks: PoolTick[] = sortedTicks(state).map((t) => ({
    index: t.index,
    liquidityNet: t.liquidityNet.toString(),
  }));
  return { ...event, ticks };
}

/** The instrument of a pool (venue `evm-<chainId>`, symbol = its address). */
export function toPoolInstrument(venue: string, chainId: number, info: EvmPoolInfo): AmmPoolInstrument {
  return {
    id: poolInstrumentId(venue, info),
    venue,
    symbol: info.address,
    kind: 'amm-pool',
    base: info.token0,
    quote: info.token1,
    protocol: info.protocol,
    chainId,
    address: info.address,
    token0: info.token0,
    token1: info.token1,
    feePips: info.fee,
  };
}

/** Two states are the same pool state (ticks compared entry by entry). */
export function sameState(a: ChainPoolState, b: ChainPoolState): boolean {
  if (a.kind === 'v2' || b.kind === 'v2') {
    if (a.kind !== 'v2' || b.kind !== 'v2') return false;
    return a.reserve0 === b.reserve0 && a.reserve1 === b.reserve1;
  }
  if (a.sqrtPriceX96 !== b.sqrtPriceX96 || a.tick !== b.tick || a.liquidity !== b.liquidity) return false;
  if (a.ticks.size !== b.ticks.size) return false;
  for (const [index, t] of a.ticks) {
    const u = b.ticks.get(index);
    if (u === undefined || u.liquidityGross !== t.liquidityGross || u.liquidityNet !== t.liquidityNet)
      return false;
  }
  return true;
}
