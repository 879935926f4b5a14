/**
 * Concord's sandbox market: one latent BTC price seen by several venues, each
 * through its own lag, idiosyncratic noise, spread and depth profile, so that
 * cross-venue dislocations happen for real (and briefly exceed taker fees).
 *
 * The latent log price is a random walk with Poisson jumps whose volatility
 * switches between regimes (calm / normal / stressed) by a Markov chain.
 * Everything is drawn from `Random` streams forked per component, so the same
 * seed gives the same event stream, byte for byte.
 *
 * Book levels sit on a fixed per-venue price lattice (multiples of
 * `levelStepTicks`), so a small move shifts the book by a level or two and a
 * delta carries only the levels that changed. Prices and sizes are integers of
 * ticks and lots internally, turned into floats (exactly the nearest double to
 * the decimal value) only when an event is built.
 *
 * It is a market source (the model's `MarketSource`) that never ends: each `next()` is one step
 * of `tickMs`. `syntheticSteps` bounds it (a recording of a given length).
 */
import { ConcordError, Decimal, Random } from '../../core/index.ts';
import {
  type BookDelta,
  type BookSnapshot,
  type InstrumentId,
  instrumentId,
  type Level,
  type MarketBatch,
  type MarketEvent,
  type MarketSource,
  type SpotInstrument,
  spotInstrument,
  type TradeTick,
  type VenueId,
} from '../../model/index.ts';
import { SandboxDex, type SandboxDexOptions } from './amm-pools.ts';

export type Regime = 'calm' | 'normal' | 'stressed';

export interface RegimeParams {
  /** Diffusive volatility of the latent log price, in bp per √second. */
  readonly volBpPerSqrtSec: number;
  /** Poisson rate of jumps per second. */
  readonly jumpsPerSec: number;
  /** Standard deviation of a jump, in bp. */
  readonly jumpSdBp: number;
  /** Mean time spent in this regime before switching, in seconds. */
  readonly meanDurationSec: number;
}

export interface SyntheticVenueProfile {
  readonly id: VenueId;
  /** The venue sees the latent price as it was this many ms ago (rounded to the step). */
  readonly lagMs: number;
  /** Stationary standard deviation of the venue's own mean-reverting noise, in bp. */
  readonly noiseBp: number;
  readonly noiseHalfLifeMs: number;
  /** Minimum distance from the venue's mid to its best bid / ask, in bp. */
  readonly halfSpreadBp: number;
  /** Distance between adjacent book levels, in ticks. */
  readonly levelStepTicks: number;
  /** Levels on each side. */
  readonly levels: number;
  /** Typical size at the touch, in base units. */
  readonly touchSize: number;
  /** Level i has about touchSize × (1 + sizeGrowth × i). */
  readonly sizeGrowth: number;
  /** Probability per level per step that its size is redrawn. */
  readonly refreshProbability: number;
  readonly tradesPerSec: number;
  /** Event timestamps are the step time plus a draw in [0, jitterMs); must be below tickMs. */
  readonly jitterMs: number;
  readonly makerFee: number;
  readonly takerFee: number;
}

export interface SyntheticInstrumentSpec {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minNotional: string;
}

export interface SyntheticMarketOptions {
  readonly seed: number | string;
  readonly startTs: number;
  /** Simulated time between steps, in ms (default 100). */
  readonly tickMs?: number;
  readonly venues?: readonly SyntheticVenueProfile[];
  readonly instrument?: SyntheticInstrumentSpec;
  readonly initialPrice?: number;
  readonly initialRegime?: Regime;
  readonly regimes?: Readonly<Record<Regime, RegimeParams>>;
  /**
   * AMM pools of the pair on a sandbox chain (amm-pools.ts), following the latent price with a
   * lag. Off unless given (recordings and backtests keep their CEX-only stream).
   */
  readonly dex?: SandboxDexOptions;
}

export const DEFAULT_REGIMES: Readonly<Record<Regime, RegimeParams>> = Object.freeze({
  calm: { volBpPerSqrtSec: 0.8, jumpsPerSec: 1 / 300, jumpSdBp: 8, meanDurationSec: 180 },
  normal: { volBpPerSqrtSec: 1.5, jumpsPerSec: 1 / 60, jumpSdBp: 15, meanDurationSec: 240 },
  stressed: { volBpPerSqrtSec: 4, jumpsPerSec: 1 / 15, jumpSdBp: 30, meanDurationSec: 60 },
});

