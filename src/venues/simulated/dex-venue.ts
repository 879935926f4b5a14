/**
 * The simulated DEX venue: the sandbox chain's constant-product pools behind the venue port, so
 * the one order manager trades them like any venue. A pool is a spot instrument of the chain's
 * venue (`sandchain:uniswap-v2/BTC-USDT`); one wallet holds the balances of every pool.
 *
 * - An order is a swap, executed with the exact V2 maths (src/model/amm/v2.ts) on the venue's
 *   copy of the pool (kept from the market's `pool` events): a buy of q base is an exact-output
 *   swap (quote in = getAmountIn(q)), a sell an exact-input swap (quote out = getAmountOut(q)).
 * - Slippage bound, always: a limit order's price bounds the average price (a buy may pay at
 *   most q × limit, a sell must get at least q × limit, i.e. the swap's amountInMax / amountOutMin);
 *   a market order gets `marketSlippageBps` around the pool's marginal price at submission.
 * - Atomic bundles: orders submitted in one go (one synchronous burst, as the order manager sends
 *   a parallel plan's legs) are one transaction per decision (`request.decisionId`), executed
 *   together at the end of the burst, all legs or none, like Concord's executor contract. The
 *   bundle is simulated first on scratch reserves and balances; a failing simulation is never
 *   sent, so every leg is rejected (SLIPPAGE_EXCEEDED or SIMULATION_FAILED) and no gas is spent.
 * - Gas: each executed bundle pays (gasPerTx + gasPerSwap × legs) × (base fee + priority fee),
 *   in the quote asset at the native token's price, as the fee of its fills (on the first leg).
 * - The sandbox chain includes our transaction right away, at the end of the current block, and
 *   shows nobody's pending transactions: there is no mempool to front-run and none to be
 *   sandwiched in (invariant 7).
 *
 * `onSwap` reports each executed leg's new reserves (the sandbox market takes them, so its next
 * update of the pool starts from them; see amm-pools.ts).
 */
import { Decimal } from '../../core/index.ts';
import { getAmountIn, getAmountOut } from '../../model/amm/index.ts';
import type {
  Instrument,
  InstrumentId,
  MarketEvent,
  OrderableInstrument,
  OrderRequest,
} from '../../model/index.ts';
import { isOrderable } from '../../model/index.ts';
import { DEFAULT_SANDBOX_GAS, type SandboxGas, sandboxGasCost } from './amm-pools.ts';
import {
  checkShape,
  configError,
  type LedgerMarket,
  type LedgerOrder,
  LedgerVenue,
  type LedgerVenueOptions,
  type Refusal,
} from './venue-core.ts';

export interface DexPoolConfig {
  readonly instrumentId: InstrumentId;
  readonly feePips: number;
}

export interface SimulatedDexVenueOptions extends LedgerVenueOptions {
  /** One entry per pool instrument (fee in pips). */
  readonly pools: readonly DexPoolConfig[];
  readonly baseDecimals?: number;
  readonly quoteDecimals?: number;
  readonly gas?: SandboxGas;
  /** Bound of a market order around the pool's marginal price, in bp (default 100). */
  readonly marketSlippageBps?: number;
  /** Told the reserves of a pool after each of our swaps. */
  readonly onSwap?: (instrumentId: InstrumentId, reserve0: bigint, reserve1: bigint) => void;
}

interface DexMarket extends LedgerMarket {
  readonly feePips: number;
  reserve0: bigint;
  reserve1: bigint;
  blockNumber: number;
  /** False until the first pool event. */
  known: boolean;
}

type DexOrder = LedgerOrder;

/** One leg as simulated: what it takes, what it gives, the reserves after it. */
interface LegResult {
  readonly order: DexOrder;
  readonly market: DexMarket;
  readonly notional: Decimal;
  readonly reserve0: bigint;
  readonly reserve1: bigint;
}

export class SimulatedDexVenue extends LedgerVenue<DexOrder, DexMarket> {
  readonly baseDecimals: number;
  readonly quoteDecimals: number;
  readonly gas: SandboxGas;
  private readonly marketSlippageBps: number;
  private readonly onSwap: SimulatedDexVenueOptions['onSwap'];
  private readonly submitted = new Set<string>();
  /** Orders of the current burst, in arrival order. */
  private pending: DexOrder[] = [];
  private bundles = 0;

  constructor(options: SimulatedDexVenueOptions) {
    const fees = new Map(options.pools.map((p) => [p.instrumentId, p.feePips]));
    super(options, (instrument: Instrument) => {
      const feePips = fees.get(instrument.id);
      if (feePips === undefined || !isOrderable(instrument)) return undefined;
      return {
        instrument,
        feePips,
        reserve0: 0n,
        reserve1: 0n,
        blockNumber: 0,
        known: false,
      };
    });
    this.baseDecimals = options.baseDecimals ?? 8;
    this.quoteDecimals = options.quoteDecimals ?? 6;
    this.gas = options.gas ?? DEFAULT_SANDBOX_GAS;
    this.marketSlippageBps = options.marketSlippageBps ?? 100;
    this.onSwap = options.onSwap;
    for (const p of options.pools) {
      if (!this.markets.has(p.instrumentId))
        throw configError(`pool ${p.instrumentId} is not a spot instrument of ${this.id}`, {
          instrumentId: p.instrumentId,
        });
    }
  }

