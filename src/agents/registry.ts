/**
 * Agent types by name. A definition says how to validate an agent's config
 * section and how to build an instance; the supervisor also uses `create` to
 * rebuild an agent after a failure.
 */
import { ConcordError } from '../core/index.ts';
import type { Agent, AgentDefinition, AgentDeps } from './contract.ts';

export class AgentRegistry {
  private readonly definitions = new Map<string, AgentDefinition<unknown>>();

  // biome-ignore lint/suspicious/noExplicitAny: a registry holds definitions of any config type.
  constructor(definitions: readonly AgentDefinition<any>[] = []) {
    for (const d of definitions) this.register(d);
  }

  // biome-ignore lint/suspicious/noExplicitAny: a registry holds definitions of any config type.
  register(definition: AgentDefinition<any>): this {
    if (this.definitions.has(definition.type)) {
      throw new ConcordError(
        'CONCORD_ERR_AGENT_DUPLICATE_TYPE',
        `agent type "${definition.type}" is already registered; give the new definition another type name`,
        { details: { type: definition.type } },
      );
    }
    this.definitions.set(definition.type, definition as AgentDefinition<unknown>);
    return this;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  get(type: string): AgentDefinition<unknown> {
    const definition = this.definitions.get(type);
    if (definition === undefined) {
      const known = this.types();
      throw new ConcordError(
        'CONCORD_ERR_AGENT_UNKNOWN_TYPE',
        `unknown agent type "${type}"; known types: ${known.length > 0 ? known.join(', ') : '(none registered)'}`,
        { details: { type, known } },
      );
    }
    return definition;
  }

  list(): readonly AgentDefinition<unknown>[] {
    return [...this.definitions.values()];
  }

  types(): string[] {
    return [...this.definitions.keys()].sort();
  }

  /** Validates `rawConfig` with the type's schema, then builds the agent. */
  create(type: string, id: string, rawConfig: unknown, deps: AgentDeps): Agent {
    const definition = this.get(type);
    const config = parseAgentConfig(definition, id, rawConfig);
    return definition.create(id, config, deps);
  }
}

/** Config check with an error that names the field, e.g. `agents.mom-1.lookback`. */
export function parseAgentConfig<C>(definition: AgentDefinition<C>, id: string, rawConfig: unknown): C {
  const parsed = definition.configSchema.safeParse(rawConfig ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({
    path: ['agents', id, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = issues[0] ?? { path: `agents.${id}`, message: 'invalid' };
  throw new ConcordError(
    'CONCORD_ERR_AGENT_CONFIG',
    `agent "${id}" (type ${definition.type}): config field ${first.path}: ${first.message}`,
    { details: { agentId: id, type: definition.type, path: first.path, issues } },
  );
}
