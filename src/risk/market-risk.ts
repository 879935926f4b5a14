/**
 * Marks, exposures and rolling returns for the portfolio-level rules.
 *
 * The engine feeds marks (`observePrice`, on market events). Returns are sampled on a fixed
 * time grid shared by every instrument (one sample per `sampleIntervalMs`, the simple return of
 * the last mark of the interval over the previous one), so samples of different instruments
 * line up and a covariance makes sense. The covariance and correlation matrices are rebuilt
 * at the first check after a sample closed (O(k²·N), at most once per sample, never per mark); a check costs O(k) for exposures, O(k²) for the
 * parametric VaR and correlation figures, and the historical VaR is O(1) unless the order moves
 * it near its limit (see `historicalVarAfter`).
 *
 * Exposure of an instrument = position × multiplier × mark, in the quote currency.
 */
import type { Instrument, InstrumentId, VenueId } from '../model/index.ts';
import type { ExposureFacts, MarketRiskReader, RiskOrder, RiskPortfolioView } from './types.ts';

/** One-sided 95% quantile of the standard normal. */
export const Z_95 = 1.6448536269514722;

export interface TrackedInstrumentSpec {
  readonly id: InstrumentId;
  readonly venue: VenueId;
  /** Base asset, the unit of concentration. */
  readonly asset: string;
  readonly multiplier: number;
}

interface Tracked extends TrackedInstrumentSpec {
  readonly index: number;
  mark: number;
  /** Mark at the end of the last closed sample. */
  sampleMark: number;
}

export class MutableExposureFacts implements ExposureFacts {
  mark = 0;
  orderExposure = 0;
  grossBefore = 0;
  grossAfter = 0;
  netBefore = 0;
  netAfter = 0;
  venueGrossBefore = 0;
  venueGrossAfter = 0;
  assetGrossBefore = 0;
  assetGrossAfter = 0;

  /** No usable price: every figure NaN, so no comparison passes. */
  unknown(): void {
    this.mark = Number.NaN;
    this.orderExposure = Number.NaN;
    this.grossBefore = Number.NaN;
    this.grossAfter = Number.NaN;
    this.netBefore = Number.NaN;
    this.netAfter = Number.NaN;
    this.venueGrossBefore = Number.NaN;
    this.venueGrossAfter = Number.NaN;
    this.assetGrossBefore = Number.NaN;
    this.assetGrossAfter = Number.NaN;
  }
}

/** The spec of an instrument from the model (contract size as multiplier). */
export function trackedSpecOf(instrument: Instrument): TrackedInstrumentSpec {
  const multiplier =
    instrument.kind === 'perpetual' || instrument.kind === 'future' ? instrument.contractSize.toNumber() : 1;
  return { id: instrument.id, venue: instrument.venue, asset: instrument.base, multiplier };
}

/** Best guess for an instrument never registered: base = symbol up to the first separator. */
function guessSpec(order: { instrumentId: InstrumentId; venue: VenueId; multiplier?: number }) {
  const symbol = order.instrumentId.slice(order.instrumentId.indexOf(':') + 1);
  const asset = symbol.split(/[-/_]/)[0] ?? symbol;
  return { id: order.instrumentId, venue: order.venue, asset, multiplier: order.multiplier ?? 1 };
}

export class MarketRisk implements MarketRiskReader {
  private readonly byId = new Map<InstrumentId, Tracked>();
  private list: Tracked[] = [];
  /** returns[i] is a ring of N samples for instrument i. */
  private returns: Float64Array[] = [];
  private sampleCount = 0;
  private nextSampleTs = Number.NaN;
  private primed = false;
  private cov = new Float64Array(0);
  private corr = new Float64Array(0);
  private maxAbsReturn = new Float64Array(0);
  /** Exposures before and after the order being checked. */
  private w = new Float64Array(0);
  private wAfter = new Float64Array(0);
  private scratch: Float64Array;
  // Historical VaR of the last exactly computed exposure vector (valid for `cachedAtSample`).
  private cachedW = new Float64Array(0);
  private cachedVar = Number.NaN;
  private cachedAtSample = -1;
  /**
   * The matrices and max |return| lag the samples until a check reads them: a sample closes on
   * every grid interval (every bar of a backtest) while orders are rare, so they are rebuilt
   * lazily, from the same samples, to the same values.
   */
  private matricesStale = true;

  constructor(
    readonly windowSamples: number,
    readonly sampleIntervalMs: number,
  ) {
    this.scratch = new Float64Array(windowSamples);
  }

