/**
 * Concord's executor contract (contracts/ConcordExecutor.sol, compiled by
 * scripts/build-contracts.ts): turning a cycle found by the arbitrage graph into its `execute`
 * call, and reading its errors. Design: docs/adr/0011-executor-contract.md.
 */
import { decodeErrorResult, encodeDeployData, encodeFunctionData, type Hex } from 'viem';
import { ConcordError } from '../../core/index.ts';
import type { Address } from './config.ts';
import { CONCORD_EXECUTOR } from './executor-artifact.ts';
import type { EvmPoolInfo } from './pools.ts';

export { CONCORD_EXECUTOR };
export const EXECUTOR_ABI = CONCORD_EXECUTOR.abi;

/** One hop of an executor path (the contract's `Hop` struct). */
export interface ExecutorHop {
  readonly pool: Address;
  readonly tokenIn: Address;
  readonly v3: boolean;
  readonly zeroForOne: boolean;
  /** V2: the pair's fee in pips; 0 for V3 (the pool knows its own). */
  readonly fee: number;
  /** V3: price limit, 0n for none. */
  readonly sqrtPriceLimitX96: bigint;
}

export interface ExecuteArgs {
  readonly amountIn: bigint;
  readonly hops: readonly ExecutorHop[];
  readonly minProfit: bigint;
  /** Last block the call may run in. */
  readonly deadlineBlock: bigint;
}

function pathError(message: string, details: Record<string, unknown>): ConcordError {
  return new ConcordError('CONCORD_ERR_EVM_PATH_INVALID', message, { details });
}

/**
 * The executor path of a cycle: `path` is its tokens (first = last = the base token), `pools`
 * one pool per hop. Each pool must be known and hold the hop's two tokens.
 */
export function executorHops(
  cycle: { readonly path: readonly string[]; readonly pools: readonly string[] },
  poolInfo: (address: string) => EvmPoolInfo | undefined,
): ExecutorHop[] {
  if (cycle.pools.length === 0 || cycle.path.length !== cycle.pools.length + 1)
    throw pathError('a path needs one more token than pools, and at least one pool', {
      tokens: cycle.path.length,
      pools: cycle.pools.length,
    });
  return cycle.pools.map((address, i) => {
    const info = poolInfo(address);
    if (info === undefined) throw pathError(`pool ${address} is not tracked`, { hop: i, pool: address });
    const tokenIn = (cycle.path[i] as string).toLowerCase();
    const tokenOut = (cycle.path[i + 1] as string).toLowerCase();
    const zeroForOne = tokenIn === info.token0 && tokenOut === info.token1;
    if (!zeroForOne && !(tokenIn === info.token1 && tokenOut === info.token0))
      throw pathError(`pool ${address} does not trade ${tokenIn} for ${tokenOut}`, { hop: i, pool: address });
    const v3 = info.protocol === 'uniswap-v3';
    return {
      pool: info.address as Address,
      tokenIn: tokenIn as Address,
      v3,
      zeroForOne,
      fee: v3 ? 0 : info.fee,
      sqrtPriceLimitX96: 0n,
    };
  });
}

export function encodeExecute(args: ExecuteArgs): Hex {
  if (args.amountIn <= 0n || args.minProfit < 0n)
    throw pathError('amountIn must be positive and minProfit non-negative', {
      amountIn: args.amountIn.toString(),
      minProfit: args.minProfit.toString(),
    });
  return encodeFunctionData({
    abi: EXECUTOR_ABI,
    functionName: 'execute',
    args: [args.amountIn, args.hops, args.minProfit, args.deadlineBlock],
  });
}

export function encodeWithdraw(token: Address, to: Address, amount: bigint): Hex {
  return encodeFunctionData({ abi: EXECUTOR_ABI, functionName: 'withdraw', args: [token, to, amount] });
}

/** Creation bytecode with the owner as constructor argument. */
export function executorDeployData(owner: Address): Hex {
  return encodeDeployData({ abi: EXECUTOR_ABI, bytecode: CONCORD_EXECUTOR.bytecode, args: [owner] });
}

/** The executor's custom error in revert data, if it is one. */
export function decodeExecutorError(data: Hex): { name: string; args: readonly unknown[] } | undefined {
  try {
    const d = decodeErrorResult({ abi: EXECUTOR_ABI, data });
    return { name: d.errorName, args: d.args ?? [] };
  } catch {
    return undefined;
  }
}
