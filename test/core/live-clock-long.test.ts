/**
 * Node fires a timer longer than 2^31 − 1 ms after 1 ms. LiveClock waits such delays out in hops,
 * so a long deadline or interval from a config is honoured, never turned into "now".
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isConcordError, LiveClock, MAX_NODE_TIMER_MS } from '../../src/core/index.ts';

describe('LiveClock: delays beyond what a Node timer holds', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a timeout of 2^31 + 5000 ms then, not after 1 ms', () => {
    const clock = new LiveClock();
    let fired = 0;
    clock.setTimeout(() => fired++, MAX_NODE_TIMER_MS + 5001);
    vi.advanceTimersByTime(10);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(MAX_NODE_TIMER_MS);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(fired).toBe(1);
  });

  it('cancels a long timeout in any hop', () => {
    const clock = new LiveClock();
    let fired = 0;
    const handle = clock.setTimeout(() => fired++, 2 * MAX_NODE_TIMER_MS + 10);
    vi.advanceTimersByTime(MAX_NODE_TIMER_MS + 5);
    clock.clearTimer(handle);
    vi.advanceTimersByTime(2 * MAX_NODE_TIMER_MS);
    expect(fired).toBe(0);
  });

  it('repeats a long interval at its period, and stops when cleared from its callback', () => {
    const clock = new LiveClock();
    const period = MAX_NODE_TIMER_MS + 1000;
    let fired = 0;
    const handle = clock.setInterval(() => {
      fired++;
      if (fired === 2) clock.clearTimer(handle);
    }, period);
    vi.advanceTimersByTime(period - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    vi.advanceTimersByTime(period);
    expect(fired).toBe(2);
    vi.advanceTimersByTime(3 * period);
    expect(fired).toBe(2);
  });

  it('never fires an infinite delay, and refuses NaN', () => {
    const clock = new LiveClock();
    let fired = 0;
    clock.setTimeout(() => fired++, Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(4 * MAX_NODE_TIMER_MS);
    expect(fired).toBe(0);
    let error: unknown;
    try {
      clock.setTimeout(() => fired++, Number.NaN);
    } catch (err) {
      error = err;
    }
    expect(isConcordError(error, 'CONCORD_ERR_CLOCK')).toBe(true);
  });
});
