/**
 * OpenTelemetry spans for the life of a tick: the kernel's tick observer port
 * (src/kernel/observe.ts) turned into spans after each tick, with the times the kernel measured
 * on the monotonic clock (placed on the epoch with the process's one time origin). One `concord.tick` span per tick that made the desk think, with
 * children `concord.agent.think` (one per agent asked), `concord.consensus`, `concord.order.submit`
 * (one per accepted intent) and, under each submit, `concord.risk.check` (one per order checked).
 *
 * Off by default: nothing is attached to the desk and the tick path pays nothing. On with an
 * OTLP/HTTP endpoint (`--otlp-endpoint`, or OTEL_EXPORTER_OTLP_ENDPOINT); spans leave in batches.
 */
import { type Attributes, context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import type { TickObserver, TickTrace } from '../kernel/index.ts';

export interface TickTracer {
  readonly observer: TickObserver;
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
  /** Flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

/** `<base>/v1/traces` for a base endpoint (as OTEL_EXPORTER_OTLP_ENDPOINT), or the URL as given when it already names the path. */
export function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return /\/v1\/traces$/.test(trimmed) ? trimmed : `${trimmed}/v1/traces`;
}

/** A tick tracer exporting OTLP/HTTP JSON to `endpoint` (or to any exporter, for embedding). */
export function createTickTracer(options: {
  readonly endpoint?: string;
  readonly exporter?: SpanExporter;
  readonly serviceName?: string;
  readonly attributes?: Attributes;
}): TickTracer {
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({ url: tracesUrl(options.endpoint ?? 'http://127.0.0.1:4318'), headers: {} });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName ?? 'concord',
      ...options.attributes,
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500, maxQueueSize: 8192 })],
  });
  const tracer = provider.getTracer('concord', '0.1.0');
  return {
    observer: { tick: (t) => recordTick(tracer, t) },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Epoch milliseconds of a monotonic (performance clock) time. Every span gets its times this way,
 * with the one time origin, so children nest inside their parent exactly (OpenTelemetry's own
 * conversion re-anchors each span on the wall clock, which shifts spans against each other).
 */
function at(monotonicMs: number): number {
  return performance.timeOrigin + monotonicMs;
}

/** The spans of one tick, with the kernel's own start and end times. */
export function recordTick(tracer: Tracer, t: TickTrace): void {
  const agentIds = t.agents.map((a) => a.agentId);
  const root = tracer.startSpan(
    'concord.tick',
    {
      startTime: at(t.startMs),
      attributes: {
        'concord.correlation_id': t.correlationId,
        'concord.trigger.kind': t.triggerKind,
        'concord.instrument': t.instrumentId,
        'concord.agent_ids': agentIds,
        'concord.decision_ids': t.submits.map((s) => s.decisionId),
        'concord.order_roots': t.submits.map((s) => s.orderRoot),
      },
    },
    context.active(),
  );
  const inTick = trace.setSpan(context.active(), root);
  for (const a of t.agents) {
    const span = tracer.startSpan(
      'concord.agent.think',
      {
        startTime: at(a.startMs),
        attributes: {
          'concord.correlation_id': t.correlationId,
          'concord.agent_id': a.agentId,
          'concord.agent.status': a.status,
        },
      },
      inTick,
    );
    if (a.status !== 'ok' && a.status !== 'skipped')
      span.setStatus({ code: SpanStatusCode.ERROR, message: a.status });
    span.end(at(a.endMs));
  }
  if (t.consensus !== undefined) {
    tracer
      .startSpan(
        'concord.consensus',
        {
          startTime: at(t.consensus.startMs),
          attributes: { 'concord.correlation_id': t.correlationId, 'concord.accepted': t.consensus.accepted },
        },
        inTick,
      )
      .end(at(t.consensus.endMs));
  }
  for (const s of t.submits) {
    const submit: Span = tracer.startSpan(
      'concord.order.submit',
      {
        startTime: at(s.startMs),
        attributes: {
          'concord.correlation_id': t.correlationId,
          'concord.decision_id': s.decisionId,
          'concord.order_root': s.orderRoot,
          'concord.agent_ids': [...s.agentIds],
        },
      },
      inTick,
    );
    const inSubmit = trace.setSpan(inTick, submit);
    for (const c of s.checks) {
      const check = tracer.startSpan(
        'concord.risk.check',
        {
          startTime: at(c.startMs),
          attributes: {
            'concord.correlation_id': t.correlationId,
            'concord.order_root': s.orderRoot,
            'concord.instrument': c.instrumentId,
            'concord.side': c.side,
            'concord.risk.passed': c.denial === undefined,
            ...(c.denial === undefined ? {} : { 'concord.risk.denial': c.denial }),
          },
        },
        inSubmit,
      );
      check.end(at(c.endMs));
    }
    submit.end(at(s.endMs));
  }
  root.end(at(t.endMs));
}
