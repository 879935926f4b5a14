/** The API's request and response schemas (zod; the OpenAPI document is generated from them). */
import { z } from 'zod';
import { ORDER_STATUSES } from '../model/index.ts';

export const errorSchema = z.object({ code: z.string(), message: z.string() });

const limit = z.coerce.number().int().min(1).max(10_000).optional();
const id = z.string().min(1).max(256);

export const limitQuery = z.object({ limit }).strict();
export const decisionsQuery = z.object({ agentId: id.optional(), triggerId: id.optional(), limit }).strict();
export const ordersQuery = z
  .object({
    status: z.enum(ORDER_STATUSES).optional(),
    instrumentId: id.optional(),
    venue: id.optional(),
    agentId: id.optional(),
    limit,
  })
  .strict();
export const fillsQuery = z
  .object({ instrumentId: id.optional(), clientOrderId: id.optional(), limit })
  .strict();
export const historyQuery = z
  .object({ minIntervalMs: z.coerce.number().int().min(0).max(86_400_000).optional(), limit })
  .strict();
export const traceQuery = z.object({ seq: z.coerce.number().int().min(1).optional() }).strict();
export const idParams = z.object({ id }).strict();

const reason = z.string().trim().min(1).max(500);
export const haltBody = z.object({ reason, flatten: z.boolean().default(false) }).strict();
export const resumeBody = z.object({ reason }).strict();
export const simulationBody = z.object({ enabled: z.boolean(), reason }).strict();
export const agentCommandBody = z.object({ reason }).strict();

export const agentSchema = z.object({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  decisions: z.number(),
  trust: z.number(),
  failures: z.number(),
  pnl: z.number(),
  fees: z.number(),
  trades: z.number(),
  /** Decisions per second of desk time. */
  decisionsPerSec: z.number(),
  /** Agent calls timed by the kernel (monotonic clock) and their mean and longest time, ms; null when not measured. */
  calls: z.number().nullable(),
  latencyMeanMs: z.number().nullable(),
  latencyMaxMs: z.number().nullable(),
  /** Calls that ended in error, an invalid decision or a missed deadline (as timed). */
  callFailures: z.number().nullable(),
});

const intent = z.record(z.string(), z.unknown());
export const decisionSchema = z.object({
  seq: z.number(),
  ts: z.number(),
  decisionId: z.string(),
  agentId: z.string(),
  role: z.string(),
  triggerId: z.string(),
  confidence: z.number(),
  reasoning: z.string(),
  expectedReturn: z.number(),
  intents: z.array(intent),
  trust: z.number(),
  weight: z.number(),
  accepted: z.array(z.number()),
  rejected: z.array(z.string()),
  outcome: z
    .object({ seq: z.number(), realizedReturn: z.number(), correct: z.boolean(), pnl: z.number() })
    .nullable(),
});

export const orderSchema = z.looseObject({
  clientOrderId: z.string(),
  venueOrderId: z.string().nullable(),
  agentIds: z.array(z.string()),
  instrumentId: z.string(),
  venue: z.string(),
  side: z.string(),
  quantity: z.string(),
  status: z.string(),
  filledQuantity: z.string(),
  denialCode: z.string().nullable(),
});

export const fillSchema = z.looseObject({
  seq: z.number(),
  clientOrderId: z.string(),
  tradeId: z.string(),
  instrumentId: z.string(),
  price: z.string(),
  quantity: z.string(),
  fee: z.string(),
});

export const positionSchema = z.object({
  instrumentId: z.string(),
  venue: z.string(),
  quantity: z.string(),
  averagePrice: z.string(),
  mark: z.number().nullable(),
  unrealizedPnl: z.number(),
  realizedPnl: z.string(),
});

export const portfolioPointSchema = z.looseObject({
  seq: z.number(),
  ts: z.number(),
  equity: z.number(),
  peakEquity: z.number(),
  drawdown: z.number(),
  realizedPnl: z.number(),
  unrealizedPnl: z.number(),
  grossExposure: z.number(),
  netExposure: z.number(),
  positions: z.array(positionSchema),
});

export const riskSchema = z.object({
  tradingState: z.string(),
  halted: z.boolean(),
  equity: z.number(),
  peakEquity: z.number(),
  drawdown: z.number(),
  dailyPnl: z.number(),
  grossExposure: z.number(),
  netExposure: z.number(),
  valueAtRisk: z.number().nullable(),
  var: z
    .object({
      historical: z.number().nullable(),
      parametric: z.number().nullable(),
      method: z.string(),
      confidence: z.number(),
      horizonMs: z.number(),
      samples: z.number(),
      windowSamples: z.number(),
      limit: z.number().nullable(),
    })
    .nullable(),
  limits: z.array(
    z.object({
      name: z.string(),
      used: z.number(),
      limit: z.number().nullable(),
      fraction: z.number().nullable(),
    }),
  ),
  breakers: z.array(
    z.object({
      breaker: z.string(),
      scope: z.string(),
      state: z.string(),
      reason: z.string(),
      trips: z.number(),
    }),
  ),
});

export const performanceSchema = z.object({
  loops: z.number(),
  signals: z.number(),
  decisions: z.number(),
  trades: z.number(),
  outcomes: z.number(),
  winRate: z.number().nullable(),
  pnl: z.number(),
  averageExecutionMs: z.number().nullable(),
  /** Mean time of an agent call over every agent (kernel-timed, monotonic), ms; null when not measured. */
  averageDecisionMs: z.number().nullable(),
  simulatedMs: z.number(),
  uptimeSeconds: z.number(),
});

