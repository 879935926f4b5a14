/**
 * The EVM venue: on-chain orders behind the same venue port as a CEX, so they pass the same risk
 * gate and order state machine in the same order manager (ADR 0016).
 *
 * An order on a market (a token pair swapped through a Uniswap V2-style router) becomes one
 * transaction, always with a slippage bound: a sell spends exactly `quantity` of the base token for
 * at least `quantity × price` of the quote token (`swapExactTokensForTokens`, amountOutMin); a buy
 * receives exactly `quantity` for at most `quantity × price` (`swapTokensForExactTokens`,
 * amountInMax). A market order's bound is the router's quote moved by `slippageBps`.
 *
 * Its life:
 * - submit: a nonce from the account's local counter (NonceManager), EIP-1559 fees from the gas
 *   model, then the call is simulated (eth_call), signed, and the signed bytes simulated again; a
 *   failed simulation sends nothing (CONCORD_ERR_EVM_SIMULATION_FAILED with the revert reason: the
 *   order is rejected) and hands the nonce back. Then the public mempool (eth_sendRawTransaction)
 *   or the private relay (a one-transaction bundle, after the relay's own simulation). `order.accepted`
 *   (venue order id `<account>:<nonce>`, stable across replacements) and `tx.sent` follow.
 * - `poll()` (the owner calls it on every block and on a timer; a reorg notice from the pool
 *   syncer runs its part at once) reads each live transaction's fate from the chain:
 *   mined → `tx.included`, provisional; `confirmations` blocks deep → final: the fill, read from the
 *   receipt's Transfer logs with the gas cost as fee, goes to the order manager's one fill path,
 *   or a revert rejects the order (CONCORD_ERR_EVM_TX_REVERTED); its block left the chain →
 *   `tx.reorged`, watched again; gone from the mempool → `tx.dropped`, then the same bytes again
 *   after a passing simulation (policy `rebroadcast`) or a cancel (`expire`); not mined after
 *   `replaceAfterMs` → replaced at the same nonce with fees bumped by `feeBumpBps` (≥ 12.5 %),
 *   at most `maxReplacements` times, then a cancel (a self-transfer at that nonce), then
 *   `tx.stuck` (CONCORD_ERR_EVM_TX_STUCK) and nothing more is sent. Its nonce used by a
 *   transaction we never sent → the order expires (CONCORD_ERR_EVM_NONCE_CONSUMED).
 * - a send lost in transit is CONCORD_ERR_EVM_SUBMIT_UNKNOWN: the order is UNKNOWN, and
 *   `fetchOrder` resolves it from the chain by its hashes and nonce, never by sending again.
 * - after a restart, `restoreTx` rebuilds the transactions from the journal's tx.* records; their
 *   fate is then read from the chain like any other's.
 * - atomic plans (with `executor` and a `pool` per market): the orders of one burst with one
 *   `decisionId` become ONE `execute` transaction of Concord's executor contract, simulated first,
 *   each leg's fill read from its pair's transfers in the receipt (`submitBundle`, ADR 0016 addendum).
 */
import {
  encodeFunctionData,
  type Hex,
  keccak256,
  type LocalAccount,
  type PublicClient,
  parseAbi,
  parseEventLogs,
  type TransactionReceipt,
} from 'viem';
import {
  type Clock,
  ConcordError,
  Decimal,
  isConcordError,
  Lifecycle,
  type LifecycleView,
  toConcordError,
} from '../../core/index.ts';
import { getAmountIn, getAmountOut } from '../../model/amm/index.ts';
import {
  type Fill,
  type Instrument,
  type OrderRequest,
  type OrderStatus,
  type Side,
  type SpotInstrument,
  spotInstrument,
  type TxProgress,
  type VenueBalance,
  type VenueCapabilities,
  type VenueId,
  type VenueOrderEvent,
  type VenueOrderState,
  type VenuePort,
  type VenuePosition,
} from '../../model/index.ts';
import type { BundleSubmitter } from './bundle.ts';
import { isTransportError, rpc } from './client.ts';
import { type Address, redactUrl } from './config.ts';
import { EXECUTOR_ABI, encodeExecute } from './executor.ts';
import type { GasModel } from './gas.ts';
import { NonceManager } from './nonce.ts';
import { requireSimulated, simulate, simulateSigned } from './simulate.ts';
import type { ReorgNotice } from './syncer.ts';

export const ROUTER_V2_ABI = parseAbi([
  'function swapExactTokensForTokens(uint256 amountIn, uint256 amountOutMin, address[] path, address to, uint256 deadline) returns (uint256[] amounts)',
  'function swapTokensForExactTokens(uint256 amountOut, uint256 amountInMax, address[] path, address to, uint256 deadline) returns (uint256[] amounts)',
  'function getAmountsOut(uint256 amountIn, address[] path) view returns (uint256[] amounts)',
  'function getAmountsIn(uint256 amountOut, address[] path) view returns (uint256[] amounts)',
]);
const PAIR_ABI = parseAbi([
  'function getReserves() view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)',
]);
const ERC20_ABI = parseAbi([
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'function balanceOf(address) view returns (uint256)',
]);

export interface EvmToken {
  readonly address: Address;
  readonly symbol: string;
  /** At most 18. */
  readonly decimals: number;
}

/** A pair traded through a Uniswap V2-style router (the pool path `[base, quote]`). */
export interface EvmSwapMarket {
  /** `BASE-QUOTE`; the instrument is `<venue>:<symbol>`. */
  readonly symbol: string;
  readonly base: EvmToken;
  readonly quote: EvmToken;
  readonly router: Address;
  /** Decimal strings; default one unit of the last decimal of the base token, and 1e-8. */
  readonly lotSize?: string;
  readonly tickSize?: string;
  /**
   * The V2 pair of `[base, quote]` this market trades in: needed for a leg of an atomic plan,
   * which the executor contract swaps directly against the pair (not through the router).
   */
  readonly pool?: Address;
  /** The pair's fee in pips; default 3000 (0.30 %). */
  readonly feePips?: number;
}

export type TxSubmission =
  | { readonly kind: 'public' }
  /** A one-transaction bundle for the next block; a bundle not included is sent again next poll. */
  | { readonly kind: 'private'; readonly bundles: BundleSubmitter };

export interface EvmVenueOptions {
  readonly id: VenueId;
  readonly chainId: number;
  readonly client: PublicClient;
  /** For error messages (scheme and host only are shown). */
  readonly endpoint: string;
  /** The sending account (a local signer: the key never leaves it). */
  readonly account: LocalAccount;
  readonly gas: GasModel;
  readonly clock: Clock;
  readonly markets: readonly EvmSwapMarket[];
  /** Default public mempool. */
  readonly submission?: TxSubmission;
  /** Blocks (the including one counted) before a fill is booked; default 3. */
  readonly confirmations?: number;
  /** Clock time a transaction may wait unmined before it is replaced; default 30 s. */
  readonly replaceAfterMs?: number;
  /** Replacements with bumped fees before a cancel; default 3. */
  readonly maxReplacements?: number;
  /** Fee bump of a replacement in basis points; at least 1250 (nodes ask for 10 % or more); default 1250. */
  readonly feeBumpBps?: number;
  /** Market orders: the bound around the router's quote; default 50. */
  readonly slippageBps?: number;
  /** Seconds after the latest block's time the router's deadline is set to; default 300. */
  readonly deadlineSeconds?: number;
  /** What a transaction that left the mempool unmined gets; default `rebroadcast`. */
  readonly onDropped?: 'rebroadcast' | 'expire';
  /** The fee's currency (the chain's native token); default `ETH`. */
  readonly nativeSymbol?: string;
  /**
   * Concord's executor contract, owned by `account` and holding the cycle's first token: the legs
   * of one atomic plan (one burst, one decision) become one `execute` transaction through it.
   */
  readonly executor?: Address;
}

