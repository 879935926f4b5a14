/**
 * A graph of AMM pools across DEXes, and every arbitrage cycle through it from one base token:
 * 2-hop (the same pair on two pools) and 3-hop (base → X → Y → base). Shared by the DEX arbitrage
 * agent and `concord arb scan`.
 *
 * Layout, for speed on 10k+ pools and 100k+ cycles: each pool gives two directed edges
 * (2p: token0 → token1, 2p+1: token1 → token0); a cycle is its edge ids in a flat Int32Array;
 * an index from pool to the cycles through it (CSR arrays) lets an update re-evaluate only the
 * cycles that touch the updated pool. Each edge keeps ln of its marginal rate (fee included) at
 * zero size, an upper bound on its average rate at any size (prices only get worse as a swap
 * grows); a cycle whose bounds multiply to ≤ 1 cannot profit and is dropped with three float
 * additions. The margin LOG_EPS (1e-9) is far above the floats' error (~1e-13), so the filter
 * never drops a profitable cycle; everything that passes is decided exactly in bigint.
 */
import { ConcordError } from '../../../core/index.ts';
import type { V3PoolState } from '../../../model/amm/index.ts';
import { type Hop, hopLogRate, lnBig, optimiseChain, type V2Hop, v2ChainProfitBound } from './optimum.ts';

export interface V2PoolInput {
  readonly kind?: 'v2';
  readonly address: string;
  readonly dex: string;
  readonly token0: string;
  readonly token1: string;
  readonly reserve0: bigint;
  readonly reserve1: bigint;
  /** Fee in pips (3000 = 0.30 %). */
  readonly fee: number;
}

export interface V3PoolInput {
  readonly kind: 'v3';
  readonly address: string;
  readonly dex: string;
  readonly token0: string;
  readonly token1: string;
  readonly state: V3PoolState;
}

export type PoolInput = V2PoolInput | V3PoolInput;

export interface CycleOpportunity {
  readonly cycle: number;
  /** Token addresses, starting and ending with the base token. */
  readonly path: readonly string[];
  /** Pool addresses, one per hop. */
  readonly pools: readonly string[];
  /** Optimal input, output and profit, in the base token's smallest unit. */
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  readonly profit: bigint;
  /** True when the profit is proven to be the cycle's greatest integer profit. */
  readonly exact: boolean;
  /** Proven bound on the shortfall from the optimum (0 when exact; undefined for numeric search). */
  readonly gap: bigint | undefined;
}

export interface GraphOptions {
  /** 2: only same-pair cycles; 3 (default): also base → X → Y → base. */
  readonly maxHops?: 2 | 3;
  /** Smallest profit reported, in the base token's smallest unit (default 1). */
  readonly minProfit?: bigint;
  /**
   * Bound on the exact refinement's scan per cycle (see optimum.ts; default 64, for the hot path).
   * Past it a cycle is reported with `exact: false` and its proven `gap`. `concord arb scan` uses
   * 65536, which proved every cycle of the synthetic 10k-pool snapshot exact.
   */
  readonly scanLimit?: number;
}

export interface UpdateResult {
  /** Cycles through the pool, all re-checked. */
  readonly cycles: number;
  /**
   * Those that can now make minProfit (exact test on the real optimum's bound; for a cycle with a
   * concentrated-liquidity hop, those that pass the marginal-rate filter). They are sized, and
   * dropped if the integer optimum falls short, at the next `opportunities()`.
   */
  readonly candidates: number;
}

interface PoolSlot {
  readonly address: string;
  readonly dex: string;
  readonly token0: string;
  readonly token1: string;
  readonly kind: 'v2' | 'v3';
  reserve0: bigint;
  reserve1: bigint;
  fee: number;
  v3: V3PoolState | undefined;
}

const LOG_EPS = 1e-9;
export const GRAPH_SCAN_LIMIT = 64;
const NO_EDGE = -1;

function graphError(message: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError('CONCORD_ERR_ARB_GRAPH_INVALID', message, { details });
}

