import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  clientOrderId,
  Decimal,
  IdGenerator,
  Random,
  SimulatedClock,
} from '../../src/core/index.ts';

describe('SimulatedClock', () => {
  it('fires timers in due order, ties in creation order, and intervals repeatedly', () => {
    const clock = new SimulatedClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    const h = clock.setInterval(() => fired.push(`i@${clock.now()}`), 15);
    clock.advanceTo(1031);
    clock.clearTimer(h);
    clock.advanceBy(100);
    expect(fired).toEqual(['a@1010', 'i@1015', 'b@1020', 'c@1020', 'i@1030']);
    expect(clock.now()).toBe(1131);
  });

  it('never goes backwards', () => {
    const clock = new SimulatedClock(50);
    expect(() => clock.advanceTo(49)).toThrow(/CONCORD_ERR_CLOCK/);
  });

  it('fires a timer scheduled by a timer within the same advance', () => {
    const clock = new SimulatedClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 5), 5);
    clock.advanceTo(20);
    expect(fired).toEqual([10]);
  });

  it('resolves sleep in simulated time', async () => {
    const clock = new SimulatedClock(0);
    let done = false;
    const p = clock.sleep(100).then(() => {
      done = true;
    });
    clock.advanceTo(99);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advanceTo(100);
    await p;
    expect(done).toBe(true);
  });
});

describe('Random', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
  });

  it('stays in range and has a sane mean and variance', () => {
    const r = new Random(42);
    let sum = 0;
    let sumSq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      const z = r.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
  });

  it('forks independent streams by label', () => {
    const r = new Random(1);
    const f1 = r.fork('market');
    const f2 = new Random(1).fork('market');
    const f3 = new Random(1).fork('agents');
    expect(f1.next()).toBe(f2.next());
    expect(new Random(1).fork('market').next()).not.toBe(f3.next());
  });

  it('int(n) is within [0, n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const v = new Random(seed).int(n);
        return Number.isInteger(v) && v >= 0 && v < n;
      }),
    );
  });
});

describe('ids and canonical JSON', () => {
  it('mints deterministic ids and client order ids', () => {
    const g = new IdGenerator('run');
    expect([g.next('d'), g.next('d'), g.next('o')]).toEqual(['run-d-1', 'run-d-2', 'run-o-1']);
    expect(clientOrderId('d-1', 0)).toBe(clientOrderId('d-1', 0));
    expect(clientOrderId('d-1', 0)).not.toBe(clientOrderId('d-1', 1));
    expect(clientOrderId('d-1', 0)).toMatch(/^c[0-9a-f]{24}$/);
  });

  it('serialises equal values identically whatever the key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean())), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        return canonicalJson(obj) === canonicalJson(reversed);
      }),
    );
    expect(canonicalJson({ b: Decimal.from('1.50'), a: 2n, c: undefined })).toBe('{"a":"2","b":"1.5"}');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/CONCORD_ERR_CANONICAL_JSON/);
  });
});