/** A leg of an atomic bundle waiting for the end of its burst. */
interface PendingLeg {
  readonly request: OrderRequest;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** One executor transaction carrying the legs of one atomic plan. */
interface BundleRecord {
  readonly decisionId: string;
  readonly legs: readonly { readonly request: OrderRequest; readonly market: EvmSwapMarket }[];
  readonly nonce: number;
  readonly attempt: Attempt;
  done: boolean;
}

interface Attempt {
  readonly hash: Hex;
  /** The signed bytes (absent for a transaction restored from the journal). */
  readonly raw: Hex | undefined;
  readonly purpose: 'order' | 'cancel';
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

interface Inclusion {
  readonly attempt: Attempt;
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
  readonly receipt: TransactionReceipt;
}

interface TxRecord {
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly side: Side;
  readonly quantity: Decimal;
  readonly market: EvmSwapMarket;
  readonly nonce: number;
  readonly venueOrderId: string;
  /** The order's call (absent after a restore: such a transaction is resolved or cancelled, never re-signed). */
  readonly call: { readonly to: Address; readonly data: Hex; readonly gas: bigint } | undefined;
  readonly attempts: Attempt[];
  lastSentAt: number;
  /** Private submission: the block the last bundle was for (until it passes, the bundle is pending). */
  target: bigint | undefined;
  replacements: number;
  cancel: { readonly outcome: 'canceled' | 'expired'; readonly reason: string } | undefined;
  stuck: boolean;
  inclusion: Inclusion | undefined;
  /** Set once final. */
  status: OrderStatus;
  fills: Fill[];
  finalBlockHash: Hex | undefined;
}

const FINAL_KEPT = 256;

export class EvmVenue implements VenuePort {
  readonly id: VenueId;
  readonly has: VenueCapabilities = {
    market: true,
    limit: true,
    ioc: true,
    fok: true,
    postOnly: false,
    cancel: true,
    fetchOrder: true,
  };
  /** Transactions broadcast by this venue object, by kind (a restart's venue starts at zero). */
  readonly sent = { order: 0, replacement: 0, cancel: 0, rebroadcast: 0 };
  private readonly life: Lifecycle;
  private readonly options: EvmVenueOptions;
  private readonly nonces: NonceManager;
  private readonly markets = new Map<string, EvmSwapMarket>();
  private readonly instrumentList: SpotInstrument[] = [];
  private readonly records = new Map<string, TxRecord>();
  private handlers: ReadonlyArray<(event: VenueOrderEvent) => void> = [];
  /** Atomic legs of the current burst (flushed at its end). */
  private burst: PendingLeg[] = [];
  private readonly bundles: BundleRecord[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly confirmations: number;
  private readonly replaceAfterMs: number;
  private readonly maxReplacements: number;
  private readonly feeBumpBps: bigint;
  private readonly slippageBps: bigint;

  constructor(options: EvmVenueOptions) {
    this.options = options;
    this.id = options.id;
    this.life = new Lifecycle(`venue ${options.id}`);
    this.confirmations = options.confirmations ?? 3;
    this.replaceAfterMs = options.replaceAfterMs ?? 30_000;
    this.maxReplacements = options.maxReplacements ?? 3;
    const bump = options.feeBumpBps ?? 1250;
    const slip = options.slippageBps ?? 50;
    if (
      !Number.isInteger(this.confirmations) ||
      this.confirmations < 1 ||
      !Number.isInteger(bump) ||
      bump < 1250 ||
      !Number.isInteger(slip) ||
      slip < 0 ||
      slip >= 10_000 ||
      !Number.isInteger(this.maxReplacements) ||
      this.maxReplacements < 0
    )
      throw new ConcordError(
        'CONCORD_ERR_EVM_CONFIG_INVALID',
        'EVM venue: confirmations ≥ 1, feeBumpBps ≥ 1250, 0 ≤ slippageBps < 10000 and maxReplacements ≥ 0 (integers)',
        {
          details: {
            path: 'venue',
            confirmations: this.confirmations,
            feeBumpBps: bump,
            slippageBps: slip,
            maxReplacements: this.maxReplacements,
          },
        },
      );
    this.feeBumpBps = BigInt(bump);
    this.slippageBps = BigInt(slip);
    this.nonces = new NonceManager(options.client, options.endpoint, options.account.address);
    for (const m of options.markets) {
      if (
        m.feePips !== undefined &&
        (!Number.isInteger(m.feePips) || m.feePips < 0 || m.feePips >= 1_000_000)
      )
        throw new ConcordError(
          'CONCORD_ERR_EVM_CONFIG_INVALID',
          `market ${m.symbol}: feePips in [0, 1000000)`,
          {
            details: { path: `markets.${m.symbol}.feePips`, feePips: m.feePips },
          },
        );
      if (m.base.decimals > 18 || m.quote.decimals > 18 || m.base.decimals < 0 || m.quote.decimals < 0)
        throw new ConcordError('CONCORD_ERR_EVM_CONFIG_INVALID', `market ${m.symbol}: decimals above 18`, {
          details: { path: `markets.${m.symbol}` },
        });
      const instrument = spotInstrument({
        venue: options.id,
        symbol: m.symbol,
        base: m.base.symbol,
        quote: m.quote.symbol,
        lotSize: m.lotSize ?? Decimal.fromUnits(10n ** BigInt(18 - m.base.decimals)).toString(),
        tickSize: m.tickSize ?? '0.00000001',
      });
      this.instrumentList.push(instrument);
      this.markets.set(instrument.id, m);
    }
    this.life.transition('STARTING', 'EVM venue');
    this.life.transition('RUNNING', 'ready');
  }

  get lifecycle(): LifecycleView {
    return this.life;
  }

  get address(): Address {
    return this.options.account.address;
  }

  instruments(): readonly Instrument[] {
    return this.instrumentList;
  }

  onOrderEvent(handler: (event: VenueOrderEvent) => void): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /** Stops taking submits and cancels. */
  stop(): void {
    this.life.transitionIfAllowed('STOPPING', 'stop');
    this.life.transitionIfAllowed('STOPPED', 'stopped');
  }

  /** Runs the reorg part of the lifecycle on every reorg the pool syncer reports. */
  watchReorgs(syncer: { onReorg(fn: (notice: ReorgNotice) => void): () => void }): () => void {
    return syncer.onReorg((notice) => this.onReorg(notice));
  }

  // ── submit ──────────────────────────────────────────────────────────────

  submitOrder(request: OrderRequest): Promise<void> {
    this.life.assertWorking('submitOrder');
    const market = this.markets.get(request.instrumentId);
    if (this.options.executor === undefined || market?.pool === undefined)
      return this.serial(() => this.doSubmit(request));
    // A leg on a pair, with an executor: held to the end of the burst, where the orders of one
    // decision sent together (an atomic plan's legs) become one executor transaction.
    return new Promise<void>((resolve, reject) => {
      if (this.burst.length === 0) void Promise.resolve().then(() => this.flushBurst());
      this.burst.push({ request, resolve, reject });
    });
  }

  /** Groups the burst by decision: one order alone goes to the router, two or more to the executor. */
  private flushBurst(): void {
    const burst = this.burst;
    this.burst = [];
    const groups = new Map<string, PendingLeg[]>();
    for (const p of burst) {
      const list = groups.get(p.request.decisionId);
      if (list === undefined) groups.set(p.request.decisionId, [p]);
      else list.push(p);
    }
    for (const group of groups.values()) {
      group.sort((a, b) => a.request.leg - b.request.leg);
      const run =
        group.length === 1
          ? this.serial(() => this.doSubmit((group[0] as PendingLeg).request))
          : this.serial(() => this.submitBundle(group.map((g) => g.request)));
      run.then(
        () => {
          for (const g of group) g.resolve();
        },
        (err: unknown) => {
          for (const g of group) g.reject(err);
        },
      );
    }
  }

  /**
   * The legs of one atomic plan as one `execute` call of the executor contract: the path is the
   * legs' pairs in leg order, each leg spending what the one before it received, the first leg's
   * input token coming back at the end. Amounts are exact on the pairs' current reserves: the first
   * leg's input is what buys (or is) its quantity, and every leg's base amount must be exactly what
   * its hop moves (else the plan is refused: a fill may not differ from its order). The limits: the
   * first leg's input may not exceed its limit notional, and the minimum profit is the last leg's
   * limit notional less that input, so the contract reverts unless the last leg gets at least its
   * bound. Simulated (call, then signed bytes) before anything is sent; a failure rejects every leg.
   */
  private async submitBundle(requests: readonly OrderRequest[]): Promise<void> {
    const executor = this.options.executor as Address;
    const decisionId = (requests[0] as OrderRequest).decisionId;
    const legs = requests.map((request) => {
      const market = this.markets.get(request.instrumentId) as EvmSwapMarket;
      if (this.records.has(request.clientOrderId) || request.price === undefined)
        throw new ConcordError(
          'CONCORD_ERR_VENUE_INVALID_ORDER',
          `atomic leg ${request.clientOrderId} needs a limit price and an unused id`,
          { details: { clientOrderId: request.clientOrderId, decisionId } },
        );
      const buy = request.side === 'buy';
      return {
        request,
        market,
        tokenIn: buy ? market.quote : market.base,
        tokenOut: buy ? market.base : market.quote,
        baseRaw: toRaw(request.quantity, market.base.decimals, 'down'),
      };
    });
    const pathError = (message: string) =>
      new ConcordError('CONCORD_ERR_EVM_PATH_INVALID', `atomic plan ${decisionId}: ${message}`, {
        details: { decisionId, legs: requests.length },
      });
    for (const [i, leg] of legs.entries()) {
      const next = legs[(i + 1) % legs.length] as (typeof legs)[number];
      if (leg.tokenOut.address.toLowerCase() !== next.tokenIn.address.toLowerCase())
        throw pathError(
          `leg ${i} receives ${leg.tokenOut.symbol} but the next leg spends ${next.tokenIn.symbol}`,
        );
    }
    const from = this.address;
    let nonce: number | undefined;
    let attempt: Attempt;
    try {
      // Exact amounts along the path, on the reserves of the latest block.
      let amount = 0n;
      let amountIn = 0n;
      for (const [i, leg] of legs.entries()) {
        const [r0, r1] = await rpc('getReserves', this.options.endpoint, () =>
          this.options.client.readContract({
            address: leg.market.pool as Address,
            abi: PAIR_ABI,
            functionName: 'getReserves',
          }),
        );
        const inIs0 = leg.tokenIn.address.toLowerCase() < leg.tokenOut.address.toLowerCase();
        const [rin, rout] = inIs0 ? [r0, r1] : [r1, r0];
        const fee = leg.market.feePips ?? 3000;
        if (i === 0)
          amount = leg.request.side === 'buy' ? getAmountIn(leg.baseRaw, rin, rout, fee) : leg.baseRaw;
        if (i === 0) amountIn = amount;
        const spent = amount;
        amount = getAmountOut(spent, rin, rout, fee);
        const moved = leg.request.side === 'buy' ? amount : spent;
        if (moved !== leg.baseRaw)
          throw pathError(
            `leg ${i} would move ${moved} raw units of ${leg.market.base.symbol} on the current reserves, not its quantity ${leg.baseRaw}`,
          );
      }
      const first = legs[0] as (typeof legs)[number];
      const last = legs[legs.length - 1] as (typeof legs)[number];
      const limitNotional = (leg: typeof first, rounding: 'down' | 'up') =>
        toRaw(
          leg.request.quantity.mul(leg.request.price as Decimal, rounding === 'up' ? 'ceil' : 'floor'),
          leg.market.quote.decimals,
          rounding,
        );
      const maxIn = first.request.side === 'buy' ? limitNotional(first, 'down') : first.baseRaw;
      if (amountIn > maxIn)
        throw new ConcordError(
          'CONCORD_ERR_EVM_SIMULATION_FAILED',
          `atomic plan ${decisionId}: leg 0 costs ${amountIn} raw units, above its limit ${maxIn}`,
          { details: { decisionId, amountIn: amountIn.toString(), maxIn: maxIn.toString() } },
        );
      const minOut = last.request.side === 'sell' ? limitNotional(last, 'up') : last.baseRaw;
      const minProfit = minOut > amountIn ? minOut - amountIn : 0n;
      const head = await this.head();
      const data = encodeExecute({
        amountIn,
        hops: legs.map((leg) => ({
          pool: leg.market.pool as Address,
          tokenIn: leg.tokenIn.address,
          v3: false,
          zeroForOne: leg.tokenIn.address.toLowerCase() < leg.tokenOut.address.toLowerCase(),
          fee: leg.market.feePips ?? 3000,
          sqrtPriceLimitX96: 0n,
        })),
        minProfit,
        deadlineBlock: head + 2n,
      });
      requireSimulated(
        await simulate(
          this.options.client,
          this.options.endpoint,
          { from, to: executor, data },
          { abi: EXECUTOR_ABI },
        ),
        `atomic plan ${decisionId}`,
      );
      const gasEstimate = await rpc('eth_estimateGas', this.options.endpoint, () =>
        this.options.client.estimateGas({ account: from, to: executor, data }),
      );
      const fees = await this.options.gas.plan();
      nonce = await this.nonces.reserve();
      attempt = await this.signed(
        { to: executor, data, gas: (gasEstimate * 13n) / 10n + 20_000n },
        nonce,
        fees.maxFeePerGas,
        fees.maxPriorityFeePerGas,
        'order',
      );
      await this.requireSignedSimulation(attempt, first.request.clientOrderId);
      await this.broadcast(attempt, nonce);
    } catch (err) {
      if (nonce !== undefined) {
        if (/nonce/i.test(errorText(err))) this.nonces.resync();
        else this.nonces.release(nonce);
      }
      throw notSent(err, `${first0(requests)} (atomic plan ${decisionId})`);
    }
    this.sent.order++;
    this.bundles.push({ decisionId, legs, nonce, attempt, done: false });
    const ts = this.options.clock.now();
    for (const leg of legs)
      this.emit({
        type: 'order.accepted',
        clientOrderId: leg.request.clientOrderId,
        venueOrderId: `${from.toLowerCase()}:${nonce}:${leg.request.leg}`,
        ts,
      });
  }

  /** An executor transaction's fate: `confirmations` deep, each leg's fill from the pairs' transfers, or all legs rejected. */
  private async checkBundles(head: bigint): Promise<void> {
    for (const b of this.bundles) {
      if (b.done) continue;
      const receipt = await this.receipt(b.attempt.hash);
      if (receipt === undefined || head - receipt.blockNumber + 1n < BigInt(this.confirmations)) continue;
      b.done = true;
      const ts = this.options.clock.now();
      if (receipt.status !== 'success') {
        for (const leg of b.legs)
          this.emit({
            type: 'order.rejected',
            clientOrderId: leg.request.clientOrderId,
            code: 'CONCORD_ERR_EVM_TX_REVERTED',
            reason: `executor transaction ${b.attempt.hash} reverted in block ${receipt.blockNumber}`,
            ts,
          });
        continue;
      }
      const transfers = parseEventLogs({ abi: ERC20_ABI, logs: receipt.logs, eventName: 'Transfer' });
      const moved = (token: Address, pool: Address, dir: 'to' | 'from') => {
        let sum = 0n;
        for (const t of transfers)
          if (
            t.address.toLowerCase() === token.toLowerCase() &&
            t.args[dir].toLowerCase() === pool.toLowerCase()
          )
            sum += t.args.value;
        return sum;
      };
      for (const [k, { request, market }] of b.legs.entries()) {
        const pool = market.pool as Address;
        const buy = request.side === 'buy';
        const baseRaw = moved(market.base.address, pool, buy ? 'from' : 'to');
        const quoteRaw = moved(market.quote.address, pool, buy ? 'to' : 'from');
        const quantity = fromRaw(baseRaw, market.base.decimals);
        const fill: Fill = {
          clientOrderId: request.clientOrderId,
          venueOrderId: `${this.address.toLowerCase()}:${b.nonce}:${request.leg}`,
          tradeId: `${b.attempt.hash}:${request.leg}`,
          instrumentId: request.instrumentId,
          venue: this.id,
          side: request.side,
          price: fromRaw(quoteRaw, market.quote.decimals).div(quantity),
          quantity,
          // The gas is paid once, on the first leg.
          fee: k === 0 ? Decimal.fromUnits(receipt.gasUsed * receipt.effectiveGasPrice) : Decimal.ZERO,
          feeCurrency: this.options.nativeSymbol ?? 'ETH',
          liquidity: 'taker',
          ts,
        };
        this.emit({ type: 'order.filled', fill });
      }
    }
  }

  private async doSubmit(request: OrderRequest): Promise<void> {
    const market = this.markets.get(request.instrumentId);
    if (market === undefined)
      throw new ConcordError(
        'CONCORD_ERR_VENUE_INVALID_ORDER',
        `venue ${this.id} has no market ${request.instrumentId}`,
        { details: { instrumentId: request.instrumentId, venue: this.id } },
      );
    if (this.records.has(request.clientOrderId))
      throw new ConcordError(
        'CONCORD_ERR_VENUE_INVALID_ORDER',
        `order ${request.clientOrderId} already has a transaction`,
        { details: { clientOrderId: request.clientOrderId } },
      );
    const from = this.address;
    const to = market.router;
    let nonce: number | undefined;
    let call: { to: Address; data: Hex; gas: bigint };
    let attempt: Attempt;
    try {
      const data = await this.swapCall(market, request);
      // Simulate the call first: no nonce is taken for a call that would revert.
      requireSimulated(
        await simulate(this.options.client, this.options.endpoint, { from, to, data }),
        `order ${request.clientOrderId}`,
      );
      const gasEstimate = await rpc('eth_estimateGas', this.options.endpoint, () =>
        this.options.client.estimateGas({ account: from, to, data }),
      );
      const gas = (gasEstimate * 13n) / 10n + 20_000n;
      const fees = await this.options.gas.plan();
      nonce = await this.nonces.reserve();
      call = { to, data, gas };
      attempt = await this.signed(call, nonce, fees.maxFeePerGas, fees.maxPriorityFeePerGas, 'order');
      await this.requireSignedSimulation(attempt, request.clientOrderId);
    } catch (err) {
      if (nonce !== undefined) {
        // A node that finds the nonce wrong (another wallet used it): read the chain again.
        if (/nonce/i.test(errorText(err))) this.nonces.resync();
        else this.nonces.release(nonce);
      }
      throw notSent(err, request.clientOrderId);
    }
    const record: TxRecord = {
      clientOrderId: request.clientOrderId,
      instrumentId: request.instrumentId,
      side: request.side,
      quantity: request.quantity,
      market,
      nonce,
      venueOrderId: `${from.toLowerCase()}:${nonce}`,
      call,
      attempts: [attempt],
      lastSentAt: this.options.clock.now(),
      target: undefined,
      replacements: 0,
      cancel: undefined,
      stuck: false,
      inclusion: undefined,
      status: 'SUBMITTED',
      fills: [],
      finalBlockHash: undefined,
    };
    try {
      record.target = await this.broadcast(attempt, nonce);
    } catch (err) {
      // The node refused (nothing taken): the nonce is free again. Unknown: keep the record.
      if (isConcordError(err) && err.code === 'CONCORD_ERR_EVM_SUBMIT_UNKNOWN')
        this.records.set(record.clientOrderId, record);
      else this.nonces.resync();
      throw err;
    }
    this.sent.order++;
    this.records.set(record.clientOrderId, record);
    const ts = this.options.clock.now();
    this.emit({
      type: 'order.accepted',
      clientOrderId: record.clientOrderId,
      venueOrderId: record.venueOrderId,
      ts,
    });
    this.emitTx(record, 'sent', attempt, {});
  }

  /** The router call of an order, with its slippage bound. */
  private async swapCall(market: EvmSwapMarket, request: OrderRequest): Promise<Hex> {
    const amount = toRaw(request.quantity, market.base.decimals, 'down');
    if (amount <= 0n)
      throw new ConcordError('CONCORD_ERR_VENUE_INVALID_ORDER', 'the quantity is below one token unit', {
        details: { clientOrderId: request.clientOrderId, quantity: request.quantity.toString() },
      });
    const buy = request.side === 'buy';
    const path = buy
      ? [market.quote.address, market.base.address]
      : [market.base.address, market.quote.address];
    let bound: bigint;
    if (request.price !== undefined) {
      const notional = request.quantity.mul(request.price, buy ? 'ceil' : 'floor');
      bound = toRaw(notional, market.quote.decimals, buy ? 'up' : 'down');
    } else {
      const amounts = await rpc(
        `router ${buy ? 'getAmountsIn' : 'getAmountsOut'}`,
        this.options.endpoint,
        () =>
          this.options.client.readContract({
            address: market.router,
            abi: ROUTER_V2_ABI,
            functionName: buy ? 'getAmountsIn' : 'getAmountsOut',
            args: [amount, path],
          }),
      );
      const quoted = (buy ? amounts[0] : amounts[amounts.length - 1]) as bigint;
      bound = buy
        ? ceilDiv(quoted * (10_000n + this.slippageBps), 10_000n)
        : (quoted * (10_000n - this.slippageBps)) / 10_000n;
    }
    const block = await rpc('eth_getBlockByNumber latest', this.options.endpoint, () =>
      this.options.client.getBlock({ blockTag: 'latest' }),
    );
    const deadline = block.timestamp + BigInt(this.options.deadlineSeconds ?? 300);
    return buy
      ? encodeFunctionData({
          abi: ROUTER_V2_ABI,
          functionName: 'swapTokensForExactTokens',
          args: [amount, bound, path, this.address, deadline],
        })
      : encodeFunctionData({
          abi: ROUTER_V2_ABI,
          functionName: 'swapExactTokensForTokens',
          args: [amount, bound, path, this.address, deadline],
        });
  }

  private async signed(
    call: { to: Address; data: Hex; gas: bigint; value?: bigint },
    nonce: number,
    maxFeePerGas: bigint,
    maxPriorityFeePerGas: bigint,
    purpose: Attempt['purpose'],
  ): Promise<Attempt> {
    const sign = this.options.account.signTransaction;
    if (sign === undefined)
      throw new ConcordError(
        'CONCORD_ERR_EVM_CONFIG_INVALID',
        'the EVM venue needs a local signing account',
        {
          details: { path: 'account' },
        },
      );
    const raw = await sign({
      type: 'eip1559',
      chainId: this.options.chainId,
      to: call.to,
      data: call.data,
      value: call.value ?? 0n,
      gas: call.gas,
      nonce,
      maxFeePerGas,
      maxPriorityFeePerGas,
    });
    return { hash: keccak256(raw), raw, purpose, maxFeePerGas, maxPriorityFeePerGas };
  }

  private async requireSignedSimulation(attempt: Attempt, clientOrderId: string): Promise<void> {
    if (attempt.raw === undefined) return;
    requireSimulated(
      await simulateSigned(this.options.client, this.options.endpoint, attempt.raw),
      `the transaction of order ${clientOrderId}`,
    );
  }

  /**
   * Sends signed bytes that passed their simulation: to the public mempool, or to the relay as a
   * one-transaction bundle for the next block (returns that block).
   */
  private async broadcast(attempt: Attempt, nonce: number): Promise<bigint | undefined> {
    const raw = attempt.raw as Hex;
    const submission = this.options.submission ?? { kind: 'public' };
    if (submission.kind === 'private') {
      const head = await this.head();
      try {
        await submission.bundles.submit([raw], { targetBlock: head + 1n });
      } catch (err) {
        if (isConcordError(err) && err.code === 'CONCORD_ERR_EVM_SIMULATION_FAILED') throw err;
        throw this.unknownSend(attempt, err);
      }
      return head + 1n;
    }
    try {
      await this.options.client.sendRawTransaction({ serializedTransaction: raw });
    } catch (err) {
      if (isTransportError(err)) throw this.unknownSend(attempt, err);
      const message = err instanceof Error ? err.message : String(err);
      const nonceError = /nonce/i.test(message);
      if (nonceError) this.nonces.resync();
      throw new ConcordError(
        nonceError ? 'CONCORD_ERR_EVM_NONCE' : 'CONCORD_ERR_EVM_SEND_REFUSED',
        `the node refused transaction ${attempt.hash} (nonce ${nonce}): ${firstLine(message)}`,
        { details: { hash: attempt.hash, nonce, endpoint: redactUrl(this.options.endpoint) }, cause: err },
      );
    }
    return undefined;
  }

  /**
   * Sends a further attempt at a record's nonce. It joins the record first, so if a send lost in
   * transit lands anyway its hash is recognised; a clear refusal by the node takes it out again.
   */
  private async sendAttempt(rec: TxRecord, attempt: Attempt): Promise<void> {
    rec.attempts.push(attempt);
    try {
      rec.target = await this.broadcast(attempt, rec.nonce);
    } catch (err) {
      if (!(isConcordError(err) && err.code === 'CONCORD_ERR_EVM_SUBMIT_UNKNOWN')) rec.attempts.pop();
      throw err;
    }
    rec.lastSentAt = this.options.clock.now();
  }

  private unknownSend(attempt: Attempt, err: unknown): ConcordError {
    return new ConcordError(
      'CONCORD_ERR_EVM_SUBMIT_UNKNOWN',
      `sending transaction ${attempt.hash} failed in transit: it may or may not have been taken; its fate is read from the chain, it is not resent`,
      { details: { hash: attempt.hash, endpoint: redactUrl(this.options.endpoint) }, cause: err },
    );
  }

  // ── cancel ──────────────────────────────────────────────────────────────

  /** Voids a live transaction with a self-transfer at its nonce; the order follows whichever lands. */
  cancelOrder(clientOrderId: string): Promise<void> {
    this.life.assertWorking('cancelOrder');
    return this.serial(async () => {
      const rec = this.records.get(clientOrderId);
      if (rec === undefined)
        throw new ConcordError(
          'CONCORD_ERR_VENUE_ORDER_NOT_FOUND',
          `venue ${this.id} has no transaction for order ${clientOrderId}`,
          { details: { clientOrderId } },
        );
      if (isFinal(rec) || rec.inclusion !== undefined || rec.cancel !== undefined) return;
      await this.sendCancel(rec, { outcome: 'canceled', reason: 'cancelled on request' });
    });
  }

  // ── the fate of each transaction ────────────────────────────────────────

  /** Reads every live transaction's fate from the chain and acts on it (see the file comment). */
  /**
   * Returns what went wrong per transaction (a node refusing a replacement, an RPC failure): one
   * transaction's trouble does not stop the others being checked; the next poll tries again.
   */
  poll(): Promise<readonly ConcordError[]> {
    return this.serial(async () => {
      const errors: ConcordError[] = [];
      if (this.bundles.some((b) => !b.done)) {
        try {
          await this.checkBundles(await this.head());
        } catch (err) {
          errors.push(toConcordError(err));
        }
      }
      const live = [...this.records.values()].filter((r) => !isFinal(r));
      if (live.length === 0) return errors;
      const latestNonce = await this.nonces.chainLatest();
      const head = await this.head();
      for (const rec of live) {
        try {
          await this.check(rec, head, latestNonce, true);
        } catch (err) {
          errors.push(toConcordError(err));
        }
      }
      return errors;
    });
  }

  private async check(rec: TxRecord, head: bigint, latestNonce: number, mayAct: boolean): Promise<void> {
    if (rec.inclusion !== undefined) {
      const still = await this.receipt(rec.inclusion.attempt.hash);
      if (still === undefined || still.blockHash !== rec.inclusion.blockHash) this.reorged(rec, false);
    }
    if (rec.inclusion === undefined) {
      for (const attempt of rec.attempts) {
        const receipt = await this.receipt(attempt.hash);
        if (receipt === undefined) continue;
        rec.inclusion = { attempt, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, receipt };
        this.emitTx(rec, 'included', attempt, {
          blockNumber: receipt.blockNumber.toString(),
          blockHash: receipt.blockHash,
          status: receipt.status,
          confirmations: this.confirmations,
        });
        break;
      }
    }
    if (rec.inclusion !== undefined) {
      if (head - rec.inclusion.blockNumber + 1n >= BigInt(this.confirmations))
        this.finalise(rec, rec.inclusion);
      return;
    }
    const last = rec.attempts[rec.attempts.length - 1] as Attempt;
    if (latestNonce > rec.nonce) {
      // Mined nonce, none of our hashes: a transaction we never sent took it.
      this.emitTx(rec, 'dropped', last, {
        code: 'CONCORD_ERR_EVM_NONCE_CONSUMED',
        message: `nonce ${rec.nonce} was used by a transaction this venue did not send`,
      });
      this.settle(
        rec,
        'EXPIRED',
        `CONCORD_ERR_EVM_NONCE_CONSUMED: nonce ${rec.nonce} was used by another transaction`,
      );
      this.nonces.resync();
      return;
    }
    if (!mayAct) return;
    // A bundle is for one block: until that block is past it is pending at the relay, not in a mempool.
    if (rec.target !== undefined && head < rec.target) return;
    const inPool = await this.inMempool(last.hash);
    if (!inPool) {
      this.emitTx(rec, 'dropped', last, {
        code: 'CONCORD_ERR_EVM_TX_DROPPED',
        message: `transaction ${last.hash} is neither mined nor in the mempool`,
      });
      await this.onDropped(rec, last);
      return;
    }
    if (this.options.clock.now() - rec.lastSentAt >= this.replaceAfterMs) await this.escalate(rec, last);
  }

  private async onDropped(rec: TxRecord, last: Attempt): Promise<void> {
    const policy = this.options.onDropped ?? 'rebroadcast';
    if (policy === 'rebroadcast' && last.raw !== undefined) {
      const sim = await simulateSigned(this.options.client, this.options.endpoint, last.raw);
      if (sim.ok) {
        rec.target = await this.broadcast(last, rec.nonce);
        this.sent.rebroadcast++;
        rec.lastSentAt = this.options.clock.now();
        this.emitTx(rec, 'sent', last, {
          message: 'rebroadcast: the same signed bytes after they left the mempool',
        });
        return;
      }
      if (last.purpose === 'order') {
        await this.sendCancel(rec, {
          outcome: 'expired',
          reason: `CONCORD_ERR_EVM_SIMULATION_FAILED: dropped, and no longer passes its simulation (${sim.reason})`,
        });
        return;
      }
    }
    // Void the nonce so the signed bytes can never land later.
    if (rec.cancel === undefined || last.purpose === 'cancel')
      await this.sendCancel(
        rec,
        rec.cancel ?? { outcome: 'expired', reason: 'CONCORD_ERR_EVM_TX_DROPPED: dropped from the mempool' },
      );
  }

  /** Replace with bumped fees, then cancel, then report stuck. */
  private async escalate(rec: TxRecord, last: Attempt): Promise<void> {
    if (rec.cancel === undefined && rec.call !== undefined && rec.replacements < this.maxReplacements) {
      const fees = await this.bumped(last);
      const attempt = await this.signed(
        rec.call,
        rec.nonce,
        fees.maxFeePerGas,
        fees.maxPriorityFeePerGas,
        'order',
      );
      const sim = await simulateSigned(this.options.client, this.options.endpoint, attempt.raw as Hex);
      if (!sim.ok) {
        await this.sendCancel(rec, {
          outcome: 'canceled',
          reason: `CONCORD_ERR_EVM_SIMULATION_FAILED: its replacement fails its simulation (${sim.reason})`,
        });
        return;
      }
      await this.sendAttempt(rec, attempt);
      this.sent.replacement++;
      rec.replacements++;
      this.emitTx(rec, 'replaced', attempt, { replaces: last.hash });
      return;
    }
    if (rec.cancel === undefined) {
      await this.sendCancel(rec, {
        outcome: 'canceled',
        reason: `CONCORD_ERR_EVM_TX_STUCK: not mined after ${rec.replacements} replacements`,
      });
      return;
    }
    if (last.purpose === 'cancel' && rec.attempts.filter((a) => a.purpose === 'cancel').length === 1) {
      // One more push for the cancel itself, then give up.
      const fees = await this.bumped(last);
      const attempt = await this.signed(
        this.cancelCall(),
        rec.nonce,
        fees.maxFeePerGas,
        fees.maxPriorityFeePerGas,
        'cancel',
      );
      await this.sendAttempt(rec, attempt);
      this.sent.cancel++;
      this.emitTx(rec, 'replaced', attempt, { replaces: last.hash });
      return;
    }
    if (!rec.stuck) {
      rec.stuck = true;
      this.emitTx(rec, 'stuck', last, {
        code: 'CONCORD_ERR_EVM_TX_STUCK',
        message: `nonce ${rec.nonce}: ${rec.replacements} replacements and the cancel were not mined; nothing more is sent`,
      });
    }
  }

  private cancelCall(): { to: Address; data: Hex; gas: bigint; value: bigint } {
    return { to: this.address, data: '0x', gas: 21_000n, value: 0n };
  }

  private async sendCancel(rec: TxRecord, cancel: NonNullable<TxRecord['cancel']>): Promise<void> {
    const last = rec.attempts[rec.attempts.length - 1] as Attempt;
    const fees = await this.bumped(last);
    const attempt = await this.signed(
      this.cancelCall(),
      rec.nonce,
      fees.maxFeePerGas,
      fees.maxPriorityFeePerGas,
      'cancel',
    );
    await this.requireSignedSimulation(attempt, rec.clientOrderId);
    rec.cancel = cancel;
    await this.sendAttempt(rec, attempt);
    this.sent.cancel++;
    this.emitTx(rec, 'replaced', attempt, { replaces: last.hash, message: cancel.reason });
  }

  /** Fees of a replacement: the last ones bumped by feeBumpBps (rounded up), never below today's plan. */
  private async bumped(last: Attempt): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const plan = await this.options.gas.plan();
    const bump = (v: bigint) => {
      const b = ceilDiv(v * (10_000n + this.feeBumpBps), 10_000n);
      return b > v ? b : v + 1n;
    };
    const tip = max(bump(last.maxPriorityFeePerGas), plan.maxPriorityFeePerGas);
    const fee = max(max(bump(last.maxFeePerGas), plan.maxFeePerGas), tip);
    return { maxFeePerGas: fee, maxPriorityFeePerGas: tip };
  }

