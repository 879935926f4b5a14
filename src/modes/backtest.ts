/**
 * Backtests and replays of recorded data: a session (src/modes/session.ts) whose market source is
 * the recorded files (`RecordedMarket`). The recorded events drive the simulated clock, simulated
 * venues fill the desk's orders (against the replayed books, or at the next bar's open for
 * candles), and the journal records every decision, order and fill.
 *
 * The recorded files are the run's inputs: the journal holds their sha256, not every
 * event, so a backtest is not slowed by journaling data it can read again.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AgentDefinition, TriggerKind } from '../agents/contract.ts';
import { parseAgentConfig } from '../agents/registry.ts';
import { EVENTS, topics } from '../bus/index.ts';
import { ConcordError, Random, SimulatedClock } from '../core/index.ts';
import { type BookStats, detectFormat, RecordedMarket, type RecordingFormat } from '../data/index.ts';
import { deskRegistry } from '../kernel/agent-registry.ts';
import { DEFAULT_AGENTS, type DeskConfig, parseDeskConfig } from '../kernel/config.ts';
import { sortedEntries } from '../kernel/sorted-entries.ts';
import { type AgentSummary, agentSummaries } from '../kernel/status.ts';
import { validateDeskConfig } from '../kernel/validate.ts';
import type { Fill, InstrumentId, MarketEvent, MarketSource } from '../model/index.ts';
import { parseOrchestratorConfig, TriggerFilter } from '../orchestrator/index.ts';
import { BarVenue, marketFeed, SimulatedVenue } from '../venues/index.ts';
import { runSession } from './session.ts';

export interface BacktestOptions {
  /** Files or directories (their recordings, sorted by name), replayed in the order given. */
  readonly data: readonly string[];
  readonly config: DeskConfig;
  /**
   * Where the journal goes. When absent, a fresh temporary directory that is removed when the
   * run ends (completed, failed or interrupted): the result's `journalDir` is then null.
   */
  readonly journalDir?: string;
  readonly signal?: AbortSignal;
  /** Called about every 1% of the input with the share done (0..1). */
  readonly onProgress?: (done: number, events: number) => void;
  readonly agentDefinitions?: readonly AgentDefinition<unknown>[];
  /**
   * Capital the strategy's equity curve starts from (quote currency, default 100 000).
   * Equity = capital + the desk's PnL (realised + unrealised − fees), so inventory held only
   * to fund the simulated venues never moves the figures.
   */
  readonly initialCapital?: number;
  /** Taker/maker fee for files without a known venue (fractions); default 0. */
  readonly fees?: { maker?: number; taker?: number };
  /**
   * The recordings already read (a sweep reads and parses them once and shares the bars between
   * worker threads): used instead of reading `data` again. The files' descriptions (hashes) are
   * the run's inputs as before, so the journal is the one a run over the files writes.
   */
  readonly prepared?: PreparedRecording;
}

/** Recordings read once, replayed by any number of runs (see BacktestOptions.prepared). */
export interface PreparedRecording {
  readonly files: readonly BacktestFile[];
  /** A fresh source over the same events, the way RecordedMarket would give them. */
  open(fees: { maker?: number; taker?: number } | undefined): RecordedSource;
}

/** What a backtest needs of its market source beyond MarketSource (RecordedMarket has it). */
export type RecordedSource = MarketSource & {
  readonly startTs: number;
  readonly head: readonly MarketEvent[];
  readonly readToEnd: boolean;
};

export interface BacktestFill {
  /** Fill time, ms since epoch (UTC). */
  readonly ts: number;
  readonly instrumentId: InstrumentId;
  readonly side: 'buy' | 'sell';
  readonly price: number;
  readonly quantity: number;
  readonly fee: number;
  readonly clientOrderId: string;
  readonly agentIds: readonly string[];
}

export interface BacktestFile {
  readonly path: string;
  readonly format: RecordingFormat;
  readonly sha256: string;
  /** Lines in the (decompressed) file; null when not counted (no progress bar asked for). */
  readonly lines: number | null;
}

export interface BacktestRunResult {
  readonly mode: 'backtest';
  readonly files: readonly BacktestFile[];
  readonly period: { readonly start: number | null; readonly end: number | null };
  readonly events: number;
  readonly triggers: number;
  readonly decisions: number;
  readonly orders: number;
  readonly denied: number;
  readonly rejected: number;
  readonly fills: number;
  readonly initialEquity: number;
  readonly finalEquity: number;
  readonly pnl: number;
  readonly fees: number;
  readonly trades: readonly BacktestFill[];
  readonly books: ReadonlyArray<
    Pick<BookStats, 'instrumentId' | 'updates' | 'gaps' | 'resyncs' | 'bookTickerMismatches'> & {
      bookTickerChecks: number;
    }
  >;
  readonly agents: readonly AgentSummary[];
  readonly equity: ReadonlyArray<{ ts: number; equity: number }>;
  readonly journalHash: string;
  /** The kept journal's directory; null when it was a temporary one (removed at the end). */
  readonly journalDir: string | null;
  /** True when the run was stopped by its signal before the end of the data. */
  readonly interrupted: boolean;
  readonly wallMs: number;
  readonly eventsPerSecond: number;
}

