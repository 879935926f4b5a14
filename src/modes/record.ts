/**
 * Recording a market source into a `concord-recording/1` file (`concord record`). Any market
 * source (the model's `MarketSource` port) can be recorded, pulled batch by batch until it is
 * done or the signal stops it; today the CLI records the sandbox's synthetic market (the same
 * source a sandbox session runs on), as fast as possible for a simulated duration, and the header
 * carries everything needed to regenerate it (seed, start, step). `recordEvents` writes any event
 * stream already in hand.
 */
import { LiveClock, monotonicMs } from '../core/index.ts';
import type { ConcordRecordingSource } from '../data/readers/concord.ts';
import { ConcordRecordingWriter, type RecordingHeaderInput } from '../data/recording-writer.ts';
import { type DeskConfig, parseDeskConfig, startTimeMs } from '../kernel/config.ts';
import type { MarketEvent, MarketSource } from '../model/index.ts';
import { CcxtMarketSource, CcxtVenue } from '../venues/ccxt/index.ts';
import { SyntheticMarket, syntheticSteps } from '../venues/index.ts';

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

/** A market source to record, with what the recording's header says about it. */
export interface RecordingSource {
  /** The header's description of the source (how to regenerate it). */
  readonly source: ConcordRecordingSource;
  /** The events; each `next()` is one step of `stepMs`, and the source is done after `steps`. */
  readonly market: MarketSource;
  readonly startTs: number;
  readonly stepMs: number;
  readonly steps: number;
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
    market: syntheticSteps(market, steps),
    startTs,
    stepMs: tickMs,
    steps,
  };
}

/** Writes a source's events to `out`; progress about every 0.5% of the steps. */
export async function recordSource(
  out: string,
  source: RecordingSource,
  createdBy: string,
  options: RecordEventsOptions = {},
): Promise<RecordResult> {
  const header: RecordingHeaderInput = {
    createdBy,
    source: source.source,
    instruments: source.market.instruments(),
  };
  const writer = await ConcordRecordingWriter.open(out, header, { force: options.force });
  const wallStart = monotonicMs();
  const progressEvery = Math.max(1, Math.floor(source.steps / 200));
  let step = 0;
  try {
    for (; step < source.steps; step++) {
      if (options.signal?.aborted) break;
      const pulled = source.market.next();
      const batch = pulled instanceof Promise ? await pulled : pulled;
      if (batch === undefined) break;
      let ready = true;
      for (const event of batch) ready = writer.write(event) && ready;
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
    instruments: source.market.instruments().length,
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

export interface ExchangeRecordingOptions extends RecordEventsOptions {
  /** ccxt exchange id. */
  readonly exchange: string;
  /** ccxt unified symbols. */
  readonly symbols: readonly string[];
  /** Merged into ccxt's `urls.api` (testnet, proxy, loopback server). */
  readonly urls?: Readonly<Record<string, unknown>> | undefined;
  readonly options?: Readonly<Record<string, unknown>> | undefined;
  /** Request timeout and the bound on the first contact (default 10,000 ms). */
  readonly timeoutMs?: number | undefined;
  /** Real time to record. */
  readonly durationMs: number;
  /** Book levels kept a side (default 20). */
  readonly depth?: number;
}

/**
 * Records an exchange's live public data (books and trades, as a paper desk sees them: see
 * CcxtMarketSource) for `durationMs` of real time. The exchange is reached before the file is
 * created: unreachable → CONCORD_ERR_VENUE_UNREACHABLE and no file.
 */
export async function recordExchange(
  out: string,
  options: ExchangeRecordingOptions,
  createdBy: string,
): Promise<RecordResult> {
  const wall = new LiveClock();
  const venue = await CcxtVenue.open({
    exchange: options.exchange,
    clock: wall,
    symbols: options.symbols,
    orderEvents: 'poll',
    pollIntervalMs: 60_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.urls === undefined ? {} : { urls: options.urls }),
    ...(options.options === undefined ? {} : { options: options.options }),
  });
  const source = new CcxtMarketSource(venue, {
    clock: wall,
    ...(options.depth === undefined ? {} : { depth: options.depth }),
  });
  try {
    const header: RecordingHeaderInput = {
      createdBy,
      source: {
        kind: 'exchange',
        exchange: options.exchange,
        symbols: [...options.symbols],
        startTs: wall.now(),
        durationMs: options.durationMs,
      },
      instruments: source.instruments(),
    };
    const writer = await ConcordRecordingWriter.open(out, header, { force: options.force });
    const wallStart = monotonicMs();
    try {
      for (;;) {
        const elapsed = monotonicMs() - wallStart;
        if (options.signal?.aborted || elapsed >= options.durationMs) break;
        const pulled = source.next();
        const batch = pulled instanceof Promise ? await pulled : pulled;
        if (batch === undefined) break;
        let ready = true;
        for (const event of batch) ready = writer.write(event) && ready;
        if (!ready) await writer.drain();
        options.onProgress?.({
          done: Math.min(1, elapsed / options.durationMs),
          events: writer.events,
          simulatedMs: elapsed,
        });
      }
    } catch (err) {
      await writer.abort();
      throw err;
    }
    const written = await writer.close();
    const wallMs = monotonicMs() - wallStart;
    return {
      out: written.path,
      events: written.events,
      instruments: source.instruments().length,
      durationMs: Math.min(wallMs, options.durationMs),
      sha256: written.sha256,
      bytes: written.bytes,
      wallMs,
      interrupted: options.signal?.aborted === true,
    };
  } finally {
    source.close();
    await venue.close();
  }
}