  private finalise(rec: TxRecord, inc: Inclusion): void {
    rec.finalBlockHash = inc.blockHash;
    const ts = this.options.clock.now();
    if (inc.attempt.purpose === 'cancel') {
      const cancel = rec.cancel ?? { outcome: 'canceled' as const, reason: 'cancelled' };
      this.settle(rec, cancel.outcome === 'expired' ? 'EXPIRED' : 'CANCELED', cancel.reason);
      return;
    }
    if (inc.receipt.status !== 'success') {
      rec.status = 'REJECTED';
      this.emit({
        type: 'order.rejected',
        clientOrderId: rec.clientOrderId,
        code: 'CONCORD_ERR_EVM_TX_REVERTED',
        reason: `transaction ${inc.attempt.hash} reverted in block ${inc.blockNumber} (gas used ${inc.receipt.gasUsed})`,
        ts,
      });
      this.trim();
      return;
    }
    const fill = this.fillOf(rec, inc, ts);
    rec.status = 'FILLED';
    if (fill !== undefined) {
      rec.fills.push(fill);
      this.emit({ type: 'order.filled', fill });
    }
    this.trim();
  }

  /** The fill a receipt shows: token amounts from its Transfer logs, the gas paid as fee. */
  private fillOf(rec: TxRecord, inc: Inclusion, ts: number): Fill | undefined {
    const me = this.address.toLowerCase();
    const flows = (token: Address) => {
      let sent = 0n;
      let received = 0n;
      const logs = parseEventLogs({ abi: ERC20_ABI, logs: inc.receipt.logs, eventName: 'Transfer' });
      for (const log of logs) {
        if (log.address.toLowerCase() !== token.toLowerCase()) continue;
        if (log.args.from.toLowerCase() === me) sent += log.args.value;
        if (log.args.to.toLowerCase() === me) received += log.args.value;
      }
      return { sent, received };
    };
    const base = flows(rec.market.base.address);
    const quote = flows(rec.market.quote.address);
    const baseRaw = rec.side === 'buy' ? base.received - base.sent : base.sent - base.received;
    const quoteRaw = rec.side === 'buy' ? quote.sent - quote.received : quote.received - quote.sent;
    if (baseRaw <= 0n || quoteRaw <= 0n) return undefined;
    const quantity = fromRaw(baseRaw, rec.market.base.decimals);
    const notional = fromRaw(quoteRaw, rec.market.quote.decimals);
    const gasWei = inc.receipt.gasUsed * inc.receipt.effectiveGasPrice;
    return {
      clientOrderId: rec.clientOrderId,
      venueOrderId: rec.venueOrderId,
      tradeId: inc.attempt.hash,
      instrumentId: rec.instrumentId,
      venue: this.id,
      side: rec.side,
      price: notional.div(quantity),
      quantity,
      fee: Decimal.fromUnits(gasWei),
      feeCurrency: this.options.nativeSymbol ?? 'ETH',
      liquidity: 'taker',
      ts,
    };
  }

