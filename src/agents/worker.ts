/**
 * An agent that runs in its own worker thread (`isolated: true`). The host side
 * below implements the Agent interface, so the supervisor calls it like any
 * other agent; `terminate()` is how a deadline stops even a synchronous busy
 * loop. The worker builds the agent by type + config from the builtin registry
 * (plus `extraDefinitions`, for tests and plugins).
 */
import { Worker } from 'node:worker_threads';
import { ConcordError, LiveClock } from '../core/index.ts';
import type { Decision, Instrument, Outcome } from '../model/index.ts';
import type { Agent, AgentContext, AgentRole, TriggerKind, ValidationResult } from './contract.ts';
import { captureContext, decodeWire, encodeWire } from './wire.ts';
import type {
  AgentMeta,
  ExtraDefinitionsModule,
  FromWorker,
  ToWorker,
  WorkerBoot,
} from './worker-protocol.ts';

export type { ExtraDefinitionsModule } from './worker-protocol.ts';

// Compiled (dist/agents/worker.js), the thread runs the compiled worker-main.js as it is; from the
// TypeScript sources it starts in worker-entry.mjs, which registers the tsx loader first.
export const WORKER_ENTRY_URL = import.meta.url.endsWith('.ts')
  ? new URL('./worker-entry.mjs', import.meta.url)
  : new URL('./worker-main.js', import.meta.url);

