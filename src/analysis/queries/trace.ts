/**
 * The decision trace of an order ("why did the desk do that?"), from the journal alone.
 *
 * Given a venue order id, a client order id, a decision id or an order's root
 * (`<decisionId>#<index>`), it finds the order record(s) and walks back through what produced
 * them, all of it as journaled:
 *
 *   market event ─▶ trigger ─▶ each agent's decision (confidence, reasoning, trust, weight)
 *   ─▶ consensus (accepted intent, votes and shares, threshold, caps, vetoes, conflicts)
 *   ─▶ risk gate (every rule of the journaled chain passed, or the denial with its code)
 *   ─▶ order lifecycle (submitted, accepted, fills, cancels, unknown, reconciled) ─▶ fills
 *
 * plus the plan for a multi-leg order, and the operator halt behind a flatten order. How each
 * link is found (record types from src/bus/catalogue.ts):
 *
 * - An order's `decisionId` is its root `<d>#<i>`: the i-th accepted intent of the `consensus`
 *   record whose `accepted[i].decisionIds[0]` is `d` (src/kernel/desk.ts `think`). The `trigger`,
 *   `decision` and `consensus` records of one trigger are consecutive; the market event is the
 *   last `market` record before the trigger (same instrument and time), when the run journals them.
 * - Weights: the consensus record carries the weight (confidence × trust) of every decision behind
 *   an accepted intent. The trust of the others is rebuilt from the journaled outcomes (trust.ts),
 *   and the rebuilt consensus is checked against the journaled one (`consensus.check`).
 * - Risk: the last `risk.chain` record before the order lists the rules the gate ran, in order, and
 *   the limits they read. A submitted order passed every one; a denied one passed those before the
 *   denying rule. (Journals written before `risk.chain` existed: this version's chain, said so.)
 *
 * Works on a finished journal and on one another process is writing (read-only; a desk that holds
 * its journal exclusively must be stopped first: CONCORD_ERR_JOURNAL_LOCKED).
 */
import { EVENTS } from '../../bus/index.ts';
import { ConcordError, canonicalJson, Decimal } from '../../core/index.ts';
import { JournalReader, type JournalRecord, type VerifyProgress } from '../../journal/index.ts';
import { type DeskConfig, resolveSafety } from '../../kernel/index.ts';
import type { Intent } from '../../model/index.ts';
import {
  type ConsolidationConfig,
  consolidate,
  decisionWeight,
  parseConsolidationConfig,
  type RoledDecisionRecord,
} from '../../orchestrator/index.ts';
import {
  type AcceptedJson,
  type ConsensusJson,
  collectOrders,
  consensusSchema,
  type DecisionJson,
  type DenialJson,
  decisionSchema,
  type IntentJson,
  type OrderBook,
  type OrderInstance,
  type OutcomeJson,
  outcomeSchema,
  PLAN_RECORD_TYPES,
  type PlanPayloadJson,
  parseWith,
  planPayloadSchema,
  riskChainSchema,
  riskHaltSchema,
  runBoundaries,
  segmentOf,
  splitRoot,
  type TriggerJson,
  triggerSchema,
  venueOrderIdOf,
} from './records.ts';
import { defaultRuleNames, ruleLimit } from './risk-rules.ts';
import { trustBefore } from './trust.ts';

// ── the trace ─────────────────────────────────────────────────────────────

export type MatchKind = 'venueOrderId' | 'clientOrderId' | 'decisionId' | 'orderRoot';

/** One thing an id can name; several of them make the id ambiguous. */
export interface TraceCandidate {
  readonly kind: MatchKind;
  /** The first record of the match (`--seq` picks a candidate by it). */
  readonly seq: number;
  readonly ts: number;
  readonly summary: string;
}

export interface TraceMarketEvent {
  readonly seq: number;
  readonly summary: string;
  /** The market event as journaled. */
  readonly event: Record<string, unknown>;
}

export interface TraceTrigger {
  readonly seq: number;
  readonly id: string;
  readonly kind: string;
  readonly instrumentId: string;
  readonly ts: number;
  readonly magnitude: number;
  /** Null when the run does not journal market events (backtests read recorded files). */
  readonly marketEvent: TraceMarketEvent | null;
}

export interface TraceOutcome {
  readonly seq: number;
  readonly ts: number;
  readonly realizedReturn: number;
  readonly correct: boolean;
  readonly pnl: number;
}

export interface TraceDecision {
  readonly seq: number;
  readonly decisionId: string;
  readonly agentId: string;
  readonly role: string;
  readonly confidence: number;
  readonly reasoning: string;
  readonly expectedReturn: number;
  /** As journaled (decimals as strings). */
  readonly intents: readonly IntentJson[];
  /** The agent's trust when the consensus ran (rebuilt from the journal), or null. */
  readonly trust: number | null;
  /** clamp(confidence, 0, 1) × trust; risk agents advise regardless of it. */
  readonly weight: number | null;
  /** `consensus`: journaled in the consensus record; `rebuilt`: confidence × rebuilt trust. */
  readonly weightSource: 'consensus' | 'rebuilt' | null;
  /** What the consensus did with this decision. */
  readonly verdict: DecisionVerdict;
  readonly outcome: TraceOutcome | null;
}

export type DecisionVerdict =
  | { readonly kind: 'accepted'; readonly intents: readonly number[] }
  | { readonly kind: 'rejected'; readonly reasons: readonly string[] }
  | { readonly kind: 'advice'; readonly vetoes: number; readonly caps: number }
  | { readonly kind: 'partly'; readonly intents: readonly number[]; readonly reasons: readonly string[] }
  | { readonly kind: 'opinion' };

export interface TraceVote {
  readonly agentId: string;
  readonly decisionId: string;
  readonly side: string;
  readonly quantity: string;
  readonly weight: number;
}

/** The vote on one instrument that an accepted order intent won. */
export interface OrderTally {
  readonly kind: 'order';
  readonly instrumentId: string;
  readonly votes: readonly TraceVote[];
  readonly buyWeight: number;
  readonly sellWeight: number;
  readonly buyShare: number;
  readonly sellShare: number;
  readonly winner: string;
  /** Weighted median of the winning side's quantities, before any cap. */
  readonly proposedQuantity: string;
  readonly quantity: string;
}

/** The weight behind an accepted plan, swap or lending intent. */
export interface GroupTally {
  readonly kind: 'group';
  readonly weight: number;
  readonly contributors: readonly { agentId: string; decisionId: string; weight: number }[];
}

export interface TraceCap {
  readonly agentId: string;
  readonly decisionId: string;
  readonly instrumentId: string;
  readonly maxQuantity: string;
  readonly reason: string;
  readonly from: string;
  readonly to: string;
}

