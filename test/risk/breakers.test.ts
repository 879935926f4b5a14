import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random, SimulatedClock } from '../../src/core/index.ts';
import {
  BreakerBoard,
  type BreakerTransition,
  CircuitBreaker,
  DEFAULT_VOLATILITY_BREAKER,
  ErrorRateMonitor,
  LEGAL_BREAKER_TRANSITIONS,
  LossMonitor,
  VolatilityMonitor,
} from '../../src/risk/index.ts';
import { BTC, codeOf, FakeBook, makeEngine, order } from './helpers.ts';

const opArb = fc.oneof(
  fc.record({ op: fc.constant('trip' as const) }),
  fc.record({ op: fc.constant('poll' as const) }),
  fc.record({ op: fc.constant('order' as const) }),
  fc.record({ op: fc.constant('success' as const) }),
  fc.record({ op: fc.constant('recover' as const) }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 3000 }) }),
);

describe('CircuitBreaker state machine (properties)', () => {
  it('never takes an illegal transition, honours the cool-down, and passes at most N probes per half-open spell', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(opArb, { maxLength: 120 }),
        (cooldownMs, probes, ops) => {
          const transitions: BreakerTransition[] = [];
          const b = new CircuitBreaker('error-rate', 'venue:x', { cooldownMs, probes }, (t) =>
            transitions.push(t),
          );
          let now = 0;
          let openedAt = Number.NaN;
          let passedThisSpell = 0;
          for (const o of ops) {
            const before = transitions.length;
            switch (o.op) {
              case 'trip':
                b.trip(now, 'test', {});
                break;
              case 'poll':
                b.poll(now);
                break;
              case 'order':
                // The gate: ask first, count the probe only when it passed.
                if (b.allowsNewRisk(now)) {
                  if (b.stateAt(now) !== 'CLOSED') passedThisSpell++;
                  b.notePassed(now);
                } else expect(b.stateAt(now)).not.toBe('CLOSED');
                break;
              case 'success':
                b.probeSucceeded(now);
                break;
              case 'recover':
                b.recover(now, 'healthy', {});
                break;
              case 'wait':
                now += o.ms;
                break;
            }
            for (const t of transitions.slice(before)) {
              expect(LEGAL_BREAKER_TRANSITIONS.has(`${t.from}>${t.to}`)).toBe(true);
              if (t.to === 'OPEN') {
                openedAt = t.ts;
                passedThisSpell = 0;
              }
              if (t.to === 'HALF_OPEN') expect(t.ts).toBeGreaterThanOrEqual(openedAt + cooldownMs);
            }
            expect(passedThisSpell).toBeLessThanOrEqual(probes);
            // While OPEN within the cool-down, nothing passes.
            if (b.state === 'OPEN' && now < openedAt + cooldownMs) expect(b.allowsNewRisk(now)).toBe(false);
          }
          // The reported transitions chain: each starts where the previous ended.
          let state = 'CLOSED';
          for (const t of transitions) {
            expect(t.from).toBe(state);
            state = t.to;
          }
          expect(state).toBe(b.state);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a closed breaker ignores probe outcomes and recover; an open one ignores trips (no cool-down extension)', () => {
    const seen: string[] = [];
    const b = new CircuitBreaker('loss', 'global', { cooldownMs: 100, probes: 1 }, (t) =>
      seen.push(`${t.from}>${t.to}`),
    );
    b.probeSucceeded(0);
    b.recover(0, 'x', {});
    expect(seen).toEqual([]);
    b.trip(10, 'a', {});
    b.trip(50, 'b', {});
    expect(b.reopensAt).toBe(110);
    expect(b.allowsNewRisk(109)).toBe(false);
    expect(b.allowsNewRisk(110)).toBe(true);
    b.notePassed(110);
    expect(b.allowsNewRisk(111)).toBe(false);
    b.probeSucceeded(112);
    expect(seen).toEqual(['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>CLOSED']);
  });
});

/** A random walk of 1-second mids with σ per step. */
function walk(seed: number, n: number, sigma: number, start = 100): number[] {
  const r = new Random(seed);
  const out = [start];
  for (let i = 1; i < n; i++) {
    // Sum of uniforms ≈ normal; scaled to σ.
    const z = (r.next() + r.next() + r.next() + r.next() - 2) * Math.sqrt(3);
    out.push(out[i - 1]! * (1 + sigma * z));
  }
  return out;
}

