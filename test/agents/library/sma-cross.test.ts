import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../../../src/agents/contract.ts';
import {
  type SmaCrossAgent,
  smaCrossAgent,
  smaCrossConfigSchema,
} from '../../../src/agents/library/sma-cross/index.ts';
import { parseAgentConfig } from '../../../src/agents/registry.ts';
import { validateDecision } from '../../../src/agents/validate.ts';
import { isConcordError } from '../../../src/core/index.ts';
import { readCandles } from '../../../src/data/index.ts';
import type { Bar, Decision, Side } from '../../../src/model/index.ts';
import { dataFile, orderIntents, TestMarket, TestPortfolio, testInstrument } from './helpers.ts';

const instrument = testInstrument('bt', { base: 'BTC', quote: 'USD', lot: '0.001' });
const ID = instrument.id;

function barOf(close: number, index: number): Bar {
  return {
    type: 'bar',
    ts: index * 60_000,
    instrumentId: ID,
    intervalMs: 60_000,
    open: close,
    high: close,
    low: close,
    close,
    volume: 1,
  };
}

function contextOf(bar: Bar, market: TestMarket, portfolio: TestPortfolio): AgentContext {
  return {
    ts: bar.ts,
    trigger: {
      id: `t-${bar.ts}`,
      kind: 'bar',
      instrumentId: bar.instrumentId,
      ts: bar.ts,
      magnitude: 0,
      event: bar,
    },
    market,
    portfolio,
  };
}

interface Signal {
  readonly index: number;
  readonly side: Side;
}

/** Drives the agent bar by bar, filling its orders at once. */
function runAgent(
  agent: SmaCrossAgent,
  bars: readonly Bar[],
  portfolio = new TestPortfolio(),
  start = 0,
): { signals: Signal[]; decisions: Decision[] } {
  const market = new TestMarket([instrument]);
  const signals: Signal[] = [];
  const decisions: Decision[] = [];
  for (let i = 0; i < bars.length; i++) {
    const decision = agent.process(contextOf(bars[i] as Bar, market, portfolio)) as Decision;
    decisions.push(decision);
    for (const order of orderIntents(decision.intents)) {
      signals.push({ index: start + i, side: order.side });
      portfolio.fill(order);
    }
  }
  return { signals, decisions };
}

/** The oracle: SMAs re-summed from scratch on every bar (O(n·slow)), long-or-flat. */
function naiveSignals(closes: readonly number[], fast: number, slow: number): Signal[] {
  const average = (end: number, n: number) => {
    let sum = 0;
    for (let k = end - n + 1; k <= end; k++) sum += closes[k] as number;
    return sum / n;
  };
  const relation = (i: number) => {
    const f = average(i, fast);
    const s = average(i, slow);
    const tolerance = 1e-9 * Math.abs(s);
    return f - s > tolerance ? 1 : f - s < -tolerance ? -1 : 0;
  };
  const out: Signal[] = [];
  let long = false;
  for (let i = slow; i < closes.length; i++) {
    const before = relation(i - 1);
    const now = relation(i);
    if (now === 1 && before <= 0 && !long) {
      out.push({ index: i, side: 'buy' });
      long = true;
    } else if (now === -1 && before >= 0 && long) {
      out.push({ index: i, side: 'sell' });
      long = false;
    }
  }
  return out;
}

function agentWith(fast: number, slow: number, quantity = 1): SmaCrossAgent {
  return smaCrossAgent.create('sma-1', parseAgentConfig(smaCrossAgent, 'sma-1', { fast, slow, quantity }), {
    random: undefined as never,
    instruments: [instrument],
  }) as SmaCrossAgent;
}

