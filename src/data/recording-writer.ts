/**
 * Writes a `concord-recording/1` file (see readers/concord.ts) as a stream: events
 * are serialised into a small text buffer, handed to gzip in 64 KiB pieces, and gzip
 * streams to disk with backpressure, so memory stays flat however long the recording.
 *
 * The file is written as `<path>.partial` and renamed into place by `close()`: a
 * crash never leaves a truncated file under the final name. An existing file is
 * refused unless `force` is set. The sha256 is of the compressed bytes on disk,
 * hashed as they are written.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { ConcordError } from '../core/index.ts';
import type { Instrument, MarketEvent } from '../model/index.ts';
import {
  CONCORD_RECORDING_FORMAT,
  type ConcordRecordingHeader,
  type ConcordRecordingSource,
} from './readers/concord.ts';
import { outOfOrderError } from './readers/errors.ts';

export interface RecordingHeaderInput {
  /** Program and version that wrote the file, e.g. `concord 0.1.0`. */
  readonly createdBy: string;
  readonly source: ConcordRecordingSource;
  readonly instruments: readonly Instrument[];
}

export interface RecordingWriterOptions {
  /** Replace an existing file at `path` (default: refuse with CONCORD_ERR_RECORDING_EXISTS). */
  readonly force?: boolean;
  /** gzip level 1..9 (default 6). */
  readonly level?: number;
}

export interface RecordingWriteResult {
  readonly path: string;
  readonly events: number;
  /** Compressed size on disk. */
  readonly bytes: number;
  /** sha256 of the file as written (hex). */
  readonly sha256: string;
}

const CHUNK_CHARS = 64 * 1024;

export class ConcordRecordingWriter {
  readonly path: string;
  private readonly partialPath: string;
  private readonly gzip: Gzip;
  private readonly file: WriteStream;
  private readonly hash = createHash('sha256');
  private readonly done: Promise<void>;
  private failure: ConcordError | undefined;
  private pending = '';
  private eventCount = 0;
  private byteCount = 0;
  private lastTs = Number.NEGATIVE_INFINITY;
  private closed = false;

  /** Creates the file and writes the header line. */
  static async open(
    path: string,
    header: RecordingHeaderInput,
    options: RecordingWriterOptions = {},
  ): Promise<ConcordRecordingWriter> {
    if (options.force !== true && existsSync(path)) {
      throw new ConcordError(
        'CONCORD_ERR_RECORDING_EXISTS',
        `${path} already exists; choose another --out file or pass --force to replace it`,
        {
          details: { path },
        },
      );
    }
    const writer = new ConcordRecordingWriter(path, header, options.level ?? 6);
    await writer.opened();
    return writer;
  }

  private constructor(path: string, header: RecordingHeaderInput, level: number) {
    this.path = path;
    this.partialPath = `${path}.partial`;
    this.gzip = createGzip({ level });
    this.file = createWriteStream(this.partialPath);
    this.gzip.on('data', (chunk: Buffer) => {
      this.hash.update(chunk);
      this.byteCount += chunk.length;
    });
    this.done = pipeline(this.gzip, this.file).catch((err: unknown) => {
      this.failure ??= writeError(this.path, err);
      throw this.failure;
    });
    // Observed here so a failure before anyone awaits is not an unhandled rejection.
    this.done.catch(() => undefined);
    const line: ConcordRecordingHeader = {
      format: CONCORD_RECORDING_FORMAT,
      createdBy: header.createdBy,
      source: header.source,
      instruments: header.instruments,
    };
    this.pending = `${JSON.stringify(line)}\n`;
  }

  private async opened(): Promise<void> {
    if (this.file.pending) await this.settle(once(this.file, 'open'));
  }

  /** Waits for `event`, or for the stream to fail: either way a failure is CONCORD_ERR_RECORDING_WRITE. */
  private async settle(event: Promise<unknown>): Promise<void> {
    try {
      await Promise.race([event, this.done]);
    } catch (err) {
      this.failure ??= writeError(this.path, err);
      throw this.failure;
    }
  }

  get events(): number {
    return this.eventCount;
  }

  /**
   * Appends one event. Returns false when the caller should `await drain()` before
   * writing more (gzip or the disk is behind). Events must come in time order.
   */
  write(event: MarketEvent): boolean {
    if (this.closed) throw closedError(this.path);
    if (this.failure !== undefined) throw this.failure;
    if (event.ts < this.lastTs)
      throw outOfOrderError(this.path, this.eventCount + 2, this.lastTs, event.ts, 'event time');
    this.lastTs = event.ts;
    this.pending += `${JSON.stringify(event)}\n`;
    this.eventCount++;
    if (this.pending.length < CHUNK_CHARS) return true;
    return this.push();
  }

  /** Resolves when gzip can take more (immediately when it can). */
  async drain(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.gzip.writableNeedDrain) return;
    await this.settle(once(this.gzip, 'drain'));
  }

  /** Pushes buffered events through gzip to the partial file (a sync flush: readable up to here). */
  async flush(): Promise<void> {
    if (this.closed) throw closedError(this.path);
    this.push();
    await this.settle(new Promise<void>((resolve) => this.gzip.flush(() => resolve())));
    // Writes complete in order: an empty write's callback means the flushed bytes are on disk.
    await this.settle(new Promise<void>((resolve) => this.file.write(Buffer.alloc(0), () => resolve())));
  }

  /** Finishes the gzip stream, waits for the disk, and moves the file into place. */
  async close(): Promise<RecordingWriteResult> {
    if (this.closed) throw closedError(this.path);
    this.closed = true;
    this.push();
    this.gzip.end();
    try {
      await this.done;
      renameSync(this.partialPath, this.path);
    } catch (err) {
      rmSync(this.partialPath, { force: true });
      throw this.failure ?? writeError(this.path, err);
    }
    return {
      path: this.path,
      events: this.eventCount,
      bytes: this.byteCount,
      sha256: this.hash.digest('hex'),
    };
  }

  /** Stops writing and removes the partial file; the final path is left untouched. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gzip.destroy();
    await this.done.catch(() => undefined);
    rmSync(this.partialPath, { force: true });
  }

  private push(): boolean {
    if (this.pending.length === 0) return !this.gzip.writableNeedDrain;
    const text = this.pending;
    this.pending = '';
    return this.gzip.write(text);
  }
}

function writeError(path: string, err: unknown): ConcordError {
  const code = (err as { code?: string }).code;
  return new ConcordError(
    'CONCORD_ERR_RECORDING_WRITE',
    `cannot write the recording ${path} (${code ?? (err as Error).message}); check the directory exists, is writable and has space`,
    {
      details: { path, reason: code ?? String(err) },
      cause: err,
    },
  );
}

function closedError(path: string): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_RECORDING_WRITE',
    `the recording ${path} is already closed; open a new writer to write more`,
    {
      details: { path, reason: 'closed' },
    },
  );
}