export interface TraceVeto {
  readonly agentId: string;
  readonly decisionId: string;
  readonly instrumentId: string;
  readonly reason: string;
}

export interface TraceRule {
  readonly name: string;
  readonly result: 'passed' | 'denied' | 'not-run';
  /** The limit the rule judged the order against; null when unknown. */
  readonly limit: string | null;
  /** False when no limit is set (the rule passes every order). */
  readonly configured: boolean | null;
}

export interface TraceRisk {
  /** `passed`: the order was submitted; `denied`: the gate refused it; `unknown`: no record says. */
  readonly outcome: 'passed' | 'denied' | 'unknown';
  /** `journal`: the `risk.chain` record at `chainSeq`; `config`: this version's chain and the run's config. */
  readonly chainSource: 'journal' | 'config' | 'code';
  readonly chainSeq: number | null;
  readonly rules: readonly TraceRule[];
  readonly denial: DenialJson | null;
  readonly note: string | null;
}

export interface TraceLifecycleStep {
  readonly seq: number;
  readonly ts: number;
  readonly event: string;
  readonly status: string;
  readonly detail: string | null;
}

export interface TraceFill {
  readonly seq: number;
  readonly ts: number;
  readonly tradeId: string;
  readonly venueOrderId: string;
  readonly side: string;
  readonly price: string;
  readonly quantity: string;
  readonly fee: string;
  readonly feeCurrency: string;
  readonly liquidity: string;
  /** Found by reconciliation, not reported live. */
  readonly recovered: boolean;
}

export interface TraceOrder {
  readonly clientOrderId: string;
  readonly venueOrderId: string | null;
  /** The order's root: `<decisionId>#<index>` (or `halt-<ts>#<i>` for a flatten). */
  readonly root: string;
  readonly leg: number;
  readonly role: 'order' | 'leg' | 'hedge' | 'flatten';
  readonly instrumentId: string;
  readonly venue: string;
  readonly side: string;
  readonly type: string;
  readonly quantity: string;
  readonly price: string | null;
  readonly timeInForce: string;
  readonly reduceOnly: boolean;
  readonly status: string;
  readonly filledQuantity: string;
  readonly averagePrice: string | null;
  readonly fees: string;
  readonly reason: string | null;
  /** The order went UNKNOWN and a later record resolved it. */
  readonly reconciled: boolean;
  readonly risk: TraceRisk;
  readonly lifecycle: readonly TraceLifecycleStep[];
  readonly fills: readonly TraceFill[];
}

export interface TracePlan {
  readonly planId: string;
  readonly label: string;
  readonly expectedNetEdge: number | null;
  readonly policy: string;
  readonly mode: string;
  readonly status: string;
  readonly legs: readonly {
    leg: number;
    clientOrderId: string;
    instrumentId: string;
    side: string;
    quantity: string;
    limitPrice: string | null;
    sent: boolean;
    status: string | null;
  }[];
  readonly hedges: readonly {
    clientOrderId: string;
    forLeg: number | null;
    instrumentId: string | null;
    side: string | null;
    quantity: string | null;
    status: string | null;
  }[];
  readonly events: readonly { seq: number; ts: number; event: string; detail: string }[];
}

export interface TraceIntent {
  /** Position in the consensus record's `accepted` list (the `<index>` of the order root). */
  readonly index: number;
  readonly kind: string;
  readonly summary: string;
  readonly intent: IntentJson;
  readonly decisionIds: readonly string[];
  readonly agentIds: readonly string[];
  readonly weights: readonly number[];
  readonly reason: string;
  readonly tally: OrderTally | GroupTally;
  readonly caps: readonly TraceCap[];
  readonly orders: readonly TraceOrder[];
  readonly plan: TracePlan | null;
}

export interface TraceConsensus {
  readonly seq: number;
  readonly config: {
    readonly consensusThreshold: number;
    readonly minOrderWeight: number;
    readonly minPlanWeight: number;
  } | null;
  readonly trust: {
    readonly from: { readonly type: string; readonly seq: number } | null;
    readonly outcomesApplied: number;
  };
  /**
   * `reproduced`: consolidating the journaled decisions with the rebuilt trust gives the journaled
   * consensus, so every weight shown is the desk's; `differs`: it does not (rebuilt weights are
   * then unverified); `not-checked`: something needed was not journaled.
   */
  readonly check: 'reproduced' | 'differs' | 'not-checked';
  readonly accepted: number;
  readonly rejected: readonly { agentId: string; decisionId: string; intent: string; reason: string }[];
  readonly conflicts: ConsensusJson['conflicts'];
  readonly vetoes: readonly TraceVeto[];
  readonly caps: readonly {
    agentId: string;
    decisionId: string;
    instrumentId: string;
    maxQuantity: string;
    reason: string;
    bound: boolean;
  }[];
}

export interface TraceHalt {
  readonly seq: number;
  readonly ts: number;
  readonly reason: string;
  readonly operator: string | null;
  readonly flatten: boolean;
}

export interface DecisionTrace {
  readonly version: 1;
  readonly journal: { readonly dir: string; readonly headSeq: number; readonly headHash: string };
  readonly query: { readonly id: string; readonly matched: MatchKind; readonly seq: number };
  readonly trigger: TraceTrigger | null;
  readonly decisions: readonly TraceDecision[];
  /** Agents that missed their deadline for the trigger. */
  readonly timeouts: readonly string[];
  readonly consensus: TraceConsensus | null;
  readonly intents: readonly TraceIntent[];
  /** Orders outside any consensus (an operator's flatten). */
  readonly orders: readonly TraceOrder[];
  /** The operator halt a flatten order came from. */
  readonly halt: TraceHalt | null;
  readonly notes: readonly string[];
}

export interface ExplainOptions {
  /** Picks one of several matches by its first record's seq (see TraceCandidate.seq). */
  readonly seq?: number;
  readonly onVerifyProgress?: VerifyProgress;
}

const MAX_ID_LENGTH = 256;

/** Opens the journal in `dir` read-only, builds the trace of `id`, closes it. */
export function explainJournal(dir: string, id: string, options: ExplainOptions = {}): DecisionTrace {
  checkId(id);
  const reader = JournalReader.open(
    dir,
    options.onVerifyProgress === undefined ? {} : { onVerifyProgress: options.onVerifyProgress },
  );
  try {
    return explain(reader, dir, id, options);
  } finally {
    reader.close();
  }
}

/** The trace of `id` in an open journal (`dir` is only reported). */
export function explain(
  reader: JournalReader,
  dir: string,
  id: string,
  options: ExplainOptions = {},
): DecisionTrace {
  checkId(id);
  const ctx = new Context(reader);
  const matches = ctx.match(id);
  const chosen = choose(dir, id, matches, options.seq);
  return ctx.build(dir, id, chosen);
}

