/**
 * Line sources over recorded files, gzipped or plain (detected by the gzip magic
 * bytes, not the name). Two flavours: a streaming async one for large files and a
 * sync one that gunzips a whole file at once (the recordings here are small, and a
 * sync loop is the fastest way to replay them).
 *
 * Lines are yielded without their terminator; the caller counts them (line 1 is
 * the first). Trailing `\r` is removed, an empty final line is not yielded.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { ConcordError } from '../../core/index.ts';

/** Reads the whole file (gunzipped when it is gzip), or throws CONCORD_ERR_DATA_FILE / CONCORD_ERR_DATA_PARSE. */
export function readTextFile(path: string): string {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw fileError(path, err);
  }
  if (!isGzip(raw)) return raw.toString('utf8');
  try {
    return gunzipSync(raw).toString('utf8');
  } catch (err) {
    throw new ConcordError(
      'CONCORD_ERR_DATA_PARSE',
      `${basename(path)} is not a complete gzip stream; the file is truncated or corrupt`,
      {
        details: { file: path, line: 0, reason: (err as Error).message },
        cause: err,
      },
    );
  }
}

/** All lines of a file, gunzipping it whole first. */
export function* readLinesSync(path: string): Generator<string, void, undefined> {
  yield* splitLines(readTextFile(path));
}

export function* splitLines(text: string): Generator<string, void, undefined> {
  let start = 0;
  const length = text.length;
  while (start < length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    yield text.slice(start, stop);
    start = end + 1;
  }
}

/**
 * Streams the lines of a file without loading it whole. A gzip stream that ends
 * early is a CONCORD_ERR_DATA_PARSE naming the line that was being read.
 */
export async function* readLines(path: string): AsyncGenerator<string, void, undefined> {
  const gzip = sniffGzip(path);
  const stream = createReadStream(path);
  const source = gzip ? stream.pipe(createGunzip()) : stream;
  stream.on('error', (err) => source.destroy(err));
  let rest = '';
  let linesSeen = 0;
  try {
    for await (const chunk of source) {
      const text = rest + (chunk as Buffer).toString('utf8');
      let start = 0;
      for (;;) {
        const end = text.indexOf('\n', start);
        if (end < 0) break;
        const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
        linesSeen++;
        yield text.slice(start, stop);
        start = end + 1;
      }
      rest = text.slice(start);
    }
  } catch (err) {
    if (err instanceof ConcordError) throw err;
    throw new ConcordError(
      'CONCORD_ERR_DATA_PARSE',
      `${basename(path)} could not be read to the end (truncated or corrupt gzip?)`,
      {
        details: { file: path, line: linesSeen + 1, reason: (err as Error).message },
        cause: err,
      },
    );
  }
  if (rest.length > 0) yield rest.charCodeAt(rest.length - 1) === 13 ? rest.slice(0, -1) : rest;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function sniffGzip(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && isGzip(head);
  } finally {
    closeSync(fd);
  }
}

function fileError(path: string, err: unknown): ConcordError {
  const code = (err as { code?: string }).code;
  const what = code === 'ENOENT' ? 'does not exist' : 'cannot be read';
  return new ConcordError(
    'CONCORD_ERR_DATA_FILE',
    `recording ${path} ${what}; check the path (recordings live in ../shared/data/)`,
    {
      details: { file: path, reason: code ?? String(err) },
      cause: err,
    },
  );
}

/** `XRP_ETH-1m.json.gz` → `XRP_ETH-1m`. */
export function fileStem(path: string): string {
  return basename(path)
    .replace(/\.gz$/i, '')
    .replace(/\.[a-z0-9]+$/i, '');
}