const RECORDING_FILE = /\.(gz|json|csv|jsonl)$/i;

/** Expands directories into their recording files (sorted), keeping the order of the arguments. */
export function expandDataPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(p);
    } catch {
      throw new ConcordError('CONCORD_ERR_DATA_FILE', `cannot read ${p}: no such file or directory`, {
        details: { path: p },
      });
    }
    if (stat.isDirectory()) {
      const files = readdirSync(p)
        .filter((f) => RECORDING_FILE.test(f))
        .sort()
        .map((f) => join(p, f));
      if (files.length === 0) {
        throw new ConcordError(
          'CONCORD_ERR_DATA_FILE',
          `directory ${p} holds no recordings (.gz, .json, .csv, .jsonl)`,
          { details: { path: p } },
        );
      }
      out.push(...files);
    } else out.push(p);
  }
  return out.map((p) => resolve(p));
}

/**
 * sha256 of a file (the run's input identity) and, when a progress bar needs a total, its line
 * count (decompressing a .gz once more: only worth it when someone watches).
 */
export function describeFile(path: string, countLines: boolean): BacktestFile {
  const raw = readFileSync(path);
  let lines = 0;
  if (countLines) {
    const text = path.endsWith('.gz') ? gunzipSync(raw) : raw;
    for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) lines++;
  }
  return {
    path,
    format: detectFormat(path),
    sha256: createHash('sha256').update(raw).digest('hex'),
    lines: countLines ? Math.max(lines, 1) : null,
  };
}