export const DEFAULT_SYNTHETIC_INSTRUMENT: SyntheticInstrumentSpec = Object.freeze({
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.0001',
  minNotional: '10',
});

export const DEFAULT_SYNTHETIC_VENUES: readonly SyntheticVenueProfile[] = Object.freeze([
  {
    id: 'sim-a',
    lagMs: 0,
    noiseBp: 1.5,
    noiseHalfLifeMs: 2000,
    halfSpreadBp: 0.5,
    levelStepTicks: 50,
    levels: 20,
    touchSize: 0.25,
    sizeGrowth: 0.35,
    refreshProbability: 0.04,
    tradesPerSec: 3,
    jitterMs: 5,
    makerFee: 0.0002,
    takerFee: 0.0005,
  },
  {
    id: 'sim-b',
    lagMs: 300,
    noiseBp: 2.5,
    noiseHalfLifeMs: 3000,
    halfSpreadBp: 1,
    levelStepTicks: 100,
    levels: 20,
    touchSize: 0.15,
    sizeGrowth: 0.5,
    refreshProbability: 0.04,
    tradesPerSec: 2,
    jitterMs: 15,
    makerFee: 0.0001,
    takerFee: 0.0007,
  },
  {
    id: 'sim-c',
    lagMs: 800,
    noiseBp: 3.5,
    noiseHalfLifeMs: 5000,
    halfSpreadBp: 1.5,
    levelStepTicks: 200,
    levels: 20,
    touchSize: 0.1,
    sizeGrowth: 0.6,
    refreshProbability: 0.04,
    tradesPerSec: 1,
    jitterMs: 30,
    makerFee: 0,
    takerFee: 0.001,
  },
]);

const REGIME_ORDER: readonly Regime[] = ['calm', 'normal', 'stressed'];
const BP = 1e-4;

/** Exact integer/10^k representation of a grid step (0.01 → 1 / 100). */
interface Grid {
  readonly numerator: number;
  readonly denominator: number;
  /** Step as a float, for converting floats into grid units. */
  readonly step: number;
}

function gridOf(step: Decimal): Grid {
  const places = step.decimalPlaces();
  const denominator = 10 ** places;
  return {
    numerator: Number(step.units / 10n ** BigInt(18 - places)),
    denominator,
    step: Number(step.toString()),
  };
}

/** Grid units → the double nearest the exact decimal value (one correctly rounded division). */
function fromGrid(units: number, grid: Grid): number {
  return (units * grid.numerator) / grid.denominator;
}

class VenueState {
  readonly instrumentId: InstrumentId;
  readonly random: Random;
  readonly lagSteps: number;
  /** AR(1) coefficient and innovation scale of the noise, per step. */
  readonly noiseDecay: number;
  readonly noiseInnovation: number;
  readonly tradeProbability: number;
  noise = 0;
  sequence = 0;
  tradeCount = 0;
  initialised = false;
  /** Best level of each side, in ticks; level i is `top ∓ i × step`. */
  bidTop = 0;
  askTop = 0;
  bidLots: Float64Array;
  askLots: Float64Array;
  /** Scratch buffers for the next step's sizes (swapped in after diffing). */
  nextBidLots: Float64Array;
  nextAskLots: Float64Array;
  /** Timestamp of this step's events. */
  ts = 0;
  /** Typical lots per level, by level index. */
  readonly typicalLots: Float64Array;

  constructor(
    readonly profile: SyntheticVenueProfile,
    symbol: string,
    root: Random,
    tickMs: number,
    lot: Grid,
  ) {
    this.instrumentId = instrumentId(profile.id, symbol);
    this.random = root.fork(`venue:${profile.id}`);
    this.lagSteps = Math.round(profile.lagMs / tickMs);
    this.noiseDecay = profile.noiseHalfLifeMs > 0 ? 0.5 ** (tickMs / profile.noiseHalfLifeMs) : 0;
    this.noiseInnovation = profile.noiseBp * BP * Math.sqrt(1 - this.noiseDecay * this.noiseDecay);
    this.tradeProbability = Math.min(1, (profile.tradesPerSec * tickMs) / 1000);
    const n = profile.levels;
    this.bidLots = new Float64Array(n);
    this.askLots = new Float64Array(n);
    this.nextBidLots = new Float64Array(n);
    this.nextAskLots = new Float64Array(n);
    this.typicalLots = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.typicalLots[i] = Math.max(1, (profile.touchSize * (1 + profile.sizeGrowth * i)) / lot.step);
    }
  }

  drawLots(level: number): number {
    // 0.5×..1.5× the typical size, at least one lot.
    return Math.max(1, Math.round((this.typicalLots[level] as number) * (0.5 + this.random.next())));
  }
}

