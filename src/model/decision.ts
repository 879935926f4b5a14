/**
 * The agent contract's data: a Decision, and the Outcome an agent learns from.
 */
import type { Intent } from './intent.ts';

export interface Decision {
  readonly intents: readonly Intent[];
  /** 0..1. */
  readonly confidence: number;
  readonly reasoning: string;
  /** Expected return as a fraction of notional (0.001 = 10 bp); may be negative. */
  readonly expectedReturn: number;
}

/** A decision as recorded: who made it, when, in answer to what. */
export interface DecisionRecord extends Decision {
  readonly decisionId: string;
  readonly agentId: string;
  readonly ts: number;
  readonly triggerId: string;
}

/** What became of a decision, fed back to `learn()` and to trust. */
export interface Outcome {
  readonly decisionId: string;
  readonly agentId: string;
  readonly ts: number;
  /** Realised return as a fraction of notional over the evaluation horizon. */
  readonly realizedReturn: number;
  /** Whether the decision's direction proved right. */
  readonly correct: boolean;
  readonly pnl: number;
}

export const NO_ACTION: Decision = Object.freeze({
  intents: [],
  confidence: 0,
  reasoning: 'no action',
  expectedReturn: 0,
});

/** A decision with nothing to propose; the reasoning says why (journaled only when it matters). */
export function noAction(reasoning: string): Decision {
  return { intents: [], confidence: 0, expectedReturn: 0, reasoning };
}
