import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, isConcordError, SimulatedClock } from '../../src/core/index.ts';
import { readCandles } from '../../src/data/index.ts';
import type {
  Bar,
  Fill,
  OrderRequest,
  OrderType,
  Side,
  SpotInstrument,
  TimeInForce,
  VenueOrderEvent,
} from '../../src/model/index.ts';
import { spotInstrument } from '../../src/model/index.ts';
import { BarVenue, type BarVenueOptions } from '../../src/venues/index.ts';

const MINUTE = 60_000;
const T0 = 1_700_000_000_000;

function makeInstrument(
  overrides: { takerFee?: string; makerFee?: string; tick?: string } = {},
): SpotInstrument {
  return spotInstrument({
    venue: 'bars',
    symbol: 'BTC-USDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: overrides.tick ?? '0.5',
    lotSize: '0.001',
    minNotional: '10',
    makerFee: overrides.makerFee ?? '0.0002',
    takerFee: overrides.takerFee ?? '0.0005',
  });
}

interface Harness {
  readonly venue: BarVenue;
  readonly clock: SimulatedClock;
  readonly instrument: SpotInstrument;
  readonly events: VenueOrderEvent[];
  /** Advances the clock to the bar (as the kernel does) and feeds it. */
  feed(bar: Bar): void;
  bar(index: number, open: number, high: number, low: number, close: number): Bar;
  fills(): Fill[];
  of(clientOrderId: string): VenueOrderEvent[];
  balance(asset: string): Promise<{ total: Decimal; available: Decimal }>;
}

function harness(options: Partial<BarVenueOptions> = {}, instrument = makeInstrument()): Harness {
  const clock = new SimulatedClock(T0);
  const venue = new BarVenue({
    id: 'bars',
    clock,
    instruments: [instrument],
    balances: { USDT: '100000', BTC: '1' },
    ...options,
  });
  const events: VenueOrderEvent[] = [];
  venue.onOrderEvent((e) => events.push(e));
  return {
    venue,
    clock,
    instrument,
    events,
    feed(bar) {
      if (bar.ts > clock.now()) clock.advanceTo(bar.ts);
      venue.onMarketEvent(bar);
    },
    bar: (index, open, high, low, close) => ({
      type: 'bar',
      ts: T0 + index * MINUTE,
      instrumentId: instrument.id,
      intervalMs: MINUTE,
      open,
      high,
      low,
      close,
      volume: 1,
    }),
    fills: () => events.flatMap((e) => (e.type === 'order.filled' ? [e.fill] : [])),
    of: (id) =>
      events.filter((e) => (e.type === 'order.filled' ? e.fill.clientOrderId : e.clientOrderId) === id),
    async balance(asset) {
      const b = (await venue.fetchBalances()).find((x) => x.asset === asset);
      return { total: b?.total ?? Decimal.ZERO, available: b?.available ?? Decimal.ZERO };
    },
  };
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
    clientOrderId: `bar-${++serial}`,
    instrumentId: instrument.id,
    venue: instrument.venue,
    side,
    type,
    quantity: Decimal.from(quantity),
    ...(price === undefined ? {} : { price: Decimal.from(price) }),
    timeInForce,
    decisionId: 'test',
    leg: 0,
    ts: 0,
  };
}

const types = (events: readonly VenueOrderEvent[]) => events.map((e) => e.type);
const code = (events: readonly VenueOrderEvent[]) => {
  const e = events.find((x) => x.type === 'order.rejected');
  return e?.type === 'order.rejected' ? e.code : undefined;
};

