/**
 * The command-line side of desks and recordings on a real exchange:
 *   concord run --mode paper --venue binance --symbols BTC/USDT,ETH/USDT [--venue-urls <json|file>]
 *   concord run --mode live --venue binance --symbols BTC/USDT --live --config desk.json [--keys-file k.json]
 *   concord record --venue binance --symbols BTC/USDT --out btc.concord.ndjson.gz --duration 1m
 * `--venue-urls` (or `exchanges.<id>.urls` in the config) points ccxt at another host: a testnet,
 * a proxy, the loopback servers of the tests. Its value is JSON (`{"public": "http://..."}`) or
 * the name of a file holding it.
 */
import { readFileSync } from 'node:fs';
import { ConcordError } from '../core/index.ts';
import type { DeskConfig } from '../kernel/index.ts';
import { parseDeskConfig } from '../kernel/index.ts';

/** The `--venue-urls` value as an object: inline JSON, or a JSON file's content. */
export function parseVenueUrls(value: string): Record<string, unknown> {
  const text = value.trimStart().startsWith('{') ? value : readUrlsFile(value);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      'flag --venue-urls: expected a JSON object of ccxt API URLs (inline or a file), e.g. {"public":"https://testnet.example/api/v3"}',
      { details: { path: '--venue-urls', expected: 'a JSON object' } },
    );
  return raw as Record<string, unknown>;
}

function readUrlsFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_NOT_FOUND',
      `flag --venue-urls: cannot read ${path} (${(err as { code?: string }).code ?? 'error'})`,
      { details: { path, reason: (err as { code?: string }).code ?? 'error' } },
    );
  }
}

/** The symbols flag (`BTC/USDT,ETH/USDT`, repeatable) as a list. */
export function symbolsOf(values: readonly string[]): string[] {
  return [
    ...new Set(
      values
        .flatMap((v) => v.split(','))
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}

/** The config with the command line's mode, exchange, symbols and URLs folded in (and checked). */
export function exchangeConfig(
  config: DeskConfig,
  flags: { mode?: string; venue: string; symbols: readonly string[]; urls?: Record<string, unknown> },
): DeskConfig {
  const previous = config.exchanges[flags.venue] ?? {};
  const exchange = {
    ...previous,
    ...(flags.symbols.length === 0 ? {} : { symbols: [...flags.symbols] }),
    ...(flags.urls === undefined ? {} : { urls: flags.urls }),
  };
  const mode = flags.mode ?? (config.mode === 'sandbox' ? 'paper' : config.mode);
  return parseDeskConfig(
    { ...config, mode, exchanges: { ...config.exchanges, [flags.venue]: exchange } },
    'command line',
  );
}
