/**
 * Time is injected. Nothing outside this file reads the wall clock or schedules
 * timers directly (checked by scripts/check-conventions.ts), so a simulated run
 * is deterministic and can go faster than real time.
 *
 * Times are milliseconds since the Unix epoch (UTC), possibly fractional.
 */
import { ConcordError } from './errors.ts';

export type TimerHandle = number;

export interface Clock {
  readonly kind: 'live' | 'simulated';
  now(): number;
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  setInterval(fn: () => void, periodMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Resolves after `delayMs` of this clock's time. */
  sleep(delayMs: number): Promise<void>;
}

/** Monotonic high-resolution time in nanoseconds, for measuring durations only (never journaled). */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** Monotonic time in milliseconds (float), for deadlines on real work. Never journaled. */
export function monotonicMs(): number {
  return performance.now();
}

/** The longest delay Node's timers hold (a signed 32-bit number of ms). */
export const MAX_NODE_TIMER_MS = 2 ** 31 - 1;

export class LiveClock implements Clock {
  readonly kind = 'live' as const;
  private nextHandle = 1;
  private readonly timers = new Map<TimerHandle, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    if (Number.isNaN(delayMs)) {
      throw new ConcordError('CONCORD_ERR_CLOCK', 'timer delay must be a number of ms, not NaN', {
        details: { delayMs },
      });
    }
    const handle = this.nextHandle++;
    this.arm(handle, Math.max(0, delayMs), () => {
      this.timers.delete(handle);
      fn();
    });
    return handle;
  }

  setInterval(fn: () => void, periodMs: number): TimerHandle {
    assertPeriod(periodMs);
    const handle = this.nextHandle++;
    if (periodMs <= MAX_NODE_TIMER_MS) this.timers.set(handle, setInterval(fn, periodMs));
    else {
      const again = () => {
        this.arm(handle, periodMs, again);
        fn();
      };
      this.arm(handle, periodMs, again);
    }
    return handle;
  }

  /**
   * Node fires a timer longer than 2^31 − 1 ms after 1 ms (with only a warning): longer delays
   * are waited out in hops under the same handle. An infinite delay never fires.
   */
  private arm(handle: TimerHandle, delayMs: number, fire: () => void): void {
    if (delayMs <= MAX_NODE_TIMER_MS) {
      this.timers.set(handle, setTimeout(fire, delayMs));
      return;
    }
    this.timers.set(
      handle,
      setTimeout(() => this.arm(handle, delayMs - MAX_NODE_TIMER_MS, fire), MAX_NODE_TIMER_MS),
    );
  }

  clearTimer(handle: TimerHandle): void {
    const t = this.timers.get(handle);
    if (t !== undefined) {
      clearTimeout(t);
      clearInterval(t);
      this.timers.delete(handle);
    }
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }
}

interface SimTimer {
  handle: TimerHandle;
  due: number;
  seq: number;
  period: number | undefined;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in (due time, creation order),
 * so two runs with the same inputs fire the same timers in the same order.
 */
export class SimulatedClock implements Clock {
  readonly kind = 'simulated' as const;
  private current: number;
  private nextHandle = 1;
  private seq = 0;
  private readonly timers = new Map<TimerHandle, SimTimer>();

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) {
      throw new ConcordError('CONCORD_ERR_CLOCK', 'simulated clock start must be a finite number of ms', {
        details: { startMs },
      });
    }
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, Math.max(0, delayMs), undefined);
  }

  setInterval(fn: () => void, periodMs: number): TimerHandle {
    assertPeriod(periodMs);
    return this.add(fn, periodMs, periodMs);
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  /** Time of the next pending timer, or undefined. */
  nextDue(): number | undefined {
    let best: SimTimer | undefined;
    for (const t of this.timers.values()) if (best === undefined || before(t, best)) best = t;
    return best?.due;
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward to `targetMs`, firing every timer due on the way, in order.
   * Time never goes backwards: an earlier target is an error.
   */
  advanceTo(targetMs: number): void {
    if (!(targetMs >= this.current)) {
      throw new ConcordError('CONCORD_ERR_CLOCK', 'simulated time cannot go backwards', {
        details: { now: this.current, target: targetMs },
      });
    }
    for (;;) {
      let next: SimTimer | undefined;
      for (const t of this.timers.values()) {
        if (t.due <= targetMs && (next === undefined || before(t, next))) next = t;
      }
      if (next === undefined) break;
      this.current = next.due;
      if (next.period === undefined) this.timers.delete(next.handle);
      else {
        next.due += next.period;
        next.seq = this.seq++;
      }
      next.fn();
    }
    this.current = targetMs;
  }

  advanceBy(deltaMs: number): void {
    this.advanceTo(this.current + deltaMs);
  }

  private add(fn: () => void, delay: number, period: number | undefined): TimerHandle {
    const handle = this.nextHandle++;
    this.timers.set(handle, { handle, due: this.current + delay, seq: this.seq++, period, fn });
    return handle;
  }
}

function before(a: SimTimer, b: SimTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

function assertPeriod(periodMs: number): void {
  if (!(periodMs > 0) || !Number.isFinite(periodMs)) {
    throw new ConcordError('CONCORD_ERR_CLOCK', 'timer period must be a positive finite number of ms', {
      details: { periodMs },
    });
  }
}
