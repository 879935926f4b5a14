import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bus, type DeadLetter, type Envelope, topics } from '../../src/bus/index.ts';
import { IdGenerator, SimulatedClock } from '../../src/core/index.ts';

declare module '../../src/bus/types.ts' {
  interface BusEventMap {
    'test.typed': { readonly n: number };
  }
}

function makeBus(options: Partial<ConstructorParameters<typeof Bus>[0]> = {}) {
  const clock = new SimulatedClock(1_000);
  const bus = new Bus({ clock, source: 'test', ...options });
  return { bus, clock };
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

describe('Bus publish/subscribe', () => {
  it('stamps envelopes with deterministic ids, the clock time, source and correlation', () => {
    const { bus, clock } = makeBus();
    clock.advanceTo(5_000);
    const first = bus.publish(topics.system('a'), 'system.started', { ok: true });
    const second = bus.publish(topics.system('a'), 'system.ticked', 1, {
      correlationId: first.id,
      causationId: first.id,
    });
    expect(first).toEqual({
      id: 'test-evt-1',
      type: 'system.started',
      version: 1,
      ts: 5_000,
      source: 'test',
      topic: 'system.a',
      correlationId: undefined,
      causationId: undefined,
      payload: { ok: true },
    });
    expect(second.id).toBe('test-evt-2');
    expect(second.correlationId).toBe('test-evt-1');
    expect(second.causationId).toBe('test-evt-1');
  });

  it('uses a shared IdGenerator when given one', () => {
    const ids = new IdGenerator('desk');
    const { bus } = makeBus({ ids });
    ids.next('evt');
    expect(bus.publish(topics.system('a'), 'x', null).id).toBe('desk-evt-2');
  });

  it('delivers to matching subscribers only, in subscription order', () => {
    const { bus } = makeBus();
    const seen: string[] = [];
    bus.subscribe('data.>', () => seen.push('all-data'));
    bus.subscribe('data.book.*.*', () => seen.push('books'));
    bus.subscribe('data.trade.>', () => seen.push('trades'));
    bus.subscribe('>', () => seen.push('everything'));
    bus.publish(topics.data('book', 'binance', 'BTCUSDT'), 'book.delta', {});
    expect(seen).toEqual(['all-data', 'books', 'everything']);
    seen.length = 0;
    bus.publish(topics.system('fill'), 'fill', {});
    expect(seen).toEqual(['everything']);
  });

  it('delivers the same sequence to every subscriber for any interleaving of (un)subscribes and publishes', () => {
    type Op =
      | { kind: 'sub'; pattern: string }
      | { kind: 'unsub'; index: number }
      | { kind: 'pub'; topic: string };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('sub' as const),
        pattern: fc.constantFrom('a.>', 'a.*', '*.b', '>', 'a.b', 'c'),
      }),
      fc.record({ kind: fc.constant('unsub' as const), index: fc.nat(10) }),
      fc.record({
        kind: fc.constant('pub' as const),
        topic: fc.constantFrom('a.b', 'a.c', 'c', 'c.b', 'a.b.c'),
      }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { bus } = makeBus();
        const live: { pattern: string; got: string[]; expected: string[]; off: () => void; on: boolean }[] =
          [];
        for (const op of ops) {
          if (op.kind === 'sub') {
            const entry = {
              pattern: op.pattern,
              got: [] as string[],
              expected: [] as string[],
              off: () => {},
              on: true,
            };
            entry.off = bus.subscribe(op.pattern, (e) => entry.got.push(e.id));
            live.push(entry);
          } else if (op.kind === 'unsub') {
            const entry = live[op.index];
            if (entry !== undefined) {
              entry.off();
              entry.on = false;
            }
          } else {
            const envelope = bus.publish(op.topic, 't', null);
            for (const entry of live) {
              if (entry.on && matchesByHand(entry.pattern, op.topic)) entry.expected.push(envelope.id);
            }
          }
        }
        for (const entry of live) expect(entry.got).toEqual(entry.expected);
      }),
    );
  });

  it('delivers messages published from inside a handler after the current one, so all subscribers agree on order', () => {
    const { bus } = makeBus();
    const first: string[] = [];
    const second: string[] = [];
    bus.subscribe('>', (e) => first.push(e.type));
    bus.subscribe('cause', () => bus.publish('effect', 'effect', null));
    bus.subscribe('>', (e) => second.push(e.type));
    bus.publish('cause', 'cause', null);
    expect(first).toEqual(['cause', 'effect']);
    expect(second).toEqual(['cause', 'effect']);
  });

  it('stops delivering to a subscriber as soon as it unsubscribes, even mid-dispatch', () => {
    const { bus } = makeBus();
    const seen: string[] = [];
    let offB = () => {};
    bus.subscribe('x', () => {
      seen.push('a');
      offB();
    });
    offB = bus.subscribe('x', () => seen.push('b'));
    bus.publish('x', 't', null);
    bus.publish('x', 't', null);
    expect(seen).toEqual(['a', 'a']);
  });

  it('picks up a new subscriber on a topic that was already published (route cache invalidated)', () => {
    const { bus } = makeBus();
    let count = 0;
    bus.publish('x.y', 't', null);
    bus.subscribe('x.*', () => count++);
    bus.publish('x.y', 't', null);
    expect(count).toBe(1);
  });

  it('rejects invalid topics and patterns with a coded error', () => {
    const { bus } = makeBus();
    expect(() => bus.publish('a.*', 't', null)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_BUS_TOPIC_INVALID' }),
    );
    expect(() => bus.subscribe('a.>.b', () => {})).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_BUS_TOPIC_INVALID' }),
    );
  });

  it('types payloads of known message types', () => {
    const { bus } = makeBus();
    const envelope = bus.publish('t', 'test.typed', { n: 1 });
    expect(envelope.payload.n).toBe(1);
    // @ts-expect-error payload of 'test.typed' must be { n: number }
    bus.publish('t', 'test.typed', { n: 'one' });
  });
});

