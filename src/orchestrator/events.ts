/** Payload types of the catalogue events the orchestrator produces, bound to their keys in src/bus/catalogue.ts. */
import type { ConsolidationResult } from './consolidate.ts';

declare module '../bus/catalogue.ts' {
  interface EventPayloads {
    consensus: ConsolidationResult & { readonly triggerId: string };
  }
}
