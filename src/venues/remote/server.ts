/**
 * The venue server: one process that outlives the desks talking to it, so a desk killed
 * with SIGKILL leaves the venue's orders, fills and balances where a real exchange
 * would keep them.
 *
 * It hosts the synthetic market and one SimulatedVenue per venue, each wrapped in a
 * FaultyVenue (faults never lose a fill for good: fetches still show it). Its clock is
 * simulated and advanced one market step every `stepEveryMs` of real time, so clients see
 * a live-like stream. It listens on 127.0.0.1 only and stops by itself after `maxRunMs`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  type Clock,
  ConcordError,
  type DecimalInput,
  monotonicMs,
  Random,
  SimulatedClock,
  toConcordError,
} from '../../core/index.ts';
import type {
  Instrument,
  OrderRequest,
  VenueBalance,
  VenueCapabilities,
  VenueId,
  VenueOrderEvent,
  VenueOrderState,
  VenuePort,
  VenuePosition,
} from '../../model/index.ts';
import { type FaultConfig, type FaultKind, FaultyVenue } from '../faulty/index.ts';
import { SimulatedVenue } from '../simulated/simulated-venue.ts';
import { SyntheticMarket } from '../simulated/synthetic-market.ts';
import {
  decodeOrderRequest,
  decodeRequest,
  encode,
  instrumentToWire,
  LineSplitter,
  type RequestMessage,
  type WireError,
} from './wire.ts';

export interface VenueServerOptions {
  readonly seed: number;
  readonly startTs: number;
  /** Market time per step, ms (default 100). */
  readonly tickMs?: number;
  /** Real time per market step, ms (default 5: 20× real time at 100 ms ticks). */
  readonly stepEveryMs?: number;
  readonly balances: Readonly<Record<string, DecimalInput>>;
  readonly latencyMs?: number;
  readonly faults?: FaultConfig;
  /** Real-time timers (a LiveClock). */
  readonly wall: Clock;
  /** The server stops by itself after this much real time. */
  readonly maxRunMs: number;
  /** Default 0: a free port chosen by the system. */
  readonly port?: number;
}

export interface VenueOrderAudit {
  readonly clientOrderId: string;
  readonly status: string;
  readonly filledQuantity: string;
  /** Fills as the matching engine made them (before any fault wrapper split them). */
  readonly fills: readonly { tradeId: string; quantity: string; price: string; fee: string }[];
}

export interface VenueAudit {
  readonly id: VenueId;
  readonly orders: readonly VenueOrderAudit[];
  /** Client order ids the matching engine received more than once (each one a resend). */
  readonly resubmitted: Readonly<Record<string, number>>;
  readonly balances: readonly { asset: string; total: string }[];
  readonly positions: readonly { instrumentId: string; quantity: string }[];
  readonly faults: Readonly<Record<FaultKind, number>>;
}

export interface VenueServerState {
  readonly now: number;
  readonly steps: number;
  readonly venues: readonly VenueAudit[];
}

/** Counts what reaches the matching engine, per client order id. */
class CountingVenue implements VenuePort {
  readonly id: VenueId;
  readonly has: VenueCapabilities;
  readonly submits = new Map<string, number>();

  constructor(readonly inner: SimulatedVenue) {
    this.id = inner.id;
    this.has = inner.has;
  }

  instruments(): readonly Instrument[] {
    return this.inner.instruments();
  }
  submitOrder(request: OrderRequest): Promise<void> {
    this.submits.set(request.clientOrderId, (this.submits.get(request.clientOrderId) ?? 0) + 1);
    return this.inner.submitOrder(request);
  }
  cancelOrder(clientOrderId: string): Promise<void> {
    return this.inner.cancelOrder(clientOrderId);
  }
  onOrderEvent(handler: (event: VenueOrderEvent) => void): () => void {
    return this.inner.onOrderEvent(handler);
  }
  fetchOrder(clientOrderId: string): Promise<VenueOrderState | undefined> {
    return this.inner.fetchOrder(clientOrderId);
  }
  fetchOpenOrders(): Promise<readonly VenueOrderState[]> {
    return this.inner.fetchOpenOrders();
  }
  fetchBalances(): Promise<readonly VenueBalance[]> {
    return this.inner.fetchBalances();
  }
  fetchPositions(): Promise<readonly VenuePosition[]> {
    return this.inner.fetchPositions();
  }
}