describe('Bus failure isolation', () => {
  it('keeps delivering to the others when a subscriber throws, and records the failure', () => {
    const reported: DeadLetter[] = [];
    const { bus } = makeBus({ onSubscriberError: (f) => reported.push(f) });
    const seen: number[] = [];
    bus.subscribe('x', () => seen.push(1));
    bus.subscribe(
      'x',
      () => {
        throw new Error('boom');
      },
      { name: 'broken' },
    );
    bus.subscribe('x', () => seen.push(3));
    const envelope = bus.publish('x', 't', 'p');
    expect(seen).toEqual([1, 3]);
    const stats = bus.stats();
    expect(stats.failures).toBe(1);
    expect(stats.delivered).toBe(3);
    expect(stats.subscribers.map((s) => [s.name, s.failures])).toEqual([
      ['x#1', 0],
      ['broken', 1],
      ['x#3', 0],
    ]);
    expect(stats.deadLetters).toBe(1);
    expect(bus.deadLetters()[0]).toMatchObject({ subscriber: 'broken', envelope, async: false });
    expect(reported).toHaveLength(1);
    expect((reported[0]?.error as Error | undefined)?.message).toBe('boom');
  });

  it('counts a rejected promise from an async subscriber as a failure', async () => {
    const { bus } = makeBus();
    bus.subscribe(
      'x',
      async () => {
        throw new Error('later');
      },
      { name: 'async' },
    );
    bus.publish('x', 't', null);
    await Promise.resolve();
    await Promise.resolve();
    expect(bus.stats().subscribers[0]?.failures).toBe(1);
    expect(bus.deadLetters()[0]).toMatchObject({ subscriber: 'async', async: true });
  });

  it('bounds the dead-letter list, dropping the oldest and counting what overflowed', () => {
    const { bus } = makeBus({ maxDeadLetters: 3 });
    bus.subscribe('x', (e: Envelope<number>) => {
      throw new Error(String(e.payload));
    });
    for (let i = 0; i < 5; i++) bus.publish('x', 't', i);
    const stats = bus.stats();
    expect(stats.deadLetters).toBe(3);
    expect(stats.deadLettersDropped).toBe(2);
    expect(stats.failures).toBe(5);
    expect(bus.deadLetters().map((d) => d.envelope.payload)).toEqual([2, 3, 4]);
    expect(bus.drainDeadLetters()).toHaveLength(3);
    expect(bus.stats().deadLetters).toBe(0);
  });

  it('survives a hook that throws', () => {
    const { bus } = makeBus({
      onSubscriberError: () => {
        throw new Error('hook');
      },
    });
    let after = 0;
    bus.subscribe('x', () => {
      throw new Error('x');
    });
    bus.subscribe('x', () => after++);
    bus.publish('x', 't', null);
    expect(after).toBe(1);
  });

  it('counts a slow subscriber', () => {
    const { bus } = makeBus({ slowHandlerMs: 1 });
    bus.subscribe(
      'x',
      () => {
        const until = performance.now() + 3;
        while (performance.now() < until) {}
      },
      { name: 'slow' },
    );
    bus.subscribe('x', () => {}, { name: 'fast' });
    bus.publish('x', 't', null);
    const stats = bus.stats();
    expect(stats.slowDeliveries).toBe(1);
    expect(stats.subscribers.map((s) => s.slow)).toEqual([1, 0]);
  });

  it('rejects bad options with a coded error', () => {
    expect(() => makeBus({ maxDeadLetters: -1 })).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_BUS_OPTIONS_INVALID' }),
    );
  });
});

