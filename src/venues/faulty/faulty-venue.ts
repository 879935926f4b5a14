/**
 * A VenuePort wrapper that injects the faults real venues produce, to prove the
 * desk survives them: timeouts (before and after the venue took the order),
 * disconnect windows, rate limits, rejections, split (partial) and delayed fills,
 * duplicated and reordered events.
 *
 * Deterministic: every decision comes from the injected seeded Random, in call order,
 * and every delay runs on the injected Clock. The same seed and the same calls give
 * the same faults. The wrapped venue's state stays the truth: dropped events can be
 * recovered through `fetchOrder`, which presents fills exactly as events did (a fill
 * split in two is split the same way in both, with the same trade ids).
 */
import { type Clock, ConcordError, Decimal, type LifecycleView, type Random } from '../../core/index.ts';
import type {
  Fill,
  Instrument,
  OrderRequest,
  VenueBalance,
  VenueCapabilities,
  VenueId,
  VenueOrderEvent,
  VenueOrderState,
  VenuePort,
  VenuePosition,
} from '../../model/index.ts';

export type FaultKind =
  | 'timeoutAfterSend'
  | 'timeoutBeforeSend'
  | 'readTimeout'
  | 'cancelTimeout'
  | 'rateLimit'
  | 'reject'
  | 'disconnect'
  | 'heldEvent'
  | 'droppedEvent'
  | 'splitFill'
  | 'delayedEvent'
  | 'duplicatedEvent'
  | 'reorderedEvent';

export const FAULT_KINDS: readonly FaultKind[] = [
  'timeoutAfterSend',
  'timeoutBeforeSend',
  'readTimeout',
  'cancelTimeout',
  'rateLimit',
  'reject',
  'disconnect',
  'heldEvent',
  'droppedEvent',
  'splitFill',
  'delayedEvent',
  'duplicatedEvent',
  'reorderedEvent',
];

/** Probabilities are per call (or per event) in [0, 1]; all default to 0 (a transparent wrapper). */
export interface FaultConfig {
  /** Submit reaches the venue, then the caller gets CONCORD_ERR_VENUE_TIMEOUT (outcome unknown to it). */
  readonly timeoutAfterSend?: number;
  /** Submit never reaches the venue, and the caller gets the same timeout: it cannot tell the two apart. */
  readonly timeoutBeforeSend?: number;
  /** A fetch times out (retryable: a read is safe to repeat). */
  readonly readTimeout?: number;
  /** A cancel times out; whether it reached the venue is drawn too (retryable: cancels are idempotent). */
  readonly cancelTimeout?: number;
  /** Any call is refused with CONCORD_ERR_VENUE_RATE_LIMITED; nothing reaches the venue. */
  readonly rateLimit?: number;
  /** A submit is refused by the venue: it never reaches the inner venue, an `order.rejected` event follows. */
  readonly reject?: number;
  /** Any call may start a disconnect window (the call itself fails). */
  readonly disconnect?: number;
  /** Length of a disconnect window, ms (default 1000). */
  readonly disconnectMs?: number;
  /** Chance an event during a disconnect is dropped (else it is held until reconnect). Default 0.5. */
  readonly dropDuringDisconnect?: number;
  /** A fill of ≥ 2 lots is split into two fills (trade ids `<id>.1`, `<id>.2`). */
  readonly splitFill?: number;
  /** A fill event is delivered up to `maxDelayMs` late. */
  readonly delayFill?: number;
  readonly maxDelayMs?: number;
  /** An event is delivered twice (the copy up to `reorderWindowMs` later). */
  readonly duplicate?: number;
  /** An event is held up to `reorderWindowMs`, so later events may overtake it. */
  readonly reorder?: number;
  readonly reorderWindowMs?: number;
}

export interface FaultyVenueOptions {
  readonly inner: VenuePort;
  readonly clock: Clock;
  /** Seeded; the wrapper forks its own streams from it. */
  readonly random: Random;
  readonly faults?: FaultConfig;
}

type Handler = (event: VenueOrderEvent) => void;

const PROBABILITY_KEYS = [
  'timeoutAfterSend',
  'timeoutBeforeSend',
  'readTimeout',
  'cancelTimeout',
  'rateLimit',
  'reject',
  'disconnect',
  'dropDuringDisconnect',
  'splitFill',
  'delayFill',
  'duplicate',
  'reorder',
] as const;

