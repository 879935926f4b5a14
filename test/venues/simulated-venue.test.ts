import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, Decimal, isConcordError, SimulatedClock } from '../../src/core/index.ts';
import {
  type Fill,
  type Level,
  type OrderRequest,
  type OrderType,
  type Side,
  type SpotInstrument,
  spotInstrument,
  type TimeInForce,
  type VenueOrderEvent,
} from '../../src/model/index.ts';
import { SimulatedVenue, SyntheticMarket } from '../../src/venues/index.ts';

const T0 = 1_700_000_000_000;

function btc(fees: { maker?: string; taker?: string } = {}, venue = 'sim-a'): SpotInstrument {
  return spotInstrument({
    venue,
    symbol: 'BTC-USDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.01',
    lotSize: '0.0001',
    minNotional: '10',
    makerFee: fees.maker ?? '0.0002',
    takerFee: fees.taker ?? '0.0005',
  });
}

function setup(
  options: { latencyMs?: number; balances?: Record<string, string>; maker?: string; taker?: string } = {},
) {
  const clock = new SimulatedClock(T0);
  const instrument = btc({
    ...(options.maker === undefined ? {} : { maker: options.maker }),
    ...(options.taker === undefined ? {} : { taker: options.taker }),
  });
  const venue = new SimulatedVenue({
    id: 'sim-a',
    clock,
    instruments: [instrument],
    balances: options.balances ?? { USDT: '1000000', BTC: '100' },
    latencyMs: options.latencyMs ?? 0,
  });
  const events: VenueOrderEvent[] = [];
  venue.onOrderEvent((e) => events.push(e));
  let sequence = 0;
  const snapshot = (bids: readonly Level[], asks: readonly Level[]) =>
    venue.onMarketEvent({
      type: 'book.snapshot',
      ts: clock.now(),
      instrumentId: instrument.id,
      sequence: ++sequence,
      bids,
      asks,
    });
  const delta = (bids: readonly Level[], asks: readonly Level[]) => {
    sequence++;
    venue.onMarketEvent({
      type: 'book.delta',
      ts: clock.now(),
      instrumentId: instrument.id,
      firstSequence: sequence,
      sequence,
      bids,
      asks,
    });
  };
  const trade = (price: number, size: number, aggressor: 'buy' | 'sell' = 'sell') =>
    venue.onMarketEvent({
      type: 'trade',
      ts: clock.now(),
      instrumentId: instrument.id,
      price,
      size,
      aggressor,
      tradeId: `x${sequence}`,
    });
  const fills = () => events.flatMap((e) => (e.type === 'order.filled' ? [e.fill] : []));
  return { clock, venue, instrument, events, snapshot, delta, trade, fills };
}

let serial = 0;
function order(
  instrument: SpotInstrument,
  side: Side,
  type: OrderType,
  quantity: string,
  price?: string,
  timeInForce: TimeInForce = 'GTC',
): OrderRequest {
  return {
    clientOrderId: `o${++serial}`,
    instrumentId: instrument.id,
    venue: instrument.venue,
    side,
    type,
    quantity: Decimal.from(quantity),
    ...(price === undefined ? {} : { price: Decimal.from(price) }),
    timeInForce,
    decisionId: 'd',
    leg: 0,
    ts: 0,
  };
}

const BIDS: Level[] = [
  [59999, 0.5],
  [59998, 1],
];
const ASKS: Level[] = [
  [60000, 0.5],
  [60001, 1],
];

const fmt = (fills: readonly Fill[]) => fills.map((f) => `${f.liquidity} ${f.side} ${f.quantity}@${f.price}`);

