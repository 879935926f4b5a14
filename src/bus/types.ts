/**
 * Bus message types. Every message travels in an Envelope whose id comes from a
 * deterministic IdGenerator and whose ts comes from the injected Clock, so a
 * replay produces the same envelopes.
 */

export interface Envelope<T = unknown> {
  /** Deterministic id (`<source>-evt-<n>` by default). */
  readonly id: string;
  /** What happened, past tense for events: `order.accepted`, `book.delta`. */
  readonly type: string;
  /** Schema version of `payload` for this `type`. */
  readonly version: number;
  /** Clock time of publication (ms since epoch). */
  readonly ts: number;
  /** Component or process that published. */
  readonly source: string;
  readonly topic: string;
  /** Id of the first message of the conversation (e.g. the market event that started a decision). */
  readonly correlationId: string | undefined;
  /** Id of the message that directly caused this one. */
  readonly causationId: string | undefined;
  readonly payload: T;
}

/**
 * Payload type per message `type`, filled in by declaration merging where a
 * payload is defined:
 *
 *   declare module '../bus/types.ts' { interface BusEventMap { 'order.accepted': OrderAccepted } }
 *
 * Types not listed take any payload (`unknown`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging in other components
export interface BusEventMap {}

export type PayloadOf<K extends string> = K extends keyof BusEventMap ? BusEventMap[K] : unknown;

/** A handler may be async; a rejected promise counts as a failure like a throw. */
export type Handler<T = unknown> = (envelope: Envelope<T>) => unknown;

export type RequestHandler<Req = unknown, Res = unknown> = (
  payload: Req,
  envelope: Envelope<Req>,
) => Res | Promise<Res>;

export interface PublishOptions {
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Payload schema version, default 1. */
  readonly version?: number;
}

export interface SubscribeOptions {
  /** Shown in stats and dead letters; default `<pattern>#<n>`. */
  readonly name?: string;
}

export interface RequestOptions {
  /** Deadline in the injected Clock's milliseconds; must be positive and finite. */
  readonly timeoutMs: number;
  readonly correlationId?: string;
  readonly causationId?: string;
}

/** One failed delivery: a handler threw or its promise rejected. */
export interface DeadLetter {
  readonly subscriber: string;
  readonly pattern: string;
  readonly envelope: Envelope;
  readonly error: unknown;
  /** True when the failure was a rejected promise (reported after publish returned). */
  readonly async: boolean;
}

export interface SubscriberStats {
  readonly name: string;
  readonly pattern: string;
  /** Handler invocations. */
  readonly delivered: number;
  /** Throws plus rejected promises. */
  readonly failures: number;
  /** Invocations whose synchronous part took longer than `slowHandlerMs`. */
  readonly slow: number;
}

export interface BusStats {
  readonly published: number;
  /** Handler invocations over all subscribers, including ones since unsubscribed. */
  readonly delivered: number;
  /** Failed deliveries over all subscribers, including ones since unsubscribed. */
  readonly failures: number;
  readonly slowDeliveries: number;
  /** Dead letters currently held (at most `maxDeadLetters`). */
  readonly deadLetters: number;
  /** Dead letters discarded, oldest first, because the list was full. */
  readonly deadLettersDropped: number;
  /** Current subscribers, in subscription order. */
  readonly subscribers: readonly SubscriberStats[];
}
