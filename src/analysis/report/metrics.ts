/**
 * Backtest metrics: pure functions over plain float series (analytics may use floats, orders may
 * not — ADR 0003). Depends only on core and model so any mode can reuse it.
 *
 * Definitions (traders must be able to check every figure by hand):
 * - Period return `r_i = equity_i / equity_{i-1} − 1`, for consecutive equity samples; a sample
 *   whose previous equity is not positive gives no return (a return on nothing is undefined).
 * - `periodMs`: given, or the median gap between equity timestamps. `periodsPerYear` = given, or
 *   365 × 24 × 3600 × 1000 / periodMs.
 * - Sharpe = mean(r − rf/ppy) / std(r) × √ppy, with the sample standard deviation (n − 1).
 * - Sortino = mean(r − rf/ppy) / DD × √ppy with the downside deviation
 *   DD = √( Σ min(0, r − rf/ppy)² / n ) over ALL n periods (not only the losing ones).
 * - Ratios whose denominator is (numerically) zero are `null`, never ±Infinity: flat equity gives
 *   sharpe = null, no losing period gives sortino = null, no losing round trip gives
 *   profitFactor = null, no drawdown gives calmar = null. No NaN or Infinity is ever returned.
 * - Drawdown at a sample = (running peak − equity) / running peak over the equity series itself
 *   (the peak starts at the first sample, not at `initialEquity`); 0 while the peak is not positive.
 * - Round trip (per instrument, average-cost method of docs/pnl.md): starts when the position leaves
 *   0 and ends when it returns to 0. A fill that flips the position closes the trip at the fill price
 *   and opens a new one with the remainder; its fee is split pro rata by quantity. A trip's
 *   `netPnl = grossPnl − fees` (all fees of its fills); a win is `netPnl > 0`.
 * - Positions are floats: a position is flat when |q| ≤ 1e-9 × the largest fill quantity seen on that
 *   instrument, which absorbs float residue such as 0.1 + 0.2 − 0.3.
 * - annualizedReturn = (final / initialEquity)^(ppy / (samples − 1)) − 1: the equity series is taken
 *   to start at initialEquity; −1 once equity is wiped out; null for runs shorter than
 *   `minAnnualizedSpanMs` (30 days by default) or when it overflows. Calmar follows it.
 * - turnover = Σ |price × quantity × contractSize| / mean(equity samples).
 * - PnL is in quote currency: price × quantity × contractSize (contractSize defaults to 1).
 */
import { ConcordError } from '../../core/index.ts';
import type { InstrumentId } from '../../model/index.ts';

export const YEAR_MS = 365 * 24 * 3600 * 1000;
/** Below this a standard or downside deviation counts as zero (flat equity up to float noise). */
const ZERO_DEVIATION = 1e-12;
const FLAT_TOLERANCE = 1e-9;
export const DEFAULT_MIN_ANNUALIZED_SPAN_MS = 30 * 24 * 3600 * 1000;
export const UNATTRIBUTED_AGENT = '_unattributed';

export interface EquityPoint {
  readonly ts: number;
  readonly equity: number;
}

export type TradeSide = 'buy' | 'sell';

export interface BacktestTrade {
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly side: TradeSide;
  readonly price: number;
  /** Positive quantity; the side gives the sign. */
  readonly quantity: number;
  /** Fee in the equity currency (negative for a rebate). */
  readonly fee: number;
  /** Agents of the decision that produced the trade (PnL and fees are split equally). */
  readonly agentIds?: readonly string[];
  /** Realized PnL as booked by the portfolio; when absent the average-cost figure is used. */
  readonly realizedPnl?: number;
  /** Quote value of one unit of quantity (default 1). */
  readonly contractSize?: number;
}

/** Net position over all instruments at a time (any non-zero value counts as exposed). */
export interface PositionPoint {
  readonly ts: number;
  readonly position: number;
}

export interface BacktestSeries {
  /** One point per bar or per sample, ascending ts. */
  readonly equity: readonly EquityPoint[];
  /** Ascending ts. */
  readonly trades: readonly BacktestTrade[];
  readonly initialEquity: number;
  /** Sampling period; inferred from the equity timestamps when absent. */
  readonly periodMs?: number;
  /** Optional exposure series; derived from the trades when absent. */
  readonly positions?: readonly PositionPoint[];
}

