import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, Random, SimulatedClock } from '../../src/core/index.ts';
import { getAmountIn, getAmountOut } from '../../src/model/amm/index.ts';
import type { OrderRequest, VenueOrderEvent } from '../../src/model/index.ts';
import {
  DEFAULT_SANDBOX_GAS,
  SandboxDex,
  SimulatedDexVenue,
  SyntheticMarket,
  sandboxGasCost,
} from '../../src/venues/index.ts';

const T0 = Date.UTC(2024, 0, 1);
const SPEC = {
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.0001',
  minNotional: '10',
};
const A = 'sandchain:uniswap-v2/BTC-USDT';
const B = 'sandchain:sushiswap/BTC-USDT';

/** A venue over the sandbox's two pools at the given reserves (raw: BTC 8 dp, USDT 6 dp). */
function setup(
  reserves: { a: [bigint, bigint]; b: [bigint, bigint] },
  balances = { USDT: '100000', BTC: '2' },
) {
  const clock = new SimulatedClock(T0);
  const dex = new SandboxDex({}, SPEC, new Random(1), 100, 60_000);
  const venue = new SimulatedDexVenue({
    id: 'sandchain',
    clock,
    instruments: dex.instruments(),
    balances,
    pools: dex.instruments().map((i) => ({ instrumentId: i.id, feePips: 3000 })),
  });
  const events: VenueOrderEvent[] = [];
  venue.onOrderEvent((e) => events.push(e));
  for (const [id, [r0, r1]] of [
    [A, reserves.a],
    [B, reserves.b],
  ] as const) {
    venue.onMarketEvent({
      type: 'pool',
      ts: T0,
      instrumentId: id,
      blockNumber: 1,
      reserve0: r0.toString(),
      reserve1: r1.toString(),
    });
  }
  return { venue, events, clock };
}

let n = 0;
function request(
  instrumentId: string,
  side: 'buy' | 'sell',
  quantity: string,
  price?: string,
  decisionId = `d-${++n}`,
  leg = 0,
): OrderRequest {
  return {
    clientOrderId: `c-${++n}`,
    instrumentId,
    venue: 'sandchain',
    side,
    type: price === undefined ? 'market' : 'limit',
    quantity: Decimal.from(quantity),
    ...(price === undefined ? {} : { price: Decimal.from(price) }),
    timeInForce: 'IOC',
    decisionId,
    leg,
    ts: T0,
  };
}

async function settle(): Promise<void> {
  // The venue executes a burst at the end of its microtask turn.
  await Promise.resolve();
  await Promise.resolve();
}

async function balances(venue: SimulatedDexVenue): Promise<Record<string, Decimal>> {
  return Object.fromEntries((await venue.fetchBalances()).map((b) => [b.asset, b.total]));
}

const reservePair = fc
  .tuple(fc.bigInt({ min: 10n ** 8n, max: 10n ** 11n }), fc.integer({ min: 50_000, max: 70_000 }))
  .map(([r0, price]) => [r0, (r0 * BigInt(price)) / 100n] as [bigint, bigint]);

const leg = fc.record({
  pool: fc.constantFrom(A, B),
  side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
  lots: fc.integer({ min: 1, max: 3000 }),
  /** Bound as a fraction of the pool's marginal price: tight bounds fail, loose ones pass. */
  bound: fc.double({ min: 0.97, max: 1.03, noNaN: true }),
});

