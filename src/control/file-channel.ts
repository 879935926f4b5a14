/**
 * The operator's emergency channel to a RUNNING desk in another process: plain files in the
 * journal directory, so it needs no server, works over ssh and survives a busy event loop.
 *
 *   <journal>/control/<seq>-halt.json      a pending request (written to a dot-tmp file, then linked
 *   <journal>/control/<seq>-resume.json    into place: a reader never sees half a request)
 *   <journal>/control/done/<name>          picked up by the desk (renamed there by `poll`)
 *   <journal>/control/done/<stem>.result.json   what the desk did (`complete`)
 *   <journal>/control/rejected/<name>      unreadable or invalid, with <name>.error.json beside it
 *
 * Requests are taken in seq order. A request is picked up at most once: the rename to done/
 * is the claim, and only one rename of a file can succeed.
 */
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type Clock, ConcordError, LiveClock, monotonicMs } from '../core/index.ts';

export const CONTROL_DIR = 'control';
export const DONE_DIR = 'done';
export const REJECTED_DIR = 'rejected';

const REQUEST_NAME = /^(\d{1,15})-(halt|resume)\.json$/;
const SEQ_WIDTH = 8;

const text = (max: number) => z.string().trim().min(1).max(max);

export const haltRequestSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('halt'),
    id: text(64),
    requestedAt: z.number().finite().nonnegative(),
    reason: text(500),
    flatten: z.boolean(),
    operator: text(100).optional(),
  })
  .strict();

export const resumeRequestSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('resume'),
    id: text(64),
    requestedAt: z.number().finite().nonnegative(),
    operator: text(100),
    reason: text(500),
  })
  .strict();

export const controlRequestSchema = z.discriminatedUnion('kind', [haltRequestSchema, resumeRequestSchema]);

export type HaltRequest = z.infer<typeof haltRequestSchema>;
export type ResumeRequest = z.infer<typeof resumeRequestSchema>;
export type ControlRequest = z.infer<typeof controlRequestSchema>;

/** What the desk did with a request, written beside it in done/. */
export const controlOutcomeSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['halt', 'resume']),
    ok: z.boolean(),
    completedAt: z.number(),
    /** The desk's global trading state afterwards (when it knows). */
    tradingState: z.string().optional(),
    message: z.string(),
  })
  .strict();
export type ControlOutcome = z.infer<typeof controlOutcomeSchema>;

export interface RejectedControlFile {
  readonly file: string;
  readonly code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID';
  readonly message: string;
}

export interface HaltOptions {
  readonly reason?: string;
  readonly flatten?: boolean;
  readonly operator?: string;
  /** Time source for `requestedAt` (default the wall clock). */
  readonly clock?: Clock;
}

export interface ResumeOptions {
  readonly operator: string;
  readonly reason?: string;
  readonly clock?: Clock;
}

/** Where a written request lives, for whoever waits on it. */
export interface RequestTicket {
  readonly request: ControlRequest;
  readonly file: string;
  readonly pendingPath: string;
  readonly donePath: string;
  readonly resultPath: string;
  readonly rejectedPath: string;
}

export function controlPaths(journalDir: string): { control: string; done: string; rejected: string } {
  const control = join(journalDir, CONTROL_DIR);
  return { control, done: join(control, DONE_DIR), rejected: join(control, REJECTED_DIR) };
}

/** Writes a halt request for the desk journaling into `journalDir`. */
export function requestHalt(journalDir: string, options: HaltOptions = {}): RequestTicket {
  const clock = options.clock ?? new LiveClock();
  return writeRequest(journalDir, 'halt', (id) => ({
    version: 1,
    kind: 'halt',
    id,
    requestedAt: clock.now(),
    reason: options.reason ?? 'operator halt',
    flatten: options.flatten === true,
    ...(options.operator === undefined ? {} : { operator: options.operator }),
  }));
}

/** Writes a resume request; resuming always names the operator who decided it. */
export function requestResume(journalDir: string, options: ResumeOptions): RequestTicket {
  const clock = options.clock ?? new LiveClock();
  return writeRequest(journalDir, 'resume', (id) => ({
    version: 1,
    kind: 'resume',
    id,
    requestedAt: clock.now(),
    operator: options.operator,
    reason: options.reason ?? 'operator resume',
  }));
}

