/**
 * A sweep worker thread: replays the shared bar columns through `runBacktest` once per
 * combination it is given, and posts back the series the metrics are computed from.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AgentDefinition } from '../agents/contract.ts';
import { isConcordError, toConcordError } from '../core/index.ts';
import { BarColumnsMarket } from '../data/index.ts';
import { backtestConfig, runBacktest } from './backtest.ts';
import {
  applySweepParams,
  type FromSweepWorker,
  type SweepRunOutput,
  type SweepWorkerBoot,
  type ToSweepWorker,
} from './sweep.ts';

const boot = workerData as SweepWorkerBoot;
const port = parentPort;
let definitions: readonly AgentDefinition<unknown>[] | undefined;

async function runOne(index: number, params: Readonly<Record<string, number>>): Promise<SweepRunOutput> {
  if (boot.job.agentModule !== undefined && definitions === undefined) {
    definitions = ((await import(boot.job.agentModule)) as { default: AgentDefinition<unknown>[] }).default;
  }
  const config = backtestConfig(applySweepParams(boot.job.rawConfig, params));
  const run = await runBacktest({
    data: boot.files.map((f) => f.path),
    config,
    prepared: { files: boot.files, open: (fees) => new BarColumnsMarket(boot.columns, { fees }) },
    ...(boot.job.fees === undefined ? {} : { fees: boot.job.fees }),
    ...(boot.job.initialCapital === undefined ? {} : { initialCapital: boot.job.initialCapital }),
    ...(definitions === undefined ? {} : { agentDefinitions: definitions }),
  });
  const equityTs = new Float64Array(run.equity.length);
  const equity = new Float64Array(run.equity.length);
  run.equity.forEach((p, i) => {
    equityTs[i] = p.ts;
    equity[i] = p.equity;
  });
  return {
    index,
    params,
    trades: run.trades.map((t) => ({
      ts: t.ts,
      instrumentId: t.instrumentId,
      side: t.side,
      price: t.price,
      quantity: t.quantity,
      fee: t.fee,
      agentIds: [...t.agentIds],
    })),
    equityTs,
    equity,
    initialEquity: run.initialEquity,
    fills: run.fills,
    orders: run.orders,
    pnl: run.pnl,
    fees: run.fees,
    journalHash: run.journalHash,
    period: run.period,
    wallMs: run.wallMs,
  };
}

port?.on('message', (m: ToSweepWorker) => {
  if (m.kind === 'stop') {
    port.close();
    return;
  }
  runOne(m.index, m.params).then(
    (output) => {
      port.postMessage({ kind: 'done', output } satisfies FromSweepWorker, [
        output.equityTs.buffer as ArrayBuffer,
        output.equity.buffer as ArrayBuffer,
      ]);
    },
    (err: unknown) => {
      const e = toConcordError(err);
      port.postMessage({
        kind: 'failed',
        index: m.index,
        code: isConcordError(e) ? e.code : 'CONCORD_ERR_INTERNAL',
        message: e.message,
      } satisfies FromSweepWorker);
    },
  );
});
