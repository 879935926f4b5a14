import { describe, expect, it } from 'vitest';
import { Portfolio } from '../../src/portfolio/index.ts';
import { BTC_SPOT, fill } from './helpers.ts';

// The portfolio's duplicate guard is a window of recent trade ids: bounded in memory and in
// checkpoints however long the desk runs (the order manager refuses older repeats by order state).
describe('Portfolio: bounded trade window', () => {
  it('remembers the most recent trade ids only, and a snapshot writes the last n of them', () => {
    const p = new Portfolio({ tradeWindow: 3 });
    for (let i = 1; i <= 5; i++)
      p.applyFill(fill(BTC_SPOT, 'buy', '1', '100', { tradeId: `T${i}` }), BTC_SPOT);
    expect(p.snapshot().seenTrades).toEqual([
      `${BTC_SPOT.venue}|T3`,
      `${BTC_SPOT.venue}|T4`,
      `${BTC_SPOT.venue}|T5`,
    ]);
    expect(p.snapshot({ recentTrades: 2 }).seenTrades).toEqual([
      `${BTC_SPOT.venue}|T4`,
      `${BTC_SPOT.venue}|T5`,
    ]);
    // A repeat inside the window is ignored; one that fell out of it is the order manager's to refuse.
    expect(p.applyFill(fill(BTC_SPOT, 'buy', '1', '100', { tradeId: 'T5' }), BTC_SPOT).applied).toBe(false);
    expect(p.applyFill(fill(BTC_SPOT, 'buy', '1', '100', { tradeId: 'T1' }), BTC_SPOT).applied).toBe(true);
    expect(p.snapshot().seenTrades).toHaveLength(3);
  });

  it('a checkpoint of a long history is as large as one of a short history', () => {
    const sizes = [10, 1000].map((n) => {
      const p = new Portfolio();
      for (let i = 0; i < n; i++) {
        const side = i % 2 === 0 ? 'buy' : 'sell';
        p.applyFill(
          fill(BTC_SPOT, side, '1', '100', { tradeId: `T${String(i).padStart(6, '0')}` }),
          BTC_SPOT,
        );
      }
      return JSON.stringify(p.snapshot({ recentTrades: 8 })).length;
    });
    expect(sizes[1]).toBeLessThanOrEqual((sizes[0] as number) + 16);
  });

  it('refuses a window that is not a whole number ≥ 1', () => {
    expect(() => new Portfolio({ tradeWindow: 0 })).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_CONFIG_INVALID' }),
    );
  });
});