describe('sma-cross on the real BTC-PERP 1-minute bars', () => {
  const bars = [...readCandles(dataFile('candles/btc-perp-1m-2022-01.csv'), { instrumentId: ID })];
  const closes = bars.map((b) => b.close);

  it('signals exactly the crosses a naive SMA computes (fast 10, slow 30), one for one', () => {
    const { signals, decisions } = runAgent(agentWith(10, 30), bars);
    const expected = naiveSignals(closes, 10, 30);
    expect(expected.length).toBeGreaterThan(500); // a month of minutes crosses often
    expect(signals).toEqual(expected);
    const withIntents = decisions.filter((d) => d.intents.length > 0);
    expect(withIntents.every((d) => d.confidence === 1)).toBe(true);
    expect(decisions.filter((d) => d.intents.length === 0).every((d) => d.confidence === 0)).toBe(true);
  });

  it('every decision passes the runtime decision schema', () => {
    const agent = agentWith(10, 30, 0.5);
    const { decisions } = runAgent(agent, bars.slice(0, 5000));
    for (const d of decisions) expect(validateDecision(agent, d)).toMatchObject({ ok: true });
    const sells = decisions.flatMap((d) => orderIntents(d.intents)).filter((o) => o.side === 'sell');
    expect(sells.length).toBeGreaterThan(0);
    for (const s of sells) {
      expect(s.reduceOnly).toBe(true);
      expect(s.quantity.toString()).toBe('0.5');
    }
  });

  it('resumes from a snapshot (through JSON) with the same signals as an uninterrupted run', () => {
    const whole = runAgent(agentWith(10, 30), bars.slice(0, 8000)).signals;
    const portfolio = new TestPortfolio();
    const first = agentWith(10, 30);
    const a = runAgent(first, bars.slice(0, 4321), portfolio);
    const resumed = agentWith(10, 30);
    resumed.restore(JSON.parse(JSON.stringify(first.snapshot())));
    const b = runAgent(resumed, bars.slice(4321, 8000), portfolio, 4321);
    expect([...a.signals, ...b.signals]).toEqual(whole);
  });
});

