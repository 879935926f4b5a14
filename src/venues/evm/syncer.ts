/**
 * Pool state, block by block, with reorgs rolled back.
 *
 * `start()` reads every pool at one block (the base). `syncTo(n)` then walks the chain one block
 * at a time: it fetches the block's header, checks that its parentHash is the hash of the block
 * it applied last, and applies that block's pool events (fetched by block hash, so they belong to
 * exactly that block): Sync for V2-style pairs; Initialize, Swap, Mint and Burn for V3-style
 * pools; PairCreated / PoolCreated of watched factories add pools. Each applied block keeps the
 * states it replaced (an undo log), for the last `maxReorgDepth` blocks.
 *
 * A parentHash that does not match, or a head whose hash changed, is a reorg: the syncer walks
 * back comparing its block hashes with the chain's until they agree (the common ancestor), undoes
 * every block above it, reports the reorg, and applies the new branch. A reorg deeper than the
 * undo log cannot be rolled back: CONCORD_ERR_EVM_REORG_TOO_DEEP, and the syncer refuses to sync
 * until `start()` reads everything afresh (fail closed: it never quotes from a state it cannot
 * vouch for).
 *
 * Every pool a block changed is reported once per block (`onUpdate`), with the market event
 * `PoolState` (a V3 pool's full tick list when its ticks changed). Calls are serialised; one call
 * applies at most `maxBlocksPerSync` blocks.
 */
import type { Hex, PublicClient } from 'viem';
import { ConcordError, isConcordError } from '../../core/index.ts';
import type { AmmPoolInstrument, PoolState } from '../../model/index.ts';
import { POOL_EVENTS } from './abi.ts';
import { rpc } from './client.ts';
import type { Address } from './config.ts';
import { type FactoryWatch, poolFromCreationLog } from './discovery.ts';
import {
  applyLiquidity,
  applyPrice,
  applySync,
  type ChainPoolState,
  type EvmPoolInfo,
  emptyState,
  type GraphPoolInput,
  toGraphInput,
  toPoolEvent,
  toPoolInstrument,
} from './pools.ts';
import { checkV3, readPoolState } from './reader.ts';

export interface BlockRef {
  readonly number: bigint;
  readonly hash: Hex;
  readonly parentHash: Hex;
  /** Seconds since the epoch, as the block says. */
  readonly timestamp: bigint;
  readonly baseFeePerGas: bigint | undefined;
  readonly gasUsed: bigint;
  readonly gasLimit: bigint;
}

export interface PoolUpdate {
  readonly pool: EvmPoolInfo;
  readonly state: ChainPoolState;
  /** The block the state is as of (the common ancestor after a rollback). */
  readonly block: BlockRef;
  readonly cause: 'start' | 'block' | 'rollback';
  readonly event: PoolState;
}

export interface ReorgNotice {
  /** Blocks undone. */
  readonly depth: number;
  /** The last block both branches share. */
  readonly ancestor: BlockRef;
  /** The undone blocks, lowest first. */
  readonly dropped: readonly BlockRef[];
}

export interface SyncReport {
  readonly head: BlockRef;
  /** Blocks applied by this call (re-applied ones after a reorg included). */
  readonly applied: number;
  readonly reorgs: readonly ReorgNotice[];
  /** False when the block bound stopped the call before the target. */
  readonly caughtUp: boolean;
}

export interface PoolSyncerOptions {
  /** Venue id of the market events (`evm-<chainId>`). */
  readonly venue: string;
  readonly chainId: number;
  /** The HTTP endpoint, for error messages (scheme and host only are shown). */
  readonly endpoint: string;
  readonly maxReorgDepth?: number;
  readonly maxBlocksPerSync?: number;
  /** Factories whose new pools join while syncing. */
  readonly factories?: readonly FactoryWatch[];
  /** Up to this many pools (and no factory), logs are asked for by address; beyond, by event only. */
  readonly addressFilterLimit?: number;
}

interface BlockEntry {
  readonly block: BlockRef;
  /** State of each pool before this block changed it; undefined when the block created the pool. */
  readonly undo: Map<string, ChainPoolState | undefined>;
}

interface Tracked {
  readonly info: EvmPoolInfo;
  state: ChainPoolState;
}

function toRef(b: {
  number: bigint | null;
  hash: Hex | null;
  parentHash: Hex;
  timestamp: bigint;
  baseFeePerGas: bigint | null;
  gasUsed: bigint;
  gasLimit: bigint;
}): BlockRef {
  if (b.number === null || b.hash === null)
    throw new ConcordError('CONCORD_ERR_EVM_RPC', 'the node returned a block without number or hash', {
      details: {},
      retryable: true,
    });
  return {
    number: b.number,
    hash: b.hash,
    parentHash: b.parentHash,
    timestamp: b.timestamp,
    baseFeePerGas: b.baseFeePerGas ?? undefined,
    gasUsed: b.gasUsed,
    gasLimit: b.gasLimit,
  };
}

