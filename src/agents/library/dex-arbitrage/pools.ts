/**
 * What the DEX agents share: the pools they watch (instrument, DEX, fee), the chain's gas as the
 * agent estimates it, the pools' last states taken from `pool` triggers, and exact conversions
 * between Decimals and raw token units. Defaults describe the sandbox chain
 * (src/venues/simulated/amm-pools.ts; a test keeps them in step).
 */
import { z } from 'zod';
import { Decimal } from '../../../core/index.ts';
import type { InstrumentId, MarketEvent } from '../../../model/index.ts';

export const poolSpecSchema = z.strictObject({
  /** The pool's instrument on its chain venue. */
  instrumentId: z.string().min(1),
  dex: z.string().min(1),
  /** Fee in pips (3000 = 0.30 %). */
  feePips: z.number().int().min(0).max(999_999),
});

export type PoolSpec = z.output<typeof poolSpecSchema>;

export const DEFAULT_DEX_POOLS: readonly PoolSpec[] = Object.freeze([
  { instrumentId: 'sandchain:uniswap-v2/BTC-USDT', dex: 'uniswap-v2', feePips: 3000 },
  { instrumentId: 'sandchain:sushiswap/BTC-USDT', dex: 'sushiswap', feePips: 3000 },
]);

/** The chain's gas as the agent prices it: EIP-1559 fees and the native token in the quote asset. */
export const gasSchema = z
  .strictObject({
    gasPerTx: z.number().int().min(0).default(21_000),
    gasPerSwap: z.number().int().min(0).default(100_000),
    baseFeeGwei: z.number().min(0).max(100_000).default(1),
    priorityFeeGwei: z.number().min(0).max(100_000).default(0.5),
    /** Quote units per native token. */
    nativePrice: z.number().positive().default(3000),
  })
  .prefault({});

export type GasSpec = z.output<typeof gasSchema>;

/** Raw-unit decimals of the pools' base (token0) and quote (token1). */
export const decimalsSchema = z
  .strictObject({
    base: z.number().int().min(0).max(18).default(8),
    quote: z.number().int().min(0).max(18).default(6),
  })
  .prefault({});

export type PoolDecimals = z.output<typeof decimalsSchema>;

/** Gas of a transaction of `swaps` hops, in the quote asset, rounded up to `quoteDecimals`. */
export function gasCost(gas: GasSpec, swaps: number, quoteDecimals: number): Decimal {
  const units = BigInt(gas.gasPerTx + gas.gasPerSwap * swaps);
  const weiPerGas = BigInt(Math.round((gas.baseFeeGwei + gas.priorityFeeGwei) * 1e9));
  const native = Decimal.fromUnits(units * weiPerGas);
  return native
    .mul(Decimal.fromNumberRounded(gas.nativePrice, 8))
    .roundToStep(Decimal.fromUnits(10n ** BigInt(18 - quoteDecimals)), 'up');
}

export function gasSummary(gas: GasSpec, swaps: number): string {
  return `${gas.gasPerTx + gas.gasPerSwap * swaps} gas × ${gas.baseFeeGwei}+${gas.priorityFeeGwei} gwei at ${gas.nativePrice}`;
}

/** A decimal amount in raw units (down: never more than the amount). */
export function toRaw(amount: Decimal, decimals: number): bigint {
  return amount.units / 10n ** BigInt(18 - decimals);
}

export function fromRaw(raw: bigint, decimals: number): Decimal {
  return Decimal.fromUnits(raw * 10n ** BigInt(18 - decimals));
}

export interface PoolReserves {
  readonly reserve0: bigint;
  readonly reserve1: bigint;
  readonly blockNumber: number;
}

/**
 * The pools' last states, from `pool` events, and whether each is still current: a pool the
 * agent proposed to trade at block N, or in which the desk's position moved since its last state
 * (a swap of ours, by any agent, that the state does not show yet), is left alone until a later
 * state of it is seen.
 */
export class PoolBook {
  private readonly states = new Map<InstrumentId, PoolReserves>();
  private readonly tradedAt = new Map<InstrumentId, number>();
  /** The desk's position in the pool when its last state came. */
  private readonly positionAt = new Map<InstrumentId, number>();

  /** Takes a `pool` event of a watched pool; returns it when it changed something. */
  apply(
    event: MarketEvent,
    watched: ReadonlySet<InstrumentId>,
    position: (id: InstrumentId) => number,
  ): PoolReserves | undefined {
    if (event.type !== 'pool' || !watched.has(event.instrumentId)) return undefined;
    if (event.reserve0 === undefined || event.reserve1 === undefined) return undefined;
    const previous = this.states.get(event.instrumentId);
    if (previous !== undefined && previous.blockNumber > event.blockNumber) return undefined;
    const state = {
      reserve0: BigInt(event.reserve0),
      reserve1: BigInt(event.reserve1),
      blockNumber: event.blockNumber,
    };
    this.states.set(event.instrumentId, state);
    this.positionAt.set(event.instrumentId, position(event.instrumentId));
    return state;
  }

  get(id: InstrumentId): PoolReserves | undefined {
    return this.states.get(id);
  }

  /** Known, and not traded by this agent or the desk since its last state. */
  usable(id: InstrumentId, position: number): boolean {
    const state = this.states.get(id);
    if (state === undefined || this.positionAt.get(id) !== position) return false;
    const traded = this.tradedAt.get(id);
    return traded === undefined || state.blockNumber > traded;
  }

  markTraded(id: InstrumentId): void {
    const state = this.states.get(id);
    if (state !== undefined) this.tradedAt.set(id, state.blockNumber);
  }
}