/** Runs agents over recorded data; returns the JSON result (trades, stats, equity series). */
export async function runBacktest(options: BacktestOptions): Promise<BacktestRunResult> {
  let config = options.config;
  validateDeskConfig(config, 'config', options.agentDefinitions);
  const prepared = options.prepared;
  const paths = prepared === undefined ? expandDataPaths(options.data) : prepared.files.map((f) => f.path);
  const files =
    prepared === undefined
      ? paths.map((p) => describeFile(p, options.onProgress !== undefined))
      : [...prepared.files];
  const totalLines = Math.max(
    1,
    files.reduce((n, f) => n + (f.lines ?? 0), 0),
  );

  // Instruments come from the data itself (a first event per instrument defines it), read ahead
  // before anything is journaled: an empty recording or an agent the data can never ask stop here.
  const candleOnly = files.every((f) => f.format === 'candles');
  const market: RecordedSource =
    prepared?.open(options.fees) ??
    new RecordedMarket(paths, {
      reading: { binance: { timestamps: 'receive' } },
      ...(options.fees === undefined ? {} : { fees: options.fees }),
    });
  config = agentsThatCanThink(config, files, market.head, market.readToEnd, options.agentDefinitions);

  const temporary = options.journalDir === undefined;
  const journalDir = options.journalDir ?? mkdtempSync(join(tmpdir(), 'concord-backtest-'));
  const trades: BacktestFill[] = [];
  const equity: Array<{ ts: number; equity: number }> = [];
  const initialEquity = options.initialCapital ?? 100_000;
  let processed = 0;
  let nextProgress = 0;
  const progressStep = Math.max(1, Math.floor(totalLines / 100));
  try {
    const result = await runSession({
      journal: { dir: journalDir, synchronous: 'NORMAL' },
      config,
      // A backtest is re-run from its files, never resumed: each run is a new one in its journal.
      resume: false,
      open: () => {
        const startTs = market.startTs;
        const clock = new SimulatedClock(startTs);
        const instruments = market.instruments();
        const balances = Object.fromEntries(sortedEntries(config.venues.balances));
        const venues = new Map<string, SimulatedVenue | BarVenue>();
        for (const instrument of instruments) {
          if (venues.has(instrument.venue)) continue;
          const venueInstruments = instruments.filter((i) => i.venue === instrument.venue);
          venues.set(
            instrument.venue,
            candleOnly
              ? new BarVenue({
                  id: instrument.venue,
                  clock,
                  instruments: venueInstruments,
                  balances,
                  allowShort: false,
                })
              : new SimulatedVenue({
                  id: instrument.venue,
                  clock,
                  instruments: venueInstruments,
                  balances,
                  latencyMs: config.venues.latencyMs,
                }),
          );
        }
        return {
          clock,
          source: market,
          venues: [...venues.values()],
          marketTap: marketFeed(venues.values()),
          startTs,
          // The files are the inputs: the journal holds their hashes, not every event again.
          deskOptions: { journalMarketEvents: false, watchDataHealth: false },
          startRecord: {
            recording: files.map((f) => ({ path: f.path, sha256: f.sha256, format: f.format })),
          },
        };
      },
      signal: options.signal,
      // The loop only awaits microtasks, which never let a signal handler run: with a signal to
      // obey, hand the event loop a turn every YIELD_EVERY_MS of work (about 1% of the time).
      ...(options.signal === undefined
        ? {}
        : { pacing: { kind: 'yield', everyMs: YIELD_EVERY_MS } as const }),
      agentDefinitions: options.agentDefinitions,
      hooks: {
        attach: ({ desk }) => {
          desk.bus.subscribe(topics.event(EVENTS.orderFilled), (envelope) => {
            const { fill } = envelope.payload as { fill: Fill };
            trades.push({
              ts: fill.ts,
              instrumentId: fill.instrumentId,
              side: fill.side,
              price: Number(fill.price),
              quantity: Number(fill.quantity),
              fee: Number(fill.fee),
              clientOrderId: fill.clientOrderId,
              agentIds: desk.agentsOfOrder(fill.clientOrderId),
            });
          });
          let lastSample = Number.NEGATIVE_INFINITY;
          desk.afterMarketEvent = (event) => {
            // One equity point per bar, or per second of desk time for tick data.
            if (event.type === 'bar' || event.ts - lastSample >= 1000) {
              lastSample = event.ts;
              equity.push({
                ts: event.ts,
                equity: initialEquity + desk.portfolio.totalPnlExact().toNumber(),
              });
            }
          };
        },
        afterBatch: (batch) => {
          processed += batch.length;
          if (processed >= nextProgress) {
            nextProgress = processed + progressStep;
            options.onProgress?.(Math.min(1, processed / totalLines), processed);
          }
        },
        beforeEnd: () => options.onProgress?.(1, processed),
      },
    });
    const desk = result.desk;
    return {
      mode: 'backtest',
      files,
      period: { start: result.startTs, end: result.clock.now() },
      events: processed,
      triggers: desk.counters.triggers,
      decisions: desk.counters.decisions,
      orders: desk.counters.orders,
      denied: desk.counters.denied,
      rejected: desk.counters.rejected,
      fills: desk.counters.fills,
      initialEquity,
      finalEquity: initialEquity + desk.portfolio.totalPnlExact().toNumber(),
      pnl: desk.portfolio.totalPnlExact().toNumber(),
      fees: desk.portfolio.feesExact().toNumber(),
      trades,
      books: desk.market.books.allStats().map((b) => ({
        instrumentId: b.instrumentId,
        updates: b.updates,
        gaps: b.gaps,
        resyncs: b.resyncs,
        bookTickerMismatches: b.bookTickerMismatches,
        bookTickerChecks: b.bookTickerChecks,
      })),
      agents: agentSummaries(desk),
      equity,
      journalHash: result.head.hash,
      journalDir: temporary ? null : journalDir,
      interrupted: options.signal?.aborted === true,
      wallMs: result.wallMs,
      eventsPerSecond: processed / (result.wallMs / 1000),
    };
  } finally {
    if (temporary) removeTemporary(journalDir);
  }
}

const YIELD_EVERY_MS = 50;

/** Removes a temporary journal; a failure to remove it must not hide the run's own outcome. */
function removeTemporary(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Left in the system temp directory, which the OS cleans.
  }
}

/** Trigger kinds that only one kind of market event can raise (the others come from any price). */
const EVENT_ONLY_TRIGGERS: Partial<Record<TriggerKind, readonly MarketEvent['type'][]>> = {
  bar: ['bar'],
  trade: ['trade'],
  funding: ['funding'],
  'apy-change': ['lending'],
  liquidation: ['lending'],
  pool: ['pool'],
};

/** Event types each format can hold; Concord recordings hold any, so only what was read counts. */
const FORMAT_EVENTS: Record<Exclude<RecordingFormat, 'concord'>, readonly MarketEvent['type'][]> = {
  'binance-feed': ['book.snapshot', 'book.delta', 'quote', 'trade'],
  candles: ['bar'],
  trades: ['trade'],
  funding: ['funding'],
};

/**
 * Refuses, before anything is journaled, a desk with an agent that the data can never ask
 * anything: e.g. sma-cross (bars only) over an order-book feed would run to the end and say nothing.
 * The default desk (no agents configured) is not refused for its specialists: its agents the data
 * cannot reach (the DEX agents over data without pools) are left out, and the journaled config says so.
 */