type Listener<T> = (value: T) => void;

export class PoolSyncer {
  private readonly pools = new Map<string, Tracked>();
  private readonly initial: readonly EvmPoolInfo[];
  private readonly factories: ReadonlyMap<string, FactoryWatch>;
  private readonly maxReorgDepth: number;
  private readonly maxBlocksPerSync: number;
  private readonly addressFilterLimit: number;
  private base: BlockRef | undefined;
  private readonly history: BlockEntry[] = [];
  private stale: ConcordError | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly updateListeners = new Set<Listener<PoolUpdate>>();
  private readonly reorgListeners = new Set<Listener<ReorgNotice>>();
  private readonly blockListeners = new Set<Listener<BlockRef>>();

  constructor(
    private readonly client: PublicClient,
    pools: readonly EvmPoolInfo[],
    private readonly options: PoolSyncerOptions,
  ) {
    this.initial = pools;
    this.factories = new Map((options.factories ?? []).map((f) => [f.address.toLowerCase(), f]));
    this.maxReorgDepth = options.maxReorgDepth ?? 64;
    this.maxBlocksPerSync = options.maxBlocksPerSync ?? 1_000;
    this.addressFilterLimit = options.addressFilterLimit ?? 1_000;
  }

  // ── reading ──

  /** The last block applied. */
  get head(): BlockRef {
    const last = this.history[this.history.length - 1];
    const head = last?.block ?? this.base;
    if (head === undefined)
      throw new ConcordError(
        'CONCORD_ERR_EVM_SYNC_NOT_STARTED',
        'the pool syncer has not started: call start()',
        {
          details: {},
        },
      );
    return head;
  }

  /** Blocks that can still be rolled back. */
  get depth(): number {
    return this.history.length;
  }

  poolInfos(): EvmPoolInfo[] {
    return [...this.pools.values()].map((t) => t.info);
  }

  info(address: string): EvmPoolInfo | undefined {
    return this.pools.get(address.toLowerCase())?.info;
  }

  state(address: string): ChainPoolState | undefined {
    return this.pools.get(address.toLowerCase())?.state;
  }

  /** Every pool that can quote, as the arbitrage graph takes it. */
  graphInputs(): GraphPoolInput[] {
    const out: GraphPoolInput[] = [];
    for (const t of this.pools.values()) {
      const input = toGraphInput(t.info, t.state);
      if (input !== undefined) out.push(input);
    }
    return out;
  }

  instruments(): AmmPoolInstrument[] {
    return this.poolInfos().map((info) => toPoolInstrument(this.options.venue, this.options.chainId, info));
  }

  onUpdate(fn: Listener<PoolUpdate>): () => void {
    this.updateListeners.add(fn);
    return () => this.updateListeners.delete(fn);
  }

  onReorg(fn: Listener<ReorgNotice>): () => void {
    this.reorgListeners.add(fn);
    return () => this.reorgListeners.delete(fn);
  }

  /** Every block applied (the gas model follows the headers). */
  onBlock(fn: Listener<BlockRef>): () => void {
    this.blockListeners.add(fn);
    return () => this.blockListeners.delete(fn);
  }

  // ── syncing ──

  /** Reads every pool at `blockNumber` (default: the latest block) and makes it the base. */
  start(blockNumber?: bigint): Promise<BlockRef> {
    return this.serial(() => this.doStart(blockNumber));
  }

  /** Syncs to the node's latest block. */
  sync(): Promise<SyncReport> {
    return this.serial(async () => {
      const latest = await this.call('eth_blockNumber', () => this.client.getBlockNumber({ cacheTime: 0 }));
      return this.doSync(latest);
    });
  }

  /** Syncs to block `target` of the node's canonical chain. */
  syncTo(target: bigint): Promise<SyncReport> {
    return this.serial(() => this.doSync(target));
  }

  /**
   * Syncs on every new head a WebSocket client announces; `onError` receives what a sync threw.
   * Returns the unsubscribe function.
   */
  watch(ws: PublicClient, onError: (err: unknown) => void): () => void {
    const stop = ws.watchBlockNumber({
      onBlockNumber: () => {
        this.sync().catch(onError);
      },
      onError,
    });
    // Heads announced before the subscription was up are caught by syncing once now.
    this.sync().catch(onError);
    return stop;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return rpc(what, this.options.endpoint, fn);
  }

