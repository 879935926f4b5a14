import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcordError, Decimal } from '../../src/core/index.ts';
import { Portfolio, UNATTRIBUTED } from '../../src/portfolio/index.ts';
import { BTC_PERP, BTC_SPOT, dec, fill } from './helpers.ts';

describe('Portfolio: average cost', () => {
  it('averages the entry price when a position increases', () => {
    const p = new Portfolio();
    p.applyFill(fill(BTC_SPOT, 'buy', '1', '100'), BTC_SPOT);
    p.applyFill(fill(BTC_SPOT, 'buy', '3', '200'), BTC_SPOT);
    const pos = p.positionDetail(BTC_SPOT.id)!;
    expect(pos.quantity.toString()).toBe('4');
    expect(pos.averagePrice.toString()).toBe('175');
    expect(pos.realizedPnl.toString()).toBe('0');
  });

  it('realizes (exit − avg) × qty when a long is reduced, and keeps the average', () => {
    const p = new Portfolio();
    p.applyFill(fill(BTC_SPOT, 'buy', '4', '175'), BTC_SPOT);
    const r = p.applyFill(fill(BTC_SPOT, 'sell', '1', '200'), BTC_SPOT);
    expect(r.realized.toString()).toBe('25');
    expect(p.positionDetail(BTC_SPOT.id)!.averagePrice.toString()).toBe('175');
    expect(p.position(BTC_SPOT.id)).toBe(3);
  });

  it('realizes (avg − exit) × qty when a short is reduced', () => {
    const p = new Portfolio();
    p.applyFill(fill(BTC_SPOT, 'sell', '2', '100'), BTC_SPOT);
    const r = p.applyFill(fill(BTC_SPOT, 'buy', '1', '90'), BTC_SPOT);
    expect(r.realized.toString()).toBe('10');
    expect(p.position(BTC_SPOT.id)).toBe(-1);
  });

  it('flipping realizes the closed part and opens the rest at the fill price', () => {
    const p = new Portfolio();
    p.applyFill(fill(BTC_SPOT, 'buy', '2', '100'), BTC_SPOT);
    const r = p.applyFill(fill(BTC_SPOT, 'sell', '5', '120'), BTC_SPOT);
    expect(r.realized.toString()).toBe('40');
    const pos = p.positionDetail(BTC_SPOT.id)!;
    expect(pos.quantity.toString()).toBe('-3');
    expect(pos.averagePrice.toString()).toBe('120');
  });

  it('property: a flip realizes exactly the closed part', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (a, extra, p1, p2) => {
          const held = dec(a, 4);
          const sold = dec(a + extra, 4);
          const entry = dec(p1, 2);
          const exit = dec(p2, 2);
          const p = new Portfolio();
          p.applyFill(fill(BTC_SPOT, 'buy', held, entry), BTC_SPOT);
          const r = p.applyFill(fill(BTC_SPOT, 'sell', sold, exit), BTC_SPOT);
          expect(r.realized.eq(exit.sub(entry).mul(held))).toBe(true);
          const pos = p.positionDetail(BTC_SPOT.id)!;
          expect(pos.quantity.eq(dec(extra, 4).neg())).toBe(true);
          expect(pos.averagePrice.eq(exit)).toBe(true);
        },
      ),
    );
  });
});

const fillArb = fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  qty: fc.integer({ min: 1, max: 50_000 }), // 4 dp
  price: fc.integer({ min: 100, max: 10_000_000 }), // 2 dp
  fee: fc.integer({ min: -50, max: 500 }), // 4 dp, negative = rebate
});