function writeRequest(
  journalDir: string,
  kind: ControlRequest['kind'],
  build: (id: string) => unknown,
): RequestTicket {
  const paths = controlPaths(journalDir);
  // Validate what we are about to write: a bad request must fail here, not in the desk.
  const probe = controlRequestSchema.safeParse(build('0'));
  if (!probe.success) throw invalidRequest('the request', probe.error);
  try {
    mkdirSync(paths.done, { recursive: true });
    mkdirSync(paths.rejected, { recursive: true });
  } catch (cause) {
    throw writeError(journalDir, cause);
  }
  const tmp = join(paths.control, `.tmp-${process.pid}-${kind}.json`);
  // Another writer may take the same seq between our scan and our link: then try the next one.
  for (let attempt = 0; attempt < 100; attempt++) {
    const seq = nextSeq(paths) + attempt;
    const file = `${String(seq).padStart(SEQ_WIDTH, '0')}-${kind}.json`;
    const id = file.slice(0, -'.json'.length);
    const request = controlRequestSchema.parse(build(id));
    const pendingPath = join(paths.control, file);
    try {
      writeFileSync(tmp, `${JSON.stringify(request)}\n`, { flag: 'w' });
      // link() fails if the name exists, unlike rename(): the request appears whole, and only once.
      linkSync(tmp, pendingPath);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw writeError(journalDir, cause);
    } finally {
      tryUnlink(tmp);
    }
    return {
      request,
      file,
      pendingPath,
      donePath: join(paths.done, file),
      resultPath: join(paths.done, `${id}.result.json`),
      rejectedPath: join(paths.rejected, file),
    };
  }
  throw new ConcordError(
    'CONCORD_ERR_CONTROL_WRITE',
    `could not find a free request number in ${paths.control}; remove stale files there`,
    {
      details: { dir: paths.control },
    },
  );
}

/** One past the highest seq used in control/, done/ or rejected/ (seqs are never reused). */
function nextSeq(paths: { control: string; done: string; rejected: string }): number {
  let max = 0;
  for (const dir of [paths.control, paths.done, paths.rejected]) {
    for (const name of listNames(dir)) {
      const m = /^(\d{1,15})-/.exec(name);
      if (m !== null) max = Math.max(max, Number(m[1]));
    }
  }
  return max + 1;
}

export interface ControlChannelOptions {
  /** Called for every file moved to rejected/ (the desk journals or shows it). */
  readonly onRejected?: (rejected: RejectedControlFile) => void;
  /** `pollIfDue` reads the directory at most this often, in real ms (default 200). */
  readonly intervalMs?: number;
  /**
   * Requests written longer ago than this (wall clock) are rejected as stale (default 10 min):
   * a resume left behind by a killed `concord resume` must not un-halt a desk started later.
   */
  readonly maxAgeMs?: number;
  /** Wall-clock source for ages and outcomes (default a LiveClock; never the desk's simulated one). */
  readonly clock?: Clock;
}

export interface ControlHandlers {
  halt(request: HaltRequest): Promise<unknown> | unknown;
  resume(request: ResumeRequest): Promise<unknown> | unknown;
  /** The desk's global trading state, reported in each outcome. */
  tradingState?(): string;
}

/** The desk's side of the channel. Not thread-safe across desks: one desk per journal directory. */
export class ControlChannel {
  readonly dir: string;
  private readonly paths: { control: string; done: string; rejected: string };
  private readonly onRejected: ((rejected: RejectedControlFile) => void) | undefined;
  private readonly intervalMs: number;
  private readonly maxAgeMs: number;
  private readonly clock: Clock;
  private lastPollMs = Number.NEGATIVE_INFINITY;

  constructor(journalDir: string, options: ControlChannelOptions = {}) {
    this.dir = journalDir;
    this.paths = controlPaths(journalDir);
    this.onRejected = options.onRejected;
    this.intervalMs = options.intervalMs ?? 200;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.clock = options.clock ?? new LiveClock();
    try {
      mkdirSync(this.paths.done, { recursive: true });
      mkdirSync(this.paths.rejected, { recursive: true });
    } catch (cause) {
      throw writeError(journalDir, cause);
    }
  }

  /**
   * Pending requests in seq order, each claimed (moved to done/) before it is returned.
   * Bad files go to rejected/ with an .error.json beside them; this never throws for them.
   */
  poll(): ControlRequest[] {
    this.lastPollMs = monotonicMs();
    const names = listNames(this.paths.control).filter((n) => !n.startsWith('.') && n.endsWith('.json'));
    if (names.length === 0) return [];
    const pending: Array<{ seq: number; name: string }> = [];
    for (const name of names) {
      const m = REQUEST_NAME.exec(name);
      if (m === null)
        this.reject(name, `"${name}" is not a request file name (<seq>-halt.json or <seq>-resume.json)`);
      else pending.push({ seq: Number(m[1]), name });
    }
    pending.sort((a, b) => a.seq - b.seq || (a.name < b.name ? -1 : 1));
    const requests: ControlRequest[] = [];
    for (const { name } of pending) {
      const request = this.read(name);
      if (request === undefined) continue;
      try {
        renameSync(join(this.paths.control, name), join(this.paths.done, name));
      } catch {
        // Withdrawn by its writer (or claimed elsewhere) between our read and the rename.
        continue;
      }
      requests.push(request);
    }
    return requests;
  }

  /** `poll()` at most once per `intervalMs` of real time; cheap enough to call on every event. */
  pollIfDue(): ControlRequest[] {
    return monotonicMs() - this.lastPollMs >= this.intervalMs ? this.poll() : [];
  }

