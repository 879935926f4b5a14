import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../../../src/agents/contract.ts';
import {
  type BasisAgent,
  basisAgent,
  basisBps,
  RollingStats,
} from '../../../src/agents/library/basis/index.ts';
import { parseAgentConfig } from '../../../src/agents/registry.ts';
import { validateDecision } from '../../../src/agents/validate.ts';
import { Decimal, isConcordError } from '../../../src/core/index.ts';
import { binanceSequenceMode, MarketData, readRecording } from '../../../src/data/index.ts';
import type {
  Decision,
  Instrument,
  MarketEvent,
  PerpetualInstrument,
  PlanIntent,
} from '../../../src/model/index.ts';
import { spotInstrument } from '../../../src/model/index.ts';
import { dataFile, TestPortfolio } from './helpers.ts';

const SPOT = 'binance-spot:BTCUSDT';
const PERP = 'binance-usdm:BTCUSDT';

const spot = spotInstrument({
  venue: 'binance-spot',
  symbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.00001',
});
const perp: PerpetualInstrument = {
  id: PERP,
  venue: 'binance-usdm',
  symbol: 'BTCUSDT',
  kind: 'perpetual',
  base: 'BTC',
  quote: 'USDT',
  settle: 'USDT',
  contractSize: Decimal.ONE,
  inverse: false,
  tickSize: Decimal.from('0.1'),
  lotSize: Decimal.from('0.001'),
  minNotional: Decimal.ZERO,
  makerFee: Decimal.ZERO,
  takerFee: Decimal.ZERO,
};
const INSTRUMENTS: readonly Instrument[] = [spot, perp];

function create(config: unknown): BasisAgent {
  return basisAgent.create('basis-1', parseAgentConfig(basisAgent, 'basis-1', config), {
    random: undefined as never,
    instruments: INSTRUMENTS,
  }) as BasisAgent;
}

let cached: MarketEvent[] | undefined;
function recording(): MarketEvent[] {
  cached ??= [
    ...readRecording([
      dataFile('binance-ws-20240808/spot_btcusdt.gz'),
      dataFile('binance-ws-20240808/usdm_btcusdt.gz'),
    ]),
  ];
  return cached;
}

interface Replay {
  readonly decisions: Decision[];
  readonly plans: PlanIntent[];
  readonly calls: number;
}

/** Replays the recording through MarketData, asking the agent on every change of either book; plans fill at once. */
function replay(
  events: readonly MarketEvent[],
  agent: BasisAgent,
  check: (d: Decision) => void = () => {},
): Replay {
  const market = new MarketData({ instruments: INSTRUMENTS, books: { modeFor: binanceSequenceMode } });
  const portfolio = new TestPortfolio();
  const decisions: Decision[] = [];
  const plans: PlanIntent[] = [];
  let calls = 0;
  let now = 0; // the desk's clock never goes back; merged feeds' event times may
  for (const event of events) {
    now = Math.max(now, event.ts);
    if (!market.apply(event) || (event.instrumentId !== SPOT && event.instrumentId !== PERP)) continue;
    if (event.type !== 'book.delta' && event.type !== 'book.snapshot') continue;
    calls++;
    const context: AgentContext = {
      ts: now,
      trigger: {
        id: `t-${calls}`,
        kind: 'price-move',
        instrumentId: event.instrumentId,
        ts: event.ts,
        magnitude: 0,
        event,
      },
      market,
      portfolio,
    };
    const decision = agent.process(context) as Decision;
    check(decision);
    if (decision.intents.length > 0) decisions.push(decision);
    for (const intent of decision.intents) {
      if (intent.kind !== 'plan') continue;
      plans.push(intent);
      for (const legIntent of intent.legs) portfolio.fill(legIntent);
    }
  }
  return { decisions, plans, calls };
}