describe('BarVenue: market orders', () => {
  it('fills a market buy submitted during bar t at the open of bar t+1, as taker with the taker fee', async () => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    const o = order(h.instrument, 'buy', 'market', '2');
    await h.venue.submitOrder(o);
    expect(types(h.of(o.clientOrderId))).toEqual(['order.accepted']);
    expect((await h.venue.fetchOpenOrders()).map((x) => x.clientOrderId)).toEqual([o.clientOrderId]);
    h.feed(h.bar(1, 106.5, 120, 101, 119));
    const [fill] = h.fills();
    expect(fill?.price.eq('106.5')).toBe(true);
    expect(fill?.quantity.eq('2')).toBe(true);
    expect(fill?.liquidity).toBe('taker');
    expect(fill?.fee.eq('0.1065')).toBe(true); // 213 × 0.0005
    expect(fill?.ts).toBe(T0 + MINUTE);
    expect((await h.balance('USDT')).total.eq('99786.8935')).toBe(true);
    expect((await h.balance('BTC')).total.eq('3')).toBe(true);
    expect((await h.venue.fetchOrder(o.clientOrderId))?.status).toBe('FILLED');
    expect(await h.venue.fetchOpenOrders()).toEqual([]);
    expect((await h.venue.fetchPositions())[0]?.quantity.eq('2')).toBe(true);
  });

  it('waits for the first bar when no bar has been seen yet', async () => {
    const h = harness();
    const o = order(h.instrument, 'sell', 'market', '0.5');
    await h.venue.submitOrder(o);
    h.feed(h.bar(0, 200, 210, 190, 205));
    expect(h.fills()[0]?.price.eq('200')).toBe(true);
  });

  it("with fillAt 'close' fills at once at the latest bar's close", async () => {
    const h = harness({ fillAt: 'close' });
    h.feed(h.bar(0, 100, 110, 90, 104.5));
    const o = order(h.instrument, 'buy', 'market', '1');
    await h.venue.submitOrder(o);
    expect(types(h.of(o.clientOrderId))).toEqual(['order.accepted', 'order.filled']);
    expect(h.fills()[0]?.price.eq('104.5')).toBe(true);
  });

  it('applies slippage against the taker, rounded to the tick away from it', async () => {
    const h = harness({ slippageBps: 10 });
    h.feed(h.bar(0, 100, 110, 90, 105));
    await h.venue.submitOrder(order(h.instrument, 'buy', 'market', '1'));
    await h.venue.submitOrder(order(h.instrument, 'sell', 'market', '1'));
    h.feed(h.bar(1, 1000, 1010, 990, 1005));
    const [buy, sell] = h.fills();
    expect(buy?.price.eq('1001')).toBe(true); // 1000 × 1.001 = 1001, on the 0.5 grid
    expect(sell?.price.eq('999')).toBe(true);
    const h2 = harness({ slippageBps: 3 });
    h2.feed(h2.bar(0, 100, 110, 90, 105));
    await h2.venue.submitOrder(order(h2.instrument, 'buy', 'market', '1'));
    h2.feed(h2.bar(1, 1000, 1010, 990, 1005));
    expect(h2.fills()[0]?.price.eq('1000.5')).toBe(true); // 1000.3 rounded up to the tick
  });

  it('reads bar floats at the tick precision, on the tick grid', async () => {
    const h = harness({}, makeInstrument({ tick: '0.01' }));
    h.feed(h.bar(0, 0.1, 0.2, 0.05, 0.1));
    await h.venue.submitOrder(order(h.instrument, 'buy', 'market', '200'));
    h.feed(h.bar(1, 0.1 + 0.2, 0.4, 0.2, 0.3)); // 0.30000000000000004
    expect(h.fills()[0]?.price.toString()).toBe('0.3');
  });

  it('expires a market buy at the fill when the open gapped beyond the quote balance', async () => {
    const h = harness({ balances: { USDT: '1000', BTC: '0' } });
    h.feed(h.bar(0, 100, 110, 90, 100));
    const o = order(h.instrument, 'buy', 'market', '9');
    await h.venue.submitOrder(o);
    h.feed(h.bar(1, 200, 210, 190, 205));
    expect(types(h.of(o.clientOrderId))).toEqual(['order.accepted', 'order.expired']);
    expect((await h.balance('USDT')).total.eq('1000')).toBe(true);
  });
});

