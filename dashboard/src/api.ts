// The dashboard talks only to the operator API of the server that served it (same origin).

const KEY_STORAGE = 'concord.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(
  key: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${key}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  const json = text === '' ? {} : (JSON.parse(text) as unknown);
  if (!response.ok) {
    const e = json as { code?: string; message?: string };
    throw new ApiError(response.status, e.code ?? 'CONCORD_ERR_HTTP', e.message ?? response.statusText);
  }
  return json as T;
}

// ── shapes the dashboard reads (see docs/api.md) ──

export interface Agent {
  id: string;
  type: string;
  status: string;
  decisions: number;
  trust: number;
  failures: number;
  pnl: number;
  fees: number;
  trades: number;
  /** Mean and longest time of one call of the agent, ms, as the kernel measured it (null: none yet). */
  latencyMeanMs?: number | null;
  latencyMaxMs?: number | null;
}

export interface LimitUse {
  name: string;
  used: number;
  limit: number | null;
  fraction: number | null;
}

export interface Breaker {
  breaker: string;
  scope: string;
  state: string;
  reason: string;
  trips: number;
}

export interface Risk {
  tradingState: string;
  halted: boolean;
  equity: number;
  peakEquity: number;
  drawdown: number;
  dailyPnl: number;
  grossExposure: number;
  netExposure: number;
  valueAtRisk: number | null;
  limits: LimitUse[];
  breakers: Breaker[];
}

export interface DeskSnapshot {
  mode: string;
  status: string;
  tradingState: string;
  simulatedMs: number;
  marketEvents: number;
  triggers: number;
  decisions: number;
  decisionsPerSec: number;
  orders: number;
  denied: number;
  rejected: number;
  fills: number;
  pnl: number;
  halts: number;
  breakerTrips: number;
  positions: { instrumentId: string; quantity: string }[];
  agents: Agent[];
}

export interface Order {
  clientOrderId: string;
  venueOrderId: string | null;
  agentIds: string[];
  instrumentId: string;
  venue: string;
  side: string;
  quantity: string;
  status: string;
  filledQuantity: string;
  denialCode: string | null;
  updatedTs?: number;
}

export interface Opportunity {
  seq: number;
  ts: number;
  decisionId: string;
  agentId: string;
  agentType: string;
  confidence: number;
  expectedReturn: number;
  reasoning: string;
  acted: boolean;
}

export interface EquityPoint {
  ts: number;
  equity: number;
}

export interface StreamEvent {
  seq: number;
  event: { type: string; version: number; ts: number; payload: Record<string, unknown> };
}

export interface StatusMessage {
  journalSeq: number;
  desk: DeskSnapshot;
  risk: Risk;
  stream: { clients: number; dropped: number };
}

export interface StreamHandlers {
  onStatus(status: StatusMessage): void;
  onEvent(event: StreamEvent): void;
  onState(state: 'connecting' | 'live' | 'closed', detail?: string): void;
}

/** The live stream (GET /api/stream); the key rides as a subprotocol, never in the URL. Reconnects. */
export function openStream(key: string, types: string[], handlers: StreamHandlers): () => void {
  let socket: WebSocket | undefined;
  let stopped = false;
  let retry: number | undefined;
  const connect = () => {
    handlers.onState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/stream`;
    const ws = new WebSocket(url, ['concord.v1', `concord.key.${key}`]);
    socket = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ op: 'subscribe', types }));
      handlers.onState('live');
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as { type: string } & Record<string, unknown>;
      if (msg.type === 'status') handlers.onStatus(msg as unknown as StatusMessage);
      else if (msg.type === 'event') handlers.onEvent(msg as unknown as StreamEvent);
      else if (msg.type === 'notice') handlers.onState('live', `${String(msg.code)}: ${String(msg.message)}`);
    };
    ws.onclose = (e) => {
      handlers.onState('closed', e.reason || `closed (${e.code})`);
      if (!stopped) retry = window.setTimeout(connect, 2000);
    };
  };
  connect();
  return () => {
    stopped = true;
    if (retry !== undefined) window.clearTimeout(retry);
    socket?.close();
  };
}
