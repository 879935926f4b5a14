/**
 * Recording a market into a `concord-recording/1` file (`concord record`). Today the
 * source is the sandbox's synthetic market, run as fast as possible for a simulated
 * duration; the header carries everything needed to regenerate it (seed, start, step).
 * `recordEvents` writes any event stream, for sources to come.
 */
import { monotonicMs } from '../core/index.ts';
import type { ConcordRecordingSource } from '../data/readers/concord.ts';
import { ConcordRecordingWriter, type RecordingHeaderInput } from '../data/recording-writer.ts';
import { type DeskConfig, parseDeskConfig, startTimeMs } from '../kernel/config.ts';
import type { Instrument, MarketEvent } from '../model/index.ts';
import { SyntheticMarket } from '../venues/index.ts';

export interface RecordProgress {
  /** Share of the requested duration recorded so far (0..1). */
  readonly done: number;
  readonly events: number;
  readonly simulatedMs: number;
}

export interface RecordEventsOptions {
  readonly force?: boolean;
  /** Stops early; the file is still closed cleanly with what was recorded. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RecordProgress) => void;
}

export interface RecordResult {
  readonly out: string;
  readonly events: number;
  readonly instruments: number;
  /** Simulated time covered: from the start to the end of the last step recorded. */
  readonly durationMs: number;
  readonly sha256: string;
  readonly bytes: number;
  readonly wallMs: number;
  readonly interrupted: boolean;
}

/** A source of events in steps of simulated time, with what the header says about it. */
export interface RecordingSource {
  readonly source: ConcordRecordingSource;
  readonly instruments: readonly Instrument[];
  readonly startTs: number;
  readonly stepMs: number;
  readonly steps: number;
  /** The events of the next step, in time order. */
  nextStep(): readonly MarketEvent[];
}

export interface SandboxRecordingOptions {
  /** Seed of the synthetic market (default: the config's, 7). */
  readonly seed?: number;
  /** Simulated time to record; rounded up to whole market steps. */
  readonly durationMs: number;
  /** Start time and step of the market (default: the default desk config). */
  readonly config?: DeskConfig;
}

/** The sandbox market exactly as `concord run` builds it for a fresh run with this seed. */
export function sandboxRecordingSource(options: SandboxRecordingOptions): RecordingSource {
  const config = options.config ?? parseDeskConfig({});
  const seed = options.seed ?? config.seed;
  const startTs = startTimeMs(config);
  const tickMs = config.market.tickMs;
  const market = new SyntheticMarket({ seed, startTs, tickMs });
  const steps = Math.max(1, Math.ceil(options.durationMs / tickMs));
  return {
    source: {
      kind: 'sandbox',
      generator: 'SyntheticMarket',
      seed,
      startTs,
      tickMs,
      steps,
      durationMs: steps * tickMs,
    },
    instruments: market.instruments(),
    startTs,
    stepMs: tickMs,
    steps,
    nextStep: () => market.next(),
  };
}

/** Writes a source's events to `out`; progress about every 0.5% of the steps. */
export async function recordSource(
  out: string,
  source: RecordingSource,
  createdBy: string,
  options: RecordEventsOptions = {},
): Promise<RecordResult> {
  const header: RecordingHeaderInput = { createdBy, source: source.source, instruments: source.instruments };
  const writer = await ConcordRecordingWriter.open(out, header, { force: options.force });
  const wallStart = monotonicMs();
  const progressEvery = Math.max(1, Math.floor(source.steps / 200));
  let step = 0;
  try {
    for (; step < source.steps; step++) {
      if (options.signal?.aborted) break;
      let ready = true;
      for (const event of source.nextStep()) ready = writer.write(event) && ready;
      // Waiting for gzip also lets signals and the progress bar through.
      if (!ready) await writer.drain();
      if (step % progressEvery === 0) {
        options.onProgress?.({
          done: step / source.steps,
          events: writer.events,
          simulatedMs: step * source.stepMs,
        });
      }
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const written = await writer.close();
  options.onProgress?.({
    done: step / source.steps,
    events: written.events,
    simulatedMs: step * source.stepMs,
  });
  return {
    out: written.path,
    events: written.events,
    instruments: source.instruments.length,
    durationMs: step * source.stepMs,
    sha256: written.sha256,
    bytes: written.bytes,
    wallMs: monotonicMs() - wallStart,
    interrupted: step < source.steps,
  };
}

/** Writes an already ordered event stream (any source) with the given header. */
export async function recordEvents(
  out: string,
  header: RecordingHeaderInput,
  events: Iterable<MarketEvent>,
  options: RecordEventsOptions = {},
): Promise<{ out: string; events: number; sha256: string; bytes: number }> {
  const writer = await ConcordRecordingWriter.open(out, header, { force: options.force });
  try {
    for (const event of events) {
      if (options.signal?.aborted) break;
      if (!writer.write(event)) await writer.drain();
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const written = await writer.close();
  return { out: written.path, events: written.events, sha256: written.sha256, bytes: written.bytes };
}
