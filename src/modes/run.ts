/**
 * The sandbox desk (`concord run`): a session (src/modes/session.ts) over the synthetic market,
 * with one simulated venue per venue and a simulated clock paced against real time by `speed`.
 * An existing journal is resumed; each resumed segment draws a fresh market seed, journaled in
 * its `run.resumed` so replay can regenerate the same market. Operator commands reach the desk
 * through whatever command source the caller composes (the CLI: the control-file channel).
 */
import type { AgentDefinition } from '../agents/contract.ts';
import { ConcordError, SimulatedClock } from '../core/index.ts';
import type { SqliteJournal, VerifyProgress } from '../journal/index.ts';
import type { CommandSource } from '../kernel/commands.ts';
import { type DeskConfig, startTimeMs } from '../kernel/config.ts';
import type { Desk } from '../kernel/desk.ts';
import { parseShadowConfig, shadowDeskConfig } from '../kernel/shadow-config.ts';
import { sortedEntries } from '../kernel/sorted-entries.ts';
import { type DeskStatus, deskStatus } from '../kernel/status.ts';
import { validateDeskConfig } from '../kernel/validate.ts';
import {
  marketFeed,
  SimulatedDexVenue,
  SimulatedVenue,
  SyntheticMarket,
  type VenueWithMarket,
} from '../venues/index.ts';
import { runSession, type SessionHooks, type SessionParts, type SessionResume } from './session.ts';
import { liveSummaryOf, ShadowSession } from './shadow.ts';

export interface RunOptions {
  readonly config: DeskConfig;
  /** Simulated time to run; Infinity = until aborted. */
  readonly durationMs: number;
  /** Multiple of real time; Infinity = as fast as possible. */
  readonly speed: number;
  readonly live?: boolean;
  readonly signal?: AbortSignal;
  readonly onStatus?: (status: DeskStatus) => void;
  readonly onEvent?: ((text: string) => void) | undefined;
  /** Agent types beyond the built-in library (embedding, tests). */
  readonly agentDefinitions?: readonly AgentDefinition<unknown>[];
  /** Told how far the verification of an existing journal's chain has got before resuming. */
  readonly onVerifyProgress?: VerifyProgress;
  /**
   * Where operator commands come from (halt, resume, ...), polled between two market steps. The
   * CLI gives the control-file channel of the journal directory (`concord halt` / `resume`).
   */
  readonly commands?: CommandSource;
  /**
   * Told once the desk has started, before the first step (the CLI serves the operator API over
   * the desk and its journal here). Awaited; a throw fails the run, so callers catch their own.
   */
  readonly onReady?: (desk: Desk, journal: SqliteJournal) => Promise<void> | void;
  /** Told when the loop has ended or failed, before `run.end` is journaled (the CLI closes the API). */
  readonly onEnd?: () => Promise<void> | void;
}

export interface RunSummary extends Omit<DeskStatus, 'recent' | 'decisionsPerSec'> {
  readonly journalHash: string;
  readonly journalDir: string;
  readonly records: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly fees: number;
  readonly resumed?: { fromSeq: number; crashed: boolean };
}

/**
 * The sandbox's market side: the synthetic market from `seed` and `startTs` (CEX books and the
 * sandbox chain's AMM pools), one SimulatedVenue per CEX venue with the configured balances and
 * latency, and the simulated DEX venue for the chain (the same balances, in its one wallet), each
 * fed its events through the desk's market tap. The DEX venue reports our swaps back to the
 * market, so the pools' next updates start from reserves that include them (src/venues/simulated/amm-pools.ts).
 */
export function sandboxParts(
  config: DeskConfig,
  clock: SimulatedClock,
  seed: number,
  startTs: number,
): SessionParts {
  const market = new SyntheticMarket({ seed, startTs, tickMs: config.market.tickMs, dex: {} });
  const dex = market.dex;
  const instruments = market.instruments();
  const venueIds = [...new Set(instruments.map((i) => i.venue))];
  const balances = Object.fromEntries(sortedEntries(config.venues.balances));
  const venues: VenueWithMarket[] = venueIds.map((id) => {
    const own = instruments.filter((i) => i.venue === id);
    if (dex !== undefined && id === dex.venue) {
      return new SimulatedDexVenue({
        id,
        clock,
        instruments: own,
        balances,
        pools: own.map((i) => ({ instrumentId: i.id, feePips: dex.pool(i.id)?.spec.feePips ?? 3000 })),
        baseDecimals: dex.baseDecimals,
        quoteDecimals: dex.quoteDecimals,
        gas: dex.gas,
        onSwap: (id, reserve0, reserve1) => dex.setReserves(id, reserve0, reserve1),
      });
    }
    return new SimulatedVenue({ id, clock, instruments: own, balances, latencyMs: config.venues.latencyMs });
  });
  return { clock, source: market, venues, marketTap: marketFeed(venues), startTs, seed };
}