describe('simulated DEX venue', () => {
  it('a swap is the exact V2 amount, pays gas in the quote asset, and moves the pool', async () => {
    const { venue, events } = setup({
      a: [40n * 10n ** 8n, 2_400_000n * 10n ** 6n],
      b: [25n * 10n ** 8n, 1_500_000n * 10n ** 6n],
    });
    await venue.submitOrder(request(A, 'buy', '0.1', '61000'));
    await settle();
    const fill = events.find((e) => e.type === 'order.filled');
    expect(fill?.type).toBe('order.filled');
    if (fill?.type !== 'order.filled') return;
    const cost = getAmountIn(10n ** 7n, 2_400_000n * 10n ** 6n, 40n * 10n ** 8n, 3000);
    expect(fill.fill.price.mul(fill.fill.quantity).toFixed(6)).toBe(
      Decimal.fromUnits(cost * 10n ** 12n).toFixed(6),
    );
    const gas = sandboxGasCost(DEFAULT_SANDBOX_GAS, 1, 6);
    expect(fill.fill.fee.eq(gas)).toBe(true);
    expect(gas.toString()).toBe('0.5445');
    expect(venue.poolState(A)).toMatchObject({
      reserve0: 40n * 10n ** 8n - 10n ** 7n,
      reserve1: 2_400_000n * 10n ** 6n + cost,
    });
    const b = await balances(venue);
    expect(b.BTC?.toString()).toBe('2.1');
    expect(
      b.USDT?.eq(
        Decimal.from('100000')
          .sub(Decimal.fromUnits(cost * 10n ** 12n))
          .sub(gas),
      ),
    ).toBe(true);
  });

  it('refuses a swap past its bound, and a market order gets the default bound', async () => {
    const { venue, events } = setup({
      a: [40n * 10n ** 8n, 2_400_000n * 10n ** 6n],
      b: [25n * 10n ** 8n, 1_500_000n * 10n ** 6n],
    });
    await venue.submitOrder(request(A, 'buy', '0.1', '60000'));
    await settle();
    const rejected = events.find((e) => e.type === 'order.rejected');
    expect(rejected).toMatchObject({ type: 'order.rejected', code: 'SLIPPAGE_EXCEEDED' });
    expect(venue.poolState(A)?.reserve0).toBe(40n * 10n ** 8n);
    // 3 BTC out of 40 moves the price ~16%: past the market bound of 100 bp.
    await venue.submitOrder(request(A, 'buy', '3'));
    await settle();
    expect(events.filter((e) => e.type === 'order.rejected')).toHaveLength(2);
    await venue.submitOrder(request(A, 'sell', '0.01'));
    await settle();
    expect(events.filter((e) => e.type === 'order.filled')).toHaveLength(1);
  });

  it('property: reserves’ product never decreases; tokens and fees are conserved; a bundle fills every leg or none', async () => {
    await fc.assert(
      fc.asyncProperty(
        reservePair,
        reservePair,
        fc.array(fc.array(leg, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        async (a, b, bundles) => {
          const { venue, events } = setup({ a, b });
          const before = await balances(venue);
          const pools0: Record<string, ReturnType<SimulatedDexVenue['poolState']>> = {
            [A]: venue.poolState(A),
            [B]: venue.poolState(B),
          };
          for (const bundle of bundles) {
            const decisionId = `d-${++n}`;
            // One burst, as the order manager sends a parallel plan: no await between the legs.
            const sent: Promise<void>[] = [];
            for (const [k, l] of bundle.entries()) {
              const s = venue.poolState(l.pool) as { reserve0: bigint; reserve1: bigint };
              const marginal = Number(s.reserve1) / 1e6 / (Number(s.reserve0) / 1e8);
              const price = (Math.round(marginal * l.bound * 100) / 100).toFixed(2);
              sent.push(
                venue.submitOrder(
                  request(
                    l.pool,
                    l.side,
                    Decimal.fromUnits(BigInt(l.lots) * 10n ** 14n).toString(),
                    price,
                    decisionId,
                    k,
                  ),
                ),
              );
            }
            await Promise.all(sent);
            await settle();
          }
          // Every leg of a bundle ends the same way: all filled or all rejected.
          const fate = new Map<string, string>();
          for (const e of events) {
            const id =
              e.type === 'order.filled' ? e.fill.clientOrderId : 'clientOrderId' in e ? e.clientOrderId : '';
            if (e.type === 'order.filled' || e.type === 'order.rejected') fate.set(id, e.type);
          }
          // Conservation: what the wallet gained of a token, the pools lost (raw units), and the quote
          // the wallet lost beyond that is exactly the gas paid.
          const after = await balances(venue);
          const fees = events.reduce(
            (sum, e) => (e.type === 'order.filled' ? sum.add(e.fill.fee) : sum),
            Decimal.ZERO,
          );
          let pool0 = 0n;
          let pool1 = 0n;
          for (const id of [A, B]) {
            const p0 = pools0[id] as { reserve0: bigint; reserve1: bigint };
            const p1 = venue.poolState(id) as { reserve0: bigint; reserve1: bigint };
            expect(p1.reserve0 * p1.reserve1 >= p0.reserve0 * p0.reserve1).toBe(true);
            pool0 += p1.reserve0 - p0.reserve0;
            pool1 += p1.reserve1 - p0.reserve1;
          }
          const walletBase = (after.BTC as Decimal).sub(before.BTC as Decimal);
          const walletQuote = (after.USDT as Decimal).sub(before.USDT as Decimal);
          expect(walletBase.units).toBe(-pool0 * 10n ** 10n);
          expect(walletQuote.add(fees).units).toBe(-pool1 * 10n ** 12n);
          expect(after.BTC?.isNegative()).toBe(false);
          expect(after.USDT?.isNegative()).toBe(false);
          return fate.size > 0;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: an atomic bundle fills every leg or none (legs of one decision in one burst)', async () => {
    await fc.assert(
      fc.asyncProperty(
        reservePair,
        reservePair,
        fc.array(leg, { minLength: 2, maxLength: 4 }),
        async (a, b, legs) => {
          const { venue, events } = setup({ a, b });
          const decisionId = `d-${++n}`;
          const ids: string[] = [];
          const sent: Promise<void>[] = [];
          for (const [k, l] of legs.entries()) {
            const s = venue.poolState(l.pool) as { reserve0: bigint; reserve1: bigint };
            const marginal = Number(s.reserve1) / 1e6 / (Number(s.reserve0) / 1e8);
            const r = request(
              l.pool,
              l.side,
              Decimal.fromUnits(BigInt(l.lots) * 10n ** 14n).toString(),
              (Math.round(marginal * l.bound * 100) / 100).toFixed(2),
              decisionId,
              k,
            );
            ids.push(r.clientOrderId);
            sent.push(venue.submitOrder(r));
          }
          await Promise.all(sent);
          await settle();
          const filled = ids.filter((id) =>
            events.some((e) => e.type === 'order.filled' && e.fill.clientOrderId === id),
          );
          const rejected = ids.filter((id) =>
            events.some((e) => e.type === 'order.rejected' && e.clientOrderId === id),
          );
          expect(filled.length === ids.length || rejected.length === ids.length).toBe(true);
          expect(filled.length + rejected.length).toBe(ids.length);
          if (rejected.length > 0) {
            // Nothing moved: the bundle was never sent.
            expect(venue.poolState(A)).toMatchObject({ reserve0: a[0], reserve1: a[1] });
            expect(venue.poolState(B)).toMatchObject({ reserve0: b[0], reserve1: b[1] });
          } else {
            // Exactly the legs' V2 amounts, in order.
            const state = { [A]: [...a], [B]: [...b] } as Record<string, [bigint, bigint]>;
            for (const l of legs) {
              const s = state[l.pool] as [bigint, bigint];
              const q = BigInt(l.lots) * 10n ** 4n;
              if (l.side === 'buy') state[l.pool] = [s[0] - q, s[1] + getAmountIn(q, s[1], s[0], 3000)];
              else state[l.pool] = [s[0] + q, s[1] - getAmountOut(q, s[0], s[1], 3000)];
            }
            expect(venue.poolState(A)).toMatchObject({ reserve0: state[A]?.[0], reserve1: state[A]?.[1] });
            expect(venue.poolState(B)).toMatchObject({ reserve0: state[B]?.[0], reserve1: state[B]?.[1] });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('sandbox AMM pools', () => {
  it('follow the latent price with a lag, one pool update per step at most, deterministically', () => {
    const run = () => {
      const market = new SyntheticMarket({ seed: 7, startTs: T0, dex: {} });
      const out: { step: number; id: string; r0: string; r1: string; latent: number }[] = [];
      let gaps = 0;
      let samples = 0;
      for (let s = 0; s < 3000; s++) {
        const events = market.next();
        const pools = events.filter((e) => e.type === 'pool');
        if (s > 0) expect(pools.length).toBeLessThanOrEqual(1);
        // Pool events come first in their step.
        for (const p of pools) expect(events.indexOf(p)).toBeLessThan(2 * (s === 0 ? 2 : 1));
        for (const p of pools) {
          if (p.type !== 'pool') continue;
          out.push({
            step: s,
            id: p.instrumentId,
            r0: p.reserve0 as string,
            r1: p.reserve1 as string,
            latent: market.latentPrice(),
          });
          const price = Number(p.reserve1) / 1e6 / (Number(p.reserve0) / 1e8);
          gaps += Math.abs(Math.log(price / market.latentPrice()));
          samples++;
        }
      }
      return { out, meanGapBp: (gaps / samples) * 1e4 };
    };
    const first = run();
    const second = run();
    expect(second.out).toEqual(first.out);
    expect(first.out.length).toBeGreaterThan(500);
    // They follow the latent price (within ~1% on average) but are not glued to it.
    expect(first.meanGapBp).toBeLessThan(100);
    expect(first.meanGapBp).toBeGreaterThan(5);
  });

  it('adding the pools leaves the CEX events unchanged', () => {
    const plain = new SyntheticMarket({ seed: 3, startTs: T0 });
    const withDex = new SyntheticMarket({ seed: 3, startTs: T0, dex: {} });
    for (let s = 0; s < 500; s++) {
      const a = plain.next();
      const b = withDex.next().filter((e) => !e.instrumentId.startsWith('sandchain:'));
      expect(b).toEqual(a);
    }
  });
});
