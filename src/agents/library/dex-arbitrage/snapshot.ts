/**
 * The pool snapshot file (`concord arb scan --pools`): a JSON list of pools, validated at the
 * boundary. Every problem is a CONCORD_ERR_ARB_SNAPSHOT_INVALID naming the pool's index and the
 * field. Integer amounts are decimal strings (they pass 2^53); fees are integer pips.
 *
 *   constant product: {address, dex, token0, token1, reserve0, reserve1, fee}
 *   concentrated:     {kind: "v3", address, dex, token0, token1, fee, tickSpacing, sqrtPriceX96,
 *                      tick, liquidity, ticks: [{index, liquidityNet}]}
 *   token:            {address, symbol, decimals}
 */
import { z } from 'zod';
import { ConcordError, isConcordError } from '../../../core/index.ts';
import { MAX_UINT128, MAX_UINT160, type V3PoolState, validateV3Pool } from '../../../model/amm/index.ts';
import type { PoolInput } from './graph.ts';

export interface TokenInfo {
  /** Lower-case 0x address. */
  readonly address: string;
  readonly symbol: string;
  readonly decimals: number;
}

export interface PoolSnapshot {
  readonly tokens: ReadonlyMap<string, TokenInfo>;
  readonly pools: readonly PoolInput[];
  /** Dex name of each pool, by lower-case address. */
  readonly dexOf: ReadonlyMap<string, string>;
}

const MAX_UINT112 = (1n << 112n) - 1n;

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x address of 40 hex digits');
const token = z.strictObject({
  address,
  symbol: z.string().min(1).max(64),
  decimals: z.number().int().min(0).max(255),
});
const uintString = (max: bigint, what: string) =>
  z
    .string()
    .regex(/^\d{1,78}$/, `a non-negative integer as a decimal string (${what})`)
    .transform((s) => BigInt(s))
    .refine((v) => v <= max, `at most ${what}`);
const intString = z
  .string()
  .regex(/^-?\d{1,40}$/, 'an integer as a decimal string')
  .transform((s) => BigInt(s));
const fee = z.number().int('an integer number of pips (millionths): 3000 is 0.30 %').min(0).max(999_999);

const common = {
  address,
  dex: z.string().min(1).max(64),
  token0: token,
  token1: token,
  fee,
};
const v2Pool = z.strictObject({
  kind: z.literal('v2').optional(),
  ...common,
  reserve0: uintString(MAX_UINT112, 'uint112'),
  reserve1: uintString(MAX_UINT112, 'uint112'),
});
const v3Pool = z.strictObject({
  kind: z.literal('v3'),
  ...common,
  tickSpacing: z.number().int().min(1).max(16384),
  sqrtPriceX96: uintString(MAX_UINT160, 'uint160'),
  tick: z.number().int(),
  liquidity: uintString(MAX_UINT128, 'uint128'),
  ticks: z.array(z.strictObject({ index: z.number().int(), liquidityNet: intString })).max(100_000),
});

function invalid(
  index: number | undefined,
  field: string,
  message: string,
  received?: unknown,
): ConcordError {
  const where = index === undefined ? 'snapshot' : `pool ${index}`;
  return new ConcordError('CONCORD_ERR_ARB_SNAPSHOT_INVALID', `${where}: ${field}: ${message}`, {
    details: { index, field, expected: message, ...(received === undefined ? {} : { received }) },
  });
}

function firstIssue(index: number, error: z.ZodError, raw: unknown): ConcordError {
  const issue = error.issues[0] as z.core.$ZodIssue;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(pool)';
  let received: unknown = raw;
  for (const key of issue.path) received = (received as Record<PropertyKey, unknown> | undefined)?.[key];
  const shown = typeof received === 'string' && received.length > 80 ? `${received.slice(0, 80)}…` : received;
  return invalid(index, field, issue.message, typeof shown === 'object' ? undefined : shown);
}

