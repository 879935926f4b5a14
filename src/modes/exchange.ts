/**
 * Desks on a real exchange through ccxt: `paper` (the exchange's live public data, simulated
 * fills) and `live` (real orders), both sessions (src/modes/session.ts) over a
 * `CcxtMarketSource` on a LiveClock.
 *
 * Before anything is created, the exchange's markets are loaded (the first contact): an
 * exchange that cannot be reached fails here, within the request timeout, with
 * CONCORD_ERR_VENUE_UNREACHABLE, and no journal is opened or created.
 *
 * Paper: the desk's venue is a SimulatedVenue with the exchange's instruments (precision,
 * minimum notional, fees) and the configured balances, fed every live book and trade through
 * the session's market tap, so resting orders fill against the real market.
 *
 * Live, opt-in twice (`live.enabled: true` in the config and `--live`), with credentials from
 * the environment or a key file the caller read (never from the config, which is journaled):
 *  1. A new run takes the exchange's balances as its starting balances (journaled in
 *     `run.start`); a resumed run has its own from the journal.
 *  2. Write-ahead: the journal is flushed (with the order's `order.submitted`) before a submit
 *     leaves the process, so an order the exchange may hold is always in the durable journal.
 *  3. Before the first order: reconciliation against the exchange (every UNKNOWN or open order
 *     resolved by client id, fills the desk missed booked once, positions and balances compared;
 *     beyond tolerance the venue fails closed), then the exchange's open orders the journal does
 *     not know are handled by `live.unknownOrders` (`cancel`, or `halt`), journaled
 *     (`live.unknown-orders`). Market events only warm the desk meanwhile.
 *  4. Reconciliation again every `live.reconcileIntervalMs`.
 *  5. A verified halt: an operator halt (any command channel) cancels the desk's orders (the
 *     kernel's handler), then here the dead-man switch is armed where the exchange has one, every
 *     order the exchange still reports open in the desk's symbols is cancelled, and the exchange
 *     is asked again until it reports none (bounded); `halt.verified` journals what was found,
 *     and the halt's answer to its issuer says it.
 */
import type { AgentDefinition } from '../agents/contract.ts';
import { EVENTS } from '../bus/index.ts';
import { ConcordError, isConcordError, LiveClock, type TimerHandle, toConcordError } from '../core/index.ts';
import { type ReconcileReport, Reconciler } from '../execution/reconcile.ts';
import type { Journal } from '../journal/index.ts';
import type { CommandResult, CommandSource, IssuedCommand } from '../kernel/commands.ts';
import { type DeskConfig, parseDeskConfig } from '../kernel/config.ts';
import type { Desk } from '../kernel/desk.ts';
import type { DeskStatus } from '../kernel/status.ts';
import { validateDeskConfig } from '../kernel/validate.ts';
import type { InstrumentId, VenueOrderState, VenuePort } from '../model/index.ts';
import {
  type CcxtCredentials,
  CcxtMarketSource,
  CcxtVenue,
  type CcxtVenueOptions,
  type DeadManState,
} from '../venues/ccxt/index.ts';
import { SimulatedVenue } from '../venues/index.ts';
import { type EndReason, runSession, type Session, type SessionParts } from './session.ts';

export interface ExchangeDeskOptions {
  /** mode `paper` or `live`; `exchanges.<exchange>` says the symbols and any endpoint override. */
  readonly config: DeskConfig;
  /** ccxt exchange id. */
  readonly exchange: string;
  /** `--live` was given. */
  readonly live: boolean;
  /** Live only: the account's keys (environment or key file); never logged or journaled. */
  readonly credentials?: CcxtCredentials | undefined;
  /** Real time to run, in ms (Infinity: until the signal aborts). */
  readonly durationMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly commands?: CommandSource | undefined;
  readonly onEvent?: ((text: string) => void) | undefined;
  readonly onStatus?: ((status: DeskStatus) => void) | undefined;
  /** Told once trading starts (after the startup reconciliation of a live desk). */
  readonly onReady?: ((desk: Desk) => void) | undefined;
  readonly agentDefinitions?: readonly AgentDefinition<unknown>[] | undefined;
  /** Order-event polling period of the live venue (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** Most rounds of "cancel what is open, ask again" in a verified halt (default 10). */
  readonly haltVerifyAttempts?: number;
}

