/**
 * The client side of the remote venue protocol: one TCP connection to a venue server
 * carries market data, order events and request/response calls for every venue it hosts.
 *
 * - Each request has a correlation id and a real-time deadline (`requestTimeoutMs` on the
 *   injected clock). A deadline missed is CONCORD_ERR_VENUE_TIMEOUT: for a submit the
 *   outcome is unknown (not retryable; the order manager parks the order in UNKNOWN);
 *   for a read or a cancel it is retryable.
 * - A dropped connection fails every pending request the same way (a submit in flight
 *   may have arrived) and new calls with CONCORD_ERR_VENUE_DISCONNECTED until the
 *   client has reconnected, which it tries every `reconnectDelayMs`. Events sent while
 *   disconnected are lost here: reconciliation recovers them from the venue.
 * - Lifecycle (src/core/lifecycle.ts), shared by every venue of the connection: STARTING while
 *   the first connection is dialled, RUNNING once the server said hello, DEGRADED while a dropped
 *   connection is redialled (RUNNING again at the next hello), STOPPING → STOPPED on `close()`,
 *   FAULTED when the first connection never came up.
 */
import { connect, type Socket } from 'node:net';
import {
  type Clock,
  ConcordError,
  Lifecycle,
  type LifecycleView,
  type TimerHandle,
} from '../../core/index.ts';
import type {
  Instrument,
  MarketEvent,
  OrderRequest,
  SpotInstrument,
  VenueBalance,
  VenueCapabilities,
  VenueId,
  VenueOrderEvent,
  VenueOrderState,
  VenuePort,
  VenuePosition,
} from '../../model/index.ts';
import {
  type AdminMethod,
  decodeBalances,
  decodeOrderState,
  decodeOrderStates,
  decodePositions,
  decodeServerMessage,
  encode,
  type HelloMessage,
  LineSplitter,
  protocolError,
  type VenueMethod,
  type WireError,
} from './wire.ts';

export interface RemoteAddress {
  readonly host: string;
  readonly port: number;
}

export interface RemoteConnectionOptions {
  readonly address: RemoteAddress;
  /** Real-time timers for deadlines and reconnects (a LiveClock outside tests). */
  readonly clock: Clock;
  /** Default 2000 ms. */
  readonly requestTimeoutMs?: number;
  /** Default 100 ms. */
  readonly reconnectDelayMs?: number;
  /** Deadline for the first connection and hello, ms (default 5000). */
  readonly connectTimeoutMs?: number;
}

interface Pending {
  readonly method: string;
  readonly venue: string | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: ConcordError) => void;
  readonly timer: TimerHandle;
}

type Listener<T> = (value: T) => void;

export class RemoteConnection {
  private readonly options: RemoteConnectionOptions;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly reconnectDelayMs: number;
  private socket: Socket | undefined;
  private connected = false;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private marketListeners: readonly Listener<MarketEvent>[] = [];
  /** Market events received before anyone listened (bounded). */
  private readonly early: MarketEvent[] = [];
  private readonly orderListeners = new Map<VenueId, readonly Listener<VenueOrderEvent>[]>();
  private helloListeners: readonly Listener<HelloMessage>[] = [];
  private reconnectTimer: TimerHandle | undefined;
  /** The server's first hello: venues, instruments and its time when we connected. */
  hello: HelloMessage | undefined;
  reconnects = 0;
  readonly lifecycle: Lifecycle;

  private constructor(options: RemoteConnectionOptions) {
    this.options = options;
    this.lifecycle = new Lifecycle(`venue server ${options.address.host}:${options.address.port}`);
    this.clock = options.clock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 2000;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 100;
  }

  /** Connects and waits for the server's hello. */
  static async open(options: RemoteConnectionOptions): Promise<RemoteConnection> {
    const connection = new RemoteConnection(options);
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    connection.lifecycle.transition('STARTING', 'connecting');
    await new Promise<void>((resolve, reject) => {
      const timer = options.clock.setTimeout(() => {
        connection.lifecycle.transition('FAULTED', `no hello within ${connectTimeoutMs} ms`);
        connection.close();
        reject(connection.disconnectedError('connect', undefined));
      }, connectTimeoutMs);
      connection.onHello(() => {
        options.clock.clearTimer(timer);
        resolve();
      });
      connection.dial();
    });
    return connection;
  }

