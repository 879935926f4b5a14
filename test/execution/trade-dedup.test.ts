/**
 * Fills are deduplicated per order, and a checkpoint carries the trade ids of open orders only:
 * its size follows the open orders, not the length of the run, and a repeated fill of a final
 * order is still never applied — refused by the order's state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, clientOrderId } from '../../src/core/index.ts';
import type { Fill, OrderRequest } from '../../src/model/index.ts';
import { buy, ctx, harness, sell } from './fake-venue.ts';

const roundTrip = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** `closed` orders filled in full (two fills each), then `open` orders left half filled. */
async function history(closed: number, open: number) {
  const h = harness();
  const fills: Fill[] = [];
  for (let i = 0; i < closed; i++) {
    await h.manager.submitIntent(i % 2 === 0 ? buy('1', '60000') : sell('1', '60000'), ctx(`c${i}`));
    const request = h.a.last();
    fills.push(h.a.fill(request, '0.4', '60000', `c${i}-1`), h.a.fill(request, '0.6', '60000', `c${i}-2`));
  }
  const openRequests: OrderRequest[] = [];
  for (let i = 0; i < open; i++) {
    await h.manager.submitIntent(buy('1', '59000'), ctx(`o${i}`));
    const request = h.a.last();
    openRequests.push(request);
    fills.push(h.a.fill(request, '0.5', '59000', `o${i}-1`));
  }
  return { ...h, fills, openRequests };
}

describe('trade dedup by order', () => {
  it('a compact snapshot lists the trade ids of its open orders only', async () => {
    const { manager } = await history(5, 2);
    const compact = manager.snapshot({ compact: true });
    expect(compact.version).toBe(2);
    expect(compact.trades).toEqual({
      [clientOrderId('o0', 0)]: ['a|o0-1'],
      [clientOrderId('o1', 0)]: ['a|o1-1'],
    });
    // The full snapshot still has every order's.
    expect(Object.keys(manager.snapshot().trades)).toHaveLength(7);
  });

  it('property: the compact snapshot does not grow with the number of final orders', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        async (open, more) => {
          const short = (await history(2, open)).manager.snapshot({ compact: true });
          const long = (await history(2 + more, open)).manager.snapshot({ compact: true });
          // Same open orders (same ids, same fills): byte-identical, however many orders closed before.
          expect(canonicalJson(long)).toBe(canonicalJson(short));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a repeated fill of a final order is never applied: a duplicate in memory, refused after a restart', async () => {
    const { a, manager, fills } = await history(3, 0);
    const applied: string[] = [];
    manager.onFill((f) => applied.push(f.tradeId));
    const old = fills[0] as Fill;
    a.emit({ type: 'order.filled', fill: old });
    expect(applied).toEqual([]);
    expect(manager.stats().duplicateFills).toBe(1);

    // A restarted manager knows only what the checkpoint carried: no final order, no trade id.
    const restarted = harness();
    restarted.manager.restore(roundTrip(manager.snapshot({ compact: true })));
    const restartedApplied: string[] = [];
    restarted.manager.onFill((f) => restartedApplied.push(f.tradeId));
    for (const f of fills) restarted.a.emit({ type: 'order.filled', fill: f });
    expect(restartedApplied).toEqual([]);
    expect(restarted.manager.stats().rejectedEvents).toBe(fills.length);
    const refused = restarted.events.filter((e) => e.type === 'order.event-rejected');
    expect(refused.map((e) => e.payload.code)).toEqual(
      fills.map(() => 'CONCORD_ERR_EXECUTION_UNKNOWN_ORDER'),
    );
  });

  it('a restarted manager still refuses a repeat of an open order’s fill, and applies its new fills', async () => {
    const { manager, fills, openRequests } = await history(4, 1);
    const restarted = harness();
    restarted.manager.restore(roundTrip(manager.snapshot({ compact: true })));
    const applied: string[] = [];
    restarted.manager.onFill((f) => applied.push(f.tradeId));
    restarted.a.emit({ type: 'order.filled', fill: fills.at(-1) as Fill });
    expect(restarted.manager.stats().duplicateFills).toBe(1);
    const request = openRequests[0] as OrderRequest;
    restarted.a.fill(request, '0.5', '59000', 'o0-2');
    expect(applied).toEqual(['o0-2']);
    expect(restarted.manager.order(request.clientOrderId)?.status).toBe('FILLED');
  });

  it('restores a version 1 snapshot (one flat list): a repeat of a restored open order’s fill is refused', async () => {
    const { manager, fills, openRequests } = await history(2, 1);
    const v2 = manager.snapshot({ compact: true });
    const v1 = {
      version: 1,
      orders: v2.orders,
      plans: v2.plans,
      seenTrades: fills.map((f) => `${f.venue}|${f.tradeId}`),
    };
    const restarted = harness();
    restarted.manager.restore(roundTrip(v1));
    const applied: string[] = [];
    restarted.manager.onFill((f) => applied.push(f.tradeId));
    restarted.a.emit({ type: 'order.filled', fill: fills.at(-1) as Fill });
    expect(applied).toEqual([]);
    expect(restarted.manager.stats().duplicateFills).toBe(1);
    restarted.a.fill(openRequests[0] as OrderRequest, '0.5', '59000', 'o0-2');
    expect(applied).toEqual(['o0-2']);
  });

  it('refuses a snapshot whose trades are not lists of strings', () => {
    const { manager } = harness();
    expect(() => manager.restore({ version: 2, orders: [], plans: [], trades: { x: [1] } })).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_EXECUTION_STATE_INVALID' }),
    );
    expect(() => manager.restore({ version: 2, orders: [], plans: [], trades: [] })).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_EXECUTION_STATE_INVALID' }),
    );
  });
});