  private async fetchBlock(n: bigint): Promise<BlockRef | undefined> {
    const block = await this.call(`eth_getBlockByNumber ${n}`, async () => {
      try {
        return await this.client.getBlock({ blockNumber: n });
      } catch (err) {
        // viem throws BlockNotFoundError for a block the node does not have (a shorter branch).
        if ((err as { name?: string }).name === 'BlockNotFoundError') return undefined;
        throw err;
      }
    });
    return block === undefined ? undefined : toRef(block);
  }

  private async doStart(at: bigint | undefined): Promise<BlockRef> {
    for (let attempt = 0; ; attempt++) {
      const n =
        at ?? (await this.call('eth_blockNumber', () => this.client.getBlockNumber({ cacheTime: 0 })));
      const block = await this.fetchBlock(n);
      if (block === undefined)
        throw new ConcordError('CONCORD_ERR_EVM_RPC', `the node has no block ${n}`, {
          details: { block: n.toString() },
          retryable: true,
        });
      const states = await this.call(`reading ${this.initial.length} pools at block ${n}`, () =>
        Promise.all(this.initial.map((info) => readPoolState(this.client, info, n))),
      );
      // The reads were by number: if the block was replaced meanwhile, read again.
      const again = await this.fetchBlock(n);
      if (again?.hash !== block.hash) {
        if (attempt < 3) continue;
        throw new ConcordError('CONCORD_ERR_EVM_RPC', `block ${n} kept changing while the pools were read`, {
          details: { block: n.toString() },
          retryable: true,
        });
      }
      this.pools.clear();
      this.initial.forEach((info, i) => {
        this.pools.set(info.address, { info, state: states[i] as ChainPoolState });
      });
      this.history.length = 0;
      this.base = block;
      this.stale = undefined;
      for (const t of this.pools.values()) this.emitUpdate(t, block, 'start', true);
      return block;
    }
  }

  private async doSync(target: bigint): Promise<SyncReport> {
    if (this.stale !== undefined) throw this.stale;
    const reorgs: ReorgNotice[] = [];
    let applied = 0;
    if (target <= this.head.number) {
      // No new block, a lagging node, or a branch that replaced our head: only the last is a reorg.
      const canonical = await this.fetchBlock(this.head.number);
      if (canonical?.hash === this.head.hash) return { head: this.head, applied, reorgs, caughtUp: true };
      const notice = await this.rollBack(target < this.head.number ? target : this.head.number);
      if (notice.depth > 0) reorgs.push(notice);
    }
    // Bounded: blocks applied, and rounds that applied nothing (a reorg found, a block that vanished).
    let idle = 0;
    while (this.head.number < target) {
      if (applied >= this.maxBlocksPerSync) return { head: this.head, applied, reorgs, caughtUp: false };
      if (idle > 2 * this.maxReorgDepth + 8)
        throw new ConcordError(
          'CONCORD_ERR_EVM_RPC',
          `the node's blocks keep contradicting each other around block ${this.head.number + 1n}; try again later`,
          { details: { block: (this.head.number + 1n).toString() }, retryable: true },
        );
      const n = this.head.number + 1n;
      const block = await this.fetchBlock(n);
      if (block === undefined) break; // the chain got shorter under us; the next call sees it
      if (block.parentHash !== this.head.hash) {
        const notice = await this.rollBack(this.head.number);
        if (notice.depth > 0) reorgs.push(notice);
        idle++;
        continue;
      }
      if (await this.applyBlock(block)) applied++;
      else idle++;
    }
    return { head: this.head, applied, reorgs, caughtUp: true };
  }

  private refAt(n: bigint): BlockRef | undefined {
    const base = this.base as BlockRef;
    if (n === base.number) return base;
    const i = Number(n - base.number) - 1;
    return i >= 0 ? this.history[i]?.block : undefined;
  }

  /** Finds the common ancestor at or below `from`, undoes every block above it, reports the reorg. */
  private async rollBack(from: bigint): Promise<ReorgNotice> {
    const base = this.base as BlockRef;
    let n = from;
    for (;;) {
      const ours = this.refAt(n);
      if (n < base.number || ours === undefined) {
        this.stale = new ConcordError(
          'CONCORD_ERR_EVM_REORG_TOO_DEEP',
          `a reorg replaced blocks below ${base.number}, beyond the ${this.maxReorgDepth} blocks of pool history kept: resync with start()`,
          { details: { keptFrom: base.number.toString(), head: this.head.number.toString() } },
        );
        throw this.stale;
      }
      const canonical = await this.fetchBlock(n);
      if (canonical?.hash === ours.hash) break;
      n--;
    }
    const ancestor = this.refAt(n) as BlockRef;
    const dropped: BlockRef[] = [];
    const touched = new Map<string, Tracked>();
    while (
      this.history.length > 0 &&
      (this.history[this.history.length - 1] as BlockEntry).block.number > n
    ) {
      const entry = this.history.pop() as BlockEntry;
      dropped.unshift(entry.block);
      for (const [address, before] of entry.undo) {
        const t = this.pools.get(address);
        if (t === undefined) continue;
        if (before === undefined) {
          this.pools.delete(address);
          touched.delete(address);
        } else {
          t.state = before;
          touched.set(address, t);
        }
      }
    }
    const notice: ReorgNotice = { depth: dropped.length, ancestor, dropped };
    // Nothing undone (the node answered from two branches at once): no reorg to report.
    if (notice.depth === 0) return notice;
    for (const fn of this.reorgListeners) fn(notice);
    for (const t of touched.values()) this.emitUpdate(t, ancestor, 'rollback', true);
    return notice;
  }