export class FaultyVenue implements VenuePort {
  readonly id: VenueId;
  readonly has: VenueCapabilities;
  /** The wrapped venue's: injected disconnect windows are faults to survive, not a state change. */
  readonly lifecycle: LifecycleView | undefined;
  private readonly inner: VenuePort;
  private readonly clock: Clock;
  private readonly callRandom: Random;
  private readonly eventRandom: Random;
  private faults: Required<FaultConfig>;
  private handlers: readonly Handler[] = [];
  private readonly counters = new Map<FaultKind, number>(FAULT_KINDS.map((k) => [k, 0]));
  private disconnectedUntil = Number.NEGATIVE_INFINITY;
  private readonly held: VenueOrderEvent[] = [];
  private reconnectTimer: number | undefined;
  /** How each inner fill is presented (split or not), decided once, used by events and fetches alike. */
  private readonly presented = new Map<string, readonly Fill[]>();
  private readonly lotSizes = new Map<string, Decimal>();
  private readonly unsubscribeInner: () => void;
  private pendingDeliveries = 0;

  constructor(options: FaultyVenueOptions) {
    this.inner = options.inner;
    this.id = options.inner.id;
    this.has = options.inner.has;
    this.lifecycle = options.inner.lifecycle;
    this.clock = options.clock;
    this.callRandom = options.random.fork('faulty-venue.calls');
    this.eventRandom = options.random.fork('faulty-venue.events');
    this.faults = normalise(options.faults ?? {});
    for (const instrument of options.inner.instruments()) {
      if ('lotSize' in instrument) this.lotSizes.set(instrument.id, instrument.lotSize);
    }
    this.unsubscribeInner = this.inner.onOrderEvent((event) => this.fromInner(event));
  }

  /** Changes the fault mix (e.g. to zero before a final reconciliation). */
  setFaults(faults: FaultConfig): void {
    this.faults = normalise(faults);
  }

  /** Injected faults so far, by kind. */
  faultCounts(): Record<FaultKind, number> {
    return Object.fromEntries(FAULT_KINDS.map((k) => [k, this.counters.get(k) ?? 0])) as Record<
      FaultKind,
      number
    >;
  }

  /** Starts a disconnect window now (tests and drills), on top of random ones. */
  disconnectFor(ms: number): void {
    this.count('disconnect');
    this.openWindow(ms);
  }

  isDisconnected(): boolean {
    return this.clock.now() < this.disconnectedUntil;
  }

  /** Events scheduled for later delivery (delayed, reordered, duplicated, held). */
  pendingEvents(): number {
    return this.pendingDeliveries + this.held.length;
  }

  dispose(): void {
    this.unsubscribeInner();
    if (this.reconnectTimer !== undefined) this.clock.clearTimer(this.reconnectTimer);
  }

  instruments(): readonly Instrument[] {
    return this.inner.instruments();
  }

  onOrderEvent(handler: Handler): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  // ── calls ────────────────────────────────────────────────────────────

  async submitOrder(request: OrderRequest): Promise<void> {
    this.gate('submitOrder');
    if (this.draw('timeoutBeforeSend')) throw this.timeout('submitOrder', false, request.clientOrderId);
    if (this.draw('reject')) {
      // The venue refused: its answer comes as an event, like a real venue's.
      const ts = this.clock.now();
      this.clock.setTimeout(
        () =>
          this.dispatch({
            type: 'order.rejected',
            clientOrderId: request.clientOrderId,
            code: 'FAULT_INJECTED_REJECT',
            reason: 'rejected by fault injection',
            ts,
          }),
        0,
      );
      return;
    }
    const timeoutAfter = this.draw('timeoutAfterSend');
    await this.inner.submitOrder(request);
    if (timeoutAfter) throw this.timeout('submitOrder', false, request.clientOrderId);
  }

  async cancelOrder(clientOrderId: string): Promise<void> {
    this.gate('cancelOrder');
    if (this.draw('cancelTimeout')) {
      if (this.callRandom.bool()) await this.inner.cancelOrder(clientOrderId);
      throw this.timeout('cancelOrder', true, clientOrderId);
    }
    await this.inner.cancelOrder(clientOrderId);
  }

