/**
 * The operator's emergency channel to a RUNNING desk in another process: plain files in the
 * journal directory, so it needs no server, works over ssh and survives a busy event loop.
 *
 *   <journal>/control/<stamp>-<nonce>-halt.json     a pending request (written to a dot-tmp file,
 *   <journal>/control/<stamp>-<nonce>-resume.json   then linked into place: never seen half-written)
 *   <journal>/control/done/<name>                   picked up by the desk (renamed there by `poll`)
 *   <journal>/control/done/<stem>.result.json       what the desk did (`complete`)
 *   <journal>/control/rejected/<name>               anything else, with <name>.error.json beside it
 *
 * A request's name never derives from what is already in the directory: <stamp> is the writer's
 * wall-clock time in microseconds (strictly increasing within one writer), <nonce> 16 random hex
 * digits. Requests are taken in stamp order, compared as digit strings, so no name can overflow
 * anything. A request is picked up at most once: the rename to done/ is the claim.
 *
 * The desk never trusts the directory's contents: every entry that is not a well-formed request
 * (junk names, symlinks, FIFOs, directories, files over MAX_REQUEST_BYTES, other users' files,
 * invalid JSON) is moved to rejected/ without being read whole, and a file is only opened after
 * lstat says it is a regular file, with O_NOFOLLOW | O_NONBLOCK and an fstat check of the same
 * inode, so nothing in the directory can block, crash or mislead the poll.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import {
  type Clock,
  ConcordError,
  hashString,
  LiveClock,
  monotonicMs,
  monotonicNs,
  Random,
} from '../core/index.ts';
import { JOURNAL_FILE } from '../journal/index.ts';
import type { RejectedCommand } from '../kernel/commands.ts';

export const CONTROL_DIR = 'control';
export const DONE_DIR = 'done';
export const REJECTED_DIR = 'rejected';
/** Largest request file the desk reads; what `concord halt` writes stays under 4 KiB. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** A file that is not yet valid JSON is given this long (real time) to be finished by its writer. */
export const HALF_WRITTEN_GRACE_MS = 1000;

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const STAMP_WIDTH = 16;
/** Any digit count is accepted and ordered correctly: a far-future stamp cannot overflow a pattern. */
const REQUEST_NAME = /^(\d{1,40})-([0-9a-f]{16})-(halt|resume)\.json$/;
/** Junk entries moved to rejected/ per poll, so a flooded directory never stalls the desk's loop. */
const MAX_JUNK_PER_POLL = 256;
/** Entries the desk could not move away are remembered (and reported) once, up to this many. */
const MAX_REMEMBERED = 4096;
/** Names longer than this are renamed in rejected/, so `<name>.error.json` still fits NAME_MAX. */
const MAX_KEPT_NAME_BYTES = 200;
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

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

/** A control file moved to rejected/: the command port's rejected input, journaled as `control.rejected`. */
export interface RejectedControlFile extends RejectedCommand {
  readonly file: string;
  readonly code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID';
  readonly message: string;
}

export interface HaltOptions {
  readonly reason?: string;
  readonly flatten?: boolean;
  readonly operator?: string;
  /** Time source for `requestedAt` and the request's stamp (default the wall clock). */
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
  return writeRequest(journalDir, 'halt', clock, (id, requestedAt) => ({
    version: 1,
    kind: 'halt',
    id,
    requestedAt,
    reason: options.reason ?? 'operator halt',
    flatten: options.flatten === true,
    ...(options.operator === undefined ? {} : { operator: options.operator }),
  }));
}

/** Writes a resume request; resuming always names the operator who decided it. */
export function requestResume(journalDir: string, options: ResumeOptions): RequestTicket {
  const clock = options.clock ?? new LiveClock();
  return writeRequest(journalDir, 'resume', clock, (id, requestedAt) => ({
    version: 1,
    kind: 'resume',
    id,
    requestedAt,
    operator: options.operator,
    reason: options.reason ?? 'operator resume',
  }));
}

