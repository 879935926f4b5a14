/**
 * Parameter sweeps: the same backtest (`runBacktest`, unchanged) once per combination of agent
 * parameters, in worker threads over bars read once.
 *
 * The main thread reads and parses the candle files once into shared columns (`readBarColumns`,
 * a SharedArrayBuffer) and hashes them once; every worker replays those columns
 * (`BarColumnsMarket`) through `runBacktest` with `prepared`, so each combination is exactly the
 * run `concord backtest --set …` makes over the files (same events, same journal), only without
 * reading them again. Combinations go to whichever worker is free; a result carries the
 * combination's index, so the rows come back in combination order whatever the scheduling.
 *
 * A worker that dies (crash, out of memory) fails only the combination it was running, with
 * CONCORD_ERR_SWEEP_WORKER naming it; a fresh worker takes its place and the rest continue.
 * The signal stops every worker at once: the result then holds the rows finished so far.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConcordError, monotonicNs } from '../core/index.ts';
import { type BarColumns, readBarColumns } from '../data/index.ts';
import { type BacktestFile, describeFile, expandDataPaths } from './backtest.ts';

/** One swept parameter: its name (as for --set, `fast` or `<agent-id>.fast`) and its values. */
export interface SweepParam {
  readonly name: string;
  readonly values: readonly number[];
}

export type SweepParams = Readonly<Record<string, number>>;

/** Everything a worker needs besides the combination; plain data (posted to the worker). */
export interface SweepJob {
  /**
   * The desk config before `backtestConfig`, as JSON-safe data, its `agents` holding the fixed
   * parameters; each combination's parameters are set on top (`applySweepParams`).
   */
  readonly rawConfig: Readonly<Record<string, unknown>>;
  readonly fees?: { readonly maker?: number; readonly taker?: number };
  readonly initialCapital?: number;
  /** A module URL whose default export is an array of extra agent definitions (tests, plugins). */
  readonly agentModule?: string;
}

/** What one combination's backtest gives back (series for metrics; digest-free, plain data). */
export interface SweepRunOutput {
  readonly index: number;
  readonly params: SweepParams;
  readonly trades: ReadonlyArray<{
    ts: number;
    instrumentId: string;
    side: 'buy' | 'sell';
    price: number;
    quantity: number;
    fee: number;
    agentIds: string[];
  }>;
  /** Equity sample times and values (one per bar), as typed arrays (transferred, not copied). */
  readonly equityTs: Float64Array;
  readonly equity: Float64Array;
  readonly initialEquity: number;
  readonly fills: number;
  readonly orders: number;
  readonly pnl: number;
  readonly fees: number;
  readonly journalHash: string;
  readonly period: { readonly start: number | null; readonly end: number | null };
  readonly wallMs: number;
}

export interface SweepFailure {
  readonly index: number;
  readonly params: SweepParams;
  readonly code: string;
  readonly message: string;
}

export interface SweepOptions {
  readonly data: readonly string[];
  readonly job: SweepJob;
  readonly combinations: readonly SweepParams[];
  /** Worker threads (default: the available cores, at most the number of combinations). */
  readonly workers?: number;
  readonly signal?: AbortSignal;
  /** Called after every finished (or failed) combination. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SweepRunResult {
  readonly files: readonly BacktestFile[];
  readonly bars: number;
  /** The bars, read once and shared with the workers (e.g. for the report's price chart). */
  readonly columns: BarColumns;
  readonly workers: number;
  /** Finished runs, in combination order. */
  readonly runs: readonly SweepRunOutput[];
  readonly failed: readonly SweepFailure[];
  readonly interrupted: boolean;
  /** Reading and parsing the data once, and the whole sweep (ms of monotonic time). */
  readonly readMs: number;
  readonly wallMs: number;
}

/** Messages between the sweep and its workers. */
export type ToSweepWorker = { kind: 'run'; index: number; params: SweepParams } | { kind: 'stop' };
export type FromSweepWorker =
  | { kind: 'done'; output: SweepRunOutput }
  | { kind: 'failed'; index: number; code: string; message: string };
export interface SweepWorkerBoot {
  readonly columns: BarColumns;
  readonly files: readonly BacktestFile[];
  readonly job: SweepJob;
}

// Compiled, the thread runs sweep-worker.js as it is; from the TypeScript sources it starts in
// sweep-worker-entry.mjs, which registers the tsx loader first (as the isolated agents do).
const SWEEP_WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./sweep-worker-entry.mjs', import.meta.url)
  : new URL('./sweep-worker.js', import.meta.url);

const SPEC = /^([A-Za-z_][\w-]*(?:\.[A-Za-z_]\w*)?)=(.+)$/;
const NUMBER = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?$/i;

