import { describe, expect, it } from 'vitest';
import { ArbitrageGraph } from '../../../../src/agents/library/dex-arbitrage/graph.ts';
import {
  parsePoolSnapshot,
  resolveBaseToken,
} from '../../../../src/agents/library/dex-arbitrage/snapshot.ts';
import { generatePoolSnapshot } from '../../../../src/agents/library/dex-arbitrage/synthetic.ts';
import { isConcordError } from '../../../../src/core/index.ts';
import { getSqrtRatioAtTick } from '../../../../src/model/amm/index.ts';

const weth = { address: `0x${'1'.padStart(40, '0')}`, symbol: 'WETH', decimals: 18 };
const usdc = { address: `0x${'2'.padStart(40, '0')}`, symbol: 'USDC', decimals: 6 };

function errorOf(
  fn: () => unknown,
): { code: string; message: string; details: Record<string, unknown> } | undefined {
  try {
    fn();
  } catch (err) {
    if (isConcordError(err))
      return { code: err.code, message: err.shortMessage, details: err.details as Record<string, unknown> };
    throw err;
  }
  return undefined;
}

describe('pool snapshot', () => {
  const tick = -196_260; // ≈ 3000 USDC (6 dp) per WETH (18 dp)
  const v3 = {
    kind: 'v3',
    address: `0x${'a1'.padStart(40, '0')}`,
    dex: 'uniswap-v3',
    token0: usdc,
    token1: weth,
    fee: 500,
    tickSpacing: 10,
    sqrtPriceX96: getSqrtRatioAtTick(tick).toString(),
    tick,
    liquidity: '1000000000000000000',
    ticks: [
      { index: tick - 1000, liquidityNet: '1000000000000000000' },
      { index: tick + 1000, liquidityNet: '-1000000000000000000' },
    ],
  };

  it('reads constant-product and concentrated-liquidity pools; the generator output is valid', () => {
    const snap = parsePoolSnapshot([
      v3,
      {
        address: `0x${'b1'.padStart(40, '0')}`,
        dex: 'sushiswap',
        token0: usdc,
        token1: weth,
        reserve0: '3000000000',
        reserve1: '1000000000000000000',
        fee: 3000,
      },
    ]);
    expect(snap.pools.map((p) => p.kind)).toEqual(['v3', 'v2']);
    expect(snap.tokens.size).toBe(2);
    expect(resolveBaseToken(snap.tokens, 'weth').address).toBe(weth.address);
    const g = new ArbitrageGraph(snap.pools, weth.address);
    expect(g.cycleCount).toBe(2);
    const generated = generatePoolSnapshot({ pools: 500, seed: 5 });
    expect(parsePoolSnapshot(JSON.parse(JSON.stringify(generated))).pools).toHaveLength(500);
    // Deterministic: the same seed gives the same file.
    expect(JSON.stringify(generatePoolSnapshot({ pools: 500, seed: 5 }))).toBe(JSON.stringify(generated));
  });

  it('an inconsistent concentrated-liquidity state is refused naming the pool', () => {
    const e = errorOf(() => parsePoolSnapshot([{ ...v3, liquidity: '5' }]));
    expect(e?.code).toBe('CONCORD_ERR_ARB_SNAPSHOT_INVALID');
    expect(e?.details.index).toBe(0);
    expect(e?.message).toMatch(/liquidity differs/);
    const unknownField = errorOf(() => parsePoolSnapshot([{ ...v3, reserve0: '1' }]));
    expect(unknownField?.message).toMatch(/pool 0/);
    const badTick = errorOf(() => parsePoolSnapshot([{ ...v3, ticks: [{ index: 1.5, liquidityNet: '0' }] }]));
    expect(badTick?.message).toMatch(/pool 0: ticks\.0\.index/);
  });
});
