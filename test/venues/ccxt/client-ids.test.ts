/**
 * Client order ids on the wire: passed through as they are where the exchange takes them,
 * and turned into a deterministic 128-bit hex cloid for Hyperliquid, so a restarted desk
 * asks for its order by the same id and two orders never share one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientOrderId } from '../../../src/core/index.ts';
import { wireClientId } from '../../../src/venues/ccxt/index.ts';

describe('client order ids on the wire', () => {
  it("passes Concord's id through unchanged where the exchange takes it (≤ 32 characters)", () => {
    const id = clientOrderId('decision-1', 0);
    expect(id.length).toBeLessThanOrEqual(32);
    for (const exchange of ['binance', 'mexc', 'okx', 'bybit']) expect(wireClientId(exchange, id)).toBe(id);
  });

  it('gives Hyperliquid a 128-bit hex cloid, the same for the same id and different for different ids', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat({ max: 20 }), (decision, leg) => {
        const id = clientOrderId(decision, leg);
        const cloid = wireClientId('hyperliquid', id);
        expect(cloid).toMatch(/^0x[0-9a-f]{32}$/);
        expect(wireClientId('hyperliquid', id)).toBe(cloid);
        expect(wireClientId('hyperliquid', clientOrderId(decision, leg + 1))).not.toBe(cloid);
      }),
      { numRuns: 300 },
    );
  });
});
