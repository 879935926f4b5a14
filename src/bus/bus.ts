/**
 * In-process pub/sub with request/reply.
 *
 * Delivery is synchronous and deterministic: subscribers are called in
 * subscription order. A message published from inside a handler is queued and
 * delivered after the current message has reached every subscriber (run to
 * completion), so every subscriber sees all messages in the same global order,
 * causes before effects.
 *
 * A failing subscriber never breaks the others and never fails silently: the
 * failure is counted, the envelope is kept in a bounded dead-letter list and the
 * `onSubscriberError` hook is told.
 */
import { type Clock, ConcordError, IdGenerator, monotonicMs } from '../core/index.ts';
import { assertPattern, assertTopic, segmentsMatch } from './match.ts';
import type {
  BusStats,
  DeadLetter,
  Envelope,
  Handler,
  PayloadOf,
  PublishOptions,
  RequestHandler,
  RequestOptions,
  SubscribeOptions,
} from './types.ts';

export interface BusOptions {
  readonly clock: Clock;
  /** Written into every envelope's `source`. */
  readonly source: string;
  /**
   * Envelope ids come from `ids.next('evt')` when given (share one to keep ids unique across
   * buses, or restore its counters after a restart); otherwise from a private counter with the
   * same format, `<source>-evt-<n>`, which is cheaper on the hot path.
   */
  readonly ids?: IdGenerator;
  /**
   * A handler whose synchronous part takes longer than this (ms) is counted slow. Default 1.
   * `Infinity` turns timing off (saves one clock read per handler).
   */
  readonly slowHandlerMs?: number;
  /** Dead letters kept; older ones are dropped and counted. Default 1000. */
  readonly maxDeadLetters?: number;
  /** Told about every failed delivery. Errors thrown by the hook itself are ignored. */
  readonly onSubscriberError?: (failure: DeadLetter) => void;
}

interface Subscription {
  readonly name: string;
  readonly pattern: string;
  readonly segments: readonly string[];
  readonly handler: Handler<never>;
  active: boolean;
  delivered: number;
  failures: number;
  slow: number;
}

/** Distinct concrete topics whose subscriber lists are cached before the cache is reset. */
const MAX_CACHED_TOPICS = 50_000;

export class Bus {
  readonly source: string;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly nextEventId: () => string;
  private readonly timed: boolean;
  private readonly slowHandlerMs: number;
  private readonly maxDeadLetters: number;
  private readonly onSubscriberError: ((failure: DeadLetter) => void) | undefined;

  private subscriptions: Subscription[] = [];
  private nextSubscription = 1;
  /** Concrete topic → matching active subscriptions; reset on every (un)subscribe. */
  private readonly routes = new Map<string, Subscription[]>();
  private readonly handlers = new Map<string, RequestHandler<never, unknown>>();

  private dispatching = false;
  private readonly queuedEnvelopes: Envelope[] = [];
  private readonly queuedRoutes: Subscription[][] = [];

  private published = 0;
  private delivered = 0;
  private failures = 0;
  private slowDeliveries = 0;
  private readonly deadLetterList: DeadLetter[] = [];
  private deadLettersDropped = 0;

  constructor(options: BusOptions) {
    this.clock = options.clock;
    this.source = options.source;
    this.ids = options.ids ?? new IdGenerator(options.source);
    const shared = options.ids;
    let eventCount = 0;
    const prefix = `${options.source}-evt-`;
    this.nextEventId = shared === undefined ? () => prefix + ++eventCount : () => shared.next('evt');
    this.slowHandlerMs = options.slowHandlerMs ?? 1;
    this.maxDeadLetters = options.maxDeadLetters ?? 1000;
    this.onSubscriberError = options.onSubscriberError;
    this.timed = this.slowHandlerMs !== Number.POSITIVE_INFINITY;
    if (!(this.maxDeadLetters >= 0) || !Number.isInteger(this.maxDeadLetters) || !(this.slowHandlerMs >= 0)) {
      throw new ConcordError(
        'CONCORD_ERR_BUS_OPTIONS_INVALID',
        'maxDeadLetters must be a whole number ≥ 0 and slowHandlerMs a number ≥ 0',
        { details: { maxDeadLetters: options.maxDeadLetters, slowHandlerMs: options.slowHandlerMs } },
      );
    }
  }