export class SyntheticMarket implements MarketSource {
  readonly tickMs: number;
  private readonly startTs: number;
  private readonly tick: Grid;
  private readonly lot: Grid;
  private readonly spec: SyntheticInstrumentSpec;
  private readonly regimeParams: Readonly<Record<Regime, RegimeParams>>;
  private readonly latentRandom: Random;
  private readonly regimeRandom: Random;
  private readonly venues: VenueState[];
  private readonly instrumentList: SpotInstrument[];
  /** The sandbox chain's pools, when the market has them. */
  readonly dex: SandboxDex | undefined;
  /** Ring buffer of past latent log prices, for the venues' lags. */
  private readonly history: Float64Array;
  private logPrice: number;
  /** The latent price is reflected above this, so the deepest bid level always stays positive. */
  private readonly floorLogPrice: number;
  private currentRegime: Regime;
  private stepIndex = 0;
  private readonly dtSec: number;
  /** Venue order within the current step (by timestamp), reused. */
  private readonly order: number[];

  constructor(options: SyntheticMarketOptions) {
    this.tickMs = options.tickMs ?? 100;
    this.startTs = options.startTs;
    this.spec = options.instrument ?? DEFAULT_SYNTHETIC_INSTRUMENT;
    this.regimeParams = options.regimes ?? DEFAULT_REGIMES;
    const profiles = options.venues ?? DEFAULT_SYNTHETIC_VENUES;
    const initialPrice = options.initialPrice ?? 60_000;
    validateOptions(options, this.tickMs, profiles, initialPrice, this.regimeParams);

    const root = new Random(options.seed);
    this.latentRandom = root.fork('latent');
    this.regimeRandom = root.fork('regime');
    this.dtSec = this.tickMs / 1000;
    this.currentRegime = options.initialRegime ?? 'normal';
    this.logPrice = Math.log(initialPrice);

    const instruments = profiles.map((p) =>
      spotInstrument({
        venue: p.id,
        symbol: this.spec.symbol,
        base: this.spec.base,
        quote: this.spec.quote,
        tickSize: this.spec.tickSize,
        lotSize: this.spec.lotSize,
        minNotional: this.spec.minNotional,
        makerFee: Decimal.fromNumberRounded(p.makerFee, 10),
        takerFee: Decimal.fromNumberRounded(p.takerFee, 10),
      }),
    );
    const first = instruments[0] as SpotInstrument;
    this.tick = gridOf(first.tickSize);
    this.lot = gridOf(first.lotSize);
    this.venues = profiles.map((p) => new VenueState(p, this.spec.symbol, root, this.tickMs, this.lot));
    this.dex =
      options.dex === undefined
        ? undefined
        : new SandboxDex(options.dex, this.spec, root, this.tickMs, initialPrice);
    this.instrumentList = this.dex === undefined ? instruments : [...instruments, ...this.dex.instruments()];
    const maxLag = this.venues.reduce((m, v) => Math.max(m, v.lagSteps), this.dex?.maxLagSteps ?? 0);
    this.history = new Float64Array(maxLag + 1).fill(this.logPrice);
    const deepest = profiles.reduce((m, p) => Math.max(m, p.levels * p.levelStepTicks), 0) * this.tick.step;
    this.floorLogPrice = Math.log(2 * deepest);
    if (this.logPrice <= this.floorLogPrice) {
      throw new ConcordError(
        'CONCORD_ERR_SYNTHETIC_MARKET_CONFIG',
        `synthetic market options are invalid: initialPrice ${initialPrice} must exceed twice the deepest book level (${2 * deepest})`,
        { details: { problems: ['initialPrice is too low for the venues’ depth'] } },
      );
    }
    this.order = this.venues.map((_, i) => i);
  }

