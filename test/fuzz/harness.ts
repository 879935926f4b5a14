/**
 * The fuzz campaign's shared parts: one seed per run (printed, and taken from CONCORD_FUZZ_SEED to
 * reproduce a failure), time-bounded fast-check runs, and a tally per input class whose summary
 * line is printed to the test output (`[fuzz] <class>: <n> inputs … outcomes …`).
 *
 * An outcome is `ok` or the code of the ConcordError the input got. Anything else (a plain Error,
 * CONCORD_ERR_INTERNAL, a stack trace on the terminal) fails the property.
 */
import { isConcordError } from '../../src/core/index.ts';

export const SEED =
  process.env.CONCORD_FUZZ_SEED !== undefined
    ? Number(process.env.CONCORD_FUZZ_SEED)
    : Math.floor(Math.random() * 2 ** 31);

/** Multiplies every class's input budget (CONCORD_FUZZ_SCALE=10 for a longer campaign). */
export const SCALE = Number(process.env.CONCORD_FUZZ_SCALE ?? 1);

export class Tally {
  inputs = 0;
  readonly outcomes = new Map<string, number>();
  private readonly started = performance.now();
  private last = this.started;
  constructor(readonly name: string) {}

  add(outcome: string): void {
    this.last = performance.now();
    this.inputs++;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** Prints the class's summary line; returns it (tests may assert on it). */
  report(): string {
    const outcomes = [...this.outcomes.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k.replace('CONCORD_ERR_', '')} ${v}`)
      .join(', ');
    const line = `[fuzz] ${this.name}: ${this.inputs} inputs in ${((this.last - this.started) / 1000).toFixed(1)} s (seed ${SEED}); outcomes: ${outcomes}`;
    console.log(line);
    return line;
  }
}

/** fast-check parameters: the campaign's seed, a run count and a wall-time cap per property. */
export function runs(numRuns: number, timeLimitMs: number) {
  return {
    seed: SEED,
    numRuns: Math.max(1, Math.round(numRuns * SCALE)),
    interruptAfterTimeLimit: timeLimitMs * SCALE,
    markInterruptAsFailure: false,
    endOnFailure: true,
  };
}

/** The outcome of a call: `ok`, or the ConcordError's code. Uncoded and INTERNAL errors are rethrown. */
export function outcomeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return codeOf(err);
  }
}

export async function outcomeOfAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    return codeOf(err);
  }
}

export function codeOf(err: unknown): string {
  if (isConcordError(err) && err.code !== 'CONCORD_ERR_INTERNAL') return err.code;
  const what = err instanceof Error ? (err.stack ?? err.message) : String(err);
  throw new Error(`uncoded error (a crash, not a coded answer): ${what}`);
}

/** A line of CLI output that is part of a stack trace. */
export const STACK_LINE = /\n\s+at .+(:\d+:\d+\)?|\(native\))/;

/** Rejects after `ms` (a hang is a failure, not a wait). */
export function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Like outcomeOf, but never throws: an uncoded error or CONCORD_ERR_INTERNAL becomes an outcome
 * (`UNCODED …`), for classes that count every violation before failing (see Findings).
 */
export async function classify(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    if (isConcordError(err) && err.code !== 'CONCORD_ERR_INTERNAL') return err.code;
    const name = isConcordError(err)
      ? 'CONCORD_ERR_INTERNAL'
      : err instanceof Error
        ? err.constructor.name
        : typeof err;
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return `UNCODED ${name}: ${message?.slice(0, 80)}`;
  }
}

/** Violations of a class, collected so its tally shows them all; the test fails on any. */
export class Findings {
  readonly list: string[] = [];
  constructor(readonly name: string) {}

  add(what: string): void {
    this.list.push(what);
  }

  /** Distinct violations with their counts, most frequent first. */
  summary(): string {
    const counts = new Map<string, number>();
    for (const v of this.list) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([v, n]) => `${n}× ${v}`)
      .join('\n');
  }
}