describe('SimulatedVenue matching', () => {
  it('walks levels for a market order, at the levels’ prices, with taker fees in quote', async () => {
    const s = setup();
    s.snapshot(BIDS, ASKS);
    await s.venue.submitOrder(order(s.instrument, 'buy', 'market', '1.2'));
    s.clock.advanceBy(0);
    expect(fmt(s.fills())).toEqual(['taker buy 0.5@60000', 'taker buy 0.7@60001']);
    expect(s.fills().map((f) => f.fee.toString())).toEqual(['15', '21.00035']);
    expect(s.fills().every((f) => f.feeCurrency === 'USDT')).toBe(true);
  });

  it('consumes the liquidity it takes until the market replaces it', async () => {
    const s = setup();
    s.snapshot(BIDS, ASKS);
    await s.venue.submitOrder(order(s.instrument, 'buy', 'market', '0.5'));
    await s.venue.submitOrder(order(s.instrument, 'buy', 'market', '0.5'));
    s.clock.advanceBy(0);
    expect(fmt(s.fills())).toEqual(['taker buy 0.5@60000', 'taker buy 0.5@60001']);
    expect(s.venue.book(s.instrument.id)?.asks()).toEqual([[60001, 0.5]]);
    s.snapshot(BIDS, ASKS);
    await s.venue.submitOrder(order(s.instrument, 'buy', 'market', '0.1'));
    s.clock.advanceBy(0);
    expect(fmt(s.fills()).at(-1)).toBe('taker buy 0.1@60000');
  });

  it('never fills more than the visible depth: the rest of a market order expires', async () => {
    const s = setup();
    s.snapshot(BIDS, ASKS);
    const o = order(s.instrument, 'sell', 'market', '5');
    await s.venue.submitOrder(o);
    s.clock.advanceBy(0);
    expect(fmt(s.fills())).toEqual(['taker sell 0.5@59999', 'taker sell 1@59998']);
    expect(s.events.at(-1)?.type).toBe('order.expired');
    expect((await s.venue.fetchOrder(o.clientOrderId))?.status).toBe('EXPIRED');
  });

  it('expires a market order on an empty book without filling', async () => {
    const s = setup();
    await s.venue.submitOrder(order(s.instrument, 'buy', 'market', '1'));
    s.clock.advanceBy(0);
    expect(s.events.map((e) => e.type)).toEqual(['order.accepted', 'order.expired']);
  });

  it('fills a marketable limit with price improvement and rests the remainder as maker', async () => {
    const s = setup();
    s.snapshot(BIDS, ASKS);
    const o = order(s.instrument, 'buy', 'limit', '2', '60001');
    await s.venue.submitOrder(o);
    s.clock.advanceBy(0);
    expect(fmt(s.fills())).toEqual(['taker buy 0.5@60000', 'taker buy 1@60001']);
    const open = await s.venue.fetchOpenOrders();
    expect(open.map((x) => [x.clientOrderId, x.status, x.filledQuantity.toString()])).toEqual([
      [o.clientOrderId, 'PARTIALLY_FILLED', '1.5'],
    ]);
  });

  it('sees the book as it is when the order arrives, latencyMs later', async () => {
    const s = setup({ latencyMs: 50 });
    s.snapshot(BIDS, ASKS);
    await s.venue.submitOrder(order(s.instrument, 'buy', 'market', '0.1'));
    s.clock.advanceBy(49);
    expect(s.events).toEqual([]);
    s.snapshot([[60999, 1]], [[61000, 1]]);
    s.clock.advanceBy(1);
    expect(fmt(s.fills())).toEqual(['taker buy 0.1@61000']);
    expect(s.fills()[0]?.ts).toBe(T0 + 50);
  });

  it('queues resting orders conservatively: touching the price or a trade at it is not a fill', async () => {
    const s = setup();
    s.snapshot(BIDS, ASKS);
    const o = order(s.instrument, 'buy', 'limit', '1', '59999.5');
    await s.venue.submitOrder(o);
    s.clock.advanceBy(0);
    s.delta([], [[59999.51, 2]]); // best ask one tick above: no fill
    s.trade(59999.5, 3); // a trade at our price: no fill
    expect(s.fills()).toEqual([]);
    s.trade(59999.49, 0.3); // a trade through our price: fills up to its size, at our price
    expect(fmt(s.fills())).toEqual(['maker buy 0.3@59999.5']);
    s.delta([], [[59999.5, 0.4]]); // the ask reaches our price: take what is shown there
    expect(fmt(s.fills())).toEqual(['maker buy 0.3@59999.5', 'maker buy 0.4@59999.5']);
    s.delta([], [[59999.4, 5]]); // the ask moves through: the rest fills at our limit, not better
    expect(fmt(s.fills())).toEqual([
      'maker buy 0.3@59999.5',
      'maker buy 0.4@59999.5',
      'maker buy 0.3@59999.5',
    ]);
    expect((await s.venue.fetchOrder(o.clientOrderId))?.status).toBe('FILLED');
    expect(await s.venue.fetchOpenOrders()).toEqual([]);
  });

  it('serves resting orders by price priority, then arrival, when the book crosses them', async () => {
    const s = setup();
    s.snapshot(BIDS, ASKS);
    const low = order(s.instrument, 'buy', 'limit', '0.5', '59999.3');
    const high = order(s.instrument, 'buy', 'limit', '0.5', '59999.5');
    const highLater = order(s.instrument, 'buy', 'limit', '0.5', '59999.5');
    for (const o of [low, high, highLater]) await s.venue.submitOrder(o);
    s.clock.advanceBy(0);
    s.delta([], [[59999.2, 0.7]]);
    expect(s.fills().map((f) => `${f.clientOrderId} ${f.quantity}@${f.price}`)).toEqual([
      `${high.clientOrderId} 0.5@59999.5`,
      `${highLater.clientOrderId} 0.2@59999.5`,
    ]);
  });

  it('charges the maker fee on resting fills, and pays a negative maker fee as a rebate', async () => {
    const s = setup({ maker: '-0.0001' });
    s.snapshot(BIDS, ASKS);
    await s.venue.submitOrder(order(s.instrument, 'sell', 'limit', '0.1', '60005'));
    s.clock.advanceBy(0);
    s.trade(60005.01, 1, 'buy');
    expect(fmt(s.fills())).toEqual(['maker sell 0.1@60005']);
    expect(s.fills()[0]?.fee.toString()).toBe('-0.60005');
    const usdt = (await s.venue.fetchBalances()).find((b) => b.asset === 'USDT');
    expect(usdt?.total.toString()).toBe(Decimal.from('1000000').add('6000.5').add('0.60005').toString());
  });

  it('checks a market buy’s funds against the cost of sweeping the book, fees included', async () => {
    // 0.5 × 60000 = 30000, fee 15: 30014.99 is not enough.
    const short = setup({ balances: { USDT: '30014.99' } });
    short.snapshot(BIDS, ASKS);
    await short.venue.submitOrder(order(short.instrument, 'buy', 'market', '0.5'));
    short.clock.advanceBy(0);
    expect(short.events.map((e) => (e.type === 'order.rejected' ? e.code : e.type))).toEqual([
      'INSUFFICIENT_FUNDS',
    ]);
    const enough = setup({ balances: { USDT: '30015' } });
    enough.snapshot(BIDS, ASKS);
    await enough.venue.submitOrder(order(enough.instrument, 'buy', 'market', '0.5'));
    enough.clock.advanceBy(0);
    expect(fmt(enough.fills())).toEqual(['taker buy 0.5@60000']);
    expect((await enough.venue.fetchBalances()).find((b) => b.asset === 'USDT')?.total.isZero()).toBe(true);
  });

  it('reserves base for a resting sell so it cannot be sold twice', async () => {
    const s = setup({ balances: { USDT: '0', BTC: '1' } });
    s.snapshot(BIDS, ASKS);
    await s.venue.submitOrder(order(s.instrument, 'sell', 'limit', '0.8', '61000'));
    const second = order(s.instrument, 'sell', 'market', '0.3');
    await s.venue.submitOrder(second);
    s.clock.advanceBy(0);
    const rejected = s.events.find((e) => e.type === 'order.rejected');
    expect(rejected?.type === 'order.rejected' && rejected.clientOrderId === second.clientOrderId).toBe(true);
    expect(rejected?.type === 'order.rejected' ? rejected.code : '').toBe('INSUFFICIENT_FUNDS');
  });

  it('rejects a limit order without a price and a post-only market order as INVALID_ORDER', async () => {
    const s = setup();
    s.snapshot(BIDS, ASKS);
    const { price: _price, ...noPrice } = order(s.instrument, 'buy', 'limit', '1', '1');
    await s.venue.submitOrder(noPrice);
    await s.venue.submitOrder(order(s.instrument, 'buy', 'market', '1', undefined, 'POST_ONLY'));
    s.clock.advanceBy(0);
    expect(s.events.map((e) => (e.type === 'order.rejected' ? e.code : e.type))).toEqual([
      'INVALID_ORDER',
      'INVALID_ORDER',
    ]);
  });

  it('ignores market data of instruments it does not trade', () => {
    const s = setup();
    s.venue.onMarketEvent({
      type: 'book.snapshot',
      ts: T0,
      instrumentId: 'sim-b:BTC-USDT',
      sequence: 1,
      bids: BIDS,
      asks: ASKS,
    });
    expect(s.venue.book(s.instrument.id)?.isEmpty()).toBe(true);
    expect(s.venue.book('sim-b:BTC-USDT')).toBeUndefined();
  });

  it('does not know an order still in flight, as a real venue would not', async () => {
    const s = setup({ latencyMs: 10 });
    const o = order(s.instrument, 'buy', 'limit', '0.01', '59000');
    await s.venue.submitOrder(o);
    expect(await s.venue.fetchOrder(o.clientOrderId)).toBeUndefined();
    s.clock.advanceBy(10);
    expect((await s.venue.fetchOrder(o.clientOrderId))?.status).toBe('ACCEPTED');
  });

  it('refuses invalid construction options with CONCORD_ERR_SIMULATED_VENUE_CONFIG', () => {
    const clock = new SimulatedClock(T0);
    const attempts = [
      () => new SimulatedVenue({ id: 'sim-a', clock, instruments: [btc()], balances: { USDT: '-1' } }),
      () => new SimulatedVenue({ id: 'sim-a', clock, instruments: [btc()], balances: {}, latencyMs: -1 }),
      () => new SimulatedVenue({ id: 'sim-a', clock, instruments: [btc({}, 'sim-b')], balances: {} }),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrowError(expect.objectContaining({ code: 'CONCORD_ERR_SIMULATED_VENUE_CONFIG' }));
    }
    expect(
      () => new SimulatedVenue({ id: 'sim-a', clock, instruments: [], balances: { USDT: 'abc' } }),
    ).toSatisfy((f: () => unknown) => {
      try {
        f();
        return false;
      } catch (e) {
        return isConcordError(e, 'CONCORD_ERR_DECIMAL_INVALID');
      }
    });
  });
});