/**
 * Where a sandbox segment starts: a new run at the config's start time with its seed; a resumed
 * one a market step after its checkpoint, with a seed of its own (the same market again would
 * repeat what the crashed segment already traded).
 */
export function sandboxStart(
  config: DeskConfig,
  resume: SessionResume | undefined,
): { startTs: number; seed: number } {
  if (resume === undefined) return { startTs: startTimeMs(config), seed: config.seed };
  const point = resume.point;
  return {
    startTs: (point.checkpoint?.ts ?? point.start.startTs) + config.market.tickMs,
    seed: (config.seed + (point.resumes + 1) * 0x9e3779b1) >>> 0,
  };
}

function assertModeAllowed(config: DeskConfig, live: boolean): void {
  if (config.mode === 'live' && !(config.live.enabled && live)) {
    throw new ConcordError(
      'CONCORD_ERR_LIVE_NOT_ENABLED',
      'live trading needs live.enabled: true in the config AND --live on the command line',
      {
        details: { configEnabled: config.live.enabled, flag: live },
      },
    );
  }
  if (config.mode !== 'sandbox') {
    throw new ConcordError(
      'CONCORD_ERR_MODE_UNSUPPORTED',
      `mode "${config.mode}" is not implemented yet; use "sandbox" (or concord replay)`,
      {
        details: { mode: config.mode },
      },
    );
  }
}

/** Runs the sandbox desk until the duration elapses or the signal aborts; resumes an existing journal. */
export async function runDesk(options: RunOptions): Promise<RunSummary> {
  const { config } = options;
  assertModeAllowed(config, options.live === true);
  validateDeskConfig(config, 'config', options.agentDefinitions);
  let shadow: ShadowSession | undefined;
  // The shadow session rides along when the run's config (the journal's, when resuming) asks for it.
  const hooks: SessionHooks = {
    ready: async (session) => {
      await options.onReady?.(session.desk, session.journal);
      const settings = parseShadowConfig(session.config.shadow);
      if (!settings.enabled) return;
      shadow = new ShadowSession({
        id: `shadow-${session.parts.startTs}`,
        config: shadowDeskConfig(session.config, settings.candidates),
        clock: session.clock,
        instruments: session.parts.source.instruments(),
        bookSequencing: session.parts.source.bookSequencing,
        journalDir: config.journal.dir,
        recordLive: (event, payload) => session.desk.record(event, payload),
        ...(options.agentDefinitions === undefined ? {} : { agentDefinitions: options.agentDefinitions }),
      });
      await shadow.start();
      const live = shadow;
      hooks.afterStep = (event) => live.onMarketEvent(event);
    },
    beforeEnd: async (session, reason) => {
      await options.onEnd?.();
      if (shadow === undefined) return;
      if (reason !== 'failed')
        shadow.evaluatePromotion(
          parseShadowConfig(session.config.shadow).promotion,
          liveSummaryOf(session.desk),
        );
      await shadow.stop(liveSummaryOf(session.desk));
    },
  };
  const result = await runSession({
    // A simulated desk needs its journal to survive the process being killed (WAL + NORMAL does);
    // FULL (an fsync per batch, surviving power loss) is for desks whose orders reach real venues.
    journal: {
      dir: config.journal.dir,
      synchronous: config.mode === 'sandbox' ? 'NORMAL' : 'FULL',
      onVerifyProgress: options.onVerifyProgress,
    },
    config,
    open: ({ config: runConfig, resume }) => {
      const { startTs, seed } = sandboxStart(runConfig, resume);
      return sandboxParts(runConfig, new SimulatedClock(startTs), seed, startTs);
    },
    commands: options.commands,
    signal: options.signal,
    stopAfter: { simulatedMs: options.durationMs },
    pacing: { kind: 'speed', speed: options.speed },
    onStatus: options.onStatus,
    onEvent: options.onEvent,
    agentDefinitions: options.agentDefinitions,
    hooks,
  });
  const desk = result.desk;
  const {
    recent: _recent,
    decisionsPerSec: _dps,
    ...rest
  } = deskStatus(desk, result.wallMs, result.simulatedMs);
  return {
    ...rest,
    journalHash: result.head.hash,
    journalDir: config.journal.dir,
    records: result.head.seq,
    realizedPnl: desk.portfolio.realizedExact().toNumber(),
    unrealizedPnl: desk.portfolio.unrealizedPnl(),
    fees: desk.portfolio.feesExact().toNumber(),
    ...(result.resumed === undefined ? {} : { resumed: result.resumed }),
  };
}