describe('BarVenue: limit orders', () => {
  it('fills a buy at the limit as maker when a later bar trades down to it, never on the bar it was sent in', async () => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    const o = order(h.instrument, 'buy', 'limit', '1', '95');
    await h.venue.submitOrder(o);
    h.feed(h.bar(1, 104, 108, 96, 100)); // low 96 > 95
    expect(h.fills()).toEqual([]);
    h.feed(h.bar(2, 100, 101, 95, 99)); // touches
    const [fill] = h.fills();
    expect(fill?.price.eq('95')).toBe(true);
    expect(fill?.liquidity).toBe('maker');
    expect(fill?.fee.eq('0.019')).toBe(true);
  });

  it('fills a buy at the open as taker when the bar opens through the limit', async () => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    await h.venue.submitOrder(order(h.instrument, 'buy', 'limit', '1', '95'));
    h.feed(h.bar(1, 92, 93, 80, 85));
    expect(h.fills()[0]?.price.eq('92')).toBe(true);
    expect(h.fills()[0]?.liquidity).toBe('taker');
  });

  it('fills a sell at max(open, limit) when high reaches it', async () => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    await h.venue.submitOrder(order(h.instrument, 'sell', 'limit', '0.5', '112'));
    await h.venue.submitOrder(order(h.instrument, 'sell', 'limit', '0.5', '107'));
    h.feed(h.bar(1, 108, 113, 104, 110));
    const [first, second] = h.fills();
    expect(first?.price.eq('112')).toBe(true);
    expect(first?.liquidity).toBe('maker');
    expect(second?.price.eq('108')).toBe(true);
    expect(second?.liquidity).toBe('taker');
    expect((await h.balance('BTC')).total.isZero()).toBe(true);
  });

  it('gives IOC limits one bar, then expires them', async () => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    const o = order(h.instrument, 'buy', 'limit', '1', '80', 'IOC');
    await h.venue.submitOrder(o);
    h.feed(h.bar(1, 100, 101, 85, 99));
    expect(types(h.of(o.clientOrderId))).toEqual(['order.accepted', 'order.expired']);
    h.feed(h.bar(2, 80, 81, 70, 75));
    expect(h.fills()).toEqual([]);
  });

  it('reserves quote for a resting buy and releases it on cancel', async () => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    const start = (await h.balance('USDT')).available;
    const o = order(h.instrument, 'buy', 'limit', '10', '50');
    await h.venue.submitOrder(o);
    expect((await h.balance('USDT')).available.eq(start.sub('500.25'))).toBe(true); // 500 × (1 + 0.0005)
    await h.venue.cancelOrder(o.clientOrderId);
    expect(types(h.of(o.clientOrderId))).toEqual(['order.accepted', 'order.canceled']);
    expect((await h.balance('USDT')).available.eq(start)).toBe(true);
    h.feed(h.bar(1, 50, 51, 40, 45));
    expect(h.fills()).toEqual([]);
    await h.venue.cancelOrder(o.clientOrderId); // already done: no event
    expect(h.of(o.clientOrderId).length).toBe(2);
  });

  it("in 'close' mode fills a limit marketable at the close at once, and rests one that is not", async () => {
    const h = harness({ fillAt: 'close' });
    h.feed(h.bar(0, 100, 110, 90, 105));
    await h.venue.submitOrder(order(h.instrument, 'buy', 'limit', '1', '106'));
    expect(h.fills()[0]?.price.eq('105')).toBe(true);
    const resting = order(h.instrument, 'buy', 'limit', '1', '100');
    await h.venue.submitOrder(resting);
    expect(types(h.of(resting.clientOrderId))).toEqual(['order.accepted']);
    h.feed(h.bar(1, 103, 104, 99, 101));
    expect(h.fills()[1]?.price.eq('100')).toBe(true);
  });
});