  /**
   * Publishes to a concrete topic (build it with `topics.*`) and returns the
   * envelope. Handlers have run when this returns, unless it was called from
   * inside a handler (then delivery follows the current message).
   */
  publish<K extends string>(
    topic: string,
    type: K,
    payload: PayloadOf<K>,
    options?: PublishOptions,
  ): Envelope<PayloadOf<K>> {
    const route = this.routes.get(topic) ?? this.resolve(topic);
    const envelope: Envelope<PayloadOf<K>> = {
      id: this.nextEventId(),
      type,
      version: options?.version ?? 1,
      ts: this.clock.now(),
      source: this.source,
      topic,
      correlationId: options?.correlationId,
      causationId: options?.causationId,
      payload,
    };
    this.published++;
    if (route.length === 0) return envelope;
    if (this.dispatching) {
      this.queuedEnvelopes.push(envelope);
      this.queuedRoutes.push(route);
      return envelope;
    }
    this.dispatching = true;
    try {
      this.deliver(envelope, route);
      // Indexing, not shift(): the queue may grow while it drains.
      for (let i = 0; i < this.queuedEnvelopes.length; i++) {
        this.deliver(this.queuedEnvelopes[i] as Envelope, this.queuedRoutes[i] as Subscription[]);
      }
    } finally {
      this.queuedEnvelopes.length = 0;
      this.queuedRoutes.length = 0;
      this.dispatching = false;
    }
    return envelope;
  }

  /** Subscribes to a pattern (`*` one segment, `>` trailing segments); returns the unsubscribe function. */
  subscribe<T = unknown>(pattern: string, handler: Handler<T>, options?: SubscribeOptions): () => void {
    assertPattern(pattern);
    const subscription: Subscription = {
      name: options?.name ?? `${pattern}#${this.nextSubscription}`,
      pattern,
      segments: pattern.split('.'),
      handler: handler as Handler<never>,
      active: true,
      delivered: 0,
      failures: 0,
      slow: 0,
    };
    this.nextSubscription++;
    this.subscriptions = [...this.subscriptions, subscription];
    this.routes.clear();
    return () => {
      if (!subscription.active) return;
      subscription.active = false;
      this.subscriptions = this.subscriptions.filter((s) => s !== subscription);
      this.routes.clear();
    };
  }

  /** Registers the one handler for requests on a concrete topic; returns the unregister function. */
  handle<Req = unknown, Res = unknown>(topic: string, handler: RequestHandler<Req, Res>): () => void {
    assertTopic(topic);
    if (this.handlers.has(topic)) {
      throw new ConcordError(
        'CONCORD_ERR_BUS_HANDLER_EXISTS',
        `a request handler is already registered for "${topic}"; unregister it first`,
        { details: { topic } },
      );
    }
    const registered = handler as RequestHandler<never, unknown>;
    this.handlers.set(topic, registered);
    return () => {
      if (this.handlers.get(topic) === registered) this.handlers.delete(topic);
    };
  }

