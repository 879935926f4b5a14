/** The agent types a desk can run: the built-in library plus any the embedder adds. */

import type { AgentDefinition } from '../agents/contract.ts';
import { createBuiltinRegistry } from '../agents/library/index.ts';
import type { AgentRegistry } from '../agents/registry.ts';

/** The built-in agents plus any given by the embedder. */
export function deskRegistry(extra: readonly AgentDefinition<unknown>[] = []): AgentRegistry {
  const registry = createBuiltinRegistry();
  for (const definition of extra) registry.register(definition);
  return registry;
}