describe('Portfolio: conservation (property)', () => {
  it('spot: equity change = realized + unrealized − fees exactly, and matches the fill list', () => {
    fc.assert(
      fc.property(
        fc.array(fillArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (fills, m) => {
          const p = new Portfolio({ balances: [{ venue: 'sim-a', asset: 'USDT', amount: '1000000' }] });
          const start = p.equityExact();
          let cashFlow = Decimal.ZERO;
          let qty = Decimal.ZERO;
          let fees = Decimal.ZERO;
          for (const f of fills) {
            const q = dec(f.qty, 4);
            const price = dec(f.price, 2);
            p.applyFill(fill(BTC_SPOT, f.side, q, price, { fee: dec(f.fee, 4) }), BTC_SPOT);
            const signed = f.side === 'buy' ? q : q.neg();
            cashFlow = cashFlow.sub(signed.mul(price));
            qty = qty.add(signed);
            fees = fees.add(dec(f.fee, 4));
          }
          const mark = m / 100;
          p.mark(BTC_SPOT.id, mark);
          const realized = p.realizedExact();
          const unrealized = p.unrealizedExact();
          expect(p.feesExact().eq(fees)).toBe(true);
          expect(p.equityExact().sub(start).eq(realized.add(unrealized).sub(fees))).toBe(true);
          // Independent mark-to-market from the fill list.
          expect(realized.add(unrealized).eq(cashFlow.add(qty.mul(Decimal.from(mark))))).toBe(true);
          expect(p.positionExact(BTC_SPOT.id).eq(qty)).toBe(true);
          expect(p.balance('sim-a', 'BTC').eq(qty)).toBe(true);
          expect(p.balance('sim-a', 'USDT').eq(Decimal.from(1_000_000).add(cashFlow).sub(fees))).toBe(true);
        },
      ),
    );
  });

  it('perpetual: equity change = realized + unrealized + funding − fees exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fillArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 3 }),
        (fills, m, rates) => {
          const p = new Portfolio({ balances: [{ venue: 'sim-a', asset: 'USDT', amount: '50000' }] });
          const start = p.equityExact();
          let cashFlow = Decimal.ZERO;
          let qty = Decimal.ZERO;
          let ts = 1_700_000_000_000;
          for (const f of fills) {
            const q = dec(f.qty, 4);
            const price = dec(f.price, 2);
            p.applyFill(fill(BTC_PERP, f.side, q, price, { fee: dec(f.fee, 4), ts: ts++ }), BTC_PERP);
            const signed = f.side === 'buy' ? q : q.neg();
            cashFlow = cashFlow.sub(signed.mul(price).mul(BTC_PERP.contractSize));
            qty = qty.add(signed);
          }
          for (const r of rates) p.applyFunding(BTC_PERP.id, r / 100_000, m / 100, ts++);
          p.mark(BTC_PERP.id, m / 100);
          const pnl = p.realizedExact().add(p.unrealizedExact());
          expect(p.equityExact().sub(start).eq(pnl.add(p.fundingExact()).sub(p.feesExact()))).toBe(true);
          expect(pnl.eq(cashFlow.add(qty.mul(BTC_PERP.contractSize).mul(Decimal.from(m / 100))))).toBe(true);
          expect(p.balance('sim-a', 'BTC').isZero()).toBe(true);
        },
      ),
    );
  });

  it('snapshot/restore round-trips through JSON and keeps computing the same figures', () => {
    fc.assert(
      fc.property(
        fc.array(fillArb, { minLength: 0, maxLength: 20 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (fills, m) => {
          const p = new Portfolio({
            balances: [{ venue: 'sim-a', asset: 'USDT', amount: '1000' }],
            dailyResetUtcMinute: 60,
          });
          fills.forEach((f, i) => {
            const inst = i % 2 === 0 ? BTC_SPOT : BTC_PERP;
            p.applyFill(fill(inst, f.side, dec(f.qty, 4), dec(f.price, 2), { fee: dec(f.fee, 4) }), inst, {
              decisionId: `d${i}`,
              agentIds: ['a', 'b'],
              weights: [1, 2],
            });
          });
          p.mark(BTC_SPOT.id, m / 100);
          p.observe(1_700_000_000_000);
          const snap = JSON.parse(JSON.stringify(p.snapshot()));
          const q = Portfolio.restore(snap);
          expect(q.snapshot()).toEqual(p.snapshot());
          expect(q.equityExact().eq(p.equityExact())).toBe(true);
          expect(q.attribution()).toEqual(p.attribution());
          // Deduplication survives the restore.
          if (fills.length > 0) {
            const first = fill(BTC_SPOT, 'buy', '1', '1', { tradeId: 'again' });
            q.applyFill(first, BTC_SPOT);
            expect(q.applyFill(first, BTC_SPOT).applied).toBe(false);
          }
        },
      ),
    );
  });
});

