import { useEffect, useState } from 'react';
import { ApiError, type Order } from './api.ts';

// The shape of GET /api/decisions/:id/trace (src/analysis/queries/trace.ts, `concord explain`).
interface Rule {
  name: string;
  result: string;
  limit: string | null;
  configured: boolean | null;
}
interface TraceOrder {
  clientOrderId: string;
  role: string;
  instrumentId: string;
  venue: string;
  side: string;
  type: string;
  quantity: string;
  status: string;
  filledQuantity: string;
  averagePrice: string | null;
  fees: string;
  risk: {
    outcome: string;
    chainSource: string;
    rules: Rule[];
    denial: { code: string; message: string } | null;
  };
  fills: { tradeId: string; price: string; quantity: string; fee: string; liquidity: string }[];
}
interface Vote {
  agentId: string;
  side: string;
  quantity: string;
  weight: number;
}
interface Tally {
  kind: string;
  instrumentId?: string;
  votes?: Vote[];
  buyWeight?: number;
  sellWeight?: number;
  buyShare?: number;
  sellShare?: number;
  winner?: string;
  proposedQuantity?: string;
  quantity?: string;
  weight?: number;
}
interface Trace {
  query: { id: string; matched: string };
  trigger: {
    id: string;
    kind: string;
    instrumentId: string;
    magnitude: number;
    marketEvent: { summary: string } | null;
  } | null;
  decisions: {
    decisionId: string;
    agentId: string;
    role: string;
    confidence: number;
    trust: number | null;
    weight: number | null;
    reasoning: string;
    verdict: { kind: string };
  }[];
  timeouts: string[];
  consensus: {
    config: { consensusThreshold: number; minOrderWeight: number; minPlanWeight: number } | null;
    check: string;
    caps: { agentId: string; instrumentId: string; maxQuantity: string; reason: string; bound: boolean }[];
    vetoes: { agentId: string; reason: string }[];
  } | null;
  intents: { index: number; summary: string; reason: string; tally: Tally; orders: TraceOrder[] }[];
  orders: TraceOrder[];
  notes: string[];
}