export interface UnknownOrdersRecord {
  readonly venue: string;
  readonly policy: 'cancel' | 'halt';
  readonly orders: readonly {
    readonly clientOrderId: string;
    readonly venueOrderId: string;
    readonly instrumentId: string;
    readonly status: string;
  }[];
  readonly cancelled: readonly string[];
  readonly failed: readonly { readonly clientOrderId: string; readonly code: string }[];
}

export interface HaltVerification {
  readonly venue: string;
  /** The exchange reported zero open orders in the desk's symbols. */
  readonly verified: boolean;
  readonly attempts: number;
  /** Orders the verification itself cancelled (the kernel's halt cancelled the desk's own before). */
  readonly cancelled: readonly string[];
  readonly cancelFailures: readonly { readonly clientOrderId: string; readonly code: string }[];
  /** What the exchange still reported open at the last ask (empty when verified). */
  readonly openAfter: readonly string[];
  readonly deadMan: {
    readonly supported: boolean;
    readonly armed: boolean;
    readonly timeoutMs: number;
    readonly error: string | null;
  };
}

export interface ExchangeDeskSummary {
  readonly mode: 'paper' | 'live';
  readonly exchange: string;
  readonly symbols: readonly string[];
  readonly reason: EndReason;
  readonly resumed: boolean;
  readonly crashedBefore: boolean;
  readonly marketEvents: number;
  readonly decisions: number;
  readonly orders: number;
  readonly fills: number;
  readonly tradingState: string;
  readonly reconcileRuns: number;
  readonly failedClosedVenues: readonly string[];
  readonly haltVerifications: readonly HaltVerification[];
  readonly positions: readonly { instrumentId: string; quantity: string }[];
  readonly journal: { readonly dir: string; readonly seq: number; readonly hash: string };
}

/** The symbols and endpoint of `exchange` from the config, checked. */
export function exchangeSpecOf(config: DeskConfig, exchange: string) {
  const spec = config.exchanges[exchange];
  const symbols = spec?.symbols;
  if (spec === undefined || symbols === undefined)
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      `config: field "exchanges.${exchange}.symbols" is invalid: expected the symbols to trade, e.g. ["BTC/USDT"] (or --symbols)`,
      { details: { path: `exchanges.${exchange}.symbols`, expected: 'a list of ccxt symbols' } },
    );
  return { ...spec, symbols };
}

function assertOptIns(options: ExchangeDeskOptions): 'paper' | 'live' {
  const { config } = options;
  if (config.mode === 'live') {
    if (!(config.live.enabled && options.live))
      throw new ConcordError(
        'CONCORD_ERR_LIVE_NOT_ENABLED',
        'live trading needs live.enabled: true in the config AND --live on the command line',
        { details: { configEnabled: config.live.enabled, flag: options.live } },
      );
    const c = options.credentials;
    if (
      c === undefined ||
      ((c.apiKey ?? '') === '' && (c.walletAddress ?? '') === '' && (c.privateKey ?? '') === '')
    )
      throw new ConcordError(
        'CONCORD_ERR_SECRETS_MISSING',
        `live trading on ${options.exchange} needs the account's keys: set the environment variables or name a key file (--keys-file)`,
        { details: { exchange: options.exchange } },
      );
    return 'live';
  }
  if (config.mode === 'paper') return 'paper';
  throw new ConcordError(
    'CONCORD_ERR_MODE_UNSUPPORTED',
    `mode "${config.mode}" cannot run on an exchange; use "paper" or "live"`,
    { details: { mode: config.mode } },
  );
}