/** Everything `id` could name in the journal, oldest first. */
export function findCandidates(reader: JournalReader, id: string): TraceCandidate[] {
  checkId(id);
  return new Context(reader).match(id).map((m) => m.candidate);
}

function checkId(id: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (id.length === 0 || id.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      `id: expected a venue order id, a client order id or a decision id (1 to ${MAX_ID_LENGTH} printable characters); received ${JSON.stringify(id.slice(0, 40))}${id.length > 40 ? '…' : ''}`,
      { details: { path: 'id', expected: 'an order or decision id', length: id.length } },
    );
  }
}

interface Match {
  readonly candidate: TraceCandidate;
  readonly instances?: readonly OrderInstance[];
  readonly decision?: DecisionRef;
}

interface DecisionRef {
  readonly seq: number;
  readonly ts: number;
  readonly decisionId: string;
  readonly triggerId: string;
  readonly agentId: string;
}

function choose(dir: string, id: string, matches: readonly Match[], seq: number | undefined): Match {
  if (matches.length === 0) {
    throw new ConcordError(
      'CONCORD_ERR_EXPLAIN_UNKNOWN_ID',
      `no order or decision in the journal ${dir} has the id ${JSON.stringify(id)}: give a venue order id, a client order id or a decision id as journaled (concord explain ${dir} --list shows the orders)`,
      { details: { dir, id } },
    );
  }
  if (seq !== undefined) {
    const picked = matches.find((m) => m.candidate.seq === seq);
    if (picked !== undefined) return picked;
    throw new ConcordError(
      'CONCORD_ERR_EXPLAIN_UNKNOWN_ID',
      `none of the ${matches.length} match(es) of ${JSON.stringify(id)} in ${dir} starts at record ${seq}; they start at ${matches.map((m) => m.candidate.seq).join(', ')}`,
      { details: { dir, id, seq, candidates: matches.map((m) => m.candidate) } },
    );
  }
  if (matches.length === 1) return matches[0] as Match;
  const list = matches.map((m) => `record ${m.candidate.seq}: ${m.candidate.kind} of ${m.candidate.summary}`);
  throw new ConcordError(
    'CONCORD_ERR_EXPLAIN_AMBIGUOUS_ID',
    `${JSON.stringify(id)} names ${matches.length} things in the journal ${dir} (${list.join('; ')}); pass --seq <record> to pick one`,
    { details: { dir, id, candidates: matches.map((m) => m.candidate) } },
  );
}

// ── building ──────────────────────────────────────────────────────────────

/** One trigger's thinking, read back. */
interface Thinking {
  readonly trigger: { seq: number; json: TriggerJson } | undefined;
  readonly decisions: { seq: number; json: DecisionJson }[];
  readonly timeouts: string[];
  readonly consensus: { seq: number; json: ConsensusJson; raw: unknown } | undefined;
}

class Context {
  private book: OrderBook | undefined;
  private decisionIndex: Map<string, DecisionRef[]> | undefined;
  private boundaries: number[] | undefined;
  private readonly notes: string[] = [];
  private readonly malformed = { count: 0 };

  constructor(private readonly reader: JournalReader) {}

  private orders(): OrderBook {
    this.book ??= collectOrders(this.reader);
    return this.book;
  }

  private decisions(): Map<string, DecisionRef[]> {
    if (this.decisionIndex !== undefined) return this.decisionIndex;
    const index = new Map<string, DecisionRef[]>();
    for (const r of this.reader.records([EVENTS.decision.name])) {
      const d = parseWith(decisionSchema, r, this.malformed);
      if (d === undefined) continue;
      const ref = {
        seq: r.seq,
        ts: r.ts,
        decisionId: d.decisionId,
        triggerId: d.triggerId,
        agentId: d.agentId,
      };
      const list = index.get(d.decisionId);
      if (list === undefined) index.set(d.decisionId, [ref]);
      else list.push(ref);
    }
    this.decisionIndex = index;
    return index;
  }

  private segment(seq: number): number {
    this.boundaries ??= runBoundaries(this.reader);
    return segmentOf(this.boundaries, seq);
  }

  match(id: string): Match[] {
    const out: Match[] = [];
    const book = this.orders();
    for (const instance of book.byId.get(id) ?? []) {
      out.push({ candidate: orderCandidate('clientOrderId', instance), instances: [instance] });
    }
    for (const instance of book.all) {
      if (instance.clientOrderId !== id && venueOrderIdOf(instance) === id)
        out.push({ candidate: orderCandidate('venueOrderId', instance), instances: [instance] });
    }
    for (const ref of this.decisions().get(id) ?? []) {
      out.push({
        candidate: {
          kind: 'decisionId',
          seq: ref.seq,
          ts: ref.ts,
          summary: `decision ${ref.decisionId} of ${ref.agentId} for trigger ${ref.triggerId}`,
        },
        decision: ref,
      });
    }
    if (splitRoot(id) !== undefined) {
      // One candidate per run segment: a resumed run can reuse a root the lost tail had used.
      const groups = new Map<number, OrderInstance[]>();
      for (const instance of book.all) {
        if (instance.first.decisionId !== id) continue;
        const s = this.segment(instance.firstSeq);
        const list = groups.get(s);
        if (list === undefined) groups.set(s, [instance]);
        else list.push(instance);
      }
      for (const instances of groups.values()) {
        const first = instances[0] as OrderInstance;
        out.push({
          candidate: {
            kind: 'orderRoot',
            seq: first.firstSeq,
            ts: first.events[0]?.ts ?? first.first.ts,
            summary: `${instances.length} order(s) of ${id}`,
          },
          instances,
        });
      }
    }
    return out.sort((a, b) => a.candidate.seq - b.candidate.seq);
  }

