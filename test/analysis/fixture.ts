/**
 * A short sandbox desk run into a temporary journal, and the journal's raw records, for the query
 * tests. The order notional limit is set low enough that the run has both filled and denied orders
 * (single orders of 0.05 BTC pass, arbitrage legs of 0.1 BTC and larger orders are denied).
 */
import { join } from 'node:path';
import { EVENTS } from '../../src/bus/index.ts';
import { JournalReader, type JournalRecord } from '../../src/journal/index.ts';
import { parseDeskConfig } from '../../src/kernel/index.ts';
import { type RunSummary, runDesk } from '../../src/modes/index.ts';
import { tempDir } from '../helpers/cli.ts';

export interface SandboxJournal {
  readonly dir: string;
  readonly summary: RunSummary;
  readonly records: readonly JournalRecord[];
}

export async function sandboxJournal(
  options: { durationMs?: number; risk?: Record<string, unknown> } = {},
): Promise<SandboxJournal> {
  const dir = join(tempDir('concord-explain-'), 'journal');
  const config = parseDeskConfig({
    seed: 7,
    journal: { dir },
    risk: options.risk ?? { maxOrderNotional: { default: 5000 } },
  });
  const summary = await runDesk({
    config,
    durationMs: options.durationMs ?? 3 * 60_000,
    speed: Number.POSITIVE_INFINITY,
  });
  const reader = JournalReader.open(dir);
  try {
    return { dir, summary, records: [...reader.records()] };
  } finally {
    reader.close();
  }
}

/** Payloads of one record type, with their seq. */
export function ofType<T = Record<string, unknown>>(
  records: readonly JournalRecord[],
  event: { readonly name: string },
): { seq: number; ts: number; p: T }[] {
  return records
    .filter((r) => r.type === event.name)
    .map((r) => ({ seq: r.seq, ts: r.ts, p: r.payload as T }));
}

export interface RawOrder {
  readonly clientOrderId: string;
  readonly decisionId: string;
  readonly leg: number;
  readonly status: string;
  readonly filledQuantity: string;
  readonly venueOrderId?: string;
  readonly instrumentId: string;
  readonly quantity: string;
}

export interface RawFill {
  readonly clientOrderId: string;
  readonly tradeId: string;
  readonly price: string;
  readonly quantity: string;
  readonly fee: string;
  readonly feeCurrency: string;
  readonly liquidity: string;
}

/** Every order record of the journal, in order. */
export function orderRecords(records: readonly JournalRecord[]) {
  const orderTypes = new Set<string>(
    Object.values(EVENTS)
      .filter((e) => e.name.startsWith('order.') && e !== EVENTS.orderEventRejected)
      .map((e) => e.name),
  );
  return records
    .filter((r) => orderTypes.has(r.type))
    .map((r) => ({
      seq: r.seq,
      type: r.type,
      ...(r.payload as { order: RawOrder; fill?: RawFill; denial?: { code: string; rule: string } }),
    }));
}
