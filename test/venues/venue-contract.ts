/**
 * The venue contract: what every VenuePort (simulated, ccxt, evm…) must do,
 * as one suite that takes a harness factory. Run it from a `*.test.ts` file:
 *
 *   describeVenueContract('SimulatedVenue', () => makeSimulatedHarness());
 *
 * The harness funds the account (at least 100,000 quote and 10 base), can set
 * the market the venue sees, and can let time pass so that in-flight requests
 * reach the venue and their events arrive.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, isConcordError, isLifecycleState, isWorkingLifecycleState } from '../../src/core/index.ts';
import type {
  Level,
  OrderRequest,
  OrderType,
  Side,
  SpotInstrument,
  TimeInForce,
  VenueOrderEvent,
  VenuePort,
} from '../../src/model/index.ts';

export interface VenueContractHarness {
  readonly venue: VenuePort;
  /** A spot instrument of this venue with tick 0.01 and lot 0.0001 or coarser multiples of them. */
  readonly instrument: SpotInstrument;
  /** Makes the venue see this book (best first). */
  setMarket(bids: readonly Level[], asks: readonly Level[]): void;
  /** Lets in-flight requests reach the venue and their events be delivered. */
  settle(): Promise<void>;
  /** Stops (or closes) the venue, so its lifecycle ends in STOPPED. */
  stop(): void | Promise<void>;
}

export type VenueContractFactory = () => VenueContractHarness | Promise<VenueContractHarness>;

interface Recorded {
  readonly events: VenueOrderEvent[];
  of(clientOrderId: string): VenueOrderEvent[];
}

function record(venue: VenuePort): Recorded {
  const events: VenueOrderEvent[] = [];
  venue.onOrderEvent((e) => events.push(e));
  return {
    events,
    of: (id) =>
      events.filter((e) => (e.type === 'order.filled' ? e.fill.clientOrderId : e.clientOrderId) === id),
  };
}

let orderSerial = 0;

function request(
  instrument: SpotInstrument,
  side: Side,
  type: OrderType,
  quantity: string,
  price?: string,
  timeInForce: TimeInForce = 'GTC',
  clientOrderId = `contract-${++orderSerial}`,
): OrderRequest {
  return {
    clientOrderId,
    instrumentId: instrument.id,
    venue: instrument.venue,
    side,
    type,
    quantity: Decimal.from(quantity),
    ...(price === undefined ? {} : { price: Decimal.from(price) }),
    timeInForce,
    decisionId: 'contract',
    leg: 0,
    ts: 0,
  };
}

/** A 100-wide market around 60,000: asks 60,000.00 / 60,001.00 / 60,002.00, bids symmetric below 59,999. */
const BIDS: readonly Level[] = [
  [59999, 0.5],
  [59998, 1],
  [59997, 2],
];
const ASKS: readonly Level[] = [
  [60000, 0.5],
  [60001, 1],
  [60002, 2],
];

function types(events: readonly VenueOrderEvent[]): string[] {
  return events.map((e) => e.type);
}

function rejectionCode(events: readonly VenueOrderEvent[]): string | undefined {
  const e = events.find((x) => x.type === 'order.rejected');
  return e?.type === 'order.rejected' ? e.code : undefined;
}

