import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Denial, isTerminal, type OrderStatus } from '../../src/model/index.ts';
import { buy, ctx, harness, sell } from './fake-venue.ts';

// The compact checkpoint reads the open orders instead of the whole history; it must list
// exactly the non-terminal orders, in creation order, as the full snapshot filtered would.
describe('OrderManager compact snapshot', () => {
  it('property: compact orders = full snapshot orders that are not terminal, same order', async () => {
    const step = fc.record({
      side: fc.constantFrom('buy', 'sell'),
      deny: fc.boolean(),
      fillAll: fc.boolean(),
      restoreAfter: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        let deny = false;
        const { a, manager } = harness(
          {},
          { check: () => (deny ? { ok: false, denial: denial() } : { ok: true }) },
        );
        for (const [i, s] of steps.entries()) {
          deny = s.deny;
          const intent = s.side === 'buy' ? buy('0.5', '60000') : sell('0.5', '60000');
          const result = await manager.submitIntent(intent, ctx(`d${i}`));
          if (result.outcome === 'submitted' && s.fillAll) a.fill(a.last(), '0.5', '60000', `t${i}`);
          if (s.restoreAfter) manager.restore(manager.snapshot());
          const full = manager.snapshot();
          const compact = manager.snapshot({ compact: true });
          const open = full.orders.filter((o) => !isTerminal((o as { status: OrderStatus }).status));
          expect(compact.orders).toEqual(open);
        }
        const terminal = manager.snapshot().orders.length - manager.snapshot({ compact: true }).orders.length;
        expect(terminal).toBe(steps.filter((s) => s.deny || s.fillAll).length);
      }),
      { numRuns: 150 },
    );
  });
});

function denial(): Denial {
  return { code: 'NOTIONAL_EXCEEDS_MAX_PER_ORDER', rule: 'max-notional', message: 'too big', details: {} };
}