describe('BarVenue: refusals and balances', () => {
  it.each([
    [
      'an unknown instrument',
      'UNKNOWN_INSTRUMENT',
      (i: SpotInstrument) => ({ ...order(i, 'buy', 'market', '1'), instrumentId: 'bars:NOPE' }),
    ],
    ['a quantity off the lot', 'BAD_PRECISION', (i: SpotInstrument) => order(i, 'buy', 'market', '0.0001')],
    ['a price off the tick', 'BAD_PRECISION', (i: SpotInstrument) => order(i, 'buy', 'limit', '1', '95.3')],
    ['a limit without a price', 'INVALID_ORDER', (i: SpotInstrument) => order(i, 'buy', 'limit', '1')],
    [
      'a notional below the minimum',
      'MIN_NOTIONAL',
      (i: SpotInstrument) => order(i, 'buy', 'market', '0.05'),
    ],
    [
      'a buy beyond the quote balance',
      'INSUFFICIENT_FUNDS',
      (i: SpotInstrument) => order(i, 'buy', 'market', '1000'),
    ],
    [
      'a sell beyond the base balance',
      'INSUFFICIENT_FUNDS',
      (i: SpotInstrument) => order(i, 'sell', 'market', '2'),
    ],
    [
      'a post-only buy at or above the last close',
      'POST_ONLY_WOULD_CROSS',
      (i: SpotInstrument) => order(i, 'buy', 'limit', '1', '105', 'POST_ONLY'),
    ],
  ])('rejects %s with %s, synchronously', async (_what, expected, make) => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    const o = make(h.instrument);
    await h.venue.submitOrder(o);
    expect(types(h.of(o.clientOrderId))).toEqual(['order.rejected']);
    expect(code(h.of(o.clientOrderId))).toBe(expected);
    expect((await h.venue.fetchOrder(o.clientOrderId))?.status).toBe('REJECTED');
  });

  it('rejects a second submit with the same clientOrderId and leaves the first alone', async () => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    const first = order(h.instrument, 'buy', 'limit', '1', '90');
    await h.venue.submitOrder(first);
    await h.venue.submitOrder({ ...first, quantity: Decimal.from('2') });
    expect(types(h.of(first.clientOrderId))).toEqual(['order.accepted', 'order.rejected']);
    expect(code(h.of(first.clientOrderId))).toBe('DUPLICATE_CLIENT_ORDER_ID');
    expect((await h.venue.fetchOrder(first.clientOrderId))?.status).toBe('ACCEPTED');
  });

  it('lets base go negative with allowShort (margin-like backtests)', async () => {
    const h = harness({ allowShort: true });
    h.feed(h.bar(0, 100, 110, 90, 105));
    await h.venue.submitOrder(order(h.instrument, 'sell', 'market', '3'));
    h.feed(h.bar(1, 100, 101, 99, 100));
    expect((await h.balance('BTC')).total.eq('-2')).toBe(true);
    expect((await h.venue.fetchPositions())[0]?.quantity.eq('-3')).toBe(true);
  });

  it('refuses to cancel an order it never received, with a coded error', async () => {
    const h = harness();
    await expect(h.venue.cancelOrder('never')).rejects.toSatisfy((e: unknown) =>
      isConcordError(e, 'CONCORD_ERR_VENUE_ORDER_NOT_FOUND'),
    );
  });

  it('rejects bad configuration with a coded error', () => {
    const clock = new SimulatedClock(T0);
    const base = { id: 'bars', clock, instruments: [makeInstrument()], balances: {} };
    expect(() => new BarVenue({ ...base, slippageBps: -1 })).toThrow(/slippageBps/);
    expect(() => new BarVenue({ ...base, id: 'other' })).toThrow(/belongs to venue bars/);
    expect(() => new BarVenue({ ...base, balances: { USDT: '-1' } })).toThrow(/must not be negative/);
  });

  it('ignores events that are not bars, and bars of other instruments', async () => {
    const h = harness();
    h.feed(h.bar(0, 100, 110, 90, 105));
    await h.venue.submitOrder(order(h.instrument, 'buy', 'market', '1'));
    h.venue.onMarketEvent({
      type: 'trade',
      ts: T0,
      instrumentId: h.instrument.id,
      price: 1,
      size: 1,
      aggressor: 'buy',
      tradeId: 'x',
    });
    h.venue.onMarketEvent({ ...h.bar(1, 1, 1, 1, 1), instrumentId: 'bars:OTHER' });
    expect(h.fills()).toEqual([]);
    expect(h.venue.lastBar(h.instrument.id)?.close).toBe(105);
  });
});

