/**
 * The sandbox chain's AMM pools: constant-product (Uniswap V2-style) pools of the sandbox pair on
 * two DEXes, whose prices follow the synthetic market's latent price with a lag. Reserves are
 * exact integers of raw token units (bigint); every external trade goes through the exact V2
 * maths (src/model/amm/v2.ts), so the product of the reserves never decreases.
 *
 * Each pool is updated once per `updateEveryMs` (a "block" of the sandbox chain that carries that
 * pool's flow; the pools' blocks are staggered so one market step never carries two pool updates,
 * see below). An update is two trades by other users, drawn from the pool's own random stream:
 *
 *   - a lagging arbitrageur closes `catchUp` of the gap between the pool's price and the latent
 *     price as it was `lagMs` ago (log prices);
 *   - a noise trader moves the price by a normal draw of `noiseBp` basis points.
 *
 * and it is published as two market events, both at the step's time and before any CEX event of
 * the step: a `quote` (the pool's marginal sell / buy price, fee included: the desk's reference
 * price for the pool) and a `pool` event (the exact reserves and the block number).
 *
 * Our own swaps are executed by the simulated DEX venue (dex-venue.ts) against its copy of the
 * pools, kept from these events; in a live sandbox run the venue reports each executed swap back
 * (`setReserves`), so the next update starts from reserves that include it. A replay never pulls
 * the market: its journaled pool events already carry our swaps. That is why a step carries at
 * most one pool update, first: a swap made while a step is stepped can only touch pools whose
 * latest event has already been applied.
 */
import { ConcordError, Decimal, type Random } from '../../core/index.ts';
import { getAmountIn, getAmountOut } from '../../model/amm/index.ts';
import {
  type InstrumentId,
  type MarketEvent,
  type PoolState,
  type Quote,
  type SpotInstrument,
  spotInstrument,
} from '../../model/index.ts';

export interface SandboxPoolSpec {
  /** DEX name; the pool's instrument is `<venue>:<dex>/<BASE>-<QUOTE>`. */
  readonly dex: string;
  /** Pool fee in pips (3000 = 0.30 %). */
  readonly feePips: number;
  /** Base reserve at the start, in base units (the quote reserve matches the initial price). */
  readonly baseReserve: number;
  /** Standard deviation of the noise trader's price move per update, in bp. */
  readonly noiseBp: number;
  /** Fraction of the log gap to the lagged latent price the arbitrageur closes per update (0..1). */
  readonly catchUp: number;
  /** The arbitrageur sees the latent price this many ms late. */
  readonly lagMs: number;
}

/** Gas of the sandbox chain: an EIP-1559 price and a native token priced in the quote asset. */
export interface SandboxGas {
  /** Intrinsic gas of a transaction. */
  readonly gasPerTx: number;
  /** Gas of one swap hop. */
  readonly gasPerSwap: number;
  /** Base fee per gas, in wei. */
  readonly baseFeeWei: bigint;
  /** Priority fee (tip) per gas, in wei. */
  readonly priorityFeeWei: bigint;
  /** Quote units per native token (ETH), exact decimal. */
  readonly nativePrice: string;
}

export interface SandboxDexOptions {
  /** The chain's venue id (one wallet for every pool on it). */
  readonly venue?: string;
  readonly pools?: readonly SandboxPoolSpec[];
  /** Time between two updates of one pool, in ms (a multiple of the market's tickMs × pool count). */
  readonly updateEveryMs?: number;
  readonly baseDecimals?: number;
  readonly quoteDecimals?: number;
  readonly gas?: SandboxGas;
  /** First block number. */
  readonly firstBlock?: number;
}

export const SANDBOX_CHAIN_VENUE = 'sandchain';

export const DEFAULT_SANDBOX_POOLS: readonly SandboxPoolSpec[] = Object.freeze([
  { dex: 'uniswap-v2', feePips: 3000, baseReserve: 40, noiseBp: 20, catchUp: 0.35, lagMs: 2000 },
  { dex: 'sushiswap', feePips: 3000, baseReserve: 25, noiseBp: 28, catchUp: 0.25, lagMs: 4000 },
]);

export const DEFAULT_SANDBOX_GAS: SandboxGas = Object.freeze({
  gasPerTx: 21_000,
  gasPerSwap: 100_000,
  baseFeeWei: 1_000_000_000n,
  priorityFeeWei: 500_000_000n,
  nativePrice: '3000',
});

