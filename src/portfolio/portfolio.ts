/**
 * The portfolio: positions (average-cost PnL, see position.ts and docs/pnl.md), balances per
 * venue and asset, fees, funding, marks, per-agent attribution, equity peak and daily PnL.
 *
 * Money is exact (Decimal); marks and the views agents and risk read are floats.
 *
 * Equity is counted in ONE quote currency: every asset in `cashAssets` (by default USD and the
 * usual dollar stablecoins) is worth 1; any other asset is worth its last mark (or last fill
 * price) on an instrument that has it as base; an asset with no price counts 0.
 * Derivative positions add their unrealized PnL; their realized PnL, fees and funding settle
 * into the settle-currency balance. Only linear derivatives are supported.
 */
import { ConcordError, Decimal, type DecimalInput } from '../core/index.ts';
import type { Fill, InstrumentId, OrderableInstrument, VenueId } from '../model/index.ts';
import {
  applyTrade,
  averagePrice,
  divHalfEven,
  markDecimal,
  newPosition,
  type PositionState,
  toFloat,
  unrealizedAt,
} from './position.ts';
import { type PortfolioSnapshot, parsePortfolioSnapshot, SNAPSHOT_VERSION } from './snapshot.ts';

export const DEFAULT_CASH_ASSETS: readonly string[] = ['USD', 'USDT', 'USDC', 'BUSD', 'FDUSD', 'DAI'];
const DAY_MS = 86_400_000;
/** Bucket for fills applied without attribution. */
export const UNATTRIBUTED = '_unattributed';

export interface PortfolioOptions {
  /** Assets worth 1 in the equity currency. */
  readonly cashAssets?: readonly string[];
  /** Minute of the UTC day (0..1439) at which daily PnL restarts from zero. */
  readonly dailyResetUtcMinute?: number;
  /** Opening balances. */
  readonly balances?: ReadonlyArray<{
    readonly venue: VenueId;
    readonly asset: string;
    readonly amount: DecimalInput;
  }>;
  /**
   * Trade ids remembered to ignore a repeated fill: the most recent this many (default 4096).
   * The order manager is the authority on duplicates (per order, by the order's state); this
   * window catches a repeat from a direct caller or a reconciliation that races a late event,
   * and keeps memory and checkpoints bounded however long the desk runs.
   */
  readonly tradeWindow?: number;
}

const DEFAULT_TRADE_WINDOW = 4096;

export interface FillAttribution {
  readonly decisionId: string;
  readonly agentIds: readonly string[];
  /** Relative weights (same length as agentIds, ≥ 0, not all 0); equal when absent. */
  readonly weights?: readonly number[];
}

export interface AgentAttribution {
  readonly agentId: string;
  readonly realizedPnl: Decimal;
  /** Fees valued in the equity currency. */
  readonly fees: Decimal;
  readonly trades: number;
}

export interface FillResult {
  /** False when the fill was a duplicate (same venue and trade id) and was ignored. */
  readonly applied: boolean;
  readonly realized: Decimal;
}

export interface PositionView {
  readonly instrumentId: InstrumentId;
  readonly venue: VenueId;
  readonly kind: PositionState['kind'];
  readonly quantity: Decimal;
  readonly averagePrice: Decimal;
  readonly costBasis: Decimal;
  readonly realizedPnl: Decimal;
  readonly unrealizedPnl: number;
  readonly fees: Decimal;
  readonly funding: Decimal;
  readonly trades: number;
  readonly mark: number | undefined;
}

/** What the risk engine reads about PnL. */
export interface RiskMetrics {
  readonly ts: number;
  readonly equity: number;
  readonly peakEquity: number;
  /** (peak − equity) / peak, 0 when the peak is not positive. */
  readonly drawdown: number;
  /** Realized + unrealized + funding − fees since the last daily reset. */
  readonly dailyPnl: number;
}

interface MutableAttribution {
  realizedPnl: Decimal;
  fees: Decimal;
  trades: number;
}

