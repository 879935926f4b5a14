/**
 * Private submission: bundles to a Flashbots-style relay, and inclusion tracked block by block.
 *
 * `submit` is a chain of gates, and a bundle reaches the relay's `eth_sendBundle` only through
 * all of them:
 *   1. our own simulation on the node: a lone transaction by `eth_call` on the pending block, a
 *      bundle of several in sequence in one simulated block (eth_simulateV1); each must succeed;
 *   2. the relay's `eth_callBundle` on the target block: no transaction may revert;
 *   3. `eth_sendBundle`, whose answer must be the bundle hash we computed.
 * A failed gate throws CONCORD_ERR_EVM_SIMULATION_FAILED (or CONCORD_ERR_EVM_RELAY / _RPC when a
 * gate could not run) and nothing further is sent. A send whose answer is lost is not resent:
 * its fate is read from the chain by `track` (a bundle is valid for its target block only).
 *
 * `track(block)` reads the receipts of every tracked bundle's transactions: all present →
 * included (reverted if one reverted); none present once the target block is past → not
 * included (dropped); an included bundle whose receipts vanish after a reorg goes back to
 * pending. Each transaction is also a model `ChainTx` moved by the model's transition rules.
 * A bundle that ended more than `finalityDepth` blocks ago is no longer tracked.
 *
 * The relay's auth key signs `X-Flashbots-Signature` and is never logged or put in an error.
 */
import {
  type Abi,
  type Hex,
  keccak256,
  type PrivateKeyAccount,
  type PublicClient,
  type TransactionReceipt,
  toBytes,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ConcordError } from '../../core/index.ts';
import { type ChainTx, type ChainTxStatus, transitionChainTx } from '../../model/index.ts';
import { rpc } from './client.ts';
import { redactUrl } from './config.ts';
import { bundleHashOf } from './local-relay.ts';
import { callOfSigned, measureGas, requireSimulated, simulate } from './simulate.ts';

export type BundleStatus = 'pending' | 'included' | 'reverted' | 'not-included';

export interface BundleHandle {
  readonly bundleHash: Hex;
  readonly txHashes: readonly Hex[];
  readonly targetBlock: bigint;
  status: BundleStatus;
  includedIn: bigint | undefined;
  /** Every status the bundle went through, with the block it was read at. */
  readonly history: { readonly status: BundleStatus; readonly block: bigint }[];
  /** Gas each transaction used in the relay's simulation. */
  readonly simulatedGas: readonly bigint[];
  txs: ChainTx[];
}

export interface BundleSubmitterOptions {
  /** The node: simulation and receipts. */
  readonly client: PublicClient;
  readonly endpoint: string;
  readonly chainId: number;
  readonly relayUrl: string;
  /** Private key that signs X-Flashbots-Signature (an identity, not a funded key). */
  readonly authKey: Hex;
  /** ABI whose custom errors decode a revert (e.g. the executor's). */
  readonly abi?: Abi;
  /** Blocks after which an ended bundle is no longer watched for reorgs (default 64). */
  readonly finalityDepth?: number;
}

export interface SubmitOptions {
  readonly targetBlock: bigint;
  readonly revertingTxHashes?: readonly Hex[];
  /** The intent the bundle carries (for its ChainTx records). */
  readonly decisionId?: string;
  /** Timestamp the relay simulates the target block at (Flashbots' `timestamp`; default: the relay's). */
  readonly timestamp?: bigint;
}

interface CallBundleResult {
  readonly bundleHash?: string;
  readonly results?: readonly {
    readonly txHash?: string;
    readonly gasUsed?: number;
    readonly error?: string;
    readonly revert?: string;
  }[];
}

function relayError(message: string, details: Record<string, unknown>, cause?: unknown): ConcordError {
  return new ConcordError('CONCORD_ERR_EVM_RELAY', message, { details, cause });
}

export class BundleSubmitter {
  /** Requests this submitter made of the relay, by method. */
  readonly sent = { eth_callBundle: 0, eth_sendBundle: 0 };
  private readonly tracked = new Map<Hex, BundleHandle>();
  private readonly auth: PrivateKeyAccount;
  private nextId = 1;

  constructor(private readonly options: BundleSubmitterOptions) {
    this.auth = privateKeyToAccount(options.authKey);
  }

  /** Bundles being tracked. */
  handles(): BundleHandle[] {
    return [...this.tracked.values()];
  }

