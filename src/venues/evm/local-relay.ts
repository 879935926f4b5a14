/**
 * A local stand-in for a Flashbots-style relay, for tests and local chains: a loopback HTTP
 * JSON-RPC server that speaks `eth_sendBundle` and `eth_callBundle` as Flashbots documents them,
 * and acts as the block builder of a local node (anvil) behind it.
 *
 * - Requests must carry `X-Flashbots-Signature: <address>:<signature>`, the signature being an
 *   EIP-191 personal signature of the hex keccak256 of the request body (as Flashbots checks it).
 * - `eth_callBundle` runs the bundle's transactions in order on top of the given state block
 *   (eth_simulateV1 on the node) and answers per transaction: gas used, gas price, fees, return
 *   value or revert.
 * - `eth_sendBundle` queues a bundle for its target block and answers `{bundleHash}`
 *   (keccak256 of the concatenated transaction hashes).
 * - `buildBlock()` builds the next block (timestamp: the parent's plus `slotSeconds`): every queued
 *   bundle for it is simulated again on the current state (after the bundles already taken); one
 *   whose transaction reverts (and is not in `revertingTxHashes`) is left out; the others are sent
 *   to the node and mined in one block. Bundles for past blocks expire.
 *
 * It counts every request it receives, so a test can prove what reached it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BaseError,
  type Block,
  concat,
  createPublicClient,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  recoverMessageAddress,
} from 'viem';
import { z } from 'zod';
import { ConcordError } from '../../core/index.ts';
import { isTransportError } from './client.ts';
import type { Address } from './config.ts';
import { effectiveGasPrice, nextBaseFee } from './gas.ts';
import { type CallRequest, callOfSigned } from './simulate.ts';

export interface LocalRelayOptions {
  /** HTTP URL of the node the relay builds blocks for (anvil). */
  readonly upstream: string;
  /** Port on 127.0.0.1 (default: any free one). */
  readonly port?: number;
  /** Refuse requests without a valid X-Flashbots-Signature (default true). */
  readonly requireSignature?: boolean;
  /** EIP-1559 parameters of the node, to price simulated transactions (anvil: 8 and 2). */
  readonly baseFee?: { readonly denominator: number; readonly elasticity: number };
  /**
   * Seconds between blocks (default 12, as Ethereum's slots). Built blocks get the parent's
   * timestamp plus this, and `eth_callBundle` simulates at that timestamp unless the request names
   * one: gas can depend on the time (a V2 pair's price accumulators), so both must agree.
   */
  readonly slotSeconds?: number;
}

export type RelayBundleStatus = 'queued' | 'included' | 'left-out' | 'expired';

export interface RelayBundle {
  readonly bundleHash: Hex;
  readonly txs: readonly Hex[];
  readonly txHashes: readonly Hex[];
  readonly blockNumber: bigint;
  readonly revertingTxHashes: readonly Hex[];
  readonly searcher: Address | undefined;
  status: RelayBundleStatus;
  includedIn: bigint | undefined;
  /** Why the builder left it out: `reverted` or `invalid: <node's reason>`. */
  leftOutBecause: string | undefined;
}

export interface RelayCounts {
  eth_sendBundle: number;
  eth_callBundle: number;
  /** Requests answered with an error (bad JSON, bad signature, unknown method, bad params). */
  refused: number;
}

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, 'a 0x-prefixed hex string');
const quantity = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'a hex quantity');
const sendBundleParams = z.tuple([
  z.looseObject({
    txs: z
      .array(hex.transform((h) => h as Hex))
      .min(1)
      .max(100),
    blockNumber: quantity,
    minTimestamp: z.number().int().nonnegative().optional(),
    maxTimestamp: z.number().int().nonnegative().optional(),
    revertingTxHashes: z.array(hex.transform((h) => h.toLowerCase() as Hex)).optional(),
    replacementUuid: z.string().optional(),
  }),
]);
const callBundleParams = z.tuple([
  z.looseObject({
    txs: z
      .array(hex.transform((h) => h as Hex))
      .min(1)
      .max(100),
    blockNumber: quantity,
    stateBlockNumber: z.union([quantity, z.literal('latest')]),
    timestamp: z.number().int().nonnegative().optional(),
  }),
]);
const requestSchema = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.number(), z.string(), z.null()]),
  method: z.string(),
  params: z.array(z.unknown()).default([]),
});