interface HostedVenue {
  readonly counting: CountingVenue;
  readonly faulty: FaultyVenue;
}

export class VenueServer {
  readonly clock: SimulatedClock;
  private readonly market: SyntheticMarket;
  private readonly venues = new Map<VenueId, HostedVenue>();
  private readonly clients = new Set<Socket>();
  private readonly server: Server;
  private readonly wall: Clock;
  private readonly stepEveryMs: number;
  private stepTimer: number | undefined;
  private stopTimer: number | undefined;
  private startedAt = 0;
  private stepsDone = 0;
  private stopped = false;
  private resolveDone: () => void = () => {};
  /** Resolves once the server has stopped (time limit or `stop()`). */
  readonly done: Promise<void>;
  port = 0;

  private constructor(options: VenueServerOptions) {
    this.wall = options.wall;
    this.stepEveryMs = options.stepEveryMs ?? 5;
    if (!(this.stepEveryMs > 0) || !(options.maxRunMs > 0)) {
      throw new ConcordError(
        'CONCORD_ERR_CONFIG_INVALID',
        'venue server stepEveryMs and maxRunMs must be positive',
        {
          details: { path: 'stepEveryMs', expected: '> 0', received: this.stepEveryMs },
        },
      );
    }
    this.clock = new SimulatedClock(options.startTs);
    this.market = new SyntheticMarket({
      seed: options.seed,
      startTs: options.startTs,
      tickMs: options.tickMs ?? 100,
    });
    const instruments = this.market.instruments();
    const random = new Random(options.seed).fork('venue-server.faults');
    for (const id of [...new Set(instruments.map((i) => i.venue))]) {
      const sim = new SimulatedVenue({
        id,
        clock: this.clock,
        instruments: instruments.filter((i) => i.venue === id),
        balances: options.balances,
        latencyMs: options.latencyMs ?? 5,
      });
      const counting = new CountingVenue(sim);
      const faulty = new FaultyVenue({
        inner: counting,
        clock: this.clock,
        random: random.fork(id),
        faults: options.faults ?? {},
      });
      faulty.onOrderEvent((e) => this.broadcast(encode({ t: 'order', v: id, e })));
      this.venues.set(id, { counting, faulty });
    }
    this.server = createServer((socket) => this.accept(socket));
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.stopTimer = this.wall.setTimeout(() => void this.stop(), options.maxRunMs);
  }

  /** Starts listening on 127.0.0.1 and stepping the market. */
  static async start(options: VenueServerOptions): Promise<VenueServer> {
    const server = new VenueServer(options);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const address = server.server.address();
    server.port = typeof address === 'object' && address !== null ? address.port : 0;
    server.startedAt = monotonicMs();
    server.stepTimer = server.wall.setInterval(() => server.catchUp(), server.stepEveryMs);
    return server;
  }

  setFaults(faults: FaultConfig): void {
    for (const v of this.venues.values()) v.faulty.setFaults(faults);
  }

