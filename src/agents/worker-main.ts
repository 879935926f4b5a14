/**
 * Runs inside an isolated agent's worker thread: builds the agent from the
 * builtin registry (plus an optional extra definitions module), then answers one
 * message at a time. A busy loop here blocks only this thread; the supervisor
 * terminates it at the deadline.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Random } from '../core/index.ts';
import type { Instrument } from '../model/index.ts';
import type { Agent, AgentDefinition } from './contract.ts';
import { createBuiltinRegistry } from './library/index.ts';
import type { AgentRegistry } from './registry.ts';
import { type ContextSnapshot, encodeWire, reviveContext, reviveInstruments } from './wire.ts';
import type { FromWorker, ToWorker, WorkerBoot } from './worker-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('worker-main.ts must run in a worker thread');

function post(message: FromWorker): void {
  port?.postMessage(message);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function loadRegistry(boot: WorkerBoot): Promise<AgentRegistry> {
  const registry = createBuiltinRegistry();
  if (boot.extraDefinitions !== undefined) {
    const mod = (await import(boot.extraDefinitions.moduleUrl)) as Record<string, unknown>;
    const exported = mod[boot.extraDefinitions.exportName];
    const list = (Array.isArray(exported) ? exported : [exported]) as AgentDefinition<unknown>[];
    for (const definition of list) if (!registry.has(definition.type)) registry.register(definition);
  }
  return registry;
}

/** The agent's own rules, when it has any; a throw is a rejection, not a crash. */
function ownVerdict(agent: Agent, decision: unknown): { ok: boolean; reason?: string } | undefined {
  if (agent.validateDecision === undefined) return undefined;
  try {
    const v = agent.validateDecision(decision as Parameters<NonNullable<Agent['validateDecision']>>[0]);
    return v.reason === undefined ? { ok: v.ok } : { ok: v.ok, reason: v.reason };
  } catch (err) {
    return { ok: false, reason: `agent's validateDecision threw: ${describe(err)}` };
  }
}

async function boot(): Promise<void> {
  const data = workerData as WorkerBoot;
  let agent: Agent;
  let instruments: Instrument[];
  try {
    instruments = reviveInstruments(data.instruments);
    const registry = await loadRegistry(data);
    agent = registry.create(data.type, data.agentId, data.config, {
      random: new Random(data.seed),
      instruments,
    });
    if (data.snapshot !== undefined) agent.restore?.(data.snapshot);
  } catch (err) {
    post({ kind: 'boot-failed', error: describe(err) });
    return;
  }

  port?.on('message', async (message: ToWorker) => {
    try {
      switch (message.kind) {
        case 'call': {
          const snapshot: ContextSnapshot = message.context;
          if (snapshot.instruments !== undefined) instruments = reviveInstruments(snapshot.instruments);
          const decision = await agent.process(reviveContext(snapshot, instruments));
          post({
            kind: 'decision',
            seq: message.seq,
            value: encodeWire(decision),
            verdict: ownVerdict(agent, decision),
          });
          break;
        }
        case 'learn':
          agent.learn?.(message.outcome as Parameters<NonNullable<Agent['learn']>>[0]);
          post({ kind: 'result', seq: message.seq, value: agent.snapshot?.() });
          break;
        case 'restore':
          agent.restore?.(message.state);
          post({ kind: 'result', seq: message.seq, value: agent.snapshot?.() });
          break;
      }
    } catch (err) {
      post({ kind: 'error', seq: message.seq, error: describe(err) });
    }
  });

  post({
    kind: 'ready',
    meta: {
      role: agent.role,
      triggers: [...agent.triggers],
      ...(agent.instruments === undefined ? {} : { instruments: [...agent.instruments] }),
      hasLearn: agent.learn !== undefined,
    },
    snapshot: agent.snapshot?.(),
  });
}

void boot();
