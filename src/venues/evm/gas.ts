/**
 * What a transaction will cost, per chain (the model is config: see config.ts).
 *
 * - Base fee: EIP-1559's rule predicts the next block's base fee exactly from its parent's
 *   (base fee, gas used, gas limit) with the chain's denominator and elasticity; chains whose base
 *   fee follows another rule take the node's figure.
 * - Priority fee: fixed, or a percentile of recent tips (eth_feeHistory) clamped to a range.
 * - maxFeePerGas = multiplier × predicted base fee + priority fee; the price actually paid is
 *   min(maxFeePerGas, base fee + priority fee).
 * - L1 data fee (rollups): OP Stack's GasPriceOracle.getL1Fee, Arbitrum's NodeInterface, or a
 *   per-byte estimate; zero elsewhere.
 *
 * All amounts are bigint wei.
 */
import { type Hex, type PublicClient, parseAbi, size } from 'viem';
import { ConcordError } from '../../core/index.ts';
import { rpc } from './client.ts';
import type { Address, BaseFeeModel, GasModelConfig, L1DataFeeModel } from './config.ts';

export interface ParentFacts {
  readonly baseFeePerGas: bigint;
  readonly gasUsed: bigint;
  readonly gasLimit: bigint;
}

/** EIP-1559: the base fee of the block after `parent`. */
export function nextBaseFee(parent: ParentFacts, model: { denominator: number; elasticity: number }): bigint {
  const target = parent.gasLimit / BigInt(model.elasticity);
  const denominator = BigInt(model.denominator);
  const base = parent.baseFeePerGas;
  if (target === 0n || parent.gasUsed === target) return base;
  if (parent.gasUsed > target) {
    const delta = (base * (parent.gasUsed - target)) / target / denominator;
    return base + (delta > 1n ? delta : 1n);
  }
  const delta = (base * (target - parent.gasUsed)) / target / denominator;
  return base > delta ? base - delta : 0n;
}

export interface FeePlan {
  /** The base fee expected in the next block. */
  readonly baseFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
  /** What a unit of gas will cost if the transaction lands in the next block. */
  readonly effectiveGasPrice: bigint;
}

/** The price per gas actually paid in a block with this base fee. */
export function effectiveGasPrice(
  baseFee: bigint,
  maxFeePerGas: bigint,
  maxPriorityFeePerGas: bigint,
): bigint {
  const tip = maxFeePerGas - baseFee < maxPriorityFeePerGas ? maxFeePerGas - baseFee : maxPriorityFeePerGas;
  return baseFee + (tip > 0n ? tip : 0n);
}

function median(values: readonly bigint[]): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.length === 0 ? 0n : (sorted[(sorted.length - 1) >> 1] as bigint);
}

const OP_ORACLE_ABI = parseAbi(['function getL1Fee(bytes) view returns (uint256)']);
const ARB_NODE_INTERFACE_ABI = parseAbi([
  'function gasEstimateL1Component(address to, bool contractCreation, bytes data) payable returns (uint64 gasEstimateForL1, uint256 baseFee, uint256 l1BaseFeeEstimate)',
]);

/** The gas model of one chain, reading what it needs from the node. */
export class GasModel {
  constructor(
    private readonly config: GasModelConfig,
    private readonly client: PublicClient,
    private readonly endpoint: string,
  ) {}

  get baseFeeModel(): BaseFeeModel {
    return this.config.baseFee;
  }

  /** The next block's base fee, from its parent's header (or the node's figure). */
  async predictBaseFee(parent?: ParentFacts): Promise<bigint> {
    const model = this.config.baseFee;
    if (model.kind === 'eip1559') {
      const facts = parent ?? (await this.latestFacts());
      return nextBaseFee(facts, model);
    }
    const block = await rpc('eth_getBlockByNumber pending', this.endpoint, () =>
      this.client.getBlock({ blockTag: 'pending' }),
    );
    return block.baseFeePerGas ?? 0n;
  }