  /**
   * Sends a request to the handler on `topic` and resolves with its reply.
   * Rejects with CONCORD_ERR_BUS_NO_HANDLER at once when nobody handles the topic,
   * CONCORD_ERR_BUS_HANDLER_FAILED when the handler throws or rejects, and
   * CONCORD_ERR_BUS_REQUEST_TIMEOUT when no reply comes within `timeoutMs` of the Clock.
   * Requests are not published to subscribers.
   */
  request<Res = unknown, Req = unknown>(topic: string, payload: Req, options: RequestOptions): Promise<Res> {
    const timeoutMs = options.timeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(
        new ConcordError(
          'CONCORD_ERR_BUS_OPTIONS_INVALID',
          'request timeoutMs must be a positive finite number of ms',
          {
            details: { topic, timeoutMs },
          },
        ),
      );
    }
    const handler = this.handlers.get(topic) as RequestHandler<Req, Res> | undefined;
    if (handler === undefined) {
      return Promise.reject(
        new ConcordError('CONCORD_ERR_BUS_NO_HANDLER', `no request handler is registered for "${topic}"`, {
          details: { topic },
        }),
      );
    }
    const id = this.ids.next('req');
    const envelope: Envelope<Req> = {
      id,
      type: 'request',
      version: 1,
      ts: this.clock.now(),
      source: this.source,
      topic,
      correlationId: options.correlationId ?? id,
      causationId: options.causationId,
      payload,
    };
    const failed = (error: unknown) =>
      new ConcordError('CONCORD_ERR_BUS_HANDLER_FAILED', `the request handler for "${topic}" failed`, {
        details: { topic, requestId: id, reason: error instanceof Error ? error.message : String(error) },
        cause: error,
      });
    let reply: Res | Promise<Res>;
    try {
      reply = handler(payload, envelope);
    } catch (error) {
      return Promise.reject(failed(error));
    }
    if (!isThenable(reply)) return Promise.resolve(reply);
    return new Promise<Res>((resolve, reject) => {
      let settled = false;
      const timer = this.clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(
          new ConcordError(
            'CONCORD_ERR_BUS_REQUEST_TIMEOUT',
            `no reply on "${topic}" within ${timeoutMs} ms`,
            {
              details: { topic, requestId: id, timeoutMs },
            },
          ),
        );
      }, timeoutMs);
      (reply as Promise<Res>).then(
        (value) => {
          if (settled) return;
          settled = true;
          this.clock.clearTimer(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          this.clock.clearTimer(timer);
          reject(failed(error));
        },
      );
    });
  }

  hasHandler(topic: string): boolean {
    return this.handlers.has(topic);
  }

  /**
   * Messages published from inside a handler and not yet delivered (the bus's queue depth). Delivery
   * is synchronous, so between messages this is 0; a deep queue means handlers publish in cascade.
   */
  queueDepth(): number {
    return this.queuedEnvelopes.length;
  }

  stats(): BusStats {
    return {
      published: this.published,
      delivered: this.delivered,
      failures: this.failures,
      slowDeliveries: this.slowDeliveries,
      deadLetters: this.deadLetterList.length,
      deadLettersDropped: this.deadLettersDropped,
      subscribers: this.subscriptions.map((s) => ({
        name: s.name,
        pattern: s.pattern,
        delivered: s.delivered,
        failures: s.failures,
        slow: s.slow,
      })),
    };
  }

  /** Failed deliveries kept so far, oldest first. */
  deadLetters(): readonly DeadLetter[] {
    return [...this.deadLetterList];
  }

  /** Returns and clears the dead letters (e.g. after journaling them). */
  drainDeadLetters(): DeadLetter[] {
    return this.deadLetterList.splice(0, this.deadLetterList.length);
  }

  private resolve(topic: string): Subscription[] {
    assertTopic(topic);
    const segments = topic.split('.');
    const route = this.subscriptions.filter((s) => segmentsMatch(s.segments, segments));
    if (this.routes.size >= MAX_CACHED_TOPICS) this.routes.clear();
    this.routes.set(topic, route);
    return route;
  }

  private deliver(envelope: Envelope, route: readonly Subscription[]): void {
    // One clock read per handler: each handler's end is the next one's start.
    let started = this.timed ? monotonicMs() : 0;
    for (let i = 0; i < route.length; i++) {
      const subscription = route[i] as Subscription;
      if (!subscription.active) continue;
      subscription.delivered++;
      this.delivered++;
      try {
        const result = (subscription.handler as Handler)(envelope);
        if (isThenable(result)) {
          result.then(undefined, (error: unknown) => this.fail(subscription, envelope, error, true));
        }
      } catch (error) {
        this.fail(subscription, envelope, error, false);
      }
      if (this.timed) {
        const ended = monotonicMs();
        if (ended - started > this.slowHandlerMs) {
          subscription.slow++;
          this.slowDeliveries++;
        }
        started = ended;
      }
    }
  }

  private fail(subscription: Subscription, envelope: Envelope, error: unknown, async: boolean): void {
    subscription.failures++;
    this.failures++;
    const deadLetter: DeadLetter = {
      subscriber: subscription.name,
      pattern: subscription.pattern,
      envelope,
      error,
      async,
    };
    if (this.maxDeadLetters > 0) {
      if (this.deadLetterList.length >= this.maxDeadLetters) {
        this.deadLetterList.shift();
        this.deadLettersDropped++;
      }
      this.deadLetterList.push(deadLetter);
    } else {
      this.deadLettersDropped++;
    }
    if (this.onSubscriberError !== undefined) {
      try {
        this.onSubscriberError(deadLetter);
      } catch {
        // The hook is the reporting channel; its own failure must not break delivery.
      }
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
