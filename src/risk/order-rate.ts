/**
 * Times of the orders the gate passed, per venue, in a small ring: enough to answer "were the
 * last N orders all inside the window?" in O(1) on the hot path.
 */
import type { VenueId } from '../model/index.ts';
import type { OrderRateReader } from './types.ts';

class Ring {
  readonly times: Float64Array;
  count = 0;
  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
  }
}

export class OrderRateTracker implements OrderRateReader {
  private readonly rings = new Map<VenueId, Ring>();

  /** `capacity` ≥ the largest N ever asked for (the rate limit's maxOrders). */
  constructor(private capacity: number) {}

  /** Forgets nothing but grows the rings when the limit is raised. */
  resize(capacity: number): void {
    if (capacity <= this.capacity) return;
    this.capacity = capacity;
    for (const [venue, ring] of this.rings) {
      const bigger = new Ring(capacity);
      const n = Math.min(ring.count, ring.times.length);
      for (let i = n; i >= 1; i--) this.pushInto(bigger, this.nthOf(ring, i));
      this.rings.set(venue, bigger);
    }
  }

  record(venue: VenueId, ts: number): void {
    let ring = this.rings.get(venue);
    if (ring === undefined) {
      ring = new Ring(Math.max(1, this.capacity));
      this.rings.set(venue, ring);
    }
    this.pushInto(ring, ts);
  }

  nthLatest(venue: VenueId, n: number): number {
    const ring = this.rings.get(venue);
    if (ring === undefined || n < 1 || n > ring.count || n > ring.times.length)
      return Number.NEGATIVE_INFINITY;
    return this.nthOf(ring, n);
  }

  countInWindow(venue: VenueId, now: number, windowMs: number, cap: number): number {
    let n = 0;
    while (n < cap && this.nthLatest(venue, n + 1) > now - windowMs) n++;
    return n;
  }

  private pushInto(ring: Ring, ts: number): void {
    ring.times[ring.count % ring.times.length] = ts;
    ring.count++;
  }

  private nthOf(ring: Ring, n: number): number {
    return ring.times[(ring.count - n) % ring.times.length]!;
  }
}