function specError(spec: string, why: string, expected: string): ConcordError {
  return new ConcordError('CONCORD_ERR_SWEEP_SPEC', `flag --sweep ${spec}: ${why}`, {
    details: { path: '--sweep', expected, received: spec },
  });
}

function specNumber(spec: string, text: string): number {
  const value = NUMBER.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) throw specError(spec, `${JSON.stringify(text)} is not a number`, 'numbers');
  return value;
}

/** Most values one parameter may take (a typo such as 1..1000000:1 fails here, not in memory). */
const MAX_VALUES_PER_PARAM = 10_000;

/**
 * Parses `name=lo..hi:step` (inclusive; step defaults to 1) or `name=a,b,c`.
 * CONCORD_ERR_SWEEP_SPEC for anything else: an empty or reversed range, a step ≤ 0, a non-number.
 */
export function parseSweepSpec(spec: string): SweepParam {
  const m = SPEC.exec(spec.trim());
  if (m === null) throw specError(spec, 'expected name=lo..hi[:step] or name=a,b,c', 'name=lo..hi[:step]');
  const name = m[1] as string;
  const field = name.slice(name.indexOf('.') + 1);
  if (field === '__proto__' || field === 'constructor' || field === 'prototype')
    throw specError(spec, `${JSON.stringify(field)} is not an agent parameter`, 'a parameter name');
  const body = (m[2] as string).trim();
  const range = /^([^:]+?)\.\.([^:]+?)(?::(.+))?$/.exec(body);
  if (range === null) {
    const values = body.split(',').map((v) => specNumber(spec, v));
    if (new Set(values).size !== values.length)
      throw specError(spec, 'a value is listed twice', 'distinct values');
    return { name, values };
  }
  const lo = specNumber(spec, range[1] as string);
  const hi = specNumber(spec, range[2] as string);
  const step = range[3] === undefined ? 1 : specNumber(spec, range[3]);
  if (!(step > 0)) throw specError(spec, `the step must be > 0 (got ${step})`, 'a step > 0');
  if (hi < lo) throw specError(spec, `the range is empty (${lo} > ${hi})`, 'lo ≤ hi');
  const count = Math.floor((hi - lo) / step + 1e-9) + 1;
  if (count > MAX_VALUES_PER_PARAM)
    throw specError(spec, `${count} values (at most ${MAX_VALUES_PER_PARAM})`, 'fewer values');
  // Values as lo + k·step, rounded to the step's decimals (0.1 + 0.2 stays 0.3).
  const decimals = Math.max(decimalsOf(lo), decimalsOf(step));
  const values: number[] = [];
  for (let k = 0; k < count; k++) values.push(Number((lo + k * step).toFixed(decimals)));
  return { name, values };
}

function decimalsOf(x: number): number {
  const text = String(x);
  const dot = text.indexOf('.');
  return dot < 0 || text.includes('e') ? 0 : text.length - dot - 1;
}

/** Default cap on combinations; more needs an explicit --max-combinations. */
export const DEFAULT_MAX_COMBINATIONS = 1000;

/**
 * Every combination of the parameters, the last parameter varying fastest.
 * CONCORD_ERR_SWEEP_SPEC when a parameter is swept twice; CONCORD_ERR_SWEEP_TOO_MANY beyond `max`.
 */
export function sweepCombinations(
  params: readonly SweepParam[],
  max = DEFAULT_MAX_COMBINATIONS,
): SweepParams[] {
  const names = new Set<string>();
  for (const p of params) {
    if (names.has(p.name))
      throw specError(`${p.name}=…`, `${p.name} is swept twice`, 'one --sweep per parameter');
    names.add(p.name);
  }
  const total = params.reduce((n, p) => n * p.values.length, 1);
  if (total > max) {
    throw new ConcordError(
      'CONCORD_ERR_SWEEP_TOO_MANY',
      `the sweep has ${total} combinations, more than ${max}; narrow it, or pass --max-combinations ${total}`,
      { details: { path: '--sweep', combinations: total, max } },
    );
  }
  let combos: Array<Record<string, number>> = [{}];
  for (const p of params) {
    const next: Array<Record<string, number>> = [];
    for (const c of combos) for (const v of p.values) next.push({ ...c, [p.name]: v });
    combos = next;
  }
  return combos;
}

