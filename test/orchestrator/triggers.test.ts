import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isConcordError } from '../../src/core/index.ts';
import type { MarketEvent } from '../../src/model/index.ts';
import { TriggerFilter } from '../../src/orchestrator/index.ts';

const ID = 'sim-a:BTC-USDT';

function quote(ts: number, bid: number, ask: number, instrumentId = ID): MarketEvent {
  return { type: 'quote', ts, instrumentId, bid, bidSize: 1, ask, askSize: 1 };
}

function viewOf(bid: number, ask: number) {
  return { mid: (bid + ask) / 2, spread: ask - bid };
}

function feed(filter: TriggerFilter, ts: number, bid: number, ask: number, instrumentId = ID) {
  return filter.evaluate(quote(ts, bid, ask, instrumentId), viewOf(bid, ask));
}

describe('TriggerFilter config', () => {
  it('fills defaults', () => {
    const f = new TriggerFilter();
    expect(f.config.priceMoveBps).toBe(5);
    expect(f.config.heartbeatMs).toBe(60_000);
    expect(f.config.minIntervalMs).toBe(0);
  });

  it('names the invalid field', () => {
    try {
      new TriggerFilter({ priceMoveBps: -1 });
      expect.unreachable();
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_CONFIG_INVALID')).toBe(true);
      expect((err as { details: { path: string } }).details.path).toBe('orchestrator.triggers.priceMoveBps');
    }
  });

  it('rejects unknown fields by name', () => {
    expect(() => new TriggerFilter({ priceMoveBp: 3 })).toThrow(/orchestrator\.triggers\.priceMoveBp/);
  });
});

describe('TriggerFilter price and spread', () => {
  it('sets the reference on first sight, then fires when the mid moved ≥ priceMoveBps', () => {
    const f = new TriggerFilter({ priceMoveBps: 10, spreadChangeBps: 1000, heartbeatMs: 0 });
    expect(feed(f, 1, 99.99, 100.01)).toBeUndefined();
    expect(feed(f, 2, 100.03, 100.05)).toBeUndefined(); // 4 bp
    const t = feed(f, 3, 100.09, 100.11); // 10 bp
    expect(t?.kind).toBe('price-move');
    expect(t?.magnitude).toBeCloseTo(10, 6);
    expect(t?.id).toBe('t-1');
    expect(t?.instrumentId).toBe(ID);
    // The reference moved to 100.10: a 5 bp move from there is not enough.
    expect(feed(f, 4, 100.14, 100.16)).toBeUndefined();
    expect(feed(f, 5, 99.89, 99.91)?.id).toBe('t-2');
  });

  it('fires on a spread change measured in bp of mid', () => {
    const f = new TriggerFilter({ priceMoveBps: 1000, spreadChangeBps: 2, heartbeatMs: 0 });
    expect(feed(f, 1, 99.99, 100.01)).toBeUndefined(); // 2 bp spread
    expect(feed(f, 2, 99.995, 100.025)).toBeUndefined(); // 3 bp
    const t = feed(f, 3, 99.98, 100.02); // 4 bp
    expect(t?.kind).toBe('spread');
    expect(t?.magnitude).toBeCloseTo(2, 6);
  });

  it('keeps instruments apart', () => {
    const f = new TriggerFilter({ priceMoveBps: 10, heartbeatMs: 0 });
    feed(f, 1, 100, 100, 'a:X');
    feed(f, 1, 200, 200, 'b:X');
    expect(feed(f, 2, 200, 200, 'a:X')?.instrumentId).toBe('a:X');
    expect(feed(f, 2, 200, 200, 'b:X')).toBeUndefined();
  });

  it('throttles per instrument and keeps the reference, so the move still counts later', () => {
    const f = new TriggerFilter({ priceMoveBps: 10, minIntervalMs: 1000, heartbeatMs: 0 });
    feed(f, 0, 100, 100);
    expect(feed(f, 10, 101, 101)?.kind).toBe('price-move');
    expect(feed(f, 500, 102, 102)).toBeUndefined(); // inside the interval
    expect(feed(f, 1010, 102, 102)?.magnitude).toBeCloseTo((1 / 101) * 10_000, 6);
  });

  it('fires a heartbeat after heartbeatMs of silence', () => {
    const f = new TriggerFilter({ priceMoveBps: 1000, spreadChangeBps: 1000, heartbeatMs: 1000 });
    expect(feed(f, 0, 100, 100.01)).toBeUndefined();
    expect(feed(f, 999, 100, 100.01)).toBeUndefined();
    const t = feed(f, 1000, 100, 100.01);
    expect(t?.kind).toBe('timer');
    expect(t?.magnitude).toBe(1000);
    expect(feed(f, 1500, 100, 100.01)).toBeUndefined();
  });

  it('never fires twice within minIntervalMs (except liquidations)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.double({ min: 90, max: 110, noNaN: true })), {
          maxLength: 200,
        }),
        (steps) => {
          const f = new TriggerFilter({ priceMoveBps: 1, minIntervalMs: 250, heartbeatMs: 500 });
          let ts = 0;
          let last = Number.NEGATIVE_INFINITY;
          for (const [dt, mid] of steps) {
            ts += dt;
            const t = feed(f, ts, mid - 0.01, mid + 0.01);
            if (t !== undefined) {
              expect(t.ts - last).toBeGreaterThanOrEqual(250);
              last = t.ts;
            }
          }
        },
      ),
    );
  });

  it('is deterministic: the same events give the same triggers', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 50, max: 150, noNaN: true }), { maxLength: 100 }), (mids) => {
        const run = () => {
          const f = new TriggerFilter({ priceMoveBps: 3 });
          return mids.map((m, i) => feed(f, i * 100, m - 0.01, m + 0.01)).filter((t) => t !== undefined);
        };
        expect(run()).toEqual(run());
      }),
    );
  });
});

