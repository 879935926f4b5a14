import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeRoundTrips,
  attributeByAgent,
  type BacktestSeries,
  type BacktestTrade,
  computeMetrics,
  drawdownSeries,
  drawdownSummary,
  type EquityPoint,
  exposureTime,
  roundTrips,
  UNATTRIBUTED_AGENT,
  YEAR_MS,
} from '../../src/analysis/report/index.ts';
import { isConcordError } from '../../src/core/index.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

function curve(values: readonly number[], periodMs = DAY): EquityPoint[] {
  return values.map((equity, i) => ({ ts: T0 + i * periodMs, equity }));
}

function trade(
  ts: number,
  side: 'buy' | 'sell',
  price: number,
  quantity: number,
  extra: Partial<BacktestTrade> = {},
): BacktestTrade {
  return { ts, instrumentId: 'sim:BTC-USDT', side, price, quantity, fee: 0, ...extra };
}

/** Every number anywhere in the value is finite (null allowed). */
function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  return Object.values(value).every(allFinite);
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(isConcordError(err, code), String(err)).toBe(true);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('computeMetrics on a hand-checked series', () => {
  // Daily returns +10%, −10%, +10%: mean 1/30, sample std 0.11547 (= 2/(10√3)), mean/std = 1/(2√3).
  const series: BacktestSeries = { equity: curve([100, 110, 99, 108.9]), trades: [], initialEquity: 100 };
  const m = computeMetrics(series, { minAnnualizedSpanMs: 0 });

  it('infers a daily period and 365 periods a year', () => {
    expect(m.periodMs).toBe(DAY);
    expect(m.periodsPerYear).toBeCloseTo(365, 12);
  });

  it('computes total and annualized return', () => {
    expect(m.totalReturn).toBeCloseTo(0.089, 12);
    expect(m.annualizedReturn).toBeCloseTo(1.089 ** (365 / 3) - 1, 6);
    expect(m.finalEquity).toBe(108.9);
  });

  it('uses the sample standard deviation for Sharpe and volatility', () => {
    expect(m.sharpe).toBeCloseTo((1 / (2 * Math.sqrt(3))) * Math.sqrt(365), 10);
    expect(m.annualizedVolatility).toBeCloseTo(Math.sqrt(0.04 / 3) * Math.sqrt(365), 10);
  });

  it('uses the downside deviation over all periods for Sortino', () => {
    // DD = √(0.01 / 3); mean / DD = 1/√3.
    expect(m.sortino).toBeCloseTo((1 / Math.sqrt(3)) * Math.sqrt(365), 10);
  });

  it('measures drawdown from the running peak, and its duration until the end when not recovered', () => {
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(m.maxDrawdownDurationMs).toBe(2 * DAY);
    expect(m.calmar).toBeCloseTo((m.annualizedReturn ?? 0) / 0.1, 6);
  });

  it('subtracts the per-period risk-free rate in Sharpe and Sortino', () => {
    const withRf = computeMetrics(series, { riskFreeRate: 0.0365, minAnnualizedSpanMs: 0 });
    const excess = 1 / 30 - 0.0001;
    expect(withRf.sharpe).toBeCloseTo((excess / Math.sqrt(0.04 / 3)) * Math.sqrt(365), 10);
    expect(withRf.sortino).toBeCloseTo(
      (excess / Math.sqrt(((-0.1 - 0.0001) ** 2 + 0) / 3)) * Math.sqrt(365),
      10,
    );
  });

  it('honours periodsPerYear and periodMs overrides', () => {
    expect(computeMetrics(series, { periodsPerYear: 252 }).sharpe).toBeCloseTo(
      (1 / (2 * Math.sqrt(3))) * Math.sqrt(252),
      10,
    );
    expect(computeMetrics({ ...series, periodMs: 3600_000 }).periodsPerYear).toBeCloseTo(
      YEAR_MS / 3600_000,
      9,
    );
  });

  it('reports a recovered drawdown duration from peak to recovery', () => {
    const s = drawdownSummary(curve([100, 120, 90, 100, 125, 124]));
    expect(s.maxDrawdown).toBeCloseTo(0.25, 12);
    expect(s.maxDrawdownDurationMs).toBe(3 * DAY);
  });
});

