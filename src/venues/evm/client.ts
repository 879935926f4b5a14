/**
 * viem clients for one chain, and the one place RPC failures become coded errors.
 *
 * HTTP carries every read (JSON-RPC batching on, so a tick-bitmap scan is a few requests); a
 * WebSocket endpoint, when configured, only wakes the syncer on new heads. A failure to reach
 * the node is CONCORD_ERR_EVM_RPC (retryable: nothing was changed by a read); the endpoint is
 * named by scheme and host only.
 */
import {
  BaseError,
  type Chain,
  createPublicClient,
  defineChain,
  HttpRequestError,
  http,
  type PublicClient,
  RpcRequestError,
  TimeoutError,
  WebSocketRequestError,
  webSocket,
} from 'viem';
import { ConcordError, isConcordError } from '../../core/index.ts';
import { type EvmChainConfig, redactUrl } from './config.ts';

export interface EvmClients {
  readonly chain: Chain;
  readonly http: PublicClient;
  /** Present when the config has a WebSocket endpoint: new-head subscriptions. */
  readonly ws: PublicClient | undefined;
}

export function viemChain(config: EvmChainConfig): Chain {
  return defineChain({
    id: config.chainId,
    name: config.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: {
      default: { http: [config.rpc.http], ...(config.rpc.ws ? { webSocket: [config.rpc.ws] } : {}) },
    },
  });
}

export function createEvmClients(config: EvmChainConfig): EvmClients {
  const chain = viemChain(config);
  const httpClient = createPublicClient({
    chain,
    transport: http(config.rpc.http, { batch: { batchSize: 500, wait: 0 }, retryCount: 0, timeout: 30_000 }),
  }) as PublicClient;
  const wsClient =
    config.rpc.ws === undefined
      ? undefined
      : (createPublicClient({
          chain,
          transport: webSocket(config.rpc.ws, { retryCount: 0 }),
        }) as PublicClient);
  return { chain, http: httpClient, ws: wsClient };
}

/** True when a viem error says the node could not be reached or did not answer (not a revert). */
export function isTransportError(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false;
  return (
    err.walk(
      (e) =>
        e instanceof HttpRequestError ||
        e instanceof TimeoutError ||
        e instanceof WebSocketRequestError ||
        (e instanceof RpcRequestError && e.code === -32603 && !/revert/i.test(e.message)),
    ) !== null
  );
}

/** Runs one RPC read; any failure becomes CONCORD_ERR_EVM_RPC naming what was asked. */
export async function rpc<T>(what: string, endpoint: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConcordError(err)) throw err;
    const short =
      err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err);
    throw new ConcordError('CONCORD_ERR_EVM_RPC', `${what} failed at ${redactUrl(endpoint)}: ${short}`, {
      details: { what, endpoint: redactUrl(endpoint) },
      cause: err,
      retryable: true,
    });
  }
}

/** Checks that the node serves the configured chain (a wrong endpoint would sign for another chain). */
export async function verifyChainId(config: EvmChainConfig, client: PublicClient): Promise<void> {
  const served = await rpc('eth_chainId', config.rpc.http, () => client.getChainId());
  if (served !== config.chainId)
    throw new ConcordError(
      'CONCORD_ERR_EVM_CONFIG_INVALID',
      `the RPC endpoint ${redactUrl(config.rpc.http)} serves chain ${served}, but the config says ${config.chainId}`,
      { details: { path: 'chain.chainId', served, configured: config.chainId } },
    );
}