  build(dir: string, id: string, match: Match): DecisionTrace {
    const head = this.reader.head();
    let thinking: Thinking | undefined;
    let intents: TraceIntent[] = [];
    let orders: TraceOrder[] = [];
    let halt: TraceHalt | null = null;
    let focusDecision: string | undefined;

    if (match.decision !== undefined) {
      focusDecision = match.decision.decisionId;
      thinking = this.thinking(match.decision.triggerId, match.decision.seq);
    } else {
      const instances = match.instances as readonly OrderInstance[];
      const first = instances[0] as OrderInstance;
      const root = first.first.decisionId;
      const split = splitRoot(root);
      if (root.startsWith('halt-')) {
        halt = this.haltBefore(first.firstSeq);
        orders = instances.map((i) => this.order(i, 'flatten'));
        if (halt === null)
          this.notes.push(`no risk.halt record precedes the flatten order ${first.clientOrderId}`);
      } else if (split === undefined) {
        orders = instances.map((i) => this.order(i, 'order'));
        this.notes.push(
          `the order's decision id ${JSON.stringify(root)} is not <decision>#<index>: no consensus to show`,
        );
      } else {
        const refs = this.decisions().get(split.decisionId) ?? [];
        const ref = lastBefore(refs, first.firstSeq);
        if (ref === undefined) {
          orders = instances.map((i) => this.order(i, 'order'));
          this.notes.push(
            `decision ${split.decisionId} is not in this journal (compacted, or cut before it): the order's thinking cannot be shown`,
          );
        } else thinking = this.thinking(ref.triggerId, ref.seq);
      }
    }

    let decisions: TraceDecision[] = [];
    let consensus: TraceConsensus | null = null;
    let trigger: TraceTrigger | null = null;
    if (thinking !== undefined) {
      trigger = this.trigger(thinking);
      const built = this.consensus(thinking);
      decisions = built.decisions;
      consensus = built.consensus;
      const c = thinking.consensus;
      if (c !== undefined) {
        const wanted = new Set<number>();
        if (match.decision !== undefined) {
          c.json.accepted.forEach((a, i) => {
            if (a.decisionIds.includes(focusDecision as string)) wanted.add(i);
          });
        } else {
          const split = splitRoot((match.instances as OrderInstance[])[0]?.first.decisionId ?? '');
          if (split !== undefined) wanted.add(split.index);
        }
        intents = [...wanted]
          .sort((a, b) => a - b)
          .map((i) => this.intent(c.seq, c.json, i, built.weights, thinking as Thinking, match.instances));
        if (match.decision !== undefined && intents.length === 0) {
          this.notes.push(
            `decision ${focusDecision} was not part of any accepted intent: it led to no order`,
          );
        }
      }
    }

    if (this.malformed.count + (this.book?.malformed ?? 0) > 0)
      this.notes.push(
        `${this.malformed.count + (this.book?.malformed ?? 0)} record(s) of a known type had an unexpected shape and were skipped`,
      );
    return {
      version: 1,
      journal: { dir, headSeq: head.seq, headHash: head.hash },
      query: { id, matched: match.candidate.kind, seq: match.candidate.seq },
      trigger,
      decisions,
      timeouts: thinking?.timeouts ?? [],
      consensus,
      intents,
      orders,
      halt,
      notes: this.notes,
    };
  }

  /** The trigger, decisions, timeouts and consensus of one trigger, around a decision at `seq`. */
  private thinking(triggerId: string, decisionSeq: number): Thinking {
    const triggerRecord = this.reader.last([EVENTS.trigger.name], { toSeq: decisionSeq });
    const trigger =
      triggerRecord === undefined ? undefined : parseWith(triggerSchema, triggerRecord, this.malformed);
    const found =
      trigger?.id === triggerId ? { seq: (triggerRecord as JournalRecord).seq, json: trigger } : undefined;
    if (found === undefined) this.notes.push(`the trigger ${triggerId} is not in this journal`);
    const decisions: Thinking['decisions'] = [];
    let consensus: Thinking['consensus'];
    const types = [EVENTS.decision.name, EVENTS.consensus.name, EVENTS.trigger.name];
    for (const r of this.reader.records(types, { fromSeq: found?.seq ?? decisionSeq })) {
      if (r.type === EVENTS.trigger.name && r.seq !== found?.seq) break;
      if (r.type === EVENTS.decision.name) {
        const d = parseWith(decisionSchema, r, this.malformed);
        if (d !== undefined && d.triggerId === triggerId) decisions.push({ seq: r.seq, json: d });
      } else if (r.type === EVENTS.consensus.name) {
        const p = parseWith(consensusSchema, r, this.malformed);
        if (p !== undefined && p.triggerId === triggerId) {
          consensus = { seq: r.seq, json: p, raw: r.payload };
          break;
        }
      }
    }
    // Missed deadlines are journaled before the trigger record, after the step's market event.
    const timeouts: string[] = [];
    if (found !== undefined) {
      const before = this.reader.last([EVENTS.market.name, EVENTS.trigger.name], { toSeq: found.seq - 1 });
      for (const r of this.reader.records([EVENTS.agentTimeout.name], {
        fromSeq: before?.seq ?? 1,
        toSeq: found.seq,
      })) {
        const t = r.payload as { triggerId?: unknown; agentId?: unknown } | null;
        if (t?.triggerId === triggerId && typeof t.agentId === 'string') timeouts.push(t.agentId);
      }
    }
    if (consensus === undefined) this.notes.push(`no consensus record for trigger ${triggerId}`);
    return { trigger: found, decisions, timeouts, consensus };
  }

  private trigger(thinking: Thinking): TraceTrigger | null {
    const t = thinking.trigger;
    if (t === undefined) return null;
    const market = this.reader.last([EVENTS.market.name], { toSeq: t.seq });
    const event = market?.payload as Record<string, unknown> | undefined;
    const matches =
      event !== undefined && event.instrumentId === t.json.instrumentId && event.ts === t.json.ts;
    if (!matches)
      this.notes.push(
        'the market event behind the trigger is not journaled (a backtest journals its files, not each event)',
      );
    return {
      seq: t.seq,
      id: t.json.id,
      kind: t.json.kind,
      instrumentId: t.json.instrumentId,
      ts: t.json.ts,
      magnitude: t.json.magnitude,
      marketEvent:
        matches && market !== undefined
          ? { seq: market.seq, summary: describeMarketEvent(event), event }
          : null,
    };
  }

