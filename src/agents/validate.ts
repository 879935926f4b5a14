/**
 * The runtime's check of what an agent returns. Agents are untrusted code: a
 * Decision is schema-checked (zod) before anything downstream sees it, then the
 * agent's own `validateDecision` runs. Anything else is 'invalid', never a crash.
 *
 * Hot path: most answers are "no action", plain orders, plans or risk advice; those shapes are
 * checked by hand without zod (≈0.1 µs instead of ≈3 µs). A property test keeps
 * the fast path and the schema in step.
 */
import { z } from 'zod';
import { Decimal } from '../core/index.ts';
import type { Decision, InstrumentId, Intent } from '../model/index.ts';
import type { Agent } from './contract.ts';

export const MAX_REASONING_CHARS = 2000;

const positiveDecimal = z
  // z.instanceof needs a public constructor; Decimal's is private.
  .custom<Decimal>((v) => v instanceof Decimal, { message: 'expected a Decimal instance' })
  .refine((d) => d.isPositive(), { message: 'must be a Decimal greater than zero' });

const instrumentIdSchema = z.string().min(1, { message: 'must be a non-empty instrument id' });
const positiveAmount = z.bigint({ message: 'expected a bigint of raw token units' }).positive();

export const orderIntentSchema = z
  .object({
    kind: z.literal('order'),
    instrumentId: instrumentIdSchema,
    side: z.enum(['buy', 'sell']),
    type: z.enum(['market', 'limit']),
    quantity: positiveDecimal,
    limitPrice: positiveDecimal.optional(),
    timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'POST_ONLY']).optional(),
    reduceOnly: z.boolean().optional(),
  })
  .refine((o) => o.type !== 'limit' || o.limitPrice !== undefined, {
    message: 'a limit order needs a limitPrice',
    path: ['limitPrice'],
  });

const planIntentSchema = z.object({
  kind: z.literal('plan'),
  label: z.string(),
  legs: z.array(orderIntentSchema).min(1, { message: 'a plan needs at least one leg' }),
  expectedNetEdge: z.number(),
  atomic: z.boolean().optional(),
});

const swapIntentSchema = z.object({
  kind: z.literal('swap'),
  poolId: instrumentIdSchema,
  tokenIn: z.string().min(1),
  tokenOut: z.string().min(1),
  amountIn: positiveAmount,
  minAmountOut: z.bigint({ message: 'expected a bigint of raw token units' }).nonnegative(),
});

const liquidationIntentSchema = z.object({
  kind: z.literal('liquidation'),
  marketId: instrumentIdSchema,
  borrower: z.string().min(1),
  debtAsset: z.string().min(1),
  collateralAsset: z.string().min(1),
  repayAmount: positiveAmount,
});

const lendingFields = { marketId: instrumentIdSchema, asset: z.string().min(1), amount: positiveAmount };
const supplyIntentSchema = z.object({ kind: z.literal('supply'), ...lendingFields });
const withdrawIntentSchema = z.object({ kind: z.literal('withdraw'), ...lendingFields });

const riskAdviceIntentSchema = z.object({
  kind: z.literal('risk-advice'),
  instrumentId: instrumentIdSchema,
  veto: z.boolean(),
  maxQuantity: positiveDecimal.optional(),
  reason: z.string(),
});

export const intentSchema = z.discriminatedUnion('kind', [
  orderIntentSchema,
  planIntentSchema,
  swapIntentSchema,
  liquidationIntentSchema,
  supplyIntentSchema,
  withdrawIntentSchema,
  riskAdviceIntentSchema,
]);

export const decisionSchema = z.object({
  intents: z.array(intentSchema),
  confidence: z.number().min(0).max(1),
  reasoning: z.string().max(MAX_REASONING_CHARS),
  expectedReturn: z.number(),
});

export type DecisionValidation =
  | { readonly ok: true; readonly decision: Decision }
  | { readonly ok: false; readonly reason: string };

/** Schema check only (no agent-specific rules); exported for tests and the worker boundary. */
export function checkDecisionShape(value: unknown): DecisionValidation {
  const fast = fastCheckDecision(value);
  if (fast !== undefined) return fast;
  const parsed = decisionSchema.safeParse(value);
  if (parsed.success) return { ok: true, decision: value as Decision };
  const issue = parsed.error.issues[0];
  const where =
    issue === undefined || issue.path.length === 0 ? 'decision' : issue.path.map(String).join('.');
  return { ok: false, reason: `${where}: ${issue?.message ?? 'invalid'}` };
}

/**
 * Full check of an agent's answer: the schema, coverage (every intent targets an
 * instrument the agent declared, when it declared any), then the agent's own rules.
 */
