import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tradesDigest } from '../../src/analysis/report/index.ts';
import { BarColumnsMarket, RecordedMarket, readBarColumns } from '../../src/data/index.ts';
import {
  applySweepParams,
  backtestConfig,
  parseSweepSpec,
  runBacktest,
  runSweep,
  sweepCombinations,
} from '../../src/modes/index.ts';
import crashing from './fixtures/crash-agent.ts';

/** 900 one-minute bars of a deterministic zig-zag, enough for a few crosses. */
function candleFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'concord-sweep-'));
  const path = join(dir, 'BTC_USDT-1m.csv');
  const lines = ['timestamp,open,high,low,close,volume'];
  let price = 100;
  for (let i = 0; i < 900; i++) {
    const next = price * (1 + 0.004 * Math.sin(i / 17) + 0.001 * Math.cos(i / 5));
    const ts = Date.UTC(2024, 0, 1) + i * 60_000;
    lines.push(
      `${ts},${price},${Math.max(price, next) + 0.05},${Math.min(price, next) - 0.05},${next},${10 + (i % 7)}`,
    );
    price = next;
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('sweep specs', () => {
  it('parses ranges and lists', () => {
    expect(parseSweepSpec('fast=5..30:5').values).toEqual([5, 10, 15, 20, 25, 30]);
    expect(parseSweepSpec('slow=20..100:10').values).toHaveLength(9);
    expect(parseSweepSpec('x=0.1..0.3:0.1').values).toEqual([0.1, 0.2, 0.3]);
    expect(parseSweepSpec('sma.fast=1,2,5')).toEqual({ name: 'sma.fast', values: [1, 2, 5] });
    expect(parseSweepSpec('n=3..3').values).toEqual([3]);
    for (const bad of [
      'fast',
      'fast=',
      'fast=9..1',
      'fast=1..9:-1',
      'fast=1..x',
      'fast=1,1',
      '=1..2',
      '__proto__=1..2',
      'a=1..1000000',
    ])
      expect(() => parseSweepSpec(bad), bad).toThrow(/CONCORD_ERR_SWEEP_SPEC/);
  });

  it('combines every value, caps the count, refuses a parameter swept twice', () => {
    const combos = sweepCombinations([parseSweepSpec('fast=5..30:5'), parseSweepSpec('slow=20..100:10')]);
    expect(combos).toHaveLength(54);
    expect(combos[0]).toEqual({ fast: 5, slow: 20 });
    expect(combos[1]).toEqual({ fast: 5, slow: 30 });
    expect(() => sweepCombinations([parseSweepSpec('a=1..40'), parseSweepSpec('b=1..40')])).toThrow(
      /CONCORD_ERR_SWEEP_TOO_MANY/,
    );
    expect(sweepCombinations([parseSweepSpec('a=1..40'), parseSweepSpec('b=1..40')], 1600)).toHaveLength(
      1600,
    );
    expect(() => sweepCombinations([parseSweepSpec('a=1..2'), parseSweepSpec('a=3..4')])).toThrow(
      /CONCORD_ERR_SWEEP_SPEC/,
    );
  });

  it('sets a parameter on the only agent, or on the named one', () => {
    const raw = { agents: [{ id: 'sma-cross', type: 'sma-cross', config: { quantity: 2 } }] };
    expect(applySweepParams(raw, { fast: 3 }).agents).toEqual([
      { id: 'sma-cross', type: 'sma-cross', config: { quantity: 2, fast: 3 } },
    ]);
    expect(raw.agents[0]!.config).toEqual({ quantity: 2 });
    expect(() => applySweepParams(raw, { 'other.fast': 3 })).toThrow(/CONCORD_ERR_SWEEP_PARAM_UNKNOWN/);
  });
});

describe('shared bar columns', () => {
  it('replay the same events as the files', () => {
    const path = candleFile();
    const columns = readBarColumns([path]);
    expect(columns.buffer).toBeInstanceOf(SharedArrayBuffer);
    const fromFile = new RecordedMarket([path], { peek: 100 });
    const fromColumns = new BarColumnsMarket(columns, { peek: 100 });
    expect(fromColumns.instruments()).toEqual(fromFile.instruments());
    expect(fromColumns.startTs).toBe(fromFile.startTs);
    const drain = (m: { next(): unknown }) => {
      const all: unknown[] = [];
      for (let b = m.next() as unknown[] | undefined; b !== undefined; b = m.next() as unknown[] | undefined)
        all.push(...b);
      return all;
    };
    expect(drain(fromColumns)).toEqual(drain(fromFile));
  });
});

describe('runSweep', () => {
  const agentModule = pathToFileURL(join(import.meta.dirname, 'fixtures', 'crash-agent.ts')).href;

  it('gives each combination the run a single backtest makes, whatever the worker', async () => {
    const path = candleFile();
    const raw = { agents: [{ id: 'sma-cross', type: 'sma-cross', config: {} }] };
    const combinations = [
      { fast: 3, slow: 12 },
      { fast: 5, slow: 20 },
      { fast: 8, slow: 30 },
    ];
    const progress: number[] = [];
    const sweep = await runSweep({
      data: [path],
      job: { rawConfig: raw },
      combinations,
      workers: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(sweep.failed).toEqual([]);
    expect(sweep.runs.map((r) => r.params)).toEqual(combinations);
    expect(progress).toEqual([1, 2, 3]);
    expect(sweep.bars).toBe(900);
    for (const run of sweep.runs) {
      const alone = await runBacktest({
        data: [path],
        config: backtestConfig(applySweepParams(raw, run.params)),
      });
      expect(run.journalHash).toBe(alone.journalHash);
      expect(tradesDigest(run.trades)).toBe(tradesDigest(alone.trades));
      expect(Array.from(run.equity)).toEqual(alone.equity.map((p) => p.equity));
    }
    expect(sweep.runs.some((r) => r.trades.length > 0)).toBe(true);
  }, 120_000);

  it('fails only the combination whose worker died, naming it, and runs the rest', async () => {
    expect(crashing[0]?.type).toBe('crashing-sma');
    const path = candleFile();
    const sweep = await runSweep({
      data: [path],
      job: { rawConfig: { agents: [{ id: 'c', type: 'crashing-sma', config: {} }] }, agentModule },
      combinations: [
        { fast: 3, slow: 12 },
        { fast: 7, slow: 20 },
        { fast: 5, slow: 20 },
      ],
      workers: 1,
    });
    expect(sweep.failed).toHaveLength(1);
    expect(sweep.failed[0]).toMatchObject({
      index: 1,
      params: { fast: 7, slow: 20 },
      code: 'CONCORD_ERR_SWEEP_WORKER',
    });
    expect(sweep.failed[0]!.message).toMatch(/#2 \(fast=7 slow=20\) died: exit code 9/);
    expect(sweep.runs.map((r) => r.params)).toEqual([
      { fast: 3, slow: 12 },
      { fast: 5, slow: 20 },
    ]);
  }, 120_000);

  it('stops every worker when the signal fires', async () => {
    const path = candleFile();
    const controller = new AbortController();
    const sweep = await runSweep({
      data: [path],
      job: { rawConfig: { agents: [{ id: 'sma-cross', type: 'sma-cross', config: {} }] } },
      combinations: Array.from({ length: 12 }, (_, i) => ({ fast: 2 + i, slow: 40 })),
      workers: 2,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 1) controller.abort();
      },
    });
    expect(sweep.interrupted).toBe(true);
    expect(sweep.runs.length).toBeGreaterThanOrEqual(1);
    expect(sweep.runs.length).toBeLessThan(12);
  }, 120_000);
});
