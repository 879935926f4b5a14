/**
 * The live stream of catalogue events: `GET /api/stream`, a WebSocket (viewer or higher). Each
 * client subscribes with bus patterns over the catalogue names (`order.*`, `risk.>`, `decision`)
 * and optionally narrows by instruments and agents; it receives
 * `{"type":"event","seq":n,"event":{"type","version","ts","payload"}}` for every durable journal
 * record that matches, and a `{"type":"status",...}` snapshot of the desk every `statusMs`.
 *
 * The desk is never slowed by a client (ADR 0013):
 * - the desk only writes its journal; the stream reads the durable records on its own timer, in
 *   bounded pages, only the types some client asked for, and only while someone listens;
 * - a record's message is built once (from the journal's stored canonical JSON, no re-encoding)
 *   and the same string goes to every client that wants it;
 * - each client has a bounded outgoing buffer: bytes waiting in the socket (`bufferedAmount`) and
 *   bytes sent that the client has not confirmed reading (a WebSocket ping goes out every `pingMs`;
 *   its pong can only come back once the client has read everything before it). A client over
 *   either bound, or that leaves a ping unanswered for `pongTimeoutMs`, is sent a
 *   `CONCORD_ERR_STREAM_SLOW_CLIENT` notice and closed (and cut off if it does not finish closing).
 * Client messages are validated; a bad one is answered with a coded notice, never a crash.
 */
import websocket, { type WebSocket } from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EVENT_LIST, eventNamed, isValidPattern, topicMatches } from '../bus/index.ts';
import { type Clock, LiveClock, type TimerHandle } from '../core/index.ts';
import { agentRows } from './agents-view.ts';
import type { DeskView, JournalSource } from './view.ts';

/** The subprotocol a client names (and the server answers with); the key may ride beside it. */
export const STREAM_PROTOCOL = 'concord.v1';
/** A browser cannot set headers on a WebSocket: it may offer `concord.key.<key>` as a subprotocol. */
export const KEY_PROTOCOL_PREFIX = 'concord.key.';

export interface StreamOptions {
  /** Timers of the stream (polling, status, pings); the wall clock by default. */
  readonly clock?: Clock;
  /** How often new durable records are read and sent, ms (default 100). */
  readonly pollMs?: number;
  /** How often a status snapshot is sent, ms (default 1000; 0 = never). */
  readonly statusMs?: number;
  /** How often each client is pinged, ms (default 1000). */
  readonly pingMs?: number;
  /** A ping unanswered this long drops the client, ms (default 10000). */
  readonly pongTimeoutMs?: number;
  /** Bytes waiting in a client's socket before it is dropped (default 1 MiB). */
  readonly maxBufferedBytes?: number;
  /** Bytes sent that a client has not confirmed reading before it is dropped (default 8 MiB). */
  readonly maxUnackedBytes?: number;
  /** Records read per poll at most; the rest follow on the next polls (default 2000). */
  readonly maxRecordsPerPoll?: number;
  /** Clients at once (default 64); one more is refused with a notice. */
  readonly maxClients?: number;
  /** A dropped client that has not finished closing after this long is cut off, ms (default 5000). */
  readonly closeGraceMs?: number;
}

export interface StreamStats {
  readonly clients: number;
  readonly dropped: number;
  readonly eventsSent: number;
  readonly cursor: number;
}

const subscribeMessage = z
  .object({
    op: z.literal('subscribe'),
    types: z.array(z.string().min(1).max(100)).min(1).max(64),
    instruments: z.array(z.string().min(1).max(200)).max(256).optional(),
    agents: z.array(z.string().min(1).max(200)).max(256).optional(),
  })
  .strict();
const clientMessage = z.discriminatedUnion('op', [
  subscribeMessage,
  z.object({ op: z.literal('unsubscribe') }).strict(),
  z.object({ op: z.literal('ping'), id: z.union([z.string().max(100), z.number()]).optional() }).strict(),
]);

interface Client {
  readonly socket: WebSocket;
  /** Catalogue names the client's patterns match (undefined: not subscribed). */
  names: ReadonlySet<string> | undefined;
  patterns: readonly string[];
  instruments: ReadonlySet<string> | undefined;
  agents: ReadonlySet<string> | undefined;
  sentBytes: number;
  ackedBytes: number;
  /** Outstanding pings: the byte count when each was sent and when. */
  readonly pings: Array<{ bytes: number; at: number }>;
  /** Client messages allowed now (token bucket: 20 in a burst, 10 a second). */
  tokens: number;
  tokensAt: number;
  dropped: boolean;
}

