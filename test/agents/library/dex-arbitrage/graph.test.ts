import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArbitrageGraph,
  type CycleOpportunity,
  GRAPH_SCAN_LIMIT,
  type PoolInput,
  type V2PoolInput,
} from '../../../../src/agents/library/dex-arbitrage/graph.ts';
import { optimiseChain, type V2Hop } from '../../../../src/agents/library/dex-arbitrage/optimum.ts';
import { parsePoolSnapshot } from '../../../../src/agents/library/dex-arbitrage/snapshot.ts';
import { generatePoolSnapshot } from '../../../../src/agents/library/dex-arbitrage/synthetic.ts';
import { isConcordError } from '../../../../src/core/index.ts';
import { getSqrtRatioAtTick } from '../../../../src/model/amm/index.ts';
import { poolFromPositions } from '../../../model/amm/helpers.ts';

const tokenAddress = (i: number) => `0x${i.toString(16).padStart(40, '0')}`;
const poolAddress = (i: number) => `0x${(0x100000 + i).toString(16).padStart(40, 'f')}`;

/** Small random graphs: a handful of tokens, several pools per pair, prices that disagree. */
const arbitraryPools = fc
  .array(
    fc.record({
      a: fc.integer({ min: 0, max: 4 }),
      b: fc.integer({ min: 0, max: 4 }),
      r0: fc.bigInt({ min: 10n ** 6n, max: 10n ** 24n }),
      r1: fc.bigInt({ min: 10n ** 6n, max: 10n ** 24n }),
      fee: fc.constantFrom(0, 1000, 3000),
    }),
    { minLength: 2, maxLength: 14 },
  )
  .map((specs) =>
    specs
      .filter((s) => s.a !== s.b)
      .map(
        (s, i): V2PoolInput => ({
          address: poolAddress(i),
          dex: `dex${i % 3}`,
          token0: tokenAddress(Math.min(s.a, s.b)),
          token1: tokenAddress(Math.max(s.a, s.b)),
          reserve0: s.r0,
          reserve1: s.r1,
          fee: s.fee,
        }),
      ),
  );

/** Every 2- and 3-hop cycle from the base, by brute force over pool sequences. */
function bruteForceCycles(pools: readonly V2PoolInput[], base: string): string[] {
  const cycles: string[] = [];
  const other = (p: V2PoolInput, t: string) => (p.token0 === t ? p.token1 : p.token0);
  const has = (p: V2PoolInput, t: string) => p.token0 === t || p.token1 === t;
  for (const p1 of pools) {
    if (!has(p1, base)) continue;
    const x = other(p1, base);
    for (const p2 of pools) {
      if (p2 === p1 || !has(p2, x)) continue;
      const y = other(p2, x);
      if (y === base) cycles.push(`${p1.address}>${p2.address}`);
      else
        for (const p3 of pools)
          if (p3 !== p1 && p3 !== p2 && has(p3, y) && other(p3, y) === base)
            cycles.push(`${p1.address}>${p2.address}>${p3.address}`);
    }
  }
  return cycles.sort();
}

function hopsOf(pools: readonly V2PoolInput[], path: readonly string[], poolIds: readonly string[]): V2Hop[] {
  return poolIds.map((id, k) => {
    const p = pools.find((q) => q.address === id) as V2PoolInput;
    const zeroForOne = p.token0 === path[k];
    return {
      kind: 'v2',
      reserveIn: zeroForOne ? p.reserve0 : p.reserve1,
      reserveOut: zeroForOne ? p.reserve1 : p.reserve0,
      fee: p.fee,
    };
  });
}

const summary = (list: readonly CycleOpportunity[]) =>
  list.map((o) => `${o.pools.join('>')} ${o.amountIn} ${o.profit}`).sort();

