/**
 * Volatility breaker, one per instrument. Prices are sampled on a time grid (`sampleMs`); each
 * sample's log return feeds a long-window EWMA of the squared return (the baseline σ). After a
 * warm-up, the breaker trips when, over the last `shortSamples` samples, either
 *   - the move |Σ r| exceeds `moveMultiple` · σ_base · √shortSamples (a jump), or
 *   - the realized σ √(mean r²) exceeds `volMultiple` · σ_base (a burst of churn).
 * σ_base is floored at `minBaselineVol` so a dead-flat market does not trip on its first tick.
 * The baseline is updated after each judgement, so a shock is judged against the calm before it.
 * In HALF_OPEN a calm sample closes it once the probes have been used or a cool-down has passed.
 */
import { type BreakerTransitionListener, CircuitBreaker, type CircuitSettings } from './circuit-breaker.ts';

export interface VolatilityBreakerSettings extends CircuitSettings {
  readonly sampleMs: number;
  readonly shortSamples: number;
  /** EWMA half-life of the baseline, in samples. */
  readonly baselineHalfLifeSamples: number;
  readonly warmupSamples: number;
  readonly moveMultiple: number;
  readonly volMultiple: number;
  /** Per-sample σ floor (1e-5 = 0.1 bp). */
  readonly minBaselineVol: number;
}

export const DEFAULT_VOLATILITY_BREAKER: VolatilityBreakerSettings = Object.freeze({
  sampleMs: 1000,
  shortSamples: 10,
  baselineHalfLifeSamples: 300,
  warmupSamples: 60,
  moveMultiple: 6,
  volMultiple: 4,
  minBaselineVol: 1e-5,
  cooldownMs: 60_000,
  probes: 3,
});

export class VolatilityMonitor {
  readonly breaker: CircuitBreaker;
  private readonly recent: Float64Array;
  private readonly alpha: number;
  private samples = 0;
  private baselineVar = 0;
  private last = Number.NaN;
  private sampleStart = Number.NaN;
  private nextSampleTs = Number.NaN;

  constructor(
    scope: string,
    readonly settings: VolatilityBreakerSettings,
    onTransition: BreakerTransitionListener,
  ) {
    this.breaker = new CircuitBreaker('volatility', scope, settings, onTransition);
    this.recent = new Float64Array(settings.shortSamples);
    this.alpha = 1 - 2 ** (-1 / settings.baselineHalfLifeSamples);
  }

  /** Baseline σ per sample (after the floor). */
  baselineVol(): number {
    return Math.max(Math.sqrt(this.baselineVar), this.settings.minBaselineVol);
  }

  sampleCount(): number {
    return this.samples;
  }

  observe(price: number, ts: number): void {
    if (!(price > 0) || price === Number.POSITIVE_INFINITY) return;
    const step = this.settings.sampleMs;
    if (Number.isNaN(this.nextSampleTs)) {
      this.sampleStart = price;
      this.nextSampleTs = (Math.floor(ts / step) + 1) * step;
    } else if (ts >= this.nextSampleTs) {
      // The sample closes on the last price of its interval, before this one.
      this.closeSample(Math.log(this.last / this.sampleStart), ts);
      this.sampleStart = this.last;
      this.nextSampleTs = (Math.floor(ts / step) + 1) * step;
    }
    this.last = price;
    this.breaker.poll(ts);
  }

  private closeSample(r: number, ts: number): void {
    const n = this.settings.shortSamples;
    this.recent[this.samples % n] = r;
    this.samples++;
    if (this.samples > this.settings.warmupSamples) this.judge(ts);
    // Plain average while warming up, then the EWMA.
    const a = Math.max(this.alpha, 1 / this.samples);
    this.baselineVar += a * (r * r - this.baselineVar);
  }

  private judge(ts: number): void {
    const n = Math.min(this.samples, this.settings.shortSamples);
    let move = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const r = this.recent[i]!;
      move += r;
      sq += r * r;
    }
    const base = this.baselineVol();
    const moveLimit = this.settings.moveMultiple * base * Math.sqrt(n);
    const realized = Math.sqrt(sq / n);
    const volLimit = this.settings.volMultiple * base;
    const numbers = {
      move_bps: round2(Math.abs(move) * 1e4),
      move_limit_bps: round2(moveLimit * 1e4),
      realized_vol_bps: round2(realized * 1e4),
      vol_limit_bps: round2(volLimit * 1e4),
      baseline_vol_bps: round2(base * 1e4),
    };
    if (Math.abs(move) > moveLimit) {
      this.breaker.trip(
        ts,
        `move over ${n} samples beyond ${this.settings.moveMultiple}σ of baseline`,
        numbers,
      );
    } else if (realized > volLimit) {
      this.breaker.trip(ts, `realized volatility beyond ${this.settings.volMultiple}× baseline`, numbers);
    } else {
      const b = this.breaker;
      b.poll(ts);
      if (
        b.state === 'HALF_OPEN' &&
        (b.probesUsed >= b.settings.probes || ts - b.halfOpenSince >= b.settings.cooldownMs)
      ) {
        b.recover(ts, 'volatility back within limits', numbers);
      }
    }
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