  /** The decisions with their trust and weights, and the consensus with its check. */
  private consensus(thinking: Thinking): {
    decisions: TraceDecision[];
    consensus: TraceConsensus | null;
    weights: Map<string, number>;
  } {
    const c = thinking.consensus;
    const atSeq = thinking.trigger?.seq ?? thinking.decisions[0]?.seq ?? c?.seq ?? 1;
    const trust = trustBefore(this.reader, atSeq);
    for (const p of trust.problems) this.notes.push(`trust: ${p}`);
    const config = this.consolidationConfig(atSeq);
    const lookup = (agentId: string) => trust.book.trust(agentId);

    // Journaled weights of the decisions behind accepted intents take precedence.
    const journaled = new Map<string, number>();
    for (const a of c?.json.accepted ?? [])
      a.decisionIds.forEach((d, i) => {
        const w = a.weights[i];
        if (w !== undefined) journaled.set(d, w);
      });
    const weights = new Map<string, number>();
    const outcomes = this.outcomes(
      thinking.decisions.map((d) => d.json.decisionId),
      c?.seq ?? atSeq,
    );
    const decisions: TraceDecision[] = thinking.decisions.map(({ seq, json }) => {
      const rebuilt = decisionWeight(json, lookup);
      const fromConsensus = journaled.get(json.decisionId);
      const weight = fromConsensus ?? rebuilt;
      weights.set(json.decisionId, weight);
      const outcome = outcomes.get(json.decisionId);
      return {
        seq,
        decisionId: json.decisionId,
        agentId: json.agentId,
        role: json.role ?? 'proposer',
        confidence: json.confidence,
        reasoning: json.reasoning,
        expectedReturn: json.expectedReturn,
        intents: json.intents,
        trust: lookup(json.agentId),
        weight,
        weightSource: fromConsensus === undefined ? 'rebuilt' : 'consensus',
        verdict: c === undefined ? { kind: 'opinion' } : verdictOf(json, c.json),
        outcome: outcome ?? null,
      };
    });
    if (c === undefined) return { decisions, consensus: null, weights };

    let check: TraceConsensus['check'] = 'not-checked';
    if (config !== undefined) {
      try {
        const records = thinking.decisions.map(({ json }) => reviveDecision(json));
        const again = consolidate(records, lookup, config);
        const raw = c.raw as Record<string, unknown>;
        const journaledJson = canonicalJson({
          accepted: raw.accepted,
          rejected: raw.rejected,
          conflicts: raw.conflicts,
          vetoes: raw.vetoes,
          caps: raw.caps,
        });
        check = canonicalJson(again) === journaledJson ? 'reproduced' : 'differs';
      } catch {
        check = 'not-checked';
      }
    }
    if (check === 'differs')
      this.notes.push(
        'consolidating the journaled decisions with the rebuilt trust does not give the journaled consensus: weights marked "rebuilt" are unverified',
      );
    const bound = new Set(c.json.caps.filter((x) => x.effects.length > 0).map((x) => x.decisionId));
    return {
      decisions,
      weights,
      consensus: {
        seq: c.seq,
        config:
          config === undefined
            ? null
            : {
                consensusThreshold: config.consensusThreshold,
                minOrderWeight: config.minOrderWeight,
                minPlanWeight: config.minPlanWeight,
              },
        trust: { from: trust.origin ?? null, outcomesApplied: trust.outcomesApplied },
        check,
        accepted: c.json.accepted.length,
        rejected: c.json.rejected.map((r) => ({
          agentId: r.agentId,
          decisionId: r.decisionId,
          intent: describeIntent(r.intent),
          reason: r.reason,
        })),
        conflicts: c.json.conflicts,
        vetoes: c.json.vetoes,
        caps: c.json.caps.map((x) => ({
          agentId: x.agentId,
          decisionId: x.decisionId,
          instrumentId: x.instrumentId,
          maxQuantity: x.maxQuantity,
          reason: x.reason,
          bound: bound.has(x.decisionId) && x.effects.length > 0,
        })),
      },
    };
  }

  private consolidationConfig(seq: number): ConsolidationConfig | undefined {
    const start = this.reader.last([EVENTS.runStart.name], { toSeq: seq });
    const consensus = (start?.payload as { config?: { orchestrator?: { consensus?: unknown } } } | undefined)
      ?.config?.orchestrator?.consensus;
    try {
      return parseConsolidationConfig(consensus ?? {});
    } catch {
      this.notes.push("the run's orchestrator.consensus config is invalid: the consensus cannot be checked");
      return undefined;
    }
  }

  /** The first outcome of each decision journaled after `fromSeq`. */
  private outcomes(decisionIds: readonly string[], fromSeq: number): Map<string, TraceOutcome> {
    const wanted = new Set(decisionIds);
    const out = new Map<string, TraceOutcome>();
    if (wanted.size === 0) return out;
    for (const r of this.reader.records([EVENTS.outcome.name], { fromSeq })) {
      const o: OutcomeJson | undefined = parseWith(outcomeSchema, r, this.malformed);
      if (o === undefined || !wanted.has(o.decisionId) || out.has(o.decisionId)) continue;
      out.set(o.decisionId, {
        seq: r.seq,
        ts: o.ts,
        realizedReturn: o.realizedReturn,
        correct: o.correct,
        pnl: o.pnl,
      });
      if (out.size === wanted.size) break;
    }
    return out;
  }

  private intent(
    consensusSeq: number,
    consensus: ConsensusJson,
    index: number,
    weights: ReadonlyMap<string, number>,
    thinking: Thinking,
    focus: readonly OrderInstance[] | undefined,
  ): TraceIntent {
    const accepted = consensus.accepted[index];
    if (accepted === undefined) {
      this.notes.push(`the consensus record at ${consensusSeq} has no accepted intent #${index}`);
      return emptyIntent(index);
    }
    const root = `${accepted.decisionIds[0]}#${index}`;
    const kind = String(accepted.intent.kind ?? 'unknown');
    const instances = focus ?? this.ordersOfRoot(root, consensusSeq);
    const plan = kind === 'plan' ? this.plan(root, consensusSeq) : null;
    const legs = Array.isArray(accepted.intent.legs) ? accepted.intent.legs.length : 0;
    const orders = instances.map((i) =>
      this.order(i, kind !== 'plan' ? 'order' : i.first.leg < legs ? 'leg' : 'hedge'),
    );
    if (orders.length === 0 && kind !== 'order' && kind !== 'plan')
      this.notes.push(`intent #${index} is a ${kind}: it becomes no order on a book`);
    else if (orders.length === 0) this.notes.push(`no order record for ${root} after the consensus`);
    const label = typeof accepted.intent.label === 'string' ? accepted.intent.label : undefined;
    const caps: TraceCap[] = [];
    for (const cap of consensus.caps)
      for (const e of cap.effects)
        if (
          kind === 'plan'
            ? e.plan === label
            : e.plan === undefined && e.instrumentId === accepted.intent.instrumentId
        )
          caps.push({
            agentId: cap.agentId,
            decisionId: cap.decisionId,
            instrumentId: e.instrumentId,
            maxQuantity: cap.maxQuantity,
            reason: cap.reason,
            from: e.from,
            to: e.to,
          });
    return {
      index,
      kind,
      summary: describeIntent(accepted.intent),
      intent: accepted.intent,
      decisionIds: accepted.decisionIds,
      agentIds: accepted.agentIds,
      weights: accepted.weights,
      reason: accepted.reason,
      tally: kind === 'order' ? orderTally(accepted, thinking, weights, caps) : groupTally(accepted),
      caps,
      orders,
      plan,
    };
  }

  /** Orders of one root, from the first one after `fromSeq` on, in its run segment. */
  private ordersOfRoot(root: string, fromSeq: number): OrderInstance[] {
    const mine = this.orders().all.filter((i) => i.first.decisionId === root && i.firstSeq > fromSeq);
    if (mine.length === 0) return [];
    const segment = this.segment((mine[0] as OrderInstance).firstSeq);
    return mine.filter((i) => this.segment(i.firstSeq) === segment);
  }

