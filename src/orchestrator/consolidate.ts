/**
 * Consolidation: turns the decisions of one trigger into the intents the desk will
 * send to the risk gate. A pure function of its inputs; the output does not depend on
 * the order of `records` (they are put in canonical order first: agentId, decisionId).
 *
 * Rules (documented in full in docs, summarised here):
 *  - Weight of a decision = clamp(confidence, 0, 1) × trust(agentId).
 *  - Order intents vote per instrument: each proposer decision with an order on the
 *    instrument casts its weight for `buy` or `sell`. Abstaining agents (no order on that
 *    instrument) and risk agents do not vote. A decision proposing both sides of one
 *    instrument contradicts itself: it does not vote there and its orders are rejected.
 *  - A side is accepted when its share of the voting weight is ≥ `consensusThreshold`
 *    (> 0.5, so at most one side can win) and its weight is ≥ `minOrderWeight`. With no
 *    winner the instrument stays flat. When both sides were proposed, a conflict is
 *    recorded with both weights, the winner (or `none`) and the reason.
 *  - Accepted quantity = the weighted median of the winning side's proposed quantities
 *    (the lower one on a tie): exact, always one of the proposals, robust to one outlier.
 *    Type, limit price and other fields come from the heaviest winning proposal.
 *  - Plans (multi-leg, e.g. arbitrage) are their own direction per `label`: same-label plans
 *    merge, and pass when their summed weight is ≥ `minPlanWeight`, no leg instrument is
 *    disputed (has a recorded conflict) and none is vetoed. The heaviest plan is used.
 *  - Swaps, liquidations and supply/withdraw pass like plans (grouped by what they do);
 *    opposite ones on the same pool/market (A→B vs B→A, supply vs withdraw) cancel out.
 *  - Risk agents (role `risk`) advise with `risk-advice` intents, regardless of weight
 *    (safety first): `veto` removes every intent on the instrument (`*`: on all), and
 *    `maxQuantity` caps order quantities and plan legs (plans scale all legs by the same
 *    factor, keeping the hedge). The smallest cap applies. Caps never increase a size.
 *    Caps do not apply to swaps and lending (raw token units); vetoes do.
 */
import { z } from 'zod';
import type { AgentRole } from '../agents/contract.ts';
import { Decimal } from '../core/index.ts';
import type { DecisionRecord, Intent, OrderIntent, PlanIntent, Side } from '../model/index.ts';
import { parseConfigSection } from './config.ts';

export interface RoledDecisionRecord extends DecisionRecord {
  readonly role: AgentRole;
}

export const ConsolidationConfigSchema = z
  .object({
    consensusThreshold: z.number().gt(0.5).lte(1).default(0.7),
    minOrderWeight: z.number().nonnegative().default(0.2),
    minPlanWeight: z.number().nonnegative().default(0.2),
  })
  .strict();

export type ConsolidationConfig = z.infer<typeof ConsolidationConfigSchema>;

export function parseConsolidationConfig(
  input: unknown,
  pathPrefix = 'orchestrator.consensus',
): ConsolidationConfig {
  return parseConfigSection(ConsolidationConfigSchema, input, pathPrefix);
}

export const DEFAULT_CONSOLIDATION_CONFIG: ConsolidationConfig = Object.freeze(parseConsolidationConfig({}));

export interface AcceptedIntent {
  readonly intent: Intent;
  /** Every decision that proposed it, with its agent and weight (same order). */
  readonly decisionIds: readonly string[];
  readonly agentIds: readonly string[];
  readonly weights: readonly number[];
  readonly reason: string;
}

export interface RejectedIntent {
  readonly intent: Intent;
  readonly decisionId: string;
  readonly agentId: string;
  readonly reason: string;
}

export interface Conflict {
  /** Instrument, pool or lending market disputed. */
  readonly instrumentId: string;
  /** `buy`/`sell` for orders; what each group would do for swaps and lending. */
  readonly sides: readonly string[];
  readonly weights: Readonly<Record<string, number>>;
  readonly winner: string;
  readonly reason: string;
}