function agentsThatCanThink(
  config: DeskConfig,
  files: readonly BacktestFile[],
  peeked: readonly MarketEvent[],
  peekedAll: boolean,
  extraAgents: readonly AgentDefinition<unknown>[] | undefined,
): DeskConfig {
  const defaults = JSON.stringify(config.agents) === JSON.stringify(DEFAULT_AGENTS);
  const unreachable: string[] = [];
  assertAgentsCanThink(config, files, peeked, peekedAll, extraAgents, (id) => {
    if (!defaults) return false;
    unreachable.push(id);
    return true;
  });
  if (unreachable.length === 0) return config;
  const agents = config.agents.filter((a) => !unreachable.includes(a.id));
  if (agents.length === 0) return config;
  return { ...config, agents };
}

function assertAgentsCanThink(
  config: DeskConfig,
  files: readonly BacktestFile[],
  peeked: readonly MarketEvent[],
  peekedAll: boolean,
  extraAgents: readonly AgentDefinition<unknown>[] | undefined,
  /** Returns true when the unreachable agent is left out instead of refused. */
  leaveOut: (agentId: string) => boolean,
): void {
  // A Concord recording may hold anything further on: judge it only when it was read to the end.
  if (!peekedAll && files.some((f) => f.format === 'concord')) return;
  const present = new Set<MarketEvent['type']>(peeked.map((e) => e.type));
  for (const f of files) if (f.format !== 'concord') for (const t of FORMAT_EVENTS[f.format]) present.add(t);
  const barsOn = new TriggerFilter(parseOrchestratorConfig(config.orchestrator).triggers).config.bars;
  const registry = deskRegistry(extraAgents);
  const random = new Random(config.seed);
  for (const spec of config.agents) {
    const definition = registry.get(spec.type);
    // A throwaway instance only to read what it listens to (agents declare it on the instance).
    const agent = definition.create(spec.id, parseAgentConfig(definition, spec.id, spec.config), {
      random,
      instruments: [],
    });
    const reachable = agent.triggers.some((kind) => {
      const needs = EVENT_ONLY_TRIGGERS[kind];
      if (needs === undefined) return true;
      if (kind === 'bar' && !barsOn) return false;
      return needs.some((t) => present.has(t));
    });
    if (reachable || leaveOut(spec.id)) continue;
    const has = [...present].sort().join(', ') || 'no events';
    const wants = agent.triggers.join(', ');
    throw new ConcordError(
      'CONCORD_ERR_BACKTEST_AGENT_NO_DATA',
      `agent "${spec.id}" (${spec.type}) thinks only on ${wants} events, and ${kindOfData(files)} hold${files.length === 1 ? 's' : ''} none (${has})${!barsOn && agent.triggers.includes('bar') ? '; bar triggers are off in orchestrator.triggers.bars' : ''}: it would never decide anything. Give it data with ${wants} events (e.g. candles for bars) or choose an agent for this data`,
      {
        details: {
          agentId: spec.id,
          type: spec.type,
          triggers: [...agent.triggers],
          dataEvents: [...present].sort(),
        },
      },
    );
  }
}

function kindOfData(files: readonly BacktestFile[]): string {
  const formats = [...new Set(files.map((f) => f.format))].join(', ');
  return files.length === 1 ? `the data (${formats})` : `the data files (${formats})`;
}

/** A backtest desk config: the given one, with defaults that suit replaying history. */
export function backtestConfig(raw: Record<string, unknown>): DeskConfig {
  const orchestrator = (raw.orchestrator as Record<string, unknown> | undefined) ?? {};
  const consensus = (orchestrator.consensus as Record<string, unknown> | undefined) ?? {};
  const limits =
    raw.safety !== undefined || raw.risk !== undefined
      ? {}
      : {
          // History is replayed as it was: no notional cap and no circuit breakers unless configured,
          // so a strategy's backtest shows the strategy (configure `safety` to test the gate too).
          safety: {
            riskManagement: {
              maxOrderNotional: { default: '1000000000000' },
              circuitBreakers: { volatility: { enabled: false }, errorRate: { enabled: false } },
            },
          },
        };
  return parseDeskConfig({
    ...raw,
    ...limits,
    mode: 'backtest',
    // A lone strategy's orders pass whatever its learned trust: trust matters when agents disagree.
    orchestrator: { ...orchestrator, consensus: { minOrderWeight: 0, minPlanWeight: 0, ...consensus } },
    // Checkpoints are for resuming live desks; a backtest is re-run instead: flush when a batch is
    // full (a year of desk time stands for "never by time"), so a month of bars writes a handful.
    journal: { flushEveryMs: 365 * 86_400_000, ...(raw.journal as object | undefined) },
    venues: {
      balances: { USDT: 1_000_000_000, USD: 1_000_000_000, BTC: 1000, ETH: 1_000_000, XRP: 100_000_000 },
      ...(raw.venues as object | undefined),
    },
  });
}
