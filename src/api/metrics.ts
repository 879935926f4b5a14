/**
 * Prometheus metrics of one API server, in its own registry (never the process-global one):
 * desk counters read from the desk view at scrape time, so serving them costs the desk nothing.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
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
  new Histogram({
    name: 'agent_decision_duration_seconds',
    help: 'Time an agent took to decide (only when the desk view measures it)',
    labelNames: ['agent'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
    collect() {
      for (const d of desk.decisionDurations?.() ?? []) this.observe({ agent: d.agentId }, d.seconds);
    },
  });
  return { registry };
}