/** Runs a paper or live desk on an exchange until the duration elapses or the signal aborts. */
export async function runExchangeDesk(options: ExchangeDeskOptions): Promise<ExchangeDeskSummary> {
  const mode = assertOptIns(options);
  let config = options.config;
  validateDeskConfig(config, 'config', options.agentDefinitions);
  const spec = exchangeSpecOf(config, options.exchange);
  const wall = new LiveClock();
  const base: CcxtVenueOptions = {
    exchange: options.exchange,
    clock: wall,
    symbols: spec.symbols,
    ...(spec.urls === undefined ? {} : { urls: spec.urls }),
    ...(spec.options === undefined ? {} : { options: spec.options }),
    ...(spec.sandbox === undefined ? {} : { sandbox: spec.sandbox }),
    ...(spec.rateLimitMs === undefined ? {} : { rateLimitMs: spec.rateLimitMs }),
    timeoutMs: spec.timeoutMs ?? 10_000,
  };
  // The first contact, before any journal exists: unreachable → CONCORD_ERR_VENUE_UNREACHABLE, nothing started.
  const data = await CcxtVenue.open({ ...base, orderEvents: 'poll', pollIntervalMs: 60_000 });
  let trader: CcxtVenue | undefined;
  try {
    if (mode === 'live') {
      trader = await CcxtVenue.open({
        ...base,
        credentials: options.credentials as CcxtCredentials,
        pollIntervalMs: options.pollIntervalMs ?? 1000,
      });
      // A new run starts from the exchange's balances (a resumed run takes its journal's config).
      const balances: Record<string, number> = {};
      for (const b of await trader.fetchBalances())
        if (!b.total.isZero()) balances[b.asset] = Number(b.total.toString());
      config = parseDeskConfig({ ...config, venues: { ...config.venues, balances } }, 'exchange balances');
    }
    return await runOn(options, mode, config, spec.symbols, data, trader, wall);
  } finally {
    await trader?.close();
    await data.close();
  }
}

async function runOn(
  options: ExchangeDeskOptions,
  mode: 'paper' | 'live',
  config: DeskConfig,
  symbols: readonly string[],
  data: CcxtVenue,
  trader: CcxtVenue | undefined,
  wall: LiveClock,
): Promise<ExchangeDeskSummary> {
  let desk: Desk | undefined;
  let reconciler: Reconciler | undefined;
  let interval: TimerHandle | undefined;
  let runs = 0;
  const verifications: HaltVerification[] = [];
  const pending = new Set<Promise<unknown>>();
  const reconcile = async (): Promise<ReconcileReport[]> => {
    const reports = await (reconciler as Reconciler).reconcileAll();
    runs++;
    (desk as Desk).flush();
    return reports;
  };
  const commands =
    options.commands === undefined || trader === undefined
      ? options.commands
      : verifiedHalts(options.commands, (settle, result) => {
          const work = verifyHalt(desk as Desk, trader, config, options.haltVerifyAttempts ?? 10).then(
            (v) => {
              verifications.push(v);
              settle({
                ...result,
                ok: result.ok && v.verified,
                ...(v.verified || result.code !== undefined ? {} : { code: 'CONCORD_ERR_HALT_UNVERIFIED' }),
                message: `${result.message}; ${describeVerification(v)}`,
              });
            },
          );
          pending.add(work);
          void work.finally(() => pending.delete(work));
        });

  const result = await runSession({
    journal: { dir: config.journal.dir, synchronous: mode === 'live' ? 'FULL' : 'NORMAL' },
    config,
    validate: (c) => validateDeskConfig(c, 'config', options.agentDefinitions),
    open: ({ config: runConfig, journal, resume }): SessionParts => {
      const source = new CcxtMarketSource(data, {
        clock: wall,
        onError: (id, kind, err) =>
          options.onEvent?.(`market data ${kind} of ${id} failed: ${toConcordError(err).shortMessage}`),
      });
      const startTs = wall.now();
      if (trader !== undefined) {
        // Spot positions are the account's trades since the run began (its first segment).
        trader.setPositionsSince(resume?.point.start.startTs ?? startTs);
        return {
          clock: wall,
          source,
          venues: [writeAhead(trader, journal, (reason) => desk?.failClosed(reason))],
          startTs,
          deskOptions: { holdRecords: false },
        };
      }
      const sim = new SimulatedVenue({
        id: data.id,
        clock: wall,
        instruments: data.instruments(),
        balances: Object.fromEntries(Object.entries(runConfig.venues.balances).sort()),
        latencyMs: runConfig.venues.latencyMs,
      });
      return { clock: wall, source, venues: [sim], marketTap: (event) => sim.onMarketEvent(event), startTs };
    },
    commands,
    signal: options.signal,
    stopAfter: { wallMs: options.durationMs },
    onEvent: options.onEvent,
    onStatus: options.onStatus,
    agentDefinitions: options.agentDefinitions,
    hooks: {
      attach: (session: Session) => {
        const d = session.desk;
        desk = d;
        if (trader === undefined) return;
        reconciler = new Reconciler({
          venues: new Map<string, VenuePort>([[trader.id, trader]]),
          orders: d.orders,
          portfolio: d.portfolio,
          clock: session.clock,
          events: { emit: (event, payload) => d.record(event, payload) },
          failClosed: (scope, state, reason) => d.risk.setTradingState(scope, state, reason),
          onRecovered: (scope, reason) => d.risk.setTradingState(scope, 'ACTIVE', reason),
          priceOf: (id: InstrumentId) => d.referencePrice(id),
        });
      },
      ready: async (session: Session) => {
        if (trader !== undefined) {
          const live = trader;
          await session.warmWhile(
            (async () => {
              await reconcile();
              await unknownOrders(session.desk, live, session.config);
            })(),
          );
          interval = wall.setInterval(() => {
            void reconcile().catch((err: unknown) =>
              desk?.failClosed(`reconciliation failed: ${toConcordError(err).shortMessage}`),
            );
          }, session.config.live.reconcileIntervalMs);
        }
        options.onReady?.(session.desk);
      },
      beforeEnd: async () => {
        if (interval !== undefined) wall.clearTimer(interval);
        await Promise.allSettled([...pending]);
        reconciler?.stop();
      },
    },
  });
  const d = result.desk;
  return {
    mode,
    exchange: options.exchange,
    symbols,
    reason: result.reason,
    resumed: result.resumed !== undefined,
    crashedBefore: result.crashedBefore,
    marketEvents: d.counters.marketEvents,
    decisions: d.counters.decisions,
    orders: d.counters.orders,
    fills: d.counters.fills,
    tradingState: d.tradingState(),
    reconcileRuns: runs,
    failedClosedVenues: reconciler?.failedClosedVenues() ?? [],
    haltVerifications: verifications,
    positions: d.portfolio
      .allPositions()
      .map((p) => ({ instrumentId: p.instrumentId, quantity: p.quantity.toString() })),
    journal: { dir: config.journal.dir, seq: result.head.seq, hash: result.head.hash },
  };
}

