/**
 * Simulation before submission: nothing is sent that did not first run, unchanged, against the
 * chain's state as `eth_call` (default: on the pending block).
 *
 * A simulation ends three ways: it ran and succeeded (`ok: true`), it ran and failed (`ok:
 * false`: a revert, with the executor's error decoded when known, or a refusal such as a fee below
 * the base fee or a wrong nonce), or it could not run (the node did not answer:
 * CONCORD_ERR_EVM_RPC is thrown). Only the first lets a transaction go; `requireSimulated`
 * turns the others into CONCORD_ERR_EVM_SIMULATION_FAILED. A signed transaction is simulated from
 * its own bytes (sender recovered from the signature), so what was checked is what is sent.
 *
 * `measureGas` runs transactions in sequence in one simulated block (eth_simulateV1) and returns
 * the gas each used: the figure a net-of-gas profit is predicted from. Give it the number and
 * timestamp of the block the transaction will land in: gas can depend on them.
 */
import {
  type Abi,
  BaseError,
  type BlockTag,
  decodeErrorResult,
  type Hex,
  type PublicClient,
  parseTransaction,
  recoverTransactionAddress,
  type TransactionSerialized,
} from 'viem';
import { ConcordError } from '../../core/index.ts';
import { isTransportError, rpc } from './client.ts';
import type { Address } from './config.ts';

export interface CallRequest {
  readonly from: Address;
  readonly to: Address;
  readonly data: Hex;
  readonly value?: bigint;
  readonly gas?: bigint;
  readonly nonce?: number;
  readonly maxFeePerGas?: bigint;
  readonly maxPriorityFeePerGas?: bigint;
}

export interface DecodedRevert {
  readonly name: string;
  readonly args: readonly unknown[];
}

export type SimulationResult =
  | { readonly ok: true; readonly returnData: Hex; readonly blockTag: BlockTag }
  | {
      readonly ok: false;
      /** What the node said (revert reason, refusal). */
      readonly reason: string;
      readonly revertData: Hex | undefined;
      /** The revert decoded with the ABI given, when it matches. */
      readonly error: DecodedRevert | undefined;
      readonly blockTag: BlockTag;
    };

export interface SimulateOptions {
  /** `pending` (default) or `latest`. */
  readonly blockTag?: 'pending' | 'latest';
  /** ABI whose custom errors decode a revert (e.g. the executor's). */
  readonly abi?: Abi;
}

export interface MeasureOptions {
  /** The state to run on (default `latest`: the calls run in the block after it). */
  readonly blockTag?: 'pending' | 'latest';
  readonly abi?: Abi;
  /**
   * The simulated block's number and timestamp. Gas can depend on them (a Uniswap V2 pair writes
   * its price accumulators only when time has passed since its last update), so an exact
   * prediction simulates the block the transaction will land in.
   */
  readonly block?: { readonly number?: bigint; readonly timestamp?: bigint };
}

function revertDataOf(err: unknown): Hex | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const found = err.walk((e) => {
    const data = (e as { data?: unknown }).data;
    return typeof data === 'string' && /^0x[0-9a-fA-F]*$/.test(data) && data.length > 2;
  }) as { data?: Hex } | null;
  return found?.data;
}

function decode(abi: Abi | undefined, data: Hex | undefined): DecodedRevert | undefined {
  if (abi === undefined || data === undefined) return undefined;
  try {
    const d = decodeErrorResult({ abi, data });
    return { name: d.errorName, args: d.args ?? [] };
  } catch {
    return undefined;
  }
}

/** eth_call of one transaction; see the file comment for the three outcomes. */
export async function simulate(
  client: PublicClient,
  endpoint: string,
  tx: CallRequest,
  options: SimulateOptions = {},
): Promise<SimulationResult> {
  const blockTag = options.blockTag ?? 'pending';
  try {
    const fees =
      tx.maxFeePerGas === undefined
        ? {}
        : { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n };
    const result = await client.call({
      account: tx.from,
      to: tx.to,
      data: tx.data,
      value: tx.value,
      gas: tx.gas,
      nonce: tx.nonce,
      ...fees,
      blockTag,
    });
    return { ok: true, returnData: result.data ?? '0x', blockTag };
  } catch (err) {
    if (isTransportError(err)) return rpc('eth_call (simulation)', endpoint, () => Promise.reject(err));
    const revertData = revertDataOf(err);
    const reason =
      err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err);
    return { ok: false, reason, revertData, error: decode(options.abi, revertData), blockTag };
  }
}

