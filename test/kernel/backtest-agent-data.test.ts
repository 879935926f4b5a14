/**
 * An agent the data can never ask anything (sma-cross thinks on bars; an order-book feed has none)
 * is refused before anything is journaled, with a coded error that says why; exit 2 from the CLI.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { isConcordError } from '../../src/core/index.ts';
import { backtestConfig, runBacktest } from '../../src/modes/backtest.ts';
import { ROOT, tempDir } from '../helpers/cli.ts';
import { captureOut } from '../helpers/out.ts';

const SPOT = join(ROOT, '..', 'shared', 'data', 'binance-ws-20240808', 'spot_btcusdt.gz');
const SMA = [{ id: 'sma', type: 'sma-cross', config: { fast: 3, slow: 8 } }];

function candles(dir: string): string {
  const path = join(dir, 'bars-1m.csv');
  const rows = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < 50; i++)
    rows.push(`${Date.UTC(2022, 0, 1) + i * 60_000},100,110,99,${100 + (i % 5)},1`);
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

async function failure(run: Promise<unknown>) {
  try {
    await run;
  } catch (err) {
    if (isConcordError(err)) return err;
    throw err;
  }
  throw new Error('expected the backtest to be refused');
}

describe('backtest: agents that the data cannot trigger', () => {
  it('refuses sma-cross over a Binance order-book feed before opening the journal', async () => {
    expect(existsSync(SPOT), `missing recording ${SPOT}`).toBe(true);
    const journalDir = join(tempDir(), 'journal');
    const err = await failure(
      runBacktest({ data: [SPOT], config: backtestConfig({ agents: SMA }), journalDir }),
    );
    expect(err.code).toBe('CONCORD_ERR_BACKTEST_AGENT_NO_DATA');
    expect(err.message).toMatch(/"sma".*bar/);
    expect(err.details.dataEvents).toContain('book.delta');
    expect(existsSync(journalDir)).toBe(false);
  });

  it('refuses sma-cross on candles when bar triggers are switched off', async () => {
    const dir = tempDir();
    const config = backtestConfig({ agents: SMA, orchestrator: { triggers: { bars: false } } });
    const err = await failure(runBacktest({ data: [candles(dir)], config, journalDir: join(dir, 'j') }));
    expect(err.code).toBe('CONCORD_ERR_BACKTEST_AGENT_NO_DATA');
    expect(err.message).toMatch(/orchestrator\.triggers\.bars/);
  });

  it('runs sma-cross on candles (the check does not refuse what works)', async () => {
    const dir = tempDir();
    const result = await runBacktest({
      data: [candles(dir)],
      config: backtestConfig({ agents: SMA }),
      journalDir: join(dir, 'j'),
    });
    expect(result.events).toBe(50);
    expect(result.decisions).toBeGreaterThan(0);
  });

  it('the CLI answers exit 2 with the code, and no stack', async () => {
    const out = captureOut();
    const code = await main(
      ['backtest', '--data', SPOT, '--agent', 'sma-cross', '--set', 'fast=3', '--set', 'slow=8'],
      out,
    );
    expect(code).toBe(2);
    const stderr = out.stderr.join('\n');
    expect(stderr).toMatch(/CONCORD_ERR_BACKTEST_AGENT_NO_DATA/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