export interface MetricsOptions {
  /** Annual risk-free rate as a fraction (default 0). */
  readonly riskFreeRate?: number;
  readonly periodsPerYear?: number;
  /**
   * Shortest run (first to last equity sample) whose return is annualized; shorter runs get
   * annualizedReturn = calmar = null, since compounding minutes to a year extrapolates noise into
   * absurd figures (default 30 days; 0 always annualizes).
   */
  readonly minAnnualizedSpanMs?: number;
}

export interface BacktestMetrics {
  readonly totalReturn: number | null;
  readonly annualizedReturn: number | null;
  readonly annualizedVolatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  /** Fraction of the running peak, positive (0.25 = −25%). */
  readonly maxDrawdown: number;
  readonly maxDrawdownDurationMs: number;
  readonly calmar: number | null;
  /** Share of closed round trips with positive net PnL; null without closed round trips. */
  readonly winRate: number | null;
  readonly roundTrips: number;
  readonly profitFactor: number | null;
  readonly trades: number;
  /** Σ |price × quantity × contractSize| / average equity. */
  readonly turnover: number | null;
  readonly fees: number;
  /** Share of equity samples with a non-zero position. */
  readonly exposureTime: number | null;
  readonly finalEquity: number;
  readonly periodMs: number | null;
  readonly periodsPerYear: number | null;
  /** Σ netPnl of closed round trips. */
  readonly closedPnl: number;
}

export interface RoundTrip {
  readonly instrumentId: InstrumentId;
  /** 'long' when the trip opened with a buy. */
  readonly direction: 'long' | 'short';
  readonly openTs: number;
  readonly closeTs: number;
  /** Largest absolute position reached during the trip. */
  readonly maxQuantity: number;
  readonly fills: number;
  readonly grossPnl: number;
  readonly fees: number;
  readonly netPnl: number;
}

export interface DrawdownPoint {
  readonly ts: number;
  readonly drawdown: number;
}

export interface AgentAttribution {
  readonly agentId: string;
  /** Trades this agent had a share in. */
  readonly trades: number;
  readonly realizedPnl: number;
  readonly fees: number;
  readonly netPnl: number;
}

// ---------------------------------------------------------------------------------------------
// Validation (the series crosses from the kernel or from a file into analytics)

function invalid(message: string, details: Record<string, unknown>): never {
  throw new ConcordError('CONCORD_ERR_BACKTEST_SERIES_INVALID', message, { details });
}