export const strategySchema = z.object({ id: z.string(), type: z.string(), config: z.unknown() });

export const opportunitySchema = z.object({
  seq: z.number(),
  ts: z.number(),
  decisionId: z.string(),
  agentId: z.string(),
  agentType: z.string(),
  triggerId: z.string(),
  confidence: z.number(),
  expectedReturn: z.number(),
  reasoning: z.string(),
  intents: z.array(intent),
  acted: z.boolean(),
});

export const journalSchema = z.object({
  dir: z.string(),
  head: z.object({ seq: z.number(), hash: z.string() }),
  pending: z.number(),
});

export const verifySchema = z.object({
  ok: z.boolean(),
  records: z.number(),
  headHash: z.string().nullable(),
  code: z.string().nullable(),
  firstBad: z.unknown().nullable(),
});

export const commandAnswer = z.object({
  accepted: z.boolean(),
  command: z.string(),
  operator: z.string(),
});

export const metricsSummarySchema = z.object({
  status: z.string(),
  tradingState: z.string(),
  marketEvents: z.number(),
  triggers: z.number(),
  decisions: z.number(),
  decisionsPerSec: z.number(),
  orders: z.number(),
  denied: z.number(),
  denials: z.record(z.string(), z.number()),
  rejected: z.number(),
  fills: z.number(),
  halts: z.number(),
  breakerTrips: z.number(),
  pnl: z.number(),
  journalSeq: z.number(),
  journalPending: z.number(),
  uptimeSeconds: z.number(),
});

export type MetricsSummary = z.infer<typeof metricsSummarySchema>;

export const statusOk = z.object({ status: z.literal('ok') });

export const traceSchema = z.record(z.string(), z.unknown());

/** `{ <key>: item[] }`. */
export function listWrapper<K extends string, T extends z.ZodType>(key: K, item: T) {
  return z.object({ [key]: z.array(item) } as { [P in K]: z.ZodArray<T> });
}

export const portfolioAnswer = z.object({ portfolio: portfolioPointSchema.nullable() });

// ── safety: the safety report (src/analysis/safety-report.ts) and reconciliation ──
const count = z.number().int().min(0);
const recovery = z.object({ total: count, recovered: count });
export const safetyReportSchema = z.object({
  version: z.literal(1),
  journalDir: z.string(),
  records: count,
  firstTs: z.number().nullable(),
  lastTs: z.number().nullable(),
  unintendedTrades: z.object({
    total: count,
    unbackedFills: count,
    overfills: count,
    riskAddingOrdersWhileRestricted: count,
    fillsChecked: count,
    ordersChecked: count,
    examples: z.array(
      z.object({
        seq: z.number(),
        clientOrderId: z.string(),
        reason: z.enum(['unbacked-fill', 'overfill', 'risk-added-while-restricted']),
        detail: z.string(),
      }),
    ),
  }),
  positionAccuracy: z
    .object({
      checks: count,
      ok: count,
      adjusted: count,
      failedClosed: count,
      okShare: z.number(),
      maxAbsPositionMismatch: z.string(),
      maxAbsBalanceMismatch: z.string(),
    })
    .nullable(),
  transientErrors: z.object({
    total: count,
    recovered: count,
    recoveredShare: z.number().nullable(),
    unknownOrders: recovery,
    cancelFailures: recovery,
    venueOutages: recovery,
  }),
  lossLimitDays: z.object({
    maxDailyLoss: z.number().nullable(),
    daysOverLimit: count.nullable(),
    days: z.array(z.object({ day: z.string(), minDailyPnl: z.number(), overLimit: z.boolean() })),
  }),
  breakers: z.object({
    trips: count,
    tripsByBreaker: z.record(z.string(), count),
    transitions: z.record(z.string(), count),
    tradingStateChanges: z.record(z.string(), count),
    operatorHalts: count,
    operatorResumes: count,
    ruleErrors: count,
  }),
  malformedRecords: count,
  notes: z.array(z.string()),
});

const reconcileAdjustment = z.object({
  kind: z.string(),
  key: z.string(),
  before: z.string(),
  after: z.string(),
  delta: z.string(),
});
export const reconciliationSchema = z.object({
  runs: z.array(
    z.object({
      seq: z.number(),
      ts: z.number(),
      venue: z.string(),
      status: z.string(),
      unknownResolved: z.number(),
      unknownPending: z.number(),
      ordersChecked: z.number(),
      fillsRecovered: z.number(),
      mismatches: z.array(
        z.object({
          kind: z.string(),
          code: z.string(),
          key: z.string(),
          desk: z.string(),
          venue: z.string(),
          withinTolerance: z.boolean(),
          fixed: z.boolean(),
          message: z.string(),
        }),
      ),
      adjustments: z.array(reconcileAdjustment),
    }),
  ),
  adjustments: z.array(reconcileAdjustment.extend({ seq: z.number(), ts: z.number(), venue: z.string() })),
  recoveredFills: z.array(
    z.object({
      seq: z.number(),
      ts: z.number(),
      venue: z.string(),
      clientOrderId: z.string(),
      orderStatus: z.string(),
      fill: z.record(z.string(), z.unknown()),
    }),
  ),
  totals: z.object({
    runs: count,
    ok: count,
    adjusted: count,
    failedClosed: count,
    mismatches: count,
    adjustments: count,
    recoveredFills: count,
    malformed: count,
  }),
});