  private order(instance: OrderInstance, role: TraceOrder['role']): TraceOrder {
    const o = instance.last;
    const lifecycle: TraceLifecycleStep[] = [];
    const fills: TraceFill[] = [];
    let wasUnknown = false;
    let reconciled = false;
    let denial: DenialJson | undefined;
    let submitted = false;
    for (const e of instance.events) {
      if (wasUnknown && e.status !== 'UNKNOWN' && !reconciled) reconciled = true;
      if (e.status === 'UNKNOWN') wasUnknown = true;
      if (e.type === EVENTS.orderDenied.name) denial = e.denial;
      if (e.type === EVENTS.orderSubmitted.name) submitted = true;
      const applied = e.fill !== undefined && e.type !== EVENTS.orderOverfill.name;
      if (applied && e.fill !== undefined)
        fills.push({
          seq: e.seq,
          ts: e.fill.ts,
          tradeId: e.fill.tradeId,
          venueOrderId: e.fill.venueOrderId,
          side: e.fill.side,
          price: e.fill.price,
          quantity: e.fill.quantity,
          fee: e.fill.fee,
          feeCurrency: e.fill.feeCurrency,
          liquidity: e.fill.liquidity,
          recovered: e.type === EVENTS.reconcileFillRecovered.name,
        });
      lifecycle.push({ seq: e.seq, ts: e.ts, event: e.type, status: e.status, detail: lifecycleDetail(e) });
    }
    const filled = Decimal.tryFrom(o.filledQuantity) ?? Decimal.ZERO;
    const notional = Decimal.tryFrom(o.filledNotional) ?? Decimal.ZERO;
    return {
      clientOrderId: instance.clientOrderId,
      venueOrderId: venueOrderIdOf(instance) ?? null,
      root: o.decisionId,
      leg: o.leg,
      role,
      instrumentId: o.instrumentId,
      venue: o.venue,
      side: o.side,
      type: o.type,
      quantity: o.quantity,
      price: o.price ?? null,
      timeInForce: o.timeInForce,
      reduceOnly: o.reduceOnly === true,
      status: instance.events[instance.events.length - 1]?.status ?? o.status,
      filledQuantity: o.filledQuantity,
      averagePrice: filled.isPositive() ? notional.div(filled).toString() : null,
      fees: o.fees,
      reason: o.reason ?? null,
      reconciled,
      risk: this.risk(instance, denial, submitted),
      lifecycle,
      fills,
    };
  }

  private risk(instance: OrderInstance, denial: DenialJson | undefined, submitted: boolean): TraceRisk {
    const chain = this.chainAt(instance.firstSeq);
    const rules = chain.rules;
    const at = denial === undefined ? -1 : rules.indexOf(denial.rule);
    let note: string | null = null;
    let results: TraceRule['result'][];
    if (denial === undefined) {
      results = rules.map(() => (submitted ? 'passed' : 'not-run'));
      if (!submitted)
        note = 'no record says whether the gate passed or denied this order (the journal may end before it)';
    } else if (denial.code === 'PLAN_LEG_DENIED') {
      results = rules.map(() => 'passed');
      note = 'this leg passed every rule; it was not sent because another leg of its plan was denied';
    } else if (at >= 0) {
      results = rules.map((_, i) => (i < at ? 'passed' : i === at ? 'denied' : 'not-run'));
    } else {
      results = rules.map(() => 'not-run');
      note = `denied at the ${denial.rule} stage, before the risk rules ran`;
    }
    return {
      outcome: denial !== undefined ? 'denied' : submitted ? 'passed' : 'unknown',
      chainSource: chain.source,
      chainSeq: chain.seq,
      rules: rules.map((name, i) => {
        const limit =
          chain.limits === undefined ? undefined : ruleLimit(name, chain.limits, instance.first.instrumentId);
        return {
          name,
          result: results[i] ?? 'not-run',
          limit: limit?.limit ?? null,
          configured: limit?.configured ?? null,
        };
      }),
      denial: denial ?? null,
      note,
    };
  }

  private readonly chains = new Map<number, ReturnType<Context['readChain']>>();

  private chainAt(seq: number): {
    rules: string[];
    limits: Record<string, unknown> | undefined;
    source: TraceRisk['chainSource'];
    seq: number | null;
  } {
    const record = this.reader.last([EVENTS.riskChain.name], { toSeq: seq });
    const key = record?.seq ?? 0;
    let chain = this.chains.get(key);
    if (chain === undefined) {
      chain = this.readChain(record, seq);
      this.chains.set(key, chain);
    }
    return chain;
  }

  private readChain(
    record: JournalRecord | undefined,
    seq: number,
  ): {
    rules: string[];
    limits: Record<string, unknown> | undefined;
    source: TraceRisk['chainSource'];
    seq: number | null;
  } {
    if (record !== undefined) {
      const p = parseWith(riskChainSchema, record, this.malformed);
      if (p !== undefined) return { rules: p.rules, limits: p.limits, source: 'journal', seq: record.seq };
    }
    this.notes.push("no risk.chain record before the order: the rules shown are this version's chain");
    const start = this.reader.last([EVENTS.runStart.name], { toSeq: seq });
    const config = (start?.payload as { config?: unknown } | undefined)?.config;
    if (config !== undefined) {
      try {
        const { risk } = resolveSafety({ risk: {}, ...(config as object) } as DeskConfig);
        return {
          rules: defaultRuleNames(),
          limits: JSON.parse(canonicalJson(risk)) as Record<string, unknown>,
          source: 'config',
          seq: null,
        };
      } catch {
        // Limits unknown: the rules are still listed.
      }
    }
    return { rules: defaultRuleNames(), limits: undefined, source: 'code', seq: null };
  }