/** Throws CONCORD_ERR_BACKTEST_SERIES_INVALID on non-finite values, bad sides or unordered timestamps. */
export function validateBacktestSeries(series: BacktestSeries): void {
  if (!Number.isFinite(series.initialEquity)) {
    invalid('initialEquity must be a finite number.', { initialEquity: series.initialEquity });
  }
  if (series.periodMs !== undefined && !(Number.isFinite(series.periodMs) && series.periodMs > 0)) {
    invalid('periodMs must be a positive finite number of milliseconds, or absent to infer it.', {
      periodMs: series.periodMs,
    });
  }
  let lastTs = Number.NEGATIVE_INFINITY;
  series.equity.forEach((p, index) => {
    if (!Number.isFinite(p.ts) || !Number.isFinite(p.equity)) {
      invalid('Every equity point needs a finite ts and equity.', { index, point: p });
    }
    if (p.ts < lastTs)
      invalid('Equity points must be in ascending ts order.', { index, ts: p.ts, previous: lastTs });
    lastTs = p.ts;
  });
  lastTs = Number.NEGATIVE_INFINITY;
  series.trades.forEach((t, index) => {
    const finite = Number.isFinite(t.ts) && Number.isFinite(t.price) && Number.isFinite(t.quantity);
    if (!finite || t.price <= 0 || t.quantity <= 0 || !Number.isFinite(t.fee)) {
      invalid('A trade needs a finite ts, a positive price and quantity, and a finite fee.', {
        index,
        trade: t,
      });
    }
    if (t.side !== 'buy' && t.side !== 'sell')
      invalid("A trade's side must be 'buy' or 'sell'.", { index, side: t.side });
    if (t.contractSize !== undefined && !(Number.isFinite(t.contractSize) && t.contractSize > 0)) {
      invalid('contractSize must be a positive finite number.', { index, contractSize: t.contractSize });
    }
    if (t.realizedPnl !== undefined && !Number.isFinite(t.realizedPnl)) {
      invalid('realizedPnl must be finite when given.', { index, realizedPnl: t.realizedPnl });
    }
    if (t.ts < lastTs)
      invalid('Trades must be in ascending ts order.', { index, ts: t.ts, previous: lastTs });
    lastTs = t.ts;
  });
  series.positions?.forEach((p, index) => {
    if (!Number.isFinite(p.ts) || !Number.isFinite(p.position)) {
      invalid('Every position point needs a finite ts and position.', { index, point: p });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Small numeric helpers

/** Non-finite → null, so no NaN or Infinity reaches a JSON result. */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function periodReturns(equity: readonly EquityPoint[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < equity.length; i++) {
    const prev = equity[i - 1]!.equity;
    if (prev > 0) out.push(equity[i]!.equity / prev - 1);
  }
  return out;
}

function mean(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample standard deviation (n − 1); NaN below two values. */
function sampleStd(xs: readonly number[], m: number): number {
  if (xs.length < 2) return Number.NaN;
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

/** √(Σ min(0, r − target)² / n) over all n periods. */
export function downsideDeviation(returns: readonly number[], target: number): number {
  if (returns.length === 0) return Number.NaN;
  let ss = 0;
  for (const r of returns) {
    const d = Math.min(0, r - target);
    ss += d * d;
  }
  return Math.sqrt(ss / returns.length);
}

/** Median positive gap between consecutive timestamps; null with fewer than two distinct ts. */
export function inferPeriodMs(equity: readonly EquityPoint[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < equity.length; i++) {
    const gap = equity[i]!.ts - equity[i - 1]!.ts;
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}

// ---------------------------------------------------------------------------------------------
// Drawdown

/** (peak − equity) / peak, 0 without a positive peak; capped at Number.MAX_VALUE so it stays finite. */
function drawdownFrom(peak: number, equity: number): number {
  if (!(peak > 0)) return 0;
  const dd = (peak - equity) / peak;
  return Number.isFinite(dd) ? dd : Number.MAX_VALUE;
}

export function drawdownSeries(equity: readonly EquityPoint[]): DrawdownPoint[] {
  const out: DrawdownPoint[] = new Array(equity.length);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < equity.length; i++) {
    const p = equity[i]!;
    if (p.equity > peak) peak = p.equity;
    out[i] = { ts: p.ts, drawdown: drawdownFrom(peak, p.equity) };
  }
  return out;
}

export interface DrawdownSummary {
  readonly maxDrawdown: number;
  /** Longest time from a peak until equity is back at or above it (or until the last sample). */
  readonly maxDrawdownDurationMs: number;
}

export function drawdownSummary(equity: readonly EquityPoint[]): DrawdownSummary {
  let peak = Number.NEGATIVE_INFINITY;
  let peakTs = 0;
  let maxDrawdown = 0;
  let maxDuration = 0;
  for (const p of equity) {
    if (peak === Number.NEGATIVE_INFINITY) {
      peak = p.equity;
      peakTs = p.ts;
    } else if (p.equity >= peak) {
      // Back at (or above) the peak: the underwater spell, if any, ends here.
      maxDuration = Math.max(maxDuration, p.ts - peakTs);
      peak = p.equity;
      peakTs = p.ts;
    } else {
      maxDrawdown = Math.max(maxDrawdown, drawdownFrom(peak, p.equity));
    }
  }
  const last = equity[equity.length - 1];
  if (last !== undefined) maxDuration = Math.max(maxDuration, last.ts - peakTs);
  return { maxDrawdown, maxDrawdownDurationMs: equity.length === 0 ? 0 : maxDuration };
}

// ---------------------------------------------------------------------------------------------
// Round trips (average cost, per instrument)

interface OpenTrip {
  /** Signed position. */
  q: number;
  /** Signed cost basis of the open part (positive for a long). */
  cost: number;
  long: boolean;
  openTs: number;
  maxQuantity: number;
  fills: number;
  grossPnl: number;
  fees: number;
  /** Largest fill quantity seen on the instrument, for the flat tolerance. */
  largestFill: number;
}

export interface RoundTripResult {
  readonly closed: RoundTrip[];
  /** Signed open position per instrument at the end (only non-flat ones). */
  readonly openPositions: ReadonlyMap<InstrumentId, number>;
  /** Realized PnL (before fees) of every fill, in trade order, average-cost method. */
  readonly realizedPerTrade: number[];
}

/**
 * Replays the trades per instrument with the average-cost method and returns the closed round trips
 * (in closing order), the open remainder, and each trade's realized PnL.
 */
export function analyzeRoundTrips(trades: readonly BacktestTrade[]): RoundTripResult {
  const open = new Map<InstrumentId, OpenTrip>();
  const closed: RoundTrip[] = [];
  const realizedPerTrade: number[] = new Array(trades.length);
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const size = t.contractSize ?? 1;
    const signed = t.side === 'buy' ? t.quantity : -t.quantity;
    let state = open.get(t.instrumentId);
    if (state === undefined) {
      state = newTrip(t.ts, 0);
      open.set(t.instrumentId, state);
    }
    state.largestFill = Math.max(state.largestFill, t.quantity);
    realizedPerTrade[i] = applyFill(state, t, signed, size, closed);
  }
  const openPositions = new Map<InstrumentId, number>();
  for (const [id, s] of open) if (s.q !== 0) openPositions.set(id, s.q);
  return { closed, openPositions, realizedPerTrade };
}

export function roundTrips(trades: readonly BacktestTrade[]): RoundTrip[] {
  return analyzeRoundTrips(trades).closed;
}

function newTrip(ts: number, largestFill: number): OpenTrip {
  return {
    q: 0,
    cost: 0,
    long: true,
    openTs: ts,
    maxQuantity: 0,
    fills: 0,
    grossPnl: 0,
    fees: 0,
    largestFill,
  };
}

function isFlat(q: number, largestFill: number): boolean {
  return Math.abs(q) <= FLAT_TOLERANCE * largestFill;
}

/** Applies one fill to the trip state, pushing closed trips; returns the fill's realized PnL. */
function applyFill(s: OpenTrip, t: BacktestTrade, signed: number, size: number, closed: RoundTrip[]): number {
  const notional = signed * t.price * size;
  if (s.q === 0) {
    s.openTs = t.ts;
    s.long = signed > 0;
    s.q = signed;
    s.cost = notional;
    s.maxQuantity = Math.abs(signed);
    s.fills = 1;
    s.fees = t.fee;
    s.grossPnl = 0;
    return 0;
  }
  s.fills++;
  if (Math.sign(signed) === Math.sign(s.q)) {
    s.q += signed;
    s.cost += notional;
    s.fees += t.fee;
    s.maxQuantity = Math.max(s.maxQuantity, Math.abs(s.q));
    return 0;
  }
  const absFill = Math.abs(signed);
  const absPos = Math.abs(s.q);
  if (absFill <= absPos || isFlat(absFill - absPos, s.largestFill)) {
    // Reduces (or closes): realize the proportional share of the cost basis.
    const closedCost = absFill >= absPos ? s.cost : (s.cost * absFill) / absPos;
    const realized = -notional - closedCost;
    s.grossPnl += realized;
    s.fees += t.fee;
    s.cost -= closedCost;
    s.q += signed;
    if (absFill >= absPos || isFlat(s.q, s.largestFill)) closeTrip(s, t, closed);
    return realized;
  }
  // Flips: close the whole position at the fill price, open the remainder at the same price.
  const closingShare = absPos / absFill;
  const realized = -(Math.sign(signed) * absPos * t.price * size) - s.cost;
  s.grossPnl += realized;
  s.fees += t.fee * closingShare;
  const remainder = signed + s.q;
  closeTrip(s, t, closed);
  s.openTs = t.ts;
  s.long = remainder > 0;
  s.q = remainder;
  s.cost = remainder * t.price * size;
  s.maxQuantity = Math.abs(remainder);
  s.fills = 1;
  s.fees = t.fee * (1 - closingShare);
  s.grossPnl = 0;
  return realized;
}

function closeTrip(s: OpenTrip, t: BacktestTrade, closed: RoundTrip[]): void {
  closed.push({
    instrumentId: t.instrumentId,
    direction: s.long ? 'long' : 'short',
    openTs: s.openTs,
    closeTs: t.ts,
    maxQuantity: s.maxQuantity,
    fills: s.fills,
    grossPnl: s.grossPnl,
    fees: s.fees,
    netPnl: s.grossPnl - s.fees,
  });
  s.q = 0;
  s.cost = 0;
  s.fills = 0;
  s.fees = 0;
  s.grossPnl = 0;
  s.maxQuantity = 0;
}

// ---------------------------------------------------------------------------------------------
// Exposure

/**
 * Share of equity samples at which a position is open. With `positions`, the position at a sample is
 * the last position point at or before it (0 before the first); otherwise it is derived from the
 * trades at or before the sample (open on any instrument counts).
 */
export function exposureTime(series: BacktestSeries): number | null {
  const { equity } = series;
  if (equity.length === 0) return null;
  let exposed = 0;
  if (series.positions !== undefined) {
    const positions = series.positions;
    let j = 0;
    let current = 0;
    for (const p of equity) {
      while (j < positions.length && positions[j]!.ts <= p.ts) current = positions[j++]!.position;
      if (current !== 0) exposed++;
    }
    return exposed / equity.length;
  }
  const net = new Map<InstrumentId, number>();
  const largest = new Map<InstrumentId, number>();
  let openCount = 0;
  let j = 0;
  const trades = series.trades;
  for (const p of equity) {
    while (j < trades.length && trades[j]!.ts <= p.ts) {
      const t = trades[j++]!;
      const before = net.get(t.instrumentId) ?? 0;
      const big = Math.max(largest.get(t.instrumentId) ?? 0, t.quantity);
      largest.set(t.instrumentId, big);
      let after = before + (t.side === 'buy' ? t.quantity : -t.quantity);
      if (isFlat(after, big)) after = 0;
      net.set(t.instrumentId, after);
      openCount += (after !== 0 ? 1 : 0) - (before !== 0 ? 1 : 0);
    }
    if (openCount > 0) exposed++;
  }
  return exposed / equity.length;
}

// ---------------------------------------------------------------------------------------------
// Attribution

/**
 * Per-agent trades, realized PnL and fees. Each trade's realized PnL (the portfolio's `realizedPnl`
 * when given, else the average-cost figure) and fee are split equally among its agents; trades
 * without agents go to `_unattributed`. Sorted by agent id.
 */
export function attributeByAgent(
  trades: readonly BacktestTrade[],
  realizedPerTrade: readonly number[] = analyzeRoundTrips(trades).realizedPerTrade,
): AgentAttribution[] {
  const rows = new Map<string, { trades: number; realizedPnl: number; fees: number }>();
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const agents = t.agentIds !== undefined && t.agentIds.length > 0 ? t.agentIds : [UNATTRIBUTED_AGENT];
    const pnl = t.realizedPnl ?? realizedPerTrade[i] ?? 0;
    const share = 1 / agents.length;
    for (const agentId of agents) {
      let row = rows.get(agentId);
      if (row === undefined) {
        row = { trades: 0, realizedPnl: 0, fees: 0 };
        rows.set(agentId, row);
      }
      row.trades++;
      row.realizedPnl += pnl * share;
      row.fees += t.fee * share;
    }
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([agentId, r]) => ({ agentId, ...r, netPnl: r.realizedPnl - r.fees }));
}

// ---------------------------------------------------------------------------------------------
// All metrics

export function computeMetrics(series: BacktestSeries, options: MetricsOptions = {}): BacktestMetrics {
  validateBacktestSeries(series);
  const riskFreeRate = options.riskFreeRate ?? 0;
  if (!Number.isFinite(riskFreeRate)) {
    invalid('riskFreeRate must be a finite annual fraction (0.04 = 4%).', { riskFreeRate });
  }
  if (
    options.periodsPerYear !== undefined &&
    !(options.periodsPerYear > 0 && Number.isFinite(options.periodsPerYear))
  ) {
    invalid('periodsPerYear must be a positive finite number.', { periodsPerYear: options.periodsPerYear });
  }
  const { equity, trades, initialEquity } = series;
  const finalEquity = equity.length > 0 ? equity[equity.length - 1]!.equity : initialEquity;
  const periodMs = series.periodMs ?? inferPeriodMs(equity);
  const periodsPerYear = options.periodsPerYear ?? (periodMs === null ? null : YEAR_MS / periodMs);

  const returns = periodReturns(equity);
  const ratios = returnRatios(returns, riskFreeRate, periodsPerYear);
  const totalReturn = initialEquity > 0 ? finalEquity / initialEquity - 1 : null;
  const spanMs = equity.length > 0 ? equity[equity.length - 1]!.ts - equity[0]!.ts : 0;
  const annualizedReturn =
    spanMs >= (options.minAnnualizedSpanMs ?? DEFAULT_MIN_ANNUALIZED_SPAN_MS)
      ? annualize(initialEquity, finalEquity, Math.max(0, equity.length - 1), periodsPerYear)
      : null;
  const { maxDrawdown, maxDrawdownDurationMs } = drawdownSummary(equity);

  const trips = analyzeRoundTrips(trades).closed;
  let wins = 0;
  let grossWin = 0;
  let grossLoss = 0;
  let closedPnl = 0;
  for (const trip of trips) {
    closedPnl += trip.netPnl;
    if (trip.netPnl > 0) {
      wins++;
      grossWin += trip.netPnl;
    } else grossLoss -= trip.netPnl;
  }

  let traded = 0;
  let fees = 0;
  for (const t of trades) {
    traded += Math.abs(t.price * t.quantity * (t.contractSize ?? 1));
    fees += t.fee;
  }
  const averageEquity = equity.length > 0 ? mean(equity.map((p) => p.equity)) : initialEquity;

  return {
    totalReturn: totalReturn === null ? null : finiteOrNull(totalReturn),
    annualizedReturn,
    annualizedVolatility: ratios.annualizedVolatility,
    sharpe: ratios.sharpe,
    sortino: ratios.sortino,
    maxDrawdown,
    maxDrawdownDurationMs,
    calmar:
      annualizedReturn !== null && maxDrawdown > 0 ? finiteOrNull(annualizedReturn / maxDrawdown) : null,
    winRate: trips.length > 0 ? wins / trips.length : null,
    roundTrips: trips.length,
    profitFactor: trips.length > 0 && grossLoss > 0 ? finiteOrNull(grossWin / grossLoss) : null,
    trades: trades.length,
    turnover: averageEquity > 0 ? finiteOrNull(traded / averageEquity) : null,
    fees,
    exposureTime: exposureTime(series),
    finalEquity,
    periodMs: periodMs === null ? null : finiteOrNull(periodMs),
    periodsPerYear: periodsPerYear === null ? null : finiteOrNull(periodsPerYear),
    closedPnl,
  };
}

interface ReturnRatios {
  readonly annualizedVolatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
}

export function returnRatios(
  returns: readonly number[],
  riskFreeRate: number,
  periodsPerYear: number | null,
): ReturnRatios {
  if (returns.length < 2 || periodsPerYear === null) {
    return { annualizedVolatility: null, sharpe: null, sortino: null };
  }
  const target = riskFreeRate / periodsPerYear;
  const m = mean(returns);
  const excessMean = m - target;
  const std = sampleStd(returns, m);
  const downside = downsideDeviation(returns, target);
  const sqrtPpy = Math.sqrt(periodsPerYear);
  return {
    annualizedVolatility: finiteOrNull(std * sqrtPpy),
    sharpe: std > ZERO_DEVIATION ? finiteOrNull((excessMean / std) * sqrtPpy) : null,
    sortino: downside > ZERO_DEVIATION ? finiteOrNull((excessMean / downside) * sqrtPpy) : null,
  };
}

/** Geometric annual return over `periods` sampling periods; −1 when equity is wiped out. */
function annualize(
  initial: number,
  final: number,
  periods: number,
  periodsPerYear: number | null,
): number | null {
  if (initial <= 0 || periods === 0 || periodsPerYear === null) return null;
  const growth = final / initial;
  if (growth <= 0) return -1;
  return finiteOrNull(growth ** (periodsPerYear / periods) - 1);
}