/**
 * A command source whose halts are answered only once `verify` has checked the exchange:
 * `verify` gets the issuer's settle and the kernel's result, and settles when it is done.
 */
function verifiedHalts(
  inner: CommandSource,
  verify: (settle: (result: CommandResult) => void, result: CommandResult) => void,
): CommandSource {
  return {
    ...(inner.open === undefined ? {} : { open: () => inner.open?.() }),
    ...(inner.close === undefined ? {} : { close: () => inner.close?.() }),
    poll: () => {
      const polled = inner.poll();
      if (!polled.commands.some((c) => c.command.kind === 'halt')) return polled;
      return {
        rejected: polled.rejected,
        commands: polled.commands.map((issued): IssuedCommand => {
          if (issued.command.kind !== 'halt') return issued;
          const settle = (result: CommandResult) => issued.settle?.(result);
          return { ...issued, settle: (result) => verify(settle, result) };
        }),
      };
    },
  };
}

/** Dead-man switch, then cancel-and-ask until the exchange reports no open order (bounded); journaled. */
export async function verifyHalt(
  desk: Desk,
  venue: CcxtVenue,
  config: DeskConfig,
  maxAttempts: number,
): Promise<HaltVerification> {
  const clock = new LiveClock();
  let deadMan: HaltVerification['deadMan'];
  try {
    const state: DeadManState = await venue.armDeadManSwitch(config.live.deadManMs);
    deadMan = { supported: state.supported, armed: state.armed, timeoutMs: state.timeoutMs, error: null };
  } catch (err) {
    deadMan = {
      supported: true,
      armed: false,
      timeoutMs: config.live.deadManMs,
      error: toConcordError(err).code,
    };
  }
  const cancelled: string[] = [];
  const cancelFailures: { clientOrderId: string; code: string }[] = [];
  let openAfter: string[] = [];
  let verified = false;
  let attempts = 0;
  while (attempts < maxAttempts) {
    attempts++;
    try {
      const open = await venue.fetchOpenOrders();
      openAfter = open.map((o) => o.clientOrderId || o.venueOrderId);
      if (open.length === 0) {
        verified = true;
        break;
      }
      for (const o of open) {
        try {
          await cancelReported(venue, o);
          cancelled.push(o.clientOrderId);
        } catch (err) {
          cancelFailures.push({ clientOrderId: o.clientOrderId, code: toConcordError(err).code });
        }
      }
    } catch (err) {
      cancelFailures.push({ clientOrderId: '', code: toConcordError(err).code });
    }
    await clock.sleep(Math.min(100 * 2 ** attempts, 1000));
  }
  const record: HaltVerification = {
    venue: venue.id,
    verified,
    attempts,
    cancelled: [...new Set(cancelled)].sort(),
    cancelFailures,
    openAfter: verified ? [] : openAfter,
    deadMan,
  };
  try {
    desk.record(EVENTS.haltVerified, record);
    desk.flush();
  } catch {
    // A journal that cannot be written has failed the desk closed; the issuer still hears the result.
  }
  return record;
}

