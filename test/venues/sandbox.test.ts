import { describe, expect, it } from 'vitest';
import { Decimal, SimulatedClock } from '../../src/core/index.ts';
import type { VenueOrderEvent } from '../../src/model/index.ts';
import { createSimulatedVenues, routeMarketEvent, SyntheticMarket } from '../../src/venues/index.ts';

describe('sandbox wiring', () => {
  it('builds one venue per synthetic venue, routes events to it, and trades across them', async () => {
    const start = 1_700_000_000_000;
    const clock = new SimulatedClock(start);
    const market = new SyntheticMarket({ seed: 21, startTs: start });
    const venues = createSimulatedVenues({
      clock,
      instruments: market.instruments(),
      balances: (venue): Record<string, string> =>
        venue === 'sim-c' ? { USDT: '5' } : { USDT: '100000', BTC: '1' },
      latencyMs: { 'sim-a': 10, 'sim-b': 40 },
    });
    expect([...venues.keys()]).toEqual(['sim-a', 'sim-b', 'sim-c']);
    for (let s = 0; s < 50; s++) {
      for (const e of market.next()) {
        clock.advanceTo(e.ts);
        routeMarketEvent(venues, e);
      }
    }
    for (const [id, venue] of venues) {
      const book = venue.book(`${id}:BTC-USDT`);
      expect(book?.isEmpty()).toBe(false);
      expect(book?.isCrossed()).toBe(false);
    }
    const a = venues.get('sim-a');
    const events: VenueOrderEvent[] = [];
    a?.onOrderEvent((e) => events.push(e));
    await a?.submitOrder({
      clientOrderId: 'sandbox-1',
      instrumentId: 'sim-a:BTC-USDT',
      venue: 'sim-a',
      side: 'buy',
      type: 'market',
      quantity: Decimal.from('0.01'),
      timeInForce: 'IOC',
      decisionId: 'd',
      leg: 0,
      ts: clock.now(),
    });
    clock.advanceBy(9);
    expect(events).toEqual([]);
    clock.advanceBy(1);
    expect(events.map((e) => e.type)).toEqual(['order.accepted', 'order.filled']);
    const balances = await venues.get('sim-c')?.fetchBalances();
    expect(balances?.map((b) => `${b.asset} ${b.total}`)).toEqual(['USDT 5']);
  });
});