export interface VetoRecord {
  readonly agentId: string;
  readonly decisionId: string;
  readonly instrumentId: string;
  readonly reason: string;
}

export interface CapEffect {
  /** The instrument whose quantity was cut, and the plan label for plan legs. */
  readonly instrumentId: string;
  readonly plan?: string;
  readonly from: Decimal;
  readonly to: Decimal;
}

export interface CapRecord {
  readonly agentId: string;
  readonly decisionId: string;
  readonly instrumentId: string;
  readonly maxQuantity: Decimal;
  readonly reason: string;
  /** Where this cap was the binding one and cut a size. */
  readonly effects: CapEffect[];
}

export interface ConsolidationResult {
  readonly accepted: AcceptedIntent[];
  readonly rejected: RejectedIntent[];
  readonly conflicts: Conflict[];
  readonly vetoes: VetoRecord[];
  readonly caps: CapRecord[];
}

export type TrustLookup = (agentId: string) => number;

interface Vote {
  readonly record: RoledDecisionRecord;
  readonly weight: number;
  /** Canonical position, for tie-breaks. */
  readonly rank: number;
}

interface OrderVote extends Vote {
  side: Side;
  quantity: Decimal;
  readonly intents: OrderIntent[];
  selfConflict: boolean;
}

interface GroupedVote<I extends Intent> extends Vote {
  readonly intent: I;
}

