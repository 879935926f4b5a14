/**
 * The narrow ports the operator API is built against, so it does not depend on how a session
 * runner is wired: a read-only view of the desk, a source of journal readers, and a sink for
 * operator commands. A live runner hands in views over its desk; `journalDeskView` serves a
 * journal alone (a finished run, or tests).
 */
import type { JournalReader } from '../journal/index.ts';
import type { AgentTiming, DeskStatus } from '../kernel/index.ts';

/** A circuit breaker as an operator sees it. */
export interface BreakerView {
  readonly breaker: string;
  readonly scope: string;
  readonly state: string;
  readonly reason: string;
  readonly trips: number;
}

/** One limit and how much of it is used (`used / limit`, 0 when the limit is not set). */
export interface LimitUse {
  readonly name: string;
  readonly used: number;
  readonly limit: number | null;
  readonly fraction: number | null;
}

export interface RiskView {
  readonly tradingState: string;
  readonly halted: boolean;
  readonly equity: number;
  readonly peakEquity: number;
  readonly drawdown: number;
  readonly dailyPnl: number;
  readonly grossExposure: number;
  readonly netExposure: number;
  /**
   * Value at risk of the current book at 95 % over one sample interval of the risk engine's
   * return window (`var.horizonMs`), by the VaR rule's method(s); null when not computed.
   */
  readonly valueAtRisk: number | null;
  /** How `valueAtRisk` was computed, both methods' figures; null when the desk has no risk engine. */
  readonly var: VarView | null;
  readonly limits: readonly LimitUse[];
  readonly breakers: readonly BreakerView[];
}

export interface VarView {
  readonly historical: number | null;
  readonly parametric: number | null;
  readonly method: string;
  readonly confidence: number;
  readonly horizonMs: number;
  readonly samples: number;
  readonly windowSamples: number;
  readonly limit: number | null;
}

/** An agent's configuration (its strategy) as given to the desk. */
export interface StrategyView {
  readonly id: string;
  readonly type: string;
  readonly config: unknown;
}

/** What the API reads of a desk. Every call is cheap and never blocks the desk. */
export interface DeskView {
  status(): DeskStatus;
  risk(): RiskView;
  strategies(): readonly StrategyView[];
  /** Denied orders by denial code, since the desk started. */
  denials(): Readonly<Record<string, number>>;
  /** Each agent's decision times since the desk started (the kernel's `AgentTimings`), when measured. */
  agentTimings?(): readonly AgentTiming[];
  /**
   * Changes whenever the desk's figures may have (a step, a command, an order, a fill): answers
   * built from the desk can be reused while it stays the same. Absent: nothing is reused.
   */
  version?(): string;
  /** Accepted intents handed to the order manager since the desk was built (not journaled). */
  intents?(): number;
  /** Messages queued on the desk's bus (published from inside a handler, not yet delivered). */
  busQueueDepth?(): number;
}

/** Gives a reader over the journal for the length of one call. */
export interface JournalSource {
  readonly dir: string;
  withReader<T>(fn: (reader: JournalReader) => T): T;
  /** Records appended but not yet durable (journal lag); 0 when unknown. */
  pending?(): number;
  /** Releases what the source holds open; the server calls it when it closes. */
  close?(): void;
}

export interface Operator {
  /** The API key's id. */
  readonly keyId: string;
  readonly name: string;
  readonly role: Role;
}

export type Role = 'viewer' | 'operator' | 'admin';

export type OperatorCommand =
  | { readonly kind: 'halt'; readonly reason: string; readonly flatten: boolean; readonly operator: Operator }
  | { readonly kind: 'resume'; readonly reason: string; readonly operator: Operator }
  | {
      readonly kind: 'simulation';
      readonly enabled: boolean;
      readonly reason: string;
      readonly operator: Operator;
    }
  | {
      readonly kind: 'agent';
      readonly agentId: string;
      readonly action: AgentAction;
      readonly reason: string;
      readonly operator: Operator;
    };

/** What an operator may do to one agent (`POST /api/agents/:id/<action>`). */
export type AgentAction = 'start' | 'stop' | 'quarantine';

/**
 * Where operator commands go (the desk's command port). It journals each command with the
 * operator's identity; a refusal is a ConcordError, answered 409 with its code.
 */
export interface CommandSink {
  submit(command: OperatorCommand): Promise<void> | void;
}