  isConnected(): boolean {
    return this.connected;
  }

  venues(): RemoteVenue[] {
    const hello = this.hello as HelloMessage;
    return hello.venues.map(
      (id) =>
        new RemoteVenue(
          this,
          id,
          hello.instruments.filter((i) => i.venue === id),
        ),
    );
  }

  /** The first listener also gets what arrived before it subscribed (the books sent with the hello). */
  onMarketEvent(listener: Listener<MarketEvent>): () => void {
    this.marketListeners = [...this.marketListeners, listener];
    for (const event of this.early.splice(0)) listener(event);
    return () => {
      this.marketListeners = this.marketListeners.filter((l) => l !== listener);
    };
  }

  onOrderEvent(venue: VenueId, listener: Listener<VenueOrderEvent>): () => void {
    this.orderListeners.set(venue, [...(this.orderListeners.get(venue) ?? []), listener]);
    return () => {
      this.orderListeners.set(
        venue,
        (this.orderListeners.get(venue) ?? []).filter((l) => l !== listener),
      );
    };
  }

  /** Called on every hello: the first connection and each reconnection. */
  onHello(listener: Listener<HelloMessage>): () => void {
    this.helloListeners = [...this.helloListeners, listener];
    return () => {
      this.helloListeners = this.helloListeners.filter((l) => l !== listener);
    };
  }

  /** One call with a correlation id and a deadline. */
  request(method: VenueMethod | AdminMethod, venue: VenueId | undefined, arg?: unknown): Promise<unknown> {
    if (!this.connected || this.socket === undefined)
      return Promise.reject(this.disconnectedError(method, venue));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(this.timeoutError(method, venue, 'no answer in time'));
      }, this.requestTimeoutMs);
      this.pending.set(id, { method, venue, resolve, reject, timer });
      (this.socket as Socket).write(encode({ t: 'req', id, m: method, v: venue, a: arg }));
    });
  }

  close(): void {
    const stopping = this.lifecycle.transitionIfAllowed('STOPPING', 'closed');
    this.closed = true;
    // At once, not when the socket's close event comes: a call after close() is never sent.
    this.connected = false;
    if (this.reconnectTimer !== undefined) this.clock.clearTimer(this.reconnectTimer);
    this.socket?.destroy();
    this.failPending('the connection was closed');
    if (stopping) this.lifecycle.transition('STOPPED', 'closed');
  }

  private dial(): void {
    const socket = connect({ host: this.options.address.host, port: this.options.address.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    const lines = new LineSplitter();
    socket.on('data', (chunk: string) => {
      try {
        lines.push(chunk, (line) => this.receive(line));
      } catch {
        // A peer that speaks something else is not a venue to trust: drop and redial.
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.lost(socket));
  }

  private lost(socket: Socket): void {
    if (this.socket !== socket) return;
    this.connected = false;
    this.failPending('the connection dropped');
    if (this.closed) return;
    if (this.lifecycle.state === 'RUNNING')
      this.lifecycle.transition(
        'DEGRADED',
        `connection dropped; redialling every ${this.reconnectDelayMs} ms`,
      );
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) this.dial();
    }, this.reconnectDelayMs);
  }

  /** Every call in flight may or may not have reached the venue: a timeout, never a clean failure. */
  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      this.clock.clearTimer(p.timer);
      this.pending.delete(id);
      p.reject(this.timeoutError(p.method, p.venue, why));
    }
  }

  private receive(line: string): void {
    const message = decodeServerMessage(line);
    switch (message.t) {
      case 'market':
        if (this.marketListeners.length === 0) {
          if (this.early.length < 100_000) this.early.push(message.e);
        } else for (const l of this.marketListeners) l(message.e);
        return;
      case 'order':
        for (const l of this.orderListeners.get(message.v) ?? []) l(message.e);
        return;
      case 'res': {
        const p = this.pending.get(message.id);
        if (p === undefined) return; // answered after its deadline: the caller already has a timeout
        this.pending.delete(message.id);
        this.clock.clearTimer(p.timer);
        if (message.ok) p.resolve(message.r);
        else p.reject(fromWire(message.err));
        return;
      }
      case 'hello':
        if (this.hello !== undefined) this.reconnects++;
        else this.hello = message;
        this.connected = true;
        if (this.lifecycle.state === 'STARTING' || this.lifecycle.state === 'DEGRADED')
          this.lifecycle.transition('RUNNING', this.reconnects === 0 ? 'connected' : 'reconnected');
        for (const l of this.helloListeners) l(message);
        return;
    }
  }

  private timeoutError(method: string, venue: string | undefined, why: string): ConcordError {
    const unknownOutcome = method === 'submitOrder';
    return new ConcordError(
      'CONCORD_ERR_VENUE_TIMEOUT',
      `${venue ?? 'venue server'} did not answer ${method} (${why}); ${
        unknownOutcome
          ? 'the order may or may not exist at the venue: leave it UNKNOWN and reconcile, never resend'
          : 'retry with backoff'
      }`,
      { details: { venue, operation: method, remote: true }, retryable: !unknownOutcome },
    );
  }

  private disconnectedError(method: string, venue: string | undefined): ConcordError {
    return new ConcordError(
      'CONCORD_ERR_VENUE_DISCONNECTED',
      `not connected to the venue server at ${this.options.address.host}:${this.options.address.port}, ${method} was not sent; retry after reconnecting`,
      { details: { venue, operation: method, remote: true }, retryable: true },
    );
  }
}

