/**
 * Nonces of one sending account, kept locally so transactions can go out back to back.
 *
 * The counter starts from the node's `pending` transaction count (on first use, after a restart,
 * and after `resync()`, which a nonce error or an abandoned nonce calls). `reserve()` hands out
 * the next nonce; a reservation whose transaction was never sent (its simulation failed) is
 * handed back with `release()`, so no gap is left. Callers serialise reservations (the venue
 * submits one transaction at a time), so two live transactions never share a nonce except a
 * replacement, which reuses its original's nonce on purpose and reserves nothing.
 */
import type { PublicClient } from 'viem';
import { rpc } from './client.ts';
import type { Address } from './config.ts';

export class NonceManager {
  private next: number | undefined;

  constructor(
    private readonly client: PublicClient,
    private readonly endpoint: string,
    readonly address: Address,
  ) {}

  /** The chain's view: transactions of this account counted in the pending block. */
  chainPending(): Promise<number> {
    return rpc('eth_getTransactionCount pending', this.endpoint, () =>
      this.client.getTransactionCount({ address: this.address, blockTag: 'pending' }),
    );
  }

  /** The chain's view: transactions of this account mined in the latest block. */
  chainLatest(): Promise<number> {
    return rpc('eth_getTransactionCount latest', this.endpoint, () =>
      this.client.getTransactionCount({ address: this.address, blockTag: 'latest' }),
    );
  }

  async reserve(): Promise<number> {
    if (this.next === undefined) this.next = await this.chainPending();
    const nonce = this.next;
    this.next = nonce + 1;
    return nonce;
  }

  /** Hands back a reserved nonce that was not used (only the last one reserved can be). */
  release(nonce: number): void {
    if (this.next === nonce + 1) this.next = nonce;
    else this.next = undefined;
  }

  /** Forgets the local counter: the next reservation reads the chain again. */
  resync(): void {
    this.next = undefined;
  }

  /** The next nonce the counter would hand out, when known. */
  peek(): number | undefined {
    return this.next;
  }
}