export function validateDecision(agent: Agent, value: unknown): DecisionValidation {
  const shape = checkDecisionShape(value);
  if (!shape.ok) return shape;
  const decision = shape.decision;
  if (agent.instruments !== undefined && decision.intents.length > 0) {
    const outside = firstUncoveredInstrument(decision.intents, coverageOf(agent));
    if (outside !== undefined) {
      return { ok: false, reason: `intent targets ${outside}, which agent ${agent.id} does not cover` };
    }
  }
  if (agent.validateDecision !== undefined) {
    let own: ReturnType<NonNullable<Agent['validateDecision']>>;
    try {
      own = agent.validateDecision(decision);
    } catch (err) {
      return {
        ok: false,
        reason: `agent's validateDecision threw: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (!own.ok) return { ok: false, reason: own.reason ?? `rejected by agent ${agent.id}'s own validation` };
  }
  return shape;
}

/** The instruments an intent touches ('*' for a desk-wide risk advice). */
export function intentInstruments(intent: Intent): readonly InstrumentId[] {
  switch (intent.kind) {
    case 'order':
    case 'risk-advice':
      return [intent.instrumentId];
    case 'plan':
      return intent.legs.map((l) => l.instrumentId);
    case 'swap':
      return [intent.poolId];
    case 'liquidation':
    case 'supply':
    case 'withdraw':
      return [intent.marketId];
  }
}

const coverageCache = new WeakMap<readonly InstrumentId[], ReadonlySet<InstrumentId>>();

function coverageOf(agent: Agent): ReadonlySet<InstrumentId> {
  const list = agent.instruments as readonly InstrumentId[];
  let set = coverageCache.get(list);
  if (set === undefined) {
    set = new Set(list);
    coverageCache.set(list, set);
  }
  return set;
}

function firstUncoveredInstrument(
  intents: readonly Intent[],
  covered: ReadonlySet<InstrumentId>,
): string | undefined {
  for (const intent of intents) {
    for (const id of intentInstruments(intent)) {
      if (id !== '*' && !covered.has(id)) return id;
    }
  }
  return undefined;
}

/**
 * Accepts, without zod, the common shapes: a decision whose intents are all plain
 * orders, plans of orders or risk advice (most often none). Returns undefined for anything else, leaving the
 * verdict (and the wording of the reason) to the schema. It may only say "valid"
 * where the schema would; a property test checks that they agree.
 */
function fastCheckDecision(value: unknown): DecisionValidation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const d = value as Record<string, unknown>;
  const intents = d.intents;
  if (!Array.isArray(intents)) return undefined;
  const confidence = d.confidence;
  const expectedReturn = d.expectedReturn;
  const reasoning = d.reasoning;
  if (
    !(typeof confidence === 'number' && confidence >= 0 && confidence <= 1) ||
    !(typeof expectedReturn === 'number' && Number.isFinite(expectedReturn)) ||
    !(typeof reasoning === 'string' && reasoning.length <= MAX_REASONING_CHARS)
  ) {
    return undefined;
  }
  for (let i = 0; i < intents.length; i++) if (!isPlainValidIntent(intents[i])) return undefined;
  return { ok: true, decision: value as Decision };
}

const SIDES = new Set(['buy', 'sell']);
const TIME_IN_FORCE = new Set(['GTC', 'IOC', 'FOK', 'POST_ONLY']);

/** Orders, plans of orders and risk advice: what the library agents answer on every tick. */
function isPlainValidIntent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'order') return isPlainValidOrder(value);
  if (kind === 'risk-advice') return isPlainValidRiskAdvice(value as Record<string, unknown>);
  if (kind === 'plan') return isPlainValidPlan(value as Record<string, unknown>);
  return false;
}

function isPlainValidRiskAdvice(o: Record<string, unknown>): boolean {
  if (typeof o.instrumentId !== 'string' || o.instrumentId.length === 0) return false;
  if (typeof o.veto !== 'boolean' || typeof o.reason !== 'string') return false;
  const max = o.maxQuantity;
  return max === undefined || (max instanceof Decimal && max.isPositive());
}

function isPlainValidPlan(o: Record<string, unknown>): boolean {
  if (typeof o.label !== 'string') return false;
  if (typeof o.expectedNetEdge !== 'number' || !Number.isFinite(o.expectedNetEdge)) return false;
  if (o.atomic !== undefined && typeof o.atomic !== 'boolean') return false;
  const legs = o.legs;
  if (!Array.isArray(legs) || legs.length === 0) return false;
  for (let i = 0; i < legs.length; i++) if (!isPlainValidOrder(legs[i])) return false;
  return true;
}

function isPlainValidOrder(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  if (o.kind !== 'order') return false;
  if (typeof o.instrumentId !== 'string' || o.instrumentId.length === 0) return false;
  if (typeof o.side !== 'string' || !SIDES.has(o.side)) return false;
  if (o.type !== 'market' && o.type !== 'limit') return false;
  if (!(o.quantity instanceof Decimal) || !o.quantity.isPositive()) return false;
  const limit = o.limitPrice;
  if (limit === undefined) {
    if (o.type === 'limit') return false;
  } else if (!(limit instanceof Decimal) || !limit.isPositive()) {
    return false;
  }
  if (o.timeInForce !== undefined && (typeof o.timeInForce !== 'string' || !TIME_IN_FORCE.has(o.timeInForce)))
    return false;
  if (o.reduceOnly !== undefined && typeof o.reduceOnly !== 'boolean') return false;
  return true;
}