/** What a record names, for the instrument and agent filters. */
function subjectsOf(payload: unknown): { instruments: string[]; agents: string[] } {
  const instruments: string[] = [];
  const agents: string[] = [];
  const visit = (o: unknown) => {
    if (o === null || typeof o !== 'object') return;
    const r = o as Record<string, unknown>;
    if (typeof r.instrumentId === 'string') instruments.push(r.instrumentId);
    if (typeof r.agentId === 'string') agents.push(r.agentId);
    const attribution = r.attribution as { agentIds?: unknown } | undefined;
    if (Array.isArray(attribution?.agentIds))
      for (const a of attribution.agentIds) if (typeof a === 'string') agents.push(a);
  };
  visit(payload);
  if (payload !== null && typeof payload === 'object') {
    const p = payload as Record<string, unknown>;
    visit(p.order);
    visit(p.fill);
    visit(p.intent);
  }
  return { instruments, agents };
}

/** An event passes a filter when it names none of that kind, or one of the listed ones. */
function passes(filter: ReadonlySet<string> | undefined, named: readonly string[]): boolean {
  if (filter === undefined || named.length === 0) return true;
  return named.some((n) => filter.has(n));
}

function notice(code: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'notice', code, message, ...(details === undefined ? {} : { details }) });
}

/** The key offered as a subprotocol (`concord.key.<key>`), if any. */
export function keyFromProtocols(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  for (const p of header.split(',')) {
    const t = p.trim();
    if (t.startsWith(KEY_PROTOCOL_PREFIX)) return t.slice(KEY_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

/**
 * Registers the WebSocket transport. Must come before the server's auth hook: its own hook marks
 * upgrade requests, so that an upgrade refused by auth (401) has its socket closed after the answer.
 */
export async function registerWebSocket(app: FastifyInstance): Promise<void> {
  await app.register(websocket, {
    options: {
      maxPayload: 4096,
      // Answer with the protocol, never echo the key.
      handleProtocols: (protocols) => (protocols.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
    },
  });
}

/**
 * Registers `GET /api/stream` (viewer) on the server; auth, roles and rate limits are the
 * server's own hooks (the key as a Bearer header or a `concord.key.<key>` subprotocol).
 */
export async function registerStream(
  app: FastifyInstance,
  desk: DeskView,
  journal: JournalSource,
  options: StreamOptions = {},
): Promise<{ stats(): StreamStats }> {
  const clock = options.clock ?? new LiveClock();
  const pollMs = options.pollMs ?? 100;
  const statusMs = options.statusMs ?? 1000;
  const pingMs = options.pingMs ?? 1000;
  const pongTimeoutMs = options.pongTimeoutMs ?? 10_000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const maxUnacked = options.maxUnackedBytes ?? 8 * 1024 * 1024;
  const maxRecords = options.maxRecordsPerPoll ?? 2000;
  const maxClients = options.maxClients ?? 64;
  const closeGraceMs = options.closeGraceMs ?? 5000;

  const clients = new Set<Client>();
  let dropped = 0;
  let eventsSent = 0;
  /** Last journal seq looked at; records after it are sent at the next poll. */
  let cursor = -1;
  let wanted: string[] | undefined = [];
  const timers: TimerHandle[] = [];
  const graceTimers = new Set<TimerHandle>();

  const head = (): number => journal.withReader((r) => r.head().seq);

  const refreshWanted = () => {
    const names = new Set<string>();
    for (const c of clients) for (const n of c.names ?? []) names.add(n);
    wanted = names.size === EVENT_LIST.length ? undefined : [...names];
  };

  const drop = (c: Client, message: string, details: Record<string, unknown>) => {
    if (c.dropped) return;
    c.dropped = true;
    clients.delete(c);
    dropped++;
    refreshWanted();
    try {
      c.socket.send(notice('CONCORD_ERR_STREAM_SLOW_CLIENT', message, details));
      c.socket.close(4008, 'CONCORD_ERR_STREAM_SLOW_CLIENT');
    } catch {
      // A socket already failing: cut it off below.
    }
    const t = clock.setTimeout(() => {
      graceTimers.delete(t);
      if (c.socket.readyState !== c.socket.CLOSED) c.socket.terminate();
    }, closeGraceMs);
    graceTimers.add(t);
  };

  /** Sends without waiting; a client over its bounds is dropped instead. */
  const send = (c: Client, text: string): void => {
    if (c.dropped) return;
    const buffered = c.socket.bufferedAmount;
    const unacked = c.sentBytes - c.ackedBytes;
    if (buffered > maxBuffered || unacked > maxUnacked) {
      drop(
        c,
        `this client reads too slowly: ${buffered} bytes wait in its socket and ${unacked} sent bytes are unconfirmed (bounds ${maxBuffered} and ${maxUnacked}); it was dropped so the desk is not slowed. Reconnect, subscribe to fewer types, or read faster`,
        {
          bufferedBytes: buffered,
          unackedBytes: unacked,
          maxBufferedBytes: maxBuffered,
          maxUnackedBytes: maxUnacked,
        },
      );
      return;
    }
    c.sentBytes += text.length;
    c.socket.send(text);
  };

  const poll = () => {
    if (clients.size === 0) return;
    let subscribed = false;
    for (const c of clients) if (c.names !== undefined && c.names.size > 0) subscribed = true;
    try {
      journal.withReader((reader) => {
        const top = reader.head().seq;
        if (cursor < 0 || !subscribed || (wanted !== undefined && wanted.length === 0)) {
          cursor = top;
          return;
        }
        if (top <= cursor) return;
        let last = cursor;
        let read = 0;
        let full = false;
        for (const record of reader.records(wanted, { fromSeq: cursor + 1, toSeq: top })) {
          last = record.seq;
          let text: string | undefined;
          let subjects: ReturnType<typeof subjectsOf> | undefined;
          for (const c of clients) {
            if (c.names === undefined || !c.names.has(record.type)) continue;
            if (c.instruments !== undefined || c.agents !== undefined) {
              subjects ??= subjectsOf(record.payload);
              if (!passes(c.instruments, subjects.instruments) || !passes(c.agents, subjects.agents))
                continue;
            }
            text ??= `{"type":"event","seq":${record.seq},"event":{"type":${JSON.stringify(record.type)},"version":${eventNamed(record.type)?.version ?? 1},"ts":${record.ts},"payload":${record.payloadJson}}}`;
            send(c, text);
            eventsSent++;
          }
          if (++read >= maxRecords) {
            full = true;
            break;
          }
        }
        cursor = full ? last : top;
      });
    } catch {
      // The journal could not be read this time (closing, busy): the next poll tries again.
    }
  };

  const status = () => {
    if (clients.size === 0) return;
    let text: string;
    try {
      const s = desk.status();
      text = JSON.stringify({
        type: 'status',
        journalSeq: cursor,
        desk: {
          mode: s.mode,
          status: s.status,
          tradingState: s.tradingState,
          simulatedMs: s.simulatedMs,
          marketEvents: s.marketEvents,
          triggers: s.triggers,
          decisions: s.decisions,
          decisionsPerSec: s.decisionsPerSec,
          orders: s.orders,
          denied: s.denied,
          rejected: s.rejected,
          fills: s.fills,
          pnl: s.pnl,
          halts: s.halts,
          breakerTrips: s.breakerTrips,
          positions: s.positions,
          // The /api/agents rows: the kernel's summary with each agent's measured call latency.
          agents: agentRows(desk),
          venues: s.venues,
        },
        risk: desk.risk(),
        stream: { clients: clients.size, dropped },
      });
    } catch {
      return;
    }
    for (const c of clients) send(c, text);
  };

  const ping = () => {
    const now = clock.now();
    for (const c of [...clients]) {
      const oldest = c.pings[0];
      if (oldest !== undefined && now - oldest.at > pongTimeoutMs) {
        drop(
          c,
          `this client left a ping unanswered for ${now - oldest.at} ms (bound ${pongTimeoutMs}); it was dropped so the desk is not slowed`,
          { unansweredMs: now - oldest.at, pongTimeoutMs },
        );
        continue;
      }
      if (c.pings.length < 64) {
        c.pings.push({ bytes: c.sentBytes, at: now });
        try {
          c.socket.ping();
        } catch {
          // Closing: the close handler removes it.
        }
      }
    }
  };

  app.addHook('onReady', async () => {
    timers.push(clock.setInterval(poll, pollMs));
    if (statusMs > 0) timers.push(clock.setInterval(status, statusMs));
    timers.push(clock.setInterval(ping, pingMs));
  });
  app.addHook('preClose', async () => {
    for (const t of timers) clock.clearTimer(t);
    for (const t of graceTimers) clock.clearTimer(t);
    for (const c of clients) c.socket.terminate();
    clients.clear();
  });

  app.get(
    '/api/stream',
    {
      websocket: true,
      config: { role: 'viewer' },
      schema: {
        tags: ['stream'],
        description:
          'WebSocket stream of catalogue events (docs/api.md, "Event stream"): send {"op":"subscribe","types":["order.*"],"instruments?":[],"agents?":[]}; receive {"type":"event","seq","event"}, {"type":"status"}, {"type":"notice","code"}. Key as a Bearer header or the subprotocol concord.key.<key> beside concord.v1.',
      },
    },
    (socket, request) => {
      if (clients.size >= maxClients) {
        socket.send(
          notice('CONCORD_ERR_STREAM_FULL', `the stream serves at most ${maxClients} clients; try later`),
        );
        socket.close(1013, 'CONCORD_ERR_STREAM_FULL');
        return;
      }
      const now = clock.now();
      const c: Client = {
        socket,
        names: undefined,
        patterns: [],
        instruments: undefined,
        agents: undefined,
        sentBytes: 0,
        ackedBytes: 0,
        pings: [],
        tokens: 20,
        tokensAt: now,
        dropped: false,
      };
      clients.add(c);
      if (cursor < 0) {
        try {
          cursor = head();
        } catch {
          cursor = -1;
        }
      }
      socket.on('pong', () => {
        const p = c.pings.shift();
        if (p !== undefined) c.ackedBytes = Math.max(c.ackedBytes, p.bytes);
      });
      socket.on('close', () => {
        clients.delete(c);
        refreshWanted();
      });
      socket.on('error', () => {
        clients.delete(c);
        refreshWanted();
      });
      socket.on('message', (data, isBinary) => {
        if (c.dropped) return;
        const t = clock.now();
        c.tokens = Math.min(20, c.tokens + ((t - c.tokensAt) / 1000) * 10);
        c.tokensAt = t;
        if (c.tokens < 1) {
          send(c, notice('CONCORD_ERR_STREAM_BAD_MESSAGE', 'too many messages; at most 10 a second'));
          return;
        }
        c.tokens -= 1;
        handleMessage(c, isBinary ? undefined : data.toString());
      });
      send(
        c,
        JSON.stringify({
          type: 'hello',
          protocol: STREAM_PROTOCOL,
          operator: request.operator?.name ?? null,
          role: request.operator?.role ?? null,
          journalSeq: cursor,
          statusMs,
        }),
      );
      status();
    },
  );

  const handleMessage = (c: Client, text: string | undefined) => {
    const bad = (message: string, details?: Record<string, unknown>) =>
      send(c, notice('CONCORD_ERR_STREAM_BAD_MESSAGE', message, details));
    if (text === undefined) return bad('send JSON text messages, not binary');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return bad('not JSON: send {"op":"subscribe","types":["order.*"]}');
    }
    const parsed = clientMessage.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return bad(
        `bad message at ${issue?.path.join('.') || '(message)'}: ${issue?.message ?? 'does not match'}; expected {"op":"subscribe","types":[...],"instruments?":[...],"agents?":[...]}, {"op":"unsubscribe"} or {"op":"ping"}`,
      );
    }
    const m = parsed.data;
    if (m.op === 'ping') {
      send(c, JSON.stringify({ type: 'pong', id: m.id ?? null, journalSeq: cursor }));
      return;
    }
    if (m.op === 'unsubscribe') {
      c.names = undefined;
      c.patterns = [];
      refreshWanted();
      send(c, JSON.stringify({ type: 'subscribed', types: [], events: [] }));
      return;
    }
    const invalid = m.types.filter((p) => !isValidPattern(p));
    if (invalid.length > 0)
      return bad(
        `not a subscription pattern: ${invalid.map((p) => JSON.stringify(p)).join(', ')}; use dot-separated segments, "*" for one segment, ">" last for the rest (order.*, risk.>, decision, >)`,
        { patterns: invalid },
      );
    const names = new Set(
      EVENT_LIST.filter((e) => m.types.some((p) => topicMatches(p, e.name))).map((e) => e.name),
    );
    c.names = names;
    c.patterns = m.types;
    c.instruments = m.instruments === undefined ? undefined : new Set(m.instruments);
    c.agents = m.agents === undefined ? undefined : new Set(m.agents);
    refreshWanted();
    send(
      c,
      JSON.stringify({
        type: 'subscribed',
        types: m.types,
        events: [...names],
        instruments: m.instruments ?? null,
        agents: m.agents ?? null,
        fromSeq: cursor + 1,
      }),
    );
  };

  return { stats: () => ({ clients: clients.size, dropped, eventsSent, cursor }) };
}