function writeRequest(
  journalDir: string,
  kind: ControlRequest['kind'],
  clock: Clock,
  build: (id: string, requestedAt: number) => unknown,
): RequestTicket {
  const paths = controlPaths(journalDir);
  // Validate what we are about to write: a bad request must fail here, not in the desk.
  const probe = controlRequestSchema.safeParse(build('0', 0));
  if (!probe.success) throw invalidRequest('the request', probe.error);
  assertDeskDirectory(journalDir);
  ensureControlDirectory(paths.control, false);
  // A name collides only if two writers draw the same stamp and nonce; then draw again.
  for (let attempt = 0; attempt < 8; attempt++) {
    const requestedAt = clock.now();
    const nonce = randomNonce();
    const id = `${String(nextStamp(requestedAt)).padStart(STAMP_WIDTH, '0')}-${nonce}-${kind}`;
    const file = `${id}.json`;
    const request = controlRequestSchema.parse(build(id, requestedAt));
    const body = `${JSON.stringify(request)}\n`;
    if (Buffer.byteLength(body) > MAX_REQUEST_BYTES)
      throw new ConcordError(
        'CONCORD_ERR_CONTROL_REQUEST_INVALID',
        `the request is ${Buffer.byteLength(body)} bytes, more than the ${MAX_REQUEST_BYTES} a desk reads`,
        { details: { path: '(root)', issue: 'too large' } },
      );
    const pendingPath = join(paths.control, file);
    // Dot-names are never read by the desk: it sees the request only once link() put it in place whole.
    const tmp = join(paths.control, `.tmp-${nonce}-${kind}.json`);
    try {
      writePrivateFile(tmp, body);
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
    `could not write a request with a fresh name in ${paths.control}; another writer holds every name drawn`,
    { details: { dir: paths.control } },
  );
}

let lastStamp = 0;
let nonceSource: Random | undefined;

/** Microseconds of `ms`, strictly increasing within this process (a clock stepping back cannot reorder). */
function nextStamp(ms: number): number {
  const us = Math.floor(ms * 1000);
  const wall = Number.isFinite(us) && us > 0 ? Math.min(us, Number.MAX_SAFE_INTEGER - 1e9) : 0;
  lastStamp = Math.max(wall, lastStamp + 1);
  return lastStamp;
}

/** 16 hex digits; seeded per process so two writers in the same microsecond still differ. */
function randomNonce(): string {
  nonceSource ??= new Random(hashString(`${process.pid}:${monotonicNs()}:${new LiveClock().now()}`));
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return hex(nonceSource.nextUint32()) + hex(nonceSource.nextUint32());
}

/**
 * A request is only written where a desk journals (or has journaled): otherwise `concord halt`
 * with a mistyped --journal would create directories and wait for nobody.
 */
function assertDeskDirectory(journalDir: string): void {
  const dir = statOrUndefined(journalDir, statSync);
  const problem =
    dir === undefined
      ? 'does not exist'
      : !dir.isDirectory()
        ? 'is not a directory'
        : statOrUndefined(join(journalDir, JOURNAL_FILE), statSync) === undefined &&
            !(statOrUndefined(join(journalDir, CONTROL_DIR), lstatSync)?.isDirectory() ?? false)
          ? `holds no journal (${JOURNAL_FILE})`
          : undefined;
  if (problem === undefined) return;
  throw new ConcordError(
    'CONCORD_ERR_CONTROL_NO_DESK',
    `no desk journals into ${journalDir}: it ${problem}; nothing was written. Point --journal at the directory the running desk journals into`,
    { details: { dir: journalDir, problem } },
  );
}

/**
 * Creates `dir` private to this user (0700 whatever the umask) or checks the one there is a real
 * directory. The desk (`tighten`) also makes an existing one private; a writer leaves it as found.
 */
function ensureControlDirectory(dir: string, tighten: boolean): void {
  let created = false;
  try {
    mkdirSync(dir, { mode: DIR_MODE });
    created = true;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(dir, cause);
  }
  const st = statOrUndefined(dir, lstatSync);
  if (st === undefined || st.isSymbolicLink() || !st.isDirectory())
    throw new ConcordError(
      'CONCORD_ERR_CONTROL_WRITE',
      `${dir} is not a directory (${st === undefined ? 'it vanished' : describeType(st)}); remove it so the desk can create its control directory`,
      { details: { dir } },
    );
  if (created || tighten) {
    try {
      // mkdir's mode is filtered by the umask; chmod is not.
      require0700(dir);
    } catch (cause) {
      throw writeError(dir, cause);
    }
  }
}

function require0700(dir: string): void {
  // chmodSync would follow a symlink swapped in since the lstat; open the directory itself instead.
  const fd = openSync(dir, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_DIRECTORY ?? 0));
  try {
    fchmodSync(fd, DIR_MODE);
  } finally {
    closeSync(fd);
  }
}

