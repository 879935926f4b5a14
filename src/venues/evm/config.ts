/**
 * The config of one EVM chain: its id, RPC endpoints (HTTP, optionally WebSocket) and gas model.
 * Endpoints always come from the config (never built in): they often carry an API key, so they
 * are never echoed whole in an error or a log (`redactUrl`).
 *
 * A preset (`chain: "ethereum" | "optimism" | "base" | "arbitrum" | "polygon" | "anvil"`) fills
 * the chain id and the gas model; every field can be overridden. Input is validated at this
 * boundary (zod); every problem is CONCORD_ERR_EVM_CONFIG_INVALID naming the field.
 */
import { z } from 'zod';
import { ConcordError } from '../../core/index.ts';

export type Address = `0x${string}`;

/** How the next block's base fee follows from its parent. */
export type BaseFeeModel =
  /** EIP-1559: ±1/denominator per block, at most, around a target of gasLimit/elasticity. */
  | { readonly kind: 'eip1559'; readonly denominator: number; readonly elasticity: number }
  /** The node's own figure (chains whose base fee does not follow EIP-1559's rule, e.g. Arbitrum). */
  | { readonly kind: 'rpc' };

/** The tip offered per gas. */
export type PriorityFeeModel =
  | { readonly kind: 'fixed'; readonly wei: bigint }
  /** A percentile of recent blocks' tips (eth_feeHistory), clamped to [minWei, maxWei]. */
  | {
      readonly kind: 'history';
      readonly percentile: number;
      readonly blocks: number;
      readonly minWei: bigint;
      readonly maxWei: bigint;
    };

/** The fee a rollup charges for posting a transaction's data to its L1, on top of L2 gas. */
export type L1DataFeeModel =
  | { readonly kind: 'none' }
  /** OP Stack (Optimism, Base): GasPriceOracle.getL1Fee(serialized transaction). */
  | { readonly kind: 'op-stack'; readonly oracle: Address }
  /** Arbitrum: NodeInterface.gasEstimateL1Component(to, false, data): L1 gas units × L2 base fee. */
  | { readonly kind: 'arbitrum'; readonly nodeInterface: Address }
  /** A fixed estimate: fixedWei + weiPerByte × serialized transaction bytes. */
  | { readonly kind: 'per-byte'; readonly weiPerByte: bigint; readonly fixedWei: bigint };

export interface GasModelConfig {
  readonly baseFee: BaseFeeModel;
  readonly priorityFee: PriorityFeeModel;
  /** maxFeePerGas = multiplier × predicted base fee + priority fee (headroom for base fee rises). */
  readonly maxFeeMultiplier: number;
  readonly l1DataFee: L1DataFeeModel;
}

export interface EvmChainConfig {
  readonly chainId: number;
  readonly name: string;
  readonly rpc: { readonly http: string; readonly ws: string | undefined };
  readonly gas: GasModelConfig;
  /** Blocks of pool history kept to roll back a reorg; a deeper reorg forces a full resync. */
  readonly maxReorgDepth: number;
  /** Bound on blocks applied by one sync call (a node far ahead is caught up over several calls). */
  readonly maxBlocksPerSync: number;
}

const OP_GAS_PRICE_ORACLE: Address = '0x420000000000000000000000000000000000000F';
const ARB_NODE_INTERFACE: Address = '0x00000000000000000000000000000000000000C8';
const GWEI = 1_000_000_000n;

const ETHEREUM_GAS: GasModelConfig = {
  baseFee: { kind: 'eip1559', denominator: 8, elasticity: 2 },
  priorityFee: { kind: 'history', percentile: 50, blocks: 10, minWei: 0n, maxWei: 5n * GWEI },
  maxFeeMultiplier: 2,
  l1DataFee: { kind: 'none' },
};

/** OP Stack chains: EIP-1559 with their own parameters (denominator 250 since Canyon, elasticity 6). */
const OP_STACK_GAS: GasModelConfig = {
  baseFee: { kind: 'eip1559', denominator: 250, elasticity: 6 },
  priorityFee: { kind: 'history', percentile: 50, blocks: 10, minWei: 0n, maxWei: GWEI / 10n },
  maxFeeMultiplier: 2,
  l1DataFee: { kind: 'op-stack', oracle: OP_GAS_PRICE_ORACLE },
};

/**
 * Chain presets. Their gas parameters are the published defaults at the time of writing; chains
 * change them by hard fork, so each is a config value, not a constant of the code.
 */
export const CHAIN_PRESETS = {
  ethereum: { chainId: 1, name: 'ethereum', gas: ETHEREUM_GAS },
  optimism: { chainId: 10, name: 'optimism', gas: OP_STACK_GAS },
  base: { chainId: 8453, name: 'base', gas: OP_STACK_GAS },
  arbitrum: {
    chainId: 42161,
    name: 'arbitrum',
    gas: {
      baseFee: { kind: 'rpc' },
      priorityFee: { kind: 'fixed', wei: 0n },
      maxFeeMultiplier: 2,
      l1DataFee: { kind: 'arbitrum', nodeInterface: ARB_NODE_INTERFACE },
    },
  },
  polygon: {
    chainId: 137,
    name: 'polygon',
    gas: {
      baseFee: { kind: 'eip1559', denominator: 16, elasticity: 2 },
      // Polygon PoS validators require a tip of at least 25 gwei.
      priorityFee: { kind: 'history', percentile: 50, blocks: 10, minWei: 25n * GWEI, maxWei: 500n * GWEI },
      maxFeeMultiplier: 2,
      l1DataFee: { kind: 'none' },
    },
  },
  anvil: { chainId: 31337, name: 'anvil', gas: ETHEREUM_GAS },
} as const satisfies Record<string, { chainId: number; name: string; gas: GasModelConfig }>;

