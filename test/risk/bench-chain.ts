/**
 * Ad-hoc micro-bench of the full risk chain (every rule configured, breakers wired, a warm
 * 300-sample VaR window over 3 instruments, a real Portfolio): median time of one passing check.
 *   npx tsx test/risk/bench-chain.ts
 */
import { Decimal, SimulatedClock } from '../../src/core/index.ts';
import { spotInstrument } from '../../src/model/index.ts';
import { Portfolio } from '../../src/portfolio/index.ts';
import { BreakerBoard, parseRiskConfig, RiskEngine, type RiskOrder } from '../../src/risk/index.ts';

const instruments = ['BTC', 'ETH', 'SOL'].map((base) =>
  spotInstrument({
    venue: 'sim-a',
    symbol: `${base}-USDT`,
    base,
    quote: 'USDT',
    tickSize: '0.01',
    lotSize: '0.001',
  }),
);
const prices = [60_000, 3_000, 150];
const clock = new SimulatedClock(0);
const portfolio = new Portfolio({ balances: [{ venue: 'sim-a', asset: 'USDT', amount: '1000000' }] });
instruments.forEach((inst, i) => {
  portfolio.applyFill(
    {
      clientOrderId: `c${i}`,
      venueOrderId: `v${i}`,
      tradeId: `t${i}`,
      instrumentId: inst.id,
      venue: 'sim-a',
      side: 'buy',
      price: Decimal.from(prices[i]!),
      quantity: Decimal.from('1'),
      fee: Decimal.ZERO,
      feeCurrency: 'USDT',
      liquidity: 'taker',
      ts: 0,
    },
    inst,
  );
});
const board = new BreakerBoard({ loss: { maxDrop: 1e9, windowMs: 60_000, cooldownMs: 60_000, probes: 1 } });
const engine = new RiskEngine({
  config: parseRiskConfig({
    maxOrderNotional: { default: 1e9 },
    maxPosition: { default: 1000 },
    maxGrossExposure: 1e9,
    maxNetExposure: 1e9,
    maxOpenOrders: 1000,
    maxOpenOrdersPerVenue: 1000,
    maxPositionPerVenue: 1e9,
    maxDailyLoss: 1e9,
    maxDrawdown: 0.99,
    valueAtRisk: { limit: 1e9, method: 'both', windowSamples: 300 },
    maxConcentration: 1,
    maxCorrelatedExposure: 1e9,
    maxLeverage: 1000,
    orderRate: { maxOrders: 1_000_000, windowMs: 1000 },
    minNetEdgeBps: 1,
  }),
  portfolio,
  clock,
  breakers: board,
  instruments,
  openOrders: { openOrders: () => 3 },
});
// Warm the return window: 301 one-second samples of a small random walk.
let seed = 1;
const rnd = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647 - 0.5;
};
const p = [...prices];
for (let s = 0; s <= 301; s++) {
  instruments.forEach((inst, i) => {
    p[i] = p[i]! * (1 + rnd() * 1e-3);
    portfolio.mark(inst.id, p[i]!, s * 1000 + 1);
    engine.observePrice(inst.id, p[i]!, s * 1000 + 1);
  });
  engine.observe(s * 1000 + 1);
}
clock.advanceTo(302_000);
const orders: RiskOrder[] = instruments.map((inst, i) => ({
  instrumentId: inst.id,
  venue: 'sim-a',
  side: i % 2 === 0 ? 'buy' : 'sell',
  quantity: Decimal.from('0.01'),
  price: Decimal.fromNumberRounded(p[i]!, 2),
  referencePrice: p[i]!,
  plan: { expectedNetEdge: 0.001 },
}));
for (const o of orders) {
  const v = engine.check(o);
  if (!v.ok) throw new Error(`bench order denied: ${v.denial.message}`);
}
const N = 200_000;
for (let i = 0; i < N; i++) engine.check(orders[i % 3]!); // JIT warm-up
const times = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  engine.check(orders[i % 3]!);
  times[i] = Number(process.hrtime.bigint() - t0);
}
times.sort();
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) engine.check(orders[i % 3]!);
const batchNs = Number(process.hrtime.bigint() - t0) / N;
let empty = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const a = process.hrtime.bigint();
  empty[i] = Number(process.hrtime.bigint() - a);
}
empty = empty.sort();
console.log(
  `full chain (${engine.rules().length} rules, all limits on, 3 instruments, VaR window ${engine.marketRisk().samples()}): ` +
    `median ${(times[N >> 1]! / 1000).toFixed(2)} µs, p99 ${(times[Math.floor(N * 0.99)]! / 1000).toFixed(2)} µs per check ` +
    `(timer overhead median ${(empty[N >> 1]! / 1000).toFixed(2)} µs); batch mean ${(batchNs / 1000).toFixed(2)} µs`,
);

// The slow path: an exact historical VaR (O(N·k) + quickselect), taken only near the VaR limit.
const market = engine.marketRisk();
const exact = new Float64Array(20_000);
for (let i = 0; i < exact.length; i++) {
  engine.check(orders[i % 3]!);
  const a = process.hrtime.bigint();
  market.historicalVarAfter();
  exact[i] = Number(process.hrtime.bigint() - a);
}
exact.sort();
console.log(
  `exact historical VaR over ${market.samples()} samples × 3 instruments: median ${(exact[exact.length >> 1]! / 1000).toFixed(2)} µs`,
);