  /** The venue's copy of a pool: reserves (raw units) and the block of its last event. */
  poolState(
    instrumentId: InstrumentId,
  ): { reserve0: bigint; reserve1: bigint; blockNumber: number; feePips: number } | undefined {
    const m = this.markets.get(instrumentId);
    if (m === undefined || !m.known) return undefined;
    return { reserve0: m.reserve0, reserve1: m.reserve1, blockNumber: m.blockNumber, feePips: m.feePips };
  }

  /** Bundles executed so far. */
  bundleCount(): number {
    return this.bundles;
  }

  async submitOrder(request: OrderRequest): Promise<void> {
    this.lifecycle.assertWorking('submitOrder');
    if (this.submitted.has(request.clientOrderId)) {
      this.emitRejected(request.clientOrderId, 'DUPLICATE_CLIENT_ORDER_ID', 'clientOrderId already used');
      return;
    }
    this.submitted.add(request.clientOrderId);
    const order: DexOrder = {
      request,
      venueOrderId: this.nextVenueOrderId(),
      status: 'SUBMITTED',
      filled: Decimal.ZERO,
      fills: [],
      locked: Decimal.ZERO,
    };
    if (this.admit(order, 'a pool') === undefined) return;
    // Accepted (or rejected) when its bundle is executed, at the end of the burst.
    if (this.pending.length === 0) {
      // The end of this burst: every order sent synchronously with this one is in the block.
      void Promise.resolve().then(() => this.executePending());
    }
    this.pending.push(order);
  }

  /** Swaps execute at once: there is nothing to cancel. */
  async cancelOrder(clientOrderId: string): Promise<void> {
    this.lifecycle.assertWorking('cancelOrder');
    if (!this.submitted.has(clientOrderId)) throw this.orderNotFound(clientOrderId);
  }

  /** Takes the pools' states; other events are not about this venue's pools. */
  onMarketEvent(event: MarketEvent): void {
    if (event.type !== 'pool') return;
    const market = this.markets.get(event.instrumentId);
    if (market === undefined || event.reserve0 === undefined || event.reserve1 === undefined) return;
    market.reserve0 = BigInt(event.reserve0);
    market.reserve1 = BigInt(event.reserve1);
    market.blockNumber = event.blockNumber;
    market.known = true;
  }

  /**
   * Executes orders as one atomic bundle, now (tests and the burst's end use it): every leg on
   * scratch state first; all apply, or none does.
   */
  executeBundle(orders: readonly DexOrder[]): boolean {
    const scratch = new Map<DexMarket, { reserve0: bigint; reserve1: bigint }>();
    const balances = new Map<string, Decimal>();
    const balance = (asset: string) => balances.get(asset) ?? this.available(asset);
    const results: LegResult[] = [];
    if (orders.length === 0) return true;
    const gasFee = sandboxGasCost(this.gas, orders.length, this.quoteDecimals);
    let failure: Refusal | undefined;
    for (const [k, order] of orders.entries()) {
      const market = this.markets.get(order.request.instrumentId) as DexMarket;
      const state = scratch.get(market) ?? { reserve0: market.reserve0, reserve1: market.reserve1 };
      const leg = this.simulateLeg(order, market, state, k === 0 ? gasFee : Decimal.ZERO, balance);
      if ('refusal' in leg) {
        failure = [leg.refusal[0], `leg ${k} of ${orders.length}: ${leg.refusal[1]}`];
        break;
      }
      scratch.set(market, { reserve0: leg.result.reserve0, reserve1: leg.result.reserve1 });
      const { base, quote } = market.instrument;
      const fee = k === 0 ? gasFee : Decimal.ZERO;
      if (order.request.side === 'buy') {
        balances.set(quote, balance(quote).sub(leg.result.notional).sub(fee));
        balances.set(base, balance(base).add(order.request.quantity));
      } else {
        balances.set(quote, balance(quote).add(leg.result.notional).sub(fee));
        balances.set(base, balance(base).sub(order.request.quantity));
      }
      results.push(leg.result);
    }
    if (failure !== undefined) {
      const [code, reason] = failure;
      for (const order of orders)
        this.reject(order, code, `bundle not sent, its simulation failed: ${reason}`);
      return false;
    }
    this.bundles++;
    for (const [k, r] of results.entries()) {
      const { order, market, notional } = r;
      market.reserve0 = r.reserve0;
      market.reserve1 = r.reserve1;
      const quantity = order.request.quantity;
      const price = notional.div(quantity);
      this.accept(order);
      this.bookFill(
        market.instrument as OrderableInstrument,
        order,
        price,
        quantity,
        notional,
        k === 0 ? gasFee : Decimal.ZERO,
        'taker',
      );
      this.onSwap?.(market.instrument.id, r.reserve0, r.reserve1);
    }
    return true;
  }