/** Reads the data once, then runs every combination in worker threads. */
export async function runSweep(options: SweepOptions): Promise<SweepRunResult> {
  const start = monotonicNs();
  const paths = expandDataPaths(options.data);
  const files = paths.map((p) => describeFile(p, false));
  const columns = readBarColumns(paths, { binance: { timestamps: 'receive' } });
  const readMs = Number(monotonicNs() - start) / 1e6;
  const total = options.combinations.length;
  const workerCount = Math.max(1, Math.min(total, Math.floor(options.workers ?? availableParallelism())));
  const boot: SweepWorkerBoot = { columns, files, job: options.job };
  const runs: Array<SweepRunOutput | undefined> = new Array(total);
  const failed: SweepFailure[] = [];
  let next = 0;
  let done = 0;
  const live = new Set<Worker>();
  let stopped = options.signal?.aborted === true;
  let cleanup = () => {};

  await new Promise<void>((resolveAll) => {
    const finish = () => {
      if (done === total || (stopped && live.size === 0)) resolveAll();
    };
    const record = () => {
      done++;
      options.onProgress?.(done, total);
    };
    const start = (): void => {
      if (stopped || next >= total) return;
      const worker = new Worker(SWEEP_WORKER_URL, { workerData: boot });
      live.add(worker);
      let current: number | undefined;
      const give = () => {
        if (stopped || next >= total) {
          current = undefined;
          live.delete(worker);
          void worker.terminate();
          finish();
          return;
        }
        current = next++;
        worker.postMessage({
          kind: 'run',
          index: current,
          params: options.combinations[current] as SweepParams,
        } satisfies ToSweepWorker);
      };
      worker.on('message', (m: FromSweepWorker) => {
        if (m.kind === 'done') runs[m.output.index] = m.output;
        else
          failed.push({
            index: m.index,
            params: options.combinations[m.index] as SweepParams,
            code: m.code,
            message: m.message,
          });
        record();
        give();
      });
      // A dead worker fails the combination it held; a fresh one carries on with the rest.
      const dead = (reason: string) => {
        if (!live.delete(worker)) return;
        if (current !== undefined && !stopped) {
          const params = options.combinations[current] as SweepParams;
          failed.push({
            index: current,
            params,
            code: 'CONCORD_ERR_SWEEP_WORKER',
            message: `the worker running combination #${current + 1} (${formatParams(params)}) died: ${reason}`,
          });
          record();
        }
        current = undefined;
        if (!stopped && next < total) start();
        finish();
      };
      worker.on('error', (err) => dead(err instanceof Error ? err.message : String(err)));
      worker.on('exit', (code) => dead(`exit code ${code}`));
      give();
    };
    const onAbort = () => {
      stopped = true;
      for (const w of [...live]) {
        live.delete(w);
        void w.terminate();
      }
      resolveAll();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = () => options.signal?.removeEventListener('abort', onAbort);
    if (stopped || total === 0) {
      resolveAll();
      return;
    }
    for (let i = 0; i < workerCount; i++) start();
  });
  cleanup();
  return {
    files,
    bars: columns.length,
    columns,
    workers: workerCount,
    runs: runs.filter((r): r is SweepRunOutput => r !== undefined),
    failed: failed.sort((a, b) => a.index - b.index),
    interrupted: stopped,
    readMs,
    wallMs: Number(monotonicNs() - start) / 1e6,
  };
}

/**
 * The raw desk config of one combination: `name` sets that field of the only agent,
 * `<agent-id>.name` that of the named agent (as --set does). CONCORD_ERR_SWEEP_PARAM_UNKNOWN when
 * the agent cannot be told.
 */
export function applySweepParams(
  rawConfig: Readonly<Record<string, unknown>>,
  params: SweepParams,
): Record<string, unknown> {
  const listed = (rawConfig.agents as Array<Record<string, unknown> & { id?: unknown }> | undefined) ?? [];
  const agents = listed.map((a) => ({
    ...a,
    id: a.id,
    config: { ...((a.config as Record<string, unknown> | undefined) ?? {}) },
  }));
  for (const [name, value] of Object.entries(params)) {
    const dot = name.indexOf('.');
    const target =
      dot > 0 ? agents.find((a) => a.id === name.slice(0, dot)) : agents.length === 1 ? agents[0] : undefined;
    if (target === undefined) {
      throw new ConcordError(
        'CONCORD_ERR_SWEEP_PARAM_UNKNOWN',
        `flag --sweep ${name}: ${dot > 0 ? `no agent "${name.slice(0, dot)}"` : 'name the agent (<agent-id>.name) when there is not exactly one'}`,
        { details: { path: '--sweep', received: name, agents: agents.map((a) => a.id) } },
      );
    }
    target.config[dot > 0 ? name.slice(dot + 1) : name] = value;
  }
  return { ...rawConfig, agents };
}

/** `fast=10 slow=30`. */
export function formatParams(params: SweepParams): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
