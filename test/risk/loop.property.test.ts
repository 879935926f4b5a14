/**
 * The gate in a loop against a real Portfolio: mark → observe → check → (if it passes) fill at
 * the mark ± adverse slippage with a taker fee → observe. Over random price paths and intents:
 *  - |position| never exceeds its limit;
 *  - an order that adds risk passes only while the observed daily loss is under its limit, so the
 *    loss right after such a fill exceeds the limit by at most that one order's worst case
 *    (its slippage + fee at the mark); after the breach the desk is REDUCING and every passing
 *    order shrinks |position|, so further loss comes only from marks on what is still held;
 *  - a HALTED engine passes no order at all.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, SimulatedClock } from '../../src/core/index.ts';
import { spotInstrument } from '../../src/model/index.ts';
import { Portfolio } from '../../src/portfolio/index.ts';
import { parseRiskConfig, RiskEngine, type RiskOrder } from '../../src/risk/index.ts';

const inst = spotInstrument({
  venue: 'sim-a',
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
});
const FEE = 0.001;

const stepArb = fc.record({
  ret: fc.double({ min: -0.03, max: 0.03, noNaN: true }),
  orders: fc.array(
    fc.record({
      side: fc.constantFrom('buy' as const, 'sell' as const),
      lots: fc.integer({ min: 1, max: 3000 }),
      slip: fc.double({ min: 0, max: 0.005, noNaN: true }),
    }),
    { maxLength: 3 },
  ),
});

const scenarioArb = fc.record({
  steps: fc.array(stepArb, { minLength: 5, maxLength: 60 }),
  maxDailyLoss: fc.integer({ min: 5, max: 500 }),
  maxPositionLots: fc.integer({ min: 1, max: 5000 }),
  haltAt: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
});

describe('risk gate in a mark → check → fill loop (properties)', () => {
  it('positions stay within limits, daily loss overshoots by at most one order, HALTED passes nothing', () => {
    let scenariosReduced = 0;
    let ordersPassed = 0;
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const clock = new SimulatedClock(1_000_000);
        const portfolio = new Portfolio({ balances: [{ venue: 'sim-a', asset: 'USDT', amount: '1000000' }] });
        const maxPosition = Decimal.fromUnits(BigInt(sc.maxPositionLots) * 10n ** 15n);
        const engine = new RiskEngine({
          config: parseRiskConfig({
            maxOrderNotional: { default: 1e9 },
            maxPosition: { default: maxPosition.toString() },
            priceBandBps: 10_000,
            maxDailyLoss: sc.maxDailyLoss,
          }),
          portfolio,
          clock,
        });
        let price = 1000;
        let trade = 0;
        let reduced = false;
        for (let i = 0; i < sc.steps.length; i++) {
          const step = sc.steps[i]!;
          price = Math.max(1, Math.round(price * (1 + step.ret) * 100) / 100);
          clock.advanceTo(clock.now() + 1000);
          const ts = clock.now();
          portfolio.mark(inst.id, price, ts);
          engine.observe(ts);
          if (sc.haltAt === i) engine.setTradingState({ kind: 'global' }, 'HALTED', 'operator');
          for (const o of step.orders) {
            const quantity = Decimal.fromUnits(BigInt(o.lots) * 10n ** 15n);
            const order: RiskOrder = {
              instrumentId: inst.id,
              venue: 'sim-a',
              side: o.side,
              quantity,
              referencePrice: price,
              plan: undefined,
            };
            const before = portfolio.positionExact(inst.id);
            const lossBefore = -(engine.observe(ts)?.dailyPnl ?? 0);
            const stateBefore = engine.tradingState({ kind: 'global' });
            const verdict = engine.check(order);
            if (stateBefore === 'HALTED') expect(verdict.ok).toBe(false);
            if (!verdict.ok) continue;
            ordersPassed++;
            const signed = o.side === 'buy' ? quantity : quantity.neg();
            const after = before.add(signed);
            // Position limit (started flat and never over, so never over).
            expect(after.abs().lte(maxPosition)).toBe(true);
            const addsRisk = after.abs().gt(before.abs()) || after.sign() * before.sign() < 0;
            if (addsRisk) expect(lossBefore).toBeLessThan(sc.maxDailyLoss);
            if (stateBefore === 'REDUCING') expect(addsRisk).toBe(false);
            // Fill at an adverse price with a taker fee.
            const fillPrice = Math.round(price * (o.side === 'buy' ? 1 + o.slip : 1 - o.slip) * 100) / 100;
            const notional = quantity.toNumber() * fillPrice;
            portfolio.applyFill(
              {
                clientOrderId: `c${trade}`,
                venueOrderId: `v${trade}`,
                tradeId: `t${trade++}`,
                instrumentId: inst.id,
                venue: 'sim-a',
                side: o.side,
                price: Decimal.from(fillPrice.toFixed(2)),
                quantity,
                fee: Decimal.fromNumberRounded(notional * FEE, 8),
                feeCurrency: 'USDT',
                liquidity: 'taker',
                ts,
              },
              inst,
            );
            const lossAfter = -(engine.observe(ts)?.dailyPnl ?? 0);
            const worstCase = quantity.toNumber() * Math.abs(fillPrice - price) + notional * FEE;
            if (addsRisk) expect(lossAfter).toBeLessThanOrEqual(sc.maxDailyLoss + worstCase + 1e-6);
          }
          if (engine.tradingState({ kind: 'global' }) === 'REDUCING' && !reduced) {
            reduced = true;
            scenariosReduced++;
          }
          if (reduced && engine.tradingState({ kind: 'global' }) !== 'HALTED') {
            // Once reduced, the engine keeps the desk REDUCING for the rest of the (same) day.
            expect(engine.tradingState({ kind: 'global' })).toBe('REDUCING');
          }
        }
      }),
      { numRuns: 150 },
    );
    // The property must have been exercised: losses reached the limit and orders went through.
    expect(scenariosReduced).toBeGreaterThan(5);
    expect(ordersPassed).toBeGreaterThan(100);
  });

  it('a HALTED engine passes no order that adds risk, whatever the other limits say (every rule enabled)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('buy' as const, 'sell' as const),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: -10_000, max: 10_000 }),
        (side, lots, positionLots) => {
          const portfolio = {
            position: () => positionLots / 1000,
            positionExact: () => Decimal.fromUnits(BigInt(positionLots) * 10n ** 15n),
          };
          const engine = new RiskEngine({ portfolio, clock: new SimulatedClock(0) });
          engine.setTradingState({ kind: 'venue', venue: 'sim-a' }, 'HALTED', 'test');
          const v = engine.check({
            instrumentId: inst.id,
            venue: 'sim-a',
            side,
            quantity: Decimal.fromUnits(BigInt(lots) * 10n ** 15n),
            referencePrice: 1000,
            plan: undefined,
          });
          expect(v.ok).toBe(false);
        },
      ),
    );
  });
});
