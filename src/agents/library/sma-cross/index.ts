/**
 * `sma-cross`: the classic long-or-flat moving-average crossover on bars.
 * It keeps its own rolling sums of closes per instrument (O(1) per bar, from
 * `trigger.event` when it is a `bar`): buys `quantity` when the fast average
 * crosses above the slow one while flat, sells the whole position when it
 * crosses below while long. It never goes short.
 */
import { z } from 'zod';
import { ConcordError, Decimal } from '../../../core/index.ts';
import type { Bar, Decision, InstrumentId, OrderIntent } from '../../../model/index.ts';
import { noAction } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition } from '../../contract.ts';
import { orderableInstrument, toLotQuantity } from '../momentum/sizing.ts';

export const smaCrossConfigSchema = z
  .strictObject({
    /** Bars in the fast average. */
    fast: z.number().int().min(1).max(100_000),
    /** Bars in the slow average; must be larger than `fast`. */
    slow: z.number().int().min(2).max(100_000),
    /** Size of one entry, base units. */
    quantity: z.number().positive().default(1),
    instruments: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((c) => c.fast < c.slow, {
    message: 'fast must be smaller than slow (e.g. fast 10, slow 30)',
    path: ['fast'],
  });

export type SmaCrossConfig = z.output<typeof smaCrossConfigSchema>;

/** Averages closer than this (relative) count as equal: rolling float sums carry tiny noise. */
export const SMA_TIE_TOLERANCE = 1e-9;
/** Re-add the window from scratch this often, so float noise never accumulates. */
const RESUM_EVERY = 4096;

/** +1 fast above slow, −1 below, 0 equal (within the tolerance). */
export function smaRelation(fastAverage: number, slowAverage: number): 1 | -1 | 0 {
  const diff = fastAverage - slowAverage;
  const tolerance = SMA_TIE_TOLERANCE * Math.abs(slowAverage);
  return diff > tolerance ? 1 : diff < -tolerance ? -1 : 0;
}

/** +1 crossed above (now above, before at or below), −1 crossed below, 0 no cross. */
export function crossOf(previous: 1 | -1 | 0, current: 1 | -1 | 0): 1 | -1 | 0 {
  if (current === 1 && previous <= 0) return 1;
  if (current === -1 && previous >= 0) return -1;
  return 0;
}

/** Rolling fast and slow sums of closes over a ring of the last `slow` closes. */
export class SmaWindow {
  private readonly ring: Float64Array;
  private count = 0;
  private fastSum = 0;
  private slowSum = 0;
  /** Relation on the previous bar, once `slow` closes were seen; undefined before. */
  previous: 1 | -1 | 0 | undefined = undefined;

  constructor(
    readonly fast: number,
    readonly slow: number,
  ) {
    this.ring = new Float64Array(slow);
  }

  get seen(): number {
    return this.count;
  }

  push(close: number): void {
    const slow = this.slow;
    const n = this.count;
    const leavingSlow = n >= slow ? (this.ring[n % slow] as number) : 0;
    const leavingFast = n >= this.fast ? (this.ring[(n - this.fast) % slow] as number) : 0;
    this.ring[n % slow] = close;
    this.count = n + 1;
    if (this.count % RESUM_EVERY === 0) this.resum();
    else {
      this.slowSum += close - leavingSlow;
      this.fastSum += close - leavingFast;
    }
  }

  /** Ready once `slow` closes were seen. */
  ready(): boolean {
    return this.count >= this.slow;
  }

  fastAverage(): number {
    return this.fastSum / this.fast;
  }

  slowAverage(): number {
    return this.slowSum / this.slow;
  }

  /** The last `min(seen, slow)` closes, oldest first. */
  closes(): number[] {
    const take = Math.min(this.count, this.slow);
    const out = new Array<number>(take);
    for (let i = 0; i < take; i++) out[i] = this.ring[(this.count - take + i) % this.slow] as number;
    return out;
  }

  private resum(): void {
    const closes = this.closes();
    let slowSum = 0;
    let fastSum = 0;
    for (let i = 0; i < closes.length; i++) {
      const c = closes[i] as number;
      slowSum += c;
      if (i >= closes.length - this.fast) fastSum += c;
    }
    this.slowSum = slowSum;
    this.fastSum = fastSum;
  }

  /** Rebuilds from saved closes (oldest first) and the total count. */
  static from(
    fast: number,
    slow: number,
    closes: readonly number[],
    seen: number,
    previous: 1 | -1 | 0 | undefined,
  ): SmaWindow {
    const window = new SmaWindow(fast, slow);
    window.count = seen;
    // Ring positions follow the total count, so the next push overwrites the oldest close.
    for (let i = 0; i < closes.length; i++)
      window.ring[(seen - closes.length + i) % slow] = closes[i] as number;
    window.resum();
    window.previous = previous;
    return window;
  }
}

const relationSchema = z.union([z.literal(1), z.literal(-1), z.literal(0)]);
const smaStateSchema = z.strictObject({
  fast: z.number().int(),
  slow: z.number().int(),
  windows: z.record(
    z.string(),
    z.strictObject({
      closes: z.array(z.number()),
      seen: z.number().int().min(0),
      previous: relationSchema.nullable(),
    }),
  ),
});

export type SmaCrossState = z.output<typeof smaStateSchema>;

export class SmaCrossAgent implements Agent {
  readonly type = 'sma-cross';
  readonly role = 'proposer';
  readonly triggers = ['bar'] as const;
  readonly instruments?: readonly InstrumentId[];
  private readonly windows = new Map<InstrumentId, SmaWindow>();

  constructor(
    readonly id: string,
    private readonly config: SmaCrossConfig,
  ) {
    if (config.instruments !== undefined) this.instruments = config.instruments;
  }

  process(context: AgentContext): Decision {
    const event = context.trigger.event;
    if (event.type !== 'bar') return NO_SIGNAL;
    const window = this.windowOf(event.instrumentId);
    window.push(event.close);
    if (!window.ready()) return NO_SIGNAL;
    const fastAverage = window.fastAverage();
    const slowAverage = window.slowAverage();
    const relation = smaRelation(fastAverage, slowAverage);
    const previous = window.previous;
    window.previous = relation;
    if (previous === undefined) return NO_SIGNAL;
    const cross = crossOf(previous, relation);
    if (cross === 0) return NO_SIGNAL;
    return this.act(context, event, cross, fastAverage, slowAverage);
  }

  private act(
    context: AgentContext,
    bar: Bar,
    cross: 1 | -1,
    fastAverage: number,
    slowAverage: number,
  ): Decision {
    const id = bar.instrumentId;
    const position = context.portfolio.position(id);
    const { fast, slow } = this.config;
    const averages = `SMA${fast} ${fastAverage.toFixed(2)} vs SMA${slow} ${slowAverage.toFixed(2)}, position ${position}`;
    let order: OrderIntent | undefined;
    if (cross === 1) {
      if (position > 0) return noAction(`sma-cross ${id}: crossed above but already long; ${averages}`);
      // Cover a stray short too (never meant to exist: this agent is long or flat).
      order = this.marketOrder(context, id, 'buy', this.config.quantity - Math.min(position, 0), false);
    } else {
      if (!(position > 0)) return noAction(`sma-cross ${id}: crossed below while flat; ${averages}`);
      order = this.marketOrder(context, id, 'sell', position, true);
    }
    if (order === undefined) return noAction(`sma-cross ${id}: order below one lot; ${averages}`);
    return {
      intents: [order],
      confidence: 1,
      // A crossover carries no price forecast of its own; the gap between the averages is a modest proxy.
      expectedReturn: Math.abs(fastAverage / slowAverage - 1),
      reasoning: `sma-cross ${id}: fast crossed ${cross === 1 ? 'above' : 'below'} slow, ${order.side} ${order.quantity} at market; ${averages}`,
    };
  }

  private marketOrder(
    context: AgentContext,
    id: InstrumentId,
    side: 'buy' | 'sell',
    quantity: number,
    reduceOnly: boolean,
  ): OrderIntent | undefined {
    const instrument = orderableInstrument(context.market, id);
    // Without a listing (bare candle backtests) the quantity goes as given, at float precision.
    const exact =
      instrument === undefined
        ? Decimal.fromNumberRounded(quantity, 12)
        : toLotQuantity(quantity, instrument.lotSize);
    if (exact === undefined || !exact.isPositive()) return undefined;
    return reduceOnly
      ? { kind: 'order', instrumentId: id, side, type: 'market', quantity: exact, reduceOnly: true }
      : { kind: 'order', instrumentId: id, side, type: 'market', quantity: exact };
  }

  private windowOf(id: InstrumentId): SmaWindow {
    let window = this.windows.get(id);
    if (window === undefined) {
      window = new SmaWindow(this.config.fast, this.config.slow);
      this.windows.set(id, window);
    }
    return window;
  }

  snapshot(): SmaCrossState {
    const windows: SmaCrossState['windows'] = {};
    for (const id of [...this.windows.keys()].sort()) {
      const w = this.windows.get(id) as SmaWindow;
      windows[id] = { closes: w.closes(), seen: w.seen, previous: w.previous ?? null };
    }
    return { fast: this.config.fast, slow: this.config.slow, windows };
  }

  restore(state: unknown): void {
    const parsed = smaStateSchema.safeParse(state);
    const problem = parsed.success
      ? parsed.data.fast !== this.config.fast || parsed.data.slow !== this.config.slow
        ? {
            message: `saved for fast ${parsed.data.fast}/slow ${parsed.data.slow}, configured ${this.config.fast}/${this.config.slow}`,
            path: 'fast',
          }
        : undefined
      : {
          message: parsed.error.issues[0]?.message ?? 'invalid',
          path: parsed.error.issues[0]?.path.map(String).join('.') ?? '',
        };
    if (problem !== undefined || !parsed.success) {
      throw new ConcordError(
        'CONCORD_ERR_AGENT_STATE_INVALID',
        `agent ${this.id} cannot restore its saved state: ${problem?.message}`,
        {
          details: { agentId: this.id, type: this.type, path: problem?.path ?? '' },
        },
      );
    }
    this.windows.clear();
    for (const [id, saved] of Object.entries(parsed.data.windows)) {
      const expected = Math.min(saved.seen, this.config.slow);
      if (saved.closes.length !== expected) {
        throw new ConcordError(
          'CONCORD_ERR_AGENT_STATE_INVALID',
          `agent ${this.id} cannot restore its saved state: ${id} has ${saved.closes.length} closes, expected ${expected}`,
          {
            details: { agentId: this.id, type: this.type, path: `windows.${id}.closes` },
          },
        );
      }
      this.windows.set(
        id,
        SmaWindow.from(
          this.config.fast,
          this.config.slow,
          saved.closes,
          saved.seen,
          saved.previous ?? undefined,
        ),
      );
    }
  }
}

const NO_SIGNAL: Decision = Object.freeze({
  intents: [],
  confidence: 0,
  expectedReturn: 0,
  reasoning: 'sma-cross: no cross',
});

export const smaCrossAgent: AgentDefinition<SmaCrossConfig> = {
  type: 'sma-cross',
  description:
    'Long-or-flat moving-average crossover on bars: buys when SMA(fast) crosses above SMA(slow), sells to flat when it crosses below.',
  role: 'proposer',
  configSchema: smaCrossConfigSchema,
  create: (id, config) => new SmaCrossAgent(id, config),
};