  private async latestFacts(): Promise<ParentFacts> {
    const block = await rpc('eth_getBlockByNumber latest', this.endpoint, () =>
      this.client.getBlock({ blockTag: 'latest' }),
    );
    if (block.baseFeePerGas === null)
      throw new ConcordError(
        'CONCORD_ERR_EVM_CONFIG_INVALID',
        'the chain has no base fee: it does not run EIP-1559',
        {
          details: { path: 'chain.gas.baseFee' },
        },
      );
    return { baseFeePerGas: block.baseFeePerGas, gasUsed: block.gasUsed, gasLimit: block.gasLimit };
  }

  /** The tip to offer now. */
  async priorityFee(): Promise<bigint> {
    const model = this.config.priorityFee;
    if (model.kind === 'fixed') return model.wei;
    const history = await rpc('eth_feeHistory', this.endpoint, () =>
      this.client.getFeeHistory({ blockCount: model.blocks, rewardPercentiles: [model.percentile] }),
    );
    const tips = (history.reward ?? []).map((r) => r[0] ?? 0n);
    const tip = median(tips);
    return tip < model.minWei ? model.minWei : tip > model.maxWei ? model.maxWei : tip;
  }

  /** Fees for a transaction meant for the next block. */
  async plan(parent?: ParentFacts): Promise<FeePlan> {
    const [baseFeePerGas, maxPriorityFeePerGas] = await Promise.all([
      this.predictBaseFee(parent),
      this.priorityFee(),
    ]);
    return this.planWith(baseFeePerGas, maxPriorityFeePerGas);
  }

  planWith(baseFeePerGas: bigint, maxPriorityFeePerGas: bigint): FeePlan {
    const maxFeePerGas = BigInt(this.config.maxFeeMultiplier) * baseFeePerGas + maxPriorityFeePerGas;
    return {
      baseFeePerGas,
      maxPriorityFeePerGas,
      maxFeePerGas,
      effectiveGasPrice: effectiveGasPrice(baseFeePerGas, maxFeePerGas, maxPriorityFeePerGas),
    };
  }

  /** The L1 data fee of a transaction (its serialized bytes; `to`/`data` for Arbitrum). */
  async l1DataFee(serialized: Hex, call?: { to: Address; data: Hex }): Promise<bigint> {
    return l1DataFee(this.client, this.endpoint, this.config.l1DataFee, serialized, call);
  }

  /** Total cost in wei of `gasUnits` at the plan's price, plus the L1 data fee. */
  static cost(plan: FeePlan, gasUnits: bigint, l1Fee = 0n): bigint {
    return gasUnits * plan.effectiveGasPrice + l1Fee;
  }
}

export async function l1DataFee(
  client: PublicClient,
  endpoint: string,
  model: L1DataFeeModel,
  serialized: Hex,
  call?: { to: Address; data: Hex },
): Promise<bigint> {
  switch (model.kind) {
    case 'none':
      return 0n;
    case 'per-byte':
      return model.fixedWei + model.weiPerByte * BigInt(size(serialized));
    case 'op-stack':
      return rpc('GasPriceOracle.getL1Fee', endpoint, () =>
        client.readContract({
          address: model.oracle,
          abi: OP_ORACLE_ABI,
          functionName: 'getL1Fee',
          args: [serialized],
        }),
      );
    case 'arbitrum': {
      if (call === undefined)
        throw new ConcordError(
          'CONCORD_ERR_EVM_CONFIG_INVALID',
          'the Arbitrum L1 fee needs the call’s to and data',
          {
            details: { path: 'chain.gas.l1DataFee' },
          },
        );
      const { result } = await rpc('NodeInterface.gasEstimateL1Component', endpoint, () =>
        client.simulateContract({
          address: model.nodeInterface,
          abi: ARB_NODE_INTERFACE_ABI,
          functionName: 'gasEstimateL1Component',
          args: [call.to, false, call.data],
        }),
      );
      return BigInt(result[0]) * result[1];
    }
  }
}