describe('Portfolio: fills, fees, funding', () => {
  it('ignores and counts a duplicated fill (same venue and trade id)', () => {
    const p = new Portfolio();
    const f = fill(BTC_SPOT, 'buy', '1', '100', { tradeId: 'T1' });
    expect(p.applyFill(f, BTC_SPOT).applied).toBe(true);
    expect(p.applyFill({ ...f }, BTC_SPOT).applied).toBe(false);
    expect(p.position(BTC_SPOT.id)).toBe(1);
    expect(p.duplicateFills()).toBe(1);
    // The same trade id on another venue is a different trade.
    const other = { ...BTC_SPOT, id: 'sim-b:BTC-USDT', venue: 'sim-b' };
    expect(p.applyFill({ ...f, venue: 'sim-b', instrumentId: other.id }, other).applied).toBe(true);
  });

  it('deducts a fee from the balance of its own currency and values a base fee at the fill price', () => {
    const p = new Portfolio();
    p.applyFill(fill(BTC_SPOT, 'buy', '1', '100', { fee: '0.001', feeCurrency: 'BTC' }), BTC_SPOT);
    expect(p.balance('sim-a', 'BTC').toString()).toBe('0.999');
    expect(p.balance('sim-a', 'USDT').toString()).toBe('-100');
    expect(p.feesExact().toString()).toBe('0.1');
  });

  it('funding: a long pays a positive rate, a short receives it; a repeated payment is ignored', () => {
    const p = new Portfolio();
    p.applyFill(fill(BTC_PERP, 'buy', '2', '100'), BTC_PERP);
    expect(p.applyFunding(BTC_PERP.id, 0.001, 110, 10).toString()).toBe('-0.11'); // 2 × 0.5 × 110 × 0.001
    expect(p.applyFunding(BTC_PERP.id, 0.001, 110, 10).toString()).toBe('0');
    expect(p.balance('sim-a', 'USDT').toString()).toBe('-0.11');
    p.applyFill(fill(BTC_PERP, 'sell', '4', '100'), BTC_PERP);
    expect(p.applyFunding(BTC_PERP.id, 0.001, 100, 20).toString()).toBe('0.1');
  });

  it('refuses inverse contracts, funding on spot, bad marks and a fill for another instrument', () => {
    const p = new Portfolio();
    const inverse = { ...BTC_PERP, id: 'sim-a:BTCUSD', inverse: true };
    expect(() => p.applyFill(fill(inverse, 'buy', '1', '100'), inverse)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_PORTFOLIO_INSTRUMENT_UNSUPPORTED' }),
    );
    p.applyFill(fill(BTC_SPOT, 'buy', '1', '100'), BTC_SPOT);
    expect(() => p.applyFunding(BTC_SPOT.id, 0.001, 100, 1)).toThrow(ConcordError);
    expect(() => p.mark(BTC_SPOT.id, Number.NaN)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_PORTFOLIO_MARK_INVALID' }),
    );
    expect(() => p.mark(BTC_SPOT.id, 0)).toThrow(ConcordError);
    expect(() => p.applyFill(fill(BTC_SPOT, 'buy', '1', '100'), BTC_PERP)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_PORTFOLIO_FILL_MISMATCH' }),
    );
  });

  it('rejects a corrupt snapshot with the path of the bad field', () => {
    const snap = JSON.parse(
      JSON.stringify(new Portfolio({ balances: [{ venue: 'v', asset: 'USDT', amount: 1 }] }).snapshot()),
    );
    snap.balances[0].amount = 'lots';
    expect(() => Portfolio.restore(snap)).toThrow(
      expect.objectContaining({
        code: 'CONCORD_ERR_PORTFOLIO_SNAPSHOT_INVALID',
        details: expect.objectContaining({ path: 'balances.0.amount' }),
      }),
    );
  });
});

describe('Portfolio: views', () => {
  it('satisfies the agents PortfolioView shape: position, equity, cash, exposures', () => {
    const p = new Portfolio({ balances: [{ venue: 'sim-a', asset: 'USDT', amount: '1000' }] });
    p.applyFill(fill(BTC_SPOT, 'buy', '2', '100'), BTC_SPOT);
    p.applyFill(fill(BTC_PERP, 'sell', '4', '100'), BTC_PERP);
    p.mark(BTC_SPOT.id, 110);
    p.mark(BTC_PERP.id, 110);
    expect(p.position(BTC_SPOT.id)).toBe(2);
    expect(p.position('nope:X')).toBe(0);
    expect(p.cash('USDT')).toBe(800);
    // spot: 800 + 2×110 = 1020; perp short 4 × 0.5 from 100 to 110: −20.
    expect(p.equity()).toBe(1000);
    expect(p.grossExposure()).toBe(2 * 110 + 2 * 110);
    expect(p.netExposure()).toBe(0);
    expect(p.unrealizedPnl()).toBe(0);
  });

  it('values a non-cash balance at the mark of its own venue', () => {
    const p = new Portfolio({ balances: [{ venue: 'sim-a', asset: 'BTC', amount: '1' }] });
    expect(p.equity()).toBe(0); // no price yet
    p.applyFill(fill(BTC_SPOT, 'buy', '1', '100'), BTC_SPOT);
    p.mark(BTC_SPOT.id, 150);
    expect(p.equity()).toBe(2 * 150 - 100);
  });

  it('values an untraded deposit once its asset has a price', () => {
    const p = new Portfolio({ balances: [{ venue: 'sim-a', asset: 'ETH', amount: '2' }] });
    p.setAssetPrice('ETH', 3000);
    expect(p.equity()).toBe(6000);
    p.setAssetPrice('ETH', 3100, 'sim-a');
    expect(p.equity()).toBe(6200);
  });
});