  private plan(root: string, fromSeq: number): TracePlan | null {
    let last: PlanPayloadJson | undefined;
    const events: { seq: number; ts: number; event: string; detail: string }[] = [];
    const hedgeInfo = new Map<
      string,
      { forLeg: number; instrumentId: string; side: string; quantity: string }
    >();
    for (const r of this.reader.records(PLAN_RECORD_TYPES, { fromSeq })) {
      const p = parseWith(planPayloadSchema, r, this.malformed);
      if (p === undefined || p.plan.planId !== root) continue;
      last = p;
      events.push({ seq: r.seq, ts: r.ts, event: r.type, detail: planDetail(r.type, p) });
      for (const o of p.orders ?? [])
        if (o.clientOrderId !== undefined)
          hedgeInfo.set(o.clientOrderId, {
            forLeg: o.forLeg,
            instrumentId: o.instrumentId,
            side: o.side,
            quantity: o.quantity,
          });
      if (r.type === EVENTS.planCompleted.name) break;
    }
    if (last === undefined) return null;
    const plan = last.plan;
    const statusOf = (clientOrderId: string) => {
      const list = this.orders().byId.get(clientOrderId) ?? [];
      const instance = list.find((i) => i.firstSeq > fromSeq) ?? list[list.length - 1];
      return instance === undefined
        ? null
        : (instance.events[instance.events.length - 1]?.status ?? instance.last.status);
    };
    return {
      planId: plan.planId,
      label: plan.label,
      expectedNetEdge: plan.expectedNetEdge ?? null,
      policy: plan.policy,
      mode: plan.mode,
      status: last.outcome ?? plan.status,
      legs: plan.legs.map((l, leg) => ({
        leg,
        clientOrderId: l.clientOrderId,
        instrumentId: l.intent.instrumentId,
        side: l.intent.side,
        quantity: l.intent.quantity,
        limitPrice: l.intent.limitPrice ?? null,
        sent: l.sent,
        status: statusOf(l.clientOrderId),
      })),
      hedges: plan.hedgeOrderIds.map((id) => {
        const h = hedgeInfo.get(id);
        return {
          clientOrderId: id,
          forLeg: h?.forLeg ?? null,
          instrumentId: h?.instrumentId ?? null,
          side: h?.side ?? null,
          quantity: h?.quantity ?? null,
          status: statusOf(id),
        };
      }),
      events,
    };
  }

  private haltBefore(seq: number): TraceHalt | null {
    const r = this.reader.last([EVENTS.riskHalt.name], { toSeq: seq });
    if (r === undefined) return null;
    const p = parseWith(riskHaltSchema, r, this.malformed);
    if (p === undefined) return null;
    return { seq: r.seq, ts: r.ts, reason: p.reason, operator: p.operator, flatten: p.flatten };
  }
}

function orderCandidate(kind: MatchKind, instance: OrderInstance): TraceCandidate {
  const o = instance.last;
  const status = instance.events[instance.events.length - 1]?.status ?? o.status;
  return {
    kind,
    seq: instance.firstSeq,
    ts: instance.events[0]?.ts ?? o.ts,
    summary: `order ${instance.clientOrderId} ${o.side} ${o.quantity} ${o.instrumentId} ${status}`,
  };
}

function lastBefore(refs: readonly DecisionRef[], seq: number): DecisionRef | undefined {
  let found: DecisionRef | undefined;
  for (const r of refs) if (r.seq < seq) found = r;
  return found;
}

function emptyIntent(index: number): TraceIntent {
  return {
    index,
    kind: 'unknown',
    summary: 'unknown',
    intent: {},
    decisionIds: [],
    agentIds: [],
    weights: [],
    reason: '',
    tally: { kind: 'group', weight: 0, contributors: [] },
    caps: [],
    orders: [],
    plan: null,
  };
}

function verdictOf(decision: DecisionJson, consensus: ConsensusJson): DecisionVerdict {
  const accepted: number[] = [];
  consensus.accepted.forEach((a, i) => {
    if (a.decisionIds.includes(decision.decisionId)) accepted.push(i);
  });
  const reasons = consensus.rejected.filter((r) => r.decisionId === decision.decisionId).map((r) => r.reason);
  const uniqueReasons = [...new Set(reasons)];
  if ((decision.role ?? 'proposer') === 'risk') {
    return {
      kind: 'advice',
      vetoes: consensus.vetoes.filter((v) => v.decisionId === decision.decisionId).length,
      caps: consensus.caps.filter((c) => c.decisionId === decision.decisionId).length,
    };
  }
  if (accepted.length > 0 && uniqueReasons.length > 0)
    return { kind: 'partly', intents: accepted, reasons: uniqueReasons };
  if (accepted.length > 0) return { kind: 'accepted', intents: accepted };
  if (uniqueReasons.length > 0) return { kind: 'rejected', reasons: uniqueReasons };
  return { kind: 'opinion' };
}

/** The vote on the intent's instrument, from the decisions and their weights. */
function orderTally(
  accepted: AcceptedJson,
  thinking: Thinking,
  weights: ReadonlyMap<string, number>,
  caps: readonly TraceCap[],
): OrderTally {
  const instrumentId = String(accepted.intent.instrumentId ?? '');
  const votes: TraceVote[] = [];
  for (const { json } of thinking.decisions) {
    if ((json.role ?? 'proposer') === 'risk') continue;
    const mine = json.intents.filter((i) => i.kind === 'order' && i.instrumentId === instrumentId);
    if (mine.length === 0) continue;
    const sides = new Set(mine.map((i) => String(i.side)));
    const weight = weights.get(json.decisionId) ?? 0;
    // A decision proposing both sides does not vote; one without weight is rejected before the vote.
    if (sides.size !== 1 || weight <= 0) continue;
    let quantity = Decimal.ZERO;
    for (const i of mine) quantity = quantity.add(Decimal.tryFrom(i.quantity) ?? Decimal.ZERO);
    votes.push({
      agentId: json.agentId,
      decisionId: json.decisionId,
      side: [...sides][0] as string,
      quantity: quantity.toString(),
      weight,
    });
  }
  let buyWeight = 0;
  let sellWeight = 0;
  for (const v of votes) {
    if (v.side === 'buy') buyWeight += v.weight;
    else sellWeight += v.weight;
  }
  const total = buyWeight + sellWeight;
  const quantity = String(accepted.intent.quantity ?? '');
  return {
    kind: 'order',
    instrumentId,
    votes,
    buyWeight,
    sellWeight,
    buyShare: total > 0 ? buyWeight / total : 0,
    sellShare: total > 0 ? sellWeight / total : 0,
    winner: String(accepted.intent.side ?? ''),
    proposedQuantity: caps[0]?.from ?? quantity,
    quantity,
  };
}

function groupTally(accepted: AcceptedJson): GroupTally {
  const contributors = accepted.decisionIds.map((decisionId, i) => ({
    decisionId,
    agentId: accepted.agentIds[i] ?? '',
    weight: accepted.weights[i] ?? 0,
  }));
  let weight = 0;
  for (const c of contributors) weight += c.weight;
  return { kind: 'group', weight, contributors };
}

/** A journaled decision with its intents' decimals and token amounts revived, for `consolidate`. */
function reviveDecision(d: DecisionJson): RoledDecisionRecord {
  return {
    decisionId: d.decisionId,
    agentId: d.agentId,
    role: d.role === 'risk' ? 'risk' : 'proposer',
    ts: d.ts,
    triggerId: d.triggerId,
    intents: d.intents.map(reviveIntent),
    confidence: d.confidence,
    reasoning: d.reasoning,
    expectedReturn: d.expectedReturn,
  };
}