describe('BarVenue: properties', () => {
  const barArb = fc
    .tuple(
      fc.integer({ min: 100, max: 400 }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: -20, max: 20 }),
    )
    .map(([open, up, down, move]) => {
      const close = Math.min(open + up, Math.max(open - down, open + move));
      return { open, high: open + up, low: open - down, close };
    });
  const orderArb = fc.record({
    side: fc.constantFrom<Side>('buy', 'sell'),
    type: fc.constantFrom<OrderType>('market', 'limit'),
    lots: fc.integer({ min: 100, max: 3000 }),
    offset: fc.integer({ min: -30, max: 30 }),
    tif: fc.constantFrom<TimeInForce>('GTC', 'IOC'),
  });
  const scenario = fc.array(fc.tuple(barArb, fc.array(orderArb, { maxLength: 3 })), {
    minLength: 1,
    maxLength: 25,
  });

  type Steps = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  async function run(steps: Steps, allowShort: boolean) {
    const h = harness({ allowShort, balances: { USDT: '20000', BTC: '5' } });
    const placed = new Map<string, OrderRequest>();
    const fillBar = new Map<string, Bar>();
    let feeding: Bar | undefined;
    h.venue.onOrderEvent((e) => {
      if (e.type === 'order.filled' && feeding !== undefined) fillBar.set(e.fill.clientOrderId, feeding);
    });
    for (const [index, [b, orders]] of steps.entries()) {
      const bar = h.bar(index, b.open, b.high, b.low, b.close);
      feeding = bar;
      h.feed(bar);
      feeding = undefined;
      for (const o of orders) {
        const request = order(
          h.instrument,
          o.side,
          o.type,
          Decimal.from(o.lots).mul('0.001').toString(),
          o.type === 'limit' ? String(b.close + o.offset) : undefined,
          o.tif,
        );
        placed.set(request.clientOrderId, request);
        await h.venue.submitOrder(request);
      }
    }
    return { h, placed, fillBar };
  }

  it('conserves money: balances move by exactly the fills, positions follow them, limits are respected', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.boolean(), async (steps, allowShort) => {
        const { h, placed } = await run(steps, allowShort);
        const fills = h.fills();
        let quote = Decimal.from('20000');
        let base = Decimal.from('5');
        for (const f of fills) {
          const notional = f.price.mul(f.quantity);
          quote = f.side === 'buy' ? quote.sub(notional).sub(f.fee) : quote.add(notional).sub(f.fee);
          base = f.side === 'buy' ? base.add(f.quantity) : base.sub(f.quantity);
          const request = placed.get(f.clientOrderId) as OrderRequest;
          if (request.type === 'limit') {
            const limit = request.price as Decimal;
            expect(f.side === 'buy' ? f.price.lte(limit) : f.price.gte(limit)).toBe(true);
          }
          expect(f.price.isMultipleOf(h.instrument.tickSize)).toBe(true);
        }
        expect((await h.balance('USDT')).total.eq(quote)).toBe(true);
        expect((await h.balance('BTC')).total.eq(base)).toBe(true);
        expect((await h.balance('USDT')).total.isNegative()).toBe(false);
        if (!allowShort) expect((await h.balance('BTC')).total.isNegative()).toBe(false);
        const position = (await h.venue.fetchPositions())[0]?.quantity ?? Decimal.ZERO;
        expect(position.eq(base.sub('5'))).toBe(true);
        expect(new Set(fills.map((f) => f.tradeId)).size).toBe(fills.length);
        // Open orders are exactly those accepted and not yet done.
        for (const o of await h.venue.fetchOpenOrders()) expect(o.status).toBe('ACCEPTED');
      }),
      { numRuns: 150 },
    );
  });

  it('never fills on the bar an order was sent in, and fills inside the fill bar range', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (steps) => {
        const { h, fillBar } = await run(steps, true);
        for (const f of h.fills()) {
          const bar = fillBar.get(f.clientOrderId);
          expect(bar).toBeDefined(); // filled while a bar was fed, never inside submitOrder
          if (bar === undefined) return;
          expect(f.ts).toBe(bar.ts);
          expect(f.price.gte(Decimal.fromNumberRounded(bar.low))).toBe(true);
          expect(f.price.lte(Decimal.fromNumberRounded(bar.high))).toBe(true);
        }
        // Every fill happened at a bar after submission: bar index 0 never fills anything.
        expect(h.fills().every((f) => f.ts > T0)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: the same bars and orders give the same events', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (steps) => {
        const first = await run(steps, false);
        serial = 0;
        const again = await run(steps, false);
        const strip = (events: VenueOrderEvent[]) =>
          JSON.stringify(
            events.map((e) =>
              e.type === 'order.filled' ? { ...e.fill, clientOrderId: '' } : { ...e, clientOrderId: '' },
            ),
          );
        expect(strip(again.h.events)).toBe(strip(first.h.events));
      }),
      { numRuns: 50 },
    );
  });
});