/** The test's own basis deviations: sampled each second, against the mean of the previous `window` samples. */
function deviations(events: readonly MarketEvent[], window: number): number[] {
  const market = new MarketData({ instruments: INSTRUMENTS, books: { modeFor: binanceSequenceMode } });
  const samples: number[] = [];
  const out: number[] = [];
  let lastTs = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    if (!market.apply(event)) continue;
    const s = market.book(SPOT)?.mid();
    const p = market.book(PERP)?.mid();
    if (s === undefined || p === undefined || event.ts - lastTs < 1000) continue;
    lastTs = event.ts;
    const basis = ((p - s) / s) * 10_000;
    if (samples.length >= window) {
      const recent = samples.slice(-window);
      out.push(basis - recent.reduce((a, b) => a + b, 0) / recent.length);
    }
    samples.push(basis);
  }
  return out;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

describe('spot-perp-basis on the real Binance recordings (2024-08-08)', () => {
  const events = recording();

  it('runs over the whole window with defaults, every decision passing the decision schema', () => {
    const agent = create({});
    let checked = 0;
    const result = replay(events, agent, (d) => {
      checked++;
      const v = validateDecision(agent, d);
      expect(v.ok ? 'ok' : v.reason).toBe('ok');
    });
    expect(result.calls).toBeGreaterThan(5000);
    expect(checked).toBe(result.calls);
    // The agent sampled the real basis: a full window of a few bp (perp vs spot BTC, same minutes).
    const samples = agent.snapshot().samples;
    expect(samples.length).toBe(120);
    for (const s of samples) expect(Math.abs(s)).toBeLessThan(20);
    expect(Math.max(...samples)).toBeGreaterThan(Math.min(...samples));
  });

  it('with thresholds taken from the data, proposes opposite-side plans on both instruments and unwinds them', () => {
    const window = 60;
    const devs = deviations(events, window).map(Math.abs);
    expect(devs.length).toBeGreaterThan(100);
    const entryBps = quantile(devs, 0.9);
    const exitBps = quantile(devs, 0.2);
    expect(entryBps).toBeGreaterThan(exitBps);
    const agent = create({
      window,
      minSamples: window,
      entryBps,
      exitBps,
      entryZ: 0.5,
      quantity: 0.01,
      cooldownMs: 0,
    });
    const { plans, decisions } = replay(events, agent, (d) =>
      expect(validateDecision(agent, d).ok).toBe(true),
    );
    const entries = plans.filter((p) => p.legs.every((l) => l.reduceOnly !== true));
    const exits = plans.filter((p) => p.legs.every((l) => l.reduceOnly === true));
    expect(entries.length).toBeGreaterThan(0);
    expect(exits.length).toBeGreaterThan(0);
    for (const plan of entries) {
      expect(plan.legs.map((l) => l.instrumentId).sort()).toEqual([SPOT, PERP]);
      expect(plan.legs[0]?.side).not.toBe(plan.legs[1]?.side);
      expect(plan.legs[0]?.quantity.eq(plan.legs[1]?.quantity ?? Decimal.ZERO)).toBe(true);
      expect(plan.legs[0]?.quantity.toString()).toBe('0.01');
      // No fees on these test listings: the edge is the deviation itself, at least the entry threshold.
      expect(plan.expectedNetEdge * 1e4).toBeGreaterThanOrEqual(entryBps - 1e-9);
    }
    // Entries and exits alternate: never two entries without an exit between them.
    const kinds = plans.map((p) => (p.legs.every((l) => l.reduceOnly === true) ? 'exit' : 'entry'));
    for (let i = 1; i < kinds.length; i++) expect(kinds[i]).not.toBe(kinds[i - 1]);
    expect(kinds[0]).toBe('entry');
    expect(decisions.every((d) => d.confidence > 0 && d.confidence <= 1)).toBe(true);
  });

  it('counts both taker fees, in and out: the edge drops by exactly 2 × (spot + perp fee), and huge fees keep it out', () => {
    const config = { window: 60, minSamples: 60, entryBps: 0.01, exitBps: 0, entryZ: 0, cooldownMs: 0 };
    const withFees = (spotFee: string, perpFee: string): Instrument[] => [
      { ...spot, takerFee: Decimal.from(spotFee) },
      { ...perp, takerFee: Decimal.from(perpFee) },
    ];
    const runs = [withFees('0', '0'), withFees('0.00004', '0.00002'), withFees('0.01', '0.01')].map(
      (instruments) => ({
        agent: basisAgent.create('b', parseAgentConfig(basisAgent, 'b', config), {
          random: undefined as never,
          instruments,
        }),
        market: new MarketData({ instruments, books: { modeFor: binanceSequenceMode } }),
        edges: new Map<number, number>(),
      }),
    );
    const flat = new TestPortfolio(); // never filled: every call judges an entry on its own
    let call = 0;
    for (const event of events) {
      call++;
      for (const run of runs) {
        if (!run.market.apply(event)) continue;
        const trigger = {
          id: 'x',
          kind: 'price-move' as const,
          instrumentId: event.instrumentId,
          ts: event.ts,
          magnitude: 0,
          event,
        };
        const d = run.agent.process({
          ts: event.ts,
          trigger,
          market: run.market,
          portfolio: flat,
        }) as Decision;
        const plan = d.intents[0];
        if (plan?.kind === 'plan') {
          run.edges.set(call, plan.expectedNetEdge);
          expect(d.expectedReturn).toBe(plan.expectedNetEdge);
        }
      }
    }
    const [free, cheap, dear] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    expect(free.edges.size).toBeGreaterThan(10);
    expect(cheap.edges.size).toBeGreaterThan(0);
    expect(cheap.edges.size).toBeLessThan(free.edges.size);
    for (const [at, edge] of cheap.edges) {
      expect(edge).toBeGreaterThan(0);
      expect(edge).toBeCloseTo((free.edges.get(at) as number) - 2 * (0.00004 + 0.00002), 12);
    }
    expect(dear.edges.size).toBe(0); // 400 bp round trip: no basis deviation pays for it
  });
});