export function describeVenueContract(name: string, factory: VenueContractFactory): void {
  describe(`venue contract: ${name}`, () => {
    async function setup() {
      const h = await factory();
      h.setMarket(BIDS, ASKS);
      await h.settle();
      return { h, rec: record(h.venue), i: h.instrument };
    }

    it('lists its instruments and capabilities', async () => {
      const { h, i } = await setup();
      expect(h.venue.instruments().map((x) => x.id)).toContain(i.id);
      for (const flag of Object.values(h.venue.has)) expect(typeof flag).toBe('boolean');
    });

    it('accepts then fills a market buy at the book, with unique trade ids and exact decimals', async () => {
      const { h, rec, i } = await setup();
      const order = request(i, 'buy', 'market', '0.8');
      await h.venue.submitOrder(order);
      await h.settle();
      const mine = rec.of(order.clientOrderId);
      expect(mine[0]?.type).toBe('order.accepted');
      const fills = mine.flatMap((e) => (e.type === 'order.filled' ? [e.fill] : []));
      expect(Decimal.sum(fills.map((f) => f.quantity)).eq('0.8')).toBe(true);
      expect(new Set(fills.map((f) => f.tradeId)).size).toBe(fills.length);
      for (const f of fills) {
        expect(f.price.gte('60000')).toBe(true);
        expect(f.price.isMultipleOf(i.tickSize)).toBe(true);
        expect(f.quantity.isMultipleOf(i.lotSize)).toBe(true);
        expect(f.liquidity).toBe('taker');
      }
      const state = await h.venue.fetchOrder(order.clientOrderId);
      expect(state?.status).toBe('FILLED');
      expect(state?.filledQuantity.eq('0.8')).toBe(true);
      expect(state?.fills.length).toBe(fills.length);
    });

    it('moves balances by the fills: base up by the quantity, quote down by notional plus quote fees', async () => {
      const { h, rec, i } = await setup();
      const before = new Map((await h.venue.fetchBalances()).map((b) => [b.asset, b.total]));
      const order = request(i, 'buy', 'market', '0.3');
      await h.venue.submitOrder(order);
      await h.settle();
      const fills = rec.events.flatMap((e) => (e.type === 'order.filled' ? [e.fill] : []));
      const after = new Map((await h.venue.fetchBalances()).map((b) => [b.asset, b.total]));
      const quoteFees = Decimal.sum(fills.filter((f) => f.feeCurrency === i.quote).map((f) => f.fee));
      const notional = Decimal.sum(fills.map((f) => f.price.mul(f.quantity)));
      expect(
        after
          .get(i.base)
          ?.sub(before.get(i.base) ?? 0)
          .eq('0.3'),
      ).toBe(true);
      expect(
        before
          .get(i.quote)
          ?.sub(after.get(i.quote) ?? 0)
          .eq(notional.add(quoteFees)),
      ).toBe(true);
    });

    it('rests a limit order away from the book, lists it open, and cancels it', async () => {
      const { h, rec, i } = await setup();
      const order = request(i, 'buy', 'limit', '0.01', '59000');
      await h.venue.submitOrder(order);
      await h.settle();
      expect(types(rec.of(order.clientOrderId))).toEqual(['order.accepted']);
      const open = await h.venue.fetchOpenOrders();
      expect(open.map((o) => o.clientOrderId)).toContain(order.clientOrderId);
      await h.venue.cancelOrder(order.clientOrderId);
      await h.settle();
      expect(types(rec.of(order.clientOrderId))).toEqual(['order.accepted', 'order.canceled']);
      expect((await h.venue.fetchOrder(order.clientOrderId))?.status).toBe('CANCELED');
      expect((await h.venue.fetchOpenOrders()).map((o) => o.clientOrderId)).not.toContain(
        order.clientOrderId,
      );
    });

    it('reserves funds for a resting buy and releases them on cancel', async () => {
      const { h, i } = await setup();
      const available = async () =>
        (await h.venue.fetchBalances()).find((b) => b.asset === i.quote)?.available ?? Decimal.ZERO;
      const start = await available();
      const order = request(i, 'buy', 'limit', '0.01', '59000');
      await h.venue.submitOrder(order);
      await h.settle();
      expect((await available()).lt(start)).toBe(true);
      await h.venue.cancelOrder(order.clientOrderId);
      await h.settle();
      expect((await available()).eq(start)).toBe(true);
    });

    it('rejects a second submit with the same clientOrderId and leaves the first alone', async () => {
      const { h, rec, i } = await setup();
      const first = request(i, 'buy', 'limit', '0.01', '59000', 'GTC', `dup-${++orderSerial}`);
      await h.venue.submitOrder(first);
      await h.venue.submitOrder({ ...first, quantity: Decimal.from('0.02') });
      await h.settle();
      const mine = rec.of(first.clientOrderId);
      expect(types(mine).sort()).toEqual(['order.accepted', 'order.rejected']);
      expect(rejectionCode(mine)).toBe('DUPLICATE_CLIENT_ORDER_ID');
      const state = await h.venue.fetchOrder(first.clientOrderId);
      expect(state?.status).toBe('ACCEPTED');
    });

    it.each([
      [
        'an unknown instrument',
        'UNKNOWN_INSTRUMENT',
        (i: SpotInstrument) => ({
          ...request(i, 'buy', 'limit', '0.01', '59000'),
          instrumentId: `${i.venue}:NOPE-USDT`,
        }),
      ],
      [
        'a price off the tick',
        'BAD_PRECISION',
        (i: SpotInstrument) => request(i, 'buy', 'limit', '0.01', '59000.001'),
      ],
      [
        'a quantity off the lot',
        'BAD_PRECISION',
        (i: SpotInstrument) => request(i, 'buy', 'limit', '0.00001', '59000'),
      ],
      [
        'a notional below the minimum',
        'MIN_NOTIONAL',
        (i: SpotInstrument) => request(i, 'buy', 'limit', '0.0001', '59000'),
      ],
      [
        'a buy beyond the quote balance',
        'INSUFFICIENT_FUNDS',
        (i: SpotInstrument) => request(i, 'buy', 'limit', '1000', '59000'),
      ],
      [
        'a sell beyond the base balance',
        'INSUFFICIENT_FUNDS',
        (i: SpotInstrument) => request(i, 'sell', 'limit', '1000', '61000'),
      ],
      [
        'a post-only order that would cross',
        'POST_ONLY_WOULD_CROSS',
        (i: SpotInstrument) => request(i, 'buy', 'limit', '0.01', '60000', 'POST_ONLY'),
      ],
    ])('rejects %s with %s', async (_what, code, make) => {
      const { h, rec, i } = await setup();
      const order = make(i);
      await h.venue.submitOrder(order);
      await h.settle();
      const mine = rec.of(order.clientOrderId);
      expect(types(mine)).toEqual(['order.rejected']);
      expect(rejectionCode(mine)).toBe(code);
    });

    it('expires the unfilled rest of an IOC order', async () => {
      const { h, rec, i } = await setup();
      const order = request(i, 'buy', 'limit', '1', '60000', 'IOC');
      await h.venue.submitOrder(order);
      await h.settle();
      const mine = rec.of(order.clientOrderId);
      expect(types(mine)).toEqual(['order.accepted', 'order.filled', 'order.expired']);
      const state = await h.venue.fetchOrder(order.clientOrderId);
      expect(state?.status).toBe('EXPIRED');
      expect(state?.filledQuantity.eq('0.5')).toBe(true);
    });

    it('expires a FOK order that cannot fill completely, without any fill', async () => {
      const { h, rec, i } = await setup();
      const order = request(i, 'buy', 'limit', '1', '60000', 'FOK');
      await h.venue.submitOrder(order);
      await h.settle();
      if (!h.venue.has.fok) {
        // A venue without fill-or-kill (Hyperliquid) refuses it before anything is sent.
        expect(types(rec.of(order.clientOrderId))).toEqual(['order.rejected']);
        expect(rejectionCode(rec.of(order.clientOrderId))).toBe('INVALID_ORDER');
        return;
      }
      expect(types(rec.of(order.clientOrderId))).toEqual(['order.accepted', 'order.expired']);
      expect((await h.venue.fetchOrder(order.clientOrderId))?.filledQuantity.isZero()).toBe(true);
    });

    it('fills a FOK order that the book can fill completely', async () => {
      const { h, rec, i } = await setup();
      const order = request(i, 'sell', 'limit', '1.2', '59998', 'FOK');
      await h.venue.submitOrder(order);
      await h.settle();
      if (!h.venue.has.fok) {
        expect(types(rec.of(order.clientOrderId))).toEqual(['order.rejected']);
        expect(rejectionCode(rec.of(order.clientOrderId))).toBe('INVALID_ORDER');
        return;
      }
      const fills = rec.of(order.clientOrderId).flatMap((e) => (e.type === 'order.filled' ? [e.fill] : []));
      expect(Decimal.sum(fills.map((f) => f.quantity)).eq('1.2')).toBe(true);
      for (const f of fills) expect(f.price.gte('59998')).toBe(true);
    });

    it('refuses to cancel an order it never received', async () => {
      const { h } = await setup();
      await expect(h.venue.cancelOrder('never-sent')).rejects.toSatisfy((e: unknown) => isConcordError(e));
    });

    it('stops delivering events after unsubscribe', async () => {
      const { h, i } = await setup();
      const seen: VenueOrderEvent[] = [];
      const unsubscribe = h.venue.onOrderEvent((e) => seen.push(e));
      unsubscribe();
      await h.venue.submitOrder(request(i, 'buy', 'limit', '0.01', '59000'));
      await h.settle();
      expect(seen).toEqual([]);
    });

    it('reports a working lifecycle state of the shared vocabulary while it takes orders', async () => {
      const { h, rec, i } = await setup();
      const state = h.venue.lifecycle?.state;
      expect(isLifecycleState(state)).toBe(true);
      expect(isWorkingLifecycleState(state as never)).toBe(true);
      const order = request(i, 'buy', 'limit', '0.01', '59000');
      await h.venue.submitOrder(order);
      await h.settle();
      expect(rec.of(order.clientOrderId)[0]?.type).toBe('order.accepted');
    });

    it('once stopped it is STOPPED for good and refuses submits and cancels with a code, nothing sent', async () => {
      const { h, rec, i } = await setup();
      const resting = request(i, 'buy', 'limit', '0.01', '59000');
      await h.venue.submitOrder(resting);
      await h.settle();
      await h.stop();
      expect(h.venue.lifecycle?.state).toBe('STOPPED');
      const late = request(i, 'buy', 'market', '0.01');
      await expect(h.venue.submitOrder(late)).rejects.toSatisfy((e: unknown) =>
        isConcordError(e, 'CONCORD_ERR_LIFECYCLE_STATE'),
      );
      await expect(h.venue.cancelOrder(resting.clientOrderId)).rejects.toSatisfy((e: unknown) =>
        isConcordError(e, 'CONCORD_ERR_LIFECYCLE_STATE'),
      );
      await h.settle();
      expect(rec.of(late.clientOrderId)).toEqual([]);
      expect(rec.of(resting.clientOrderId).map((e) => e.type)).toEqual(['order.accepted']);
    });

    it('reports positions that follow the fills', async () => {
      const { h, i } = await setup();
      await h.venue.submitOrder(request(i, 'buy', 'market', '0.2'));
      await h.venue.submitOrder(request(i, 'sell', 'market', '0.05'));
      await h.settle();
      const position = (await h.venue.fetchPositions()).find((p) => p.instrumentId === i.id);
      expect(position?.quantity.eq('0.15')).toBe(true);
    });
  });
}
