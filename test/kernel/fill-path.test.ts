/**
 * One writer per fact: every fill reaches the portfolio through the order manager's fill path,
 * credited to the agents of its order, and the risk engine sees it at once, whether the fill came
 * as a venue event, was recovered by reconciliation, or is booked again from the journal after a
 * restart. The attribution travels with the order (journal, checkpoint), not with the desk.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentDefinition } from '../../src/agents/contract.ts';
import { EVENTS } from '../../src/bus/index.ts';
import { Decimal, Random } from '../../src/core/index.ts';
import { Reconciler } from '../../src/execution/index.ts';
import { type JournalRecord, SqliteJournal } from '../../src/journal/index.ts';
import { type Checkpoint, Desk, parseDeskConfig } from '../../src/kernel/index.ts';
import type { BookSnapshot, OrderIntent, TradeTick } from '../../src/model/index.ts';
import { drive } from '../execution/recovery-helpers.ts';
import { tempDir } from '../helpers/cli.ts';
import { START_BALANCES, setupFaulty } from '../venues/faulty-helpers.ts';

const AGENTS = ['alpha', 'beta'];

/** Buys 0.1 BTC with a limit order on the first trade it sees (IOC or resting, by config). */
const buyer: AgentDefinition<{ limitPrice: string; timeInForce: 'IOC' | 'GTC' }> = {
  type: 'test-buyer',
  description: 'test agent: one limit buy of 0.1 BTC per trade trigger',
  role: 'proposer',
  configSchema: z.object({ limitPrice: z.string(), timeInForce: z.enum(['IOC', 'GTC']) }).strict(),
  create: (id, config) => ({
    id,
    type: 'test-buyer',
    role: 'proposer',
    triggers: ['trade'],
    process: (ctx) => {
      const intent: OrderIntent = {
        kind: 'order',
        instrumentId: ctx.trigger.instrumentId,
        side: 'buy',
        type: 'limit',
        limitPrice: Decimal.from(config.limitPrice),
        timeInForce: config.timeInForce,
        quantity: Decimal.from('0.1'),
      };
      return { intents: [intent], confidence: 1, reasoning: 'test buy', expectedReturn: 0.001 };
    },
  }),
};

interface Setup {
  readonly limitPrice: string;
  readonly timeInForce: 'IOC' | 'GTC';
  /** Drop every venue event while the order is at the venue (the fill never arrives as an event). */
  readonly dropEvents: boolean;
  readonly checkpoint?: Checkpoint;
}

/** A desk with two agents on one faulty venue whose book has 0.05 BTC at 60005: the agents' buy is their only order. */
async function deskThatBuys(setup: Setup) {
  const base = setupFaulty(7, setup.dropEvents ? { dropDuringDisconnect: 1 } : {});
  const { clock, instrument, inner, venue } = base;
  const book: BookSnapshot = {
    type: 'book.snapshot',
    ts: clock.now(),
    instrumentId: instrument.id,
    sequence: 2,
    bids: [[59_995, 1]],
    asks: [[60_005, 0.05]],
  };
  inner.onMarketEvent(book);
  const dir = join(tempDir(), 'journal');
  const config = parseDeskConfig({
    seed: 5,
    journal: { dir },
    venues: { balances: { USDT: Number(START_BALANCES.USDT), BTC: Number(START_BALANCES.BTC) } },
    orchestrator: { triggers: { minTradeSize: 0.001 } },
    agents: AGENTS.map((id) => ({
      id,
      type: 'test-buyer',
      config: { limitPrice: setup.limitPrice, timeInForce: setup.timeInForce },
    })),
  });
  const journal = SqliteJournal.open(dir);
  const desk = new Desk({
    config,
    clock,
    journal,
    venues: [venue],
    instruments: [instrument],
    agentDefinitions: [buyer as AgentDefinition<unknown>],
    watchDataHealth: false,
    checkpoint: setup.checkpoint,
  });
  await desk.start();
  const reconciler = new Reconciler({
    venues: new Map([[venue.id, venue]]),
    orders: desk.orders,
    portfolio: desk.portfolio,
    clock,
    events: { emit: (event, payload) => desk.record(event, payload) },
    failClosed: (scope, state, reason) => desk.risk.setTradingState(scope, state, reason),
    random: new Random('fill-path'),
    unknownGraceMs: 1_000,
  });
  const records = (): JournalRecord[] => {
    desk.flush();
    const reader = journal.reader();
    try {
      return [...reader.records()];
    } finally {
      reader.close();
    }
  };
  const trade: TradeTick = {
    type: 'trade',
    ts: clock.now() + 1,
    instrumentId: instrument.id,
    price: 60_000,
    size: 0.5,
    aggressor: 'buy',
    tradeId: 't-1',
  };
  return { ...base, book, trade, desk, journal, reconciler, records };
}

/** The figures the risk engine reads (its last observation), without the time of observing. */
function riskView(desk: Desk) {
  const m = desk.portfolio.metrics();
  return m === undefined
    ? undefined
    : { equity: m.equity, peakEquity: m.peakEquity, drawdown: m.drawdown, dailyPnl: m.dailyPnl };
}

function attributionOf(desk: Desk) {
  return desk.portfolio.attribution().map((a) => ({
    agentId: a.agentId,
    realizedPnl: a.realizedPnl.toString(),
    fees: a.fees.toString(),
    trades: a.trades,
  }));
}

