/**
 * `concord halt`, `concord resume` and `concord safety report`: the operator's emergency
 * channel to a running desk (through request files in its journal directory) and the safety
 * report of a journal. Exit codes: 0 done, 1 not picked up / refused / rejected, 2 bad usage
 * (including a --journal where no desk journals), 3 runtime error.
 */

import { buildSafetyReport, type SafetyReport } from '../analysis/safety-report.ts';
import {
  type RequestTicket,
  requestHalt,
  requestResume,
  type TicketState,
  ticketState,
  withdrawRequest,
} from '../control/file-channel.ts';
import { isConcordError, LiveClock, monotonicMs, toConcordError } from '../core/index.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import { type Out, verifyProgress } from './output.ts';

const EXIT = { ok: 0, checkFailed: 1, usage: 2, runtime: 3 } as const;
const DEFAULT_TIMEOUT_MS = 10_000;
const WAIT_STEP_MS = 50;

const COMMON: FlagSpecs = {
  journal: {
    type: 'string',
    description: 'journal directory of the running desk (required)',
    placeholder: 'dir',
  },
  reason: { type: 'string', description: 'why (journaled with the request)', placeholder: 'text' },
  timeout: {
    type: 'duration',
    description: 'how long to wait for the desk to pick the request up (default 10s)',
    placeholder: 'duration',
  },
  json: { type: 'boolean', description: 'the last line of output is one JSON result' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};
const HALT_FLAGS: FlagSpecs = {
  ...COMMON,
  flatten: { type: 'boolean', description: 'also close every position with reduce-only market orders' },
  operator: { type: 'string', description: 'who asks (optional for a halt)', placeholder: 'name' },
};
const RESUME_FLAGS: FlagSpecs = {
  ...COMMON,
  operator: { type: 'string', description: 'who decides to resume (required)', placeholder: 'name' },
};
const REPORT_FLAGS: FlagSpecs = {
  json: { type: 'boolean', description: 'the last line of output is one JSON report' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** `concord halt --journal <dir> [--flatten] [--reason text] [--operator name] [--timeout 10s] [--json]` */
export async function haltCommand(argv: readonly string[], out: Out): Promise<number> {
  return guarded(argv, out, async () => {
    const { flags, positionals } = parseArgs(argv, HALT_FLAGS);
    if (flags.help) {
      out.line(
        formatHelp(
          'Usage: concord halt --journal <dir> [--flatten] [--reason text] [--timeout 10s] [--json]',
          'Asks the desk journaling into <dir> to stop taking risk at once: every open order is cancelled, agents are not asked anything until an operator resumes; with --flatten every position is closed with reduce-only market orders.',
          HALT_FLAGS,
        ),
      );
      return EXIT.ok;
    }
    const journal = requireFlag('halt', flags.journal, '--journal <dir>', out);
    if (journal === undefined || !noPositionals('halt', positionals, out)) return EXIT.usage;
    const ticket = requestHalt(journal, {
      flatten: flags.flatten === true,
      ...(typeof flags.reason === 'string' ? { reason: flags.reason } : {}),
      ...(typeof flags.operator === 'string' ? { operator: flags.operator } : {}),
    });
    return await awaitTicket(ticket, timeoutOf(flags.timeout), out, flags.json === true);
  });
}

/** `concord resume --journal <dir> --operator <name> [--reason text] [--timeout 10s] [--json]` */
export async function resumeCommand(argv: readonly string[], out: Out): Promise<number> {
  return guarded(argv, out, async () => {
    const { flags, positionals } = parseArgs(argv, RESUME_FLAGS);
    if (flags.help) {
      out.line(
        formatHelp(
          'Usage: concord resume --journal <dir> --operator <name> [--reason text] [--timeout 10s] [--json]',
          'Asks the halted desk journaling into <dir> to trade again. Resuming is an explicit, named decision: --operator is required and journaled.',
          RESUME_FLAGS,
        ),
      );
      return EXIT.ok;
    }
    const journal = requireFlag('resume', flags.journal, '--journal <dir>', out);
    const operator = requireFlag('resume', flags.operator, '--operator <name>', out);
    if (journal === undefined || operator === undefined || !noPositionals('resume', positionals, out))
      return EXIT.usage;
    const ticket = requestResume(journal, {
      operator,
      ...(typeof flags.reason === 'string' ? { reason: flags.reason } : {}),
    });
    return await awaitTicket(ticket, timeoutOf(flags.timeout), out, flags.json === true);
  });
}

/** `concord safety report <journal-dir> [--json]` (a leading `report` word is accepted and skipped). */
export async function safetyReportCommand(argv: readonly string[], out: Out): Promise<number> {
  const args = argv[0] === 'report' ? argv.slice(1) : argv;
  return guarded(args, out, async () => {
    const { flags, positionals } = parseArgs(args, REPORT_FLAGS);
    if (flags.help) {
      out.line(
        formatHelp(
          'Usage: concord safety report <journal-dir> [--json]',
          'Reads a journal and reports unintended trades, position accuracy against the venues, transient errors recovered automatically, days over the loss limit and breaker trips.',
          REPORT_FLAGS,
        ),
      );
      return EXIT.ok;
    }
    const dir = positionals[0];
    if (dir === undefined || positionals.length > 1) {
      out.err(
        dir === undefined
          ? 'concord safety report: missing <journal-dir>'
          : `concord safety report: unexpected argument ${JSON.stringify(positionals[1])}`,
      );
      return EXIT.usage;
    }
    const progress = verifyProgress(out, flags.json === true);
    const report = buildSafetyReport(dir, progress === undefined ? {} : { onVerifyProgress: progress });
    if (flags.json) out.line(JSON.stringify(report));
    else for (const line of formatSafetyReport(report, out)) out.line(line);
    return EXIT.ok;
  });
}

/** The report as readable lines. */
export function formatSafetyReport(r: SafetyReport, out: Pick<Out, 'paint'>): string[] {
  const lines: string[] = [];
  const u = r.unintendedTrades;
  const flag = (bad: boolean, text: string) => out.paint(bad ? 'red' : 'green', text);
  lines.push(out.paint('bold', `Concord safety report: ${r.journalDir} (${r.records} records)`));
  lines.push(
    `  unintended trades      ${flag(u.total > 0, String(u.total))}  (unbacked fills ${u.unbackedFills}, overfills ${u.overfills}, risk-adding orders while halted/reducing ${u.riskAddingOrdersWhileRestricted}; ${u.fillsChecked} fills, ${u.ordersChecked} orders checked)`,
  );
  for (const e of u.examples) lines.push(`      #${e.seq} ${e.clientOrderId} ${e.reason}: ${e.detail}`);
  const p = r.positionAccuracy;
  lines.push(
    p === null
      ? `  position accuracy      ${out.paint('dim', 'not measured (no reconciliation report)')}`
      : `  position accuracy      ${flag(p.okShare < 1, percent(p.okShare))} of ${p.checks} checks ok (adjusted ${p.adjusted}, failed closed ${p.failedClosed}); max position mismatch ${p.maxAbsPositionMismatch}, max balance mismatch ${p.maxAbsBalanceMismatch}`,
  );
  const t = r.transientErrors;
  lines.push(
    t.recoveredShare === null
      ? `  transient errors       ${out.paint('dim', 'none')}`
      : `  transient errors       ${flag(t.recoveredShare < 1, percent(t.recoveredShare))} recovered automatically (${t.recovered}/${t.total}: unknown orders ${t.unknownOrders.recovered}/${t.unknownOrders.total}, cancel failures ${t.cancelFailures.recovered}/${t.cancelFailures.total}, venue outages ${t.venueOutages.recovered}/${t.venueOutages.total})`,
  );
  const l = r.lossLimitDays;
  const worst = l.days.reduce<number | undefined>(
    (m, d) => (m === undefined || d.minDailyPnl < m ? d.minDailyPnl : m),
    undefined,
  );
  lines.push(
    `  days over loss limit   ${l.daysOverLimit === null ? out.paint('dim', 'n/a') : flag(l.daysOverLimit > 0, String(l.daysOverLimit))} of ${l.days.length} (limit ${l.maxDailyLoss ?? 'none'}, worst daily PnL ${worst === undefined ? 'n/a' : worst.toFixed(2)})`,
  );
  for (const d of l.days)
    if (d.overLimit) lines.push(`      ${d.day}: lowest daily PnL ${d.minDailyPnl.toFixed(2)}`);
  const b = r.breakers;
  lines.push(
    `  breaker trips          ${b.trips}${Object.keys(b.tripsByBreaker).length > 0 ? ` (${entries(b.tripsByBreaker)})` : ''}; trading state changes ${entries(b.tradingStateChanges) || 'none'}; operator halts ${b.operatorHalts}, resumes ${b.operatorResumes}; rule errors ${b.ruleErrors}`,
  );
  for (const note of r.notes) lines.push(out.paint('dim', `  note: ${note}`));
  return lines;
}

async function awaitTicket(
  ticket: RequestTicket,
  timeoutMs: number,
  out: Out,
  json: boolean,
): Promise<number> {
  const clock = new LiveClock();
  const what = ticket.request.kind;
  if (!json)
    out.line(
      `${what} request ${ticket.request.id} written to ${ticket.pendingPath}; waiting up to ${(timeoutMs / 1000).toFixed(1)} s for the desk`,
    );
  const state = await waitFor(ticket, timeoutMs, clock, (s) => s.state !== 'pending');
  if (state.state === 'pending' || state.state === 'missing') {
    // Nobody claimed it: take it back so a desk started later does not act on a stale command.
    if (state.state === 'missing' || withdrawRequest(ticket))
      return notPickedUp(ticket, timeoutMs, out, json);
  }
  if (state.state === 'rejected') {
    if (json)
      out.line(
        JSON.stringify({
          ok: false,
          request: ticket.request,
          state: 'rejected',
          error: { code: 'CONCORD_ERR_CONTROL_REQUEST_INVALID', message: state.message },
        }),
      );
    out.err(`${out.paint('red', 'rejected')} the desk refused the ${what} request: ${state.message}`);
    return EXIT.checkFailed;
  }
  // Claimed: the desk is carrying it out; wait (as long again) for what it reports.
  const done = await waitFor(
    ticket,
    timeoutMs,
    clock,
    (s) => s.state === 'picked-up' && s.outcome !== undefined,
  );
  const outcome = done.state === 'picked-up' ? done.outcome : undefined;
  if (json)
    out.line(
      JSON.stringify({
        ok: outcome?.ok ?? true,
        request: ticket.request,
        state: outcome === undefined ? 'picked-up' : 'done',
        outcome: outcome ?? null,
      }),
    );
  if (outcome === undefined) {
    if (!json)
      out.line(
        `${out.paint('yellow', 'picked up')}: the desk claimed the ${what} request but has not reported its outcome yet; check its journal (risk.${what === 'halt' ? 'halt' : 'resume'})`,
      );
    return EXIT.ok;
  }
  if (!json) {
    const state = outcome.tradingState === undefined ? '' : ` (trading state ${outcome.tradingState})`;
    out.line(
      `${out.paint(outcome.ok ? 'green' : 'red', outcome.ok ? 'done' : 'failed')}: ${outcome.message}${state}`,
    );
  }
  return outcome.ok ? EXIT.ok : EXIT.checkFailed;
}

async function waitFor(
  ticket: RequestTicket,
  timeoutMs: number,
  clock: LiveClock,
  until: (s: TicketState) => boolean,
): Promise<TicketState> {
  const deadline = monotonicMs() + timeoutMs;
  for (;;) {
    const state = ticketState(ticket);
    if (until(state) || monotonicMs() >= deadline) return state;
    await clock.sleep(Math.min(WAIT_STEP_MS, Math.max(1, deadline - monotonicMs())));
  }
}

function notPickedUp(ticket: RequestTicket, timeoutMs: number, out: Out, json: boolean): number {
  const message = `no desk picked up the ${ticket.request.kind} request within ${(timeoutMs / 1000).toFixed(1)} s: the desk journaling into this directory may not be running (or is stuck); the request was withdrawn`;
  if (json)
    out.line(
      JSON.stringify({
        ok: false,
        request: ticket.request,
        state: 'not-picked-up',
        error: { code: 'CONCORD_ERR_CONTROL_NOT_PICKED_UP', message },
      }),
    );
  out.err(`${out.paint('red', 'not picked up')} CONCORD_ERR_CONTROL_NOT_PICKED_UP: ${message}`);
  return EXIT.checkFailed;
}

async function guarded(argv: readonly string[], out: Out, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    const e = toConcordError(err);
    if (argv.includes('--json')) out.line(JSON.stringify({ ok: false, error: e.toJSON() }));
    out.err(`${out.paint('red', 'error')} ${e.code}: ${e.shortMessage}`);
    out.err(`see ${e.docsPath}`);
    // A --journal that names no desk's directory is a bad flag: nothing was written.
    const usage =
      isConcordError(e, 'CONCORD_ERR_CONFIG_INVALID') || isConcordError(e, 'CONCORD_ERR_CONTROL_NO_DESK');
    return usage ? EXIT.usage : EXIT.runtime;
  }
}

function requireFlag(command: string, value: unknown, flag: string, out: Out): string | undefined {
  if (typeof value === 'string') return value;
  out.err(`concord ${command}: missing ${flag}`);
  return undefined;
}

function noPositionals(command: string, positionals: readonly string[], out: Out): boolean {
  if (positionals.length === 0) return true;
  out.err(`concord ${command}: unexpected argument ${JSON.stringify(positionals[0])}`);
  return false;
}

function timeoutOf(value: unknown): number {
  return typeof value === 'number' ? value : DEFAULT_TIMEOUT_MS;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function entries(record: Readonly<Record<string, number>>): string {
  return Object.entries(record)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
