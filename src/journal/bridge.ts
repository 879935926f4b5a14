/**
 * Journals bus traffic: every envelope matching `pattern` becomes one record whose
 * type and ts are the envelope's and whose payload is the whole envelope (id, topic,
 * source, correlation, payload), so a replay can rebuild the message stream.
 */
import type { Bus } from '../bus/index.ts';
import type { Journal } from './types.ts';

export interface RecordBusTrafficOptions {
  /** Subscription pattern, default every topic (`>`). */
  readonly pattern?: string;
  /** Subscriber name in bus stats, default `journal`. */
  readonly name?: string;
}

/**
 * Subscribes the journal to the bus; returns the unsubscribe function. A failed
 * append (CONCORD_ERR_JOURNAL_WRITE) surfaces as a failure of this subscriber:
 * watch it with the bus's `onSubscriberError` hook to fail closed.
 */
export function recordBusTraffic(
  bus: Bus,
  journal: Journal,
  options: RecordBusTrafficOptions = {},
): () => void {
  return bus.subscribe(
    options.pattern ?? '>',
    (envelope) => {
      journal.append(envelope.type, envelope.ts, envelope);
    },
    { name: options.name ?? 'journal' },
  );
}