  private settle(rec: TxRecord, status: 'CANCELED' | 'EXPIRED', reason: string): void {
    rec.status = status;
    const ts = this.options.clock.now();
    if (status === 'CANCELED')
      this.emit({
        type: 'order.canceled',
        clientOrderId: rec.clientOrderId,
        venueOrderId: rec.venueOrderId,
        reason,
        ts,
      });
    else
      this.emit({
        type: 'order.expired',
        clientOrderId: rec.clientOrderId,
        venueOrderId: rec.venueOrderId,
        ts,
      });
    this.trim();
  }

  // ── reorgs ──────────────────────────────────────────────────────────────

  private onReorg(notice: ReorgNotice): void {
    const dropped = new Set(notice.dropped.map((b) => b.hash));
    for (const rec of this.records.values()) {
      if (rec.inclusion !== undefined && !isFinal(rec) && dropped.has(rec.inclusion.blockHash))
        this.reorged(rec, false);
      else if (isFinal(rec) && rec.finalBlockHash !== undefined && dropped.has(rec.finalBlockHash)) {
        const inc = rec.inclusion as Inclusion;
        rec.finalBlockHash = undefined;
        this.emitTx(rec, 'reorged', inc.attempt, {
          blockNumber: inc.blockNumber.toString(),
          blockHash: inc.blockHash,
          final: true,
          code: 'CONCORD_ERR_EVM_REORG_PAST_FINALITY',
          message: `block ${inc.blockNumber} was final (${this.confirmations} confirmations) and left the chain`,
        });
      }
    }
  }