describe('computeMetrics edge cases never produce NaN or Infinity', () => {
  it('flat equity: sharpe and sortino are null, volatility 0, no drawdown', () => {
    const m = computeMetrics({ equity: curve([100, 100, 100, 100]), trades: [], initialEquity: 100 });
    expect(m.sharpe).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.annualizedVolatility).toBe(0);
    expect(m.maxDrawdown).toBe(0);
    expect(m.calmar).toBeNull();
    expect(m.totalReturn).toBe(0);
    expect(allFinite(m)).toBe(true);
  });

  it('only gains: sortino is null (no downside), sharpe is defined', () => {
    const m = computeMetrics({ equity: curve([100, 101, 103, 104]), trades: [], initialEquity: 100 });
    expect(m.sortino).toBeNull();
    expect(m.sharpe).not.toBeNull();
  });

  it('one sample: no period, ratios null', () => {
    const m = computeMetrics({ equity: curve([100]), trades: [], initialEquity: 100 });
    expect(m.periodMs).toBeNull();
    expect(m.sharpe).toBeNull();
    expect(m.annualizedReturn).toBeNull();
    expect(m.maxDrawdown).toBe(0);
    expect(m.exposureTime).toBe(0);
    expect(allFinite(m)).toBe(true);
  });

  it('no samples and no trades: final equity is the initial equity', () => {
    const m = computeMetrics({ equity: [], trades: [], initialEquity: 50 });
    expect(m.finalEquity).toBe(50);
    expect(m.totalReturn).toBe(0);
    expect(m.exposureTime).toBeNull();
    expect(m.winRate).toBeNull();
    expect(m.profitFactor).toBeNull();
    expect(m.roundTrips).toBe(0);
    expect(m.turnover).toBe(0);
    expect(allFinite(m)).toBe(true);
  });

  it('wiped-out equity: annualized return −1 and drawdown beyond 100% stays finite', () => {
    const m = computeMetrics({ equity: curve([100, 50, -10, -5], 30 * DAY), trades: [], initialEquity: 100 });
    expect(m.annualizedReturn).toBe(-1);
    expect(m.maxDrawdown).toBeCloseTo(1.1, 12);
    expect(allFinite(m)).toBe(true);
  });

  it('does not annualize the return of a run shorter than 30 days (by default)', () => {
    const short = computeMetrics({ equity: curve([100, 101, 102]), trades: [], initialEquity: 100 });
    expect(short.annualizedReturn).toBeNull();
    expect(short.calmar).toBeNull();
    expect(short.sharpe).not.toBeNull();
    const long = computeMetrics({ equity: curve([100, 101, 102], 15 * DAY), trades: [], initialEquity: 100 });
    expect(long.annualizedReturn).toBeCloseTo(1.02 ** (365 / 30) - 1, 9);
  });

  it('a very short run whose annualized return overflows reports null, not Infinity', () => {
    const m = computeMetrics(
      { equity: curve([100, 200, 400], 1), trades: [], initialEquity: 100 },
      { minAnnualizedSpanMs: 0 },
    );
    expect(m.annualizedReturn).toBeNull();
    expect(m.calmar).toBeNull();
    expect(allFinite(m)).toBe(true);
  });

  it('rejects malformed series with a coded error', () => {
    const ok: BacktestSeries = { equity: curve([100, 101]), trades: [], initialEquity: 100 };
    const code = 'CONCORD_ERR_BACKTEST_SERIES_INVALID';
    expectCode(() => computeMetrics({ ...ok, equity: curve([100, Number.NaN]) }), code);
    expectCode(() => computeMetrics({ ...ok, equity: [...curve([100, 101])].reverse() }), code);
    expectCode(() => computeMetrics({ ...ok, initialEquity: Number.POSITIVE_INFINITY }), code);
    expectCode(() => computeMetrics({ ...ok, periodMs: 0 }), code);
    expectCode(() => computeMetrics({ ...ok, trades: [trade(T0, 'buy', 0, 1)] }), code);
    expectCode(() => computeMetrics({ ...ok, trades: [trade(T0, 'buy', 1, -1)] }), code);
    expectCode(
      () => computeMetrics({ ...ok, trades: [{ ...trade(T0, 'buy', 1, 1), side: 'long' as 'buy' }] }),
      code,
    );
    expectCode(
      () => computeMetrics({ ...ok, trades: [trade(T0 + 1, 'buy', 1, 1), trade(T0, 'sell', 1, 1)] }),
      code,
    );
    expectCode(() => computeMetrics(ok, { riskFreeRate: Number.NaN }), code);
    expectCode(() => computeMetrics(ok, { periodsPerYear: -1 }), code);
  });
});

