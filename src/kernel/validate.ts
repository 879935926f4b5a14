/**
 * Whole-config validation before anything starts: the desk schema, then every
 * component section with its own schema (risk limits, orchestrator, each agent's
 * config). The first problem is reported as CONCORD_ERR_CONFIG_INVALID naming the
 * field path as it appears in the config file, e.g. `agents.2.config.lookback`.
 */
import type { AgentDefinition } from '../agents/contract.ts';
import { parseAgentConfig } from '../agents/registry.ts';
import { ConcordError, isConcordError } from '../core/index.ts';
import { parseOrchestratorConfig } from '../orchestrator/index.ts';
import { deskRegistry } from './agent-registry.ts';
import { type DeskConfig, rerootConfigError } from './config.ts';
import { resolveSafety } from './resolve-safety.ts';
import { parseShadowConfig, type ShadowConfig, shadowDeskConfig } from './shadow-config.ts';

export function validateDeskConfig(
  config: DeskConfig,
  source = 'config',
  extraAgents: readonly AgentDefinition<unknown>[] = [],
): void {
  try {
    resolveSafety(config);
  } catch (err) {
    throw rerootIfBare(err, config.safety === undefined ? 'risk' : 'safety');
  }
  parseOrchestratorConfig(config.orchestrator, 'orchestrator');
  validateShadowConfig(config, parseShadowConfig(config.shadow, source), source, extraAgents);
  const registry = deskRegistry(extraAgents);
  config.agents.forEach((spec, index) => {
    if (!registry.has(spec.type)) {
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        `${source}: field "agents.${index}.type" is invalid: unknown agent type "${spec.type}"; known types: ${registry.types().join(', ')}`,
        {
          details: { path: `agents.${index}.type`, expected: registry.types(), received: spec.type, source },
        },
      );
    }
    try {
      parseAgentConfig(registry.get(spec.type), spec.id, spec.config);
    } catch (err) {
      if (!isConcordError(err, 'CONCORD_ERR_AGENT_CONFIG')) throw err;
      const inner = String(err.details.path ?? '')
        .split('.')
        .slice(2)
        .join('.');
      const path = `agents.${index}.config${inner === '' ? '' : `.${inner}`}`;
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        `${source}: field "${path}" (agent "${spec.id}") is invalid: ${err.shortMessage}`,
        {
          details: { path, agentId: spec.id, source },
          cause: err,
        },
      );
    }
  });
}

/** Component parsers may or may not prefix their section; make sure the path starts with it once. */
function rerootIfBare(err: unknown, prefix: string): unknown {
  if (!isConcordError(err, 'CONCORD_ERR_CONFIG_INVALID')) return err;
  const path = typeof err.details.path === 'string' ? err.details.path : '';
  return path === prefix || path.startsWith(`${prefix}.`) ? err : rerootConfigError(err, prefix);
}

/**
 * Checks each candidate's type and config with the registry, as the live desk's agents
 * are checked; errors name `shadow.candidates.<i>...`.
 */
export function validateShadowConfig(
  live: DeskConfig,
  shadow: ShadowConfig,
  source = 'config',
  agentDefinitions: readonly AgentDefinition<unknown>[] = [],
): void {
  if (shadow.candidates.length === 0) return;
  try {
    validateDeskConfig(shadowDeskConfig(live, shadow.candidates), source, agentDefinitions);
  } catch (err) {
    if (!isConcordError(err, 'CONCORD_ERR_CONFIG_INVALID')) throw err;
    const path = typeof err.details.path === 'string' ? err.details.path : '';
    if (!path.startsWith('agents.')) throw err;
    const rerooted = `shadow.candidates.${path.slice('agents.'.length)}`;
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      err.shortMessage.replace(`"${path}"`, `"${rerooted}"`),
      {
        details: { ...err.details, path: rerooted },
        cause: err,
      },
    );
  }
}
