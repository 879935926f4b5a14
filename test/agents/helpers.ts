import type {
  AgentContext,
  AgentDeps,
  BookView,
  MarketView,
  PortfolioView,
  Trigger,
} from '../../src/agents/contract.ts';
import { Decimal, Random } from '../../src/core/index.ts';
import { type Instrument, OrderBook, spotInstrument } from '../../src/model/index.ts';

export const BTC = spotInstrument({
  venue: 'sim-a',
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.0001',
});
export const ETH = spotInstrument({
  venue: 'sim-a',
  symbol: 'ETH-USDT',
  base: 'ETH',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
});
export const INSTRUMENTS: Instrument[] = [BTC, ETH];

export function deps(seed = 7): AgentDeps {
  return { random: new Random(seed), instruments: INSTRUMENTS };
}

export function bookOf(instrumentId: string, mid: number, levels = 30): OrderBook {
  const book = new OrderBook(instrumentId);
  const bids: [number, number][] = [];
  const asks: [number, number][] = [];
  for (let i = 0; i < levels; i++) {
    bids.push([mid - 0.5 - i, 1 + i]);
    asks.push([mid + 0.5 + i, 2 + i]);
  }
  book.applySnapshot(bids, asks, 1, 1000);
  return book;
}

export function trigger(instrumentId = BTC.id, ts = 1000): Trigger {
  return {
    id: `t-${ts}`,
    kind: 'spread',
    instrumentId,
    ts,
    magnitude: 3,
    event: { type: 'trade', ts, instrumentId, price: 100, size: 1, aggressor: 'buy', tradeId: 'x' },
  };
}

export function context(instrumentId = BTC.id, ts = 1000): AgentContext {
  const books = new Map<string, BookView>([
    [BTC.id, bookOf(BTC.id, 60_000)],
    [ETH.id, bookOf(ETH.id, 3_000)],
  ]);
  const history = Array.from({ length: 300 }, (_, i) => 60_000 + i);
  const market: MarketView = {
    instruments: () => INSTRUMENTS,
    instrument: (id) => INSTRUMENTS.find((i) => i.id === id),
    book: (id) => books.get(id),
    midHistory: (id, n) => (id === BTC.id ? history.slice(-n) : []),
    lastPrice: (id) => (id === BTC.id ? 60_001 : id === ETH.id ? 3_001 : undefined),
  };
  const portfolio: PortfolioView = {
    position: (id) => (id === BTC.id ? 0.5 : 0),
    equity: () => 100_000,
    cash: (asset) => (asset === 'USDT' ? 70_000 : asset === 'BTC' ? 0.5 : 0),
    grossExposure: () => 30_000,
  };
  return { ts, trigger: trigger(instrumentId, ts), market, portfolio };
}

export function buy(instrumentId = BTC.id, quantity = '0.01') {
  return {
    kind: 'order' as const,
    instrumentId,
    side: 'buy' as const,
    type: 'market' as const,
    quantity: Decimal.from(quantity),
  };
}

export const noAction = () => ({ intents: [], confidence: 0, reasoning: 'nothing', expectedReturn: 0 });
