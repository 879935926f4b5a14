/**
 * Recorded files as a market source (the model's `MarketSource`): one time-ordered stream from
 * any mix of supported recordings (`readRecording`), with the instruments the files describe.
 *
 * Instruments come from the data itself: a Concord recording's header carries its instruments'
 * real specs; any other instrument is defined by its first event (`recordedInstrument`). The head
 * of the stream is read ahead (`peek` events) to learn every instrument of a multi-instrument
 * recording before the desk is built; an event naming an instrument not met by then is refused
 * with a coded error (list that instrument's file first). Books chain their diffs the Binance way
 * for Binance feeds (`binanceSequenceMode`).
 */
import { ConcordError } from '../core/index.ts';
import type { Instrument, InstrumentId, MarketBatch, MarketEvent, MarketSource } from '../model/index.ts';
import { recordedInstrument } from './instruments.ts';
import { binanceSequenceMode } from './readers/binance.ts';
import { readConcordHeader } from './readers/concord.ts';
import { detectFormat, type RecordingOptions, readRecording } from './readers/recording.ts';

export interface RecordedMarketOptions {
  /** How to read the files (Binance timestamps, lenient mode, instrument ids per file). */
  readonly reading?: RecordingOptions;
  /** Taker/maker fee for instruments of files without a known venue (fractions; default 0). */
  readonly fees?: { readonly maker?: number; readonly taker?: number };
  /** Events read ahead to learn the instruments (default 5000). */
  readonly peek?: number;
  /** Events per `next()` (default 1024). */
  readonly batchSize?: number;
}

export class RecordedMarket implements MarketSource {
  readonly bookSequencing = binanceSequenceMode;
  /** Time of the first event: where a run over these files starts. */
  readonly startTs: number;
  /** The events read ahead (the head of the stream). */
  readonly head: readonly MarketEvent[];
  /** True when the read-ahead reached the end of the data. */
  readonly readToEnd: boolean;
  private readonly known = new Map<InstrumentId, Instrument>();
  private readonly events: Iterator<MarketEvent, void, undefined>;
  private readonly batchSize: number;
  private headAt = 0;
  private done = false;

  constructor(paths: readonly string[], options: RecordedMarketOptions = {}) {
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 1024));
    const fees = options.fees ?? {};
    const define = (id: InstrumentId): void => {
      if (!this.known.has(id))
        this.known.set(id, recordedInstrument(id, { makerFee: fees.maker ?? 0, takerFee: fees.taker ?? 0 }));
    };
    // Concord recordings carry their instruments' real specs (tick, lot, fees): use them.
    for (const path of paths) {
      if (detectFormat(path) === 'concord')
        for (const i of readConcordHeader(path).instruments) this.known.set(i.id, i);
    }
    this.events = readRecording(paths, options.reading);
    const head: MarketEvent[] = [];
    let readToEnd = false;
    const peek = Math.max(1, Math.floor(options.peek ?? 5000));
    while (head.length <= peek) {
      const n = this.events.next();
      if (n.done === true) {
        readToEnd = true;
        break;
      }
      head.push(n.value);
      define(n.value.instrumentId);
    }
    const first = head[0];
    if (first === undefined) {
      throw new ConcordError('CONCORD_ERR_DATA_FILE', 'the recordings hold no events', {
        details: { files: [...paths] },
      });
    }
    this.startTs = first.ts;
    this.head = head;
    this.readToEnd = readToEnd;
  }

  instruments(): readonly Instrument[] {
    return [...this.known.values()];
  }

  next(): MarketBatch | undefined {
    if (this.done) return undefined;
    const batch: MarketEvent[] = [];
    const head = this.head;
    while (batch.length < this.batchSize) {
      let event: MarketEvent;
      if (this.headAt < head.length) event = head[this.headAt++] as MarketEvent;
      else {
        const n = this.events.next();
        if (n.done === true) {
          this.done = true;
          break;
        }
        event = n.value;
        if (!this.known.has(event.instrumentId)) throw lateInstrument(event);
      }
      batch.push(event);
    }
    return batch.length === 0 ? undefined : batch;
  }

  close(): void {
    this.done = true;
    this.events.return?.();
  }
}

function lateInstrument(event: MarketEvent): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_DATA_FORMAT',
    `instrument ${event.instrumentId} first appears after the start of the recording; list its file first`,
    { details: { instrumentId: event.instrumentId, ts: event.ts } },
  );
}
