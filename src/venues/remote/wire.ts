/**
 * The remote venue protocol: newline-delimited JSON over TCP on loopback.
 *
 * Server → client: `hello` (venues, instruments, server time), `market` (a market event),
 * `order` (a venue order event), `res` (the answer to one request, by correlation id).
 * Client → server: `req` (one VenuePort call, or an `admin.*` call from a drill).
 *
 * Decimals travel as strings (Decimal.toJSON). Everything read from the socket is
 * schema-checked here and turned back into typed values; a bad line is a
 * CONCORD_ERR_REMOTE_PROTOCOL error, never a half-trusted object.
 */
import { z } from 'zod';
import { ConcordError, Decimal } from '../../core/index.ts';
import {
  type Fill,
  type MarketEvent,
  ORDER_STATUSES,
  type OrderRequest,
  type SpotInstrument,
  spotInstrument,
  type VenueBalance,
  type VenueOrderEvent,
  type VenueOrderState,
  type VenuePosition,
} from '../../model/index.ts';

export const VENUE_METHODS = [
  'submitOrder',
  'cancelOrder',
  'fetchOrder',
  'fetchOpenOrders',
  'fetchBalances',
  'fetchPositions',
] as const;
export type VenueMethod = (typeof VENUE_METHODS)[number];
export const ADMIN_METHODS = ['admin.state', 'admin.faults', 'admin.stop'] as const;
export type AdminMethod = (typeof ADMIN_METHODS)[number];

export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;
}

const decimal = z.string().transform((s, ctx) => {
  const d = Decimal.tryFrom(s);
  if (d === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected a decimal string' });
    return z.NEVER;
  }
  return d;
});
const side = z.enum(['buy', 'sell']);
const status = z.enum(ORDER_STATUSES);
const level = z.tuple([z.number().finite(), z.number().finite().nonnegative()]);

const fillSchema = z.object({
  clientOrderId: z.string(),
  venueOrderId: z.string(),
  tradeId: z.string().min(1),
  instrumentId: z.string().min(1),
  venue: z.string().min(1),
  side,
  price: decimal,
  quantity: decimal,
  fee: decimal,
  feeCurrency: z.string(),
  liquidity: z.enum(['maker', 'taker']),
  ts: z.number().finite(),
});

const orderEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('order.accepted'),
    clientOrderId: z.string(),
    venueOrderId: z.string(),
    ts: z.number(),
  }),
  z.object({
    type: z.literal('order.rejected'),
    clientOrderId: z.string(),
    reason: z.string(),
    code: z.string(),
    ts: z.number(),
  }),
  z.object({
    type: z.literal('order.canceled'),
    clientOrderId: z.string(),
    venueOrderId: z.string(),
    reason: z.string().optional(),
    ts: z.number(),
  }),
  z.object({
    type: z.literal('order.expired'),
    clientOrderId: z.string(),
    venueOrderId: z.string(),
    ts: z.number(),
  }),
  z.object({ type: z.literal('order.filled'), fill: fillSchema }),
]);

const marketEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('book.snapshot'),
    ts: z.number().finite(),
    instrumentId: z.string().min(1),
    sequence: z.number(),
    bids: z.array(level),
    asks: z.array(level),
  }),
  z.object({
    type: z.literal('book.delta'),
    ts: z.number().finite(),
    instrumentId: z.string().min(1),
    firstSequence: z.number(),
    sequence: z.number(),
    previousSequence: z.number().optional(),
    bids: z.array(level),
    asks: z.array(level),
  }),
  z.object({
    type: z.literal('trade'),
    ts: z.number().finite(),
    instrumentId: z.string().min(1),
    price: z.number().finite().positive(),
    size: z.number().finite().nonnegative(),
    aggressor: z.enum(['buy', 'sell', 'unknown']),
    tradeId: z.string(),
  }),
  z.object({
    type: z.literal('quote'),
    ts: z.number().finite(),
    instrumentId: z.string().min(1),
    bid: z.number().finite(),
    bidSize: z.number().finite(),
    ask: z.number().finite(),
    askSize: z.number().finite(),
    sequence: z.number().optional(),
  }),
]);

const instrumentSchema = z.object({
  venue: z.string().min(1),
  symbol: z.string().min(1),
  base: z.string().min(1),
  quote: z.string().min(1),
  tickSize: z.string(),
  lotSize: z.string(),
  minNotional: z.string(),
  makerFee: z.string(),
  takerFee: z.string(),
});

const wireErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});

const serverMessageSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('hello'),
    now: z.number().finite(),
    venues: z.array(z.string().min(1)),
    instruments: z.array(instrumentSchema),
  }),
  z.object({ t: z.literal('market'), e: z.unknown() }),
  z.object({ t: z.literal('order'), v: z.string().min(1), e: z.unknown() }),
  z.object({
    t: z.literal('res'),
    id: z.number().int(),
    ok: z.boolean(),
    r: z.unknown().optional(),
    err: wireErrorSchema.optional(),
  }),
]);

