import { Decimal } from '../../src/core/index.ts';
import type { Fill, PerpetualInstrument, Side, SpotInstrument } from '../../src/model/index.ts';
import { spotInstrument } from '../../src/model/index.ts';

export const BTC_SPOT: SpotInstrument = spotInstrument({
  venue: 'sim-a',
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.0001',
});

export const BTC_PERP: PerpetualInstrument = {
  id: 'sim-a:BTC-PERP',
  venue: 'sim-a',
  symbol: 'BTC-PERP',
  kind: 'perpetual',
  base: 'BTC',
  quote: 'USDT',
  settle: 'USDT',
  contractSize: Decimal.from('0.5'),
  inverse: false,
  tickSize: Decimal.from('0.01'),
  lotSize: Decimal.from('0.0001'),
  minNotional: Decimal.ZERO,
  makerFee: Decimal.ZERO,
  takerFee: Decimal.ZERO,
};

let tradeSeq = 0;

export function fill(
  instrument: SpotInstrument | PerpetualInstrument,
  side: Side,
  quantity: string | Decimal,
  price: string | Decimal,
  opts: { fee?: string | Decimal; feeCurrency?: string; tradeId?: string; ts?: number } = {},
): Fill {
  return {
    clientOrderId: 'c1',
    venueOrderId: 'v1',
    tradeId: opts.tradeId ?? `t${++tradeSeq}`,
    instrumentId: instrument.id,
    venue: instrument.venue,
    side,
    price: Decimal.from(price),
    quantity: Decimal.from(quantity),
    fee: Decimal.from(opts.fee ?? 0),
    feeCurrency: opts.feeCurrency ?? 'USDT',
    liquidity: 'taker',
    ts: opts.ts ?? 1_700_000_000_000,
  };
}

/** Decimal with `dp` decimals from an integer count. */
export function dec(n: number, dp: number): Decimal {
  return Decimal.fromUnits(BigInt(n) * 10n ** BigInt(18 - dp));
}