function fromWire(err: WireError | undefined): ConcordError {
  if (err === undefined) return protocolError('an error answer carries no error');
  const code = err.code.startsWith('CONCORD_ERR_')
    ? (err.code as `CONCORD_ERR_${string}`)
    : 'CONCORD_ERR_REMOTE_PROTOCOL';
  return new ConcordError(code, err.message, {
    details: { ...(err.details ?? {}), remote: true },
    retryable: err.retryable,
  });
}

/** A VenuePort whose venue lives in the venue server process. */
export class RemoteVenue implements VenuePort {
  readonly has: VenueCapabilities = Object.freeze({
    market: true,
    limit: true,
    ioc: true,
    fok: true,
    postOnly: true,
    cancel: true,
    fetchOrder: true,
  });

  constructor(
    private readonly connection: RemoteConnection,
    readonly id: VenueId,
    private readonly instrumentList: readonly SpotInstrument[],
  ) {}

  /** The connection's: every venue of one venue server is up or down together. */
  get lifecycle(): LifecycleView {
    return this.connection.lifecycle;
  }

  instruments(): readonly Instrument[] {
    return this.instrumentList;
  }

  async submitOrder(request: OrderRequest): Promise<void> {
    await this.connection.request('submitOrder', this.id, request);
  }

  async cancelOrder(clientOrderId: string): Promise<void> {
    await this.connection.request('cancelOrder', this.id, clientOrderId);
  }

  onOrderEvent(handler: (event: VenueOrderEvent) => void): () => void {
    return this.connection.onOrderEvent(this.id, handler);
  }

  async fetchOrder(clientOrderId: string): Promise<VenueOrderState | undefined> {
    return decodeOrderState(await this.connection.request('fetchOrder', this.id, clientOrderId));
  }

  async fetchOpenOrders(): Promise<readonly VenueOrderState[]> {
    return decodeOrderStates(await this.connection.request('fetchOpenOrders', this.id));
  }

  async fetchBalances(): Promise<readonly VenueBalance[]> {
    return decodeBalances(await this.connection.request('fetchBalances', this.id));
  }

  async fetchPositions(): Promise<readonly VenuePosition[]> {
    return decodePositions(await this.connection.request('fetchPositions', this.id));
  }
}