  private async relay<T>(method: string, params: unknown[]): Promise<T> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params });
    const signature = await this.auth.signMessage({ message: keccak256(toBytes(body)) });
    const where = redactUrl(this.options.relayUrl);
    let response: Response;
    try {
      response = await fetch(this.options.relayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-flashbots-signature': `${this.auth.address}:${signature}`,
        },
        body,
      });
    } catch (err) {
      throw relayError(
        `${method}: the relay at ${where} could not be reached`,
        { method, relay: where },
        err,
      );
    }
    let json: { result?: T; error?: { code?: number; message?: string } };
    try {
      json = (await response.json()) as typeof json;
    } catch (err) {
      throw relayError(
        `${method}: the relay at ${where} answered HTTP ${response.status} without JSON`,
        {
          method,
          relay: where,
          status: response.status,
        },
        err,
      );
    }
    if (json.error !== undefined || json.result === undefined)
      throw relayError(`${method}: the relay at ${where} refused: ${json.error?.message ?? 'no result'}`, {
        method,
        relay: where,
        status: response.status,
        code: json.error?.code,
      });
    return json.result;
  }

  /** Runs the gates and sends the bundle (see the file comment). */
  async submit(signedTxs: readonly Hex[], options: SubmitOptions): Promise<BundleHandle> {
    if (signedTxs.length === 0)
      throw new ConcordError('CONCORD_ERR_EVM_TX_INVALID', 'a bundle needs at least one transaction', {
        details: {},
      });
    const { client, endpoint } = this.options;
    const calls = await Promise.all(signedTxs.map((tx) => callOfSigned(tx)));
    const reverting = new Set((options.revertingTxHashes ?? []).map((h) => h.toLowerCase()));
    const txHashes = signedTxs.map((tx) => keccak256(tx));

    // Gate 1: our own simulation.
    if (calls.length === 1) {
      requireSimulated(
        await simulate(client, endpoint, calls[0] as (typeof calls)[0], { abi: this.options.abi }),
        'the transaction',
      );
    } else {
      const measured = await measureGas(client, endpoint, calls, {
        abi: this.options.abi,
        blockTag: 'latest',
      });
      measured.forEach((m, i) => {
        if (!m.ok && !reverting.has((txHashes[i] as Hex).toLowerCase()))
          throw new ConcordError(
            'CONCORD_ERR_EVM_SIMULATION_FAILED',
            `bundle transaction ${i} failed its simulation and the bundle was not submitted: ${m.error?.name ?? 'reverted'}`,
            { details: { index: i, ...(m.error ? { error: m.error.name } : {}) } },
          );
      });
    }

    // Gate 2: the relay's simulation for the target block.
    const blockNumber = `0x${options.targetBlock.toString(16)}`;
    this.sent.eth_callBundle++;
    const simulated = await this.relay<CallBundleResult>('eth_callBundle', [
      {
        txs: signedTxs,
        blockNumber,
        stateBlockNumber: 'latest',
        ...(options.timestamp === undefined ? {} : { timestamp: Number(options.timestamp) }),
      },
    ]);
    const results = simulated.results ?? [];
    if (results.length !== signedTxs.length)
      throw relayError('eth_callBundle answered for a different number of transactions', {
        expected: signedTxs.length,
        got: results.length,
      });
    results.forEach((r, i) => {
      if (
        (r.error !== undefined || r.revert !== undefined) &&
        !reverting.has((txHashes[i] as Hex).toLowerCase())
      )
        throw new ConcordError(
          'CONCORD_ERR_EVM_SIMULATION_FAILED',
          `bundle transaction ${i} reverts in the relay's simulation of block ${options.targetBlock}; the bundle was not submitted`,
          { details: { index: i, error: r.error ?? 'reverted', revert: r.revert } },
        );
    });

    // Gate 3: send, and check the relay names the bundle we built.
    const bundleHash = bundleHashOf(txHashes);
    this.sent.eth_sendBundle++;
    const sent = await this.relay<{ bundleHash?: string }>('eth_sendBundle', [
      {
        txs: signedTxs,
        blockNumber,
        ...(reverting.size > 0 ? { revertingTxHashes: [...reverting] } : {}),
      },
    ]);
    if (sent.bundleHash?.toLowerCase() !== bundleHash.toLowerCase())
      throw relayError('eth_sendBundle answered with another bundle hash', {
        expected: bundleHash,
        got: sent.bundleHash,
      });

    const head = await rpc('eth_getBlockByNumber latest', endpoint, () =>
      client.getBlock({ blockTag: 'latest' }),
    );
    const ts = Number(head.timestamp) * 1000;
    const handle: BundleHandle = {
      bundleHash,
      txHashes,
      targetBlock: options.targetBlock,
      status: 'pending',
      includedIn: undefined,
      history: [{ status: 'pending', block: head.number as bigint }],
      simulatedGas: results.map((r) => BigInt(r.gasUsed ?? 0)),
      txs: calls.map((c, i) => ({
        chainId: this.options.chainId,
        hash: txHashes[i] as Hex,
        from: c.from,
        nonce: c.nonce ?? 0,
        status: 'pending',
        decisionId: options.decisionId ?? bundleHash,
        leg: i,
        submittedTs: ts,
        updatedTs: ts,
      })),
    };
    this.tracked.set(bundleHash, handle);
    return handle;
  }

  /**
   * Reads inclusion as of block `head` (default: the latest). Returns the bundles whose status
   * changed. Bundles that ended (included, or not included past their block) stay tracked, so a
   * reorg that undoes an inclusion is still seen.
   */
  async track(head?: bigint): Promise<BundleHandle[]> {
    const { client, endpoint } = this.options;
    const block = await rpc('eth_getBlockByNumber', endpoint, () =>
      head === undefined ? client.getBlock({ blockTag: 'latest' }) : client.getBlock({ blockNumber: head }),
    );
    const at = block.number as bigint;
    const ts = Number(block.timestamp) * 1000;
    const changed: BundleHandle[] = [];
    const finality = BigInt(this.options.finalityDepth ?? 64);
    for (const handle of [...this.tracked.values()]) {
      const endedAt = handle.status === 'not-included' ? handle.targetBlock : handle.includedIn;
      if (endedAt !== undefined && at - endedAt > finality) {
        this.tracked.delete(handle.bundleHash);
        continue;
      }
      if (handle.status === 'not-included') continue;
      const receipts = await Promise.all(
        handle.txHashes.map((hash) =>
          rpc('eth_getTransactionReceipt', endpoint, async () => {
            try {
              return await client.getTransactionReceipt({ hash });
            } catch (err) {
              if ((err as { name?: string }).name === 'TransactionReceiptNotFoundError') return undefined;
              throw err;
            }
          }),
        ),
      );
      const landed = receipts.filter((r): r is TransactionReceipt => r !== undefined && r.blockNumber <= at);
      const before = handle.status;
      if (landed.length === handle.txHashes.length) {
        this.move(
          handle,
          landed.some((r) => r.status !== 'success') ? 'reverted' : 'included',
          at,
          ts,
          receipts,
        );
        handle.includedIn = landed[0]?.blockNumber;
      } else if (before === 'included' || before === 'reverted') {
        // A reorg took the block away: back to pending (it may land again, or not).
        handle.includedIn = undefined;
        this.move(handle, 'pending', at, ts, receipts);
      }
      if (handle.status === 'pending' && at >= handle.targetBlock && landed.length === 0)
        this.move(handle, 'not-included', at, ts, receipts);
      if (handle.status !== before) changed.push(handle);
    }
    return changed;
  }

  /** One status step of a bundle and of each of its transactions (model rules: no step skipped). */
  private move(
    handle: BundleHandle,
    status: BundleStatus,
    at: bigint,
    ts: number,
    receipts: readonly (TransactionReceipt | undefined)[],
  ): void {
    if (handle.status === status) return;
    handle.status = status;
    handle.history.push({ status, block: at });
    handle.txs = handle.txs.map((tx, i) => {
      const r = receipts[i];
      const to: ChainTxStatus =
        status === 'not-included'
          ? 'dropped'
          : status === 'pending'
            ? 'pending'
            : r?.status === 'success'
              ? 'included'
              : 'reverted';
      if (tx.status === to) return tx;
      const next = transitionChainTx(tx, to, ts);
      return r !== undefined && (to === 'included' || to === 'reverted')
        ? { ...next, blockNumber: Number(r.blockNumber), gasUsed: r.gasUsed }
        : { ...next, blockNumber: undefined, gasUsed: undefined };
    });
  }
}
