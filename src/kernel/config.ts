/**
 * The desk's config: one file (JSON), validated at load. Every error names the
 * field path and what was expected (CONCORD_ERR_CONFIG_INVALID), and nothing starts.
 * Component sections (risk, triggers, agents' own configs) are validated by their
 * components' schemas; their errors are re-rooted under the section's path here.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { ConcordError, isConcordError } from '../core/index.ts';

/** Last millisecond of year 9999: later times cannot be written as ISO-8601 dates in journals and reports. */
const MAX_START_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export const MODES = ['sandbox', 'backtest', 'paper', 'shadow', 'live'] as const;
export type Mode = (typeof MODES)[number];

const agentSpecSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lowercase letters, digits and dashes, at most 48'),
    type: z.string().min(1),
    config: z.record(z.string(), z.unknown()).default({}),
    isolated: z.boolean().default(false),
    deadlineMs: z.number().positive().max(60_000).optional(),
  })
  .strict();

export type AgentSpec = z.infer<typeof agentSpecSchema>;

/**
 * The sandbox desk: ten agents sized for the default balances and risk limits; the last two
 * trade the sandbox chain's AMM pools (DEX cycles, and pools against the CEX books).
 */
export const DEFAULT_AGENTS: AgentSpec[] = [
  { id: 'regime', type: 'market-regime', config: {}, isolated: false },
  {
    id: 'arbitrage',
    type: 'cross-venue-arbitrage',
    config: { maxQuantity: 0.1, minNetEdgeBps: 3 },
    isolated: false,
  },
  {
    id: 'momentum-fast',
    type: 'momentum',
    config: { lookback: 20, quantity: 0.05, maxPosition: 0.2 },
    isolated: false,
  },
  {
    id: 'momentum-slow',
    type: 'momentum',
    config: { lookback: 120, quantity: 0.05, maxPosition: 0.2 },
    isolated: false,
  },
  {
    id: 'mean-reversion',
    type: 'mean-reversion',
    config: { quantity: 0.05, maxPosition: 0.2 },
    isolated: false,
  },
  {
    id: 'mean-reversion-wide',
    type: 'mean-reversion',
    config: { window: 300, quantity: 0.05, maxPosition: 0.2 },
    isolated: false,
  },
  { id: 'risk', type: 'risk-assessor', config: {}, isolated: false },
  { id: 'spread-watcher', type: 'spread-watcher', config: {}, isolated: false },
  { id: 'dex-arbitrage', type: 'dex-arbitrage', config: {}, isolated: false },
  { id: 'cex-dex-arbitrage', type: 'cex-dex-arbitrage', config: {}, isolated: false },
];

/**
 * How a desk reaches one ccxt exchange (`exchanges.<exchange id>`). Never credentials: the config is
 * journaled; keys come from the environment or a key file named on the command line.
 */
export const exchangeVenueSchema = z
  .object({
    /** ccxt unified symbols in scope, e.g. ["BTC/USDT", "ETH/USDT"]. */
    symbols: z
      .array(z.string().regex(/^[A-Za-z0-9._-]+\/[A-Za-z0-9._:-]+$/, 'a ccxt symbol such as BTC/USDT'))
      .min(1)
      .max(50)
      .optional(),
    /** Merged into ccxt's `urls.api` (a testnet, a proxy, a loopback server). */
    urls: z.record(z.string(), z.unknown()).optional(),
    /** Merged into ccxt's `options` for the exchange. */
    options: z.record(z.string(), z.unknown()).optional(),
    /** ccxt request timeout, and the bound on the first contact (default 10,000). */
    timeoutMs: z.int().min(100).max(120_000).optional(),
    /**
     * ccxt's spacing between requests in ms (a request of weight w waits w × this); default: ccxt's
     * own for the exchange. Lower only for a server without the exchange's limits (a loopback one).
     */
    rateLimitMs: z.int().min(1).max(60_000).optional(),
    /** The exchange's own testnet, where ccxt knows one. */
    sandbox: z.boolean().optional(),
  })
  .strict();

export type ExchangeVenueConfig = z.infer<typeof exchangeVenueSchema>;