function pushTo(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** ln of a positive bigint: the plain float route when the value fits a double. */
function lnOf(x: bigint): number {
  const n = Number(x);
  return Number.isFinite(n) ? Math.log(n) : lnBig(x);
}

export class ArbitrageGraph {
  readonly base: string;
  private readonly slots: PoolSlot[];
  private readonly byAddress = new Map<string, number>();
  private readonly edgeLogRate: Float64Array;
  /** 3 edge ids per cycle; NO_EDGE in the third slot of a 2-hop cycle. */
  private readonly cycleEdges: Int32Array;
  private readonly poolCycleStart: Int32Array;
  private readonly poolCycleList: Int32Array;
  private readonly found = new Map<number, CycleOpportunity>();
  /** Cycles that may profit since their last update, not sized yet. */
  private readonly dirty = new Set<number>();
  private readonly minProfit: bigint;
  private readonly scanLimit: number;

  constructor(pools: readonly PoolInput[], base: string, options: GraphOptions = {}) {
    this.base = base.toLowerCase();
    this.minProfit = options.minProfit ?? 1n;
    this.scanLimit = options.scanLimit ?? GRAPH_SCAN_LIMIT;
    this.slots = pools.map((p, i) => this.slotOf(p, i));
    this.edgeLogRate = new Float64Array(this.slots.length * 2);
    for (let p = 0; p < this.slots.length; p++) this.refreshRates(p);
    this.cycleEdges = this.enumerateCycles(options.maxHops ?? 3);
    [this.poolCycleStart, this.poolCycleList] = this.indexCycles();
  }

  private slotOf(p: PoolInput, i: number): PoolSlot {
    const address = p.address.toLowerCase();
    if (this.byAddress.has(address))
      throw graphError(`pool ${p.address} is listed twice`, { index: i, address });
    const token0 = p.token0.toLowerCase();
    const token1 = p.token1.toLowerCase();
    if (token0 === token1)
      throw graphError(`pool ${p.address} has the same token on both sides`, { index: i, address });
    this.byAddress.set(address, i);
    if (p.kind === 'v3')
      return {
        address,
        dex: p.dex,
        token0,
        token1,
        kind: 'v3',
        reserve0: 0n,
        reserve1: 0n,
        fee: p.state.fee,
        v3: p.state,
      };
    return {
      address,
      dex: p.dex,
      token0,
      token1,
      kind: 'v2',
      reserve0: p.reserve0,
      reserve1: p.reserve1,
      fee: p.fee,
      v3: undefined,
    };
  }

  get poolCount(): number {
    return this.slots.length;
  }

  get cycleCount(): number {
    return this.cycleEdges.length / 3;
  }

  private edgeFrom(e: number): string {
    const s = this.slots[e >> 1] as PoolSlot;
    return e & 1 ? s.token1 : s.token0;
  }

  private edgeTo(e: number): string {
    const s = this.slots[e >> 1] as PoolSlot;
    return e & 1 ? s.token0 : s.token1;
  }

  private hopOf(e: number): Hop {
    const s = this.slots[e >> 1] as PoolSlot;
    const zeroForOne = (e & 1) === 0;
    if (s.kind === 'v3') return { kind: 'v3', pool: s.v3 as V3PoolState, zeroForOne };
    return zeroForOne
      ? { kind: 'v2', reserveIn: s.reserve0, reserveOut: s.reserve1, fee: s.fee }
      : { kind: 'v2', reserveIn: s.reserve1, reserveOut: s.reserve0, fee: s.fee };
  }

  private refreshRates(p: number): void {
    const s = this.slots[p] as PoolSlot;
    if (s.kind === 'v3') {
      this.edgeLogRate[2 * p] = hopLogRate(this.hopOf(2 * p));
      this.edgeLogRate[2 * p + 1] = hopLogRate(this.hopOf(2 * p + 1));
      return;
    }
    if (s.reserve0 <= 0n || s.reserve1 <= 0n) {
      this.edgeLogRate[2 * p] = Number.NEGATIVE_INFINITY;
      this.edgeLogRate[2 * p + 1] = Number.NEGATIVE_INFINITY;
      return;
    }
    const lnGamma = Math.log((1_000_000 - s.fee) / 1_000_000);
    const diff = lnOf(s.reserve1) - lnOf(s.reserve0);
    this.edgeLogRate[2 * p] = diff + lnGamma;
    this.edgeLogRate[2 * p + 1] = -diff + lnGamma;
  }

  private enumerateCycles(maxHops: number): Int32Array {
    const out = new Map<string, number[]>();
    for (let e = 0; e < this.slots.length * 2; e++) {
      const from = this.edgeFrom(e);
      pushTo(out, from, e);
    }
    const fromBase = out.get(this.base) ?? [];
    // Edges back to the base, by the token they leave from.
    const toBase = new Map<string, number[]>();
    for (const e of fromBase) {
      const x = this.edgeTo(e);
      pushTo(toBase, x, e ^ 1);
    }
    const cycles: number[] = [];
    for (const e1 of fromBase) {
      const x = this.edgeTo(e1);
      for (const e2 of toBase.get(x) ?? []) {
        if (e2 >> 1 !== e1 >> 1) cycles.push(e1, e2, NO_EDGE);
      }
      if (maxHops < 3) continue;
      for (const e2 of out.get(x) ?? []) {
        const y = this.edgeTo(e2);
        if (y === this.base) continue;
        for (const e3 of toBase.get(y) ?? []) cycles.push(e1, e2, e3);
      }
    }
    return Int32Array.from(cycles);
  }

  private indexCycles(): [Int32Array, Int32Array] {
    const counts = new Int32Array(this.slots.length + 1);
    const edges = this.cycleEdges;
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i] as number;
      if (e !== NO_EDGE) (counts[(e >> 1) + 1] as number)++;
    }
    for (let p = 0; p < this.slots.length; p++)
      counts[p + 1] = (counts[p + 1] as number) + (counts[p] as number);
    const list = new Int32Array(counts[this.slots.length] as number);
    const fill = counts.slice(0, this.slots.length);
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i] as number;
      if (e === NO_EDGE) continue;
      const p = e >> 1;
      list[fill[p] as number] = (i / 3) | 0;
      fill[p] = (fill[p] as number) + 1;
    }
    return [counts, list];
  }

  /** Tokens and pools of a cycle, in order. */
  describe(cycle: number): { path: string[]; pools: string[] } {
    const path = [this.base];
    const pools: string[] = [];
    for (let k = 0; k < 3; k++) {
      const e = this.cycleEdges[3 * cycle + k] as number;
      if (e === NO_EDGE) break;
      path.push(this.edgeTo(e));
      pools.push((this.slots[e >> 1] as PoolSlot).address);
    }
    return { path, pools };
  }

  /** False when the cycle's marginal rates already rule out any profit. */
  private mayProfit(cycle: number): boolean {
    const i = 3 * cycle;
    const e3 = this.cycleEdges[i + 2] as number;
    const sum =
      (this.edgeLogRate[this.cycleEdges[i] as number] as number) +
      (this.edgeLogRate[this.cycleEdges[i + 1] as number] as number) +
      (e3 === NO_EDGE ? 0 : (this.edgeLogRate[e3] as number));
    return sum > -LOG_EPS;
  }

  /** The cycle's optimum now, or null when it cannot make minProfit. */
  evaluate(cycle: number): CycleOpportunity | null {
    if (!this.mayProfit(cycle)) return null;
    return this.optimise(cycle);
  }

  private optimise(cycle: number): CycleOpportunity | null {
    const hops: Hop[] = [];
    for (let k = 0; k < 3; k++) {
      const e = this.cycleEdges[3 * cycle + k] as number;
      if (e !== NO_EDGE) hops.push(this.hopOf(e));
    }
    const best = optimiseChain(hops, this.scanLimit);
    if (best === null || best.profit < this.minProfit) return null;
    const { path, pools } = this.describe(cycle);
    return {
      cycle,
      path,
      pools,
      amountIn: best.amountIn,
      amountOut: best.amountOut,
      profit: best.profit,
      exact: best.exact,
      gap: best.gap,
    };
  }

  /** Re-evaluates and sizes every cycle; returns the profitable ones, most profitable first. */
  scan(): CycleOpportunity[] {
    this.found.clear();
    this.dirty.clear();
    const n = this.cycleCount;
    for (let c = 0; c < n; c++) {
      if (!this.mayProfit(c)) continue;
      const opportunity = this.optimise(c);
      if (opportunity !== null) this.found.set(c, opportunity);
    }
    return this.opportunities();
  }

  /**
   * The profitable cycles now, most profitable first: cycles flagged by updates since the last
   * call are sized first (a cycle touched by several updates is sized once).
   */
  opportunities(): CycleOpportunity[] {
    for (const c of this.dirty) {
      const opportunity = this.optimise(c);
      if (opportunity === null) this.found.delete(c);
      else this.found.set(c, opportunity);
    }
    this.dirty.clear();
    return [...this.found.values()].sort((a, b) =>
      a.profit === b.profit ? a.cycle - b.cycle : a.profit > b.profit ? -1 : 1,
    );
  }

  /** Exact test, without sizing: can the cycle make minProfit at all? */
  private canProfit(cycle: number): boolean {
    if (!this.mayProfit(cycle)) return false;
    const hops: V2Hop[] = [];
    for (let k = 0; k < 3; k++) {
      const e = this.cycleEdges[3 * cycle + k] as number;
      if (e === NO_EDGE) break;
      const hop = this.hopOf(e);
      // A concentrated-liquidity hop has no closed form: the marginal filter is the test.
      if (hop.kind === 'v3') return true;
      hops.push(hop);
    }
    return v2ChainProfitBound(hops) >= this.minProfit;
  }

  /** Cycle ids through a pool. */
  cyclesOf(address: string): number[] {
    const p = this.poolIndex(address);
    return Array.from(this.poolCycleList.subarray(this.poolCycleStart[p], this.poolCycleStart[p + 1]));
  }

  private poolIndex(address: string): number {
    const p = this.byAddress.get(address.toLowerCase());
    if (p === undefined)
      throw new ConcordError('CONCORD_ERR_ARB_POOL_UNKNOWN', `no pool ${address} in the graph`, {
        details: { address },
      });
    return p;
  }

  /** New reserves of a constant-product pool: only the cycles through it are re-evaluated. */
  updateReserves(address: string, reserve0: bigint, reserve1: bigint): UpdateResult {
    const p = this.poolIndex(address);
    const s = this.slots[p] as PoolSlot;
    if (s.kind !== 'v2')
      throw graphError(`pool ${address} is concentrated-liquidity: update it with updateV3State`, {
        address,
      });
    s.reserve0 = reserve0;
    s.reserve1 = reserve1;
    return this.afterUpdate(p);
  }

  /** New state of a concentrated-liquidity pool. */
  updateV3State(address: string, state: V3PoolState): UpdateResult {
    const p = this.poolIndex(address);
    const s = this.slots[p] as PoolSlot;
    if (s.kind !== 'v3')
      throw graphError(`pool ${address} is constant-product: update it with updateReserves`, { address });
    s.v3 = state;
    s.fee = state.fee;
    return this.afterUpdate(p);
  }

  private afterUpdate(p: number): UpdateResult {
    this.refreshRates(p);
    const start = this.poolCycleStart[p] as number;
    const end = this.poolCycleStart[p + 1] as number;
    let candidates = 0;
    for (let i = start; i < end; i++) {
      const c = this.poolCycleList[i] as number;
      // Whatever was found before is stale now.
      this.found.delete(c);
      if (this.canProfit(c)) {
        this.dirty.add(c);
        candidates++;
      } else this.dirty.delete(c);
    }
    return { cycles: end - start, candidates };
  }
}