export type ChainPreset = keyof typeof CHAIN_PRESETS;

/** Scheme and host of a URL (no path, query or credentials, where API keys live). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(not a URL)';
  }
}

const wei = z
  .union([z.string().regex(/^\d{1,78}$/, 'a non-negative integer in wei, as a decimal string'), z.number()])
  .transform((v, ctx) => {
    if (typeof v === 'number' && (!Number.isSafeInteger(v) || v < 0)) {
      ctx.addIssue({
        code: 'custom',
        message: 'a non-negative safe integer (use a decimal string above 2^53)',
      });
      return z.NEVER;
    }
    return BigInt(v);
  });
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte hex address (0x followed by 40 hex digits)')
  .transform((a) => a as Address);

function urlWith(schemes: readonly string[]) {
  return z.string().superRefine((value, ctx) => {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `a ${schemes.join(' or ')} URL` });
      return;
    }
    if (!schemes.includes(u.protocol.slice(0, -1)))
      ctx.addIssue({
        code: 'custom',
        message: `a ${schemes.join(' or ')} URL, got a ${u.protocol.slice(0, -1)} URL (${redactUrl(value)})`,
      });
  });
}

const baseFeeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('eip1559'),
    denominator: z.number().int().min(1).max(1_000_000),
    elasticity: z.number().int().min(1).max(1_000),
  }),
  z.strictObject({ kind: z.literal('rpc') }),
]);

const priorityFeeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), wei }),
  z
    .strictObject({
      kind: z.literal('history'),
      percentile: z.number().min(0).max(100),
      blocks: z.number().int().min(1).max(1024),
      minWei: wei.default(0n),
      maxWei: wei,
    })
    .refine((p) => p.minWei <= p.maxWei, { message: 'minWei must not exceed maxWei', path: ['minWei'] }),
]);

const l1DataFeeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('op-stack'), oracle: address.default(OP_GAS_PRICE_ORACLE) }),
  z.strictObject({ kind: z.literal('arbitrum'), nodeInterface: address.default(ARB_NODE_INTERFACE) }),
  z.strictObject({ kind: z.literal('per-byte'), weiPerByte: wei, fixedWei: wei.default(0n) }),
]);

const chainSchema = z
  .strictObject({
    chain: z.enum(Object.keys(CHAIN_PRESETS) as [ChainPreset, ...ChainPreset[]]).optional(),
    chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and dashes, at most 32')
      .optional(),
    rpc: z.strictObject({ http: urlWith(['http', 'https']), ws: urlWith(['ws', 'wss']).optional() }),
    gas: z
      .strictObject({
        baseFee: baseFeeSchema.optional(),
        priorityFee: priorityFeeSchema.optional(),
        maxFeeMultiplier: z.number().int().min(1).max(10).optional(),
        l1DataFee: l1DataFeeSchema.optional(),
      })
      .optional(),
    maxReorgDepth: z.number().int().min(1).max(10_000).default(64),
    maxBlocksPerSync: z.number().int().min(1).max(100_000).default(1_000),
  })
  .superRefine((c, ctx) => {
    if (c.chain === undefined && c.chainId === undefined)
      ctx.addIssue({ code: 'custom', message: 'name a preset (chain) or give a chainId', path: ['chainId'] });
    const preset = c.chain === undefined ? undefined : CHAIN_PRESETS[c.chain];
    if (preset !== undefined && c.chainId !== undefined && c.chainId !== preset.chainId)
      ctx.addIssue({
        code: 'custom',
        message: `chain ${c.chain} has chain id ${preset.chainId}, not ${c.chainId}`,
        path: ['chainId'],
      });
  });

export type EvmChainConfigInput = z.input<typeof chainSchema>;

/** Validates one chain's config (JSON as read) and fills it from its preset. */
export function parseEvmChainConfig(input: unknown, path = 'chain'): EvmChainConfig {
  const result = chainSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = [path, ...(issue?.path ?? []).map(String)].join('.');
    throw new ConcordError(
      'CONCORD_ERR_EVM_CONFIG_INVALID',
      `${where}: ${issue?.message ?? 'invalid value'}`,
      {
        details: { path: where },
      },
    );
  }
  const c = result.data;
  const preset = c.chain === undefined ? undefined : CHAIN_PRESETS[c.chain];
  const base: GasModelConfig = preset?.gas ?? ETHEREUM_GAS;
  return {
    chainId: c.chainId ?? (preset?.chainId as number),
    name: c.name ?? preset?.name ?? `chain-${c.chainId}`,
    rpc: { http: c.rpc.http, ws: c.rpc.ws },
    gas: {
      baseFee: c.gas?.baseFee ?? base.baseFee,
      priorityFee: c.gas?.priorityFee ?? base.priorityFee,
      maxFeeMultiplier: c.gas?.maxFeeMultiplier ?? base.maxFeeMultiplier,
      l1DataFee: c.gas?.l1DataFee ?? base.l1DataFee,
    },
    maxReorgDepth: c.maxReorgDepth,
    maxBlocksPerSync: c.maxBlocksPerSync,
  };
}

/** The venue id of a chain's pools and transactions, e.g. `evm-1`. */
export function evmVenueId(chainId: number): string {
  return `evm-${chainId}`;
}
