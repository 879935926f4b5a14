import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcordError, Random, SimulatedClock } from '../../src/core/index.ts';
import {
  CircuitBreaker,
  DataHealth,
  ErrorStats,
  type RetryPolicy,
  retryWithBackoff,
  VenueBreakers,
} from '../../src/execution/recovery.ts';
import { drive } from './recovery-helpers.ts';

const retryable = () => new ConcordError('CONCORD_ERR_VENUE_RATE_LIMITED', 'slow down', { retryable: true });
const fatal = () => new ConcordError('CONCORD_ERR_VENUE_ORDER_NOT_FOUND', 'no such order');
const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  kind: 'read',
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  ...over,
});

describe('retryWithBackoff', () => {
  it('retries retryable errors until success, waiting on the injected clock', async () => {
    const clock = new SimulatedClock(0);
    let calls = 0;
    const result = await drive(
      clock,
      retryWithBackoff(
        async () => {
          calls++;
          if (calls < 3) throw retryable();
          return 'ok';
        },
        policy(),
        clock,
        new Random(1),
      ),
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(clock.now()).toBeGreaterThan(0);
  });

  it('does not retry a non-retryable error', async () => {
    const clock = new SimulatedClock(0);
    let calls = 0;
    const work = retryWithBackoff(
      async () => {
        calls++;
        throw fatal();
      },
      policy(),
      clock,
      new Random(1),
    );
    await expect(drive(clock, work)).rejects.toMatchObject({ code: 'CONCORD_ERR_VENUE_ORDER_NOT_FOUND' });
    expect(calls).toBe(1);
  });

  it('refuses to retry a submit and never calls it', async () => {
    const clock = new SimulatedClock(0);
    let calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls++;
        },
        policy({ kind: 'submit' }),
        clock,
        new Random(1),
      ),
    ).rejects.toMatchObject({ code: 'CONCORD_ERR_RETRY_SUBMIT_FORBIDDEN' });
    expect(calls).toBe(0);
  });

  it('rejects invalid policies with a config error', async () => {
    const clock = new SimulatedClock(0);
    for (const bad of [policy({ maxAttempts: 0 }), policy({ baseDelayMs: 0 }), policy({ maxDelayMs: 10 })]) {
      await expect(retryWithBackoff(async () => 1, bad, clock, new Random(1))).rejects.toMatchObject({
        code: 'CONCORD_ERR_CONFIG_INVALID',
      });
    }
  });

  it('property: attempts ≤ maxAttempts, every wait within its full-jitter cap, the last error is rethrown', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer(),
        async (maxAttempts, base, factor, seed) => {
          const clock = new SimulatedClock(0);
          const p = policy({ maxAttempts, baseDelayMs: base, maxDelayMs: base * factor });
          const waits: { attempt: number; delayMs: number }[] = [];
          let calls = 0;
          const work = retryWithBackoff(
            async () => {
              calls++;
              throw retryable();
            },
            p,
            clock,
            new Random(seed),
            { onRetry: (i) => waits.push(i) },
          );
          await expect(drive(clock, work)).rejects.toMatchObject({ code: 'CONCORD_ERR_VENUE_RATE_LIMITED' });
          expect(calls).toBe(maxAttempts);
          expect(waits).toHaveLength(maxAttempts - 1);
          for (const w of waits) {
            expect(w.delayMs).toBeGreaterThanOrEqual(0);
            expect(w.delayMs).toBeLessThan(Math.min(p.maxDelayMs, base * 2 ** (w.attempt - 1)));
          }
          const total = waits.reduce((s, w) => s + w.delayMs, 0);
          expect(clock.now()).toBeCloseTo(total, 6);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is deterministic for a seed', async () => {
    const delays = async (seed: number) => {
      const clock = new SimulatedClock(0);
      const out: number[] = [];
      await drive(
        clock,
        retryWithBackoff(
          async () => {
            throw retryable();
          },
          policy(),
          clock,
          new Random(seed),
          { onRetry: (i) => out.push(i.delayMs) },
        ),
      ).catch(() => {});
      return out;
    };
    expect(await delays(7)).toEqual(await delays(7));
    expect(await delays(7)).not.toEqual(await delays(8));
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, half-opens after the cool-down, closes on a good trial', async () => {
    const clock = new SimulatedClock(0);
    const changes: string[] = [];
    const breaker = new CircuitBreaker({
      clock,
      consecutiveFailures: 3,
      coolDownMs: 1_000,
      onStateChange: (c) => changes.push(`${c.from}->${c.to}`),
    });
    for (let i = 0; i < 3; i++)
      await expect(breaker.run(async () => Promise.reject(retryable()))).rejects.toThrow();
    expect(breaker.state()).toBe('open');
    await expect(breaker.run(async () => 1)).rejects.toMatchObject({
      code: 'CONCORD_ERR_VENUE_CIRCUIT_OPEN',
      retryable: true,
    });
    clock.advanceBy(999);
    expect(breaker.state()).toBe('open');
    clock.advanceBy(1);
    expect(breaker.state()).toBe('half-open');
    expect(await breaker.run(async () => 42)).toBe(42);
    expect(breaker.state()).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('a failed trial reopens for another cool-down, and only one trial runs at a time', async () => {
    const clock = new SimulatedClock(0);
    const breaker = new CircuitBreaker({ clock, consecutiveFailures: 1, coolDownMs: 100 });
    breaker.recordFailure(retryable());
    clock.advanceBy(100);
    let release: () => void = () => {};
    const trial = breaker.run(() => new Promise<void>((r) => (release = r)));
    expect(breaker.canRequest()).toBe(false);
    release();
    await trial;
    breaker.recordFailure(retryable());
    breaker.recordFailure(retryable());
    expect(breaker.state()).toBe('open');
    breaker.recordSuccess();
    clock.advanceBy(50);
    expect(breaker.state()).toBe('closed');
    const b2 = new CircuitBreaker({ clock, consecutiveFailures: 1, coolDownMs: 100 });
    b2.recordFailure(retryable());
    clock.advanceBy(100);
    await expect(b2.run(async () => Promise.reject(retryable()))).rejects.toThrow();
    expect(b2.state()).toBe('open');
    expect(b2.retryInMs()).toBe(100);
  });

  it('venue refusals do not count; a success resets the consecutive count', () => {
    const clock = new SimulatedClock(0);
    const breaker = new CircuitBreaker({ clock, consecutiveFailures: 2 });
    breaker.recordFailure(retryable());
    breaker.recordFailure(fatal());
    breaker.recordFailure(retryable());
    expect(breaker.state()).toBe('closed');
    breaker.recordFailure(new ConcordError('CONCORD_ERR_VENUE_TIMEOUT', 'submit timed out'));
    expect(breaker.state()).toBe('open');
  });

  it('opens on too many recent failures even with successes between', () => {
    const clock = new SimulatedClock(0);
    const breaker = new CircuitBreaker({
      clock,
      consecutiveFailures: 100,
      recentFailures: 3,
      windowMs: 1_000,
    });
    for (let i = 0; i < 2; i++) {
      breaker.recordFailure(retryable());
      breaker.recordSuccess();
      clock.advanceBy(100);
    }
    clock.advanceBy(2_000);
    breaker.recordFailure(retryable());
    expect(breaker.state()).toBe('closed');
    breaker.recordFailure(retryable());
    breaker.recordSuccess();
    breaker.recordFailure(retryable());
    expect(breaker.state()).toBe('open');
  });

  it('keeps one breaker per venue', () => {
    const clock = new SimulatedClock(0);
    const seen: string[] = [];
    const breakers = new VenueBreakers({
      clock,
      consecutiveFailures: 1,
      onStateChange: (v, c) => seen.push(`${v}:${c.to}`),
    });
    breakers.for('a').recordFailure(retryable());
    expect(breakers.for('a')).toBe(breakers.for('a'));
    expect(breakers.for('b').state()).toBe('closed');
    expect(breakers.states()).toEqual({ a: 'open', b: 'closed' });
    expect(seen).toEqual(['a:open']);
  });
});

