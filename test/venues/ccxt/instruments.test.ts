/**
 * Markets → instruments, and the exactness of what reaches the exchange: an on-grid Decimal,
 * handed to ccxt as a number, comes out of ccxt's own amount/price formatting as the same
 * decimal (so ccxt never truncates an order Concord sized), whatever the grid.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/core/index.ts';
import {
  marketsToInstruments,
  PRECISION_MODE,
  publicExchange,
  step,
} from '../../../src/venues/ccxt/index.ts';

const market = (over: Record<string, unknown> = {}) => ({
  id: 'BTCUSDT',
  symbol: 'BTC/USDT',
  base: 'BTC',
  quote: 'USDT',
  type: 'spot',
  spot: true,
  precision: { price: 0.01, amount: 0.0001 },
  limits: { cost: { min: 10 } },
  maker: 0.001,
  taker: 0.001,
  ...over,
});

describe('ccxt markets → instruments', () => {
  it('maps a spot market with tick, lot, minimum notional and fees as exact decimals', () => {
    const { instruments, skipped } = marketsToInstruments('binance', [market()], PRECISION_MODE.TICK_SIZE);
    expect(skipped).toEqual([]);
    const [i] = instruments;
    expect(i?.id).toBe('binance:BTC/USDT');
    expect(i?.kind).toBe('spot');
    if (i?.kind !== 'spot') return;
    expect([i.tickSize, i.lotSize, i.minNotional, i.makerFee, i.takerFee].map(String)).toEqual([
      '0.01',
      '0.0001',
      '10',
      '0.001',
      '0.001',
    ]);
  });

  it('maps swaps and futures with settle, contract size, inverse and expiry; skips options and unreadable grids', () => {
    const { instruments, skipped } = marketsToInstruments(
      'okx',
      [
        market({
          symbol: 'BTC/USDT:USDT',
          type: 'swap',
          spot: false,
          swap: true,
          settle: 'USDT',
          contractSize: 0.01,
        }),
        market({
          symbol: 'BTC/USD:BTC-250627',
          type: 'future',
          spot: false,
          future: true,
          settle: 'BTC',
          inverse: true,
          contractSize: 100,
          expiry: 1751011200000,
        }),
        market({ symbol: 'BTC/USD:BTC-250627-100000-C', type: 'option', option: true, spot: false }),
        market({ symbol: 'ODD/USDT', precision: { price: Number.NaN, amount: 0.1 } }),
      ],
      PRECISION_MODE.TICK_SIZE,
    );
    expect(instruments.map((i) => [i.symbol, i.kind])).toEqual([
      ['BTC/USD:BTC-250627', 'future'],
      ['BTC/USDT:USDT', 'perpetual'],
    ]);
    const future = instruments[0];
    if (future?.kind !== 'future') throw new Error('expected a future');
    expect([future.settle, future.contractSize.toString(), future.inverse, future.expiry]).toEqual([
      'BTC',
      '100',
      true,
      1751011200000,
    ]);
    expect(skipped.map((s) => s.symbol)).toEqual(['BTC/USD:BTC-250627-100000-C', 'ODD/USDT']);
  });

  it('reads decimal-places precision as a power of ten, and refuses significant digits', () => {
    expect(step(2, PRECISION_MODE.DECIMAL_PLACES)?.toString()).toBe('0.01');
    expect(step(0, PRECISION_MODE.DECIMAL_PLACES)?.toString()).toBe('1');
    expect(step(1.5, PRECISION_MODE.DECIMAL_PLACES)).toBeUndefined();
    expect(step(5, PRECISION_MODE.SIGNIFICANT_DIGITS)).toBeUndefined();
    expect(step(0.5, PRECISION_MODE.TICK_SIZE)?.toString()).toBe('0.5');
  });

  it("ccxt's own formatting gives back exactly the on-grid amount and price Concord sends", async () => {
    const ex = await publicExchange('binance');
    const grids = [
      ['0.01', '0.0001'],
      ['0.00000001', '1'],
      ['0.5', '0.001'],
      ['0.0001', '0.01'],
    ] as const;
    ex.setMarkets(
      grids.map(([tick, lot], n) => ({
        ...market({ id: `M${n}USDT`, symbol: `M${n}/USDT`, base: `M${n}` }),
        baseId: `M${n}`,
        quoteId: 'USDT',
        active: true,
        precision: { price: Number(tick), amount: Number(lot) },
        limits: { amount: {}, price: {}, cost: {} },
        info: {},
      })),
    );
    const format = ex as unknown as {
      amountToPrecision(symbol: string, amount: number): string;
      priceToPrecision(symbol: string, price: number): string;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: grids.length - 1 }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 10n }),
        (n, lots, ticks) => {
          const [tick, lot] = grids[n] as readonly [string, string];
          const quantity = Decimal.from(lot).mul(Decimal.from(lots));
          const price = Decimal.from(tick).mul(Decimal.from(ticks));
          const sentAmount = Decimal.from(
            format.amountToPrecision(`M${n}/USDT`, Number(quantity.toString())),
          );
          const sentPrice = Decimal.from(format.priceToPrecision(`M${n}/USDT`, Number(price.toString())));
          // Only values a double holds exactly enough (≤ 15 significant digits) are claimed.
          if (quantity.toString().replace(/[.-]/g, '').replace(/^0+/, '').length > 15) return;
          if (price.toString().replace(/[.-]/g, '').replace(/^0+/, '').length > 15) return;
          expect(sentAmount.eq(quantity)).toBe(true);
          expect(sentPrice.eq(price)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
