import { Decimal, Random } from '../../src/core/index.ts';
import { OrderManager } from '../../src/execution/index.ts';
import type { ExecutionEvents } from '../../src/execution/ports.ts';
import { Reconciler, type ReconcilerOptions } from '../../src/execution/reconcile.ts';
import type { OrderIntent } from '../../src/model/index.ts';
import { Portfolio } from '../../src/portfolio/index.ts';
import type { TradingScope } from '../../src/risk/index.ts';
import type { FaultConfig } from '../../src/venues/faulty/index.ts';
import { START_BALANCES, setupFaulty, VENUE } from '../venues/faulty-helpers.ts';

export interface FailClosedCall {
  scope: TradingScope;
  state: 'REDUCING' | 'HALTED';
  reason: string;
}

/** SimulatedVenue inside a FaultyVenue, with a real OrderManager, Portfolio and Reconciler. */
export function desk(
  seed: number | string,
  faults: FaultConfig,
  reconcilerOptions: Partial<ReconcilerOptions> = {},
) {
  const base = setupFaulty(seed, faults);
  const { clock, instrument, venue } = base;
  const events: { type: string; payload: unknown }[] = [];
  const emit: ExecutionEvents = { emit: (event, payload) => void events.push({ type: event.name, payload }) };
  const portfolio = new Portfolio({
    balances: Object.entries(START_BALANCES).map(([asset, amount]) => ({ venue: VENUE, asset, amount })),
  });
  const orders = new OrderManager({
    venues: { [VENUE]: venue },
    preTradeCheck: { check: () => ({ ok: true }) },
    events: emit,
    clock,
  });
  orders.onFill((fill) => {
    portfolio.applyFill(fill, instrument);
  });
  const failClosed: FailClosedCall[] = [];
  const recovered: string[] = [];
  const reconciler = new Reconciler({
    venues: { [VENUE]: venue },
    orders,
    portfolio,
    clock,
    events: emit,
    failClosed: (scope, state, reason) => failClosed.push({ scope, state, reason }),
    onRecovered: (scope) => recovered.push(scope.kind === 'venue' ? scope.venue : scope.kind),
    random: new Random(`${seed}-reconcile`),
    retry: { kind: 'read', maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 200 },
    unknownGraceMs: 1_000,
    ...reconcilerOptions,
  });
  let decision = 0;
  const submit = (intent: Partial<OrderIntent> = {}) =>
    orders.submitIntent(
      {
        kind: 'order',
        instrumentId: instrument.id,
        side: 'buy',
        type: 'market',
        quantity: Decimal.from('0.01'),
        ...intent,
      },
      { decisionId: `d-${++decision}`, leg: 0, ts: clock.now(), referencePrice: 60_000, instrument },
    );
  return { ...base, events, portfolio, orders, reconciler, failClosed, recovered, submit };
}

export function eventsOf(events: readonly { type: string; payload: unknown }[], type: string): unknown[] {
  return events.filter((e) => e.type === type).map((e) => e.payload);
}