// ── properties ─────────────────────────────────────────────────────────────

interface BookSpec {
  readonly bids: Level[];
  readonly asks: Level[];
}

const MID_TICKS = 6_000_000; // 60,000.00

/** A random uncrossed book on the 0.01 grid; sizes on the lot grid, sometimes with sub-lot dust. */
const bookArb: fc.Arbitrary<BookSpec> = fc
  .record({
    shift: fc.integer({ min: -2000, max: 2000 }),
    halfSpread: fc.integer({ min: 1, max: 300 }),
    bidGaps: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 8 }),
    askGaps: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 8 }),
    sizes: fc.array(fc.integer({ min: 1, max: 30_000 }), { minLength: 16, maxLength: 16 }),
    dust: fc.boolean(),
  })
  .map(({ shift, halfSpread, bidGaps, askGaps, sizes, dust }) => {
    const size = (i: number) => (sizes[i] as number) / 10_000 + (dust ? 0.00003 : 0);
    let bid = MID_TICKS + shift - halfSpread;
    let ask = MID_TICKS + shift + halfSpread;
    const bids: Level[] = bidGaps.map((gap, i) => {
      const level: Level = [bid / 100, size(i)];
      bid -= gap;
      return level;
    });
    const asks: Level[] = askGaps.map((gap, i) => {
      const level: Level = [ask / 100, size(8 + i)];
      ask += gap;
      return level;
    });
    return { bids, asks };
  });