  private reorged(rec: TxRecord, final: boolean): void {
    const inc = rec.inclusion as Inclusion;
    rec.inclusion = undefined;
    // The wait for a replacement starts again: the transaction is back where a block can take it.
    rec.lastSentAt = this.options.clock.now();
    this.emitTx(rec, 'reorged', inc.attempt, {
      blockNumber: inc.blockNumber.toString(),
      blockHash: inc.blockHash,
      final,
    });
  }

  // ── reconciliation and restart ──────────────────────────────────────────

  /**
   * The order's transaction as the chain tells it (by its hashes and nonce; nothing is sent).
   * Undefined when none of its transactions is mined or in the mempool and its nonce is unused:
   * the submit never arrived (the nonce counter reads the chain again).
   */
  fetchOrder(clientOrderId: string): Promise<VenueOrderState | undefined> {
    return this.serial(async () => {
      const rec = this.records.get(clientOrderId);
      if (rec === undefined) return undefined;
      if (!isFinal(rec)) {
        const latestNonce = await this.nonces.chainLatest();
        const head = await this.head();
        await this.check(rec, head, latestNonce, false);
        if (!isFinal(rec) && rec.inclusion === undefined) {
          let known = rec.target !== undefined && head < rec.target;
          for (const a of rec.attempts) if (await this.inMempool(a.hash)) known = true;
          if (!known) {
            this.records.delete(clientOrderId);
            this.nonces.resync();
            return undefined;
          }
        }
      }
      return this.stateOf(rec);
    });
  }