export interface IsolatedAgentOptions {
  readonly id: string;
  readonly type: string;
  readonly config: unknown;
  readonly seed: number;
  readonly instruments: readonly Instrument[];
  readonly snapshot?: unknown;
  readonly extraDefinitions?: ExtraDefinitionsModule;
  /** Real-time limit for the worker to load and build the agent. */
  readonly bootTimeoutMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** Starts a worker and resolves once the agent inside it is built. */
export async function startIsolatedAgent(options: IsolatedAgentOptions): Promise<IsolatedAgent> {
  const boot: WorkerBoot = {
    agentId: options.id,
    type: options.type,
    config: options.config,
    seed: options.seed,
    instruments: encodeWire(options.instruments),
    ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot }),
    ...(options.extraDefinitions === undefined ? {} : { extraDefinitions: options.extraDefinitions }),
  };
  const worker = new Worker(WORKER_ENTRY_URL, { workerData: boot });
  const ready = await new Promise<{ meta: AgentMeta; snapshot: unknown }>((resolve, reject) => {
    // Only our own listeners are removed: Worker keeps internal ones (removeAllListeners breaks messaging).
    const cleanup = () => {
      timer.cancel();
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const fail = (reason: string) => {
      cleanup();
      void worker.terminate();
      reject(
        new ConcordError(
          'CONCORD_ERR_AGENT_WORKER',
          `isolated agent ${options.id} (type ${options.type}) failed to start: ${reason}`,
          { details: { agentId: options.id, type: options.type, reason } },
        ),
      );
    };
    const onMessage = (m: FromWorker) => {
      if (m.kind !== 'ready')
        return fail(m.kind === 'boot-failed' ? m.error : `unexpected first message ${m.kind}`);
      cleanup();
      resolve({ meta: m.meta, snapshot: m.snapshot });
    };
    const onError = (err: Error) => fail(err.message);
    const onExit = (code: number) => fail(`worker exited with code ${code}`);
    const timer = setBootTimer(options.bootTimeoutMs ?? 30_000, () =>
      fail('no ready message before the boot timeout'),
    );
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  return new IsolatedAgent(options, worker, ready.meta, ready.snapshot);
}

export class IsolatedAgent implements Agent {
  readonly id: string;
  readonly type: string;
  readonly role: AgentRole;
  readonly triggers: readonly TriggerKind[];
  readonly instruments?: readonly string[];
  readonly hasLearn: boolean;
  private readonly pending = new Map<number, Pending>();
  private readonly verdicts = new WeakMap<object, ValidationResult>();
  private nextSeq = 1;
  private lastSnapshot: unknown;
  private lastInstrumentsSent: readonly Instrument[];
  private deadReason: string | undefined;

  constructor(
    options: IsolatedAgentOptions,
    private readonly worker: Worker,
    meta: AgentMeta,
    snapshot: unknown,
  ) {
    this.id = options.id;
    this.type = options.type;
    this.role = meta.role;
    this.triggers = meta.triggers;
    if (meta.instruments !== undefined) this.instruments = meta.instruments;
    this.hasLearn = meta.hasLearn;
    this.lastSnapshot = snapshot;
    this.lastInstrumentsSent = options.instruments;
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.die(`worker error: ${err.message}`));
    worker.on('exit', (code) => this.die(`worker exited with code ${code}`));
  }

  get alive(): boolean {
    return this.deadReason === undefined;
  }

  process(context: AgentContext): Promise<Decision> {
    const all = context.market.instruments();
    const stale = all !== this.lastInstrumentsSent;
    this.lastInstrumentsSent = all;
    const snapshot = captureContext(context, this.instruments, stale ? all : undefined);
    return this.request({ kind: 'call', seq: this.nextSeq++, context: snapshot }) as Promise<Decision>;
  }

  /** Answers with the verdict the worker computed next to the agent (see worker-main.ts). */
  validateDecision(decision: Decision): ValidationResult {
    return this.verdicts.get(decision) ?? { ok: true };
  }

  /** Sends the outcome to the worker; resolves with the agent's snapshot afterwards. */
  async learnAndSnapshot(outcome: Outcome): Promise<unknown> {
    this.lastSnapshot = await this.request({ kind: 'learn', seq: this.nextSeq++, outcome });
    return this.lastSnapshot;
  }

  async restoreState(state: unknown): Promise<void> {
    this.lastSnapshot = await this.request({ kind: 'restore', seq: this.nextSeq++, state });
  }

  /** The agent's state as of its last learn/restore (the worker is asked only then). */
  snapshot(): unknown {
    return this.lastSnapshot;
  }

  /** Stops the thread at once, even inside a busy loop. Pending calls reject. */
  async terminate(): Promise<void> {
    this.die('terminated by the supervisor');
    await this.worker.terminate();
  }

  private request(message: ToWorker): Promise<unknown> {
    if (this.deadReason !== undefined) return Promise.reject(this.deadError(this.deadReason));
    return new Promise((resolve, reject) => {
      this.pending.set(message.seq, { resolve, reject });
      try {
        this.worker.postMessage(message);
      } catch (err) {
        this.pending.delete(message.seq);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.kind !== 'result' && m.kind !== 'decision' && m.kind !== 'error') return;
    const p = this.pending.get(m.seq);
    if (p === undefined) return;
    this.pending.delete(m.seq);
    if (m.kind === 'error') {
      p.reject(new Error(m.error));
    } else if (m.kind === 'decision') {
      const decision = decodeWire(m.value);
      if (m.verdict !== undefined && typeof decision === 'object' && decision !== null) {
        this.verdicts.set(decision, m.verdict);
      }
      p.resolve(decision);
    } else {
      p.resolve(m.value);
    }
  }

  private die(reason: string): void {
    if (this.deadReason !== undefined) return;
    this.deadReason = reason;
    const err = this.deadError(reason);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private deadError(reason: string): ConcordError {
    return new ConcordError(
      'CONCORD_ERR_AGENT_WORKER',
      `isolated agent ${this.id} is not running: ${reason}`,
      {
        details: { agentId: this.id, reason },
      },
    );
  }
}

/** The boot timeout is real time (loading TypeScript in a fresh thread), via core's LiveClock. */
function setBootTimer(ms: number, fn: () => void): { cancel(): void } {
  const clock = liveClock();
  const handle = clock.setTimeout(fn, ms);
  return { cancel: () => clock.clearTimer(handle) };
}

let sharedLiveClock: LiveClock | undefined;
function liveClock(): LiveClock {
  sharedLiveClock ??= new LiveClock();
  return sharedLiveClock;
}
