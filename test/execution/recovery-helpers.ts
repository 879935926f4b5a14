import type { SimulatedClock } from '../../src/core/index.ts';

/** Lets pending promise callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Awaits `work` while moving the simulated clock from timer to timer (sleeps resolve). */
export async function drive<T>(clock: SimulatedClock, work: Promise<T>, maxSteps = 10_000): Promise<T> {
  let settled = false;
  const tracked = work.finally(() => {
    settled = true;
  });
  tracked.catch(() => {});
  for (let i = 0; i < maxSteps; i++) {
    await flush();
    if (settled) return tracked;
    const next = clock.nextDue();
    if (next === undefined) {
      await flush();
      if (settled) return tracked;
      throw new Error('work is waiting on something other than the clock');
    }
    clock.advanceTo(Math.max(next, clock.now()));
  }
  throw new Error(`work did not settle within ${maxSteps} clock steps`);
}