export const deskConfigSchema = z
  .object({
    mode: z.enum(MODES).default('sandbox'),
    seed: z
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(7),
    /** Start of simulated time (ISO-8601 UTC or ms since epoch), 1970 to 9999. */
    startTime: z
      .union([
        z.iso.datetime().refine((text) => Date.parse(text) >= 0 && Date.parse(text) <= MAX_START_MS, {
          message: 'a time from 1970-01-01 to 9999-12-31 (UTC)',
        }),
        z.int().nonnegative().max(MAX_START_MS),
      ])
      .default('2024-01-01T00:00:00Z'),
    journal: z
      .object({
        dir: z.string().min(1).default('.concord'),
        /** Flush (durably, ending with a state checkpoint) at least this often in desk time. */
        flushEveryMs: z.int().positive().default(1000),
        maxBatch: z.int().positive().max(100_000).default(2048),
      })
      .strict()
      .prefault({}),
    market: z
      .object({
        tickMs: z.int().positive().max(60_000).default(100),
      })
      .strict()
      .prefault({}),
    venues: z
      .object({
        latencyMs: z.number().nonnegative().max(10_000).default(5),
        /** Starting balances per simulated venue. */
        balances: z.record(z.string(), z.number().nonnegative()).default({ USDT: 100_000, BTC: 2 }),
      })
      .strict()
      .prefault({}),
    agents: z.array(agentSpecSchema).min(1).default(DEFAULT_AGENTS),
    /** Triggers, consensus, trust, deadlineMs, outcomeHorizonMs: validated by the orchestrator's schema. */
    orchestrator: z.record(z.string(), z.unknown()).default({}),
    /** Shorthand for safety.riskManagement: validated by the risk engine's schema. */
    risk: z.record(z.string(), z.unknown()).default({}),
    /** simulation, riskManagement, reconciliation, errorRecovery: validated by src/risk/safety-config.ts. */
    safety: z.record(z.string(), z.unknown()).optional(),
    /** A candidate agent set run beside the desk on its own simulated venues: see src/kernel/shadow.ts. */
    shadow: z.record(z.string(), z.unknown()).default({}),
    execution: z
      .object({
        legPolicy: z.enum(['hedge', 'unwind', 'none']).default('hedge'),
      })
      .strict()
      .prefault({}),
    /** ccxt exchanges by id (`exchanges.binance`): how paper and live desks reach them. */
    exchanges: z
      .record(z.string().regex(/^[a-z0-9]{2,40}$/, 'a ccxt exchange id such as binance'), exchangeVenueSchema)
      .default({}),
    live: z
      .object({
        /** Live trading is opt-in twice: here and with --live on the command line. */
        enabled: z.boolean().default(false),
        /**
         * Open orders at the exchange that this desk's journal does not know, found at startup:
         * `cancel` them (journaled) before the first order, or `halt` (trade nothing until an operator cleans up).
         */
        unknownOrders: z.enum(['cancel', 'halt']).default('cancel'),
        /** Dead-man switch armed on a halt where the exchange has one (cancelAllOrdersAfter), in ms. */
        deadManMs: z.int().min(1000).max(86_400_000).default(60_000),
        /** Period of reconciliation against the exchange, in ms. */
        reconcileIntervalMs: z.int().min(100).max(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DeskConfig = z.infer<typeof deskConfigSchema>;

/**
 * Keys that JavaScript treats as an object's plumbing. Schemas of open sections (records) drop
 * `__proto__` silently, so they are refused everywhere, like any other unknown key.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** No config section nests anywhere near this deep; deeper input is refused before anything walks it. */
const MAX_DEPTH = 32;

/**
 * The first key path that is reserved (e.g. `risk.__proto__`) or nested deeper than MAX_DEPTH,
 * or undefined. Iterative, so a hostile file cannot exhaust the stack.
 */
function forbiddenKeyPath(raw: unknown): { path: string[]; problem: 'reserved' | 'depth' } | undefined {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: raw, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_DEPTH) return { path, problem: 'depth' };
    const keys = Object.keys(value);
    for (const key of keys) if (RESERVED_KEYS.has(key)) return { path: [...path, key], problem: 'reserved' };
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}

/** Validates a raw config object; throws CONCORD_ERR_CONFIG_INVALID naming the first bad field. */
export function parseDeskConfig(raw: unknown = {}, source = 'config'): DeskConfig {
  const forbidden = forbiddenKeyPath(raw);
  if (forbidden !== undefined) {
    const path = forbidden.path.join('.');
    const expected =
      forbidden.problem === 'reserved'
        ? `Unrecognized key: "${forbidden.path[forbidden.path.length - 1]}"`
        : `at most ${MAX_DEPTH} levels of nesting`;
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      `${source}: field "${path}" is invalid: ${expected}`,
      {
        details: { path, expected, issues: 1, source },
      },
    );
  }
  const result = deskConfigSchema.safeParse(raw);
  if (!result.success) throw zodToConfigError(result.error, source);
  const ids = new Set<string>();
  result.data.agents.forEach((a, i) => {
    if (ids.has(a.id)) {
      throw configError(`agents.${i}.id`, 'a unique agent id', a.id, source);
    }
    ids.add(a.id);
  });
  return result.data;
}

/** A desk config is a few kilobytes; anything this large is the wrong file. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export function loadDeskConfig(path: string): DeskConfig {
  let text: string;
  try {
    // Only a regular file of bounded size: a FIFO or a device would block or never end.
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    if (stat.size > MAX_CONFIG_BYTES) {
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        `config file ${path} is ${stat.size} bytes; a desk config is at most ${MAX_CONFIG_BYTES} bytes`,
        {
          details: {
            path: '',
            expected: `at most ${MAX_CONFIG_BYTES} bytes`,
            received: stat.size,
            file: path,
          },
        },
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if (isConcordError(cause)) throw cause;
    const reason = (cause as { code?: string }).code ?? (cause as Error).message;
    throw new ConcordError('CONCORD_ERR_CONFIG_NOT_FOUND', `cannot read config file ${path} (${reason})`, {
      details: { path, reason },
      cause,
    });
  }
  let raw: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte order mark; it is not part of the JSON.
    raw = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (cause) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      `config file ${path} is not valid JSON: ${(cause as Error).message}`,
      {
        details: { path: '', expected: 'JSON', file: path },
        cause,
      },
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const received = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`;
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      `config file ${path} must hold one JSON object ({ ... }), found ${received}`,
      { details: { path: '', expected: 'a JSON object', received: raw, file: path, source: path } },
    );
  }
  return parseDeskConfig(raw, path);
}

export function startTimeMs(config: DeskConfig): number {
  return typeof config.startTime === 'number' ? config.startTime : Date.parse(config.startTime);
}

export function configError(
  path: string,
  expected: string,
  received: unknown,
  source = 'config',
): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `${source}: field "${path}" is invalid: expected ${expected}, received ${JSON.stringify(received)}`,
    { details: { path, expected, received, source } },
  );
}

export function zodToConfigError(error: z.ZodError, source: string, prefix = ''): ConcordError {
  const issue = error.issues[0];
  const segments = [prefix, ...(issue?.path ?? []).map(String)];
  // An unknown key is named, so a typo points at itself.
  if (issue?.code === 'unrecognized_keys') segments.push(...issue.keys.slice(0, 1));
  const path = segments.filter((s) => s !== '').join('.');
  const message = issue?.message ?? 'invalid value';
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `${source}: field "${path || '(root)'}" is invalid: ${message}`,
    {
      details: { path, expected: message, issues: error.issues.length, source },
    },
  );
}

/**
 * Re-roots a component's CONCORD_ERR_CONFIG_INVALID under `prefix` (e.g. `risk`). Components that
 * already name their section (`risk.maxOrderNotional`) are left as they are.
 */
export function rerootConfigError(err: unknown, prefix: string): unknown {
  if (!isConcordError(err, 'CONCORD_ERR_CONFIG_INVALID')) return err;
  const inner = typeof err.details.path === 'string' ? err.details.path : '';
  if (inner === prefix || inner.startsWith(`${prefix}.`)) return err;
  const path = inner === '' ? prefix : `${prefix}.${inner}`;
  return new ConcordError('CONCORD_ERR_CONFIG_INVALID', `field "${path}" is invalid: ${err.shortMessage}`, {
    details: { ...err.details, path },
    cause: err,
  });
}

/** A desk config as a run journals it: where the journal lives is not part of a run (two runs in two directories hash alike). */
export function journaledConfig(
  config: DeskConfig,
): Omit<DeskConfig, 'journal'> & { journal: Omit<DeskConfig['journal'], 'dir'> } {
  const { dir: _dir, ...journal } = config.journal;
  return { ...config, journal };
}