interface PassThroughGroup {
  readonly target: string;
  readonly direction: string;
  readonly votes: GroupedVote<Intent>[];
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function decisionWeight(
  record: Pick<DecisionRecord, 'confidence' | 'agentId'>,
  trust: TrustLookup,
): number {
  const confidence = Number.isFinite(record.confidence) ? Math.min(1, Math.max(0, record.confidence)) : 0;
  const w = confidence * trust(record.agentId);
  return Number.isFinite(w) && w > 0 ? w : 0;
}

export function consolidate(
  records: readonly RoledDecisionRecord[],
  trust: TrustLookup,
  config: ConsolidationConfig = DEFAULT_CONSOLIDATION_CONFIG,
): ConsolidationResult {
  const sorted = [...records].sort(
    (a, b) => compareText(a.agentId, b.agentId) || compareText(a.decisionId, b.decisionId),
  );
  const out: ConsolidationResult = { accepted: [], rejected: [], conflicts: [], vetoes: [], caps: [] };
  const advice = new RiskAdvice(out);
  const orders = new Map<string, OrderVote[]>();
  let plans: Map<string, GroupedVote<PlanIntent>[]> | undefined;
  let passThrough: Map<string, PassThroughGroup> | undefined;

  for (let rank = 0; rank < sorted.length; rank++) {
    const record = sorted[rank] as RoledDecisionRecord;
    const weight = decisionWeight(record, trust);
    let recordVotes: OrderVote[] | undefined;
    for (const intent of record.intents) {
      if (record.role === 'risk') {
        if (intent.kind === 'risk-advice') advice.add(intent, record);
        else
          out.rejected.push(
            rejection(intent, record, 'risk agents advise (veto or cap); they do not propose trades'),
          );
        continue;
      }
      if (intent.kind === 'risk-advice') {
        out.rejected.push(rejection(intent, record, 'only risk agents can veto or cap'));
        continue;
      }
      if (weight === 0) {
        out.rejected.push(rejection(intent, record, 'no weight: confidence × trust is 0'));
        continue;
      }
      if (intent.kind === 'order')
        recordVotes = addOrderVote(recordVotes, orders, intent, record, weight, rank);
      else if (intent.kind === 'plan') {
        plans ??= new Map();
        pushTo(plans, intent.label, { record, weight, rank, intent });
      } else {
        passThrough ??= new Map();
        addPassThrough(passThrough, intent, { record, weight, rank, intent });
      }
    }
  }

  const disputed = new Set<string>();
  for (const instrumentId of [...orders.keys()].sort(compareText)) {
    resolveInstrument(instrumentId, orders.get(instrumentId) as OrderVote[], config, advice, disputed, out);
  }
  if (plans !== undefined) {
    for (const label of [...plans.keys()].sort(compareText)) {
      resolvePlan(label, plans.get(label) as GroupedVote<PlanIntent>[], config, advice, disputed, out);
    }
  }
  if (passThrough !== undefined) resolvePassThrough(passThrough, config, advice, out);
  return out;
}

/** Adds an order to the decision's vote on its instrument; returns the decision's votes so far. */
function addOrderVote(
  recordVotes: OrderVote[] | undefined,
  orders: Map<string, OrderVote[]>,
  intent: OrderIntent,
  record: RoledDecisionRecord,
  weight: number,
  rank: number,
): OrderVote[] {
  // A decision rarely has more than a couple of orders: a linear scan beats a Map here.
  const votes = recordVotes ?? [];
  for (const existing of votes) {
    if (existing.intents[0]?.instrumentId !== intent.instrumentId) continue;
    existing.intents.push(intent);
    if (existing.side !== intent.side) existing.selfConflict = true;
    else existing.quantity = existing.quantity.add(intent.quantity);
    return votes;
  }
  const vote: OrderVote = {
    record,
    weight,
    rank,
    side: intent.side,
    quantity: intent.quantity,
    intents: [intent],
    selfConflict: false,
  };
  votes.push(vote);
  pushTo(orders, intent.instrumentId, vote);
  return votes;
}

function resolveInstrument(
  instrumentId: string,
  votes: OrderVote[],
  config: ConsolidationConfig,
  advice: RiskAdvice,
  disputed: Set<string>,
  out: ConsolidationResult,
): void {
  const selfConflicting = votes.filter((v) => v.selfConflict);
  rejectOrderVotes(out, selfConflicting, `the decision proposes both buy and sell on ${instrumentId}`);
  const voting = votes.filter((v) => !v.selfConflict);
  if (voting.length === 0) return;

  const veto = advice.vetoFor(instrumentId);
  if (veto !== undefined) {
    rejectOrderVotes(out, voting, vetoReason(veto));
    return;
  }

  let buyWeight = 0;
  let sellWeight = 0;
  for (const v of voting) {
    if (v.side === 'buy') buyWeight += v.weight;
    else sellWeight += v.weight;
  }
  const total = buyWeight + sellWeight;
  const buyShare = total > 0 ? buyWeight / total : 0;
  const sellShare = total > 0 ? sellWeight / total : 0;
  const winner: Side | undefined =
    buyShare >= config.consensusThreshold && buyWeight >= config.minOrderWeight
      ? 'buy'
      : sellShare >= config.consensusThreshold && sellWeight >= config.minOrderWeight
        ? 'sell'
        : undefined;
  const shares = `buy ${fmt(buyWeight)} (${pct(buyShare)}), sell ${fmt(sellWeight)} (${pct(sellShare)})`;
  const noWinnerReason =
    winner !== undefined
      ? ''
      : Math.max(buyWeight, sellWeight) < config.minOrderWeight
        ? `no side reached the minimum weight ${fmt(config.minOrderWeight)}: ${shares}`
        : `no side reached ${pct(config.consensusThreshold)} of the weight: ${shares}`;

  if (buyWeight > 0 && sellWeight > 0) {
    disputed.add(instrumentId);
    out.conflicts.push({
      instrumentId,
      sides: ['buy', 'sell'],
      weights: { buy: buyWeight, sell: sellWeight },
      winner: winner ?? 'none',
      reason:
        winner === undefined
          ? noWinnerReason
          : `${winner} holds ${pct(winner === 'buy' ? buyShare : sellShare)} ≥ ${pct(config.consensusThreshold)}: ${shares}`,
    });
  }
  if (winner === undefined) {
    rejectOrderVotes(out, voting, noWinnerReason);
    return;
  }
  const winners = voting.filter((v) => v.side === winner);
  rejectOrderVotes(
    out,
    voting.filter((v) => v.side !== winner),
    `lost the vote on ${instrumentId} to ${winner}: ${shares}`,
  );

  const median = weightedMedianQuantity(winners);
  const cap = advice.capFor(instrumentId);
  let quantity = median;
  let capNote = '';
  if (cap?.maxQuantity.lt(quantity)) {
    quantity = cap.maxQuantity.isNegative() ? Decimal.ZERO : cap.maxQuantity;
    cap.effects.push({ instrumentId, from: median, to: quantity });
    capNote = `; capped by ${cap.agentId} (${cap.reason})`;
  }
  if (!quantity.isPositive()) {
    rejectOrderVotes(out, winners, `capped to zero by ${cap?.agentId} (${cap?.reason})`);
    return;
  }
  const heaviest = heaviestVote(winners);
  const intent: OrderIntent = { ...(heaviest.intents[0] as OrderIntent), quantity };
  out.accepted.push({
    intent,
    ...contributors(winners),
    reason: `${winner} consensus on ${instrumentId}: ${shares}; weighted-median quantity${capNote}`,
  });
}

/** Lower weighted median of the proposed quantities (ties in quantity broken by canonical rank). */
export function weightedMedianQuantity(
  votes: readonly { quantity: Decimal; weight: number; rank: number }[],
): Decimal {
  const byQuantity = [...votes].sort((a, b) => a.quantity.cmp(b.quantity) || a.rank - b.rank);
  let total = 0;
  for (const v of byQuantity) total += v.weight;
  let cumulative = 0;
  for (const v of byQuantity) {
    cumulative += v.weight;
    if (cumulative >= total / 2) return v.quantity;
  }
  return (byQuantity[byQuantity.length - 1] as { quantity: Decimal }).quantity;
}

function resolvePlan(
  label: string,
  votes: GroupedVote<PlanIntent>[],
  config: ConsolidationConfig,
  advice: RiskAdvice,
  disputed: ReadonlySet<string>,
  out: ConsolidationResult,
): void {
  const heaviest = heaviestVote(votes);
  const legs = heaviest.intent.legs;
  for (const leg of legs) {
    const veto = advice.vetoFor(leg.instrumentId);
    if (veto !== undefined) {
      rejectGroup(out, votes, vetoReason(veto));
      return;
    }
  }
  for (const leg of legs) {
    if (disputed.has(leg.instrumentId)) {
      rejectGroup(
        out,
        votes,
        `plan ${label} trades ${leg.instrumentId}, which the agents dispute (see conflicts)`,
      );
      return;
    }
  }
  let weight = 0;
  for (const v of votes) weight += v.weight;
  if (weight < config.minPlanWeight) {
    rejectGroup(
      out,
      votes,
      `plan ${label} weight ${fmt(weight)} is below the minimum ${fmt(config.minPlanWeight)}`,
    );
    return;
  }

  // Scale every leg by the tightest cap/quantity ratio, so the legs stay balanced.
  let binding: { cap: CapRecord; allowed: Decimal; quantity: Decimal } | undefined;
  for (const leg of legs) {
    const cap = advice.capFor(leg.instrumentId);
    if (cap === undefined || !cap.maxQuantity.lt(leg.quantity)) continue;
    const allowed = Decimal.max(cap.maxQuantity, Decimal.ZERO);
    // allowed / leg < binding.allowed / binding.quantity, in exact integers.
    if (
      binding === undefined ||
      allowed.units * binding.quantity.units < binding.allowed.units * leg.quantity.units
    ) {
      binding = { cap, allowed, quantity: leg.quantity };
    }
  }
  let intent: PlanIntent = heaviest.intent;
  let capNote = '';
  if (binding !== undefined) {
    const { cap, allowed, quantity: bindingQuantity } = binding;
    const scaled = legs.map((leg) => ({
      ...leg,
      quantity: Decimal.fromUnits((leg.quantity.units * allowed.units) / bindingQuantity.units),
    }));
    if (scaled.some((leg) => !leg.quantity.isPositive())) {
      rejectGroup(out, votes, `plan ${label} capped to zero by ${cap.agentId} (${cap.reason})`);
      return;
    }
    legs.forEach((leg, i) => {
      const to = (scaled[i] as OrderIntent).quantity;
      if (!to.eq(leg.quantity))
        cap.effects.push({ instrumentId: leg.instrumentId, plan: label, from: leg.quantity, to });
    });
    intent = { ...intent, legs: scaled };
    capNote = `; legs scaled by ${allowed}/${bindingQuantity} by ${cap.agentId} (${cap.reason})`;
  }
  out.accepted.push({
    intent,
    ...contributors(votes),
    reason: `plan ${label} weight ${fmt(weight)}${capNote}`,
  });
}

function passThroughKey(intent: Intent): { target: string; direction: string; opposite: string | undefined } {
  switch (intent.kind) {
    case 'swap':
      return {
        target: intent.poolId,
        direction: `swap ${intent.tokenIn}>${intent.tokenOut}`,
        opposite: `swap ${intent.tokenOut}>${intent.tokenIn}`,
      };
    case 'liquidation':
      return {
        target: intent.marketId,
        direction: `liquidate ${intent.borrower} ${intent.debtAsset}/${intent.collateralAsset}`,
        opposite: undefined,
      };
    case 'supply':
    case 'withdraw':
      return {
        target: intent.marketId,
        direction: `${intent.kind} ${intent.asset}`,
        opposite: `${intent.kind === 'supply' ? 'withdraw' : 'supply'} ${intent.asset}`,
      };
    default:
      // Orders, plans and advice never get here.
      return { target: '', direction: intent.kind, opposite: undefined };
  }
}

function addPassThrough(
  groups: Map<string, PassThroughGroup>,
  intent: Intent,
  vote: GroupedVote<Intent>,
): void {
  const { target, direction } = passThroughKey(intent);
  const key = `${target}\u0000${direction}`;
  let group = groups.get(key);
  if (group === undefined) {
    group = { target, direction, votes: [] };
    groups.set(key, group);
  }
  group.votes.push(vote);
}

function resolvePassThrough(
  groups: Map<string, PassThroughGroup>,
  config: ConsolidationConfig,
  advice: RiskAdvice,
  out: ConsolidationResult,
): void {
  const keys = [...groups.keys()].sort(compareText);
  const reported = new Set<string>();
  for (const key of keys) {
    const group = groups.get(key) as PassThroughGroup;
    const veto = advice.vetoFor(group.target);
    if (veto !== undefined) {
      rejectGroup(out, group.votes, vetoReason(veto));
      continue;
    }
    const { opposite } = passThroughKey((group.votes[0] as GroupedVote<Intent>).intent);
    const rival = opposite === undefined ? undefined : groups.get(`${group.target}\u0000${opposite}`);
    const weight = groupWeight(group);
    if (rival !== undefined) {
      const pairKey = [group.direction, rival.direction].sort(compareText).join('|') + group.target;
      if (!reported.has(pairKey)) {
        reported.add(pairKey);
        const [first, second] = group.direction < rival.direction ? [group, rival] : [rival, group];
        out.conflicts.push({
          instrumentId: group.target,
          sides: [first.direction, second.direction],
          weights: { [first.direction]: groupWeight(first), [second.direction]: groupWeight(second) },
          winner: 'none',
          reason: `opposite ${first.direction} and ${second.direction} on ${group.target} cancel out`,
        });
      }
      rejectGroup(out, group.votes, `${group.direction} on ${group.target} is opposed by ${rival.direction}`);
      continue;
    }
    if (weight < config.minPlanWeight) {
      rejectGroup(
        out,
        group.votes,
        `${group.direction} weight ${fmt(weight)} is below the minimum ${fmt(config.minPlanWeight)}`,
      );
      continue;
    }
    out.accepted.push({
      intent: heaviestVote(group.votes).intent,
      ...contributors(group.votes),
      reason: `${group.direction} on ${group.target} weight ${fmt(weight)}`,
    });
  }
}

/** Vetoes and caps from risk agents, looked up per instrument (`*` applies to all). */
class RiskAdvice {
  private globalVeto: VetoRecord | undefined;
  private vetoes: Map<string, VetoRecord> | undefined;
  private globalCap: CapRecord | undefined;
  private caps: Map<string, CapRecord> | undefined;

