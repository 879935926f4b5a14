/**
 * Pool state moved by on-chain events (pure): Mint/Burn bookkeeping against positions summed
 * directly, and the shapes handed to the rest of Concord (AMM maths, arbitrage graph, market event).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArbitrageGraph } from '../../../src/agents/library/dex-arbitrage/graph.ts';
import { isConcordError } from '../../../src/core/index.ts';
import { isValidConcordEvent } from '../../../src/data/readers/concord.ts';
import { getSqrtRatioAtTick, validateV3Pool } from '../../../src/model/amm/index.ts';
import {
  applyLiquidity,
  applyPrice,
  applySync,
  type EvmPoolInfo,
  emptyState,
  sameState,
  toGraphInput,
  toPoolEvent,
  toV3PoolState,
  type V3ChainState,
} from '../../../src/venues/evm/index.ts';
import { poolFromPositions } from '../../model/amm/helpers.ts';

const V3: EvmPoolInfo = {
  address: '0x00000000000000000000000000000000000000a3',
  protocol: 'uniswap-v3',
  dex: 'uniswap-v3',
  token0: '0x0000000000000000000000000000000000000001',
  token1: '0x0000000000000000000000000000000000000002',
  fee: 3000,
  tickSpacing: 60,
};
const BLOCK = { number: 7n, hash: `0x${'ab'.repeat(32)}`, timestamp: 1_700_000_000n };

const positions = fc.array(
  fc
    .record({
      lo: fc.integer({ min: -40, max: 39 }),
      width: fc.integer({ min: 1, max: 20 }),
      liquidity: fc.bigInt({ min: 1n, max: 10n ** 24n }),
    })
    .map((p) => ({ lower: p.lo * 60, upper: (p.lo + p.width) * 60, liquidity: p.liquidity })),
  { minLength: 1, maxLength: 12 },
);

function initialised(tick: number): V3ChainState {
  return applyPrice(emptyState(V3) as V3ChainState, getSqrtRatioAtTick(tick), tick);
}

describe('V3 pool state from Mint/Burn events', () => {
  it('minting positions gives the net liquidity and in-range liquidity of the positions summed', () => {
    fc.assert(
      fc.property(positions, fc.integer({ min: -2400, max: 2400 }), (ps, tick) => {
        let s = initialised(tick);
        for (const p of ps) s = applyLiquidity(s, p.lower, p.upper, p.liquidity);
        const expected = poolFromPositions(3000, 60, getSqrtRatioAtTick(tick), tick, ps);
        const ours = toV3PoolState(V3, s);
        expect(ours).toBeDefined();
        if (ours === undefined) return;
        validateV3Pool(ours);
        expect(ours.liquidity).toBe(expected.liquidity);
        // Ours also keeps ticks whose net is zero but which positions still reference (initialised on chain).
        expect(ours.ticks.filter((t) => t.liquidityNet !== 0n)).toEqual(expected.ticks);
        const gross = new Map<number, bigint>();
        for (const p of ps)
          for (const t of [p.lower, p.upper]) gross.set(t, (gross.get(t) ?? 0n) + p.liquidity);
        expect(new Map([...s.ticks].map(([i, t]) => [i, t.liquidityGross]))).toEqual(gross);
      }),
    );
  });

  it('burning every position (any order) clears every tick and the in-range liquidity', () => {
    fc.assert(
      fc.property(
        positions.chain((ps) => fc.tuple(fc.constant(ps), fc.shuffledSubarray(ps, { minLength: ps.length }))),
        fc.integer({ min: -2400, max: 2400 }),
        ([ps, order], tick) => {
          let s = initialised(tick);
          for (const p of ps) s = applyLiquidity(s, p.lower, p.upper, p.liquidity);
          for (const p of order) s = applyLiquidity(s, p.lower, p.upper, -p.liquidity);
          expect(s.ticks.size).toBe(0);
          expect(s.liquidity).toBe(0n);
        },
      ),
    );
  });

  it('refuses a burn of liquidity that was never minted (an incomplete event history)', () => {
    const s = applyLiquidity(initialised(0), -60, 60, 1000n);
    let code = '';
    try {
      applyLiquidity(s, -60, 60, -1001n);
    } catch (err) {
      if (isConcordError(err)) code = err.code;
    }
    expect(code).toBe('CONCORD_ERR_EVM_POOL_STATE_INVALID');
  });

  it('keeps states immutable: an event returns a new state and leaves the old one as it was', () => {
    const before = applyLiquidity(initialised(0), -60, 60, 1000n);
    const copy = applyLiquidity(initialised(0), -60, 60, 1000n);
    const after = applyLiquidity(before, -120, 0, 5n);
    expect(sameState(before, copy)).toBe(true);
    expect(sameState(after, before)).toBe(false);
    expect(before.ticks.has(-120)).toBe(false);
  });
});

describe('shapes for the rest of Concord', () => {
  it('a V3 market event carries the tick list when asked and passes the recording validator', () => {
    const s = applyLiquidity(applyLiquidity(initialised(30), -60, 60, 1000n), 0, 120, 400n);
    const event = toPoolEvent('evm-1', V3, s, BLOCK, true);
    expect(event).toMatchObject({
      type: 'pool',
      instrumentId: `evm-1:${V3.address}`,
      blockNumber: 7,
      ts: 1_700_000_000_000,
      liquidity: '1400',
      tick: 30,
    });
    expect(event.ticks).toEqual([
      { index: -60, liquidityNet: '1000' },
      { index: 0, liquidityNet: '400' },
      { index: 60, liquidityNet: '-1000' },
      { index: 120, liquidityNet: '-400' },
    ]);
    expect(isValidConcordEvent(event)).toBe(true);
    expect(toPoolEvent('evm-1', V3, s, BLOCK, false).ticks).toBeUndefined();
    const v2 = toPoolEvent(
      'evm-1',
      { ...V3, protocol: 'uniswap-v2', tickSpacing: 0 },
      applySync(5n, 7n),
      BLOCK,
      true,
    );
    expect(v2).toMatchObject({ reserve0: '5', reserve1: '7' });
    expect(isValidConcordEvent(v2)).toBe(true);
  });

  it('graph inputs build an arbitrage graph; empty or uninitialised pools are left out', () => {
    const t = {
      a: '0x00000000000000000000000000000000000000aa',
      b: '0x00000000000000000000000000000000000000bb',
    };
    const v2 = (address: string, r0: bigint, r1: bigint) =>
      toGraphInput(
        { address, protocol: 'uniswap-v2', dex: 'd', token0: t.a, token1: t.b, fee: 3000, tickSpacing: 0 },
        applySync(r0, r1),
      );
    const v3info = { ...V3, token0: t.a, token1: t.b };
    const v3 = toGraphInput(v3info, applyLiquidity(initialised(0), -6000, 6000, 10n ** 22n));
    expect(v2('0x0000000000000000000000000000000000000c01', 0n, 0n)).toBeUndefined();
    expect(toGraphInput(v3info, emptyState(v3info))).toBeUndefined();
    const inputs = [
      v2('0x0000000000000000000000000000000000000c01', 10n ** 21n, 10n ** 21n),
      v2('0x0000000000000000000000000000000000000c02', 10n ** 21n, 12n * 10n ** 20n),
      v3,
    ];
    expect(inputs.every((i) => i !== undefined)).toBe(true);
    const graph = new ArbitrageGraph(inputs as NonNullable<(typeof inputs)[number]>[], t.a, { maxHops: 2 });
    expect(graph.poolCount).toBe(3);
    const best = graph.scan()[0];
    expect(best?.pools).toContain('0x0000000000000000000000000000000000000c02');
    expect(best !== undefined && best.profit > 0n).toBe(true);
  });
});
