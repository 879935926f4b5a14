/**
 * The switchboard: the only place topic strings are built. Nobody else writes a
 * topic literal, so renaming a topic or finding every publisher is one search.
 * Everything the journal records (decisions, orders, fills, risk, agents, ...) travels
 * on its event catalogue name (`topics.event`, src/bus/catalogue.ts), so the journal,
 * a live stream and a broker subscribe to the same names; market data, chain, system
 * and request topics are built here from their parts.
 *
 * Segment values are sanitised: a dot, wildcard (`*`, `>`) or whitespace inside a
 * value becomes `_` (so `BTC.USDT` and `BTC_USDT` share a topic; venues' symbols
 * do not contain dots in practice). An empty value is an error.
 */
import { ConcordError } from '../core/index.ts';
import type { EventDef } from './catalogue.ts';
import { UNSAFE_SEGMENT_CHARS } from './match.ts';

const UNSAFE_GLOBAL = /[.*>\s]/g;

/** Makes one value safe to use as a single topic segment. */
export function segment(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : value;
  if (text.length === 0) {
    throw new ConcordError(
      'CONCORD_ERR_BUS_TOPIC_INVALID',
      'a topic segment cannot be empty: pass a venue, symbol or id',
      {
        details: { value },
      },
    );
  }
  return UNSAFE_SEGMENT_CHARS.test(text) ? text.replace(UNSAFE_GLOBAL, '_') : text;
}

/** Kinds of market data carried on `data.<kind>.<venue>.<symbol>`; other strings are allowed. */
export type DataKind = 'book' | 'quote' | 'trade' | 'bar' | 'funding' | 'pool' | 'lending' | (string & {});

export const topics = {
  /** A catalogue event (src/bus/catalogue.ts): its name, e.g. `order.filled`, `risk.halt`, `decision`. */
  event: (event: EventDef): string => event.topic,
  /** `data.<kind>.<venue>.<symbol>`: one market-data stream. */
  data: (kind: DataKind, venue: string, symbol: string): string =>
    `data.${segment(kind)}.${segment(venue)}.${segment(symbol)}`,
  /** `chain.<eventName>.<chainId>`: on-chain transaction events. */
  chain: (eventName: string, chainId: string | number): string =>
    `chain.${segment(eventName)}.${segment(chainId)}`,
  /** `system.<name>`: kernel, journal, clock and health events. */
  system: (name: string): string => `system.${segment(name)}`,
  /** `rpc.<service>.<method>`: request/reply endpoints (`bus.handle` / `bus.request`). */
  rpc: (service: string, method: string): string => `rpc.${segment(service)}.${segment(method)}`,
} as const;

/** `*` where a value is left out. */
function part(value: string | number | undefined): string {
  return value === undefined ? '*' : segment(value);
}

/** Subscription patterns for the topics above; an omitted argument is a `*` wildcard. */
export const patterns = {
  everything: '>',
  /** One catalogue event. */
  event: (event: EventDef): string => event.topic,
  /** Every catalogue event of a group: `events('order')` is `order.>` (order.filled, order.denied, ...). */
  events: (group: string): string => `${segment(group)}.>`,
  data: (kind?: DataKind, venue?: string, symbol?: string): string =>
    `data.${part(kind)}.${part(venue)}.${part(symbol)}`,
  chain: (eventName?: string, chainId?: string | number): string =>
    `chain.${part(eventName)}.${part(chainId)}`,
  system: 'system.*',
} as const;