  constructor(private readonly out: ConsolidationResult) {}

  add(intent: Extract<Intent, { kind: 'risk-advice' }>, record: RoledDecisionRecord): void {
    if (intent.veto) {
      const veto: VetoRecord = {
        agentId: record.agentId,
        decisionId: record.decisionId,
        instrumentId: intent.instrumentId,
        reason: intent.reason,
      };
      this.out.vetoes.push(veto);
      this.vetoes ??= new Map();
      if (intent.instrumentId === '*') this.globalVeto ??= veto;
      else if (!this.vetoes.has(intent.instrumentId)) this.vetoes.set(intent.instrumentId, veto);
      return;
    }
    if (intent.maxQuantity === undefined) return;
    const cap: CapRecord = {
      agentId: record.agentId,
      decisionId: record.decisionId,
      instrumentId: intent.instrumentId,
      maxQuantity: intent.maxQuantity,
      reason: intent.reason,
      effects: [],
    };
    this.out.caps.push(cap);
    this.caps ??= new Map();
    if (intent.instrumentId === '*') {
      if (this.globalCap === undefined || cap.maxQuantity.lt(this.globalCap.maxQuantity))
        this.globalCap = cap;
    } else {
      const current = this.caps.get(intent.instrumentId);
      if (current === undefined || cap.maxQuantity.lt(current.maxQuantity))
        this.caps.set(intent.instrumentId, cap);
    }
  }