  instruments(): SpotInstrument[] {
    return this.instrumentList.slice();
  }

  /** Simulated time of the next step. */
  now(): number {
    return this.startTs + this.stepIndex * this.tickMs;
  }

  steps(): number {
    return this.stepIndex;
  }

  regime(): Regime {
    return this.currentRegime;
  }

  latentPrice(): number {
    return Math.exp(this.logPrice);
  }

  /**
   * Advances one step and returns its events, sorted by timestamp (ties in venue
   * order): per venue a snapshot the first time, then a delta when a level
   * changed, preceded by a trade when one printed.
   */
  next(): MarketEvent[] {
    const stepTs = this.now();
    if (this.stepIndex > 0) this.advanceLatent();
    this.history[this.stepIndex % this.history.length] = this.logPrice;

    for (const venue of this.venues) {
      venue.ts = stepTs + Math.floor(venue.random.next() * venue.profile.jitterMs);
    }
    const venues = this.venues;
    this.order.sort((a, b) => (venues[a] as VenueState).ts - (venues[b] as VenueState).ts || a - b);

    const events: MarketEvent[] = [];
    // Pool updates first (at the step's time, before any CEX event): see amm-pools.ts.
    this.dex?.step(this.stepIndex, stepTs, this.laggedLog, events);
    for (const index of this.order) this.stepVenue(venues[index] as VenueState, events);
    this.stepIndex++;
    return events;
  }

  /** Runs `steps` steps, handing every event to `onEvent` in order. */
  run(steps: number, onEvent: (event: MarketEvent) => void): void {
    for (let s = 0; s < steps; s++) {
      for (const event of this.next()) onEvent(event);
    }
  }

  /** The next `steps` steps' events, one at a time. */
  *stream(steps: number): Generator<MarketEvent, void, undefined> {
    for (let s = 0; s < steps; s++) yield* this.next();
  }

  /** The venue's current full book as a snapshot event (for a late subscriber). */
  snapshot(venue: VenueId): BookSnapshot | undefined {
    const state = this.venues.find((v) => v.profile.id === venue);
    if (state === undefined || !state.initialised) return undefined;
    return this.snapshotOf(state);
  }

  /** The latent log price `lagSteps` steps ago (the initial price before the first steps). */
  private readonly laggedLog = (lagSteps: number): number => {
    const length = this.history.length;
    return this.history[(((this.stepIndex - lagSteps) % length) + length) % length] as number;
  };

  private advanceLatent(): void {
    const params = this.regimeParams[this.currentRegime];
    // Markov switch: leave the regime with probability dt / mean duration.
    if (this.regimeRandom.next() < this.dtSec / params.meanDurationSec) {
      this.currentRegime = nextRegime(this.currentRegime, this.regimeRandom);
    }
    const p = this.regimeParams[this.currentRegime];
    const random = this.latentRandom;
    let move = random.normal() * p.volBpPerSqrtSec * BP * Math.sqrt(this.dtSec);
    if (random.next() < p.jumpsPerSec * this.dtSec) move += random.normal() * p.jumpSdBp * BP;
    this.logPrice += move;
    if (this.logPrice < this.floorLogPrice) this.logPrice = 2 * this.floorLogPrice - this.logPrice;
  }