export interface ControlChannelOptions {
  /** Called for every entry moved to rejected/ (the desk journals it). Its errors are swallowed. */
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

type ReadOutcome =
  | { readonly kind: 'request'; readonly request: ControlRequest }
  | { readonly kind: 'reject'; readonly message: string }
  /** Not valid JSON yet, but young: its writer may still be writing it. */
  | { readonly kind: 'wait' }
  | { readonly kind: 'gone' };

/** The desk's side of the channel. Not thread-safe across desks: one desk per journal directory. */
export class ControlChannel {
  readonly dir: string;
  private readonly paths: { control: string; done: string; rejected: string };
  private readonly onRejected: ((rejected: RejectedControlFile) => void) | undefined;
  private readonly intervalMs: number;
  private readonly maxAgeMs: number;
  private readonly clock: Clock;
  private lastPollMs = Number.NEGATIVE_INFINITY;
  /** Entries that could not be moved out of control/: reported once, then left alone. */
  private readonly stuck = new Set<string>();
  /** When (real ms) each not-yet-valid request file was first seen. */
  private readonly firstSeen = new Map<string, number>();

  constructor(journalDir: string, options: ControlChannelOptions = {}) {
    this.dir = journalDir;
    this.paths = controlPaths(journalDir);
    this.onRejected = options.onRejected;
    this.intervalMs = options.intervalMs ?? 200;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.clock = options.clock ?? new LiveClock();
    ensureControlDirectory(this.paths.control, true);
    try {
      this.ensureSubdirectories();
    } catch (cause) {
      throw cause instanceof ConcordError ? cause : writeError(journalDir, cause);
    }
  }

  /**
   * Pending requests in stamp order, each claimed (moved to done/) before it is returned.
   * Everything else goes to rejected/ with an .error.json beside it. Never throws, never blocks.
   */
  poll(): ControlRequest[] {
    this.lastPollMs = monotonicMs();
    // A done/ swapped for a symlink would carry claimed requests out of the directory.
    this.repair(false);
    let names: string[];
    try {
      names = readdirSync(this.paths.control);
    } catch {
      // Removed under the running desk: make it again, so the next `concord halt` finds it.
      this.tryRecreate();
      return [];
    }
    const candidates: string[] = [];
    let junk = 0;
    for (const name of names) {
      if (name.startsWith('.') || name === DONE_DIR || name === REJECTED_DIR || this.stuck.has(name))
        continue;
      if (REQUEST_NAME.test(name)) candidates.push(name);
      else if (junk++ < MAX_JUNK_PER_POLL)
        this.reject(
          name,
          `${quoted(name)} is not a request file name (<stamp>-<nonce>-halt.json or <stamp>-<nonce>-resume.json, as concord halt / resume write them)`,
        );
    }
    if (this.firstSeen.size > 0) {
      const present = new Set(candidates);
      for (const name of this.firstSeen.keys()) if (!present.has(name)) this.firstSeen.delete(name);
    }
    candidates.sort(byStamp);
    const requests: ControlRequest[] = [];
    for (const name of candidates) {
      const read = this.read(name);
      if (read.kind === 'wait' || read.kind === 'gone') continue;
      this.firstSeen.delete(name);
      if (read.kind === 'reject') this.reject(name, read.message);
      else if (this.claim(name)) requests.push(read.request);
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
    // The id is the request's own file stem (checked by `read`), so this path stays in done/.
    if (REQUEST_NAME.test(`${request.id}.json`)) {
      try {
        writeAtomic(join(this.paths.done, `${request.id}.result.json`), result);
      } catch {
        // The action is done; an operator who cannot be told still finds it in the journal.
      }
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

  private read(name: string): ReadOutcome {
    const file = readBoundedFile(join(this.paths.control, name), MAX_REQUEST_BYTES);
    if (file.kind === 'gone') return file;
    if (file.kind === 'bad') return { kind: 'reject', message: `${quoted(name)} ${file.reason}` };
    const me = process.getuid?.();
    if (me !== undefined && file.uid !== me && file.uid !== 0)
      return {
        kind: 'reject',
        message: `${quoted(name)} belongs to user ${file.uid}, not to the desk's user ${me} (or root)`,
      };
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes));
    } catch (err) {
      const now = monotonicMs();
      let seen = this.firstSeen.get(name);
      if (seen === undefined && this.firstSeen.size < MAX_REMEMBERED) {
        seen = now;
        this.firstSeen.set(name, now);
      }
      if (seen !== undefined && now - seen < HALF_WRITTEN_GRACE_MS) return { kind: 'wait' };
      // Not the parser's message: it quotes the content, which may be anything (even a secret).
      const why = err instanceof TypeError ? 'is not UTF-8 text' : 'is not valid JSON';
      return { kind: 'reject', message: `${quoted(name)} ${why} (${file.bytes.length} bytes)` };
    }
    const parsed = controlRequestSchema.safeParse(raw);
    if (!parsed.success)
      return { kind: 'reject', message: invalidRequest(quoted(name), parsed.error).shortMessage };
    const request = parsed.data;
    const stem = name.slice(0, -'.json'.length);
    if (request.id !== stem)
      return {
        kind: 'reject',
        message: `${quoted(name)} has id ${quoted(request.id)}; it must be its file name's stem`,
      };
    if (!stem.endsWith(`-${request.kind}`))
      return {
        kind: 'reject',
        message: `${quoted(name)} says kind "${request.kind}" but its name says otherwise`,
      };
    const age = this.clock.now() - request.requestedAt;
    if (age > this.maxAgeMs)
      return {
        kind: 'reject',
        message: `${quoted(name)} is stale: written ${Math.round(age / 1000)} s ago, more than ${Math.round(this.maxAgeMs / 1000)} s; send it again if it still applies`,
      };
    return { kind: 'request', request };
  }

