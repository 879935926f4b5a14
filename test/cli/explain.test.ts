/**
 * `concord explain`: the trace of a sandbox order in the terminal and as JSON, its exit codes and
 * coded errors, the order list, and one real process end to end.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainJournal, listOrders, type OrderSummary } from '../../src/analysis/queries/index.ts';
import { main } from '../../src/cli/main.ts';
import { JournalReader } from '../../src/journal/index.ts';
import { type SandboxJournal, sandboxJournal } from '../analysis/fixture.ts';
import { lastJsonLine, runCli, tempDir } from '../helpers/cli.ts';
import { captureOut } from '../helpers/out.ts';

let run: SandboxJournal;
let orders: OrderSummary[];

beforeAll(async () => {
  run = await sandboxJournal({ durationMs: 2 * 60_000 });
  const reader = JournalReader.open(run.dir);
  try {
    orders = listOrders(reader);
  } finally {
    reader.close();
  }
});

const filledOrder = () =>
  orders.find((o) => o.status === 'FILLED' && /^d-\d+#\d+$/.test(o.root)) as OrderSummary;

describe('concord explain', () => {
  it('prints the event, every vote with its weight, the consensus, the risk rules and the fills of a filled order', async () => {
    const o = filledOrder();
    const out = captureOut();
    expect(await main(['explain', run.dir, o.clientOrderId], out)).toBe(0);
    expect(out.stderr).toEqual([]);
    const text = out.stdout.join('\n');
    const trace = explainJournal(run.dir, o.clientOrderId);
    expect(text).toContain(`Decision trace of order ${o.clientOrderId}`);
    expect(text).toContain(
      `trigger ${trace.trigger?.id}: ${trace.trigger?.kind} on ${trace.trigger?.instrumentId}`,
    );
    expect(text).toContain(trace.trigger?.marketEvent?.summary as string);
    for (const d of trace.decisions) {
      expect(text).toContain(`${d.decisionId} #${d.seq}: ${d.reasoning}`);
      if (d.role !== 'risk')
        expect(text).toMatch(new RegExp(`${d.agentId}\\s.*${(d.weight as number).toFixed(3)}`));
    }
    expect(text).toContain(`Consensus #${trace.consensus?.seq}`);
    expect(text).toContain('reproduced from the decisions and the rebuilt trust');
    const order = trace.intents[0]?.orders[0];
    expect(text).toContain(`risk gate: passed all ${order?.risk.rules.length} rules`);
    for (const r of order?.risk.rules ?? []) expect(text).toMatch(new RegExp(`✓ ${r.name}`));
    for (const f of order?.fills ?? [])
      expect(text).toContain(`${f.tradeId}  ${f.side} ${f.quantity} @ ${f.price}  fee ${f.fee}`);
    // No colour codes when the output is not a terminal.
    expect(text).not.toContain('\u001b[');
  });

  it('--json prints the trace as the last line', async () => {
    const o = filledOrder();
    const out = captureOut();
    expect(await main(['explain', run.dir, o.venueOrderId as string, '--json'], out)).toBe(0);
    const last = JSON.parse(out.stdout[out.stdout.length - 1] as string);
    expect(last).toEqual(JSON.parse(JSON.stringify(explainJournal(run.dir, o.venueOrderId as string))));
  });

  it('shows a denied order with its denial code on the denying rule', async () => {
    const o = orders.find((x) => x.denialCode === 'NOTIONAL_EXCEEDS_MAX_PER_ORDER') as OrderSummary;
    const out = captureOut();
    expect(await main(['explain', run.dir, o.clientOrderId], out)).toBe(0);
    const text = out.stdout.join('\n');
    expect(text).toContain('risk gate: DENIED NOTIONAL_EXCEEDS_MAX_PER_ORDER');
    expect(text).toMatch(
      /✗ max-order-notional +notional ≤ 5000 → NOTIONAL_EXCEEDS_MAX_PER_ORDER: max_notional=5000/,
    );
    expect(text).toMatch(/· value-at-risk +not run/);
  });

  it('--list lists every order with its ids and status', async () => {
    const out = captureOut();
    expect(await main(['explain', run.dir, '--list'], out)).toBe(0);
    const text = out.stdout.join('\n');
    for (const o of orders) expect(text).toContain(o.clientOrderId);
    const json = captureOut();
    expect(await main(['explain', run.dir, '--list', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout[0] as string).orders).toEqual(orders);
  });

  it('exits 1 with CONCORD_ERR_EXPLAIN_UNKNOWN_ID for an id that names nothing, and 2 for bad usage', async () => {
    const out = captureOut();
    expect(await main(['explain', run.dir, 'nothing-here', '--json'], out)).toBe(1);
    expect(JSON.parse(out.stdout[0] as string).error.code).toBe('CONCORD_ERR_EXPLAIN_UNKNOWN_ID');
    expect(out.stderr.join('\n')).toMatch(/CONCORD_ERR_EXPLAIN_UNKNOWN_ID: no order or decision/);

    for (const argv of [
      ['explain'],
      ['explain', run.dir],
      ['explain', run.dir, 'a', 'b'],
      ['explain', run.dir, 'a', '--seq', 'x'],
    ]) {
      const bad = captureOut();
      expect(await main(argv, bad), argv.join(' ')).toBe(2);
    }
  });

  it('exits 3 with the journal codes for a missing journal or one that is not a journal', async () => {
    const out = captureOut();
    expect(await main(['explain', join(tempDir(), 'none'), 'x'], out)).toBe(3);
    expect(out.stderr.join('\n')).toContain('CONCORD_ERR_JOURNAL_NOT_FOUND');
  });

  it('as a real process: explains an order by its venue order id, and --help exits 0', () => {
    const o = filledOrder();
    const r = runCli(['explain', run.dir, o.venueOrderId as string, '--json']);
    expect(r.code).toBe(0);
    expect(lastJsonLine(r.stdout).query).toMatchObject({ id: o.venueOrderId, matched: 'venueOrderId' });
    const help = runCli(['explain', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: concord explain <journal-dir>/);
  });
});