describe('round trips (average cost)', () => {
  it('closes one trip when the position returns to zero, at average cost, fees included', () => {
    const trips = roundTrips([
      trade(1, 'buy', 100, 1, { fee: 0.1 }),
      trade(2, 'buy', 110, 1, { fee: 0.1 }),
      trade(3, 'sell', 120, 1, { fee: 0.1 }), // +15 vs avg 105
      trade(4, 'sell', 100, 1, { fee: 0.1 }), // −5
    ]);
    expect(trips).toHaveLength(1);
    const [trip] = trips;
    expect(trip?.direction).toBe('long');
    expect(trip?.grossPnl).toBeCloseTo(10, 12);
    expect(trip?.fees).toBeCloseTo(0.4, 12);
    expect(trip?.netPnl).toBeCloseTo(9.6, 12);
    expect(trip?.fills).toBe(4);
    expect(trip?.maxQuantity).toBe(2);
    expect([trip?.openTs, trip?.closeTs]).toEqual([1, 4]);
  });

  it('splits a flipping fill: closes the trip and opens the opposite one at the fill price', () => {
    const trips = roundTrips([
      trade(1, 'buy', 100, 2),
      trade(2, 'sell', 110, 3, { fee: 0.3 }), // closes 2 (+20, fee 0.2), opens short 1 @110 (fee 0.1)
      trade(3, 'buy', 100, 1, { fee: 0.05 }), // +10
    ]);
    expect(trips.map((t) => t.direction)).toEqual(['long', 'short']);
    expect(trips[0]?.grossPnl).toBeCloseTo(20, 12);
    expect(trips[0]?.fees).toBeCloseTo(0.2, 12);
    expect(trips[1]?.grossPnl).toBeCloseTo(10, 12);
    expect(trips[1]?.fees).toBeCloseTo(0.15, 12);
    expect(trips[1]?.openTs).toBe(2);
  });

  it('tracks instruments separately and leaves open positions open', () => {
    const result = analyzeRoundTrips([
      trade(1, 'buy', 10, 1, { instrumentId: 'a' }),
      trade(2, 'sell', 20, 1, { instrumentId: 'b' }),
      trade(3, 'sell', 12, 1, { instrumentId: 'a' }),
    ]);
    expect(result.closed).toHaveLength(1);
    expect(result.closed[0]?.instrumentId).toBe('a');
    expect([...result.openPositions]).toEqual([['b', -1]]);
    expect(result.realizedPerTrade).toEqual([0, 0, 2]);
  });

  it('treats float residue (0.1 + 0.2 − 0.3) as flat', () => {
    const trips = roundTrips([trade(1, 'buy', 10, 0.1), trade(2, 'buy', 10, 0.2), trade(3, 'sell', 11, 0.3)]);
    expect(trips).toHaveLength(1);
    expect(trips[0]?.grossPnl).toBeCloseTo(0.3, 12);
  });

  it('applies contractSize to PnL and turnover', () => {
    const trades = [
      trade(1, 'buy', 100, 2, { contractSize: 0.5 }),
      trade(2, 'sell', 110, 2, { contractSize: 0.5 }),
    ];
    expect(roundTrips(trades)[0]?.grossPnl).toBeCloseTo(10, 12);
    const m = computeMetrics({ equity: curve([1000, 1000]), trades, initialEquity: 1000 });
    expect(m.turnover).toBeCloseTo((100 + 110) / 1000, 12);
  });

  it('win rate and profit factor use net PnL', () => {
    const trades = [
      trade(T0, 'buy', 100, 1),
      trade(T0 + 1, 'sell', 110, 1), // +10
      trade(T0 + 2, 'buy', 100, 1),
      trade(T0 + 3, 'sell', 95, 1), // −5
      trade(T0 + 4, 'buy', 100, 1, { fee: 0.5 }),
      trade(T0 + 5, 'sell', 100.4, 1, { fee: 0.5 }), // +0.4 gross, −0.6 net
    ];
    const m = computeMetrics({ equity: curve([1000, 1010, 1004.4]), trades, initialEquity: 1000 });
    expect(m.roundTrips).toBe(3);
    expect(m.winRate).toBeCloseTo(1 / 3, 12);
    expect(m.profitFactor).toBeCloseTo(10 / 5.6, 12);
    expect(m.fees).toBe(1);
    expect(m.closedPnl).toBeCloseTo(4.4, 12);
  });
});

