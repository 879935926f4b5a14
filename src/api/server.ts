/**
 * The operator API: a fastify server over a desk view, its journal and a command sink. Auth is on
 * by default (API keys with roles, `Authorization: Bearer <key>`), CORS is closed (no CORS headers
 * are ever sent, so browsers refuse cross-origin reads), every error body is
 * `{code: 'CONCORD_ERR_*', message}` and the OpenAPI document is served at /docs/json.
 * `listenApi` binds 127.0.0.1 unless told otherwise. See docs/api.md.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import {
  explain,
  latestPortfolio,
  listDecisions,
  listFills,
  listOrders,
  portfolioHistory,
} from '../analysis/queries/index.ts';
import { safetyReportOf } from '../analysis/safety-report.ts';
import { EVENTS } from '../bus/index.ts';
import { ConcordError, monotonicMs } from '../core/index.ts';
import { type JournalReader, verifyJournal } from '../journal/index.ts';
import { agentRows, averageDecisionMs } from './agents-view.ts';
import { answerFor } from './errors.ts';
import { roleAtLeast, type StoredKey, verifyKey } from './keys.ts';
import { createMetrics } from './metrics.ts';
import { reconciliationOf } from './safety-view.ts';
import * as S from './schemas.ts';
import { registerDashboard } from './static.ts';
import { keyFromProtocols, registerStream, registerWebSocket, type StreamOptions } from './stream.ts';
import type { AgentAction, CommandSink, DeskView, JournalSource, Operator, Role } from './view.ts';

export interface RateLimit {
  /** Requests a key may make in a burst. */
  readonly burst: number;
  /** Requests per second a key regains. */
  readonly perSecond: number;
}

export interface ApiServerOptions {
  readonly desk: DeskView;
  readonly journal: JournalSource;
  readonly commands: CommandSink;
  /** The accepted keys (read from a keys file with readKeysFile). */
  readonly keys: readonly StoredKey[];
  /** Off only when asked (`false`): then every caller is an anonymous admin. */
  readonly auth?: boolean;
  readonly rateLimit?: RateLimit;
  /** Milliseconds, monotonic; the rate limiter's and the uptime's clock (tests pass their own). */
  readonly now?: () => number;
  /** fastify's (pino) logger; off by default. Never logs the Authorization header. */
  readonly logger?: boolean;
  /** A pino logger to log requests with (the run's; it redacts secrets), instead of `logger`. */
  readonly loggerInstance?: FastifyBaseLogger;
  /** Largest request body accepted, bytes (default 16 KiB). */
  readonly bodyLimit?: number;
  /** The WebSocket event stream's timers and bounds (`GET /api/stream`, src/api/stream.ts). */
  readonly stream?: StreamOptions;
  /** The built dashboard (`npm run build` writes dist/dashboard), served at `/`; 503 when absent. */
  readonly dashboardDir?: string;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { burst: 120, perSecond: 60 };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a route needs; routes without one are public (health, readiness, docs). */
    role?: Role;
  }
  interface FastifyRequest {
    operator?: Operator;
  }
}

const OPPORTUNITY_KINDS = {
  arbitrage: /arbitrage/i,
  liquidation: /liquidat/i,
  yield: /yield|basis|funding|carry/i,
  sandwich: /sandwich|mev/i,
} as const;

function fail(code: `CONCORD_ERR_${string}`, message: string): ConcordError {
  return new ConcordError(code, message);
}

class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number,
  ) {}

  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: t };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  // A browser cannot set headers on a WebSocket: it offers the key as a subprotocol instead.
  if (h === undefined && request.headers.upgrade?.toLowerCase() === 'websocket')
    return keyFromProtocols(request.headers['sec-websocket-protocol']);
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer ([^\s]+)$/.exec(h.trim());
  return m?.[1];
}

