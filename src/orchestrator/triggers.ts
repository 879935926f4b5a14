/**
 * The trigger filter: decides whether a market change is big enough for the agents
 * to think about. It runs on every market event, so it allocates nothing unless it
 * fires (one Trigger object) and validates nothing (its config was parsed at start).
 *
 * Rules, per instrument (checked in this order, the first that passes names the trigger):
 *  - `liquidation`: the data layer flags newly liquidatable accounts (`view.liquidatableAccounts > 0`);
 *    always fires, even inside the throttle interval.
 *  - `trade`: a trade of size ≥ `minTradeSize` (per-instrument override in `minTradeSizeByInstrument`;
 *    trades never trigger when neither is set). Magnitude: the size.
 *  - `bar`: every bar when `bars` is on. Magnitude: |close − open| in bp of open.
 *  - `funding`: the rate moved ≥ `fundingChangeBps` since the last funding trigger. Magnitude: bp.
 *  - `apy-change`: supply or borrow APY moved ≥ `apyChangeBps` since the last apy trigger. Magnitude: bp.
 *  - `pool`: every AMM pool state whose reserves changed (a block's swaps): the DEX agents keep their
 *    graphs from them. Magnitude: the pool's price move since its last trigger, in bp (ratio of the
 *    reserves, so decimals cancel; V3 states: 0).
 *  - `price-move`: the mid moved ≥ `priceMoveBps` since the last trigger on the instrument. Magnitude: bp.
 *  - `spread`: the spread, in bp of mid, changed by ≥ `spreadChangeBps` since the last trigger. Magnitude: bp.
 *  - `timer` (heartbeat): nothing fired for `heartbeatMs` of event time (0 disables). Magnitude: ms elapsed.
 * Every trigger except `liquidation` is suppressed within `minIntervalMs` of the instrument's
 * previous trigger; references are then kept, so the move still counts once the interval ends.
 * The first observation of a mid, spread, funding rate or APY only sets the reference.
 * Time is the event's own `ts`, so replays trigger identically.
 */
import { z } from 'zod';
import type { Trigger, TriggerKind } from '../agents/contract.ts';
import type { InstrumentId, MarketEvent } from '../model/index.ts';
import { parseConfigSection } from './config.ts';

const BPS = 10_000;
/** Float noise allowance, so a move of exactly the threshold (10.0 bp computed as 9.999…) counts. */
const EPSILON_BPS = 1e-9;

export const TriggerFilterConfigSchema = z
  .object({
    priceMoveBps: z.number().positive().default(5),
    spreadChangeBps: z.number().positive().default(2),
    minTradeSize: z.number().positive().optional(),
    minTradeSizeByInstrument: z.record(z.string(), z.number().positive()).default({}),
    bars: z.boolean().default(true),
    fundingChangeBps: z.number().positive().default(1),
    apyChangeBps: z.number().positive().default(10),
    minIntervalMs: z.number().nonnegative().default(0),
    heartbeatMs: z.number().nonnegative().default(60_000),
  })
  .strict();

export type TriggerFilterConfig = z.infer<typeof TriggerFilterConfigSchema>;
export type TriggerFilterConfigInput = z.input<typeof TriggerFilterConfigSchema>;

export function parseTriggerFilterConfig(
  input: unknown,
  pathPrefix = 'orchestrator.triggers',
): TriggerFilterConfig {
  return parseConfigSection(TriggerFilterConfigSchema, input, pathPrefix);
}

/** What the data layer knows about the instrument right after applying the event. */
export interface TriggerView {
  readonly mid: number | undefined;
  /** Best ask − best bid, in price units. */
  readonly spread: number | undefined;
  /** Accounts on this lending market that became liquidatable with this event. */
  readonly liquidatableAccounts?: number;
}

/** Per-instrument references; NaN means "not seen yet". Mutated in place: no per-event allocation. */
class InstrumentState {
  refMid = Number.NaN;
  refSpreadBps = Number.NaN;
  refFundingRate = Number.NaN;
  refSupplyApy = Number.NaN;
  refBorrowApy = Number.NaN;
  lastTriggerTs = Number.NaN;
  /** Start of the current silence, for the heartbeat: the last trigger, or the first event seen. */
  quietSinceTs: number;
  constructor(firstTs: number) {
    this.quietSinceTs = firstTs;
  }
}

export interface TriggerFilterSnapshot {
  readonly triggerCount: number;
}

export class TriggerFilter {
  readonly config: TriggerFilterConfig;
  private readonly states = new Map<InstrumentId, InstrumentState>();
  private readonly tradeThresholds: ReadonlyMap<InstrumentId, number>;
  private triggerCount = 0;
  // Scratch result of the rule checks, kept in fields to avoid allocating a tuple per event.
  private pendingKind: TriggerKind | undefined;
  private pendingMagnitude = 0;

  /** `config` is raw input (validated here, once) or an already parsed config. */
  constructor(config: unknown = {}) {
    this.config = parseTriggerFilterConfig(config);
    this.tradeThresholds = new Map(Object.entries(this.config.minTradeSizeByInstrument));
  }