export class Portfolio {
  private readonly positions = new Map<InstrumentId, PositionState>();
  /** venue → asset → amount. */
  private readonly balances = new Map<VenueId, Map<string, Decimal>>();
  /** `venue|asset` and `asset` → last price in the equity currency. */
  private readonly assetPrices = new Map<string, number>();
  private readonly venueAssetKeys = new Map<InstrumentId, string>();
  private readonly agents = new Map<string, MutableAttribution>();
  /** Insertion-ordered: the first entry is the oldest, dropped when the window is full. */
  private readonly seenTrades = new Set<string>();
  private readonly tradeWindow: number;
  private readonly cashAssets: ReadonlySet<string>;
  private readonly resetOffsetMs: number;
  private duplicates = 0;
  private feesValue = Decimal.ZERO;
  private peakEquity = Number.NEGATIVE_INFINITY;
  private dayKey: number | undefined;
  private dayStartPnl = Decimal.ZERO;
  private lastMetrics: RiskMetrics | undefined;
  /** Σ cash balances, until a balance changes (equity is asked on every bar and tick). */
  private cashTotal: Decimal | undefined;
  /** Realized + funding − fees, until a fill or a funding payment. */
  private fixedPnl: Decimal | undefined;
  /**
   * Bumped by everything that can move equity or unrealized PnL (marks, prices, balances, fills):
   * the risk engine and a backtest's equity curve ask both on every bar, so each is computed
   * once per change.
   */
  private valuation = 0;
  private equityAt = -1;
  private equityValue = Decimal.ZERO;
  private unrealizedAt = -1;
  private unrealizedValue = Decimal.ZERO;

