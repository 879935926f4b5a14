/** Messages between the supervisor's thread and an isolated agent's worker. */
import type { AgentRole, TriggerKind } from './contract.ts';
import type { ContextSnapshot } from './wire.ts';

/** A module whose named export is an AgentDefinition or an array of them (tests, plugins). */
export interface ExtraDefinitionsModule {
  /** A `file:` URL (or any URL `import()` accepts). */
  readonly moduleUrl: string;
  readonly exportName: string;
}

export interface WorkerBoot {
  readonly agentId: string;
  readonly type: string;
  readonly config: unknown;
  /** Seed for the agent's Random (derived deterministically by the supervisor). */
  readonly seed: number;
  /** Encoded instruments (see wire.ts). */
  readonly instruments: unknown;
  /** Learned state to restore, when the agent has one. */
  readonly snapshot?: unknown;
  readonly extraDefinitions?: ExtraDefinitionsModule;
}

export interface AgentMeta {
  readonly role: AgentRole;
  readonly triggers: readonly TriggerKind[];
  readonly instruments?: readonly string[];
  readonly hasLearn: boolean;
}

export type ToWorker =
  | { readonly kind: 'call'; readonly seq: number; readonly context: ContextSnapshot }
  | { readonly kind: 'learn'; readonly seq: number; readonly outcome: unknown }
  | { readonly kind: 'restore'; readonly seq: number; readonly state: unknown };

export type FromWorker =
  | { readonly kind: 'ready'; readonly meta: AgentMeta; readonly snapshot: unknown }
  | { readonly kind: 'boot-failed'; readonly error: string }
  | { readonly kind: 'result'; readonly seq: number; readonly value: unknown }
  /** The agent's answer, and its own validateDecision verdict (run here, where the agent lives). */
  | {
      readonly kind: 'decision';
      readonly seq: number;
      readonly value: unknown;
      readonly verdict?: { ok: boolean; reason?: string };
    }
  | { readonly kind: 'error'; readonly seq: number; readonly error: string };