  private stepVenue(venue: VenueState, events: MarketEvent[]): void {
    const profile = venue.profile;
    const random = venue.random;
    venue.noise = venue.noise * venue.noiseDecay + random.normal() * venue.noiseInnovation;
    // Before the first `lagSteps` steps this reads a slot still holding the initial price.
    const length = this.history.length;
    const lagged = this.history[(((this.stepIndex - venue.lagSteps) % length) + length) % length];
    const mid = Math.exp((lagged as number) + venue.noise);
    const stepTicks = profile.levelStepTicks;
    const tickStep = this.tick.step;
    // Lattice points: the bid at or below mid×(1−h), the ask at or above mid×(1+h). Never crossed.
    const bidTop = Math.floor((mid * (1 - profile.halfSpreadBp * BP)) / tickStep / stepTicks) * stepTicks;
    const askTop = Math.ceil((mid * (1 + profile.halfSpreadBp * BP)) / tickStep / stepTicks) * stepTicks;

    if (!venue.initialised) {
      for (let i = 0; i < profile.levels; i++) {
        venue.bidLots[i] = venue.drawLots(i);
        venue.askLots[i] = venue.drawLots(i);
      }
      venue.bidTop = bidTop;
      venue.askTop = askTop;
      venue.initialised = true;
      events.push(this.snapshotOf(venue));
      return;
    }

    // Shift surviving levels (a level keeps its size when the lattice slides), draw new ones, refresh some.
    const bidShift = (venue.bidTop - bidTop) / stepTicks;
    const askShift = (askTop - venue.askTop) / stepTicks;
    shiftLots(venue, venue.bidLots, venue.nextBidLots, bidShift);
    shiftLots(venue, venue.askLots, venue.nextAskLots, askShift);

    let trade: TradeTick | undefined;
    if (random.next() < venue.tradeProbability) trade = this.printTrade(venue, bidTop, askTop);

    const bids = this.diffSide(venue.bidTop, venue.bidLots, bidTop, venue.nextBidLots, -stepTicks);
    const asks = this.diffSide(venue.askTop, venue.askLots, askTop, venue.nextAskLots, stepTicks);
    swapBuffers(venue);
    venue.bidTop = bidTop;
    venue.askTop = askTop;

    if (trade !== undefined) events.push(trade);
    if (bids.length > 0 || asks.length > 0) {
      venue.sequence++;
      const delta: BookDelta = {
        type: 'book.delta',
        ts: venue.ts,
        instrumentId: venue.instrumentId,
        firstSequence: venue.sequence,
        sequence: venue.sequence,
        bids,
        asks,
      };
      events.push(delta);
    }
  }

  /** A taker hits the touch: the trade prints there and the touch level shrinks (keeping at least a lot). */
  private printTrade(venue: VenueState, bidTop: number, askTop: number): TradeTick {
    const random = venue.random;
    const aggressor = random.next() < 0.5 ? 'buy' : 'sell';
    const lots = aggressor === 'buy' ? venue.nextAskLots : venue.nextBidLots;
    const touch = lots[0] as number;
    const taken = Math.max(1, Math.floor(touch * random.next() * 0.6));
    if (touch > taken) lots[0] = touch - taken;
    venue.tradeCount++;
    return {
      type: 'trade',
      ts: venue.ts,
      instrumentId: venue.instrumentId,
      price: fromGrid(aggressor === 'buy' ? askTop : bidTop, this.tick),
      size: fromGrid(taken, this.lot),
      aggressor,
      tradeId: `${venue.profile.id}-${venue.tradeCount}`,
    };
  }

  /** Changed levels between two lattice windows of one side; size 0 removes a level. */
  private diffSide(
    oldTop: number,
    oldLots: Float64Array,
    newTop: number,
    newLots: Float64Array,
    step: number,
  ): Level[] {
    const n = oldLots.length;
    const changes: Level[] = [];
    const offset = (newTop - oldTop) / step; // new index i is old index i + offset
    for (let j = 0; j < n; j++) {
      const i = j - offset;
      if (i < 0 || i >= n) changes.push([fromGrid(oldTop + j * step, this.tick), 0]);
    }
    for (let i = 0; i < n; i++) {
      const j = i + offset;
      const size = newLots[i] as number;
      if (j < 0 || j >= n || oldLots[j] !== size)
        changes.push([fromGrid(newTop + i * step, this.tick), fromGrid(size, this.lot)]);
    }
    return changes;
  }

  private snapshotOf(venue: VenueState): BookSnapshot {
    const step = venue.profile.levelStepTicks;
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let i = 0; i < venue.profile.levels; i++) {
      bids.push([
        fromGrid(venue.bidTop - i * step, this.tick),
        fromGrid(venue.bidLots[i] as number, this.lot),
      ]);
      asks.push([
        fromGrid(venue.askTop + i * step, this.tick),
        fromGrid(venue.askLots[i] as number, this.lot),
      ]);
    }
    if (venue.sequence === 0) venue.sequence = 1;
    return {
      type: 'book.snapshot',
      ts: venue.ts,
      instrumentId: venue.instrumentId,
      sequence: venue.sequence,
      bids,
      asks,
    };
  }
}

