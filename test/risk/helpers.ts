import { Decimal, SimulatedClock } from '../../src/core/index.ts';
import {
  type PnlFacts,
  parseRiskConfig,
  type RiskConfigInput,
  RiskEngine,
  type RiskEngineOptions,
  type RiskOrder,
} from '../../src/risk/index.ts';

export const BTC = 'sim-a:BTC-USDT';
export const ETH = 'sim-a:ETH-USDT';
export const BTC_B = 'sim-b:BTC-USDT';

/** A position source with settable positions and PnL figures (like the Portfolio). */
export class FakeBook {
  readonly positions = new Map<string, number>();
  pnl: PnlFacts | undefined = undefined;

  set(id: string, q: number): this {
    this.positions.set(id, q);
    return this;
  }
  position(id: string): number {
    return this.positions.get(id) ?? 0;
  }
  positionExact(id: string): Decimal {
    return Decimal.fromNumberRounded(this.position(id));
  }
  observe(ts: number): PnlFacts {
    this.pnl = { equity: 10_000, peakEquity: 10_000, drawdown: 0, dailyPnl: 0, ...this.pnl, ts };
    return this.pnl;
  }
  metrics(): PnlFacts | undefined {
    return this.pnl;
  }
  setPnl(p: Partial<PnlFacts>): this {
    this.pnl = { ts: 0, equity: 10_000, peakEquity: 10_000, drawdown: 0, dailyPnl: 0, ...this.pnl, ...p };
    return this;
  }
}

export function makeEngine(
  config: RiskConfigInput = {},
  book: FakeBook = new FakeBook(),
  extra: Partial<RiskEngineOptions> = {},
  clock = new SimulatedClock(1_000_000),
) {
  const engine = new RiskEngine({
    config: parseRiskConfig({ maxOrderNotional: { default: 1e9 }, ...config }),
    portfolio: book,
    clock,
    ...extra,
  });
  return { engine, book, clock };
}

export interface OrderInput extends Partial<Omit<RiskOrder, 'quantity' | 'price'>> {
  quantity?: string | number;
  price?: string | number;
}

export function order(o: OrderInput = {}): RiskOrder {
  const { quantity, price, ...rest } = o;
  return {
    instrumentId: BTC,
    venue: 'sim-a',
    side: 'buy',
    referencePrice: 100,
    plan: undefined,
    ...rest,
    quantity: Decimal.from(quantity ?? '1'),
    price: price === undefined ? undefined : Decimal.from(price),
  };
}

export function codeOf(v: { ok: boolean; denial?: { code: string } } | { ok: true }): string {
  return v.ok ? 'PASS' : (v as { denial: { code: string } }).denial.code;
}