/** Builds the server (not listening: `listenApi`, or `inject` in tests). */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const { desk, journal, commands } = options;
  const now = options.now ?? monotonicMs;
  const startedAt = now();
  const auth = options.auth !== false;
  const buckets = new TokenBuckets(options.rateLimit ?? DEFAULT_RATE_LIMIT, now);
  const metrics = createMetrics(desk, journal);

  const app = Fastify({
    ...(options.loggerInstance === undefined
      ? {
          logger:
            options.logger === true
              ? { redact: ['req.headers.authorization', 'req.headers["sec-websocket-protocol"]'] }
              : false,
        }
      : { loggerInstance: options.loggerInstance.child({ component: 'api' }) }),
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    // Query strings are tiny here; a long one is refused rather than parsed.
    routerOptions: { maxParamLength: 256 },
  });
  app.addHook('onClose', async () => journal.close?.());
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => {
    const answer = answerFor(error);
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(answer.status).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      code: 'CONCORD_ERR_API_NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });

  await registerWebSocket(app);
  app.addHook('onRequest', async (request, reply) => {
    const needed = request.routeOptions.config?.role;
    // Unknown routes are answered 404 only to authenticated callers: no probing without a key.
    const isNotFound = request.routeOptions.url === undefined;
    if (needed === undefined && !isNotFound) return;
    if (!auth) {
      request.operator = { keyId: 'anonymous', name: 'anonymous', role: 'admin' };
      return;
    }
    const key = bearer(request);
    if (key === undefined)
      throw fail('CONCORD_ERR_API_UNAUTHORIZED', 'missing "Authorization: Bearer <key>"');
    const stored = verifyKey(options.keys, key);
    if (stored === undefined) throw fail('CONCORD_ERR_API_UNAUTHORIZED', 'unknown or invalid API key');
    if (!buckets.take(stored.id)) {
      void reply.header('retry-after', '1');
      throw new ConcordError('CONCORD_ERR_API_RATE_LIMITED', 'too many requests with this key; slow down', {
        retryable: true,
      });
    }
    request.operator = { keyId: stored.id, name: stored.name, role: stored.role };
    if (needed !== undefined && !roleAtLeast(stored.role, needed)) {
      throw fail(
        'CONCORD_ERR_API_FORBIDDEN',
        `this route needs the ${needed} role; the key is ${stored.role}`,
      );
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Concord operator API', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: S.errorSchema, 401: S.errorSchema, 403: S.errorSchema, 429: S.errorSchema };
  const viewer = { role: 'viewer' as const };
  const read = <T>(fn: (reader: JournalReader) => T): T => journal.withReader(fn);
  const uptime = () => (now() - startedAt) / 1000;

  // ── documents and probes ──
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html').send(DOCS_PAGE),
  );
  api.get(
    '/health',
    { schema: { tags: ['probes'], security: [], response: { 200: S.statusOk } } },
    async () => ({ status: 'ok' as const }),
  );
  api.get(
    '/ready',
    {
      schema: {
        tags: ['probes'],
        security: [],
        response: { 200: S.journalSchema.pick({ head: true }), 503: S.errorSchema },
      },
    },
    async () => {
      try {
        return { head: read((r) => r.head()) };
      } catch (error) {
        throw new ConcordError('CONCORD_ERR_API_NOT_READY', 'the journal cannot be read yet', {
          cause: error,
        });
      }
    },
  );

  // ── agents and decisions ──
  api.get(
    '/api/agents',
    {
      config: viewer,
      schema: { tags: ['agents'], response: { 200: S.listWrapper('agents', S.agentSchema), ...errors } },
    },
    async () => ({ agents: agentRows(desk) }),
  );
  api.get(
    '/api/agents/:id',
    {
      config: viewer,
      schema: {
        tags: ['agents'],
        params: S.idParams,
        querystring: S.limitQuery,
        response: {
          200: S.agentSchema.extend({
            config: S.strategySchema.shape.config,
            decisions: S.agentSchema.shape.decisions,
            recent: S.decisionSchema.array(),
          }),
          404: S.errorSchema,
          ...errors,
        },
      },
    },
    async (request) => {
      const agent = agentRows(desk).find((a) => a.id === request.params.id);
      if (agent === undefined)
        throw fail('CONCORD_ERR_API_NOT_FOUND', `no agent ${JSON.stringify(request.params.id)}`);
      const strategy = desk.strategies().find((s) => s.id === agent.id);
      const recent = read((r) => listDecisions(r, { agentId: agent.id, limit: request.query.limit ?? 20 }));
      return { ...agent, config: strategy?.config ?? {}, recent: recent.map(plain) };
    },
  );
  api.get(
    '/api/decisions',
    {
      config: viewer,
      schema: {
        tags: ['decisions'],
        querystring: S.decisionsQuery,
        response: { 200: S.listWrapper('decisions', S.decisionSchema), ...errors },
      },
    },
    async (request) => ({
      decisions: read((r) =>
        listDecisions(r, { ...definedOf(request.query), limit: request.query.limit ?? 100 }),
      ).map(plain),
    }),
  );
  api.get(
    '/api/decisions/:id/trace',
    {
      config: viewer,
      schema: {
        tags: ['decisions'],
        description:
          'The decision trace of an order id, client order id, decision id or order root: event, votes, weights, consensus, risk rules, fills.',
        params: S.idParams,
        querystring: S.traceQuery,
        response: { 200: S.traceSchema, 404: S.errorSchema, 409: S.errorSchema, ...errors },
      },
    },
    async (request) =>
      plain(
        read((r) =>
          explain(
            r,
            journal.dir,
            request.params.id,
            request.query.seq === undefined ? {} : { seq: request.query.seq },
          ),
        ),
      ) as unknown as Record<string, unknown>,
  );

  // ── orders, fills, positions, portfolio ──
  api.get(
    '/api/orders',
    {
      config: viewer,
      schema: {
        tags: ['orders'],
        querystring: S.ordersQuery,
        response: { 200: S.listWrapper('orders', S.orderSchema), ...errors },
      },
    },
    async (request) => {
      const { status, limit, ...rest } = request.query;
      return {
        orders: read((r) =>
          listOrders(r, {
            ...definedOf(rest),
            ...(status === undefined ? {} : { status: [status] }),
            limit: limit ?? 500,
          }),
        ).map(plain),
      };
    },
  );
  api.get(
    '/api/fills',
    {
      config: viewer,
      schema: {
        tags: ['orders'],
        querystring: S.fillsQuery,
        response: { 200: S.listWrapper('fills', S.fillSchema), ...errors },
      },
    },
    async (request) => ({
      fills: read((r) =>
        listFills(r, { ...definedOf(request.query), limit: request.query.limit ?? 500 }),
      ).map(plain),
    }),
  );
  api.get(
    '/api/positions',
    {
      config: viewer,
      schema: {
        tags: ['portfolio'],
        response: { 200: S.listWrapper('positions', S.positionSchema), ...errors },
      },
    },
    async () => ({ positions: (read((r) => latestPortfolio(r))?.positions ?? []).map(plain) }),
  );
  api.get(
    '/api/portfolio',
    {
      config: viewer,
      schema: {
        tags: ['portfolio'],
        description: 'The latest durable portfolio (null before the first checkpoint).',
        response: { 200: S.portfolioAnswer, ...errors },
      },
    },
    async () => {
      const point = read((r) => latestPortfolio(r));
      return { portfolio: point === undefined ? null : plain(point) };
    },
  );
  api.get(
    '/api/portfolio/history',
    {
      config: viewer,
      schema: {
        tags: ['portfolio'],
        querystring: S.historyQuery,
        response: { 200: S.listWrapper('points', S.portfolioPointSchema), ...errors },
      },
    },
    async (request) => ({
      points: read((r) =>
        portfolioHistory(r, { ...definedOf(request.query), limit: request.query.limit ?? 1000 }),
      ).map(plain),
    }),
  );

  // ── risk, performance, strategies, opportunities ──
  api.get(
    '/api/risk/metrics',
    { config: viewer, schema: { tags: ['risk'], response: { 200: S.riskSchema, ...errors } } },
    async () => plain(desk.risk()),
  );
  api.get(
    '/api/performance/metrics',
    { config: viewer, schema: { tags: ['performance'], response: { 200: S.performanceSchema, ...errors } } },
    async () => {
      const s = desk.status();
      const { outcomes, correct, exec } = read((r) => {
        let outcomes = 0;
        let correct = 0;
        for (const rec of r.records([EVENTS.outcome.name])) {
          outcomes++;
          if ((rec.payload as { correct?: unknown })?.correct === true) correct++;
        }
        const filled = listOrders(r, { status: ['FILLED'] });
        const exec =
          filled.length === 0
            ? null
            : filled.reduce((sum, o) => sum + (o.updatedTs - o.createdTs), 0) / filled.length;
        return { outcomes, correct, exec };
      });
      return {
        loops: s.marketEvents,
        signals: s.triggers,
        decisions: s.decisions,
        trades: s.fills,
        outcomes,
        winRate: outcomes === 0 ? null : correct / outcomes,
        pnl: s.pnl,
        averageExecutionMs: exec,
        averageDecisionMs: averageDecisionMs(desk),
        simulatedMs: s.simulatedMs,
        uptimeSeconds: uptime(),
      };
    },
  );
  api.get(
    '/api/strategies',
    {
      config: viewer,
      schema: {
        tags: ['agents'],
        response: { 200: S.listWrapper('strategies', S.strategySchema), ...errors },
      },
    },
    async () => ({ strategies: desk.strategies().map(plain) }),
  );
  for (const [kind, pattern] of Object.entries(OPPORTUNITY_KINDS)) {
    api.get(
      `/api/opportunities/${kind}`,
      {
        config: viewer,
        schema: {
          tags: ['opportunities'],
          description: `Decisions of the agents whose type matches ${pattern} (newest last).`,
          querystring: S.limitQuery,
          response: { 200: S.listWrapper('opportunities', S.opportunitySchema), ...errors },
        },
      },
      async (request) => {
        const types = new Map(desk.strategies().map((s) => [s.id, s.type]));
        const agents = [...types].filter(([, type]) => pattern.test(type)).map(([id]) => id);
        if (agents.length === 0) return { opportunities: [] };
        const decisions = read((r) => listDecisions(r)).filter((d) => agents.includes(d.agentId));
        const limit = request.query.limit ?? 200;
        return {
          opportunities: decisions.slice(Math.max(0, decisions.length - limit)).map((d) => ({
            seq: d.seq,
            ts: d.ts,
            decisionId: d.decisionId,
            agentId: d.agentId,
            agentType: types.get(d.agentId) ?? '',
            triggerId: d.triggerId,
            confidence: d.confidence,
            expectedReturn: d.expectedReturn,
            reasoning: d.reasoning,
            intents: plain(d.intents),
            acted: d.accepted.length > 0,
          })),
        };
      },
    );
  }

  // ── journal ──
  api.get(
    '/api/journal',
    { config: viewer, schema: { tags: ['journal'], response: { 200: S.journalSchema, ...errors } } },
    async () => ({ dir: journal.dir, head: read((r) => r.head()), pending: journal.pending?.() ?? 0 }),
  );
  api.get(
    '/api/journal/verify',
    { config: viewer, schema: { tags: ['journal'], response: { 200: S.verifySchema, ...errors } } },
    async () => {
      const v = verifyJournal(journal.dir);
      return v.ok
        ? { ok: true, records: v.records, headHash: v.headHash, code: null, firstBad: null }
        : { ok: false, records: v.records, headHash: null, code: v.code, firstBad: plain(v.firstBad) };
    },
  );

  // ── safety reads (viewer) ──
  api.get(
    '/api/safety/report',
    {
      config: viewer,
      schema: {
        tags: ['safety'],
        description:
          'The safety report of the journal (what `concord safety report` prints): unintended trades, position accuracy against the venues, transient errors recovered, loss-limit days, breakers.',
        response: { 200: S.safetyReportSchema, ...errors },
      },
    },
    async () => plain(read((r) => safetyReportOf(r, journal.dir))),
  );
  api.get(
    '/api/safety/reconciliation',
    {
      config: viewer,
      schema: {
        tags: ['safety'],
        description:
          'Reconciliation from the journal: runs (reconcile.report, with their mismatches and adjustments), adjustments (reconcile.adjusted) and recovered fills (reconcile.fill-recovered), each list its newest `limit` (default 100), newest last; totals over the whole journal.',
        querystring: S.limitQuery,
        response: { 200: S.reconciliationSchema, ...errors },
      },
    },
    async (request) => read((r) => reconciliationOf(r, request.query.limit ?? 100)),
  );

  // ── safety (mutating: operator) ──
  const operatorRole = { role: 'operator' as const };
  const commandErrors = { ...errors, 409: S.errorSchema };
  api.post(
    '/api/safety/halt',
    {
      config: operatorRole,
      schema: { tags: ['safety'], body: S.haltBody, response: { 202: S.commandAnswer, ...commandErrors } },
    },
    async (request, reply) => {
      const operator = request.operator as Operator;
      await commands.submit({
        kind: 'halt',
        reason: request.body.reason,
        flatten: request.body.flatten,
        operator,
      });
      return reply.status(202).send({ accepted: true, command: 'halt', operator: operator.name });
    },
  );
  api.post(
    '/api/safety/resume',
    {
      config: operatorRole,
      schema: { tags: ['safety'], body: S.resumeBody, response: { 202: S.commandAnswer, ...commandErrors } },
    },
    async (request, reply) => {
      const operator = request.operator as Operator;
      await commands.submit({ kind: 'resume', reason: request.body.reason, operator });
      return reply.status(202).send({ accepted: true, command: 'resume', operator: operator.name });
    },
  );

  api.post(
    '/api/safety/simulation',
    {
      config: operatorRole,
      schema: {
        tags: ['safety'],
        description:
          'Asks the desk to trade on simulated venues (enabled) or real ones. Every mode today trades on simulated venues only: enabled=true is accepted as already true, enabled=false is refused 409 CONCORD_ERR_COMMAND_UNSUPPORTED.',
        body: S.simulationBody,
        response: { 202: S.commandAnswer, ...commandErrors },
      },
    },
    async (request, reply) => {
      const operator = request.operator as Operator;
      await commands.submit({
        kind: 'simulation',
        enabled: request.body.enabled,
        reason: request.body.reason,
        operator,
      });
      return reply.status(202).send({ accepted: true, command: 'simulation', operator: operator.name });
    },
  );

  // ── agents (mutating: operator) ──
  const agentActions: Record<AgentAction, string> = {
    start:
      'Lets a stopped or quarantined agent work again (QUARANTINED → CREATED → STARTING → RUNNING). 409 CONCORD_ERR_LIFECYCLE_TRANSITION when it is not stopped or quarantined.',
    stop: 'Stops asking the agent (its status shows STOPPED) until an operator starts it. 409 CONCORD_ERR_LIFECYCLE_TRANSITION when it is already stopped, quarantined or final.',
    quarantine:
      'Quarantines the agent (status QUARANTINED, journaled as agent.quarantined) until an operator starts it. 409 CONCORD_ERR_LIFECYCLE_TRANSITION when it is already stopped, quarantined or final.',
  };
  for (const action of Object.keys(agentActions) as AgentAction[]) {
    api.post(
      `/api/agents/:id/${action}`,
      {
        config: operatorRole,
        schema: {
          tags: ['agents'],
          description: `${agentActions[action]} Journaled as control.command with the operator's name and key id; 404 CONCORD_ERR_API_NOT_FOUND for an unknown agent.`,
          params: S.idParams,
          body: S.agentCommandBody,
          response: { 202: S.commandAnswer, 404: S.errorSchema, ...commandErrors },
        },
      },
      async (request, reply) => {
        const operator = request.operator as Operator;
        const agentId = request.params.id;
        if (!agentRows(desk).some((a) => a.id === agentId))
          throw fail('CONCORD_ERR_API_NOT_FOUND', `no agent ${JSON.stringify(agentId)}`);
        await commands.submit({ kind: 'agent', agentId, action, reason: request.body.reason, operator });
        return reply
          .status(202)
          .send({ accepted: true, command: `agent ${action}`, operator: operator.name });
      },
    );
  }

  // ── metrics ──
  let summary: { version: string; text: string } | undefined;
  api.get(
    '/api/metrics',
    { config: viewer, schema: { tags: ['metrics'], response: { 200: S.metricsSummarySchema, ...errors } } },
    async (_request, reply) => {
      // Reused while the desk's version is unchanged (a poller of an idle or slow desk costs a lookup):
      // the body is kept serialised, and only the uptime is appended, so a hit skips the serialiser.
      const version = desk.version?.();
      if (version !== undefined && summary !== undefined && summary.version === version)
        return (
          reply
            .type('application/json; charset=utf-8')
            // A string with a JSON content type goes out as it is (fastify serialises objects only).
            .send(
              `${summary.text},"uptimeSeconds":${JSON.stringify(uptime())}}` as unknown as S.MetricsSummary,
            )
        );
      const s = desk.status();
      const body = {
        status: s.status,
        tradingState: s.tradingState,
        marketEvents: s.marketEvents,
        triggers: s.triggers,
        decisions: s.decisions,
        decisionsPerSec: s.decisionsPerSec,
        orders: s.orders,
        denied: s.denied,
        denials: { ...desk.denials() },
        rejected: s.rejected,
        fills: s.fills,
        halts: s.halts,
        breakerTrips: s.breakerTrips,
        pnl: s.pnl,
        journalSeq: read((r) => r.head().seq),
        journalPending: journal.pending?.() ?? 0,
        uptimeSeconds: uptime(),
      };
      if (version !== undefined) {
        const { uptimeSeconds: _uptime, ...rest } = body;
        summary = { version, text: JSON.stringify(rest).slice(0, -1) };
      }
      return body;
    },
  );
  app.get('/metrics', { config: viewer, schema: { tags: ['metrics'] } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  // ── live stream and dashboard (src/api/stream.ts, src/api/static.ts) ──
  await registerStream(app, desk, journal, options.stream);
  registerDashboard(app, options.dashboardDir);

  return app;
}

/** Listens on `host` (127.0.0.1 unless told otherwise) and `port`; returns the URL. */
export async function listenApi(
  app: FastifyInstance,
  options: { host?: string; port?: number } = {},
): Promise<string> {
  return app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 7070 });
}

/** A JSON-plain copy (drops undefined, class instances become plain objects). */
function plain<T>(value: T): Plain<T> {
  return JSON.parse(JSON.stringify(value)) as Plain<T>;
}

type Plain<T> = T extends readonly (infer U)[]
  ? Plain<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Plain<T[K]> }
    : T;

/** The entries of a parsed query that were given. */
function definedOf<T extends Record<string, unknown>>(
  query: T,
): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]-?: Exclude<T[K], undefined>;
  };
}

const DOCS_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Concord operator API</title></head>
<body><h1>Concord operator API</h1><p>The OpenAPI 3 document is at <a href="/docs/json">/docs/json</a>;
load it into any OpenAPI viewer. Every route but /health, /ready and /docs needs
<code>Authorization: Bearer &lt;key&gt;</code> (create one with <code>concord keys create</code>).</p></body></html>`;