describe('spot-perp-basis pieces', () => {
  it('RollingStats matches a naive mean and standard deviation of the last n values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 2, max: 50 }),
        (values, capacity) => {
          const stats = new RollingStats(capacity);
          for (const v of values) stats.push(v);
          const last = values.slice(-capacity);
          const mean = last.reduce((a, b) => a + b, 0) / last.length;
          const variance = last.reduce((a, b) => a + (b - mean) ** 2, 0) / last.length;
          expect(stats.values()).toEqual(last);
          expect(stats.mean()).toBeCloseTo(mean, 6);
          expect(stats.std()).toBeCloseTo(Math.sqrt(variance), 4);
          expect(stats.std()).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('measures the basis in bp of spot', () => {
    expect(basisBps(60_000, 60_006)).toBeCloseTo(1, 10);
    expect(basisBps(60_000, 59_994)).toBeCloseTo(-1, 10);
  });

  it('validates its config, naming the field', () => {
    const pathOf = (config: unknown) => {
      try {
        parseAgentConfig(basisAgent, 'b', config);
        return undefined;
      } catch (err) {
        expect(isConcordError(err, 'CONCORD_ERR_AGENT_CONFIG')).toBe(true);
        return (err as { details: { path: string } }).details.path;
      }
    };
    expect(pathOf({})).toBeUndefined();
    expect(pathOf({ entryBps: 1, exitBps: 2 })).toBe('agents.b.exitBps');
    expect(pathOf({ spot: SPOT, perp: SPOT })).toBe('agents.b.perp');
    expect(pathOf({ window: 10, minSamples: 20 })).toBe('agents.b.minSamples');
    expect(pathOf({ quantity: -1 })).toBe('agents.b.quantity');
  });

  it('snapshots and restores its window, and refuses a foreign state with a coded error', () => {
    const events = recording().slice(0, 40_000);
    const a = create({ window: 30, minSamples: 10 });
    replay(events, a);
    const b = create({ window: 30, minSamples: 10 });
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.snapshot()).toEqual(a.snapshot());
    expect(() => b.restore({ samples: 'no' })).toThrow(/cannot restore/);
    try {
      b.restore(null);
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_AGENT_STATE_INVALID')).toBe(true);
    }
  });
});