  register(spec: TrackedInstrumentSpec): void {
    const existing = this.byId.get(spec.id);
    if (existing !== undefined) {
      const replaced: Tracked = {
        ...spec,
        index: existing.index,
        mark: existing.mark,
        sampleMark: existing.sampleMark,
      };
      this.byId.set(spec.id, replaced);
      this.list[existing.index] = replaced;
      return;
    }
    const t: Tracked = { ...spec, index: this.list.length, mark: Number.NaN, sampleMark: Number.NaN };
    this.byId.set(spec.id, t);
    this.list = [...this.list, t];
    this.returns.push(new Float64Array(this.windowSamples));
    const k = this.list.length;
    this.w = new Float64Array(k);
    this.wAfter = new Float64Array(k);
    this.maxAbsReturn = grow(this.maxAbsReturn, k);
    this.cov = new Float64Array(k * k);
    this.corr = new Float64Array(k * k);
    this.cachedAtSample = -1;
    this.matricesStale = true;
  }

  instruments(): readonly TrackedInstrumentSpec[] {
    return this.list;
  }

  markOf(id: InstrumentId): number | undefined {
    const m = this.byId.get(id)?.mark;
    return m === undefined || Number.isNaN(m) ? undefined : m;
  }

  /** A new mark; closes the return samples of every grid interval that ended before `ts`. */
  observePrice(id: InstrumentId, price: number, ts: number, venue?: VenueId): void {
    if (!(price > 0) || price === Number.POSITIVE_INFINITY) return;
    let t = this.byId.get(id);
    if (t === undefined) {
      this.register(
        guessSpec({ instrumentId: id, venue: venue ?? id.slice(0, Math.max(0, id.indexOf(':'))) }),
      );
      t = this.byId.get(id)!;
    }
    const interval = this.sampleIntervalMs;
    if (Number.isNaN(this.nextSampleTs)) this.nextSampleTs = (Math.floor(ts / interval) + 1) * interval;
    else if (ts >= this.nextSampleTs) {
      // The first interval only sets the reference marks: it has no previous close to return from.
      if (this.primed) this.closeSample();
      else {
        for (const x of this.list) if (!Number.isNaN(x.mark)) x.sampleMark = x.mark;
        this.primed = true;
      }
      this.nextSampleTs = (Math.floor(ts / interval) + 1) * interval;
    }
    t.mark = price;
    if (Number.isNaN(t.sampleMark)) t.sampleMark = price;
  }

  samples(): number {
    return Math.min(this.sampleCount, this.windowSamples);
  }

  /**
   * Fills `facts` for an order (live positions × marks). The order's own instrument is valued at
   * its mark, or the order's price when it has no mark yet.
   */
  prepare(
    order: RiskOrder,
    orderPrice: number,
    signedQuantity: number,
    portfolio: RiskPortfolioView,
    facts: MutableExposureFacts,
  ): void {
    let t = this.byId.get(order.instrumentId);
    if (t === undefined) {
      this.register(guessSpec(order));
      t = this.byId.get(order.instrumentId)!;
    }
    const list = this.list;
    const w = this.w;
    let gross = 0;
    let net = 0;
    let venueGross = 0;
    let assetGross = 0;
    for (let i = 0; i < list.length; i++) {
      const x = list[i]!;
      const q = portfolio.position(x.id);
      const mark = x === t && Number.isNaN(x.mark) ? orderPrice : x.mark;
      const e = q === 0 || Number.isNaN(mark) ? 0 : q * x.multiplier * mark;
      w[i] = e;
      const a = Math.abs(e);
      gross += a;
      net += e;
      if (x.venue === t.venue) venueGross += a;
      if (x.asset === t.asset) assetGross += a;
    }
    const mark = Number.isNaN(t.mark) ? orderPrice : t.mark;
    const delta = signedQuantity * t.multiplier * mark;
    const before = w[t.index]!;
    const after = before + delta;
    this.wAfter.set(w);
    this.wAfter[t.index] = after;
    const change = Math.abs(after) - Math.abs(before);
    facts.mark = mark;
    facts.orderExposure = delta;
    facts.grossBefore = gross;
    facts.grossAfter = gross + change;
    facts.netBefore = net;
    facts.netAfter = net + delta;
    facts.venueGrossBefore = venueGross;
    facts.venueGrossAfter = venueGross + change;
    facts.assetGrossBefore = assetGross;
    facts.assetGrossAfter = assetGross + change;
  }

  /**
   * 95% historical VaR of the exposures after the order: minus the 5% empirical quantile of
   * Σᵢ wᵢ·rᵢ(t) over the window. When `limit` is given and a cheap upper bound is already within
   * it, the bound is returned instead (each sample moves by at most Σ|Δwᵢ|·max|rᵢ|, so its
   * quantile does too); any figure above `limit` is exact.
   */
  historicalVarAfter(limit?: number): number {
    const n = this.samples();
    if (n === 0) return 0;
    if (this.matricesStale) this.rebuildMatrices();
    const w = this.wAfter;
    if (this.cachedAtSample === this.sampleCount && limit !== undefined) {
      let bound = this.cachedVar;
      for (let i = 0; i < w.length; i++)
        bound += Math.abs(w[i]! - (this.cachedW[i] ?? 0)) * this.maxAbsReturn[i]!;
      if (bound <= limit) return bound;
    }
    const s = this.scratch;
    for (let j = 0; j < n; j++) {
      let pnl = 0;
      for (let i = 0; i < w.length; i++) pnl += w[i]! * this.returns[i]![j]!;
      s[j] = pnl;
    }
    const rank = Math.max(0, Math.ceil(0.05 * n) - 1);
    const value = Math.max(0, -quickselect(s, n, rank));
    this.cachedW = Float64Array.from(w);
    this.cachedVar = value;
    this.cachedAtSample = this.sampleCount;
    return value;
  }

