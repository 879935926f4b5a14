/**
 * Prometheus metrics of one API server, in its own registry (never the process-global one):
 * desk counters read from the desk view at scrape time, so serving them costs the desk nothing.
 * Per-agent decision times are counted by the kernel (src/kernel/observe.ts) and only rendered here.
 */
import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import { DECISION_SECONDS_BUCKETS } from '../kernel/index.ts';
import type { DeskView, JournalSource } from './view.ts';

const BREAKER_STATE: Readonly<Record<string, number>> = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 };

/** What each counter (and label set) had reached at the last scrape. */
const lastSeen = new WeakMap<Counter<string>, Map<string, number>>();

/** Sets a counter to a monotonic total read from elsewhere (adds the difference since the last scrape). */
function follow(counter: Counter<string>, labels: Record<string, string>, total: number): void {
  const key = JSON.stringify(labels);
  const seen = lastSeen.get(counter) ?? new Map<string, number>();
  lastSeen.set(counter, seen);
  const before = seen.get(key) ?? 0;
  counter.inc(labels, total > before ? total - before : 0);
  seen.set(key, Math.max(before, total));
}

export interface ApiMetrics {
  readonly registry: Registry;
}

export function createMetrics(desk: DeskView, journal: JournalSource): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const total = (name: string, help: string, read: () => number): void => {
    const counter: Counter<string> = new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        follow(counter, {}, read());
      },
    });
  };
  total('concord_decisions_total', 'Agent decisions journaled', () => desk.status().decisions);
  total('concord_orders_total', 'Orders submitted', () => desk.status().orders);
  total('concord_fills_total', 'Fills applied', () => desk.status().fills);
  const denials: Counter<string> = new Counter({
    name: 'concord_denials_total',
    help: 'Orders denied by the risk gate, by denial code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      for (const [code, n] of Object.entries(desk.denials())) follow(denials, { code }, n);
    },
  });
  new Gauge({
    name: 'concord_breaker_state',
    help: 'Circuit breaker state (0 closed, 1 half-open, 2 open)',
    labelNames: ['breaker', 'scope'],
    registers: [registry],
    collect() {
      this.reset();
      for (const b of desk.risk().breakers) {
        this.set({ breaker: b.breaker, scope: b.scope }, BREAKER_STATE[b.state] ?? -1);
      }
    },
  });
  new Gauge({
    name: 'concord_trading_halted',
    help: '1 while the desk is halted, else 0',
    registers: [registry],
    collect() {
      this.set(desk.risk().halted ? 1 : 0);
    },
  });
  new Gauge({
    name: 'concord_journal_lag_records',
    help: 'Journal records appended but not yet durable',
    registers: [registry],
    collect() {
      this.set(journal.pending?.() ?? 0);
    },
  });
  registry.registerMetric(decisionHistogram(desk) as unknown as Metric);
  total('concord_intents_total', 'Accepted intents handed to the order manager', () => desk.intents?.() ?? 0);
  new Gauge({
    name: 'concord_bus_queue_depth',
    help: "Messages queued on the desk's bus (published from a handler, not yet delivered)",
    registers: [registry],
    collect() {
      this.set(desk.busQueueDepth?.() ?? 0);
    },
  });
  return { registry };
}

/**
 * `agent_decision_duration_seconds{agent}` rendered from the kernel's per-agent bucket counters
 * at scrape time (the kernel counts; nothing is observed twice and nothing is drained).
 */
function decisionHistogram(desk: DeskView) {
  const name = 'agent_decision_duration_seconds';
  const bounds = DECISION_SECONDS_BUCKETS.map(String);
  const get = () => {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const t of desk.agentTimings?.() ?? []) {
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += t.buckets[i] ?? 0;
        values.push({
          metricName: `${name}_bucket`,
          labels: { agent: t.agentId, le: bounds[i] ?? '' },
          value: cumulative,
        });
      }
      values.push({ metricName: `${name}_bucket`, labels: { agent: t.agentId, le: '+Inf' }, value: t.calls });
      values.push({ metricName: `${name}_sum`, labels: { agent: t.agentId }, value: t.totalSeconds });
      values.push({ metricName: `${name}_count`, labels: { agent: t.agentId }, value: t.calls });
    }
    return {
      name,
      help: 'Time an agent call took, as the kernel timed it (monotonic clock)',
      type: 'histogram',
      values,
      aggregator: 'sum',
    };
  };
  return { name, help: get().help, type: 'histogram', aggregator: 'sum', get, reset() {} };
}