const orderArb = fc.record({
  side: fc.constantFrom<Side>('buy', 'sell'),
  type: fc.constantFrom<OrderType>('market', 'limit'),
  timeInForce: fc.constantFrom<TimeInForce>('GTC', 'IOC', 'FOK', 'POST_ONLY'),
  lots: fc.integer({ min: 1, max: 40_000 }),
  priceOffset: fc.integer({ min: -3000, max: 3000 }),
});

type OrderSpec = typeof orderArb extends fc.Arbitrary<infer R> ? R : never;

type Op =
  | { kind: 'order'; order: OrderSpec }
  | { kind: 'book'; book: BookSpec }
  | { kind: 'trade'; priceOffset: number; lots: number }
  | { kind: 'cancel'; index: number }
  | { kind: 'wait'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: orderArb.map((order) => ({ kind: 'order' as const, order })) },
  { weight: 2, arbitrary: bookArb.map((book) => ({ kind: 'book' as const, book })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ priceOffset: fc.integer({ min: -800, max: 800 }), lots: fc.integer({ min: 1, max: 20_000 }) })
      .map((t) => ({ kind: 'trade' as const, ...t })),
  },
  { weight: 1, arbitrary: fc.nat(30).map((index) => ({ kind: 'cancel' as const, index })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }).map((ms) => ({ kind: 'wait' as const, ms })) },
);