  constructor(options: PortfolioOptions = {}) {
    this.cashAssets = new Set(options.cashAssets ?? DEFAULT_CASH_ASSETS);
    const minute = options.dailyResetUtcMinute ?? 0;
    if (!Number.isInteger(minute) || minute < 0 || minute >= 1440) {
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        'dailyResetUtcMinute must be a whole minute of the day',
        {
          details: {
            path: 'portfolio.dailyResetUtcMinute',
            expected: 'an integer 0..1439',
            received: minute,
          },
        },
      );
    }
    this.resetOffsetMs = minute * 60_000;
    const window = options.tradeWindow ?? DEFAULT_TRADE_WINDOW;
    if (!Number.isInteger(window) || window < 1) {
      throw new ConcordError('CONCORD_ERR_CONFIG_INVALID', 'tradeWindow must be a whole number ≥ 1', {
        details: { path: 'portfolio.tradeWindow', expected: 'an integer ≥ 1', received: window },
      });
    }
    this.tradeWindow = window;
    for (const b of options.balances ?? []) this.deposit(b.venue, b.asset, b.amount);
  }

  // ── inputs ────────────────────────────────────────────────────────────

  /** Adds (or with a negative amount, withdraws) an asset on a venue. Deposits are not PnL. */
  deposit(venue: VenueId, asset: string, amount: DecimalInput): void {
    this.addBalance(venue, asset, Decimal.from(amount));
  }

  /**
   * Books one fill. A fill already seen (same venue and trade id) is ignored and counted.
   * `attribution` names the decision and agents whose trade this is; realized PnL and fees are
   * split among them by weight (the last agent takes the rounding remainder, so sums are exact).
   */
  applyFill(fill: Fill, instrument: OrderableInstrument, attribution?: FillAttribution): FillResult {
    const key = `${fill.venue}|${fill.tradeId}`;
    if (this.seenTrades.has(key)) {
      this.duplicates++;
      return { applied: false, realized: Decimal.ZERO };
    }
    if (fill.instrumentId !== instrument.id) {
      throw new ConcordError(
        'CONCORD_ERR_PORTFOLIO_FILL_MISMATCH',
        `fill for ${fill.instrumentId} was booked against instrument ${instrument.id}; pass the fill's own instrument`,
        {
          details: {
            fillInstrumentId: fill.instrumentId,
            instrumentId: instrument.id,
            tradeId: fill.tradeId,
          },
        },
      );
    }
    if (attribution !== undefined) assertAttribution(attribution);
    this.rollDay(fill.ts);
    this.rememberTrade(key);

    const pos = this.positionFor(instrument);
    this.fixedPnl = undefined;
    const { realized, notional } = applyTrade(pos, fill.side, fill.quantity, fill.price);
    this.valuation++;
    if (pos.kind === 'spot') {
      this.addBalance(fill.venue, pos.base, fill.side === 'buy' ? fill.quantity : fill.quantity.neg());
      this.addBalance(fill.venue, pos.quote, notional.neg());
    } else if (!realized.isZero()) {
      this.addBalance(fill.venue, pos.quote, realized);
    }
    if (!fill.fee.isZero()) this.addBalance(fill.venue, fill.feeCurrency, fill.fee.neg());
    const feeValue = this.feeValue(fill, pos);
    pos.fees = pos.fees.add(feeValue);
    this.feesValue = this.feesValue.add(feeValue);
    this.notePrice(pos, pos.lastPrice, false);
    this.attribute(attribution, realized, feeValue);
    return { applied: true, realized };
  }

  /**
   * Books a funding payment on a derivative: a long pays `quantity × contractSize × markPrice × rate`
   * when the rate is positive, a short receives it. A second payment at the same or an earlier
   * time for the same instrument is ignored (funding events are redelivered on reconnect).
   */
  applyFunding(instrumentId: InstrumentId, rate: number, markPrice: number, ts: number): Decimal {
    const pos = this.positions.get(instrumentId);
    if (pos === undefined || pos.quantity.isZero() || ts <= pos.lastFundingTs) return Decimal.ZERO;
    if (pos.kind === 'spot') {
      throw new ConcordError(
        'CONCORD_ERR_PORTFOLIO_INSTRUMENT_UNSUPPORTED',
        `funding applies to perpetuals, ${instrumentId} is spot`,
        {
          details: { instrumentId, kind: pos.kind },
        },
      );
    }
    assertPrice(instrumentId, markPrice);
    if (!Number.isFinite(rate)) {
      throw new ConcordError(
        'CONCORD_ERR_PORTFOLIO_MARK_INVALID',
        `funding rate for ${instrumentId} must be finite`,
        {
          details: { instrumentId, rate: String(rate) },
        },
      );
    }
    this.rollDay(ts);
    pos.lastFundingTs = ts;
    this.fixedPnl = undefined;
    this.valuation++;
    const payment = pos.quantity.mul(pos.multiplier).mul(markDecimal(markPrice)).mul(markDecimal(rate)).neg();
    pos.funding = pos.funding.add(payment);
    this.addBalance(pos.venue, pos.quote, payment);
    return payment;
  }

  // ── reconciliation corrections (the venue's figure wins; not trades of any order) ──

  /** Corrects a balance to the venue's figure by `delta`. Like a deposit, it is not PnL. */
  adjustBalance(venue: VenueId, asset: string, delta: DecimalInput): void {
    this.addBalance(venue, asset, Decimal.from(delta));
  }

  /**
   * Corrects a position to the venue's figure: moves it by `delta` (signed) at `price`, booked as
   * a fee-free, unattributed trade named `id` (unique per venue, like a trade id), then puts the
   * quote (settle) balance back as it was: balances are corrected on their own.
   */
  adjustPosition(
    instrument: OrderableInstrument,
    delta: Decimal,
    price: Decimal,
    ts: number,
    id: string,
  ): void {
    const quote = instrument.kind === 'spot' ? instrument.quote : instrument.settle;
    const quoteBefore = this.balance(instrument.venue, quote);
    this.applyFill(
      {
        clientOrderId: 'reconcile',
        venueOrderId: 'reconcile',
        tradeId: id,
        instrumentId: instrument.id,
        venue: instrument.venue,
        side: delta.isPositive() ? 'buy' : 'sell',
        price,
        quantity: delta.abs(),
        fee: Decimal.ZERO,
        feeCurrency: quote,
        liquidity: 'taker',
        ts,
      },
      instrument,
    );
    const quoteDrift = quoteBefore.sub(this.balance(instrument.venue, quote));
    if (!quoteDrift.isZero()) this.addBalance(instrument.venue, quote, quoteDrift);
  }

  /** Sets the mark price of an instrument (float, from the book). `ts` lets the daily PnL roll. */
  mark(instrumentId: InstrumentId, price: number, ts?: number): void {
    const pos = this.positions.get(instrumentId);
    if (pos === undefined) return;
    assertPrice(instrumentId, price);
    if (ts !== undefined) this.rollDay(ts);
    pos.mark = price;
    this.valuation++;
    this.notePrice(pos, price, true);
  }

  /**
   * Prices an asset in the equity currency without a position (e.g. a deposited coin that is never
   * traded); `venue` limits it to that venue's balance. Marks of traded instruments set this too.
   */
  setAssetPrice(asset: string, price: number, venue?: VenueId): void {
    assertPrice(asset, price);
    this.assetPrices.set(venue === undefined ? asset : `${venue}|${asset}`, price);
    this.valuation++;
  }

  // ── views (PortfolioView for agents, and the risk engine) ────────────

  /** Signed position as a float (agents, risk hot path). */
  position(id: InstrumentId): number {
    return this.positions.get(id)?.quantityFloat ?? 0;
  }

  /** Signed position, exact. */
  positionExact(id: InstrumentId): Decimal {
    return this.positions.get(id)?.quantity ?? Decimal.ZERO;
  }

  positionDetail(id: InstrumentId): PositionView | undefined {
    const pos = this.positions.get(id);
    return pos === undefined ? undefined : view(pos);
  }

  allPositions(): PositionView[] {
    return [...this.positions.values()].map(view);
  }

  /** Balance of one asset on one venue. */
  balance(venue: VenueId, asset: string): Decimal {
    return this.balances.get(venue)?.get(asset) ?? Decimal.ZERO;
  }

  /** Balance of an asset summed over venues (float). */
  cash(asset: string): number {
    let total = 0n;
    for (const assets of this.balances.values()) total += assets.get(asset)?.units ?? 0n;
    return Number(total) / 1e18;
  }

  /** Mark-to-market equity in the equity currency, exact at the float marks. */
  equityExact(): Decimal {
    if (this.equityAt === this.valuation) return this.equityValue;
    // Sums of exact decimals do not depend on their order: cash first (cached), then the rest.
    let total = this.cashTotal;
    if (total === undefined) {
      total = Decimal.ZERO;
      for (const assets of this.balances.values()) {
        for (const [asset, amount] of assets) if (this.cashAssets.has(asset)) total = total.add(amount);
      }
      this.cashTotal = total;
    }
    for (const [venue, assets] of this.balances) {
      for (const [asset, amount] of assets) {
        if (amount.isZero() || this.cashAssets.has(asset)) continue;
        const price = this.assetPrices.get(`${venue}|${asset}`) ?? this.assetPrices.get(asset);
        if (price !== undefined) total = total.add(amount.mul(cachedMarkDecimal(price)));
      }
    }
    for (const pos of this.positions.values()) {
      if (pos.kind !== 'spot') total = total.add(this.unrealizedOf(pos));
    }
    this.equityAt = this.valuation;
    this.equityValue = total;
    return total;
  }

  equity(): number {
    return toFloat(this.equityExact());
  }

  /** Unrealized PnL over all positions at their marks (last fill price when unmarked). */
  unrealizedExact(): Decimal {
    if (this.unrealizedAt === this.valuation) return this.unrealizedValue;
    let total = Decimal.ZERO;
    for (const pos of this.positions.values()) total = total.add(this.unrealizedOf(pos));
    this.unrealizedAt = this.valuation;
    this.unrealizedValue = total;
    return total;
  }

  unrealizedPnl(): number {
    return toFloat(this.unrealizedExact());
  }

  realizedExact(): Decimal {
    let total = Decimal.ZERO;
    for (const pos of this.positions.values()) total = total.add(pos.realizedPnl);
    return total;
  }

  fundingExact(): Decimal {
    let total = Decimal.ZERO;
    for (const pos of this.positions.values()) total = total.add(pos.funding);
    return total;
  }

  /** All fees paid, valued in the equity currency when charged. */
  feesExact(): Decimal {
    return this.feesValue;
  }

  /** Realized + unrealized + funding − fees. */
  totalPnlExact(): Decimal {
    let fixed = this.fixedPnl;
    if (fixed === undefined) {
      fixed = this.realizedExact().add(this.fundingExact()).sub(this.feesValue);
      this.fixedPnl = fixed;
    }
    return fixed.add(this.unrealizedExact());
  }

  /** Σ |quantity × multiplier × mark| in the equity currency. */
  grossExposure(): number {
    let total = 0;
    for (const pos of this.positions.values()) total += Math.abs(exposureOf(pos));
    return total;
  }

  /** Σ quantity × multiplier × mark (longs positive, shorts negative). */
  netExposure(): number {
    let total = 0;
    for (const pos of this.positions.values()) total += exposureOf(pos);
    return total;
  }

  /** How many duplicated fill events were ignored. */
  duplicateFills(): number {
    return this.duplicates;
  }

  /** Per-agent realized PnL, fees and trade counts, sorted by agent id. */
  attribution(): AgentAttribution[] {
    return [...this.agents.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([agentId, a]) => ({ agentId, realizedPnl: a.realizedPnl, fees: a.fees, trades: a.trades }));
  }

  // ── equity peak and daily PnL (for the risk engine) ──────────────────

  /** Rolls the day if needed, updates the equity peak, and returns the figures risk reads. */
  observe(ts: number): RiskMetrics {
    this.rollDay(ts);
    const equity = this.equity();
    if (equity > this.peakEquity) this.peakEquity = equity;
    const peak = this.peakEquity;
    this.lastMetrics = {
      ts,
      equity,
      peakEquity: peak,
      drawdown: peak > 0 ? (peak - equity) / peak : 0,
      dailyPnl: toFloat(this.totalPnlExact().sub(this.dayStartPnl)),
    };
    return this.lastMetrics;
  }

  /** The figures of the last `observe`, without recomputing (cheap for the hot path). */
  metrics(): RiskMetrics | undefined {
    return this.lastMetrics;
  }

  /** Daily PnL now: realized + unrealized + funding − fees since the last reset. */
  dailyPnl(): number {
    return toFloat(this.totalPnlExact().sub(this.dayStartPnl));
  }

  // ── persistence ──────────────────────────────────────────────────────

  private rememberTrade(key: string): void {
    this.seenTrades.add(key);
    if (this.seenTrades.size > this.tradeWindow) {
      const oldest = this.seenTrades.values().next().value as string;
      this.seenTrades.delete(oldest);
    }
  }

  /**
   * State as JSON (Decimals as strings) to rebuild the portfolio from the journal;
   * `recentTrades` bounds the trade ids written (the most recent ones), so a checkpoint
   * does not grow with the run.
   */
  snapshot(options: { recentTrades?: number } = {}): PortfolioSnapshot {
    const balances: PortfolioSnapshot['balances'] = [];
    for (const [venue, assets] of this.balances) {
      for (const [asset, amount] of assets) balances.push({ venue, asset, amount: amount.toString() });
    }
    return {
      version: SNAPSHOT_VERSION,
      cashAssets: [...this.cashAssets],
      dailyResetUtcMinute: this.resetOffsetMs / 60_000,
      positions: [...this.positions.values()].map((p) => ({
        instrumentId: p.instrumentId,
        venue: p.venue,
        kind: p.kind,
        base: p.base,
        quote: p.quote,
        multiplier: p.multiplier.toString(),
        quantity: p.quantity.toString(),
        costBasis: p.costBasis.toString(),
        realizedPnl: p.realizedPnl.toString(),
        fees: p.fees.toString(),
        funding: p.funding.toString(),
        trades: p.trades,
        lastPrice: p.lastPrice,
        mark: p.mark ?? null,
        lastFundingTs: Number.isFinite(p.lastFundingTs) ? p.lastFundingTs : null,
      })),
      balances,
      assetPrices: [...this.assetPrices.entries()].map(([key, price]) => ({ key, price })),
      agents: [...this.agents.entries()].map(([agentId, a]) => ({
        agentId,
        realizedPnl: a.realizedPnl.toString(),
        fees: a.fees.toString(),
        trades: a.trades,
      })),
      seenTrades: lastOf(this.seenTrades, options.recentTrades),
      duplicates: this.duplicates,
      fees: this.feesValue.toString(),
      peakEquity: Number.isFinite(this.peakEquity) ? this.peakEquity : null,
      dayKey: this.dayKey ?? null,
      dayStartPnl: this.dayStartPnl.toString(),
    };
  }

  /** Rebuilds a portfolio from `snapshot()` output (validated: it comes from storage). */
  static restore(raw: unknown): Portfolio {
    const s = parsePortfolioSnapshot(raw);
    const p = new Portfolio({ cashAssets: s.cashAssets, dailyResetUtcMinute: s.dailyResetUtcMinute });
    for (const sp of s.positions) {
      const pos = newPosition({
        instrumentId: sp.instrumentId,
        venue: sp.venue,
        kind: sp.kind,
        base: sp.base,
        quote: sp.quote,
        multiplier: Decimal.from(sp.multiplier),
      });
      pos.quantity = Decimal.from(sp.quantity);
      pos.quantityFloat = toFloat(pos.quantity);
      pos.costBasis = Decimal.from(sp.costBasis);
      pos.realizedPnl = Decimal.from(sp.realizedPnl);
      pos.fees = Decimal.from(sp.fees);
      pos.funding = Decimal.from(sp.funding);
      pos.trades = sp.trades;
      pos.lastPrice = sp.lastPrice;
      pos.mark = sp.mark ?? undefined;
      pos.lastFundingTs = sp.lastFundingTs ?? Number.NEGATIVE_INFINITY;
      p.positions.set(pos.instrumentId, pos);
    }
    for (const b of s.balances) p.addBalance(b.venue, b.asset, Decimal.from(b.amount));
    for (const { key, price } of s.assetPrices) p.assetPrices.set(key, price);
    for (const a of s.agents) {
      p.agents.set(a.agentId, {
        realizedPnl: Decimal.from(a.realizedPnl),
        fees: Decimal.from(a.fees),
        trades: a.trades,
      });
    }
    for (const t of s.seenTrades) p.rememberTrade(t);
    p.duplicates = s.duplicates;
    p.feesValue = Decimal.from(s.fees);
    p.fixedPnl = undefined;
    p.valuation++;
    p.peakEquity = s.peakEquity ?? Number.NEGATIVE_INFINITY;
    p.dayKey = s.dayKey ?? undefined;
    p.dayStartPnl = Decimal.from(s.dayStartPnl);
    return p;
  }

  // ── internals ────────────────────────────────────────────────────────

  private positionFor(instrument: OrderableInstrument): PositionState {
    const existing = this.positions.get(instrument.id);
    if (existing !== undefined) return existing;
    if (instrument.kind !== 'spot' && instrument.inverse) {
      throw new ConcordError(
        'CONCORD_ERR_PORTFOLIO_INSTRUMENT_UNSUPPORTED',
        `inverse contract ${instrument.id} is not supported by the portfolio yet; trade its linear counterpart`,
        { details: { instrumentId: instrument.id, kind: instrument.kind, inverse: true } },
      );
    }
    const pos = newPosition({
      instrumentId: instrument.id,
      venue: instrument.venue,
      kind: instrument.kind,
      base: instrument.base,
      quote: instrument.kind === 'spot' ? instrument.quote : instrument.settle,
      multiplier: instrument.kind === 'spot' ? Decimal.ONE : instrument.contractSize,
    });
    this.positions.set(instrument.id, pos);
    this.valuation++;
    return pos;
  }

  private addBalance(venue: VenueId, asset: string, amount: Decimal): void {
    this.cashTotal = undefined;
    this.valuation++;
    let assets = this.balances.get(venue);
    if (assets === undefined) {
      assets = new Map();
      this.balances.set(venue, assets);
    }
    assets.set(asset, (assets.get(asset) ?? Decimal.ZERO).add(amount));
  }

  /** Remembers the base asset's price when the quote is a cash asset (to value balances). */
  private notePrice(pos: PositionState, price: number, isMark: boolean): void {
    if (!this.cashAssets.has(pos.quote) || this.cashAssets.has(pos.base)) return;
    // A fill price only stands in until a mark exists.
    if (!isMark && pos.mark !== undefined) return;
    this.valuation++;
    this.assetPrices.set(this.venueAssetKey(pos), price);
    this.assetPrices.set(pos.base, price);
  }

  /** `venue|base`, built once per instrument: marks arrive on every book update. */
  private venueAssetKey(pos: PositionState): string {
    let key = this.venueAssetKeys.get(pos.instrumentId);
    if (key === undefined) {
      key = `${pos.venue}|${pos.base}`;
      this.venueAssetKeys.set(pos.instrumentId, key);
    }
    return key;
  }

  private unrealizedOf(pos: PositionState): Decimal {
    if (pos.quantity.isZero()) return Decimal.ZERO;
    const mark = pos.mark ?? pos.lastPrice;
    return unrealizedAt(pos, cachedMarkDecimal(mark));
  }

  /** A fee in the equity currency: cash assets at par, the base at the fill price, others at their last price. */
  private feeValue(fill: Fill, pos: PositionState): Decimal {
    if (fill.fee.isZero()) return Decimal.ZERO;
    if (fill.feeCurrency === pos.quote && this.cashAssets.has(pos.quote)) return fill.fee;
    if (this.cashAssets.has(fill.feeCurrency)) return fill.fee;
    if (fill.feeCurrency === pos.base) return fill.fee.mul(fill.price);
    const price =
      this.assetPrices.get(`${fill.venue}|${fill.feeCurrency}`) ?? this.assetPrices.get(fill.feeCurrency);
    return price === undefined ? Decimal.ZERO : fill.fee.mul(markDecimal(price));
  }

  private attribute(attribution: FillAttribution | undefined, realized: Decimal, fee: Decimal): void {
    if (attribution === undefined) {
      this.addToAgent(UNATTRIBUTED, realized, fee);
      return;
    }
    const ids = attribution.agentIds;
    const weights = scaledWeights(attribution);
    let restPnl = realized.units;
    let restFee = fee.units;
    for (let i = 0; i < ids.length; i++) {
      const last = i === ids.length - 1;
      const pnl = last ? restPnl : divHalfEven(realized.units * weights.parts[i]!, weights.total);
      const f = last ? restFee : divHalfEven(fee.units * weights.parts[i]!, weights.total);
      restPnl -= pnl;
      restFee -= f;
      this.addToAgent(ids[i]!, Decimal.fromUnits(pnl), Decimal.fromUnits(f));
    }
  }

  private addToAgent(agentId: string, realized: Decimal, fee: Decimal): void {
    const a = this.agents.get(agentId);
    if (a === undefined) this.agents.set(agentId, { realizedPnl: realized, fees: fee, trades: 1 });
    else {
      a.realizedPnl = a.realizedPnl.add(realized);
      a.fees = a.fees.add(fee);
      a.trades++;
    }
  }

  private rollDay(ts: number): void {
    const key = Math.floor((ts - this.resetOffsetMs) / DAY_MS);
    if (key === this.dayKey) return;
    if (this.dayKey === undefined || key > this.dayKey) {
      this.dayStartPnl = this.dayKey === undefined ? Decimal.ZERO : this.totalPnlExact();
      this.dayKey = key;
    }
  }
}

