/**
 * The built-in agents. Adding one is a folder under library/ plus one import and
 * one entry below (see example/README.md).
 */
import type { AgentDefinition } from '../contract.ts';
import { AgentRegistry } from '../registry.ts';
import { arbitrageAgent } from './arbitrage/index.ts';
import { basisAgent } from './basis/index.ts';
import { cexDexArbitrageAgent } from './cex-dex-arbitrage/index.ts';
import { dexArbitrageAgent } from './dex-arbitrage/agent.ts';
import { spreadWatcher } from './example/index.ts';
import { meanReversionAgent } from './mean-reversion/index.ts';
import { momentumAgent } from './momentum/index.ts';
import { regimeAgent } from './regime/index.ts';
import { riskAssessorAgent } from './risk-assessor/index.ts';
import { smaCrossAgent } from './sma-cross/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: each definition has its own config type.
export const builtinAgents: readonly AgentDefinition<any>[] = [
  spreadWatcher,
  regimeAgent,
  arbitrageAgent,
  momentumAgent,
  meanReversionAgent,
  riskAssessorAgent,
  smaCrossAgent,
  basisAgent,
  dexArbitrageAgent,
  cexDexArbitrageAgent,
];

export function createBuiltinRegistry(): AgentRegistry {
  const registry = new AgentRegistry();
  for (const definition of builtinAgents) registry.register(definition);
  return registry;
}