/** Fills `next` from `current` moved by `shift` levels (new i = old i + shift), drawing fresh sizes for new levels. */
function shiftLots(venue: VenueState, current: Float64Array, next: Float64Array, shift: number): void {
  const n = current.length;
  const refresh = venue.profile.refreshProbability;
  for (let i = 0; i < n; i++) {
    const j = i + shift;
    next[i] = j >= 0 && j < n ? (current[j] as number) : venue.drawLots(i);
    if (venue.random.next() < refresh) next[i] = venue.drawLots(i);
  }
}

function swapBuffers(venue: VenueState): void {
  const bids = venue.bidLots;
  venue.bidLots = venue.nextBidLots;
  venue.nextBidLots = bids;
  const asks = venue.askLots;
  venue.askLots = venue.nextAskLots;
  venue.nextAskLots = asks;
}

function nextRegime(current: Regime, random: Random): Regime {
  if (current === 'normal') return random.next() < 0.7 ? 'calm' : 'stressed';
  return 'normal';
}

function validateOptions(
  options: SyntheticMarketOptions,
  tickMs: number,
  venues: readonly SyntheticVenueProfile[],
  initialPrice: number,
  regimes: Readonly<Record<Regime, RegimeParams>>,
): void {
  const problems: string[] = [];
  const positive = (value: number, path: string) => {
    if (!(value > 0) || !Number.isFinite(value)) problems.push(`${path} must be a positive finite number`);
  };
  const nonNegative = (value: number, path: string) => {
    if (!(value >= 0) || !Number.isFinite(value)) problems.push(`${path} must be a finite number ≥ 0`);
  };
  if (!Number.isFinite(options.startTs)) problems.push('startTs must be a finite number of ms');
  positive(tickMs, 'tickMs');
  positive(initialPrice, 'initialPrice');
  if (venues.length === 0) problems.push('venues must list at least one venue');
  const ids = new Set<string>();
  venues.forEach((v, k) => {
    const at = `venues[${k}]`;
    if (ids.has(v.id)) problems.push(`${at}.id "${v.id}" is used twice`);
    ids.add(v.id);
    nonNegative(v.lagMs, `${at}.lagMs`);
    nonNegative(v.noiseBp, `${at}.noiseBp`);
    nonNegative(v.noiseHalfLifeMs, `${at}.noiseHalfLifeMs`);
    positive(v.halfSpreadBp, `${at}.halfSpreadBp`);
    if (!Number.isInteger(v.levelStepTicks) || v.levelStepTicks < 1)
      problems.push(`${at}.levelStepTicks must be an integer ≥ 1`);
    if (!Number.isInteger(v.levels) || v.levels < 1) problems.push(`${at}.levels must be an integer ≥ 1`);
    positive(v.touchSize, `${at}.touchSize`);
    nonNegative(v.sizeGrowth, `${at}.sizeGrowth`);
    nonNegative(v.refreshProbability, `${at}.refreshProbability`);
    nonNegative(v.tradesPerSec, `${at}.tradesPerSec`);
    nonNegative(v.jitterMs, `${at}.jitterMs`);
    if (v.jitterMs >= tickMs)
      problems.push(`${at}.jitterMs must be below tickMs (${tickMs}) so steps never interleave`);
  });
  for (const r of REGIME_ORDER) {
    const p = regimes[r];
    if (p === undefined) {
      problems.push(`regimes.${r} is missing`);
      continue;
    }
    nonNegative(p.volBpPerSqrtSec, `regimes.${r}.volBpPerSqrtSec`);
    nonNegative(p.jumpsPerSec, `regimes.${r}.jumpsPerSec`);
    nonNegative(p.jumpSdBp, `regimes.${r}.jumpSdBp`);
    positive(p.meanDurationSec, `regimes.${r}.meanDurationSec`);
  }
  if (problems.length > 0) {
    throw new ConcordError(
      'CONCORD_ERR_SYNTHETIC_MARKET_CONFIG',
      `synthetic market options are invalid: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    );
  }
}

/** The market as a source that is done after `steps` steps; `taken()` says how many it gave. */
export function syntheticSteps(market: SyntheticMarket, steps: number): MarketSource & { taken(): number } {
  let taken = 0;
  return {
    instruments: () => market.instruments(),
    next: (): MarketBatch | undefined => {
      if (taken >= steps) return undefined;
      taken++;
      return market.next();
    },
    taken: () => taken,
  };
}