  evaluate(event: MarketEvent, view: TriggerView): Trigger | undefined {
    const id = event.instrumentId;
    const ts = event.ts;
    let state = this.states.get(id);
    if (state === undefined) {
      state = new InstrumentState(ts);
      this.states.set(id, state);
    }
    const mid = view.mid;
    const midIsUsable = mid !== undefined && mid > 0 && Number.isFinite(mid);
    const spreadBps =
      midIsUsable && view.spread !== undefined && Number.isFinite(view.spread)
        ? (view.spread / mid) * BPS
        : Number.NaN;

    const liquidatable = view.liquidatableAccounts ?? 0;
    if (liquidatable > 0) return this.fire(state, 'liquidation', liquidatable, event, mid, spreadBps);

    this.pendingKind = undefined;
    this.checkEventRule(event, state);
    if (this.pendingKind === undefined && midIsUsable) this.checkPriceAndSpread(state, mid, spreadBps);
    if (this.pendingKind === undefined) this.checkHeartbeat(state, ts);

    const kind = this.pendingKind;
    if (kind === undefined) return undefined;
    if (ts - state.lastTriggerTs < this.config.minIntervalMs) return undefined;
    return this.fire(state, kind, this.pendingMagnitude, event, mid, spreadBps);
  }

  /** Number of triggers fired so far (ids are `t-<count>`). */
  get count(): number {
    return this.triggerCount;
  }

  snapshot(): TriggerFilterSnapshot {
    return { triggerCount: this.triggerCount };
  }

  /** Continues the id counter after a restart (never goes backwards). */
  restore(snapshot: TriggerFilterSnapshot): void {
    if (snapshot.triggerCount > this.triggerCount) this.triggerCount = snapshot.triggerCount;
  }

  private checkEventRule(event: MarketEvent, state: InstrumentState): void {
    const c = this.config;
    switch (event.type) {
      case 'trade': {
        const threshold = this.tradeThresholds.get(event.instrumentId) ?? c.minTradeSize;
        if (threshold !== undefined && event.size >= threshold) this.pend('trade', event.size);
        return;
      }
      case 'bar':
        if (c.bars)
          this.pend('bar', event.open > 0 ? (Math.abs(event.close - event.open) / event.open) * BPS : 0);
        return;
      case 'funding': {
        if (Number.isNaN(state.refFundingRate)) {
          state.refFundingRate = event.rate;
          return;
        }
        const changeBps = Math.abs(event.rate - state.refFundingRate) * BPS;
        if (changeBps + EPSILON_BPS >= c.fundingChangeBps) this.pend('funding', changeBps);
        return;
      }
      case 'lending': {
        if (Number.isNaN(state.refSupplyApy)) {
          state.refSupplyApy = event.supplyApy;
          state.refBorrowApy = event.borrowApy;
          return;
        }
        const changeBps =
          Math.max(
            Math.abs(event.supplyApy - state.refSupplyApy),
            Math.abs(event.borrowApy - state.refBorrowApy),
          ) * BPS;
        if (changeBps + EPSILON_BPS >= c.apyChangeBps) this.pend('apy-change', changeBps);
        return;
      }
      case 'pool': {
        const r0 = event.reserve0 === undefined ? Number.NaN : Number(event.reserve0);
        const r1 = event.reserve1 === undefined ? Number.NaN : Number(event.reserve1);
        const ratio = r0 > 0 ? r1 / r0 : Number.NaN;
        if (Number.isNaN(ratio)) {
          this.pend('pool', 0);
          return;
        }
        const moveBps = Number.isNaN(state.refMid)
          ? 0
          : (Math.abs(ratio - state.refMid) / state.refMid) * BPS;
        if (moveBps > 0 || Number.isNaN(state.refMid)) {
          state.refMid = ratio;
          this.pend('pool', moveBps);
        }
        return;
      }
      default:
        return;
    }
  }

  private checkPriceAndSpread(state: InstrumentState, mid: number, spreadBps: number): void {
    if (Number.isNaN(state.refMid)) state.refMid = mid;
    else {
      const moveBps = (Math.abs(mid - state.refMid) / state.refMid) * BPS;
      if (moveBps + EPSILON_BPS >= this.config.priceMoveBps) {
        this.pend('price-move', moveBps);
        return;
      }
    }
    if (Number.isNaN(spreadBps)) return;
    if (Number.isNaN(state.refSpreadBps)) state.refSpreadBps = spreadBps;
    else {
      const changeBps = Math.abs(spreadBps - state.refSpreadBps);
      if (changeBps + EPSILON_BPS >= this.config.spreadChangeBps) this.pend('spread', changeBps);
    }
  }

  private checkHeartbeat(state: InstrumentState, ts: number): void {
    const heartbeat = this.config.heartbeatMs;
    if (heartbeat > 0 && ts - state.quietSinceTs >= heartbeat) this.pend('timer', ts - state.quietSinceTs);
  }

  private pend(kind: TriggerKind, magnitude: number): void {
    this.pendingKind = kind;
    this.pendingMagnitude = magnitude;
  }

  private fire(
    state: InstrumentState,
    kind: TriggerKind,
    magnitude: number,
    event: MarketEvent,
    mid: number | undefined,
    spreadBps: number,
  ): Trigger {
    state.lastTriggerTs = event.ts;
    state.quietSinceTs = event.ts;
    // Agents see the market now: every reference restarts from here.
    if (mid !== undefined && mid > 0 && Number.isFinite(mid)) state.refMid = mid;
    if (!Number.isNaN(spreadBps)) state.refSpreadBps = spreadBps;
    if (event.type === 'funding') state.refFundingRate = event.rate;
    else if (event.type === 'lending') {
      state.refSupplyApy = event.supplyApy;
      state.refBorrowApy = event.borrowApy;
    }
    this.triggerCount++;
    return {
      id: `t-${this.triggerCount}`,
      kind,
      instrumentId: event.instrumentId,
      ts: event.ts,
      magnitude,
      event,
    };
  }
}