describe('the fill path (one writer per fact)', () => {
  it('books a fill recovered by reconciliation to the agents of its order and the risk view, exactly like a fill event', async () => {
    const outcomes = [];
    for (const dropEvents of [false, true]) {
      const d = await deskThatBuys({ limitPrice: '60005', timeInForce: 'IOC', dropEvents });
      d.desk.step(d.book);
      await d.desk.step(d.trade);
      const [order] = d.desk.orders.orders();
      expect(order?.attribution?.agentIds).toEqual(AGENTS);
      if (dropEvents) d.venue.disconnectFor(50);
      d.clock.advanceBy(60);
      const coid = order?.clientOrderId as string;
      if (dropEvents) {
        // The IOC filled 0.05 and expired at the venue; only its acceptance and expiry reach the
        // desk (late), so the order closes without its fill.
        expect(d.venue.faultCounts().droppedEvent).toBeGreaterThan(0);
        d.desk.orders.applyVenueEvent(
          { type: 'order.accepted', clientOrderId: coid, venueOrderId: 'v', ts: d.clock.now() },
          d.venue.id,
        );
        d.desk.orders.applyVenueEvent(
          { type: 'order.expired', clientOrderId: coid, venueOrderId: 'v', ts: d.clock.now() },
          d.venue.id,
        );
        expect(d.desk.portfolio.positionExact(d.instrument.id).isZero()).toBe(true);
      }
      const [report] = await drive(d.clock, d.reconciler.reconcileAll());
      expect(report?.fillsRecovered).toBe(dropEvents ? 1 : 0);
      expect(d.desk.orders.order(coid)).toMatchObject({ status: 'EXPIRED' });
      expect(d.desk.orders.order(coid)?.filledQuantity.toString()).toBe('0.05');
      const recovered = d.records().filter((r) => r.type === EVENTS.reconcileFillRecovered.name);
      expect(recovered).toHaveLength(dropEvents ? 1 : 0);
      for (const r of recovered) {
        // The journal alone rebuilds the order, attribution included.
        expect(
          (r.payload as { order: { attribution: { agentIds: string[] } } }).order.attribution.agentIds,
        ).toEqual(AGENTS);
      }
      outcomes.push({
        position: d.desk.portfolio.positionExact(d.instrument.id).toString(),
        attribution: attributionOf(d.desk),
        risk: riskView(d.desk),
        fills: d.desk.counters.fills,
      });
      d.journal.close();
    }
    const [viaEvent, viaReconciliation] = outcomes;
    expect(viaEvent?.position).toBe('0.05');
    expect(viaEvent?.attribution.map((a) => [a.agentId, a.trades])).toEqual([
      ['alpha', 1],
      ['beta', 1],
    ]);
    expect(viaReconciliation).toEqual(viaEvent);
  });

  it('keeps an open order’s attribution through a checkpoint, and books a journaled fill again on restart like a live one', async () => {
    // A buy at 59990 rests below the ask: the order stays open, and a checkpoint is taken while it is.
    const first = await deskThatBuys({ limitPrice: '59990', timeInForce: 'GTC', dropEvents: false });
    first.desk.step(first.book);
    await first.desk.step(first.trade);
    first.clock.advanceBy(60);
    const [order] = first.desk.orders.openOrders();
    expect(order).toMatchObject({ status: 'ACCEPTED' });
    const coid = order?.clientOrderId as string;
    const checkpointRecord = first
      .records()
      .filter((r) => r.type === EVENTS.checkpoint.name)
      .at(-1);
    const checkpoint = JSON.parse(JSON.stringify(checkpointRecord?.payload)) as Checkpoint;
    // After the checkpoint, the order fills (a live event on the first desk, journaled).
    const fill = {
      clientOrderId: coid,
      venueOrderId: 'v-1',
      tradeId: 'late-1',
      instrumentId: first.instrument.id,
      venue: first.venue.id,
      side: 'buy' as const,
      price: Decimal.from('59990'),
      quantity: Decimal.from('0.1'),
      fee: Decimal.from('0.0001'),
      feeCurrency: 'BTC',
      liquidity: 'maker' as const,
      ts: first.clock.now(),
    };
    first.desk.orders.applyVenueEvent({ type: 'order.filled', fill }, first.venue.id);
    const filledRecord = first.records().find((r) => r.type === EVENTS.orderFilled.name) as JournalRecord;

    // Restart from the checkpoint: the same fill as a live event, or from the journal's tail.
    const live = await deskThatBuys({
      limitPrice: '59990',
      timeInForce: 'GTC',
      dropEvents: false,
      checkpoint,
    });
    expect(live.desk.agentsOfOrder(coid)).toEqual(AGENTS);
    live.clock.advanceTo(fill.ts);
    live.desk.orders.applyVenueEvent({ type: 'order.filled', fill }, live.venue.id);
    const restored = await deskThatBuys({
      limitPrice: '59990',
      timeInForce: 'GTC',
      dropEvents: false,
      checkpoint,
    });
    restored.clock.advanceTo(fill.ts);
    restored.desk.orders.applyJournaledEvent(filledRecord.type, filledRecord.payload);
    expect(restored.desk.orders.restoreJournaledFill(filledRecord.type, filledRecord.payload)).toBe(true);

    for (const d of [live, restored]) {
      expect(attributionOf(d.desk)).toEqual(attributionOf(first.desk));
      expect(riskView(d.desk)).toEqual(riskView(first.desk));
      expect(d.desk.portfolio.positionExact(first.instrument.id).toString()).toBe('0.1');
    }
    expect(attributionOf(first.desk).map((a) => a.agentId)).toEqual(AGENTS);
    for (const d of [first, live, restored]) d.journal.close();
  });
});
