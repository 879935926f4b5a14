/**
 * The plan executor: runs multi-leg plans (arbitrage legs on several venues) on top of the order
 * manager's public API (`PlanOrders`), and nothing else of it.
 *
 * - Leg k of plan P is the order `clientOrderId(P, k)`; hedge and unwind orders take the numbers
 *   after the last leg, so a restart never reuses an id.
 * - Sequential plans send the next leg once the previous one FILLED; parallel plans put every leg
 *   through the gate before any is sent, so a denial costs nothing.
 * - When a leg fails, the plan's leg-risk policy evens out the legs: `hedge` completes the lagging
 *   legs at market, `unwind` takes the leading legs back with reduce-only orders, `none` leaves
 *   the plan exposed. Quantities only ever round down to the lot.
 * - Every leg and hedge order carries the plan's attribution; legs carry its expected net edge to
 *   the gate (hedges do not: they limit leg risk and must not be refused for the edge).
 *
 * It moves a plan on when one of its orders settles (`onSettled`), synchronously, so a plan's
 * records follow its orders' records in the journal.
 */
import { EVENTS, type EventDef } from '../bus/index.ts';
import {
  type Clock,
  ConcordError,
  Decimal,
  clientOrderId as deriveClientOrderId,
  toConcordError,
} from '../core/index.ts';
import {
  type Denial,
  type InstrumentId,
  isTerminal,
  type Order,
  type OrderAttribution,
  type OrderableInstrument,
  type OrderIntent,
  oppositeSide,
  type PlanIntent,
} from '../model/index.ts';
import type { PrepareResult, ReadyOrder, SubmitResult } from './order-results.ts';
import type { SubmitContext } from './order-shaping.ts';
import {
  isPlanFinished,
  type LegRiskPolicy,
  type PlanLegState,
  type PlanMode,
  type PlanState,
  planToJson,
} from './plan.ts';
import type { ExecutionEvents } from './ports.ts';

/** The order manager as the plan executor uses it: its public API, nothing more. */
export interface PlanOrders {
  order(clientOrderId: string): Readonly<Order> | undefined;
  /** Registers an order and puts it through shaping and the gate, without sending it. */
  prepare(intent: OrderIntent, ctx: SubmitContext): PrepareResult;
  send(ready: ReadyOrder): Promise<SubmitResult>;
  /** Denies a prepared order that will not be sent. */
  withdraw(ready: ReadyOrder, denial: Denial): SubmitResult;
  onSettled(handler: (order: Readonly<Order>) => void): () => void;
}

export interface PlanContext {
  /** Unique per plan: legs use leg numbers 0..n-1, hedge/unwind orders n, n+1, … */
  readonly decisionId: string;
  readonly ts: number;
  /** One per plan leg, in the same order. */
  readonly legs: readonly {
    readonly instrument: OrderableInstrument;
    readonly referencePrice: number | undefined;
  }[];
  readonly policy?: LegRiskPolicy;
  readonly mode?: PlanMode;
  /** Whose plan this is; every leg and hedge order carries it. */
  readonly attribution?: OrderAttribution;
}

export type PlanResult = { readonly outcome: 'started' | 'duplicate'; readonly plan: Readonly<PlanState> };

export interface PlanExecutorOptions {
  readonly orders: PlanOrders;
  readonly events: ExecutionEvents;
  readonly clock: Clock;
  /** Default leg-risk policy of plans; default `hedge`. */
  readonly legRiskPolicy?: LegRiskPolicy;
  /** Default plan mode; default `sequential`. */
  readonly planMode?: PlanMode;
  /** Latest price for hedge and unwind orders' pre-trade checks; falls back to the plan's reference price. */
  readonly referencePrice?: (instrumentId: InstrumentId) => number | undefined;
}

