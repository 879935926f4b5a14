/**
 * What an operator can do to a running desk: halt (optionally flattening), resume, flatten.
 * The command port (src/kernel/commands.ts) calls these through the desk's facade
 * (`Desk.halt` / `resume` / `flatten`); the desk's thinking asks `isHalted` before fanning out.
 */

import { EVENTS } from '../bus/index.ts';
import type { Clock } from '../core/index.ts';
import type { OrderManager } from '../execution/index.ts';
import { type Instrument, type InstrumentId, isOrderable } from '../model/index.ts';
import type { Portfolio } from '../portfolio/index.ts';
import type { RiskEngine } from '../risk/index.ts';
import type { DeskCounters } from './desk.ts';
import type { StepJournal } from './step-journal.ts';

export interface OperatorActionsOptions {
  readonly clock: Clock;
  readonly steps: StepJournal;
  readonly counters: DeskCounters;
  readonly risk: RiskEngine;
  readonly orders: OrderManager;
  readonly portfolio: Portfolio;
  readonly instruments: ReadonlyMap<InstrumentId, Instrument>;
  readonly referencePrice: (id: InstrumentId) => number | undefined;
}

export class OperatorActions {
  private readonly o: OperatorActionsOptions;
  private halted: { reason: string; since: number } | undefined;
  /** Flatten commands carried out so far (their order ids must not collide within one ms). */
  private flattens = 0;

  constructor(options: OperatorActionsOptions) {
    this.o = options;
  }

  /**
   * Emergency halt: no new risk anywhere, every open order cancelled, and if asked every
   * position flattened with reduce-only market orders (the desk stays REDUCING while it
   * flattens, then HALTED). Agents are not asked anything until an operator resumes.
   */
  async halt(request: { reason: string; flatten?: boolean; operator?: string }): Promise<void> {
    const { clock, steps, counters, risk, orders } = this.o;
    const flatten = request.flatten === true;
    this.halted = { reason: request.reason, since: clock.now() };
    steps.record(EVENTS.riskHalt, { reason: request.reason, flatten, operator: request.operator ?? null });
    counters.halts++;
    steps.note(`HALT requested: ${request.reason}${flatten ? ' (flattening)' : ''}`);
    risk.setTradingState({ kind: 'global' }, flatten ? 'REDUCING' : 'HALTED', `halt: ${request.reason}`);
    await orders.cancelAll();
    if (flatten) await this.closePositions(`halt-${this.halted.since}`);
  }

  /**
   * Closes every open position with reduce-only market orders (order ids `<prefix>#<i>`), leaving
   * the trading state as it is; returns how many orders were sent to the gate. An operator's
   * `flatten` command; a halt with `flatten` does the same after cancelling.
   */
  async flatten(): Promise<number> {
    return this.closePositions(`flatten-${this.o.clock.now()}-${this.flattens++}`);
  }

  private async closePositions(prefix: string): Promise<number> {
    const { clock, orders, portfolio, instruments, referencePrice } = this.o;
    let i = 0;
    for (const p of portfolio.allPositions()) {
      if (p.quantity.isZero()) continue;
      const instrument = instruments.get(p.instrumentId);
      if (instrument === undefined || !isOrderable(instrument)) continue;
      const quantity = p.quantity.abs().roundToStep(instrument.lotSize, 'down');
      if (quantity.isZero()) continue;
      const root = `${prefix}#${i++}`;
      await orders.submitIntent(
        {
          kind: 'order',
          instrumentId: p.instrumentId,
          side: p.quantity.isPositive() ? 'sell' : 'buy',
          type: 'market',
          quantity,
          reduceOnly: true,
        },
        {
          decisionId: root,
          leg: 0,
          ts: clock.now(),
          referencePrice: referencePrice(p.instrumentId),
          instrument,
        },
      );
    }
    return i;
  }

  /** Resuming after a halt takes an explicit operator action. */
  resume(request: { operator: string; reason: string }): void {
    if (this.halted === undefined) return;
    const { steps, risk } = this.o;
    steps.record(EVENTS.riskResume, {
      operator: request.operator,
      reason: request.reason,
      haltedSince: this.halted.since,
    });
    this.halted = undefined;
    risk.setTradingState({ kind: 'global' }, 'ACTIVE', `resumed by ${request.operator}: ${request.reason}`);
    steps.note(`RESUMED by ${request.operator}: ${request.reason}`);
  }

  isHalted(): boolean {
    return this.halted !== undefined;
  }
}