function view(pos: PositionState): PositionView {
  const mark = pos.mark ?? pos.lastPrice;
  return {
    instrumentId: pos.instrumentId,
    venue: pos.venue,
    kind: pos.kind,
    quantity: pos.quantity,
    averagePrice: averagePrice(pos),
    costBasis: pos.costBasis,
    realizedPnl: pos.realizedPnl,
    unrealizedPnl: pos.quantity.isZero() ? 0 : toFloat(unrealizedAt(pos, markDecimal(mark))),
    fees: pos.fees,
    funding: pos.funding,
    trades: pos.trades,
    mark: pos.mark,
  };
}

function exposureOf(pos: PositionState): number {
  if (pos.quantityFloat === 0) return 0;
  return pos.quantityFloat * toFloat(pos.multiplier) * (pos.mark ?? pos.lastPrice);
}

function assertPrice(instrumentId: InstrumentId, price: number): void {
  if (!(price > 0) || price === Number.POSITIVE_INFINITY) {
    throw new ConcordError(
      'CONCORD_ERR_PORTFOLIO_MARK_INVALID',
      `mark price for ${instrumentId} must be a positive finite number`,
      {
        details: { instrumentId, price: String(price) },
      },
    );
  }
}

function assertAttribution(a: FillAttribution): void {
  const bad = (why: string) =>
    new ConcordError(
      'CONCORD_ERR_PORTFOLIO_ATTRIBUTION_INVALID',
      `attribution of decision ${a.decisionId}: ${why}`,
      {
        details: { decisionId: a.decisionId, agentIds: a.agentIds, weights: a.weights ?? null },
      },
    );
  if (a.agentIds.length === 0) throw bad('name at least one agent');
  if (a.weights === undefined) return;
  if (a.weights.length !== a.agentIds.length) throw bad('give one weight per agent');
  let sum = 0;
  for (const w of a.weights) {
    if (!(w >= 0) || !Number.isFinite(w)) throw bad('weights must be finite and ≥ 0');
    sum += w;
  }
  if (!(sum > 0)) throw bad('at least one weight must be positive');
}