export class PlanExecutor {
  private readonly orders: PlanOrders;
  private readonly events: ExecutionEvents;
  private readonly clock: Clock;
  private readonly defaultPolicy: LegRiskPolicy;
  private readonly defaultMode: PlanMode;
  private readonly latestPrice: ((instrumentId: InstrumentId) => number | undefined) | undefined;
  private readonly plansById = new Map<string, PlanState>();
  private readonly planByOrderId = new Map<string, PlanState>();
  /** Plans in the middle of a multi-step change; re-entrant advances wait for it to finish. */
  private readonly suspendedPlans = new Set<PlanState>();

  constructor(options: PlanExecutorOptions) {
    this.orders = options.orders;
    this.events = options.events;
    this.clock = options.clock;
    this.defaultPolicy = options.legRiskPolicy ?? 'hedge';
    this.defaultMode = options.planMode ?? 'sequential';
    this.latestPrice = options.referencePrice;
    this.orders.onSettled((order) => {
      const plan = this.planByOrderId.get(order.clientOrderId);
      if (plan !== undefined) this.advance(plan);
    });
  }

  plan(planId: string): Readonly<PlanState> | undefined {
    return this.plansById.get(planId);
  }

  plans(): PlanState[] {
    return [...this.plansById.values()];
  }

  /** Plans still running or hedging. */
  unfinished(): PlanState[] {
    return this.plans().filter((p) => !isPlanFinished(p.status));
  }

  /** Puts a plan as rebuilt from the journal or a snapshot (replacing any with its id). */
  upsert(plan: PlanState): void {
    this.plansById.set(plan.planId, plan);
    for (const leg of plan.legs) this.planByOrderId.set(leg.clientOrderId, plan);
    for (const id of plan.hedgeOrderIds) this.planByOrderId.set(id, plan);
  }

  /** Forgets every plan (before a restore). */
  clear(): void {
    this.plansById.clear();
    this.planByOrderId.clear();
  }

  /** Starts a multi-leg plan. Leg outcomes arrive as venue events; leg risk is handled by the plan's policy. */
  async submit(plan: PlanIntent, ctx: PlanContext): Promise<PlanResult> {
    const existing = this.plansById.get(ctx.decisionId);
    if (existing !== undefined) return { outcome: 'duplicate', plan: existing };
    if (plan.legs.length === 0 || ctx.legs.length !== plan.legs.length) {
      throw new ConcordError(
        'CONCORD_ERR_EXECUTION_INTENT_INVALID',
        `plan "${plan.label}" has ${plan.legs.length} legs but the context describes ${ctx.legs.length}; give one instrument and reference price per leg`,
        {
          details: { label: plan.label, legs: plan.legs.length, contextLegs: ctx.legs.length },
        },
      );
    }
    const state: PlanState = {
      planId: ctx.decisionId,
      label: plan.label,
      expectedNetEdge: plan.expectedNetEdge,
      policy: ctx.policy ?? this.defaultPolicy,
      mode: ctx.mode ?? this.defaultMode,
      ts: ctx.ts,
      status: 'running',
      legs: plan.legs.map((intent, leg) => {
        const legCtx = ctx.legs[leg] as PlanContext['legs'][number];
        return {
          intent,
          instrument: legCtx.instrument,
          referencePrice: legCtx.referencePrice,
          clientOrderId: deriveClientOrderId(ctx.decisionId, leg),
          sent: false,
        };
      }),
      hedgeOrderIds: [],
      attribution: ctx.attribution,
    };
    this.plansById.set(state.planId, state);
    for (const leg of state.legs) this.planByOrderId.set(leg.clientOrderId, state);
    this.emitPlan(EVENTS.planStarted, state);

    if (state.mode === 'sequential') {
      await this.sendLeg(state, 0);
      return { outcome: 'started', plan: state };
    }
    // Parallel: every leg passes the gate before any is sent, so a denial costs nothing.
    const ready: ReadyOrder[] = [];
    let denied = false;
    this.suspendedPlans.add(state);
    for (let leg = 0; leg < state.legs.length; leg++) {
      (state.legs[leg] as PlanLegState).sent = true;
      const prepared = this.prepareLeg(state, leg);
      if (prepared.outcome === 'ready') ready.push(prepared);
      else denied = true;
    }
    if (denied) {
      for (const r of ready) {
        this.orders.withdraw(r, {
          code: 'PLAN_LEG_DENIED',
          rule: 'plan',
          message: `another leg of plan "${state.label}" was denied, so this leg is not sent`,
          details: { planId: state.planId },
        });
      }
    }
    this.suspendedPlans.delete(state);
    if (denied) {
      this.advance(state);
      return { outcome: 'started', plan: state };
    }
    await Promise.all(ready.map((r) => this.orders.send(r)));
    return { outcome: 'started', plan: state };
  }