function describeVerification(v: HaltVerification): string {
  const dm = !v.deadMan.supported
    ? `${v.venue} has no dead-man switch`
    : v.deadMan.armed
      ? `dead-man switch armed (${v.deadMan.timeoutMs} ms)`
      : `dead-man switch NOT armed (${v.deadMan.error ?? 'failed'})`;
  return v.verified
    ? `verified: ${v.venue} reports 0 open orders (${v.cancelled.length} cancelled by the verification, ${v.attempts} ask(s)); ${dm}`
    : `NOT verified: ${v.venue} still reports ${v.openAfter.length} open order(s) after ${v.attempts} ask(s); ${dm}`;
}

/**
 * Cancels an open order the exchange reported: by client id, else (an order another client
 * sent, whose id the exchange keeps in its own form, e.g. a Hyperliquid cloid) by the
 * exchange's order id.
 */
async function cancelReported(venue: CcxtVenue, order: VenueOrderState): Promise<void> {
  try {
    await venue.cancelOrder(order.clientOrderId);
  } catch (err) {
    if (!isConcordError(err, 'CONCORD_ERR_VENUE_ORDER_NOT_FOUND') || order.venueOrderId === '') throw err;
    await venue.cancelByVenueOrderId(order.venueOrderId, order.instrumentId);
  }
}

/** Open orders at the exchange that the desk's journal does not know: cancelled or halting, per policy. */
async function unknownOrders(desk: Desk, venue: CcxtVenue, config: DeskConfig): Promise<void> {
  const open = await venue.fetchOpenOrders();
  const unknown = open.filter((o) => desk.orders.order(o.clientOrderId) === undefined);
  if (unknown.length === 0) return;
  const policy = config.live.unknownOrders;
  const cancelled: string[] = [];
  const failed: { clientOrderId: string; code: string }[] = [];
  if (policy === 'cancel') {
    for (const o of unknown) {
      try {
        await cancelReported(venue, o);
        cancelled.push(o.clientOrderId);
      } catch (err) {
        failed.push({ clientOrderId: o.clientOrderId, code: toConcordError(err).code });
      }
    }
  }
  desk.record(EVENTS.liveUnknownOrders, {
    venue: venue.id,
    policy,
    orders: unknown.map((o) => ({
      clientOrderId: o.clientOrderId,
      venueOrderId: o.venueOrderId,
      instrumentId: o.instrumentId,
      status: o.status,
    })),
    cancelled,
    failed,
  });
  if (policy === 'halt' || failed.length > 0)
    desk.risk.setTradingState(
      { kind: 'global' },
      'HALTED',
      `${unknown.length} open order(s) at ${venue.id} not in the journal (${policy === 'halt' ? 'policy halt' : `${failed.length} could not be cancelled`})`,
    );
  desk.flush();
}

/** A submit leaves only after the journal (with its order.submitted record) is durable. */
function writeAhead(venue: CcxtVenue, journal: Journal, failClosed: (reason: string) => void): VenuePort {
  return {
    id: venue.id,
    has: venue.has,
    instruments: () => venue.instruments(),
    submitOrder: async (request) => {
      try {
        journal.flush();
      } catch (err) {
        failClosed(`journal flush before a submit failed: ${toConcordError(err).shortMessage}`);
        throw err;
      }
      await venue.submitOrder(request);
    },
    cancelOrder: (id) => venue.cancelOrder(id),
    onOrderEvent: (handler) => venue.onOrderEvent(handler),
    fetchOrder: (id) => venue.fetchOrder(id),
    fetchOpenOrders: () => venue.fetchOpenOrders(),
    fetchBalances: () => venue.fetchBalances(),
    fetchPositions: () => venue.fetchPositions(),
    lifecycle: venue.lifecycle,
  };
}