/** Weights as integers (12 decimals) so shares are computed with bigint arithmetic. */
function scaledWeights(a: FillAttribution): { parts: bigint[]; total: bigint } {
  const parts = a.agentIds.map((_, i) => {
    const w = a.weights?.[i] ?? 1;
    return BigInt(Math.round(w * 1e12));
  });
  let total = 0n;
  for (const p of parts) total += p;
  if (total === 0n) {
    // Every weight rounded to zero: fall back to equal shares rather than divide by zero.
    for (let i = 0; i < parts.length; i++) parts[i] = 1n;
    total = BigInt(parts.length);
  }
  return { parts, total };
}

/** The last `n` of an insertion-ordered set (all when n is undefined), without copying the rest. */
function lastOf<T>(items: ReadonlySet<T>, n: number | undefined): T[] {
  const skip = n === undefined ? 0 : Math.max(0, items.size - n);
  const out: T[] = [];
  let i = 0;
  for (const item of items) if (i++ >= skip) out.push(item);
  return out;
}

/**
 * Float marks as exact decimals, memoised: equity is recomputed several times per tick (risk
 * sampling, the risk agent) while most marks have not moved, and the conversion parses text.
 */
const markDecimals = new Map<number, Decimal>();

function cachedMarkDecimal(price: number): Decimal {
  let exact = markDecimals.get(price);
  if (exact === undefined) {
    if (markDecimals.size >= 4096) markDecimals.clear();
    exact = markDecimal(price);
    markDecimals.set(price, exact);
  }
  return exact;
}