describe('sma-cross properties', () => {
  const series = fc.array(fc.integer({ min: 90, max: 110 }), { minLength: 2, maxLength: 300 });
  const periods = fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 20 }))
    .map(([f, extra]) => [f, f + extra] as const);

  it('alternates buy and sell starting with a buy, never sells without a position, and matches the naive oracle', () => {
    fc.assert(
      fc.property(series, periods, (closes, [fast, slow]) => {
        const bars = closes.map(barOf);
        const portfolio = new TestPortfolio();
        const { signals } = runAgent(agentWith(fast, slow), bars, portfolio);
        for (const [k, s] of signals.entries()) expect(s.side).toBe(k % 2 === 0 ? 'buy' : 'sell');
        expect(portfolio.position(ID)).toBeGreaterThanOrEqual(0);
        expect(signals).toEqual(naiveSignals(closes, fast, slow));
        // No signal before `slow` bars and a previous comparison exist.
        for (const s of signals) expect(s.index).toBeGreaterThanOrEqual(slow);
      }),
      { numRuns: 300 },
    );
  });

  it('never sells when the portfolio holds nothing, whatever the averages do', () => {
    fc.assert(
      fc.property(series, periods, (closes, [fast, slow]) => {
        const agent = agentWith(fast, slow);
        const market = new TestMarket([instrument]);
        const flat = new TestPortfolio(); // orders are never filled
        for (const [i, c] of closes.entries()) {
          const d = agent.process(contextOf(barOf(c, i), market, flat)) as Decision;
          for (const o of orderIntents(d.intents)) expect(o.side).toBe('buy');
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('sma-cross config and state', () => {
  it('names the field when fast is not below slow, or not an integer', () => {
    const attempt = (config: unknown) => {
      try {
        parseAgentConfig(smaCrossAgent, 'sma-1', config);
        return undefined;
      } catch (err) {
        expect(isConcordError(err, 'CONCORD_ERR_AGENT_CONFIG')).toBe(true);
        return (err as { details: { path: string } }).details.path;
      }
    };
    expect(attempt({ fast: 30, slow: 10 })).toBe('agents.sma-1.fast');
    expect(attempt({ fast: 10, slow: 10 })).toBe('agents.sma-1.fast');
    expect(attempt({ fast: 2.5, slow: 10 })).toBe('agents.sma-1.fast');
    expect(attempt({ fast: 2, slow: 10.5 })).toBe('agents.sma-1.slow');
    expect(attempt({ fast: 2, slow: 10, quantity: 0 })).toBe('agents.sma-1.quantity');
    expect(attempt({ fast: 2, slow: 10 })).toBeUndefined();
    expect(smaCrossConfigSchema.parse({ fast: 2, slow: 10 }).quantity).toBe(1);
  });

  it('ignores triggers that are not bars', () => {
    const agent = agentWith(1, 2);
    const market = new TestMarket([instrument]);
    const ctx = contextOf(barOf(100, 0), market, new TestPortfolio());
    const trade = {
      ...ctx,
      trigger: {
        ...ctx.trigger,
        kind: 'trade' as const,
        event: {
          type: 'trade' as const,
          ts: 0,
          instrumentId: ID,
          price: 1,
          size: 1,
          aggressor: 'buy' as const,
          tradeId: 'x',
        },
      },
    };
    for (let i = 0; i < 10; i++) expect(agent.process(trade)).toMatchObject({ intents: [], confidence: 0 });
    expect(agent.snapshot().windows).toEqual({});
  });

  it('refuses a saved state of another shape or other periods, with a coded error', () => {
    const agent = agentWith(10, 30);
    expect(() => agent.restore({ nope: 1 })).toThrow(/cannot restore/);
    expect(() => agent.restore({ fast: 5, slow: 30, windows: {} })).toThrow(/fast 5/);
    expect(() =>
      agent.restore({ fast: 10, slow: 30, windows: { [ID]: { closes: [1, 2], seen: 5, previous: null } } }),
    ).toThrow(/expected 5/);
    try {
      agent.restore({ nope: 1 });
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_AGENT_STATE_INVALID')).toBe(true);
    }
  });
});

describe('sma-cross with the BarVenue over the real file', () => {
  it('every order fills at the next bar open, and the venue position stays long or flat', async () => {
    const { SimulatedClock, clientOrderId } = await import('../../../src/core/index.ts');
    const { BarVenue } = await import('../../../src/venues/index.ts');
    const bars = [...readCandles(dataFile('candles/btc-perp-1m-2022-01.csv'), { instrumentId: ID })];
    const clock = new SimulatedClock(0);
    const venue = new BarVenue({
      id: instrument.venue,
      clock,
      instruments: [instrument],
      balances: { USD: '1000000' },
    });
    const portfolio = new TestPortfolio();
    const fills: { price: string; bar: number }[] = [];
    let current = 0;
    venue.onOrderEvent((e) => {
      if (e.type !== 'order.filled') return;
      fills.push({ price: e.fill.price.toString(), bar: current });
      portfolio.fill({
        kind: 'order',
        instrumentId: ID,
        side: e.fill.side,
        type: 'market',
        quantity: e.fill.quantity,
      });
    });
    const agent = agentWith(10, 30, 2);
    const market = new TestMarket([instrument]);
    let orders = 0;
    for (const [i, bar] of bars.entries()) {
      current = i;
      if (bar.ts > clock.now()) clock.advanceTo(bar.ts);
      venue.onMarketEvent(bar);
      const decision = agent.process(contextOf(bar, market, portfolio)) as Decision;
      for (const o of orderIntents(decision.intents)) {
        orders++;
        await venue.submitOrder({
          clientOrderId: clientOrderId(`d-${i}`, 0),
          instrumentId: ID,
          venue: instrument.venue,
          side: o.side,
          type: 'market',
          quantity: o.quantity,
          timeInForce: 'IOC',
          decisionId: `d-${i}`,
          leg: 0,
          ts: bar.ts,
        });
      }
      expect(portfolio.position(ID)).toBeGreaterThanOrEqual(0);
    }
    expect(orders).toBeGreaterThan(500);
    expect(fills.length).toBeGreaterThanOrEqual(orders - 1); // the last order may wait for a bar that never comes
    for (const f of fills) expect(f.price).toBe(String((bars[f.bar] as Bar).open));
  });
});