describe('Bus request/reply', () => {
  it('resolves with the handler reply, sync or async', async () => {
    const { bus } = makeBus();
    bus.handle(topics.rpc('math', 'double'), (n: number) => n * 2);
    bus.handle(topics.rpc('math', 'half'), async (n: number) => n / 2);
    await expect(bus.request(topics.rpc('math', 'double'), 21, { timeoutMs: 10 })).resolves.toBe(42);
    await expect(bus.request(topics.rpc('math', 'half'), 21, { timeoutMs: 10 })).resolves.toBe(10.5);
  });

  it('passes a request envelope whose correlation id defaults to its own id', async () => {
    const { bus } = makeBus();
    let seen: Envelope | undefined;
    bus.handle('rpc.a.b', (_p, e) => {
      seen = e;
      return null;
    });
    await bus.request('rpc.a.b', 'p', { timeoutMs: 1 });
    expect(seen).toMatchObject({
      id: 'test-req-1',
      correlationId: 'test-req-1',
      topic: 'rpc.a.b',
      ts: 1_000,
    });
  });

  it('rejects at once with CONCORD_ERR_BUS_NO_HANDLER when nobody handles the topic', async () => {
    const { bus } = makeBus();
    const off = bus.handle('rpc.a.b', () => 1);
    off();
    await expect(bus.request('rpc.a.b', null, { timeoutMs: 10 })).rejects.toMatchObject({
      code: 'CONCORD_ERR_BUS_NO_HANDLER',
    });
  });

  it('rejects with CONCORD_ERR_BUS_HANDLER_FAILED when the handler throws or rejects', async () => {
    const { bus } = makeBus();
    bus.handle('rpc.sync.fail', () => {
      throw new Error('nope');
    });
    bus.handle('rpc.async.fail', async () => {
      throw new Error('nope later');
    });
    const sync = await bus.request('rpc.sync.fail', null, { timeoutMs: 10 }).catch((e: unknown) => e);
    expect(codeOf(sync)).toBe('CONCORD_ERR_BUS_HANDLER_FAILED');
    expect((sync as Error).cause).toBeInstanceOf(Error);
    await expect(bus.request('rpc.async.fail', null, { timeoutMs: 10 })).rejects.toMatchObject({
      code: 'CONCORD_ERR_BUS_HANDLER_FAILED',
    });
  });

  it('times out on the injected clock, and ignores a late reply', async () => {
    const { bus, clock } = makeBus();
    let answer: (value: string) => void = () => {};
    bus.handle('rpc.slow.op', () => new Promise<string>((resolve) => (answer = resolve)));
    const pending = bus.request('rpc.slow.op', null, { timeoutMs: 50 });
    let outcome: unknown = 'pending';
    pending.then(
      (v) => (outcome = v),
      (e: unknown) => (outcome = codeOf(e)),
    );
    clock.advanceBy(49);
    await Promise.resolve();
    expect(outcome).toBe('pending');
    clock.advanceBy(1);
    await Promise.resolve();
    expect(outcome).toBe('CONCORD_ERR_BUS_REQUEST_TIMEOUT');
    answer('too late');
    await Promise.resolve();
    expect(outcome).toBe('CONCORD_ERR_BUS_REQUEST_TIMEOUT');
  });

  it('clears the timeout timer once a reply arrives', async () => {
    const { bus, clock } = makeBus();
    bus.handle('rpc.a.b', async () => 'ok');
    await expect(bus.request('rpc.a.b', null, { timeoutMs: 50 })).resolves.toBe('ok');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refuses a second handler on the same topic and a non-positive timeout', async () => {
    const { bus } = makeBus();
    bus.handle('rpc.a.b', () => 1);
    expect(() => bus.handle('rpc.a.b', () => 2)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_BUS_HANDLER_EXISTS' }),
    );
    await expect(bus.request('rpc.a.b', null, { timeoutMs: 0 })).rejects.toMatchObject({
      code: 'CONCORD_ERR_BUS_OPTIONS_INVALID',
    });
  });
});

/** Independent of src/bus/match.ts on purpose. */
function matchesByHand(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (t[i] === undefined || (p[i] !== '*' && p[i] !== t[i])) return false;
  }
  return p.length === t.length;
}
