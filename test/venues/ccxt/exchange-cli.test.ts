/**
 * The command line on a real exchange's wire format (the loopback Binance server, real ccxt):
 * `concord run --mode paper` on its live data, `concord record --venue`, `--mode live` with keys
 * from the environment (no key material in stdout, stderr or the journal), and the offline case:
 * an unreachable exchange fails within seconds with a coded error, and nothing is created.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveClock } from '../../../src/core/index.ts';
import { readConcordHeader, readConcordRecording } from '../../../src/data/readers/concord.ts';
import { JournalReader } from '../../../src/journal/index.ts';
import { BIN, ROOT, tempDir } from '../../helpers/cli.ts';
import { closedPort, moveMarket, startServer, urlsFor } from './exchange-helpers.ts';

const API_KEY = 'CliKeyMaterial7d41c9e0b2a85f36e1d4c7a0';
const SECRET = 'CliSecretMaterial2e9b5f8c1a7d40e3b6c92f';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The real CLI in a child process (the server lives in this one, so never spawnSync). */
async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  const { spawn } = await import('node:child_process');
  const clock = new LiveClock();
  const start = clock.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', CONCORD_DEV: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr, ms: clock.now() - start };
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
}

function journalRecords(dir: string): { type: string; payload: unknown }[] {
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()].map((r) => ({ type: r.type, payload: r.payload }));
  } finally {
    reader.close();
  }
}

