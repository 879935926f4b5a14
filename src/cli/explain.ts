/**
 * `concord explain <journal-dir> <id> [--seq n] [--json]`: why the desk placed an order, from
 * its journal alone. `<id>` is a venue order id, a client order id, a decision id or an order's
 * root (`<decisionId>#<index>`). `--list` lists the journal's orders with their ids instead.
 * Exit codes: 0 printed, 1 the id names nothing in the journal, 2 bad usage or an ambiguous id
 * (`--seq` picks one), 3 the journal could not be read (missing, not a journal, broken, locked).
 */
import {
  type DecisionTrace,
  describeIntent,
  explainJournal,
  listOrders,
  type OrderSummary,
  type TraceDecision,
  type TraceIntent,
  type TraceOrder,
} from '../analysis/queries/index.ts';
import { isConcordError, toConcordError } from '../core/index.ts';
import { JournalReader } from '../journal/index.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import { type Out, verifyProgress } from './output.ts';

const EXIT = { ok: 0, checkFailed: 1, usage: 2, runtime: 3 } as const;

const FLAGS: FlagSpecs = {
  seq: {
    type: 'int',
    description:
      'when the id names several things (a run resumed after a crash), the record of the one to explain',
    placeholder: 'record',
  },
  list: { type: 'boolean', description: 'list the orders of the journal with their ids and status instead' },
  json: {
    type: 'boolean',
    description: 'the last line of output is one JSON object (the trace, or the list)',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const USAGE = `Usage: concord explain <journal-dir> <order id | client order id | decision id> [--seq n] [--json]
       concord explain <journal-dir> --list [--json]`;

const SUMMARY = `Explains an order from the journal alone: the market event and trigger, each agent's decision
(confidence, reasoning, trust and weight), the consensus arithmetic (votes, shares, threshold, caps,
vetoes, conflicts), every risk rule the order passed or the denial with its code, the order's
lifecycle and fills, and its plan if it was a multi-leg one. The id is a venue order id
(sim-a-o-12), a client order id (c…), a decision id (d-42) or an order root (d-42#0). Works on a
finished journal and on one another process writes without holding it (a running sandbox desk holds
its journal: stop it first). Exit codes: 0 explained, 1 no such id in the journal, 2 bad usage or an
ambiguous id (pass --seq), 3 the journal could not be read.`;

export async function explainCommand(argv: readonly string[], out: Out): Promise<number> {
  try {
    const { flags, positionals } = parseArgs(argv, FLAGS);
    if (flags.help) {
      out.line(formatHelp(USAGE, SUMMARY, FLAGS));
      return EXIT.ok;
    }
    const json = flags.json === true;
    const [dir, id, extra] = positionals;
    if (dir === undefined) {
      out.err(`concord explain: missing <journal-dir>\n\n${USAGE}`);
      return EXIT.usage;
    }
    const progress = verifyProgress(out, json);
    if (flags.list === true) {
      if (id !== undefined) {
        out.err(`concord explain: unexpected argument ${JSON.stringify(id)} (--list takes no id)`);
        return EXIT.usage;
      }
      const reader = JournalReader.open(dir, progress === undefined ? {} : { onVerifyProgress: progress });
      let orders: OrderSummary[];
      try {
        orders = listOrders(reader);
      } finally {
        reader.close();
      }
      if (json) out.line(JSON.stringify({ journal: dir, orders }));
      else for (const line of formatOrderList(dir, orders, out)) out.line(line);
      return EXIT.ok;
    }
    if (id === undefined || extra !== undefined) {
      out.err(
        id === undefined
          ? `concord explain: missing <id>\n\n${USAGE}`
          : `concord explain: unexpected argument ${JSON.stringify(extra)}`,
      );
      return EXIT.usage;
    }
    const trace = explainJournal(dir, id, {
      ...(typeof flags.seq === 'number' ? { seq: flags.seq } : {}),
      ...(progress === undefined ? {} : { onVerifyProgress: progress }),
    });
    if (json) out.line(JSON.stringify(trace));
    else for (const line of formatTrace(trace, out)) out.line(line);
    return EXIT.ok;
  } catch (err) {
    const e = toConcordError(err);
    if (argv.includes('--json')) out.line(JSON.stringify({ ok: false, error: e.toJSON() }));
    out.err(`${out.paint('red', 'error')} ${e.code}: ${e.shortMessage}`);
    out.err(`see ${e.docsPath}`);
    if (isConcordError(e, 'CONCORD_ERR_EXPLAIN_UNKNOWN_ID')) return EXIT.checkFailed;
    if (
      isConcordError(e, 'CONCORD_ERR_EXPLAIN_AMBIGUOUS_ID') ||
      isConcordError(e, 'CONCORD_ERR_CONFIG_INVALID')
    )
      return EXIT.usage;
    return EXIT.runtime;
  }
}

type Paint = Pick<Out, 'paint'>;

const time = (ts: number) => (Number.isFinite(ts) ? new Date(ts).toISOString() : String(ts));
const num = (x: number | null, digits = 3) => (x === null ? '—' : x.toFixed(digits));
const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The trace as readable lines (colours through `out.paint`, so only on a terminal). */
export function formatTrace(t: DecisionTrace, out: Paint): string[] {
  const lines: string[] = [];
  const head = (text: string) => lines.push('', out.paint('bold', text));
  const focus = [...t.intents.flatMap((i) => i.orders), ...t.orders];
  const what =
    t.query.matched === 'decisionId'
      ? `decision ${t.query.id}`
      : focus.length === 1
        ? `order ${focus[0]?.clientOrderId}`
        : t.query.id;
  lines.push(out.paint('bold', `Decision trace of ${what}`));
  lines.push(
    out.paint(
      'dim',
      `matched as ${matchedWords(t.query.matched)} ${t.query.id} (record ${t.query.seq}); journal ${t.journal.dir}, ${t.journal.headSeq} records, head ${t.journal.headHash.slice(0, 16)}…`,
    ),
  );

  if (t.halt !== null) {
    head('Operator halt');
    lines.push(
      `  #${t.halt.seq}  ${time(t.halt.ts)}  halt${t.halt.flatten ? ' with flatten' : ''} by ${t.halt.operator ?? 'an operator'}: ${t.halt.reason}`,
    );
  }

  if (t.trigger !== null) {
    head('Market event and trigger');
    const m = t.trigger.marketEvent;
    if (m !== null) lines.push(`  #${m.seq}  ${m.summary}`);
    lines.push(
      `  #${t.trigger.seq}  ${time(t.trigger.ts)}  trigger ${t.trigger.id}: ${t.trigger.kind} on ${t.trigger.instrumentId}, magnitude ${num(t.trigger.magnitude, 2)}`,
    );
  }

  if (t.decisions.length > 0 || t.timeouts.length > 0) {
    const c = t.consensus;
    const from = c?.trust.from;
    head(
      `Agents (${t.decisions.length} decision(s)${from ? `; trust rebuilt from ${from.type} #${from.seq} and ${c?.trust.outcomesApplied ?? 0} outcome(s)` : ''})`,
    );
    lines.push(
      out.paint(
        'dim',
        `  ${'agent'.padEnd(22)} ${'role'.padEnd(8)} ${'conf'.padStart(6)} ${'trust'.padStart(6)} ${'weight'.padStart(7)}  verdict`,
      ),
    );
    for (const d of t.decisions) lines.push(...formatDecision(d, out));
    if (t.decisions.some((d) => d.weightSource === 'rebuilt' && d.role !== 'risk'))
      lines.push(
        out.paint(
          'dim',
          '  * confidence × rebuilt trust (the consensus journals the weights of accepted decisions only)',
        ),
      );
    for (const a of t.timeouts)
      lines.push(`  ${out.paint('yellow', a.padEnd(22))} missed its deadline: no decision`);
  }

  const c = t.consensus;
  if (c !== null) {
    const config = c.config;
    const check =
      c.check === 'reproduced'
        ? out.paint('green', 'reproduced from the decisions and the rebuilt trust')
        : c.check === 'differs'
          ? out.paint('yellow', 'NOT reproduced from the decisions and the rebuilt trust')
          : out.paint('dim', 'not checked');
    head(`Consensus #${c.seq}`);
    if (config !== null)
      lines.push(
        `  threshold ${pct(config.consensusThreshold)} of the voting weight, min order weight ${config.minOrderWeight}, min plan weight ${config.minPlanWeight}; ${check}`,
      );
    lines.push(
      `  ${c.accepted} intent(s) accepted, ${c.rejected.length} rejected, ${c.conflicts.length} conflict(s), ${c.vetoes.length} veto(es), ${c.caps.length} cap(s)`,
    );
    for (const x of c.conflicts)
      lines.push(
        `  conflict on ${x.instrumentId}: ${Object.entries(x.weights)
          .map(([k, v]) => `${k} ${num(v)}`)
          .join(' vs ')} → ${x.winner} (${x.reason})`,
      );
    for (const v of c.vetoes)
      lines.push(
        `  ${out.paint('red', 'veto')} by ${v.agentId} (${v.decisionId}) on ${v.instrumentId}: ${v.reason}`,
      );
    for (const x of c.caps)
      lines.push(
        `  cap by ${x.agentId} (${x.decisionId}) on ${x.instrumentId} at ${x.maxQuantity}${x.bound ? out.paint('yellow', ' (binding)') : ''}: ${x.reason}`,
      );
  }

  for (const intent of t.intents) lines.push(...formatIntent(intent, out));
  for (const o of t.orders) lines.push(...formatOrder(o, out));

  if (t.notes.length > 0) {
    head('Notes');
    for (const n of t.notes) lines.push(out.paint('dim', `  ${n}`));
  }
  return lines;
}

function matchedWords(kind: DecisionTrace['query']['matched']): string {
  switch (kind) {
    case 'venueOrderId':
      return 'venue order id';
    case 'clientOrderId':
      return 'client order id';
    case 'decisionId':
      return 'decision id';
    case 'orderRoot':
      return 'order root';
  }
}

function formatDecision(d: TraceDecision, out: Paint): string[] {
  const v = d.verdict;
  const verdict =
    v.kind === 'accepted'
      ? out.paint('green', `accepted (intent ${v.intents.map((i) => `#${i}`).join(', ')})`)
      : v.kind === 'partly'
        ? out.paint(
            'yellow',
            `partly accepted (intent ${v.intents.map((i) => `#${i}`).join(', ')}); rejected: ${v.reasons.join('; ')}`,
          )
        : v.kind === 'rejected'
          ? out.paint('red', `rejected: ${v.reasons.join('; ')}`)
          : v.kind === 'advice'
            ? `risk advice: ${v.vetoes} veto(es), ${v.caps} cap(s)`
            : out.paint('dim', 'no intent (an opinion)');
  const weight = d.role === 'risk' ? '  n/a' : num(d.weight);
  const mark = d.weightSource === 'consensus' || d.role === 'risk' ? ' ' : out.paint('dim', '*');
  const lines = [
    `  ${d.agentId.padEnd(22)} ${d.role.padEnd(8)} ${num(d.confidence).padStart(6)} ${num(d.trust).padStart(6)} ${weight.padStart(7)}${mark} ${verdict}`,
    out.paint('dim', `      ${d.decisionId} #${d.seq}: ${d.reasoning}`),
  ];
  for (const i of d.intents)
    lines.push(`      ${d.role === 'risk' ? 'advises' : 'proposes'} ${describeIntent(i)}`);
  if (d.outcome !== null)
    lines.push(
      `      outcome #${d.outcome.seq}: ${d.outcome.correct ? out.paint('green', 'right') : out.paint('red', 'wrong')}, realised return ${(d.outcome.realizedReturn * 10_000).toFixed(2)} bp, PnL ${d.outcome.pnl.toFixed(2)}`,
    );
  return lines;
}

function formatIntent(i: TraceIntent, out: Paint): string[] {
  const lines = ['', out.paint('bold', `Accepted intent #${i.index}: ${i.summary}`)];
  const tally = i.tally;
  if (tally.kind === 'order') {
    for (const v of tally.votes)
      lines.push(
        `  vote  ${v.agentId.padEnd(22)} ${v.side.padEnd(4)} ${v.quantity.padStart(10)}  weight ${num(v.weight)}`,
      );
    lines.push(
      `  buy ${num(tally.buyWeight)} (${pct(tally.buyShare)}) vs sell ${num(tally.sellWeight)} (${pct(tally.sellShare)}) → ${out.paint('bold', tally.winner)}; weighted-median quantity ${tally.proposedQuantity}${tally.quantity !== tally.proposedQuantity ? `, capped to ${tally.quantity}` : ''}`,
    );
  } else {
    for (const c of tally.contributors)
      lines.push(`  for   ${c.agentId.padEnd(22)} weight ${num(c.weight)} (${c.decisionId})`);
    lines.push(`  total weight ${num(tally.weight)}`);
  }
  for (const c of i.caps)
    lines.push(
      `  ${out.paint('yellow', 'capped')} ${c.instrumentId} ${c.from} → ${c.to} by ${c.agentId}: ${c.reason}`,
    );
  lines.push(out.paint('dim', `  consensus: ${i.reason}`));
  if (i.plan !== null) {
    const p = i.plan;
    lines.push(
      `  plan ${p.planId} "${p.label}": ${p.mode}, leg-risk policy ${p.policy}, expected net edge ${p.expectedNetEdge === null ? '?' : `${(p.expectedNetEdge * 10_000).toFixed(2)} bp`} → ${statusPaint(p.status, out)}`,
    );
    for (const l of p.legs)
      lines.push(
        `    leg ${l.leg}  ${l.side} ${l.quantity} ${l.instrumentId}${l.limitPrice === null ? '' : ` @ ${l.limitPrice}`}  ${l.clientOrderId}  ${l.status === null ? (l.sent ? 'sent' : 'not sent') : statusPaint(l.status, out)}`,
      );
    for (const h of p.hedges)
      lines.push(
        `    hedge for leg ${h.forLeg ?? '?'}  ${h.side ?? ''} ${h.quantity ?? ''} ${h.instrumentId ?? ''}  ${h.clientOrderId}  ${h.status === null ? '' : statusPaint(h.status, out)}`,
      );
    for (const e of p.events) lines.push(out.paint('dim', `    #${e.seq} ${e.event}: ${e.detail}`));
  }
  for (const o of i.orders) lines.push(...formatOrder(o, out));
  return lines;
}

function statusPaint(status: string, out: Paint): string {
  if (status === 'FILLED' || status === 'completed' || status === 'hedged') return out.paint('green', status);
  if (
    status === 'DENIED' ||
    status === 'REJECTED' ||
    status === 'UNKNOWN' ||
    status === 'exposed' ||
    status === 'failed'
  )
    return out.paint('red', status);
  return out.paint('yellow', status);
}

function formatOrder(o: TraceOrder, out: Paint): string[] {
  const lines = [
    '',
    out.paint(
      'bold',
      `Order ${o.clientOrderId} (${o.role}${o.role === 'order' ? '' : ` ${o.leg}`}, root ${o.root})`,
    ),
  ];
  lines.push(
    `  ${o.side} ${o.quantity} ${o.instrumentId} ${o.type}${o.price === null ? '' : ` @ ${o.price}`} ${o.timeInForce}${o.reduceOnly ? ' reduce-only' : ''} on ${o.venue}${o.venueOrderId === null ? '' : `, venue order ${o.venueOrderId}`}`,
  );
  lines.push(
    `  status ${statusPaint(o.status, out)}${o.reconciled ? ' (resolved by reconciliation)' : ''}: filled ${o.filledQuantity}${o.averagePrice === null ? '' : ` @ avg ${o.averagePrice}`}, fees ${o.fees}${o.reason === null ? '' : `; ${o.reason}`}`,
  );
  const r = o.risk;
  const source =
    r.chainSource === 'journal'
      ? `the chain journaled at #${r.chainSeq}`
      : r.chainSource === 'config'
        ? "this version's chain, the run's limits"
        : "this version's chain, limits unknown";
  const passed = r.rules.filter((x) => x.result === 'passed').length;
  const verdict =
    r.outcome === 'denied'
      ? out.paint('red', `DENIED ${r.denial?.code ?? ''}`)
      : r.outcome === 'passed'
        ? out.paint('green', `passed all ${passed} rules`)
        : out.paint('yellow', 'no verdict journaled');
  lines.push(`  risk gate: ${verdict} (${source})`);
  const denial = r.denial;
  // A denial before the rules (order shaping, no venue, fail-closed) is not a row of the chain.
  if (denial !== null && !r.rules.some((x) => x.result === 'denied'))
    lines.push(`    ${out.paint('red', '✗')} ${denial.rule}: ${denial.code}: ${denial.message}`);
  for (const rule of r.rules) {
    const mark =
      rule.result === 'passed'
        ? out.paint('green', '✓')
        : rule.result === 'denied'
          ? out.paint('red', '✗')
          : out.paint('dim', '·');
    const limit =
      rule.limit === null ? '' : rule.configured === false ? out.paint('dim', rule.limit) : rule.limit;
    const text =
      rule.result === 'not-run'
        ? out.paint('dim', 'not run')
        : rule.result === 'denied' && denial !== null
          ? `${limit}${limit === '' ? '' : ' → '}${out.paint('red', `${denial.code}: ${denial.message}`)}`
          : limit;
    lines.push(`    ${mark} ${rule.name.padEnd(20)} ${text}`);
  }
  if (r.note !== null) lines.push(out.paint('dim', `    ${r.note}`));
  lines.push('  lifecycle:');
  for (const s of o.lifecycle)
    lines.push(
      `    #${String(s.seq).padEnd(7)} ${time(s.ts)}  ${s.event.padEnd(24)} ${s.status.padEnd(16)} ${s.detail ?? ''}`.trimEnd(),
    );
  if (o.fills.length > 0) {
    lines.push('  fills:');
    for (const f of o.fills)
      lines.push(
        `    #${String(f.seq).padEnd(7)} ${time(f.ts)}  ${f.tradeId}  ${f.side} ${f.quantity} @ ${f.price}  fee ${f.fee} ${f.feeCurrency}  ${f.liquidity}${f.recovered ? ' (recovered by reconciliation)' : ''}`,
      );
  }
  return lines;
}

/** The order list as readable lines. */
export function formatOrderList(dir: string, orders: readonly OrderSummary[], out: Paint): string[] {
  const lines = [out.paint('bold', `Orders in ${dir} (${orders.length})`)];
  lines.push(
    out.paint(
      'dim',
      `  ${'record'.padEnd(7)} ${'client order id'.padEnd(26)} ${'venue order id'.padEnd(16)} ${'root'.padEnd(12)} ${'order'.padEnd(36)} status`,
    ),
  );
  for (const o of orders) {
    const order = `${o.side} ${o.quantity} ${o.instrumentId}${o.price === null ? '' : ` @ ${o.price}`}`;
    lines.push(
      `  ${String(o.firstSeq).padEnd(7)} ${o.clientOrderId.padEnd(26)} ${(o.venueOrderId ?? '—').padEnd(16)} ${o.root.padEnd(12)} ${order.padEnd(36)} ${statusPaint(o.status, out)}${o.denialCode === null ? '' : ` ${o.denialCode}`}`,
    );
  }
  return lines;
}