function reviveIntent(i: IntentJson): Intent {
  const dec = (v: unknown) => Decimal.from(v as string);
  switch (i.kind) {
    case 'order':
      return {
        ...i,
        quantity: dec(i.quantity),
        ...(i.limitPrice === undefined ? {} : { limitPrice: dec(i.limitPrice) }),
      } as unknown as Intent;
    case 'plan':
      return { ...i, legs: (i.legs as IntentJson[]).map(reviveIntent) } as unknown as Intent;
    case 'risk-advice':
      return {
        ...i,
        ...(i.maxQuantity === undefined ? {} : { maxQuantity: dec(i.maxQuantity) }),
      } as unknown as Intent;
    case 'swap':
      return {
        ...i,
        amountIn: BigInt(i.amountIn as string),
        minAmountOut: BigInt(i.minAmountOut as string),
      } as unknown as Intent;
    case 'liquidation':
      return { ...i, repayAmount: BigInt(i.repayAmount as string) } as unknown as Intent;
    case 'supply':
    case 'withdraw':
      return { ...i, amount: BigInt(i.amount as string) } as unknown as Intent;
    default:
      return i as unknown as Intent;
  }
}

// ── words ─────────────────────────────────────────────────────────────────

/** One line for an intent as journaled. */
export function describeIntent(i: IntentJson): string {
  switch (i.kind) {
    case 'order':
      return `${String(i.side)} ${String(i.quantity)} ${String(i.instrumentId)} ${String(i.type)}${i.limitPrice === undefined ? '' : ` @ ${String(i.limitPrice)}`}${i.reduceOnly === true ? ' reduce-only' : ''}`;
    case 'plan': {
      const legs = Array.isArray(i.legs) ? (i.legs as IntentJson[]) : [];
      return `plan "${String(i.label)}": ${legs.map(describeIntent).join(' + ')}`;
    }
    case 'risk-advice':
      return i.veto === true
        ? `veto ${String(i.instrumentId)}: ${String(i.reason)}`
        : `cap ${String(i.instrumentId)} at ${String(i.maxQuantity)}: ${String(i.reason)}`;
    case 'swap':
      return `swap ${String(i.amountIn)} ${String(i.tokenIn)} → ${String(i.tokenOut)} on ${String(i.poolId)} (min out ${String(i.minAmountOut)})`;
    case 'liquidation':
      return `liquidate ${String(i.borrower)} on ${String(i.marketId)}: repay ${String(i.repayAmount)} ${String(i.debtAsset)} for ${String(i.collateralAsset)}`;
    case 'supply':
    case 'withdraw':
      return `${i.kind} ${String(i.amount)} ${String(i.asset)} on ${String(i.marketId)}`;
    default:
      return String(i.kind ?? 'intent');
  }
}

/** One line for a market event as journaled. */
export function describeMarketEvent(e: Record<string, unknown> | undefined): string {
  if (e === undefined) return '';
  const best = (levels: unknown, side: 'bid' | 'ask') => {
    if (!Array.isArray(levels)) return undefined;
    let bestPrice: number | undefined;
    for (const l of levels) {
      if (!Array.isArray(l) || typeof l[0] !== 'number' || l[1] === 0) continue;
      if (bestPrice === undefined || (side === 'bid' ? l[0] > bestPrice : l[0] < bestPrice)) bestPrice = l[0];
    }
    return bestPrice;
  };
  const id = String(e.instrumentId);
  switch (e.type) {
    case 'book.snapshot':
    case 'book.delta': {
      const bid = best(e.bids, 'bid');
      const ask = best(e.asks, 'ask');
      const n = (Array.isArray(e.bids) ? e.bids.length : 0) + (Array.isArray(e.asks) ? e.asks.length : 0);
      return `${String(e.type)} ${id} seq ${String(e.sequence)}: ${n} level(s)${bid === undefined ? '' : `, best bid level ${bid}`}${ask === undefined ? '' : `, best ask level ${ask}`}`;
    }
    case 'quote':
      return `quote ${id}: bid ${String(e.bid)} × ${String(e.bidSize)}, ask ${String(e.ask)} × ${String(e.askSize)}`;
    case 'trade':
      return `trade ${id}: ${String(e.size)} @ ${String(e.price)} (aggressor ${String(e.aggressor)})`;
    case 'bar':
      return `bar ${id}: O ${String(e.open)} H ${String(e.high)} L ${String(e.low)} C ${String(e.close)}`;
    default:
      return `${String(e.type)} ${id}`;
  }
}

function lifecycleDetail(e: {
  readonly type: string;
  readonly fill:
    | { quantity: string; price: string; fee: string; feeCurrency: string; liquidity: string }
    | undefined;
  readonly denial: DenialJson | undefined;
  readonly error: Record<string, unknown> | undefined;
  readonly order: { venueOrderId?: string | undefined; reason?: string | undefined } | undefined;
}): string | null {
  if (e.fill !== undefined) {
    const f = e.fill;
    const what = `${f.quantity} @ ${f.price}, fee ${f.fee} ${f.feeCurrency} (${f.liquidity})`;
    if (e.type === EVENTS.orderOverfill.name) return `refused: ${what} would overfill the order`;
    if (e.type === EVENTS.reconcileFillRecovered.name) return `recovered by reconciliation: ${what}`;
    return what;
  }
  if (e.denial !== undefined) return `${e.denial.code} (${e.denial.rule}): ${e.denial.message}`;
  if (e.error !== undefined) {
    const code = typeof e.error.code === 'string' ? e.error.code : '';
    const message = typeof e.error.message === 'string' ? e.error.message : '';
    return `${code}${code && message ? ': ' : ''}${message}` || null;
  }
  if (e.type === EVENTS.orderAccepted.name && e.order?.venueOrderId !== undefined)
    return `venue order id ${e.order.venueOrderId}`;
  if (e.order?.reason !== undefined && e.type !== EVENTS.orderInitialized.name) return e.order.reason;
  return null;
}

function planDetail(type: string, p: PlanPayloadJson): string {
  switch (type) {
    case EVENTS.planStarted.name:
      return `${p.plan.legs.length} legs, ${p.plan.mode}, leg-risk policy ${p.plan.policy}`;
    case EVENTS.planLegFailed.name:
      return `leg ${p.leg ?? '?'} ended without filling completely: ${p.reason ?? ''}`;
    case EVENTS.planHedged.name:
      return `${(p.orders ?? []).length} correction order(s) sent (${p.plan.policy})`;
    case EVENTS.planCompleted.name:
      return `outcome ${p.outcome ?? p.plan.status}`;
    default:
      return type;
  }
}