describe('Portfolio: attribution', () => {
  it('splits realized PnL and fees by weight; the shares sum exactly', () => {
    const p = new Portfolio();
    p.applyFill(fill(BTC_SPOT, 'buy', '1', '100', { fee: '0.3' }), BTC_SPOT, {
      decisionId: 'd1',
      agentIds: ['m'],
    });
    p.applyFill(fill(BTC_SPOT, 'sell', '1', '200', { fee: '1' }), BTC_SPOT, {
      decisionId: 'd2',
      agentIds: ['a', 'b', 'c'],
      weights: [1, 1, 1],
    });
    const byId = Object.fromEntries(p.attribution().map((a) => [a.agentId, a]));
    expect(byId.m!.realizedPnl.toString()).toBe('0');
    expect(byId.m!.fees.toString()).toBe('0.3');
    expect(byId.a!.trades).toBe(1);
    const total = Decimal.sum(['a', 'b', 'c'].map((id) => byId[id]!.realizedPnl));
    expect(total.toString()).toBe('100');
    expect(byId.a!.realizedPnl.toString()).toBe('33.333333333333333333');
    expect(Decimal.sum(['a', 'b', 'c'].map((id) => byId[id]!.fees)).toString()).toBe('1');
  });

  it('property: attributed realized PnL sums to the portfolio realized PnL', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fillArb, fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 })),
          { maxLength: 25 },
        ),
        (steps) => {
          const p = new Portfolio();
          steps.forEach(([f, w], i) => {
            const weights = w.some((x) => x > 0) ? w : w.map(() => 1);
            p.applyFill(fill(BTC_SPOT, f.side, dec(f.qty, 4), dec(f.price, 2)), BTC_SPOT, {
              decisionId: `d${i}`,
              agentIds: weights.map((_, k) => `agent${k}`),
              weights,
            });
          });
          const attributed = Decimal.sum(p.attribution().map((a) => a.realizedPnl));
          expect(attributed.eq(p.realizedExact())).toBe(true);
        },
      ),
    );
  });

  it('puts fills without attribution in the unattributed bucket and refuses bad weights', () => {
    const p = new Portfolio();
    p.applyFill(fill(BTC_SPOT, 'buy', '1', '100'), BTC_SPOT);
    expect(p.attribution()[0]!.agentId).toBe(UNATTRIBUTED);
    expect(() =>
      p.applyFill(fill(BTC_SPOT, 'buy', '1', '100'), BTC_SPOT, {
        decisionId: 'd',
        agentIds: ['a', 'b'],
        weights: [1],
      }),
    ).toThrow(expect.objectContaining({ code: 'CONCORD_ERR_PORTFOLIO_ATTRIBUTION_INVALID' }));
    expect(() =>
      p.applyFill(fill(BTC_SPOT, 'buy', '1', '100'), BTC_SPOT, { decisionId: 'd', agentIds: [] }),
    ).toThrow(ConcordError);
    expect(p.position(BTC_SPOT.id)).toBe(1);
  });
});

describe('Portfolio: equity peak and daily PnL', () => {
  const DAY = 86_400_000;
  const T0 = 1_700_006_400_000; // 2023-11-15 00:00 UTC

  it('tracks the equity peak and drawdown', () => {
    const p = new Portfolio({ balances: [{ venue: 'sim-a', asset: 'USDT', amount: '1000' }] });
    p.applyFill(fill(BTC_SPOT, 'buy', '1', '100', { ts: T0 }), BTC_SPOT);
    p.mark(BTC_SPOT.id, 200);
    expect(p.observe(T0 + 1).peakEquity).toBe(1100);
    p.mark(BTC_SPOT.id, 45);
    const m = p.observe(T0 + 2);
    expect(m.equity).toBe(945);
    expect(m.peakEquity).toBe(1100);
    expect(m.drawdown).toBeCloseTo(155 / 1100, 12);
    expect(p.metrics()).toBe(m);
  });

  it('daily PnL restarts at the configured UTC minute', () => {
    const p = new Portfolio({ dailyResetUtcMinute: 8 * 60 });
    p.applyFill(fill(BTC_SPOT, 'buy', '1', '100', { ts: T0 + 9 * 3_600_000 }), BTC_SPOT);
    p.mark(BTC_SPOT.id, 130, T0 + 10 * 3_600_000);
    expect(p.observe(T0 + 10 * 3_600_000).dailyPnl).toBe(30);
    // Still the same trading day until 08:00 the next day.
    expect(p.observe(T0 + DAY + 7 * 3_600_000).dailyPnl).toBe(30);
    expect(p.observe(T0 + DAY + 8 * 3_600_000).dailyPnl).toBe(0);
    p.mark(BTC_SPOT.id, 120, T0 + DAY + 9 * 3_600_000);
    expect(p.observe(T0 + DAY + 9 * 3_600_000).dailyPnl).toBe(-10);
  });

  it('refuses a reset minute outside the day', () => {
    expect(() => new Portfolio({ dailyResetUtcMinute: 1440 })).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_CONFIG_INVALID' }),
    );
  });
});