  /** Records what the desk did with a claimed request, for the waiting operator. Never throws. */
  complete(
    request: ControlRequest,
    outcome: { ok: boolean; message: string; tradingState?: string },
  ): ControlOutcome {
    const result: ControlOutcome = {
      id: request.id,
      kind: request.kind,
      ok: outcome.ok,
      completedAt: this.clock.now(),
      message: outcome.message,
      ...(outcome.tradingState === undefined ? {} : { tradingState: outcome.tradingState }),
    };
    try {
      writeAtomic(join(this.paths.done, `${request.id}.result.json`), result);
    } catch {
      // The action is done; an operator who cannot be told still finds it in the journal.
    }
    return result;
  }

  /**
   * Polls (if due, or now with `force`) and carries every request out through the handlers,
   * one after another, writing each outcome. A handler that throws gives a failed outcome.
   */
  async handle(handlers: ControlHandlers, force = false): Promise<ControlOutcome[]> {
    const requests = force ? this.poll() : this.pollIfDue();
    const outcomes: ControlOutcome[] = [];
    for (const request of requests) {
      let ok = true;
      let message: string;
      try {
        if (request.kind === 'halt') await handlers.halt(request);
        else await handlers.resume(request);
        message =
          request.kind === 'halt'
            ? `halted${request.flatten ? ' and flattening' : ''}: ${request.reason}`
            : `resumed by ${request.operator}: ${request.reason}`;
      } catch (err) {
        ok = false;
        message =
          err instanceof ConcordError
            ? `${err.code}: ${err.shortMessage}`
            : String(err instanceof Error ? err.message : err);
      }
      const state = handlers.tradingState?.();
      outcomes.push(
        this.complete(request, { ok, message, ...(state === undefined ? {} : { tradingState: state }) }),
      );
    }
    return outcomes;
  }

  private read(name: string): ControlRequest | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(this.paths.control, name), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.reject(name, `"${name}" is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    const parsed = controlRequestSchema.safeParse(raw);
    if (!parsed.success) {
      this.reject(name, invalidRequest(`"${name}"`, parsed.error).shortMessage);
      return undefined;
    }
    const age = this.clock.now() - parsed.data.requestedAt;
    if (age > this.maxAgeMs) {
      this.reject(
        name,
        `"${name}" is stale: written ${Math.round(age / 1000)} s ago, more than ${Math.round(this.maxAgeMs / 1000)} s; send it again if it still applies`,
      );
      return undefined;
    }
    const m = REQUEST_NAME.exec(name);
    if (m !== null && m[2] !== parsed.data.kind) {
      this.reject(name, `"${name}" says kind "${parsed.data.kind}" but its name says "${m[2]}"`);
      return undefined;
    }
    return parsed.data;
  }

  private reject(name: string, message: string): void {
    try {
      renameSync(join(this.paths.control, name), join(this.paths.rejected, name));
      writeAtomic(join(this.paths.rejected, `${name}.error.json`), {
        code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID',
        message,
      });
    } catch {
      // Gone already, or the directory is read-only: report it anyway, never crash the desk.
    }
    this.onRejected?.({ file: name, code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID', message });
  }
}

export type TicketState =
  | { readonly state: 'pending' }
  | { readonly state: 'picked-up'; readonly outcome: ControlOutcome | undefined }
  | { readonly state: 'rejected'; readonly message: string }
  | { readonly state: 'missing' };

/** Where a written request stands now (what the waiting CLI reads). */
export function ticketState(ticket: RequestTicket): TicketState {
  if (exists(ticket.donePath)) {
    const outcome = readJson(ticket.resultPath);
    const parsed = outcome === undefined ? undefined : controlOutcomeSchema.safeParse(outcome);
    return { state: 'picked-up', outcome: parsed?.success ? parsed.data : undefined };
  }
  if (exists(ticket.rejectedPath)) {
    const error = readJson(`${ticket.rejectedPath}.error.json`) as { message?: unknown } | undefined;
    return {
      state: 'rejected',
      message: typeof error?.message === 'string' ? error.message : 'rejected by the desk',
    };
  }
  return exists(ticket.pendingPath) ? { state: 'pending' } : { state: 'missing' };
}

/**
 * Takes back a request nobody picked up, so a desk started later does not act on a stale
 * command. Returns false when the desk claimed it meanwhile (then it will be carried out).
 */
export function withdrawRequest(ticket: RequestTicket): boolean {
  try {
    unlinkSync(ticket.pendingPath);
    return true;
  } catch {
    return false;
  }
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function exists(path: string): boolean {
  return existsSync(path);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

let tmpCounter = 0;

function writeAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`);
  renameSync(tmp, path);
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to clean.
  }
}

function invalidRequest(what: string, error: z.ZodError): ConcordError {
  const issue = error.issues[0];
  const path = issue?.path.join('.') ?? '';
  return new ConcordError(
    'CONCORD_ERR_CONTROL_REQUEST_INVALID',
    `${what} is not a valid control request: field "${path || '(root)'}" ${issue?.message ?? 'is invalid'}`,
    { details: { path, issue: issue?.message ?? '' } },
  );
}

function writeError(dir: string, cause: unknown): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_CONTROL_WRITE',
    `cannot write to the control directory of ${dir}: ${cause instanceof Error ? cause.message : String(cause)}; check the journal directory exists and is writable`,
    { details: { dir }, cause },
  );
}