describe('TriggerFilter other events', () => {
  it('fires on trades at or above the size threshold, per-instrument override first', () => {
    const f = new TriggerFilter({
      minTradeSize: 5,
      minTradeSizeByInstrument: { 'a:ETH': 50 },
      heartbeatMs: 0,
    });
    const trade = (instrumentId: string, size: number): MarketEvent => ({
      type: 'trade',
      ts: 1,
      instrumentId,
      price: 100,
      size,
      aggressor: 'buy',
      tradeId: 'x',
    });
    const none = { mid: undefined, spread: undefined };
    expect(f.evaluate(trade(ID, 4.9), none)).toBeUndefined();
    expect(f.evaluate(trade(ID, 5), none)?.kind).toBe('trade');
    expect(f.evaluate(trade('a:ETH', 20), none)).toBeUndefined();
    expect(f.evaluate(trade('a:ETH', 50), none)?.magnitude).toBe(50);
  });

  it('never fires on trades when no size threshold is set', () => {
    const f = new TriggerFilter({ heartbeatMs: 0 });
    const t: MarketEvent = {
      type: 'trade',
      ts: 1,
      instrumentId: ID,
      price: 1,
      size: 1e9,
      aggressor: 'sell',
      tradeId: 'y',
    };
    expect(f.evaluate(t, { mid: undefined, spread: undefined })).toBeUndefined();
  });

  it('fires on every bar', () => {
    const f = new TriggerFilter();
    const bar: MarketEvent = {
      type: 'bar',
      ts: 60_000,
      instrumentId: ID,
      intervalMs: 60_000,
      open: 100,
      high: 102,
      low: 99,
      close: 101,
      volume: 3,
    };
    const t = f.evaluate(bar, { mid: 101, spread: undefined });
    expect(t?.kind).toBe('bar');
    expect(t?.magnitude).toBeCloseTo(100, 6);
    expect(f.evaluate({ ...bar, ts: 120_000 }, { mid: 101, spread: undefined })?.kind).toBe('bar');
  });

  it('fires on a funding-rate change ≥ fundingChangeBps from the last funding trigger', () => {
    const f = new TriggerFilter({ fundingChangeBps: 1, heartbeatMs: 0 });
    const funding = (ts: number, rate: number): MarketEvent => ({
      type: 'funding',
      ts,
      instrumentId: ID,
      rate,
    });
    const none = { mid: undefined, spread: undefined };
    expect(f.evaluate(funding(1, 0.0001), none)).toBeUndefined();
    expect(f.evaluate(funding(2, 0.00015), none)).toBeUndefined();
    const t = f.evaluate(funding(3, 0.0002), none);
    expect(t?.kind).toBe('funding');
    expect(t?.magnitude).toBeCloseTo(1, 6);
  });

  it('fires on a lending APY change and always on newly liquidatable accounts', () => {
    const f = new TriggerFilter({ apyChangeBps: 10, minIntervalMs: 10_000, heartbeatMs: 0 });
    const lending = (ts: number, supplyApy: number, borrowApy: number): MarketEvent => ({
      type: 'lending',
      ts,
      instrumentId: 'aave:USDC',
      supplyApy,
      borrowApy,
      utilization: 0.8,
    });
    const none = { mid: undefined, spread: undefined };
    expect(f.evaluate(lending(1, 0.03, 0.05), none)).toBeUndefined();
    expect(f.evaluate(lending(2, 0.03, 0.0505), none)).toBeUndefined();
    expect(f.evaluate(lending(3, 0.03, 0.0511), none)?.kind).toBe('apy-change');
    // Within the throttle interval, a liquidation still fires.
    const liq = f.evaluate(lending(4, 0.03, 0.0511), { ...none, liquidatableAccounts: 2 });
    expect(liq?.kind).toBe('liquidation');
    expect(liq?.magnitude).toBe(2);
  });

  it('continues trigger ids after restore', () => {
    const f = new TriggerFilter({ minTradeSize: 1 });
    f.restore({ triggerCount: 41 });
    const t = f.evaluate(
      { type: 'trade', ts: 1, instrumentId: ID, price: 1, size: 2, aggressor: 'buy', tradeId: 'z' },
      { mid: undefined, spread: undefined },
    );
    expect(t?.id).toBe('t-42');
    expect(f.snapshot()).toEqual({ triggerCount: 42 });
  });
});
