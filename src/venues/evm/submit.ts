/**
 * Public-mempool submission, behind the same simulation gate as bundles: a signed transaction is
 * simulated from its own bytes on the pending block and sent only if that succeeded.
 *
 * A send that fails in transit has an unknown outcome (the node may have taken it): it is
 * reported as CONCORD_ERR_EVM_SUBMIT_UNKNOWN with the transaction's hash, never retried here. Its
 * fate is read from the chain by hash (the same nonce cannot land twice).
 */
import { type Hex, keccak256, type PublicClient } from 'viem';
import { ConcordError } from '../../core/index.ts';
import { redactUrl } from './config.ts';
import { requireSimulated, type SimulateOptions, simulateSigned } from './simulate.ts';

export async function submitPublic(
  client: PublicClient,
  endpoint: string,
  serialized: Hex,
  options: SimulateOptions = {},
): Promise<Hex> {
  requireSimulated(await simulateSigned(client, endpoint, serialized, options), 'the transaction');
  const hash = keccak256(serialized);
  try {
    return await client.sendRawTransaction({ serializedTransaction: serialized });
  } catch (err) {
    throw new ConcordError(
      'CONCORD_ERR_EVM_SUBMIT_UNKNOWN',
      `eth_sendRawTransaction at ${redactUrl(endpoint)} failed: transaction ${hash} may or may not have been taken; read its fate from the chain, do not resend it blindly`,
      { details: { hash, endpoint: redactUrl(endpoint) }, cause: err, retryable: false },
    );
  }
}