  private prepareLeg(plan: PlanState, leg: number): PrepareResult {
    const l = plan.legs[leg] as PlanLegState;
    return this.orders.prepare(l.intent, {
      decisionId: plan.planId,
      leg,
      ts: plan.ts,
      referencePrice: l.referencePrice,
      instrument: l.instrument,
      // Every leg carries the plan's edge to the gate; hedge and unwind orders do not (see PreTradeOrder.plan).
      plan: plan.expectedNetEdge === undefined ? undefined : { expectedNetEdge: plan.expectedNetEdge },
      attribution: plan.attribution,
    });
  }

  private async sendLeg(plan: PlanState, leg: number): Promise<void> {
    (plan.legs[leg] as PlanLegState).sent = true;
    const prepared = this.prepareLeg(plan, leg);
    if (prepared.outcome === 'ready') await this.orders.send(prepared);
  }

  /** Moves a plan on after one of its orders reached a terminal status. Re-entrant safe: it only acts on settled facts. */
  private advance(plan: PlanState): void {
    if (this.suspendedPlans.has(plan)) return;
    if (plan.status === 'hedging') {
      if (plan.hedgeOrderIds.some((id) => !this.isSettled(id))) return;
      const allFilled = plan.hedgeOrderIds.every((id) => this.orders.order(id)?.status === 'FILLED');
      this.finish(plan, allFilled ? 'hedged' : 'exposed');
      return;
    }
    if (plan.status !== 'running') return;
    const sentLegs = plan.legs.filter((l) => l.sent);
    if (sentLegs.some((l) => !this.isSettled(l.clientOrderId))) return;
    const failed = sentLegs.filter((l) => this.orders.order(l.clientOrderId)?.status !== 'FILLED');
    if (failed.length === 0) {
      if (sentLegs.length < plan.legs.length) {
        // Sequential: the previous legs filled, send the next one.
        this.detach(this.sendLeg(plan, sentLegs.length));
        return;
      }
      this.finish(plan, 'completed');
      return;
    }
    for (const leg of failed) {
      const order = this.orders.order(leg.clientOrderId) as Readonly<Order>;
      this.events.emit(EVENTS.planLegFailed, {
        plan: planToJson(plan),
        leg: plan.legs.indexOf(leg),
        clientOrderId: order.clientOrderId,
        status: order.status,
        filledQuantity: order.filledQuantity.toString(),
        reason: order.reason ?? order.status,
      });
    }
    this.handleLegRisk(plan);
  }

  private isSettled(clientOrderId: string): boolean {
    const order = this.orders.order(clientOrderId);
    return order !== undefined && isTerminal(order.status);
  }

