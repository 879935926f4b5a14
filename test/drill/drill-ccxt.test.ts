/**
 * The crash drill against the ccxt venue, shortened: a live desk on the loopback Binance server
 * (fault knobs on) killed with SIGKILL twice, each restart resuming its journal and
 * reconciling with the exchange, then a clean run that halts (verified). Nothing may be
 * duplicated, lost or out of step at the exchange.
 */
import { describe, expect, it } from 'vitest';
import { type CcxtDrillResult, runCcxtDrill } from '../../scripts/drill-ccxt.ts';

describe('crash drill against the ccxt venue', () => {
  let result: CcxtDrillResult;

  it('survives SIGKILL restarts with no duplicate order, no lost fill, no position mismatch, and a verified halt', async () => {
    result = await runCcxtDrill({ kills: 2, seed: 5, minRunMs: 800, maxRunMs: 1500, finalRunMs: 3000 });
    expect(result.duplicateOrders).toBe(0);
    expect(result.lostFills).toBe(0);
    expect(result.phantomFills).toBe(0);
    expect(result.doubleBookedFills).toBe(0);
    expect(result.positionMismatches).toBe(0);
    expect(result.journalVerified).toBe(true);
    expect(result.haltVerified).toBe(true);
    expect(result.openAtExchange).toBe(0);
    expect(result.ok).toBe(true);
  }, 90_000);

  it('actually traded, was killed mid-trading and had faults injected (so the first test can fail)', () => {
    expect(result.orders).toBeGreaterThan(0);
    expect(result.fills).toBeGreaterThan(0);
    expect(result.killedWhileTrading).toBeGreaterThan(0);
    expect(Object.values(result.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
