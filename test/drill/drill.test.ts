/**
 * The crash drill, shortened: a paper desk killed with SIGKILL six times against a venue
 * server injecting faults, then one clean run. Nothing may be duplicated, lost or out of step.
 */
import { describe, expect, it } from 'vitest';
import { type DrillResult, runDrill } from '../../scripts/drill.ts';

describe('crash drill', () => {
  let result: DrillResult;

  it('survives six SIGKILL restarts with no duplicate order, no lost fill and no position mismatch', async () => {
    // Heavier faults than the default drill, so a short run still exercises them.
    result = await runDrill({
      kills: 6,
      seed: 11,
      minRunMs: 400,
      maxRunMs: 1500,
      finalRunMs: 1500,
      faults: {
        timeoutAfterSend: 0.2,
        timeoutBeforeSend: 0.1,
        readTimeout: 0.05,
        cancelTimeout: 0.1,
        rateLimit: 0.03,
        reject: 0.05,
        disconnect: 0.01,
        disconnectMs: 300,
        splitFill: 0.4,
        delayFill: 0.3,
        maxDelayMs: 300,
        duplicate: 0.2,
        reorder: 0.3,
        reorderWindowMs: 50,
      },
    });
    expect(result.kills).toBeGreaterThanOrEqual(6);
    expect(result.duplicateOrders).toBe(0);
    expect(result.lostFills).toBe(0);
    expect(result.phantomFills).toBe(0);
    expect(result.positionMismatches).toBe(0);
    expect(result.journalVerified).toBe(true);
    expect(result.ok).toBe(true);
    expect(result.finalUnknownOrders).toBe(0);
    expect(result.finalOpenOrders).toBe(0);
  }, 150_000);

  it('actually traded, was killed mid-trading and had faults injected (so the first test can fail)', () => {
    expect(result.orders).toBeGreaterThan(0);
    expect(result.fills).toBeGreaterThan(0);
    expect(result.journaledFills).toBeGreaterThanOrEqual(result.fills);
    expect(result.killedWhileTrading).toBeGreaterThan(0);
    expect(result.faultsInjected).toBeGreaterThan(0);
    expect(result.faults.timeoutAfterSend ?? 0).toBeGreaterThan(0);
  });
});