  /** Evens out the legs after a failure, by policy. Quantities only ever round down to the lot. */
  private handleLegRisk(plan: PlanState): void {
    const fractions = plan.legs.map((l) => {
      const order = this.orders.order(l.clientOrderId);
      return order === undefined ? Decimal.ZERO : order.filledQuantity.div(order.quantity, 'down');
    });
    let max = Decimal.ZERO;
    let min: Decimal | undefined;
    for (const f of fractions) {
      max = Decimal.max(max, f);
      min = min === undefined ? f : Decimal.min(min, f);
    }
    if (max.isZero()) {
      this.finish(plan, 'failed');
      return;
    }
    const corrections: { leg: number; intent: OrderIntent }[] = [];
    plan.legs.forEach((l, leg) => {
      const order = this.orders.order(l.clientOrderId);
      const quantity = order?.quantity ?? l.intent.quantity;
      const filled = order?.filledQuantity ?? Decimal.ZERO;
      const lot = l.instrument.lotSize;
      if (plan.policy === 'hedge') {
        // Complete the lagging leg at market up to the best-filled leg's fraction.
        const missing = quantity.mul(max, 'down').sub(filled).roundToStep(lot, 'down');
        if (missing.isPositive())
          corrections.push({
            leg,
            intent: {
              kind: 'order',
              instrumentId: l.instrument.id,
              side: l.intent.side,
              type: 'market',
              quantity: missing,
            },
          });
      } else if (plan.policy === 'unwind') {
        // Take the leading legs back down to the worst-filled leg's fraction.
        const excess = filled.sub(quantity.mul(min ?? Decimal.ZERO, 'up')).roundToStep(lot, 'down');
        if (excess.isPositive()) {
          corrections.push({
            leg,
            intent: {
              kind: 'order',
              instrumentId: l.instrument.id,
              side: oppositeSide(l.intent.side),
              type: 'market',
              quantity: excess,
              reduceOnly: true,
            },
          });
        }
      }
    });
    if (plan.policy === 'none' || corrections.length === 0) {
      this.finish(plan, plan.policy === 'none' ? 'exposed' : 'hedged');
      return;
    }
    plan.status = 'hedging';
    this.suspendedPlans.add(plan);
    const ts = this.clock.now();
    const prepared: PrepareResult[] = [];
    for (const c of corrections) {
      const legNumber = plan.legs.length + plan.hedgeOrderIds.length;
      const id = deriveClientOrderId(plan.planId, legNumber);
      plan.hedgeOrderIds.push(id);
      this.planByOrderId.set(id, plan);
      const l = plan.legs[c.leg] as PlanLegState;
      const referencePrice = this.latestPrice?.(l.instrument.id) ?? l.referencePrice;
      prepared.push(
        this.orders.prepare(c.intent, {
          decisionId: plan.planId,
          leg: legNumber,
          ts,
          referencePrice,
          instrument: l.instrument,
          attribution: plan.attribution,
        }),
      );
    }
    this.events.emit(EVENTS.planHedged, {
      plan: planToJson(plan),
      policy: plan.policy,
      orders: corrections.map((c, i) => ({
        clientOrderId: plan.hedgeOrderIds[plan.hedgeOrderIds.length - corrections.length + i],
        forLeg: c.leg,
        instrumentId: c.intent.instrumentId,
        side: c.intent.side,
        quantity: c.intent.quantity.toString(),
      })),
    });
    this.suspendedPlans.delete(plan);
    for (const p of prepared) if (p.outcome === 'ready') this.detach(this.orders.send(p));
    // Covers the case where every correction was denied synchronously.
    this.advance(plan);
  }

  /** Runs a send started from an event handler; a throw there is a bug, reported rather than lost. */
  private detach(work: Promise<unknown>): void {
    work.catch((err: unknown) =>
      this.events.emit(EVENTS.executionInternalError, { error: toConcordError(err).toJSON() }),
    );
  }

  private finish(plan: PlanState, status: PlanState['status']): void {
    plan.status = status;
    this.emitPlan(EVENTS.planCompleted, plan);
  }

  private emitPlan(event: EventDef<'planStarted' | 'planCompleted'>, plan: PlanState): void {
    this.events.emit(event, { plan: planToJson(plan), outcome: plan.status });
  }
}