/** Gas cost of a transaction of `swaps` hops, in the quote asset, rounded up to `quoteDecimals`. */
export function sandboxGasCost(gas: SandboxGas, swaps: number, quoteDecimals: number): Decimal {
  const units = BigInt(gas.gasPerTx + gas.gasPerSwap * swaps);
  // Wei have 18 decimals, like Decimal's units: the native amount is exact.
  const native = Decimal.fromUnits(units * (gas.baseFeeWei + gas.priorityFeeWei));
  return native.mul(gas.nativePrice).roundToStep(Decimal.fromUnits(10n ** BigInt(18 - quoteDecimals)), 'up');
}

/** One pool's live state. */
export interface SandboxPool {
  readonly spec: SandboxPoolSpec;
  readonly instrument: SpotInstrument;
  /** Base (token0) and quote (token1) reserves, raw units. */
  reserve0: bigint;
  reserve1: bigint;
  blockNumber: number;
  readonly random: Random;
  readonly lagSteps: number;
  /** Updates at steps ≡ phase (mod everySteps). */
  readonly phase: number;
}

const BP = 1e-4;

function dexError(message: string, problems: string[]): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_SYNTHETIC_MARKET_CONFIG',
    `synthetic market options are invalid: ${message}`,
    {
      details: { problems },
    },
  );
}

/** Pool instrument id on the chain venue. */
export function poolInstrumentId(venue: string, dex: string, symbol: string): InstrumentId {
  return `${venue}:${dex}/${symbol}`;
}

export class SandboxDex {
  readonly venue: string;
  readonly baseDecimals: number;
  readonly quoteDecimals: number;
  readonly gas: SandboxGas;
  readonly everySteps: number;
  readonly maxLagSteps: number;
  private readonly pools: SandboxPool[];
  private readonly byId = new Map<InstrumentId, SandboxPool>();
  private readonly baseScale: number;
  private readonly quoteScale: number;

  constructor(
    options: SandboxDexOptions,
    spec: {
      symbol: string;
      base: string;
      quote: string;
      tickSize: string;
      lotSize: string;
      minNotional: string;
    },
    root: Random,
    tickMs: number,
    initialPrice: number,
  ) {
    this.venue = options.venue ?? SANDBOX_CHAIN_VENUE;
    this.baseDecimals = options.baseDecimals ?? 8;
    this.quoteDecimals = options.quoteDecimals ?? 6;
    this.gas = options.gas ?? DEFAULT_SANDBOX_GAS;
    const specs = options.pools ?? DEFAULT_SANDBOX_POOLS;
    const updateEveryMs = options.updateEveryMs ?? 1000;
    const problems: string[] = [];
    if (specs.length === 0) problems.push('dex.pools must list at least one pool');
    const stepsPerUpdate = updateEveryMs / tickMs;
    if (!Number.isInteger(stepsPerUpdate) || stepsPerUpdate < specs.length)
      problems.push(
        `dex.updateEveryMs (${updateEveryMs}) must be a multiple of tickMs (${tickMs}) of at least one step per pool`,
      );
    const dexes = new Set<string>();
    specs.forEach((p, k) => {
      if (dexes.has(p.dex)) problems.push(`dex.pools[${k}].dex "${p.dex}" is used twice`);
      dexes.add(p.dex);
      if (!/^[a-z0-9][a-z0-9-]*$/.test(p.dex))
        problems.push(`dex.pools[${k}].dex must be lowercase letters, digits, dashes`);
      if (!Number.isInteger(p.feePips) || p.feePips < 0 || p.feePips >= 1_000_000)
        problems.push(`dex.pools[${k}].feePips must be an integer in [0, 1000000)`);
      if (!(p.baseReserve > 0) || !Number.isFinite(p.baseReserve))
        problems.push(`dex.pools[${k}].baseReserve must be a positive number`);
      if (!(p.noiseBp >= 0) || !Number.isFinite(p.noiseBp))
        problems.push(`dex.pools[${k}].noiseBp must be ≥ 0`);
      if (!(p.catchUp >= 0 && p.catchUp <= 1)) problems.push(`dex.pools[${k}].catchUp must be in [0, 1]`);
      if (!(p.lagMs >= 0) || !Number.isFinite(p.lagMs)) problems.push(`dex.pools[${k}].lagMs must be ≥ 0`);
    });
    if (problems.length > 0) throw dexError(problems.join('; '), problems);
    this.everySteps = stepsPerUpdate;
    this.baseScale = 10 ** this.baseDecimals;
    this.quoteScale = 10 ** this.quoteDecimals;
    const firstBlock = options.firstBlock ?? 1_000_000;
    this.pools = specs.map((p, k) => {
      const instrument = spotInstrument({
        venue: this.venue,
        symbol: `${p.dex}/${spec.symbol}`,
        base: spec.base,
        quote: spec.quote,
        tickSize: spec.tickSize,
        lotSize: spec.lotSize,
        minNotional: spec.minNotional,
        // The pool's fee is in its price; a fill's fee is the gas it paid.
        makerFee: 0,
        takerFee: 0,
      });
      const reserve0 = BigInt(Math.round(p.baseReserve * this.baseScale));
      const reserve1 = BigInt(Math.round(p.baseReserve * initialPrice * this.quoteScale));
      const pool: SandboxPool = {
        spec: p,
        instrument,
        reserve0,
        reserve1,
        blockNumber: firstBlock,
        random: root.fork(`pool:${p.dex}`),
        lagSteps: Math.round(p.lagMs / tickMs),
        // Spread the pools' updates evenly over the period.
        phase: Math.floor((k * stepsPerUpdate) / specs.length),
      };
      this.byId.set(instrument.id, pool);
      return pool;
    });
    this.maxLagSteps = this.pools.reduce((m, p) => Math.max(m, p.lagSteps), 0);
  }