  /** Groups the burst's orders by decision, in arrival order, and executes each group atomically. */
  private executePending(): void {
    const orders = this.pending;
    this.pending = [];
    const groups = new Map<string, DexOrder[]>();
    for (const order of orders) {
      const list = groups.get(order.request.decisionId);
      if (list === undefined) groups.set(order.request.decisionId, [order]);
      else list.push(order);
    }
    for (const group of groups.values()) {
      group.sort((a, b) => a.request.leg - b.request.leg);
      this.executeBundle(group);
    }
  }

  private simulateLeg(
    order: DexOrder,
    market: DexMarket,
    state: { reserve0: bigint; reserve1: bigint },
    gasFee: Decimal,
    balance: (asset: string) => Decimal,
  ): { result: LegResult } | { refusal: Refusal } {
    const request = order.request;
    const { base, quote } = market.instrument;
    if (!market.known)
      return { refusal: ['SIMULATION_FAILED', `no state for pool ${request.instrumentId} yet`] };
    const baseUnits = this.toRaw(request.quantity, this.baseDecimals, 'down');
    if (baseUnits <= 0n)
      return { refusal: ['BAD_PRECISION', `quantity ${request.quantity} is below one raw unit`] };
    const bound = this.boundPrice(request, market, state);
    try {
      if (request.side === 'buy') {
        if (baseUnits >= state.reserve0)
          return { refusal: ['SIMULATION_FAILED', 'the pool does not hold that much base'] };
        const amountIn = getAmountIn(baseUnits, state.reserve1, state.reserve0, market.feePips);
        const notional = this.fromRaw(amountIn, this.quoteDecimals);
        const maxIn = request.quantity.mul(bound, 'down');
        if (notional.gt(maxIn))
          return {
            refusal: [
              'SLIPPAGE_EXCEEDED',
              `buying ${request.quantity} ${base} costs ${notional} ${quote}, bound ${maxIn}`,
            ],
          };
        if (balance(quote).lt(notional.add(gasFee)))
          return {
            refusal: [
              'INSUFFICIENT_FUNDS',
              `needs ${notional.add(gasFee)} ${quote} incl. gas, have ${balance(quote)} available`,
            ],
          };
        return {
          result: {
            order,
            market,
            notional,
            reserve0: state.reserve0 - baseUnits,
            reserve1: state.reserve1 + amountIn,
          },
        };
      }
      const amountOut = getAmountOut(baseUnits, state.reserve0, state.reserve1, market.feePips);
      const notional = this.fromRaw(amountOut, this.quoteDecimals);
      const minOut = request.quantity.mul(bound, 'up');
      if (amountOut <= 0n || notional.lt(minOut))
        return {
          refusal: [
            'SLIPPAGE_EXCEEDED',
            `selling ${request.quantity} ${base} gives ${notional} ${quote}, bound ${minOut}`,
          ],
        };
      if (balance(base).lt(request.quantity))
        return {
          refusal: [
            'INSUFFICIENT_FUNDS',
            `selling ${request.quantity} ${base} needs that much available, have ${balance(base)}`,
          ],
        };
      if (balance(quote).add(notional).lt(gasFee))
        return { refusal: ['INSUFFICIENT_FUNDS', `gas of ${gasFee} ${quote} exceeds the balance`] };
      return {
        result: {
          order,
          market,
          notional,
          reserve0: state.reserve0 + baseUnits,
          reserve1: state.reserve1 - amountOut,
        },
      };
    } catch (err) {
      return { refusal: ['SIMULATION_FAILED', err instanceof Error ? err.message : String(err)] };
    }
  }

  /** The average price a leg may not cross: its limit, or the market bound around the marginal price. */
  private boundPrice(
    request: OrderRequest,
    market: DexMarket,
    state: { reserve0: bigint; reserve1: bigint },
  ): Decimal {
    if (request.type === 'limit' && request.price !== undefined) return request.price;
    const marginal = this.fromRaw(state.reserve1, this.quoteDecimals).div(
      this.fromRaw(state.reserve0, this.baseDecimals),
    );
    const keep = Decimal.from(1 - market.feePips / 1_000_000);
    const slip = Decimal.from(this.marketSlippageBps).div(10_000);
    return request.side === 'buy'
      ? marginal.div(keep).mul(Decimal.ONE.add(slip))
      : marginal.mul(keep).mul(Decimal.ONE.sub(slip));
  }

  private toRaw(amount: Decimal, decimals: number, rounding: 'down' | 'up'): bigint {
    const step = 10n ** BigInt(18 - decimals);
    const q = amount.units / step;
    return rounding === 'up' && q * step !== amount.units ? q + 1n : q;
  }

  private fromRaw(raw: bigint, decimals: number): Decimal {
    return Decimal.fromUnits(raw * 10n ** BigInt(18 - decimals));
  }

  protected unlist(): void {
    // Nothing rests on a pool.
  }

  protected checkOrder(market: DexMarket, request: OrderRequest): Refusal | undefined {
    const shape = checkShape(market.instrument, request);
    if (shape !== undefined) return shape;
    if (request.timeInForce === 'POST_ONLY') return ['INVALID_ORDER', 'a swap cannot be post-only'];
    return undefined;
  }
}