  async fetchOrder(clientOrderId: string): Promise<VenueOrderState | undefined> {
    this.readGate('fetchOrder');
    const state = await this.inner.fetchOrder(clientOrderId);
    if (state === undefined) return undefined;
    return { ...state, fills: state.fills.flatMap((f) => this.present(f)) };
  }

  async fetchOpenOrders(): Promise<readonly VenueOrderState[]> {
    this.readGate('fetchOpenOrders');
    const states = await this.inner.fetchOpenOrders();
    return states.map((s) => ({ ...s, fills: s.fills.flatMap((f) => this.present(f)) }));
  }

  async fetchBalances(): Promise<readonly VenueBalance[]> {
    this.readGate('fetchBalances');
    return this.inner.fetchBalances();
  }

  async fetchPositions(): Promise<readonly VenuePosition[]> {
    this.readGate('fetchPositions');
    return this.inner.fetchPositions();
  }

  /** Disconnects and rate limits apply to every call. */
  private gate(operation: string): void {
    if (this.isDisconnected()) throw this.disconnected(operation);
    if (this.draw('disconnect')) {
      this.openWindow(this.faults.disconnectMs);
      throw this.disconnected(operation);
    }
    if (this.draw('rateLimit')) {
      throw new ConcordError(
        'CONCORD_ERR_VENUE_RATE_LIMITED',
        `${this.id} refused ${operation}: rate limit reached; back off and retry`,
        {
          details: { venue: this.id, operation, injected: true },
          retryable: true,
        },
      );
    }
  }

  private readGate(operation: string): void {
    this.gate(operation);
    if (this.draw('readTimeout')) throw this.timeout(operation, true, undefined);
  }

  private openWindow(ms: number): void {
    const until = this.clock.now() + ms;
    if (until <= this.disconnectedUntil) return;
    this.disconnectedUntil = until;
    if (this.reconnectTimer !== undefined) this.clock.clearTimer(this.reconnectTimer);
    this.reconnectTimer = this.clock.setTimeout(() => this.reconnect(), ms);
  }

  private reconnect(): void {
    this.reconnectTimer = undefined;
    // Held events arrive in a burst on reconnect, in the order they happened.
    for (const event of this.held.splice(0)) this.dispatch(event);
  }

  // ── events ───────────────────────────────────────────────────────────

  private fromInner(event: VenueOrderEvent): void {
    const events: VenueOrderEvent[] =
      event.type === 'order.filled'
        ? this.present(event.fill).map((fill) => ({ type: 'order.filled', fill }))
        : [event];
    for (const e of events) this.route(e);
  }

  private route(event: VenueOrderEvent): void {
    if (this.isDisconnected()) {
      if (this.drawEvent('dropDuringDisconnect')) this.count('droppedEvent');
      else {
        this.count('heldEvent');
        this.held.push(event);
      }
      return;
    }
    let delayMs = 0;
    if (event.type === 'order.filled' && this.drawEvent('delayFill')) {
      this.count('delayedEvent');
      delayMs = this.eventRandom.uniform(0, this.faults.maxDelayMs);
    } else if (this.drawEvent('reorder')) {
      this.count('reorderedEvent');
      delayMs = this.eventRandom.uniform(0, this.faults.reorderWindowMs);
    }
    this.deliver(event, delayMs);
    if (this.drawEvent('duplicate')) {
      this.count('duplicatedEvent');
      this.deliver(event, delayMs + this.eventRandom.uniform(0, this.faults.reorderWindowMs));
    }
  }

  private deliver(event: VenueOrderEvent, delayMs: number): void {
    if (delayMs <= 0) {
      this.dispatch(event);
      return;
    }
    this.pendingDeliveries++;
    this.clock.setTimeout(() => {
      this.pendingDeliveries--;
      // A delayed event that lands in a disconnect is held or dropped like any other.
      if (this.isDisconnected()) this.route(event);
      else this.dispatch(event);
    }, delayMs);
  }