  /** Moves a read request to done/. False when its writer withdrew it meanwhile. */
  private claim(name: string): boolean {
    const from = join(this.paths.control, name);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        renameSync(from, join(this.paths.done, name));
        return true;
      } catch {
        if (!exists(from)) return false;
        this.repair();
      }
    }
    // done/ cannot be made: carry the request out anyway (an emergency stop must not depend on
    // bookkeeping), but only once; the waiting CLI will say it was not picked up.
    this.remember(name);
    return true;
  }

  private reject(name: string, message: string): void {
    const from = join(this.paths.control, name);
    const kept = Buffer.byteLength(name) <= MAX_KEPT_NAME_BYTES ? name : `long-name-${randomNonce()}`;
    let moved: string | undefined;
    for (const target of [kept, `${kept.slice(0, MAX_KEPT_NAME_BYTES - 30)}.dup-${randomNonce()}`]) {
      try {
        renameSync(from, join(this.paths.rejected, target));
        moved = target;
        break;
      } catch {
        if (!exists(from)) return; // gone (withdrawn): nothing to report
        this.repair();
      }
    }
    if (moved === undefined) this.remember(name);
    else {
      try {
        writeAtomic(join(this.paths.rejected, `${moved}.error.json`), {
          code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID',
          file: name,
          message,
        });
      } catch {
        // The rejection is still reported below; the operator finds it in the journal.
      }
    }
    try {
      this.onRejected?.({ file: name, code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID', message });
    } catch {
      // A failing journal fails the desk closed by itself; the poll must go on to any halt.
    }
  }

  private remember(name: string): void {
    if (this.stuck.size >= MAX_REMEMBERED) this.stuck.clear();
    this.stuck.add(name);
  }

  /** done/ and rejected/ must be real directories of ours; anything else there is moved aside. */
  private ensureSubdirectories(tighten = true): void {
    for (const dir of [this.paths.done, this.paths.rejected]) {
      const st = statOrUndefined(dir, lstatSync);
      if (st !== undefined && !st.isSymbolicLink() && st.isDirectory()) {
        if (tighten) require0700(dir);
        continue;
      }
      if (st !== undefined) {
        // Kept under a dot-name, which the poll ignores, rather than deleted: it is someone's file.
        renameSync(dir, join(this.paths.control, `.invalid-${basename(dir)}-${randomNonce()}`));
      }
      ensureControlDirectory(dir, true);
    }
  }

  private repair(tighten = true): void {
    try {
      this.ensureSubdirectories(tighten);
    } catch {
      // Still broken: the caller falls back (remembers the entry, or acts without the claim).
    }
  }

  private tryRecreate(): void {
    try {
      ensureControlDirectory(this.paths.control, true);
      this.ensureSubdirectories();
    } catch {
      // The journal directory itself is gone or read-only; the next poll tries again.
    }
  }
}

export type TicketState =
  | { readonly state: 'pending' }
  | { readonly state: 'picked-up'; readonly outcome: ControlOutcome | undefined }
  | { readonly state: 'rejected'; readonly message: string }
  | { readonly state: 'missing' };

/** Where a written request stands now (what the waiting CLI reads; never blocks, never follows links). */
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

type BoundedRead =
  | { readonly kind: 'file'; readonly bytes: Buffer; readonly uid: number }
  | { readonly kind: 'bad'; readonly reason: string }
  | { readonly kind: 'gone' };

/**
 * Reads a small regular file without following links and without blocking: lstat first (a FIFO,
 * device or symlink is never opened), then open O_NOFOLLOW | O_NONBLOCK and check with fstat that
 * it is still the same regular file; never more than `maxBytes` + 1 bytes are read.
 */
export function readBoundedFile(path: string, maxBytes: number): BoundedRead {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? { kind: 'gone' }
      : { kind: 'bad', reason: `cannot be examined (${errCode(err)})` };
  }
  if (!st.isFile()) return { kind: 'bad', reason: `is ${describeType(st)}, not a regular file` };
  if (st.size > maxBytes) return tooBig(st.size, maxBytes);
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') return { kind: 'gone' };
    return { kind: 'bad', reason: code === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${code})` };
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile() || fst.ino !== st.ino || fst.dev !== st.dev)
      return { kind: 'bad', reason: 'was replaced while being read' };
    if (fst.size > maxBytes) return tooBig(fst.size, maxBytes);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) return tooBig(length, maxBytes);
    return { kind: 'file', bytes: buffer.subarray(0, length), uid: fst.uid };
  } catch (err) {
    return { kind: 'bad', reason: `cannot be read (${errCode(err)})` };
  } finally {
    closeSync(fd);
  }
}

function tooBig(size: number, maxBytes: number): BoundedRead {
  return { kind: 'bad', reason: `is ${size} bytes or more, over the ${maxBytes} a request may have` };
}

function describeType(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return st.isFile() ? 'a regular file' : 'an unknown kind of entry';
}

/** Numeric order of the stamps (digit strings of any length), then the full name. */
function byStamp(a: string, b: string): number {
  const sa = a.slice(0, a.indexOf('-')).replace(/^0+(?=\d)/, '');
  const sb = b.slice(0, b.indexOf('-')).replace(/^0+(?=\d)/, '');
  if (sa.length !== sb.length) return sa.length - sb.length;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function quoted(name: string): string {
  return JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name);
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

function statOrUndefined(path: string, stat: (p: string) => Stats): Stats | undefined {
  try {
    return stat(path);
  } catch {
    return undefined;
  }
}

/** Whether the entry itself exists (a dangling symlink counts). */
function exists(path: string): boolean {
  return statOrUndefined(path, lstatSync) !== undefined;
}

function readJson(path: string): unknown {
  const file = readBoundedFile(path, MAX_REQUEST_BYTES);
  if (file.kind !== 'file') return undefined;
  try {
    return JSON.parse(file.bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function writePrivateFile(path: string, body: string): void {
  const fd = openSync(path, CREATE_FLAGS, FILE_MODE);
  try {
    // The create mode is filtered by the umask; fchmod is not.
    fchmodSync(fd, FILE_MODE);
    const bytes = Buffer.from(body);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  } finally {
    closeSync(fd);
  }
}

function writeAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${randomNonce()}`;
  try {
    writePrivateFile(tmp, `${JSON.stringify(value)}\n`);
    renameSync(tmp, path);
  } catch (err) {
    tryUnlink(tmp);
    throw err;
  }
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