  fetchOpenOrders(): Promise<readonly VenueOrderState[]> {
    return Promise.resolve([...this.records.values()].filter((r) => !isFinal(r)).map((r) => this.stateOf(r)));
  }

  private stateOf(rec: TxRecord): VenueOrderState {
    return {
      clientOrderId: rec.clientOrderId,
      venueOrderId: rec.venueOrderId,
      instrumentId: rec.instrumentId,
      status: rec.status,
      filledQuantity: rec.fills.reduce((s, f) => s.add(f.quantity), Decimal.ZERO),
      fills: [...rec.fills],
    };
  }

  /**
   * Restart: rebuilds an open order's transactions from a journaled tx.* record (`tx.sent`,
   * `tx.replaced`; the others carry nothing new). Its fate is then read from the chain (`poll`,
   * `fetchOrder`); a restored transaction is never re-signed, only resolved or cancelled.
   */
  restoreTx(clientOrderId: string, tx: TxProgress): void {
    if (tx.phase !== 'sent' && tx.phase !== 'replaced') return;
    const market = this.markets.get(tx.instrumentId);
    if (market === undefined || tx.from.toLowerCase() !== this.address.toLowerCase())
      throw new ConcordError(
        'CONCORD_ERR_VENUE_BAD_DATA',
        `journaled transaction ${tx.hash} of order ${clientOrderId} is not for this venue (market ${tx.instrumentId}, account ${tx.from})`,
        { details: { clientOrderId, hash: tx.hash } },
      );
    let rec = this.records.get(clientOrderId);
    if (rec === undefined) {
      rec = {
        clientOrderId,
        instrumentId: tx.instrumentId,
        side: tx.side,
        quantity: Decimal.from(tx.quantity),
        market,
        nonce: tx.nonce,
        venueOrderId: `${tx.from.toLowerCase()}:${tx.nonce}`,
        call: undefined,
        attempts: [],
        lastSentAt: this.options.clock.now(),
        target: undefined,
        replacements: 0,
        cancel: undefined,
        stuck: false,
        inclusion: undefined,
        status: 'SUBMITTED',
        fills: [],
        finalBlockHash: undefined,
      };
      this.records.set(clientOrderId, rec);
    }
    if (rec.attempts.some((a) => a.hash === tx.hash)) return;
    rec.attempts.push({
      hash: tx.hash as Hex,
      raw: undefined,
      purpose: tx.purpose,
      maxFeePerGas: BigInt(tx.maxFeePerGas ?? '0'),
      maxPriorityFeePerGas: BigInt(tx.maxPriorityFeePerGas ?? '0'),
    });
    if (tx.purpose === 'cancel' && rec.cancel === undefined)
      rec.cancel = { outcome: 'canceled', reason: tx.message ?? 'cancelled before the restart' };
    if (tx.phase === 'replaced' && tx.purpose === 'order') rec.replacements++;
    this.nonces.resync();
  }