describe('volatility breaker', () => {
  it('does not trip during warm-up nor on a calm walk, trips on a jump, then probes and closes when calm', () => {
    const transitions: BreakerTransition[] = [];
    const m = new VolatilityMonitor('instrument:x', DEFAULT_VOLATILITY_BREAKER, (t) => transitions.push(t));
    const prices = walk(7, 400, 1e-4);
    let ts = 0;
    const tick = () => {
      ts += 1000;
      return ts;
    };
    for (const p of prices) m.observe(p, tick());
    expect(transitions).toEqual([]);
    expect(m.sampleCount()).toBeGreaterThan(300);
    const last = prices[prices.length - 1]!;
    m.observe(last * 1.01, tick()); // +100 bp in one second: ≈ 100σ
    m.observe(last * 1.01, tick());
    expect(transitions.map((t) => t.to)).toEqual(['OPEN']);
    expect(transitions[0]!.numbers.move_bps).toBeGreaterThan(90);
    expect(transitions[0]!.breaker).toBe('volatility');
    // Calm again: after the cool-down it probes, then closes on a calm sample (no orders: after a second cool-down).
    for (const p of walk(8, 200, 1e-4, last * 1.01)) m.observe(p, tick());
    expect(transitions.map((t) => t.to)).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
    expect(transitions[1]!.ts - transitions[0]!.ts).toBeGreaterThanOrEqual(
      DEFAULT_VOLATILITY_BREAKER.cooldownMs,
    );
  });

  it('a jump during warm-up is not judged (there is no baseline yet)', () => {
    const transitions: BreakerTransition[] = [];
    const m = new VolatilityMonitor('instrument:x', DEFAULT_VOLATILITY_BREAKER, (t) => transitions.push(t));
    for (let i = 0; i < 30; i++) m.observe(i === 10 ? 110 : 100, i * 1000);
    expect(transitions).toEqual([]);
  });

  it('through the engine: a tripped instrument denies new risk with CIRCUIT_OPEN, other instruments pass', () => {
    const transitions: BreakerTransition[] = [];
    const board = new BreakerBoard({ onTransition: (t) => transitions.push(t) });
    const clock = new SimulatedClock(0);
    const { engine } = makeEngine({}, new FakeBook().set(BTC, 1), { breakers: board }, clock);
    const prices = walk(3, 200, 1e-4);
    for (let i = 0; i < prices.length; i++) engine.observePrice(BTC, prices[i]!, i * 1000);
    engine.observePrice(BTC, prices[199]! * 0.98, 200_000);
    engine.observePrice(BTC, prices[199]! * 0.98, 201_000);
    expect(transitions.map((t) => `${t.scope} ${t.to}`)).toEqual([`instrument:${BTC} OPEN`]);
    clock.advanceTo(201_000);
    expect(codeOf(engine.check(order({ referencePrice: prices[199]! * 0.98 })))).toBe('CIRCUIT_OPEN');
    expect(
      codeOf(engine.check(order({ side: 'sell', quantity: 1, referencePrice: prices[199]! * 0.98 }))),
    ).toBe('PASS');
    expect(codeOf(engine.check(order({ instrumentId: 'sim-a:ETH-USDT' })))).toBe('PASS');
  });
});

describe('error-rate and loss breakers', () => {
  it('error rate: trips over the limit with enough samples; an error while probing re-opens', () => {
    const seen: string[] = [];
    const m = new ErrorRateMonitor(
      'venue:v',
      { windowMs: 10_000, minSamples: 4, maxErrorRate: 0.5, cooldownMs: 1000, probes: 2 },
      (t) => seen.push(`${t.to}`),
    );
    m.record('rejected', 0);
    m.record('timeout', 1);
    m.record('rejected', 2); // 3 outcomes: below minSamples
    expect(seen).toEqual([]);
    m.record('ok', 3); // 3/4 = 0.75
    expect(seen).toEqual(['OPEN']);
    m.record('ok', 1003); // poll → HALF_OPEN; the ok counts only for a probe that passed
    m.breaker.notePassed(1004);
    m.record('timeout', 1005);
    expect(seen).toEqual(['OPEN', 'HALF_OPEN', 'OPEN']);
  });

  it('error rate: old outcomes leave the window', () => {
    const m = new ErrorRateMonitor(
      'venue:v',
      { windowMs: 1000, minSamples: 2, maxErrorRate: 0.5, cooldownMs: 1000, probes: 1 },
      () => {},
    );
    m.record('rejected', 0);
    m.record('ok', 1500);
    m.record('ok', 1600);
    expect(m.errorRate(1600)).toBe(0);
    expect(m.breaker.state).toBe('CLOSED');
  });

  it('loss: trips when equity falls more than maxDrop below its high within the window', () => {
    const seen: BreakerTransition[] = [];
    const m = new LossMonitor({ maxDrop: 100, windowMs: 10_000, cooldownMs: 5000, probes: 1 }, (t) =>
      seen.push(t),
    );
    m.observe(1000, 0);
    m.observe(1050, 1000);
    m.observe(960, 2000); // drop 90
    expect(seen).toEqual([]);
    m.observe(940, 3000); // drop 110
    expect(seen.map((t) => t.to)).toEqual(['OPEN']);
    expect(seen[0]!.numbers).toMatchObject({ drop: 110, max_drop: 100 });
    // The high at t=1000 leaves the window at 11 000; then the drop is measured from later highs.
    m.observe(945, 12_000);
    expect(m.drop).toBeLessThan(100);
    m.observe(946, 17_100); // cool-down over → HALF_OPEN; a second cool-down of health closes it
    m.observe(947, 22_200);
    expect(seen.map((t) => t.to)).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
  });

  it('property: the loss monitor drop equals max(window) − current', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: -1000, max: 1000 })), {
          maxLength: 80,
        }),
        (steps) => {
          const m = new LossMonitor({ maxDrop: 1e12, windowMs: 1000, cooldownMs: 1, probes: 1 }, () => {});
          const seen: Array<[number, number]> = [];
          let ts = 0;
          for (const [dt, v] of steps) {
            ts += dt;
            m.observe(v, ts);
            seen.push([ts, v]);
            const high = Math.max(...seen.filter(([t]) => t >= ts - 1000).map(([, x]) => x));
            expect(m.drop).toBe(high - v);
          }
        },
      ),
    );
  });
});
