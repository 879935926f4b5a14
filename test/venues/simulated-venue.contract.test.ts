import { SimulatedClock } from '../../src/core/index.ts';
import { spotInstrument } from '../../src/model/index.ts';
import { SimulatedVenue } from '../../src/venues/index.ts';
import { describeVenueContract } from './venue-contract.ts';

for (const latencyMs of [0, 25]) {
  describeVenueContract(`SimulatedVenue (latency ${latencyMs} ms)`, () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const instrument = spotInstrument({
      venue: 'sim-a',
      symbol: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      tickSize: '0.01',
      lotSize: '0.0001',
      minNotional: '10',
      makerFee: '0.0002',
      takerFee: '0.0005',
    });
    const venue = new SimulatedVenue({
      id: 'sim-a',
      clock,
      instruments: [instrument],
      balances: { USDT: '100000', BTC: '10' },
      latencyMs,
    });
    let sequence = 0;
    return {
      venue,
      instrument,
      setMarket(bids, asks) {
        venue.onMarketEvent({
          type: 'book.snapshot',
          ts: clock.now(),
          instrumentId: instrument.id,
          sequence: ++sequence,
          bids,
          asks,
        });
      },
      async settle() {
        clock.advanceBy(latencyMs + 1);
      },
      stop: () => venue.stop(),
    };
  });
}
