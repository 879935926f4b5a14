import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcordError, Random, SimulatedClock } from '../../src/core/index.ts';
import { DataHealth, type RetryPolicy, retryWithBackoff } from '../../src/execution/recovery.ts';
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
