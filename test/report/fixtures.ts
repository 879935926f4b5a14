import type { BacktestSeries, BacktestTrade, EquityPoint } from '../../src/analysis/report/index.ts';
import { type BacktestReportInput, buildBacktestResult } from '../../src/analysis/report/index.ts';

export const HOSTILE_AGENT = '<script>alert("x")</script>';
const MINUTE = 60_000;

/** Small deterministic PRNG (mulberry32) so the fixture is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Three days of one-minute equity samples (4,320 points, more than a chart draws) on a BTC-like
 * random walk, with a round trip every ~45 minutes on two instruments by three agents (one of them
 * with a hostile id).
 */
export function syntheticSeries(minutes = 3 * 24 * 60, seed = 7): BacktestSeries {
  const random = prng(seed);
  const start = Date.UTC(2024, 7, 8, 0, 0, 0);
  const initialEquity = 100_000;
  const equity: EquityPoint[] = [];
  const trades: BacktestTrade[] = [];
  let price = 60_000;
  let cash = initialEquity;
  let position = 0;
  const agents = [['momentum'], ['mean-reversion', 'momentum'], [HOSTILE_AGENT]];
  for (let i = 0; i < minutes; i++) {
    const ts = start + i * MINUTE;
    price *= 1 + (random() - 0.499) * 0.002;
    if (i % 45 === 10 && position === 0) {
      const quantity = Math.round((0.2 + random() * 0.6) * 1000) / 1000;
      const side = random() < 0.6 ? 'buy' : 'sell';
      const fee = price * quantity * 0.0004;
      position = side === 'buy' ? quantity : -quantity;
      cash -= position * price + fee;
      trades.push({
        ts,
        instrumentId: i % 90 === 10 ? 'binance:BTCUSDT' : 'sim-a:BTC-USDT',
        side,
        price: Math.round(price * 100) / 100,
        quantity,
        fee,
        agentIds: agents[((i / 45) % 3) | 0],
      });
    } else if (i % 45 === 40 && position !== 0) {
      const open = trades[trades.length - 1]!;
      const quantity = Math.abs(position);
      const fee = price * quantity * 0.0004;
      cash += position * price - fee;
      position = 0;
      trades.push({
        ...open,
        ts,
        side: open.side === 'buy' ? 'sell' : 'buy',
        price: Math.round(price * 100) / 100,
        fee,
      });
    }
    equity.push({ ts, equity: cash + position * price });
  }
  return { equity, trades, initialEquity };
}

export function syntheticReportInput(series: BacktestSeries = syntheticSeries()): BacktestReportInput {
  const result = buildBacktestResult(
    {
      mode: 'backtest',
      dataFiles: ['../shared/data/candles/btc-perp-1m-2022-01.csv', '<img src=x onerror=alert(1)>.csv'],
      startTs: series.equity[0]?.ts ?? null,
      endTs: series.equity[series.equity.length - 1]?.ts ?? null,
      seed: 42,
      config: {
        agents: 'momentum, mean-reversion',
        'risk.maxNotional': 250_000,
        feeModel: 'taker 4 bp',
        latencyMs: 25,
      },
    },
    series,
    {
      books: [
        { instrumentId: 'binance:BTCUSDT', updates: 41_000, gaps: 1, resyncs: 1, bookTickerMismatches: 0 },
        { instrumentId: 'sim-a:BTC-USDT', updates: 12_345, gaps: 0, resyncs: 0, bookTickerMismatches: 3 },
      ],
    },
  );
  return { ...result, series };
}