describe('exposure and attribution', () => {
  it('derives exposure from trades at or before each sample', () => {
    const equity = curve([100, 100, 100, 100, 100]);
    const trades = [trade(T0 + DAY, 'buy', 10, 1), trade(T0 + 3 * DAY, 'sell', 10, 1)];
    expect(exposureTime({ equity, trades, initialEquity: 100 })).toBeCloseTo(2 / 5, 12);
  });

  it('uses an explicit positions series when given', () => {
    const equity = curve([100, 100, 100, 100]);
    const positions = [
      { ts: T0 + DAY, position: 3 },
      { ts: T0 + 2 * DAY, position: 0 },
    ];
    expect(exposureTime({ equity, trades: [], initialEquity: 100, positions })).toBeCloseTo(1 / 4, 12);
  });

  it('splits PnL and fees equally among agents, prefers the booked realizedPnl, and keeps unattributed trades', () => {
    const rows = attributeByAgent([
      trade(1, 'buy', 100, 1, { fee: 1, agentIds: ['mom', 'arb'] }),
      trade(2, 'sell', 110, 1, { fee: 1, agentIds: ['mom', 'arb'] }), // +10 by average cost
      trade(3, 'buy', 100, 1, { fee: 0.5 }),
      trade(4, 'sell', 90, 1, { fee: 0.5, realizedPnl: -7, agentIds: ['mom'] }),
    ]);
    expect(rows.map((r) => r.agentId)).toEqual([UNATTRIBUTED_AGENT, 'arb', 'mom']);
    const byId = Object.fromEntries(rows.map((r) => [r.agentId, r]));
    expect(byId.arb).toMatchObject({ trades: 2, realizedPnl: 5, fees: 1, netPnl: 4 });
    expect(byId.mom).toMatchObject({ trades: 3, realizedPnl: -2, fees: 1.5, netPnl: -3.5 });
    expect(byId[UNATTRIBUTED_AGENT]).toMatchObject({ trades: 1, realizedPnl: 0, fees: 0.5 });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const positiveEquity = fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), {
  minLength: 1,
  maxLength: 120,
});
const anyFiniteEquity = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
  minLength: 0,
  maxLength: 60,
});

function naiveMaxDrawdown(values: readonly number[]): number {
  let worst = 0;
  for (let j = 0; j < values.length; j++) {
    for (let i = 0; i <= j; i++) worst = Math.max(worst, 1 - values[j]! / values[i]!);
  }
  return worst;
}

function naiveMaxDuration(points: readonly EquityPoint[]): number {
  let worst = 0;
  for (let i = 0; i < points.length; i++) {
    let end = points[points.length - 1]!.ts;
    for (let j = i + 1; j < points.length; j++) {
      if (points[j]!.equity >= points[i]!.equity) {
        end = points[j]!.ts;
        break;
      }
    }
    worst = Math.max(worst, end - points[i]!.ts);
  }
  return worst;
}

/** Random fills on up to 3 instruments, then closing fills so every position ends flat. */
const closedTrades = fc
  .array(
    fc.record({
      instrument: fc.constantFrom('a', 'b', 'c'),
      buy: fc.boolean(),
      price: fc.integer({ min: 1, max: 1000 }),
      quantity: fc.integer({ min: 1, max: 20 }),
      fee: fc.double({ min: -0.5, max: 2, noNaN: true }),
    }),
    { maxLength: 60 },
  )
  .chain((fills) =>
    fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 3, maxLength: 3 }).map((closePrices) => {
      const trades: BacktestTrade[] = fills.map((f, i) => ({
        ts: i,
        instrumentId: f.instrument,
        side: f.buy ? 'buy' : 'sell',
        price: f.price,
        quantity: f.quantity,
        fee: f.fee,
      }));
      const net = new Map<string, number>();
      for (const t of trades)
        net.set(t.instrumentId, (net.get(t.instrumentId) ?? 0) + (t.side === 'buy' ? 1 : -1) * t.quantity);
      let k = 0;
      for (const [id, q] of [...net].sort()) {
        if (q !== 0) {
          trades.push({
            ts: trades.length,
            instrumentId: id,
            side: q > 0 ? 'sell' : 'buy',
            price: closePrices[k]!,
            quantity: Math.abs(q),
            fee: 0.1,
          });
        }
        k++;
      }
      return trades;
    }),
  );