  /**
   * 95% VaR of the book as it stands (live positions × marks, no order): historical (minus the 5%
   * empirical quantile of Σᵢ wᵢ·rᵢ(t) over the window) and parametric (z₉₅·√(wᵀΣw)), over one
   * sample interval. Reads the window only: the per-order caches are left alone. Off the tick
   * path (operator surfaces call it).
   */
  bookVar(portfolio: Pick<RiskPortfolioView, 'position'>): {
    historical: number;
    parametric: number;
    samples: number;
  } {
    const k = this.list.length;
    const w = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const x = this.list[i]!;
      const q = portfolio.position(x.id);
      w[i] = q === 0 || Number.isNaN(x.mark) ? 0 : q * x.multiplier * x.mark;
    }
    const n = this.samples();
    let historical = 0;
    if (n > 0) {
      const s = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let pnl = 0;
        for (let i = 0; i < k; i++) pnl += w[i]! * this.returns[i]![j]!;
        s[j] = pnl;
      }
      historical = Math.max(0, -quickselect(s, n, Math.max(0, Math.ceil(0.05 * n) - 1)));
    }
    if (this.matricesStale) this.rebuildMatrices();
    const parametric = Z_95 * Math.sqrt(Math.max(0, quadratic(this.cov, w)));
    return { historical, parametric, samples: n };
  }

  parametricVarAfter(): number {
    if (this.matricesStale) this.rebuildMatrices();
    return Z_95 * Math.sqrt(Math.max(0, quadratic(this.cov, this.wAfter)));
  }

  correlatedExposureAfter(): number {
    if (this.matricesStale) this.rebuildMatrices();
    return Math.sqrt(Math.max(0, quadratic(this.corr, this.wAfter)));
  }

  private closeSample(): void {
    const slot = this.sampleCount % this.windowSamples;
    for (let i = 0; i < this.list.length; i++) {
      const t = this.list[i]!;
      const r = t.sampleMark > 0 && t.mark > 0 ? t.mark / t.sampleMark - 1 : 0;
      this.returns[i]![slot] = r;
      if (!Number.isNaN(t.mark)) t.sampleMark = t.mark;
    }
    this.sampleCount++;
    this.matricesStale = true;
  }

  /** Sample covariance (n − 1) and correlation of the window, and each instrument's largest |return|. */
  private rebuildMatrices(): void {
    this.matricesStale = false;
    const k = this.list.length;
    const n = this.samples();
    const means = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const r = this.returns[i]!;
      let sum = 0;
      let maxAbs = 0;
      for (let j = 0; j < n; j++) {
        sum += r[j]!;
        maxAbs = Math.max(maxAbs, Math.abs(r[j]!));
      }
      means[i] = n > 0 ? sum / n : 0;
      this.maxAbsReturn[i] = maxAbs;
    }
    for (let a = 0; a < k; a++) {
      for (let b = a; b < k; b++) {
        let c = 0;
        if (n > 1) {
          const ra = this.returns[a]!;
          const rb = this.returns[b]!;
          for (let j = 0; j < n; j++) c += (ra[j]! - means[a]!) * (rb[j]! - means[b]!);
          c /= n - 1;
        }
        this.cov[a * k + b] = c;
        this.cov[b * k + a] = c;
      }
    }
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        const va = this.cov[a * k + a]!;
        const vb = this.cov[b * k + b]!;
        // No variance (yet): an instrument is perfectly correlated with itself and with nothing else.
        this.corr[a * k + b] = a === b ? 1 : va > 0 && vb > 0 ? this.cov[a * k + b]! / Math.sqrt(va * vb) : 0;
      }
    }
  }
}

function grow(a: Float64Array, k: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(k);
  out.set(a.subarray(0, Math.min(a.length, k)));
  return out;
}

/** wᵀ M w for a k×k row-major matrix. */
function quadratic(m: Float64Array, w: Float64Array): number {
  const k = w.length;
  let total = 0;
  for (let a = 0; a < k; a++) {
    const wa = w[a]!;
    if (wa === 0) continue;
    let row = 0;
    for (let b = 0; b < k; b++) row += m[a * k + b]! * w[b]!;
    total += wa * row;
  }
  return total;
}

/** The `rank`-th smallest (0-based) of the first n values; reorders them. */
export function quickselect(a: Float64Array, n: number, rank: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const tmp = a[i]!;
        a[i] = a[j]!;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (rank <= j) hi = j;
    else if (rank >= i) lo = i;
    else return a[rank]!;
  }
  return a[rank]!;
}