const feesArb = fc.record({
  maker: fc.constantFrom('-0.0001', '0', '0.0002'),
  taker: fc.constantFrom('0.0005', '0.001'),
});

function toRequest(instrument: SpotInstrument, o: OrderSpec) {
  const limitPrice = Decimal.fromUnits(BigInt(MID_TICKS + o.priceOffset) * 10n ** 16n);
  return order(
    instrument,
    o.side,
    o.type,
    Decimal.fromUnits(BigInt(o.lots) * 10n ** 14n).toString(),
    o.type === 'limit' ? limitPrice.toString() : undefined,
    o.timeInForce,
  );
}

describe('SimulatedVenue properties', () => {
  const seen = { takerFills: 0, makerFills: 0, rejections: 0 };
  afterAll(() => {
    // The properties must actually exercise fills on both sides of the queue model, and refusals.
    expect(seen.takerFills).toBeGreaterThan(500);
    expect(seen.makerFills).toBeGreaterThan(50);
    expect(seen.rejections).toBeGreaterThan(20);
  });

  it('takers never fill more than a level shows nor at a price the book does not show', async () => {
    await fc.assert(
      fc.asyncProperty(
        bookArb,
        fc.array(orderArb, { minLength: 1, maxLength: 12, size: 'max' }),
        async (book, orders) => {
          const s = setup({ balances: { USDT: '100000000', BTC: '1000' } });
          s.snapshot(book.bids, book.asks);
          for (const o of orders) await s.venue.submitOrder(toRequest(s.instrument, o));
          s.clock.advanceBy(0);
          const shown = new Map<string, number>();
          for (const [price, size] of book.asks) shown.set(`buy ${price.toFixed(2)}`, size);
          for (const [price, size] of book.bids) shown.set(`sell ${price.toFixed(2)}`, size);
          const taken = new Map<string, Decimal>();
          for (const f of s.fills()) {
            expect(f.liquidity).toBe('taker'); // no book update happened, so nothing rested into a fill
            const key = `${f.side} ${f.price.toFixed(2)}`;
            expect(shown.has(key)).toBe(true);
            taken.set(key, (taken.get(key) ?? Decimal.ZERO).add(f.quantity));
          }
          for (const [key, quantity] of taken)
            expect(Number(quantity.toString())).toBeLessThanOrEqual(shown.get(key) as number);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('conserves value: quote moves by −Σ side·price·qty − fees, base by Σ side·qty; limits are never beaten', async () => {
    await fc.assert(
      fc.asyncProperty(
        feesArb,
        fc.record({ quote: fc.integer({ min: 0, max: 2_000_000 }), base: fc.integer({ min: 0, max: 20 }) }),
        bookArb,
        fc.array(opArb, { minLength: 10, maxLength: 40, size: 'max' }),
        fc.constantFrom(0, 5),
        async (fees, funds, initialBook, ops, latencyMs) => {
          const s = setup({
            ...fees,
            latencyMs,
            balances: { USDT: String(funds.quote), BTC: String(funds.base) },
          });
          s.snapshot(initialBook.bids, initialBook.asks);
          const requests: OrderRequest[] = [];
          for (const op of ops) {
            if (op.kind === 'order') {
              const request = toRequest(s.instrument, op.order);
              requests.push(request);
              await s.venue.submitOrder(request);
            } else if (op.kind === 'book') s.snapshot(op.book.bids, op.book.asks);
            else if (op.kind === 'trade') s.trade((MID_TICKS + op.priceOffset) / 100, op.lots / 10_000);
            else if (op.kind === 'cancel' && requests.length > 0) {
              await s.venue.cancelOrder((requests[op.index % requests.length] as OrderRequest).clientOrderId);
            } else if (op.kind === 'wait') s.clock.advanceBy(op.ms);
            s.clock.advanceBy(1);
            for (const b of await s.venue.fetchBalances()) {
              expect(b.total.isNegative()).toBe(false);
              expect(b.available.isNegative()).toBe(false);
            }
          }
          s.clock.advanceBy(latencyMs + 1);

          const fills = s.fills();
          for (const f of fills) seen[f.liquidity === 'maker' ? 'makerFills' : 'takerFills']++;
          seen.rejections += s.events.filter((e) => e.type === 'order.rejected').length;
          let quoteChange = Decimal.ZERO;
          let baseChange = Decimal.ZERO;
          for (const f of fills) {
            const notional = f.price.mul(f.quantity);
            quoteChange =
              f.side === 'buy' ? quoteChange.sub(notional).sub(f.fee) : quoteChange.add(notional).sub(f.fee);
            baseChange = f.side === 'buy' ? baseChange.add(f.quantity) : baseChange.sub(f.quantity);
            const rate = f.liquidity === 'maker' ? s.instrument.makerFee : s.instrument.takerFee;
            expect(f.fee.eq(notional.mul(rate))).toBe(true);
          }
          const balances = new Map((await s.venue.fetchBalances()).map((b) => [b.asset, b.total]));
          expect((balances.get('USDT') ?? Decimal.ZERO).sub(funds.quote).eq(quoteChange)).toBe(true);
          expect((balances.get('BTC') ?? Decimal.ZERO).sub(funds.base).eq(baseChange)).toBe(true);
          const position = (await s.venue.fetchPositions()).find((p) => p.instrumentId === s.instrument.id);
          expect((position?.quantity ?? Decimal.ZERO).eq(baseChange)).toBe(true);

          const byId = new Map(requests.map((r) => [r.clientOrderId, r]));
          const filledPerOrder = new Map<string, Decimal>();
          for (const f of fills) {
            const request = byId.get(f.clientOrderId) as OrderRequest;
            if (request.price !== undefined) {
              expect(f.side === 'buy' ? f.price.lte(request.price) : f.price.gte(request.price)).toBe(true);
            }
            expect(f.price.isMultipleOf(s.instrument.tickSize)).toBe(true);
            expect(f.quantity.isMultipleOf(s.instrument.lotSize)).toBe(true);
            filledPerOrder.set(
              f.clientOrderId,
              (filledPerOrder.get(f.clientOrderId) ?? Decimal.ZERO).add(f.quantity),
            );
          }
          for (const [id, filled] of filledPerOrder)
            expect(filled.lte((byId.get(id) as OrderRequest).quantity)).toBe(true);
          expect(new Set(fills.map((f) => f.tradeId)).size).toBe(fills.length);

          // Nothing stays reserved once no order is open.
          const open = await s.venue.fetchOpenOrders();
          if (open.length === 0) {
            for (const b of await s.venue.fetchBalances()) expect(b.available.eq(b.total)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives identical fills for identical inputs when driven by the synthetic market', async () => {
    async function run(): Promise<string> {
      const clock = new SimulatedClock(T0);
      const market = new SyntheticMarket({ seed: 11, startTs: T0 });
      const venues = market.instruments().map(
        (instrument) =>
          new SimulatedVenue({
            id: instrument.venue,
            clock,
            instruments: [instrument],
            balances: { USDT: '100000', BTC: '2' },
            latencyMs: 20,
          }),
      );
      const hash = createHash('sha256');
      let fillCount = 0;
      for (const v of venues) {
        v.onOrderEvent((e) => {
          if (e.type === 'order.filled') fillCount++;
          hash.update(canonicalJson(e));
        });
      }
      let n = 0;
      for (let step = 0; step < 3000; step++) {
        for (const event of market.next()) {
          clock.advanceTo(event.ts);
          const venue = venues.find((v) => v.id === event.instrumentId.split(':')[0]) as SimulatedVenue;
          venue.onMarketEvent(event);
        }
        if (step % 50 === 25) {
          const venue = venues[step % 3] as SimulatedVenue;
          const instrument = venue.instruments()[0] as SpotInstrument;
          const mid = venue.book(instrument.id)?.mid() as number;
          const side: Side = step % 100 === 25 ? 'buy' : 'sell';
          const away = side === 'buy' ? 0.9995 : 1.0005;
          await venue.submitOrder({
            ...order(instrument, side, 'limit', '0.01', (Math.round(mid * away * 100) / 100).toFixed(2)),
            clientOrderId: `det-${n++}`,
          });
        }
      }
      clock.advanceBy(1000);
      const open = (await Promise.all(venues.map((v) => v.fetchOpenOrders()))).flat().length;
      expect(fillCount).toBeGreaterThan(5);
      return `${hash.digest('hex')}|${open}|${fillCount}`;
    }
    const first = await run();
    expect(await run()).toBe(first);
  });
});