  // ── balances ────────────────────────────────────────────────────────────

  async fetchBalances(): Promise<readonly VenueBalance[]> {
    const tokens = new Map<string, EvmToken>();
    for (const m of this.markets.values()) {
      tokens.set(m.base.address.toLowerCase(), m.base);
      tokens.set(m.quote.address.toLowerCase(), m.quote);
    }
    const out: VenueBalance[] = [];
    const native = await rpc('eth_getBalance', this.options.endpoint, () =>
      this.options.client.getBalance({ address: this.address }),
    );
    out.push({
      asset: this.options.nativeSymbol ?? 'ETH',
      total: Decimal.fromUnits(native),
      available: Decimal.fromUnits(native),
    });
    for (const t of tokens.values()) {
      const raw = await rpc(`balanceOf ${t.symbol}`, this.options.endpoint, () =>
        this.options.client.readContract({
          address: t.address,
          abi: ERC20_ABI,
          functionName: 'balanceOf',
          args: [this.address],
        }),
      );
      const d = fromRaw(raw, t.decimals);
      out.push({ asset: t.symbol, total: d, available: d });
    }
    return out;
  }

  fetchPositions(): Promise<readonly VenuePosition[]> {
    return Promise.resolve([]);
  }

  // ── plumbing ────────────────────────────────────────────────────────────

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private head(): Promise<bigint> {
    return rpc('eth_blockNumber', this.options.endpoint, () =>
      this.options.client.getBlockNumber({ cacheTime: 0 }),
    );
  }