/** The call a signed transaction makes, with its sender recovered from the signature. */
export async function callOfSigned(serialized: Hex): Promise<CallRequest> {
  let tx: ReturnType<typeof parseTransaction>;
  let from: Address;
  try {
    tx = parseTransaction(serialized);
    from = await recoverTransactionAddress({ serializedTransaction: serialized as TransactionSerialized });
  } catch (err) {
    throw new ConcordError('CONCORD_ERR_EVM_TX_INVALID', 'not a signed transaction viem can parse', {
      details: { bytes: serialized.length / 2 - 1 },
      cause: err,
    });
  }
  if (tx.to === undefined || tx.to === null)
    throw new ConcordError(
      'CONCORD_ERR_EVM_TX_INVALID',
      'a contract creation is not submitted through this path',
      {
        details: {},
      },
    );
  return {
    from,
    to: tx.to,
    data: tx.data ?? '0x',
    value: tx.value,
    gas: tx.gas,
    nonce: tx.nonce,
    maxFeePerGas: tx.maxFeePerGas,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
  };
}

/** Simulates a signed transaction from its own bytes. */
export async function simulateSigned(
  client: PublicClient,
  endpoint: string,
  serialized: Hex,
  options: SimulateOptions = {},
): Promise<SimulationResult> {
  return simulate(client, endpoint, await callOfSigned(serialized), options);
}

/** Throws CONCORD_ERR_EVM_SIMULATION_FAILED unless the simulation succeeded. */
export function requireSimulated(result: SimulationResult, what: string): void {
  if (result.ok) return;
  throw new ConcordError(
    'CONCORD_ERR_EVM_SIMULATION_FAILED',
    `${what} failed its simulation on the ${result.blockTag} block and was not submitted: ${result.error?.name ?? result.reason}`,
    {
      details: {
        reason: result.reason,
        ...(result.error ? { error: result.error.name, args: result.error.args.map(String) } : {}),
        ...(result.revertData ? { revertData: result.revertData } : {}),
      },
    },
  );
}

export interface GasMeasurement {
  readonly ok: boolean;
  /** Gas the transaction will be charged (after refunds), as its receipt will say. */
  readonly gasUsed: bigint;
  /**
   * A gas limit for it: the gas spent before refunds (or gasUsed + the 20 % refund cap when the
   * node does not report it), plus 10 % and 20,000 for the 63/64 rule of nested calls.
   */
  readonly gasLimit: bigint;
  readonly returnData: Hex;
  readonly error: DecodedRevert | undefined;
}

/** Runs the calls in order in one simulated block (eth_simulateV1) and returns each one's gas. */
export async function measureGas(
  client: PublicClient,
  endpoint: string,
  calls: readonly CallRequest[],
  options: MeasureOptions = {},
): Promise<GasMeasurement[]> {
  const overrides = {
    ...(options.block?.number === undefined ? {} : { number: options.block.number }),
    ...(options.block?.timestamp === undefined ? {} : { time: options.block.timestamp }),
  };
  const blocks = await rpc('eth_simulateV1', endpoint, () =>
    client.simulateBlocks({
      blockTag: options.blockTag ?? 'latest',
      blocks: [
        {
          blockOverrides: overrides,
          calls: calls.map((c) => ({
            account: c.from,
            to: c.to,
            data: c.data,
            value: c.value,
            gas: c.gas,
            nonce: c.nonce,
          })),
        },
      ],
    }),
  );
  const results = blocks[0]?.calls ?? [];
  return results.map((r) => ({
    ok: r.status === 'success',
    gasUsed: r.gasUsed,
    gasLimit: ((r.maxUsedGas ?? (r.gasUsed * 5n) / 4n) * 11n) / 10n + 20_000n,
    returnData: r.data,
    error: r.status === 'success' ? undefined : decode(options.abi, r.data),
  }));
}
