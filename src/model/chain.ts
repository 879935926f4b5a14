/**
 * On-chain transactions have their own lifecycle: a transaction can sit in the
 * mempool, be included (and still revert), be replaced by another with the same
 * nonce, or be dropped.
 */
import { ConcordError } from '../core/index.ts';

export type ChainTxStatus = 'pending' | 'included' | 'reverted' | 'replaced' | 'dropped';

const CHAIN_TRANSITIONS: Readonly<Record<ChainTxStatus, readonly ChainTxStatus[]>> = {
  pending: ['included', 'reverted', 'replaced', 'dropped'],
  // A re-org can put an included transaction back in the mempool.
  included: ['pending'],
  reverted: ['pending'],
  replaced: [],
  dropped: ['pending'],
};

export interface ChainTx {
  readonly chainId: number;
  readonly hash: string;
  readonly from: string;
  readonly nonce: number;
  status: ChainTxStatus;
  blockNumber?: number;
  gasUsed?: bigint;
  replacedBy?: string;
  /** The intent (and leg) this transaction carries. */
  readonly decisionId: string;
  readonly leg: number;
  readonly submittedTs: number;
  updatedTs: number;
}

export function canChainTransition(from: ChainTxStatus, to: ChainTxStatus): boolean {
  return CHAIN_TRANSITIONS[from].includes(to);
}

export function transitionChainTx(tx: ChainTx, to: ChainTxStatus, ts: number): ChainTx {
  if (!canChainTransition(tx.status, to)) {
    throw new ConcordError(
      'CONCORD_ERR_CHAIN_TX_TRANSITION',
      `transaction ${tx.hash} cannot go from ${tx.status} to ${to}`,
      {
        details: { hash: tx.hash, from: tx.status, to },
      },
    );
  }
  return { ...tx, status: to, updatedTs: ts };
}