  async state(): Promise<VenueServerState> {
    const venues: VenueAudit[] = [];
    for (const [id, v] of this.venues) {
      const orders: VenueOrderAudit[] = [];
      for (const coid of v.counting.submits.keys()) {
        const s = await v.counting.inner.fetchOrder(coid);
        if (s === undefined) continue;
        orders.push({
          clientOrderId: coid,
          status: s.status,
          filledQuantity: s.filledQuantity.toString(),
          fills: s.fills.map((f) => ({
            tradeId: f.tradeId,
            quantity: f.quantity.toString(),
            price: f.price.toString(),
            fee: f.fee.toString(),
          })),
        });
      }
      const resubmitted: Record<string, number> = {};
      for (const [coid, n] of v.counting.submits) if (n > 1) resubmitted[coid] = n;
      venues.push({
        id,
        orders,
        resubmitted,
        balances: (await v.counting.inner.fetchBalances()).map((b) => ({
          asset: b.asset,
          total: b.total.toString(),
        })),
        positions: (await v.counting.inner.fetchPositions()).map((p) => ({
          instrumentId: p.instrumentId,
          quantity: p.quantity.toString(),
        })),
        faults: v.faulty.faultCounts(),
      });
    }
    return { now: this.clock.now(), steps: this.stepsDone, venues };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.stepTimer !== undefined) this.wall.clearTimer(this.stepTimer);
    if (this.stopTimer !== undefined) this.wall.clearTimer(this.stopTimer);
    for (const socket of this.clients) socket.destroy();
    this.clients.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.resolveDone();
  }

  /** Runs every market step due by now (timers are late on a busy machine; the pace is kept on average). */
  private catchUp(): void {
    const due = Math.floor((monotonicMs() - this.startedAt) / this.stepEveryMs);
    // Never more than a burst of 20 at once: a stalled process resumes without flooding clients.
    for (let n = 0; n < 20 && this.stepsDone < due && !this.stopped; n++) this.step();
    if (this.stepsDone < due - 20) this.startedAt += (due - 20 - this.stepsDone) * this.stepEveryMs;
  }

  private step(): void {
    this.stepsDone++;
    for (const event of this.market.next()) {
      if (event.ts > this.clock.now()) this.clock.advanceTo(event.ts);
      this.venues
        .get(event.instrumentId.slice(0, event.instrumentId.indexOf(':')))
        ?.counting.inner.onMarketEvent(event);
      this.broadcast(encode({ t: 'market', e: event }));
    }
  }

  private broadcast(line: string): void {
    for (const socket of this.clients) {
      // A client that stopped reading is dropped rather than buffered without bound.
      if (socket.writableLength > 64 * 1024 * 1024) socket.destroy();
      else socket.write(line);
    }
  }

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    const instruments = [...this.venues.values()].flatMap((v) => v.counting.inner.instruments());
    socket.write(
      encode({
        t: 'hello',
        now: this.clock.now(),
        venues: [...this.venues.keys()],
        instruments: instruments.map((i) => instrumentToWire(i as Parameters<typeof instrumentToWire>[0])),
      }),
    );
    // A late subscriber starts from full books.
    for (const id of this.venues.keys()) {
      const snapshot = this.market.snapshot(id);
      if (snapshot !== undefined) socket.write(encode({ t: 'market', e: snapshot }));
    }
    this.clients.add(socket);
    const lines = new LineSplitter();
    socket.on('data', (chunk: string) => {
      try {
        lines.push(chunk, (line) => void this.handle(socket, line));
      } catch {
        socket.destroy();
      }
    });
    const drop = () => this.clients.delete(socket);
    socket.on('close', drop);
    socket.on('error', drop);
  }

  private async handle(socket: Socket, line: string): Promise<void> {
    let request: RequestMessage;
    try {
      request = decodeRequest(line);
    } catch {
      socket.destroy();
      return;
    }
    try {
      const result = await this.call(request);
      if (!socket.destroyed) socket.write(encode({ t: 'res', id: request.id, ok: true, r: result ?? null }));
    } catch (err) {
      const e = toConcordError(err);
      const error: WireError = {
        code: e.code,
        message: e.shortMessage,
        retryable: e.retryable,
        details: { ...e.details },
      };
      if (!socket.destroyed) socket.write(encode({ t: 'res', id: request.id, ok: false, err: error }));
    }
  }

  private async call(request: RequestMessage): Promise<unknown> {
    switch (request.m) {
      case 'admin.state':
        return this.state();
      case 'admin.faults':
        this.setFaults((request.a ?? {}) as FaultConfig);
        return null;
      case 'admin.stop':
        this.wall.setTimeout(() => void this.stop(), 0);
        return null;
      default:
        break;
    }
    const venue = this.venues.get(request.v ?? '')?.faulty;
    if (venue === undefined) {
      throw new ConcordError(
        'CONCORD_ERR_EXECUTION_NO_VENUE',
        `the venue server hosts no venue "${request.v}"`,
        {
          details: { venue: request.v, hosted: [...this.venues.keys()] },
        },
      );
    }
    const arg = request.a;
    switch (request.m) {
      case 'submitOrder':
        return venue.submitOrder(decodeOrderRequest(arg));
      case 'cancelOrder':
        return venue.cancelOrder(stringArg(arg));
      case 'fetchOrder':
        return venue.fetchOrder(stringArg(arg));
      case 'fetchOpenOrders':
        return venue.fetchOpenOrders();
      case 'fetchBalances':
        return venue.fetchBalances();
      case 'fetchPositions':
        return venue.fetchPositions();
    }
  }
}

function stringArg(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConcordError(
      'CONCORD_ERR_REMOTE_PROTOCOL',
      'remote venue protocol: expected a client order id string',
      {
        details: { received: typeof value },
      },
    );
  }
  return value;
}