const requestSchema = z.object({
  t: z.literal('req'),
  id: z.number().int().nonnegative(),
  m: z.enum([...VENUE_METHODS, ...ADMIN_METHODS]),
  v: z.string().optional(),
  a: z.unknown().optional(),
});

export const orderRequestSchema = z.object({
  clientOrderId: z.string().min(1).max(64),
  instrumentId: z.string().min(1),
  venue: z.string().min(1),
  side,
  type: z.enum(['market', 'limit']),
  quantity: decimal,
  price: decimal.optional(),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'POST_ONLY']),
  reduceOnly: z.boolean().optional(),
  decisionId: z.string(),
  leg: z.number().int().nonnegative(),
  ts: z.number().finite(),
});

const orderStateSchema = z.object({
  clientOrderId: z.string(),
  venueOrderId: z.string(),
  instrumentId: z.string(),
  status,
  filledQuantity: decimal,
  fills: z.array(fillSchema),
});
const balanceSchema = z.object({ asset: z.string(), total: decimal, available: decimal });
const positionSchema = z.object({ instrumentId: z.string(), quantity: decimal });

export interface HelloMessage {
  readonly t: 'hello';
  readonly now: number;
  readonly venues: readonly string[];
  readonly instruments: readonly SpotInstrument[];
}
export type ServerMessage =
  | HelloMessage
  | { readonly t: 'market'; readonly e: MarketEvent }
  | { readonly t: 'order'; readonly v: string; readonly e: VenueOrderEvent }
  | {
      readonly t: 'res';
      readonly id: number;
      readonly ok: boolean;
      readonly r?: unknown;
      readonly err?: WireError;
    };

export interface RequestMessage {
  readonly t: 'req';
  readonly id: number;
  readonly m: VenueMethod | AdminMethod;
  readonly v?: string;
  readonly a?: unknown;
}

export function protocolError(message: string, details: Record<string, unknown> = {}): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_REMOTE_PROTOCOL',
    `remote venue protocol: ${message}; both ends must run the same Concord version`,
    {
      details,
    },
  );
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw protocolError(
      `${what} is malformed at "${(issue?.path ?? []).join('.')}": ${issue?.message ?? 'invalid'}`,
      { what },
    );
  }
  return result.data;
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw protocolError('a line is not valid JSON', { line: line.slice(0, 200) });
  }
}

/** One line from the server, validated (market and order payloads included). */
export function decodeServerMessage(line: string): ServerMessage {
  const raw = parse(serverMessageSchema, parseLine(line), 'server message');
  switch (raw.t) {
    case 'hello':
      return {
        t: 'hello',
        now: raw.now,
        venues: raw.venues,
        instruments: raw.instruments.map((i) => spotInstrument(i)),
      };
    case 'market':
      return { t: 'market', e: parse(marketEventSchema, raw.e, 'market event') as MarketEvent };
    case 'order':
      return { t: 'order', v: raw.v, e: parse(orderEventSchema, raw.e, 'order event') as VenueOrderEvent };
    case 'res':
      return raw as ServerMessage;
  }
}

export function decodeRequest(line: string): RequestMessage {
  return parse(requestSchema, parseLine(line), 'request') as RequestMessage;
}

export function decodeOrderRequest(value: unknown): OrderRequest {
  return parse(orderRequestSchema, value, 'order request') as OrderRequest;
}

export function decodeOrderState(value: unknown): VenueOrderState | undefined {
  if (value === null || value === undefined) return undefined;
  return parse(orderStateSchema, value, 'order state') as VenueOrderState;
}

export function decodeOrderStates(value: unknown): VenueOrderState[] {
  return parse(z.array(orderStateSchema), value, 'order states') as VenueOrderState[];
}

export function decodeBalances(value: unknown): VenueBalance[] {
  return parse(z.array(balanceSchema), value, 'balances');
}

export function decodePositions(value: unknown): VenuePosition[] {
  return parse(z.array(positionSchema), value, 'positions');
}

export function decodeFill(value: unknown): Fill {
  return parse(fillSchema, value, 'fill') as Fill;
}

/** Instruments as the hello message carries them (decimal strings). */
export function instrumentToWire(i: SpotInstrument): z.input<typeof instrumentSchema> {
  return {
    venue: i.venue,
    symbol: i.symbol,
    base: i.base,
    quote: i.quote,
    tickSize: i.tickSize.toString(),
    lotSize: i.lotSize.toString(),
    minNotional: i.minNotional.toString(),
    makerFee: i.makerFee.toString(),
    takerFee: i.takerFee.toString(),
  };
}

export function encode(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

/** Splits a byte stream into lines; keeps the unfinished tail for the next chunk. */
export class LineSplitter {
  private tail = '';

  push(chunk: string, onLine: (line: string) => void): void {
    let text = this.tail + chunk;
    let newline = text.indexOf('\n');
    let start = 0;
    while (newline >= 0) {
      if (newline > start) onLine(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    text = text.slice(start);
    if (text.length > 16 * 1024 * 1024) throw protocolError('a line exceeds 16 MiB', { length: text.length });
    this.tail = text;
  }
}