describe('DataHealth', () => {
  it('marks a source stale after staleAfterMs without data and fails over to the next source', () => {
    const clock = new SimulatedClock(0);
    const changes: string[] = [];
    const health = new DataHealth({
      clock,
      staleAfterMs: 1_000,
      sources: { 'BTC-USDT': ['binance', 'okx'] },
      onChange: (c) => changes.push(`${c.source}:${c.stale ? 'stale' : 'fresh'}`),
    });
    health.observe('binance', 'BTC-USDT');
    health.observe('okx', 'BTC-USDT');
    expect(health.preferredSource('BTC-USDT')).toBe('binance');
    clock.advanceBy(600);
    health.onMarketEvent('okx', { instrumentId: 'BTC-USDT', ts: clock.now() });
    clock.advanceBy(400);
    expect(health.isStale('binance', 'BTC-USDT')).toBe(true);
    expect(health.preferredSource('BTC-USDT')).toBe('okx');
    health.check();
    expect(changes).toEqual(['binance:stale']);
    health.observe('binance', 'BTC-USDT');
    expect(health.preferredSource('BTC-USDT')).toBe('binance');
    expect(changes).toEqual(['binance:stale', 'binance:fresh']);
    clock.advanceBy(5_000);
    expect(health.preferredSource('BTC-USDT')).toBeUndefined();
    expect(health.staleInstruments()).toEqual(['BTC-USDT']);
  });

  it('names the agents whose instruments have no fresh source', () => {
    const clock = new SimulatedClock(0);
    const health = new DataHealth({ clock, staleAfterMs: 100 });
    health.observe('feed', 'A');
    health.observe('feed', 'B');
    clock.advanceBy(50);
    health.observe('feed', 'A');
    clock.advanceBy(60);
    const agents = { momentum: ['A'], arb: ['A', 'B'], lonely: ['C'] };
    expect(health.staleAgents(agents)).toEqual(['arb', 'lonely']);
    expect(health.staleAgents(new Map(Object.entries(agents)))).toEqual(['arb', 'lonely']);
    const report = health.check();
    expect(report.staleInstruments).toEqual(['B']);
    expect(report.preferred).toEqual({ A: 'feed' });
  });

  it('property: a source is stale exactly when its last data is staleAfterMs old or more', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 300 }),
        (gaps, staleAfter) => {
          const clock = new SimulatedClock(0);
          const health = new DataHealth({ clock, staleAfterMs: staleAfter });
          let last = 0;
          health.observe('s', 'X');
          for (const gap of gaps) {
            clock.advanceBy(gap);
            expect(health.isStale('s', 'X')).toBe(clock.now() - last >= staleAfter);
            if (gap % 2 === 0) {
              health.observe('s', 'X');
              last = clock.now();
            }
          }
        },
      ),
    );
  });

  it('rejects a non-positive staleAfterMs', () => {
    expect(() => new DataHealth({ clock: new SimulatedClock(0), staleAfterMs: 0 })).toThrow(/staleAfterMs/);
  });
});

describe('ErrorStats', () => {
  it('counts errors by code, by venue and by both', () => {
    const stats = new ErrorStats();
    stats.record(retryable(), 'a');
    stats.record(retryable(), 'b');
    stats.record(fatal(), 'a');
    stats.record(new Error('boom'));
    expect(stats.count()).toBe(4);
    expect(stats.byCode()).toEqual({
      CONCORD_ERR_INTERNAL: 1,
      CONCORD_ERR_VENUE_ORDER_NOT_FOUND: 1,
      CONCORD_ERR_VENUE_RATE_LIMITED: 2,
    });
    expect(stats.byVenue()).toEqual({ _none: 1, a: 2, b: 1 });
    expect(stats.byVenueAndCode()['a|CONCORD_ERR_VENUE_RATE_LIMITED']).toBe(1);
  });
});