  instruments(): SpotInstrument[] {
    return this.pools.map((p) => p.instrument);
  }

  pool(id: InstrumentId): Readonly<SandboxPool> | undefined {
    return this.byId.get(id);
  }

  /** Our own swap, executed by the DEX venue: the pool's reserves after it. */
  setReserves(id: InstrumentId, reserve0: bigint, reserve1: bigint): void {
    const pool = this.byId.get(id);
    if (pool === undefined) return;
    pool.reserve0 = reserve0;
    pool.reserve1 = reserve1;
  }

  /**
   * The pools' events of step `step` (at `ts`), appended to `events`: at step 0 every pool (its
   * initial state), afterwards the one pool whose turn it is, after its users' trades.
   * `laggedLog(n)` is the latent log price n steps ago.
   */
  step(step: number, ts: number, laggedLog: (lagSteps: number) => number, events: MarketEvent[]): void {
    if (step === 0) {
      for (const pool of this.pools) this.publish(pool, ts, events);
      return;
    }
    const slot = step % this.everySteps;
    for (const pool of this.pools) {
      if (pool.phase !== slot) continue;
      this.trade(pool, laggedLog(pool.lagSteps));
      pool.blockNumber += this.everySteps;
      this.publish(pool, ts, events);
    }
  }

  /** Log of the pool's price in quote units per base unit. */
  logPrice(pool: Readonly<SandboxPool>): number {
    return Math.log(Number(pool.reserve1) / this.quoteScale / (Number(pool.reserve0) / this.baseScale));
  }

  /** The arbitrageur's and the noise trader's trades, as one swap to the price they lead to. */
  private trade(pool: SandboxPool, laggedLogPrice: number): void {
    const now = this.logPrice(pool);
    const target =
      now + pool.spec.catchUp * (laggedLogPrice - now) + pool.random.normal() * pool.spec.noiseBp * BP;
    // Constant product without the fee: x' = √(k / p'), in raw units (p' raw = quote raw per base raw).
    const rawTarget = Math.exp(target) * (this.quoteScale / this.baseScale);
    const k = Number(pool.reserve0) * Number(pool.reserve1);
    const x = Math.sqrt(k / rawTarget);
    const fee = pool.spec.feePips;
    const x0 = Number(pool.reserve0);
    if (x < x0) {
      // Price up: someone buys base with quote.
      const out = BigInt(Math.floor(x0 - x));
      if (out <= 0n || out >= pool.reserve0) return;
      const amountIn = getAmountIn(out, pool.reserve1, pool.reserve0, fee);
      pool.reserve0 -= out;
      pool.reserve1 += amountIn;
    } else {
      const amountIn = BigInt(Math.floor(x - x0));
      if (amountIn <= 0n) return;
      const out = getAmountOut(amountIn, pool.reserve0, pool.reserve1, fee);
      if (out <= 0n || out >= pool.reserve1) return;
      pool.reserve0 += amountIn;
      pool.reserve1 -= out;
    }
  }

  private publish(pool: SandboxPool, ts: number, events: MarketEvent[]): void {
    const price = Math.exp(this.logPrice(pool));
    const keep = 1 - pool.spec.feePips / 1_000_000;
    // About what moves the price by 10 bp, as the quote's size.
    const size = (Number(pool.reserve0) / this.baseScale) * 0.0005;
    const quote: Quote = {
      type: 'quote',
      ts,
      instrumentId: pool.instrument.id,
      bid: price * keep,
      bidSize: size,
      ask: price / keep,
      askSize: size,
      sequence: pool.blockNumber,
    };
    const state: PoolState = {
      type: 'pool',
      ts,
      instrumentId: pool.instrument.id,
      blockNumber: pool.blockNumber,
      reserve0: pool.reserve0.toString(),
      reserve1: pool.reserve1.toString(),
    };
    events.push(quote, state);
  }
}