describe('BarVenue on the real BTC-PERP 1-minute bars', () => {
  const file = resolve(import.meta.dirname, '../../../shared/data/candles/btc-perp-1m-2022-01.csv');

  it('fills each market order at the next bar open, exactly, over the whole file', async () => {
    if (!existsSync(file))
      throw new Error(
        `missing real recording ../shared/data/candles/btc-perp-1m-2022-01.csv (looked at ${file})`,
      );
    const instrument = spotInstrument({
      venue: 'bars',
      symbol: 'BTC-PERP',
      base: 'BTC',
      quote: 'USD',
      tickSize: '0.5',
      lotSize: '0.001',
      takerFee: '0.0004',
    });
    const clock = new SimulatedClock(0);
    const venue = new BarVenue({
      id: 'bars',
      clock,
      instruments: [instrument],
      balances: { USD: '1000000' },
      allowShort: true,
    });
    const fills: Fill[] = [];
    venue.onOrderEvent((e) => {
      if (e.type === 'order.filled') fills.push(e.fill);
    });
    const bars = [...readCandles(file, { instrumentId: instrument.id })];
    expect(bars.length).toBe(45_031);
    const expectedOpens: number[] = [];
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i] as Bar;
      if (bar.ts > clock.now()) clock.advanceTo(bar.ts);
      venue.onMarketEvent(bar);
      if (i % 1000 === 0 && i + 1 < bars.length) {
        await venue.submitOrder(order(instrument, i % 2000 === 0 ? 'buy' : 'sell', 'market', '0.1'));
        expectedOpens.push((bars[i + 1] as Bar).open);
      }
    }
    expect(fills.length).toBe(expectedOpens.length);
    for (const [k, f] of fills.entries())
      expect(f.price.eq(Decimal.from(String(expectedOpens[k])))).toBe(true);
  });
});

describe('BarVenue: lifecycle', () => {
  it('is RUNNING from construction; once stopped it refuses orders and cancels but still answers reads', async () => {
    const h = harness();
    expect(h.venue.lifecycle.state).toBe('RUNNING');
    h.feed(h.bar(0, 100, 110, 90, 105));
    const resting = order(h.instrument, 'buy', 'limit', '1', '80');
    await h.venue.submitOrder(resting);
    h.venue.stop('end of the backtest');
    expect(h.venue.lifecycle.state).toBe('STOPPED');
    expect(h.venue.lifecycle.reason).toBe('end of the backtest');
    await expect(h.venue.submitOrder(order(h.instrument, 'buy', 'market', '1'))).rejects.toSatisfy((e) =>
      isConcordError(e, 'CONCORD_ERR_LIFECYCLE_STATE'),
    );
    await expect(h.venue.cancelOrder(resting.clientOrderId)).rejects.toSatisfy((e) =>
      isConcordError(e, 'CONCORD_ERR_LIFECYCLE_STATE'),
    );
    expect((await h.venue.fetchOpenOrders()).map((x) => x.clientOrderId)).toEqual([resting.clientOrderId]);
    h.venue.stop('again');
    expect(h.venue.lifecycle.reason).toBe('end of the backtest');
  });
});