describe('concord on an exchange (loopback Binance server)', () => {
  it('offline: run --mode paper and record --venue fail within seconds with CONCORD_ERR_VENUE_UNREACHABLE and create nothing', async () => {
    const port = await closedPort();
    const dir = tempDir();
    const journal = join(dir, 'journal');
    const urls = JSON.stringify(urlsFor(port));
    const run = await cli([
      'run',
      '--mode',
      'paper',
      '--venue',
      'binance',
      '--symbols',
      'BTC/USDT,ETH/USDT',
      '--venue-urls',
      urls,
      '--journal',
      journal,
      '--no-api',
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/CONCORD_ERR_VENUE_UNREACHABLE: binance is unreachable/);
    expect(run.ms).toBeLessThan(15_000);
    expect(existsSync(journal)).toBe(false);
    const out = join(dir, 'live.concord.ndjson.gz');
    const record = await cli([
      'record',
      '--venue',
      'binance',
      '--symbols',
      'BTC/USDT',
      '--venue-urls',
      urls,
      '--out',
      out,
      '--duration',
      '2s',
    ]);
    expect(record.code).toBe(3);
    expect(record.stderr).toMatch(/CONCORD_ERR_VENUE_UNREACHABLE/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('paper: the desk runs on the exchange’s live books with simulated fills; record writes a recording of them', async () => {
    const server = await startServer(API_KEY, SECRET);
    cleanups.push(() => server.close());
    cleanups.push(moveMarket(server));
    const dir = tempDir();
    const journal = join(dir, 'journal');
    const urls = JSON.stringify(urlsFor(server.port));
    const run = await cli([
      'run',
      '--mode',
      'paper',
      '--venue',
      'binance',
      '--symbols',
      'BTC/USDT,ETH/USDT',
      '--venue-urls',
      urls,
      '--journal',
      journal,
      '--duration',
      '3s',
      '--no-api',
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = lastJson(run.stdout);
    expect(summary).toMatchObject({ mode: 'paper', exchange: 'binance', reason: 'duration' });
    expect(summary.marketEvents as number).toBeGreaterThan(5);
    const records = journalRecords(journal);
    const books = records.filter(
      (r) => r.type === 'market' && (r.payload as { type: string }).type === 'book.snapshot',
    );
    const ids = new Set(books.map((r) => (r.payload as { instrumentId: string }).instrumentId));
    expect([...ids].sort()).toEqual(['binance:BTC/USDT', 'binance:ETH/USDT']);
    // The books are the server's: best bid of BTC within the moving market's range.
    for (const r of books.filter((b) =>
      (b.payload as { instrumentId: string }).instrumentId.endsWith('BTC/USDT'),
    )) {
      const bid = (r.payload as { bids: [number, number][] }).bids[0]?.[0] ?? 0;
      expect(bid).toBeGreaterThanOrEqual(59_900);
      expect(bid).toBeLessThanOrEqual(60_100);
    }
    // Paper: nothing reached the exchange's order endpoints.
    expect(server.orders).toHaveLength(0);

    const out = join(dir, 'live.concord.ndjson.gz');
    const record = await cli([
      'record',
      '--venue',
      'binance',
      '--symbols',
      'BTC/USDT,ETH/USDT',
      '--venue-urls',
      urls,
      '--out',
      out,
      '--duration',
      '2s',
      '--json',
    ]);
    expect(record.code).toBe(0);
    const written = lastJson(record.stdout);
    expect(written.events as number).toBeGreaterThan(5);
    const header = readConcordHeader(out);
    expect(header.source).toMatchObject({
      kind: 'exchange',
      exchange: 'binance',
      symbols: ['BTC/USDT', 'ETH/USDT'],
    });
    expect(header.instruments.map((i) => i.id).sort()).toEqual(['binance:BTC/USDT', 'binance:ETH/USDT']);
    let events = 0;
    let lastTs = 0;
    for (const event of readConcordRecording(out)) {
      events++;
      expect(event.ts).toBeGreaterThanOrEqual(lastTs);
      lastTs = event.ts;
    }
    expect(events).toBe(written.events);
  }, 90_000);

  it('live: refused without both opt-ins; with them, keys from the environment never reach stdout, stderr or the journal', async () => {
    const server = await startServer(API_KEY, SECRET);
    cleanups.push(() => server.close());
    cleanups.push(moveMarket(server));
    const dir = tempDir();
    const urls = JSON.stringify(urlsFor(server.port));
    const env = { CONCORD_BINANCE_API_KEY: API_KEY, CONCORD_BINANCE_SECRET: SECRET };
    const base = [
      'run',
      '--mode',
      'live',
      '--venue',
      'binance',
      '--symbols',
      'BTC/USDT',
      '--venue-urls',
      urls,
    ];
    // --live without live.enabled in the config: refused before anything starts.
    const noConfig = await cli([...base, '--live', '--journal', join(dir, 'j1'), '--no-api'], env);
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toMatch(/CONCORD_ERR_LIVE_NOT_ENABLED/);
    expect(existsSync(join(dir, 'j1'))).toBe(false);
    const configFile = join(dir, 'desk.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(configFile, JSON.stringify({ live: { enabled: true } }));
    // live.enabled without --live: refused too.
    const noFlag = await cli(
      [...base, '--config', configFile, '--journal', join(dir, 'j2'), '--no-api'],
      env,
    );
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toMatch(/CONCORD_ERR_LIVE_NOT_ENABLED/);
    // Both, but no keys: refused.
    const noKeys = await cli([
      ...base,
      '--live',
      '--config',
      configFile,
      '--journal',
      join(dir, 'j3'),
      '--no-api',
    ]);
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toMatch(/CONCORD_ERR_SECRETS_MISSING/);
    // Both opt-ins and the keys: a live desk that reconciles with the exchange and runs.
    const journal = join(dir, 'j4');
    const live = await cli(
      [...base, '--live', '--config', configFile, '--journal', journal, '--duration', '3s', '--no-api'],
      env,
    );
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/live desk on binance \(BTC\/USDT\): trading/);
    const records = journalRecords(journal);
    expect(records.some((r) => r.type === 'reconcile.report')).toBe(true);
    const texts = [
      live.stdout,
      live.stderr,
      ...records.map((r) => JSON.stringify(r)),
      ...readdirSync(journal)
        .map((f) => join(journal, f))
        .filter((f) => statSync(f).isFile())
        .map((f) => readFileSync(f).toString('latin1')),
    ];
    for (const secret of [API_KEY, SECRET]) {
      const b = Buffer.from(secret);
      for (const needle of [secret, b.toString('base64'), b.toString('hex'), secret.slice(4, 20)])
        for (const text of texts) expect(text.includes(needle)).toBe(false);
    }
  }, 120_000);
});
