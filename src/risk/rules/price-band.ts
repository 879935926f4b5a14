/**
 * Fat-finger guard: a limit price more than `priceBandBps` away from the reference mid is denied,
 * and no order passes without a usable reference (a market order cannot be bounded without one).
 */
import type { RiskRule } from '../types.ts';
import { deny } from './shared.ts';

export const PRICE_BAND_RULE = 'price-band';

export const priceBandRule: RiskRule = {
  name: PRICE_BAND_RULE,
  check(order, state) {
    const ref = order.referencePrice;
    if (ref === undefined || !(ref > 0) || ref === Number.POSITIVE_INFINITY) {
      return deny('NO_REFERENCE_PRICE', PRICE_BAND_RULE, {
        instrument: order.instrumentId,
        reference: String(ref),
        type: order.price === undefined ? 'market' : 'limit',
      });
    }
    if (order.price === undefined) return undefined;
    const deviation = Math.abs(state.facts.price - ref) / ref;
    if (deviation <= state.limits.priceBand) return undefined;
    return deny('PRICE_OUTSIDE_BAND', PRICE_BAND_RULE, {
      instrument: order.instrumentId,
      price: order.price.toString(),
      reference: ref,
      deviation_bps: Math.round(deviation * 1e6) / 100,
      max_bps: state.limits.priceBandBps,
    });
  },
};