  private async receipt(hash: Hex): Promise<TransactionReceipt | undefined> {
    return rpc('eth_getTransactionReceipt', this.options.endpoint, async () => {
      try {
        return await this.options.client.getTransactionReceipt({ hash });
      } catch (err) {
        if ((err as { name?: string }).name === 'TransactionReceiptNotFoundError') return undefined;
        throw err;
      }
    });
  }

  private async inMempool(hash: Hex): Promise<boolean> {
    return rpc('eth_getTransactionByHash', this.options.endpoint, async () => {
      try {
        const tx = await this.options.client.getTransaction({ hash });
        return tx.blockNumber === null;
      } catch (err) {
        if ((err as { name?: string }).name === 'TransactionNotFoundError') return false;
        throw err;
      }
    });
  }

  private emitTx(
    rec: TxRecord,
    phase: TxProgress['phase'],
    attempt: Attempt,
    extra: Partial<TxProgress>,
  ): void {
    const tx: TxProgress = {
      phase,
      hash: attempt.hash,
      from: this.address.toLowerCase(),
      nonce: rec.nonce,
      purpose: attempt.purpose,
      attempt: rec.attempts.indexOf(attempt),
      instrumentId: rec.instrumentId,
      side: rec.side,
      quantity: rec.quantity.toString(),
      maxFeePerGas: attempt.maxFeePerGas.toString(),
      maxPriorityFeePerGas: attempt.maxPriorityFeePerGas.toString(),
      ...extra,
    };
    this.emit({ type: 'order.tx', clientOrderId: rec.clientOrderId, tx, ts: this.options.clock.now() });
  }

  private emit(event: VenueOrderEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  /** Keeps the last FINAL_KEPT final records (a reorg past finality is still recognised for them). */
  private trim(): void {
    const finals = [...this.records.values()].filter(isFinal);
    for (const rec of finals.slice(0, Math.max(0, finals.length - FINAL_KEPT)))
      this.records.delete(rec.clientOrderId);
  }
}

/**
 * An error before anything was sent: nothing can be live, so it is never an unknown outcome (a
 * retryable read failure here would otherwise leave the order UNKNOWN for nothing).
 */
function notSent(err: unknown, clientOrderId: string): ConcordError {
  if (isConcordError(err) && !err.retryable) return err;
  const short = isConcordError(err) ? err.shortMessage : err instanceof Error ? err.message : String(err);
  return new ConcordError(
    (isConcordError(err) ? err.code : 'CONCORD_ERR_EVM_RPC') as `CONCORD_ERR_${string}`,
    `order ${clientOrderId} was not sent: ${short}`,
    { details: { clientOrderId, sent: false }, cause: err, retryable: false },
  );
}

function first0(requests: readonly OrderRequest[]): string {
  return (requests[0] as OrderRequest).clientOrderId;
}

function errorText(err: unknown): string {
  if (!isConcordError(err)) return err instanceof Error ? err.message : String(err);
  return `${err.shortMessage} ${JSON.stringify(err.details ?? {})}`;
}

function isFinal(rec: TxRecord): boolean {
  return rec.status !== 'SUBMITTED';
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** A Decimal as raw token units (`down` or `up` when it has more decimals than the token). */
export function toRaw(value: Decimal, decimals: number, rounding: 'down' | 'up'): bigint {
  const scale = 10n ** BigInt(18 - decimals);
  const q = value.units / scale;
  return rounding === 'up' && q * scale < value.units ? q + 1n : q;
}

/** Raw token units as an exact Decimal. */
export function fromRaw(raw: bigint, decimals: number): Decimal {
  return Decimal.fromUnits(raw * 10n ** BigInt(18 - decimals));
}