describe('metric properties', () => {
  it('max drawdown is in [0, 1) for positive equity and equals the naive O(n²) reference', () => {
    fc.assert(
      fc.property(positiveEquity, (values) => {
        const equity = curve(values);
        const { maxDrawdown, maxDrawdownDurationMs } = drawdownSummary(equity);
        expect(maxDrawdown).toBeGreaterThanOrEqual(0);
        expect(maxDrawdown).toBeLessThan(1);
        expect(maxDrawdown).toBeCloseTo(naiveMaxDrawdown(values), 12);
        expect(maxDrawdownDurationMs).toBe(naiveMaxDuration(equity));
        const series = drawdownSeries(equity);
        expect(Math.max(...series.map((p) => p.drawdown))).toBeCloseTo(maxDrawdown, 12);
      }),
    );
  });

  it('Sharpe, Sortino, drawdown and total return are invariant to scaling equity by a positive constant', () => {
    fc.assert(
      fc.property(positiveEquity, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (values, scale) => {
        const base = computeMetrics({ equity: curve(values), trades: [], initialEquity: values[0]! });
        const scaled = computeMetrics({
          equity: curve(values.map((v) => v * scale)),
          trades: [],
          initialEquity: values[0]! * scale,
        });
        fc.pre(base.annualizedVolatility === null || base.annualizedVolatility > 1e-6);
        for (const key of ['sharpe', 'sortino', 'totalReturn', 'maxDrawdown'] as const) {
          const a = base[key];
          const b = scaled[key];
          if (a === null || b === null) expect(a).toBe(b);
          else expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(a)));
        }
      }),
    );
  });

  it('a risk-free rate lowers Sharpe by exactly rf / annualized volatility', () => {
    fc.assert(
      fc.property(positiveEquity, fc.double({ min: 0, max: 0.2, noNaN: true }), (values, rf) => {
        const series: BacktestSeries = { equity: curve(values), trades: [], initialEquity: values[0]! };
        const plain = computeMetrics(series);
        const withRf = computeMetrics(series, { riskFreeRate: rf });
        fc.pre(plain.sharpe !== null && withRf.sharpe !== null && plain.annualizedVolatility !== null);
        const expected = (plain.sharpe ?? 0) - rf / (plain.annualizedVolatility ?? 1);
        expect(withRf.sharpe ?? 0).toBeCloseTo(expected, 6);
      }),
    );
  });

  it('Sharpe does not depend on the order of the period returns', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: 2, maxLength: 40 }),
        (returns) => {
          const build = (rs: readonly number[]) => {
            const values = [100];
            for (const r of rs) values.push(values[values.length - 1]! * (1 + r));
            return computeMetrics({ equity: curve(values), trades: [], initialEquity: 100 }).sharpe;
          };
          const a = build(returns);
          const b = build([...returns].reverse());
          if (a === null || b === null) return;
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(a)));
        },
      ),
    );
  });

  it('never returns NaN or Infinity, and bounded figures stay in their ranges', () => {
    fc.assert(
      fc.property(
        anyFiniteEquity,
        closedTrades,
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (values, trades, initial) => {
          const equity = values.map((equity, i) => ({ ts: i * 60_000, equity }));
          const m = computeMetrics({ equity, trades, initialEquity: initial });
          expect(allFinite(m)).toBe(true);
          if (m.winRate !== null) {
            expect(m.winRate).toBeGreaterThanOrEqual(0);
            expect(m.winRate).toBeLessThanOrEqual(1);
          }
          if (m.turnover !== null) expect(m.turnover).toBeGreaterThanOrEqual(0);
          if (m.exposureTime !== null) {
            expect(m.exposureTime).toBeGreaterThanOrEqual(0);
            expect(m.exposureTime).toBeLessThanOrEqual(1);
          }
          expect(m.maxDrawdown).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it('round-trip PnLs add up to the cash PnL of all fills once every position is flat; fees are conserved', () => {
    fc.assert(
      fc.property(closedTrades, (trades) => {
        const { closed, openPositions, realizedPerTrade } = analyzeRoundTrips(trades);
        expect(openPositions.size).toBe(0);
        const cash = trades.reduce((s, t) => s + (t.side === 'buy' ? -1 : 1) * t.price * t.quantity, 0);
        const gross = closed.reduce((s, t) => s + t.grossPnl, 0);
        const fees = closed.reduce((s, t) => s + t.fees, 0);
        const tradeFees = trades.reduce((s, t) => s + t.fee, 0);
        expect(Math.abs(gross - cash)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(cash)));
        expect(Math.abs(fees - tradeFees)).toBeLessThanOrEqual(1e-9 * Math.max(1, trades.length));
        expect(Math.abs(realizedPerTrade.reduce((s, x) => s + x, 0) - gross)).toBeLessThanOrEqual(
          1e-6 * Math.max(1, Math.abs(cash)),
        );
        for (const trip of closed) expect(trip.netPnl).toBeCloseTo(trip.grossPnl - trip.fees, 9);
        // Agents' realized PnL plus fees add up to the same totals.
        const agents = attributeByAgent(trades, realizedPerTrade);
        expect(Math.abs(agents.reduce((s, a) => s + a.netPnl, 0) - (gross - tradeFees))).toBeLessThanOrEqual(
          1e-6 * Math.max(1, Math.abs(cash)),
        );
      }),
    );
  });
});
