/** A scriptable VenuePort for order manager tests: records calls, emits events on demand. */
import { ConcordError, Decimal, SimulatedClock } from '../../src/core/index.ts';
import { OrderManager, type OrderManagerOptions, type PreTradeCheck } from '../../src/execution/index.ts';
import {
  type Fill,
  type Instrument,
  type OrderRequest,
  type SpotInstrument,
  spotInstrument,
  type VenueOrderEvent,
  type VenueOrderState,
  type VenuePort,
} from '../../src/model/index.ts';

export type SubmitBehaviour = 'ok' | 'timeout' | 'reject' | 'throw' | 'retryable';

export class FakeVenue implements VenuePort {
  readonly has = {
    market: true,
    limit: true,
    ioc: true,
    fok: true,
    postOnly: true,
    cancel: true,
    fetchOrder: true,
  };
  readonly submitted: OrderRequest[] = [];
  readonly canceled: string[] = [];
  readonly fetched: string[] = [];
  behaviour: SubmitBehaviour = 'ok';
  cancelFails = false;
  /** What fetchOrder answers, per client order id. */
  readonly venueStates = new Map<string, VenueOrderState>();
  private readonly handlers = new Set<(e: VenueOrderEvent) => void>();
  private tradeSeq = 0;

  constructor(
    readonly id: string,
    private readonly instrumentList: Instrument[] = [],
  ) {}

  instruments(): readonly Instrument[] {
    return this.instrumentList;
  }

  async submitOrder(request: OrderRequest): Promise<void> {
    this.submitted.push(request);
    switch (this.behaviour) {
      case 'ok':
        return;
      case 'timeout':
        throw new ConcordError('CONCORD_ERR_VENUE_TIMEOUT', 'timed out', { retryable: true });
      case 'reject':
        throw new ConcordError('CONCORD_ERR_VENUE_ORDER_NOT_FOUND', 'refused: insufficient funds');
      case 'retryable':
        throw new ConcordError('CONCORD_ERR_VENUE_ORDER_NOT_FOUND', 'rate limited', { retryable: true });
      case 'throw':
        throw new Error('socket hang up');
    }
  }

  async cancelOrder(clientOrderId: string): Promise<void> {
    this.canceled.push(clientOrderId);
    if (this.cancelFails) throw new ConcordError('CONCORD_ERR_VENUE_ORDER_NOT_FOUND', 'no such order');
  }

  onOrderEvent(handler: (event: VenueOrderEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async fetchOrder(clientOrderId: string): Promise<VenueOrderState | undefined> {
    this.fetched.push(clientOrderId);
    return this.venueStates.get(clientOrderId);
  }
  async fetchOpenOrders(): Promise<readonly VenueOrderState[]> {
    return [];
  }
  async fetchBalances() {
    return [];
  }
  async fetchPositions() {
    return [];
  }

  emit(event: VenueOrderEvent): void {
    for (const h of this.handlers) h(event);
  }

  accept(clientOrderId: string, ts = 1): void {
    this.emit({ type: 'order.accepted', clientOrderId, venueOrderId: `v-${clientOrderId}`, ts });
  }

  reject(clientOrderId: string, ts = 1): void {
    this.emit({
      type: 'order.rejected',
      clientOrderId,
      reason: 'insufficient funds',
      code: 'INSUFFICIENT_FUNDS',
      ts,
    });
  }

  makeFill(request: OrderRequest, quantity: string, price: string, tradeId?: string): Fill {
    return {
      clientOrderId: request.clientOrderId,
      venueOrderId: `v-${request.clientOrderId}`,
      tradeId: tradeId ?? `t${++this.tradeSeq}`,
      instrumentId: request.instrumentId,
      venue: this.id,
      side: request.side,
      price: Decimal.from(price),
      quantity: Decimal.from(quantity),
      fee: Decimal.from('0.01'),
      feeCurrency: 'USDT',
      liquidity: 'taker',
      ts: 2,
    };
  }

  fill(request: OrderRequest, quantity: string, price: string, tradeId?: string): Fill {
    const fill = this.makeFill(request, quantity, price, tradeId);
    this.emit({ type: 'order.filled', fill });
    return fill;
  }

  last(): OrderRequest {
    const r = this.submitted.at(-1);
    if (r === undefined) throw new Error('nothing submitted');
    return r;
  }
}

export const BTC_A: SpotInstrument = spotInstrument({
  venue: 'a',
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
  minNotional: '5',
});
export const BTC_B: SpotInstrument = spotInstrument({
  venue: 'b',
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.1',
  lotSize: '0.0001',
  minNotional: '1',
});

export interface Recorded {
  type: string;
  payload: Record<string, unknown>;
}

export function harness(overrides: Partial<OrderManagerOptions> = {}, check?: PreTradeCheck) {
  const a = new FakeVenue('a', [BTC_A]);
  const b = new FakeVenue('b', [BTC_B]);
  const events: Recorded[] = [];
  const clock = new SimulatedClock(1_000);
  const manager = new OrderManager({
    venues: { a, b },
    preTradeCheck: check ?? { check: () => ({ ok: true }) },
    events: {
      emit: (event, payload) =>
        events.push({ type: event.name, payload: payload as Record<string, unknown> }),
    },
    clock,
    ...overrides,
  });
  const types = () => events.map((e) => e.type);
  return { a, b, events, types, clock, manager };
}

export function buy(quantity: string, limitPrice?: string, instrument: SpotInstrument = BTC_A) {
  return {
    kind: 'order' as const,
    instrumentId: instrument.id,
    side: 'buy' as const,
    type: limitPrice === undefined ? ('market' as const) : ('limit' as const),
    quantity: Decimal.from(quantity),
    ...(limitPrice === undefined ? {} : { limitPrice: Decimal.from(limitPrice) }),
  };
}

export function sell(quantity: string, limitPrice?: string, instrument: SpotInstrument = BTC_A) {
  return { ...buy(quantity, limitPrice, instrument), side: 'sell' as const };
}

export function ctx(
  decisionId: string,
  leg = 0,
  instrument: SpotInstrument = BTC_A,
  referencePrice: number | undefined = 60_000,
) {
  return { decisionId, leg, ts: 1_000, referencePrice, instrument };
}