const MAX_BODY = 1 << 20;

class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus = 200,
  ) {
    super(message);
  }
}

export function bundleHashOf(txHashes: readonly Hex[]): Hex {
  return keccak256(concat(txHashes as Hex[]));
}

export class LocalRelay {
  readonly counts: RelayCounts = { eth_sendBundle: 0, eth_callBundle: 0, refused: 0 };
  private readonly queued: RelayBundle[] = [];
  private readonly node: PublicClient;
  private server: Server | undefined;
  private port = 0;

  private constructor(private readonly options: LocalRelayOptions) {
    this.node = createPublicClient({ transport: http(options.upstream, { retryCount: 0 }) }) as PublicClient;
  }

  static async start(options: LocalRelayOptions): Promise<LocalRelay> {
    const relay = new LocalRelay(options);
    await relay.listen(options.port ?? 0);
    return relay;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every bundle received, in order. */
  bundles(): readonly RelayBundle[] {
    return this.queued;
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err) => this.reply(res, null, undefined, err));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new RpcFailure(-32600, 'request body above 1 MiB', 413);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let id: number | string | null = null;
    try {
      if (req.method !== 'POST') throw new RpcFailure(-32600, 'POST a JSON-RPC request', 405);
      const body = await this.readBody(req);
      const searcher = await this.authenticate(req, body);
      let raw: unknown;
      try {
        raw = JSON.parse(body);
      } catch {
        throw new RpcFailure(-32700, 'parse error: the body is not JSON');
      }
      const parsed = requestSchema.safeParse(raw);
      if (!parsed.success) throw new RpcFailure(-32600, 'invalid JSON-RPC request');
      id = parsed.data.id;
      const { method, params } = parsed.data;
      let result: unknown;
      if (method === 'eth_sendBundle') {
        const p = sendBundleParams.safeParse(params);
        if (!p.success) throw new RpcFailure(-32602, `invalid params: ${p.error.issues[0]?.message}`);
        this.counts.eth_sendBundle++;
        result = await this.sendBundle(p.data[0], searcher);
      } else if (method === 'eth_callBundle') {
        const p = callBundleParams.safeParse(params);
        if (!p.success) throw new RpcFailure(-32602, `invalid params: ${p.error.issues[0]?.message}`);
        this.counts.eth_callBundle++;
        result = await this.callBundle(p.data[0]);
      } else throw new RpcFailure(-32601, `method ${method} is not served by this relay`);
      this.reply(res, id, result);
    } catch (err) {
      this.reply(res, id, undefined, err);
    }
  }

  private async authenticate(req: IncomingMessage, body: string): Promise<Address | undefined> {
    const header = req.headers['x-flashbots-signature'];
    if (typeof header !== 'string') {
      if (this.options.requireSignature === false) return undefined;
      throw new RpcFailure(-32600, 'missing X-Flashbots-Signature header', 403);
    }
    const [address, signature] = header.split(':');
    if (!address || !signature || !/^0x[0-9a-fA-F]{40}$/.test(address) || !/^0x[0-9a-fA-F]+$/.test(signature))
      throw new RpcFailure(-32600, 'X-Flashbots-Signature must be <address>:<signature>', 403);
    let signer: Address;
    try {
      signer = await recoverMessageAddress({
        message: keccak256(new TextEncoder().encode(body)),
        signature: signature as Hex,
      });
    } catch {
      throw new RpcFailure(-32600, 'X-Flashbots-Signature does not verify', 403);
    }
    if (signer.toLowerCase() !== address.toLowerCase())
      throw new RpcFailure(-32600, 'X-Flashbots-Signature was not made by the address it names', 403);
    return signer;
  }

  private reply(res: ServerResponse, id: number | string | null, result?: unknown, err?: unknown): void {
    if (res.headersSent) return;
    let status = 200;
    let payload: unknown;
    if (err === undefined) payload = { jsonrpc: '2.0', id, result };
    else {
      if (err instanceof RpcFailure) this.counts.refused++;
      const code = err instanceof RpcFailure ? err.code : -32000;
      status = err instanceof RpcFailure ? err.httpStatus : 200;
      payload = {
        jsonrpc: '2.0',
        id,
        error: { code, message: err instanceof Error ? err.message : String(err) },
      };
    }
    const text = JSON.stringify(payload, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  }

  private async decodeTxs(txs: readonly Hex[]): Promise<{ calls: CallRequest[]; hashes: Hex[] }> {
    const calls: CallRequest[] = [];
    for (const tx of txs) {
      try {
        calls.push(await callOfSigned(tx));
      } catch {
        throw new RpcFailure(-32602, 'a bundle transaction is not a signed call transaction');
      }
    }
    return { calls, hashes: txs.map((tx) => keccak256(tx)) };
  }

  private async sendBundle(
    p: z.output<typeof sendBundleParams>[0],
    searcher: Address | undefined,
  ): Promise<{ bundleHash: Hex }> {
    const { hashes } = await this.decodeTxs(p.txs);
    const bundle: RelayBundle = {
      bundleHash: bundleHashOf(hashes),
      txs: p.txs,
      txHashes: hashes,
      blockNumber: BigInt(p.blockNumber),
      revertingTxHashes: p.revertingTxHashes ?? [],
      searcher,
      status: 'queued',
      includedIn: undefined,
      leftOutBecause: undefined,
    };
    this.queued.push(bundle);
    return { bundleHash: bundle.bundleHash };
  }

  private async latest(): Promise<Block> {
    return this.node.getBlock({ blockTag: 'latest' });
  }

  private priceAt(block: Block, call: CallRequest): bigint {
    const model = this.options.baseFee ?? { denominator: 8, elasticity: 2 };
    const base =
      block.baseFeePerGas === null
        ? 0n
        : nextBaseFee(
            { baseFeePerGas: block.baseFeePerGas, gasUsed: block.gasUsed, gasLimit: block.gasLimit },
            model,
          );
    if (call.maxFeePerGas === undefined) return base;
    return effectiveGasPrice(base, call.maxFeePerGas, call.maxPriorityFeePerGas ?? 0n);
  }

  private nextTimestamp(latest: Block): bigint {
    return latest.timestamp + BigInt(this.options.slotSeconds ?? 12);
  }

  /** Runs calls in order on the latest state, in a block of this number and time; each call's outcome. */
  /**
   * Runs calls in order on the latest state, in a block of this number and time, with the node's
   * validation on (nonce, balance, fees, as a builder checks them); each call's outcome. A
   * transaction that fails validation (e.g. its nonce was used meanwhile) fails the bundle.
   */
  private async run(calls: readonly CallRequest[], blockNumber: bigint, timestamp: bigint) {
    try {
      const blocks = await this.node.simulateBlocks({
        blockTag: 'latest',
        validation: true,
        blocks: [
          {
            blockOverrides: { number: blockNumber, time: timestamp },
            calls: calls.map((c) => ({
              account: c.from,
              to: c.to,
              data: c.data,
              value: c.value,
              gas: c.gas,
              nonce: c.nonce,
              ...(c.maxFeePerGas === undefined
                ? {}
                : { maxFeePerGas: c.maxFeePerGas, maxPriorityFeePerGas: c.maxPriorityFeePerGas ?? 0n }),
            })),
          },
        ],
      });
      return blocks[0]?.calls ?? [];
    } catch (err) {
      if (isTransportError(err)) throw err;
      const reason = err instanceof BaseError ? err.shortMessage : String(err);
      return calls.map(() => ({
        status: 'failure' as const,
        data: '0x' as Hex,
        gasUsed: 0n,
        invalid: reason,
      }));
    }
  }

  private async callBundle(p: z.output<typeof callBundleParams>[0]) {
    const { calls, hashes } = await this.decodeTxs(p.txs);
    const latest = await this.latest();
    if (p.stateBlockNumber !== 'latest' && BigInt(p.stateBlockNumber) !== latest.number)
      throw new RpcFailure(
        -32602,
        'this relay simulates on the latest block only (stateBlockNumber "latest")',
      );
    const timestamp = p.timestamp === undefined ? this.nextTimestamp(latest) : BigInt(p.timestamp);
    const outcomes = await this.run(calls, BigInt(p.blockNumber), timestamp);
    let totalGas = 0n;
    let totalFees = 0n;
    let totalCoinbase = 0n;
    const results = outcomes.map((o, i) => {
      const call = calls[i] as CallRequest;
      const gasPrice = this.priceAt(latest, call);
      const base = this.priceAt(latest, { ...call, maxFeePerGas: undefined });
      const gasFees = o.gasUsed * gasPrice;
      const coinbaseDiff = o.gasUsed * (gasPrice - base);
      totalGas += o.gasUsed;
      totalFees += gasFees;
      totalCoinbase += coinbaseDiff;
      return {
        coinbaseDiff: coinbaseDiff.toString(),
        ethSentToCoinbase: '0',
        fromAddress: call.from,
        gasFees: gasFees.toString(),
        gasPrice: gasPrice.toString(),
        gasUsed: Number(o.gasUsed),
        toAddress: call.to,
        txHash: hashes[i],
        value: o.status === 'success' ? o.data : '0x',
        ...(o.status === 'success'
          ? {}
          : 'invalid' in o
            ? { error: `invalid: ${o.invalid}` }
            : { error: 'execution reverted', revert: o.data }),
      };
    });
    return {
      bundleGasPrice: (totalGas === 0n ? 0n : totalFees / totalGas).toString(),
      bundleHash: bundleHashOf(hashes),
      coinbaseDiff: totalCoinbase.toString(),
      ethSentToCoinbase: '0',
      gasFees: totalFees.toString(),
      results,
      stateBlockNumber: Number(latest.number),
      totalGasUsed: Number(totalGas),
    };
  }

  /**
   * Builds the next block from the queued bundles for it (see the file comment). Returns the
   * block number and the bundles included and left out.
   */
  async buildBlock(): Promise<{ blockNumber: bigint; included: Hex[]; leftOut: Hex[] }> {
    const latest = await this.latest();
    const target = (latest.number as bigint) + 1n;
    const timestamp = this.nextTimestamp(latest);
    const taken: CallRequest[] = [];
    const included: RelayBundle[] = [];
    const leftOut: Hex[] = [];
    for (const b of this.queued) {
      if (b.status !== 'queued') continue;
      if (b.blockNumber < target) {
        b.status = 'expired';
        continue;
      }
      if (b.blockNumber !== target) continue;
      const { calls } = await this.decodeTxs(b.txs);
      const outcomes = await this.run([...taken, ...calls], target, timestamp);
      const mine = outcomes.slice(taken.length);
      const ok = mine.every(
        (o, i) =>
          o.status === 'success' || b.revertingTxHashes.includes((b.txHashes[i] as Hex).toLowerCase() as Hex),
      );
      if (!ok) {
        const invalid = mine.find((o) => 'invalid' in o);
        b.leftOutBecause =
          invalid !== undefined && 'invalid' in invalid ? `invalid: ${invalid.invalid}` : 'reverted';
        b.status = 'left-out';
        leftOut.push(b.bundleHash);
        continue;
      }
      taken.push(...calls);
      included.push(b);
    }
    await this.node.request({
      method: 'evm_setNextBlockTimestamp' as 'eth_chainId',
      params: [Number(timestamp)] as never,
    });
    if (included.length > 0) {
      await this.node.request({ method: 'evm_setAutomine' as 'eth_chainId', params: [false] as never });
      try {
        for (const b of included)
          for (const tx of b.txs) await this.node.request({ method: 'eth_sendRawTransaction', params: [tx] });
        await this.node.request({ method: 'evm_mine' as 'eth_chainId', params: [] as never });
      } finally {
        await this.node.request({ method: 'evm_setAutomine' as 'eth_chainId', params: [true] as never });
      }
      for (const b of included) {
        b.status = 'included';
        b.includedIn = target;
      }
    } else {
      await this.node.request({ method: 'evm_mine' as 'eth_chainId', params: [] as never });
    }
    const mined = await this.latest();
    if (mined.number !== target)
      throw new ConcordError('CONCORD_ERR_EVM_RELAY', `the node mined block ${mined.number}, not ${target}`, {
        details: { target: target.toString() },
      });
    return { blockNumber: target, included: included.map((b) => b.bundleHash), leftOut };
  }
}
