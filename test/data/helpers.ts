import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const DATA = resolve(import.meta.dirname, '../../../shared/data');

/** Path of a shared recording; fails with a message naming the missing file. */
export function dataFile(relative: string): string {
  const path = join(DATA, relative);
  if (!existsSync(path)) throw new Error(`missing recording ${path} (see ../shared/data/README.md)`);
  return path;
}

export const BINANCE = {
  spot: 'binance-ws-20240808/spot_btcusdt.gz',
  usdm: 'binance-ws-20240808/usdm_btcusdt.gz',
  coinm: 'binance-ws-20240808/cm_btcusd_perp.gz',
} as const;

export function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'concord-data-'));
}

export function gunzipLines(path: string): string[] {
  return gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

export function writeGz(path: string, lines: readonly string[], trailingNewline = true): string {
  writeFileSync(path, gzipSync(lines.join('\n') + (trailingNewline ? '\n' : '')));
  return path;
}

/** Catches the error thrown by `fn` (sync). */
export function thrown(fn: () => unknown): { code?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected an error');
}