  vetoFor(instrumentId: string): VetoRecord | undefined {
    return this.globalVeto ?? this.vetoes?.get(instrumentId);
  }

  /** The tightest cap on the instrument (its own or `*`). */
  capFor(instrumentId: string): CapRecord | undefined {
    const own = this.caps?.get(instrumentId);
    const global = this.globalCap;
    if (own === undefined) return global;
    if (global === undefined) return own;
    return global.maxQuantity.lt(own.maxQuantity) ? global : own;
  }
}

function rejectOrderVotes(out: ConsolidationResult, votes: readonly OrderVote[], reason: string): void {
  for (const v of votes)
    for (const intent of v.intents) out.rejected.push(rejection(intent, v.record, reason));
}

function rejectGroup(out: ConsolidationResult, votes: readonly GroupedVote<Intent>[], reason: string): void {
  for (const v of votes) out.rejected.push(rejection(v.intent, v.record, reason));
}

function groupWeight(group: PassThroughGroup): number {
  let w = 0;
  for (const v of group.votes) w += v.weight;
  return w;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function heaviestVote<V extends Vote>(votes: readonly V[]): V {
  let best = votes[0] as V;
  for (const v of votes)
    if (v.weight > best.weight || (v.weight === best.weight && v.rank < best.rank)) best = v;
  return best;
}

function contributors(votes: readonly Vote[]): Pick<AcceptedIntent, 'decisionIds' | 'agentIds' | 'weights'> {
  return {
    decisionIds: votes.map((v) => v.record.decisionId),
    agentIds: votes.map((v) => v.record.agentId),
    weights: votes.map((v) => v.weight),
  };
}

function rejection(intent: Intent, record: DecisionRecord, reason: string): RejectedIntent {
  return { intent, decisionId: record.decisionId, agentId: record.agentId, reason };
}

function vetoReason(veto: VetoRecord): string {
  return `vetoed by ${veto.agentId} on ${veto.instrumentId}: ${veto.reason}`;
}

/** Reasons are built on the hot path: rounding + String is several times cheaper than toFixed. */
function fmt(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