  /** Applies one block's pool events; false when the block vanished meanwhile (the loop re-checks). */
  private async applyBlock(block: BlockRef): Promise<boolean> {
    const filterByAddress = this.factories.size === 0 && this.pools.size <= this.addressFilterLimit;
    let logs: Awaited<ReturnType<typeof this.fetchLogs>>;
    try {
      logs = await this.fetchLogs(block, filterByAddress);
    } catch (err) {
      const canonical = await this.fetchBlock(block.number);
      if (canonical?.hash !== block.hash) return false;
      throw err;
    }
    const entry: BlockEntry = { block, undo: new Map() };
    const withTicks = new Set<string>();
    const touch = (t: Tracked) => {
      if (!entry.undo.has(t.info.address)) entry.undo.set(t.info.address, t.state);
    };
    try {
      for (const log of logs) {
        const address = log.address.toLowerCase();
        const factory = this.factories.get(address);
        if (factory !== undefined) {
          const info = poolFromCreationLog(factory, log);
          if (info !== undefined && !this.pools.has(info.address)) {
            this.pools.set(info.address, { info, state: emptyState(info) });
            entry.undo.set(info.address, undefined);
            withTicks.add(info.address);
          }
          continue;
        }
        const t = this.pools.get(address);
        if (t === undefined) continue;
        const s = t.state;
        const args = log.args as Record<string, bigint | number>;
        if (s.kind === 'v2') {
          if (log.eventName !== 'Sync') continue;
          touch(t);
          t.state = applySync(args.reserve0 as bigint, args.reserve1 as bigint);
          continue;
        }
        switch (log.eventName) {
          case 'Initialize':
            touch(t);
            t.state = applyPrice(s, args.sqrtPriceX96 as bigint, Number(args.tick));
            break;
          case 'Swap':
            touch(t);
            t.state = applyPrice(s, args.sqrtPriceX96 as bigint, Number(args.tick), args.liquidity as bigint);
            break;
          case 'Mint':
          case 'Burn': {
            const amount = args.amount as bigint;
            if (amount === 0n) break;
            touch(t);
            const delta = log.eventName === 'Mint' ? amount : -amount;
            t.state = applyLiquidity(s, Number(args.tickLower), Number(args.tickUpper), delta);
            withTicks.add(address);
            break;
          }
        }
      }
      for (const address of entry.undo.keys()) {
        const t = this.pools.get(address) as Tracked;
        if (t.state.kind === 'v3') checkV3(t.info, t.state);
      }
    } catch (err) {
      // Leave no half-applied block behind; a state that fails its checks is not quoted from.
      for (const [address, before] of entry.undo) {
        if (before === undefined) this.pools.delete(address);
        else (this.pools.get(address) as Tracked).state = before;
      }
      if (isConcordError(err)) this.stale = err;
      throw err;
    }
    this.history.push(entry);
    if (this.history.length > this.maxReorgDepth) this.base = (this.history.shift() as BlockEntry).block;
    for (const fn of this.blockListeners) fn(block);
    for (const address of entry.undo.keys()) {
      const t = this.pools.get(address) as Tracked;
      this.emitUpdate(t, block, 'block', withTicks.has(address));
    }
    return true;
  }

  private fetchLogs(block: BlockRef, byAddress: boolean) {
    return this.call(`eth_getLogs of block ${block.number}`, async () => {
      const logs = await this.client.getLogs({
        blockHash: block.hash,
        events: POOL_EVENTS,
        strict: true,
        ...(byAddress ? { address: [...this.pools.keys()] as Address[] } : {}),
      });
      return [...logs].sort((a, b) => (a.logIndex ?? 0) - (b.logIndex ?? 0));
    });
  }

  private emitUpdate(t: Tracked, block: BlockRef, cause: PoolUpdate['cause'], withTicks: boolean): void {
    if (this.updateListeners.size === 0) return;
    const event = toPoolEvent(this.options.venue, t.info, t.state, block, withTicks);
    const update: PoolUpdate = { pool: t.info, state: t.state, block, cause, event };
    for (const fn of this.updateListeners) fn(update);
  }
}
