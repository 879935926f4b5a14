/**
 * The agent contract. An agent reads a context and proposes a Decision; it never
 * reaches a venue (only the risk gate and the order manager do). Adding an agent
 * is one folder under `library/` plus one registration line in `library/index.ts`.
 */
import type { Random } from '../core/index.ts';
import type { Decision, Instrument, InstrumentId, MarketEvent, Outcome } from '../model/index.ts';

export type TriggerKind =
  | 'price-move'
  | 'spread'
  | 'trade'
  | 'bar'
  | 'funding'
  | 'apy-change'
  | 'liquidation'
  | 'pool'
  | 'timer';

/** Why the desk is thinking now: a market change that passed the trigger filter. */
export interface Trigger {
  readonly id: string;
  readonly kind: TriggerKind;
  readonly instrumentId: InstrumentId;
  readonly ts: number;
  /** Size of the change in the trigger's unit (bp for price moves and spreads). */
  readonly magnitude: number;
  readonly event: MarketEvent;
}

/** Read-only view of one L2 book. Prices and sizes are floats (analytics). */
export interface BookView {
  readonly instrumentId: InstrumentId;
  readonly ts: number;
  bestBid(): number | undefined;
  bestAsk(): number | undefined;
  mid(): number | undefined;
  /** Levels best first: [price, size][]; at most `depth` of them. */
  bids(depth?: number): ReadonlyArray<readonly [number, number]>;
  asks(depth?: number): ReadonlyArray<readonly [number, number]>;
}

export interface MarketView {
  instruments(): readonly Instrument[];
  instrument(id: InstrumentId): Instrument | undefined;
  book(id: InstrumentId): BookView | undefined;
  /** Recent mid prices (oldest first), one per sample of the data engine, at most `n`. */
  midHistory(id: InstrumentId, n: number): readonly number[];
  lastPrice(id: InstrumentId): number | undefined;
}

export interface PortfolioView {
  /** Signed position in base units. */
  position(id: InstrumentId): number;
  /** Mark-to-market equity in the quote currency. */
  equity(): number;
  cash(asset: string): number;
  /** Gross exposure in quote currency. */
  grossExposure(): number;
}

export interface AgentContext {
  readonly ts: number;
  readonly trigger: Trigger;
  readonly market: MarketView;
  readonly portfolio: PortfolioView;
}

export type AgentRole = 'proposer' | 'risk';

export interface ValidationResult {
  readonly ok: boolean;
  readonly reason?: string;
}

export interface Agent {
  readonly id: string;
  /** The registered type name, e.g. `momentum`. */
  readonly type: string;
  /** Proposers suggest trades; risk agents may veto or cap them. */
  readonly role: AgentRole;
  /** Trigger kinds this agent wants to think about. */
  readonly triggers: readonly TriggerKind[];
  /** Optional: only triggers on these instruments (all when absent). */
  readonly instruments?: readonly InstrumentId[];
  process(context: AgentContext): Decision | Promise<Decision>;
  learn?(outcome: Outcome): void;
  /** Agent-specific checks on top of the runtime's schema check. */
  validateDecision?(decision: Decision): ValidationResult;
  /** Serialisable learned state, journaled so it survives restarts. */
  snapshot?(): unknown;
  restore?(state: unknown): void;
}

/** What a factory receives to build an agent. */
export interface AgentDeps {
  readonly random: Random;
  readonly instruments: readonly Instrument[];
}

/** How a supervised call to `process()` ended. Anything but `ok` is a failure the supervisor handles. */
export type AgentCallStatus = 'ok' | 'timeout' | 'error' | 'invalid' | 'skipped';

export interface AgentCallResult {
  readonly agentId: string;
  readonly status: AgentCallStatus;
  /** Present when status is `ok`. */
  readonly decision?: Decision;
  /** Why the call failed or was skipped (quarantined, backing off, stopped). */
  readonly error?: string;
}

/** The orchestrator's view of the supervisor: call one agent under a deadline. */
export interface AgentCaller {
  call(agentId: string, context: AgentContext, options: AgentCallOptions): Promise<AgentCallResult>;
}

export interface AgentCallOptions {
  /** Real-time budget for this call in ms. */
  readonly deadlineMs: number;
  /**
   * Replay: force the outcome a journaled run saw (e.g. a missed deadline), so a
   * replay reproduces it whatever the machine's speed. `none` disables the deadline.
   */
  readonly forced?: 'timeout' | 'none';
}

/**
 * A registered agent type. `configSchema` validates the agent's config section
 * (errors name the field); `create` builds a fresh instance (also used on restart).
 */
export interface AgentDefinition<C = unknown> {
  readonly type: string;
  readonly description: string;
  readonly role: AgentRole;
  readonly configSchema: import('zod').ZodType<C>;
  create(id: string, config: C, deps: AgentDeps): Agent;
}
