import { describe, expect, it } from 'vitest';
import { Bus, EVENTS, topics } from '../../src/bus/index.ts';
import { Decimal, SimulatedClock } from '../../src/core/index.ts';
import { recordBusTraffic, SqliteJournal, verifyJournal } from '../../src/journal/index.ts';
import { tempDir } from './helpers.ts';

function runScenario(dir: string): string {
  const clock = new SimulatedClock(1_700_000_000_000);
  const bus = new Bus({ clock, source: 'kernel' });
  const journal = SqliteJournal.open(dir, { synchronous: 'NORMAL' });
  recordBusTraffic(bus, journal, { pattern: 'order.>' });
  const submitted = bus.publish(topics.event(EVENTS.orderSubmitted), EVENTS.orderSubmitted.name, {
    price: Decimal.from('101.5'),
  });
  clock.advanceBy(3);
  bus.publish(
    topics.event(EVENTS.orderAccepted),
    EVENTS.orderAccepted.name,
    { qty: 2n },
    {
      causationId: submitted.id,
    },
  );
  bus.publish(topics.system('fill'), 'fill', { ignored: true });
  journal.close();
  return journal.head().hash;
}

describe('recordBusTraffic', () => {
  it('journals matching envelopes whole, and the same run gives the same head hash', () => {
    const dir = tempDir();
    const head = runScenario(dir);
    expect(runScenario(tempDir())).toBe(head);
    const journal = SqliteJournal.open(dir);
    const records = [...journal.records()];
    journal.close();
    expect(records.map((r) => [r.type, r.ts])).toEqual([
      ['order.submitted', 1_700_000_000_000],
      ['order.accepted', 1_700_000_000_003],
    ]);
    expect(records[1]?.payload).toEqual({
      id: 'kernel-evt-2',
      type: 'order.accepted',
      version: 1,
      ts: 1_700_000_000_003,
      source: 'kernel',
      topic: 'order.accepted',
      causationId: 'kernel-evt-1',
      payload: { qty: '2' },
    });
    expect(verifyJournal(dir)).toMatchObject({ ok: true, records: 2, headHash: head });
  });

  it('surfaces a journal write failure as a subscriber failure on the bus', () => {
    const failures: unknown[] = [];
    const bus = new Bus({
      clock: new SimulatedClock(0),
      source: 't',
      onSubscriberError: (f) => failures.push(f.error),
    });
    const journal = SqliteJournal.open(tempDir());
    journal.close();
    recordBusTraffic(bus, journal);
    bus.publish(topics.system('x'), 'x', null);
    expect(failures).toEqual([expect.objectContaining({ code: 'CONCORD_ERR_JOURNAL_CLOSED' })]);
  });
});