  private dispatch(event: VenueOrderEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  /** The fill as callers see it: split in two (on the lot grid) or as is; the same answer every time. */
  private present(fill: Fill): readonly Fill[] {
    const known = this.presented.get(fill.tradeId);
    if (known !== undefined) return known;
    let parts: readonly Fill[] = [fill];
    const lot = this.lotSizes.get(fill.instrumentId);
    if (lot !== undefined && fill.quantity.gte(lot.add(lot)) && this.drawEvent('splitFill')) {
      this.count('splitFill');
      const lots = fill.quantity.units / lot.units;
      const firstLots =
        1n + BigInt(this.eventRandom.int(Number(lots - 1n > 1_000_000n ? 1_000_000n : lots - 1n)));
      const first = Decimal.fromUnits(firstLots * lot.units);
      const second = fill.quantity.sub(first);
      const firstFee = fill.fee.mul(first).div(fill.quantity, 'down');
      parts = [
        { ...fill, tradeId: `${fill.tradeId}.1`, quantity: first, fee: firstFee },
        { ...fill, tradeId: `${fill.tradeId}.2`, quantity: second, fee: fill.fee.sub(firstFee) },
      ];
    }
    this.presented.set(fill.tradeId, parts);
    return parts;
  }

  // ── randomness and counting ──────────────────────────────────────────

  private draw(kind: FaultKind & keyof FaultConfig): boolean {
    const p = this.faults[kind];
    if (p <= 0) return false;
    const hit = this.callRandom.next() < p;
    if (hit) this.count(kind);
    return hit;
  }

  private drawEvent(
    key: 'dropDuringDisconnect' | 'splitFill' | 'delayFill' | 'duplicate' | 'reorder',
  ): boolean {
    const p = this.faults[key];
    return p > 0 && this.eventRandom.next() < p;
  }

  private count(kind: FaultKind): void {
    this.counters.set(kind, (this.counters.get(kind) ?? 0) + 1);
  }

  private timeout(operation: string, retryable: boolean, clientOrderId: string | undefined): ConcordError {
    const advice = retryable
      ? 'retry with backoff'
      : 'the order may or may not exist at the venue: leave it UNKNOWN and reconcile, never resend';
    return new ConcordError(
      'CONCORD_ERR_VENUE_TIMEOUT',
      `${this.id} did not answer ${operation} in time; ${advice}`,
      {
        details: { venue: this.id, operation, clientOrderId, injected: true },
        retryable,
      },
    );
  }

  private disconnected(operation: string): ConcordError {
    return new ConcordError(
      'CONCORD_ERR_VENUE_DISCONNECTED',
      `${this.id} is disconnected, ${operation} was not sent; retry after reconnecting (the connection is back at ${this.disconnectedUntil})`,
      {
        details: { venue: this.id, operation, reconnectAt: this.disconnectedUntil, injected: true },
        retryable: true,
      },
    );
  }
}

function normalise(config: FaultConfig): Required<FaultConfig> {
  for (const key of PROBABILITY_KEYS) {
    const p = config[key];
    if (p !== undefined && !(p >= 0 && p <= 1)) {
      throw new ConcordError('CONCORD_ERR_CONFIG_INVALID', `fault probability ${key} must be within [0, 1]`, {
        details: { path: `faults.${key}`, expected: 'a number in [0, 1]', received: p },
      });
    }
  }
  for (const key of ['disconnectMs', 'maxDelayMs', 'reorderWindowMs'] as const) {
    const ms = config[key];
    if (ms !== undefined && !(ms >= 0 && Number.isFinite(ms))) {
      throw new ConcordError('CONCORD_ERR_CONFIG_INVALID', `fault ${key} must be a finite number of ms ≥ 0`, {
        details: { path: `faults.${key}`, expected: 'a finite number ≥ 0', received: ms },
      });
    }
  }
  return {
    timeoutAfterSend: config.timeoutAfterSend ?? 0,
    timeoutBeforeSend: config.timeoutBeforeSend ?? 0,
    readTimeout: config.readTimeout ?? 0,
    cancelTimeout: config.cancelTimeout ?? 0,
    rateLimit: config.rateLimit ?? 0,
    reject: config.reject ?? 0,
    disconnect: config.disconnect ?? 0,
    disconnectMs: config.disconnectMs ?? 1_000,
    dropDuringDisconnect: config.dropDuringDisconnect ?? 0.5,
    splitFill: config.splitFill ?? 0,
    delayFill: config.delayFill ?? 0,
    maxDelayMs: config.maxDelayMs ?? 500,
    duplicate: config.duplicate ?? 0,
    reorder: config.reorder ?? 0,
    reorderWindowMs: config.reorderWindowMs ?? 50,
  };
}