export function DecisionTrace({ orders, call }: { orders: Order[]; call: <T>(path: string) => Promise<T> }) {
  const [selected, setSelected] = useState<string | null>(null);
  const [trace, setTrace] = useState<Trace | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (selected === null) return;
    let cancelled = false;
    setTrace(null);
    setError(null);
    call<Trace>(`/api/decisions/${encodeURIComponent(selected)}/trace`).then(
      (t) => !cancelled && setTrace(t),
      (e: unknown) => !cancelled && setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [selected, call]);
  return (
    <section className="trace-layout">
      <div className="order-list">
        <h2>Filled orders</h2>
        {orders.length === 0 && <p className="muted">no filled order yet</p>}
        <ul data-testid="filled-orders">
          {orders.map((o) => (
            <li key={o.clientOrderId}>
              <button
                type="button"
                className={o.clientOrderId === selected ? 'active' : ''}
                onClick={() => setSelected(o.clientOrderId)}
              >
                <b>{o.side}</b> {o.filledQuantity} {o.instrumentId}
                <br />
                <span className="muted">
                  {o.clientOrderId} · {o.agentIds.join(', ')}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div className="trace" data-testid="trace">
        {selected === null && <p className="muted">Pick an order to see why it was placed.</p>}
        {error && <p className="error">{error}</p>}
        {selected !== null && trace === null && error === null && <p className="muted">loading trace…</p>}
        {trace && <TraceView trace={trace} />}
      </div>
    </section>
  );
}

const pct = (n: number | undefined) => (n === undefined ? '' : `${(n * 100).toFixed(1)} %`);
const num = (n: number | null | undefined, d = 3) => (n === null || n === undefined ? '–' : n.toFixed(d));

function TraceView({ trace }: { trace: Trace }) {
  const t = trace.trigger;
  const c = trace.consensus;
  return (
    <div>
      <h2>
        Trace of {trace.query.id} <span className="muted">({trace.query.matched})</span>
      </h2>
      <h3>1. Event</h3>
      {t === null ? (
        <p className="muted">no trigger (an operator order)</p>
      ) : (
        <p>
          trigger <b>{t.id}</b>: {t.kind} on {t.instrumentId}, magnitude {t.magnitude.toFixed(3)}
          {t.marketEvent && <span className="muted"> · {t.marketEvent.summary}</span>}
        </p>
      )}
      <h3>2. Votes</h3>
      <table data-testid="votes">
        <thead>
          <tr>
            <th>agent</th>
            <th>role</th>
            <th className="num">confidence</th>
            <th className="num">trust</th>
            <th className="num">weight</th>
            <th>verdict</th>
            <th>reasoning</th>
          </tr>
        </thead>
        <tbody>
          {trace.decisions.map((d) => (
            <tr key={d.decisionId}>
              <td>{d.agentId}</td>
              <td>{d.role}</td>
              <td className="num">{num(d.confidence)}</td>
              <td className="num">{num(d.trust)}</td>
              <td className="num">{num(d.weight)}</td>
              <td>{d.verdict.kind}</td>
              <td className="muted">{d.reasoning}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {trace.timeouts.length > 0 && <p className="muted">missed the deadline: {trace.timeouts.join(', ')}</p>}
      <h3>3. Consensus</h3>
      {c === null ? (
        <p className="muted">no consensus record</p>
      ) : (
        <p>
          threshold {c.config?.consensusThreshold ?? '?'} · min order weight {c.config?.minOrderWeight ?? '?'}{' '}
          · weights {c.check === 'reproduced' ? 'reproduced from the journal' : c.check}
          {c.vetoes.length > 0 && ` · vetoes: ${c.vetoes.map((v) => `${v.agentId}: ${v.reason}`).join('; ')}`}
        </p>
      )}
      {trace.intents.map((i) => (
        <div key={i.index} className="intent">
          <h4>
            intent {i.index}: {i.summary}
          </h4>
          <p className="muted">{i.reason}</p>
          {i.tally.kind === 'order' ? (
            <p data-testid="tally">
              buy weight <b>{num(i.tally.buyWeight)}</b> ({pct(i.tally.buyShare)}) vs sell weight{' '}
              <b>{num(i.tally.sellWeight)}</b> ({pct(i.tally.sellShare)}) → <b>{i.tally.winner}</b>
              {'; '}
              weighted-median quantity {i.tally.proposedQuantity} → {i.tally.quantity} after caps
            </p>
          ) : (
            <p data-testid="tally">group weight {num(i.tally.weight)}</p>
          )}
          {c !== null && c.caps.length > 0 && (
            <ul className="muted">
              {c.caps.map((cap) => (
                <li key={`${cap.agentId}-${cap.instrumentId}`}>
                  cap by {cap.agentId} on {cap.instrumentId}: max {cap.maxQuantity}
                  {cap.bound ? ' (bound)' : ''} — {cap.reason}
                </li>
              ))}
            </ul>
          )}
          {i.orders.map((o) => (
            <OrderView key={o.clientOrderId} order={o} />
          ))}
        </div>
      ))}
      {trace.orders.map((o) => (
        <OrderView key={o.clientOrderId} order={o} />
      ))}
      {trace.notes.length > 0 && (
        <ul className="muted">
          {trace.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function OrderView({ order }: { order: TraceOrder }) {
  return (
    <div className="order">
      <h4>
        4. Risk gate and order {order.clientOrderId}: {order.side} {order.quantity} {order.instrumentId} (
        {order.type}) → <span className={`badge small status-${order.status}`}>{order.status}</span>
      </h4>
      <table data-testid="risk-rules">
        <thead>
          <tr>
            <th>risk rule</th>
            <th>result</th>
            <th>limit</th>
          </tr>
        </thead>
        <tbody>
          {order.risk.rules.map((r) => (
            <tr key={r.name}>
              <td>{r.name}</td>
              <td className={r.result === 'passed' ? 'up' : r.result === 'denied' ? 'down' : 'muted'}>
                {r.result}
              </td>
              <td className="muted">{r.limit ?? (r.configured === false ? 'not set' : '–')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {order.risk.denial && (
        <p className="error">
          denied {order.risk.denial.code}: {order.risk.denial.message}
        </p>
      )}
      {order.fills.length > 0 && (
        <p>
          fills:{' '}
          {order.fills.map((f) => `${f.quantity} @ ${f.price} (${f.liquidity}, fee ${f.fee})`).join('; ')} ·
          average {order.averagePrice ?? '–'}
        </p>
      )}
    </div>
  );
}
