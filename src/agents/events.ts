/** Payload types of the catalogue events about agents, bound to their keys in src/bus/catalogue.ts. */
import type { EVENTS } from '../bus/catalogue.ts';
import type { Trigger } from './contract.ts';
import type { SupervisorEvent } from './supervisor.ts';

/** The supervisor event of one catalogue entry (its `type` is the entry's name). */
type Supervised<K extends keyof typeof EVENTS> = Extract<
  SupervisorEvent,
  { type: (typeof EVENTS)[K]['name'] }
>;

declare module '../bus/catalogue.ts' {
  interface EventPayloads {
    /** The trigger without the market event that caused it (that event is journaled on its own). */
    trigger: Omit<Trigger, 'event'>;
    agentState: Supervised<'agentState'>;
    agentFailed: Supervised<'agentFailed'>;
    agentRestarting: Supervised<'agentRestarting'>;
    agentRestarted: Supervised<'agentRestarted'>;
    agentQuarantined: Supervised<'agentQuarantined'>;
  }
}