describe('ArbitrageGraph', () => {
  it('finds exactly the 2- and 3-hop cycles from the base (brute-force enumeration)', () => {
    fc.assert(
      fc.property(arbitraryPools, (pools) => {
        const base = tokenAddress(0);
        const g = new ArbitrageGraph(pools, base);
        const ours: string[] = [];
        for (let c = 0; c < g.cycleCount; c++) ours.push(g.describe(c).pools.join('>'));
        expect(ours.sort()).toEqual(bruteForceCycles(pools, base));
        const twoHop = new ArbitrageGraph(pools, base, { maxHops: 2 });
        expect(twoHop.cycleCount).toBe(
          bruteForceCycles(pools, base).filter((c) => c.split('>').length === 2).length,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('reports every cycle that can profit, with the optimiser answer; the marginal filter drops none', () => {
    let reported = 0;
    fc.assert(
      fc.property(arbitraryPools, (pools) => {
        const base = tokenAddress(0);
        const g = new ArbitrageGraph(pools, base);
        const found = new Map(g.scan().map((o) => [o.cycle, o]));
        for (let c = 0; c < g.cycleCount; c++) {
          const { path, pools: ids } = g.describe(c);
          const direct = optimiseChain(hopsOf(pools, path, ids), GRAPH_SCAN_LIMIT);
          const ours = found.get(c);
          if (direct === null) expect(ours).toBeUndefined();
          else {
            reported++;
            expect(ours?.profit).toBe(direct.profit);
            expect(ours?.amountIn).toBe(direct.amountIn);
            expect(ours?.path[0]).toBe(base);
            expect(ours?.path[ours.path.length - 1]).toBe(base);
          }
        }
        const list = g.opportunities();
        for (let i = 1; i < list.length; i++)
          expect((list[i - 1] as CycleOpportunity).profit >= (list[i] as CycleOpportunity).profit).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(reported).toBeGreaterThan(50);
  });

  it('incremental updates leave the same opportunities as a full rescan', () => {
    fc.assert(
      fc.property(
        arbitraryPools,
        fc.array(
          fc.record({
            pool: fc.nat(),
            f0: fc.double({ min: 0.9, max: 1.1, noNaN: true }),
            f1: fc.double({ min: 0.9, max: 1.1, noNaN: true }),
          }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        (pools, updates) => {
          if (pools.length === 0) return;
          const base = tokenAddress(0);
          const live = new ArbitrageGraph(pools, base);
          live.scan();
          const current = pools.map((p) => ({ ...p }));
          for (const u of updates) {
            const i = u.pool % current.length;
            const p = current[i] as V2PoolInput;
            const next = {
              ...p,
              reserve0: (p.reserve0 * BigInt(Math.round(u.f0 * 1e6))) / 1_000_000n,
              reserve1: (p.reserve1 * BigInt(Math.round(u.f1 * 1e6))) / 1_000_000n,
            };
            current[i] = next;
            const result = live.updateReserves(next.address, next.reserve0, next.reserve1);
            expect(result.cycles).toBe(live.cyclesOf(next.address).length);
            expect(result.candidates).toBeLessThanOrEqual(result.cycles);
            // Sometimes look in between updates (sizing the flagged cycles), sometimes not.
            if (u.f0 > 1.05) live.opportunities();
          }
          const fresh = new ArbitrageGraph(current, base);
          expect(summary(live.opportunities())).toEqual(summary(fresh.scan()));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('only cycles through the updated pool are re-evaluated', () => {
    const pools = parsePoolSnapshot(generatePoolSnapshot({ pools: 800, seed: 3 })).pools;
    const weth = (pools[0] as PoolInput).token0;
    const g = new ArbitrageGraph(pools, weth);
    g.scan();
    const target = pools.find(
      (p) => g.cyclesOf(p.address).length > 0 && g.cyclesOf(p.address).length < g.cycleCount / 10,
    );
    expect(target).toBeDefined();
    if (target === undefined || target.kind === 'v3') return;
    const result = g.updateReserves(target.address, target.reserve0 * 2n, target.reserve1);
    expect(result.cycles).toBe(g.cyclesOf(target.address).length);
    expect(result.cycles).toBeLessThan(g.cycleCount);
    for (const c of g.cyclesOf(target.address)) expect(g.describe(c).pools).toContain(target.address);
    // A doubled reserve on one side is a big dislocation: cycles through this pool now profit.
    expect(result.candidates).toBeGreaterThan(0);
    const through = g.opportunities().filter((o) => o.pools.includes(target.address));
    expect(through.length).toBeGreaterThan(0);
    expect(through.length).toBeLessThanOrEqual(result.candidates);
  });

  it('a cycle through a concentrated-liquidity pool is optimised numerically', () => {
    const base = tokenAddress(0);
    const x = tokenAddress(1);
    // V3 pool at price 1 (token1 per token0), V2 pool selling token1 back at 1.02.
    const v3 = poolFromPositions(3000, 60, getSqrtRatioAtTick(0), 0, [
      { lower: -6000, upper: 6000, liquidity: 10n ** 22n },
    ]);
    const pools: PoolInput[] = [
      { kind: 'v3', address: poolAddress(1), dex: 'uniswap-v3', token0: base, token1: x, state: v3 },
      {
        address: poolAddress(2),
        dex: 'sushiswap',
        token0: base,
        token1: x,
        reserve0: 102n * 10n ** 20n,
        reserve1: 100n * 10n ** 20n,
        fee: 3000,
      },
    ];
    const g = new ArbitrageGraph(pools, base);
    const [best] = g.scan();
    expect(best).toBeDefined();
    expect(best?.pools).toEqual([poolAddress(1), poolAddress(2)]);
    expect(best?.exact).toBe(false);
    // Edge ≈ 2 % − 0.6 % fees; profit ≈ R·edge²/8 ≈ 2.4e17 for ~1e22 of depth on the V2 side.
    expect(best?.profit).toBeGreaterThan(2n * 10n ** 17n);
    expect(best?.profit).toBeLessThan(3n * 10n ** 17n);
    // X now costs ~1.04 base on the V3 pool: that direction dies, the opposite one opens.
    const moved = { ...v3, sqrtPriceX96: getSqrtRatioAtTick(-400), tick: -400 };
    const update = g.updateV3State(poolAddress(1), moved);
    expect(update.cycles).toBe(2);
    expect(g.opportunities().map((o) => o.pools)).toEqual([[poolAddress(2), poolAddress(1)]]);
  });

  it('refuses unknown pools, duplicates and self-pairs with coded errors', () => {
    const base = tokenAddress(0);
    const pool: V2PoolInput = {
      address: poolAddress(1),
      dex: 'd',
      token0: base,
      token1: tokenAddress(1),
      reserve0: 1n,
      reserve1: 1n,
      fee: 3000,
    };
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return isConcordError(err) ? err.code : 'other';
      }
      return undefined;
    };
    expect(code(() => new ArbitrageGraph([pool, pool], base))).toBe('CONCORD_ERR_ARB_GRAPH_INVALID');
    expect(code(() => new ArbitrageGraph([{ ...pool, token1: base }], base))).toBe(
      'CONCORD_ERR_ARB_GRAPH_INVALID',
    );
    expect(code(() => new ArbitrageGraph([pool], base).updateReserves(poolAddress(9), 1n, 1n))).toBe(
      'CONCORD_ERR_ARB_POOL_UNKNOWN',
    );
  });
});