/** Validates a parsed JSON value as a pool snapshot. */
export function parsePoolSnapshot(value: unknown): PoolSnapshot {
  if (!Array.isArray(value)) throw invalid(undefined, '(root)', 'a JSON list of pools');
  const tokens = new Map<string, TokenInfo>();
  const pools: PoolInput[] = [];
  const dexOf = new Map<string, string>();
  value.forEach((raw, index) => {
    const kind = (raw as { kind?: unknown } | null)?.kind;
    const schema = kind === 'v3' ? v3Pool : v2Pool;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw firstIssue(index, parsed.error, raw);
    const p = parsed.data;
    const t0 = registerToken(tokens, p.token0, index, 'token0');
    const t1 = registerToken(tokens, p.token1, index, 'token1');
    if (t0 === t1) throw invalid(index, 'token1', 'a token different from token0', p.token1.address);
    const addr = p.address.toLowerCase();
    if (dexOf.has(addr)) throw invalid(index, 'address', 'a pool address not listed before', p.address);
    dexOf.set(addr, p.dex);
    if (p.kind === 'v3') {
      const state: V3PoolState = {
        sqrtPriceX96: p.sqrtPriceX96,
        tick: p.tick,
        liquidity: p.liquidity,
        fee: p.fee,
        tickSpacing: p.tickSpacing,
        ticks: p.ticks,
      };
      try {
        validateV3Pool(state);
      } catch (err) {
        if (isConcordError(err)) throw invalid(index, '(v3 state)', err.shortMessage);
        throw err;
      }
      pools.push({ kind: 'v3', address: addr, dex: p.dex, token0: t0, token1: t1, state });
    } else {
      pools.push({
        kind: 'v2',
        address: addr,
        dex: p.dex,
        token0: t0,
        token1: t1,
        reserve0: p.reserve0,
        reserve1: p.reserve1,
        fee: p.fee,
      });
    }
  });
  return { tokens, pools, dexOf };
}

function registerToken(
  tokens: Map<string, TokenInfo>,
  t: z.infer<typeof token>,
  index: number,
  field: string,
): string {
  const key = t.address.toLowerCase();
  const known = tokens.get(key);
  if (known === undefined) tokens.set(key, { address: key, symbol: t.symbol, decimals: t.decimals });
  else if (known.symbol !== t.symbol || known.decimals !== t.decimals)
    throw invalid(
      index,
      field,
      `token ${key} was listed before as ${known.symbol} with ${known.decimals} decimals`,
      `${t.symbol} with ${t.decimals} decimals`,
    );
  return key;
}

/**
 * The base token named by an address or a symbol. An unknown one is CONCORD_ERR_ARB_BASE_UNKNOWN;
 * a symbol shared by several tokens is CONCORD_ERR_ARB_BASE_AMBIGUOUS, listing their addresses
 * (a symbol proves nothing on chain: anyone can deploy another "USDC").
 */
export function resolveBaseToken(tokens: ReadonlyMap<string, TokenInfo>, base: string): TokenInfo {
  if (/^0x[0-9a-fA-F]{40}$/.test(base)) {
    const t = tokens.get(base.toLowerCase());
    if (t === undefined)
      throw new ConcordError('CONCORD_ERR_ARB_BASE_UNKNOWN', `no pool in the snapshot trades token ${base}`, {
        details: { base },
      });
    return t;
  }
  let matches = [...tokens.values()].filter((t) => t.symbol === base);
  if (matches.length === 0)
    matches = [...tokens.values()].filter((t) => t.symbol.toLowerCase() === base.toLowerCase());
  if (matches.length === 1) return matches[0] as TokenInfo;
  if (matches.length === 0)
    throw new ConcordError(
      'CONCORD_ERR_ARB_BASE_UNKNOWN',
      `no token with symbol ${JSON.stringify(base)} in the snapshot; pass a symbol it lists or a 0x address`,
      { details: { base } },
    );
  const candidates = matches.map((t) => t.address).sort();
  throw new ConcordError(
    'CONCORD_ERR_ARB_BASE_AMBIGUOUS',
    `${matches.length} tokens have the symbol ${JSON.stringify(base)}: pass one of their addresses (${candidates.join(', ')})`,
    { details: { base, candidates } },
  );
}
