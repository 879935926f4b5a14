import { useCallback, useEffect, useRef, useState } from 'react';
import {
  type Agent,
  ApiError,
  api,
  type DeskSnapshot,
  type EquityPoint,
  type Order,
  openStream,
  type Risk,
  type StreamEvent,
  storedKey,
  storeKey,
} from './api.ts';
import { EquityChart } from './EquityChart.tsx';
import { Opportunities } from './Opportunities.tsx';
import { Safety } from './Safety.tsx';
import { DecisionTrace } from './Trace.tsx';

const TABS = ['overview', 'agents', 'decisions', 'opportunities', 'risk', 'safety'] as const;
type Tab = (typeof TABS)[number];

/** Events the dashboard follows live (market data stays out: it is the bulk of the journal). */
const STREAM_TYPES = [
  'order.*',
  'decision',
  'consensus',
  'risk.>',
  'agent.>',
  'control.command',
  'checkpoint',
];

export function App() {
  const [key, setKey] = useState<string | null>(storedKey());
  if (key === null) return <Login onKey={setKey} />;
  return (
    <Desk
      apiKey={key}
      onLogout={() => {
        storeKey(null);
        setKey(null);
      }}
    />
  );
}

function Login({ onKey }: { onKey: (key: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const k = value.trim();
    try {
      await api(k, '/api/agents');
      storeKey(k);
      onKey(k);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    }
  };
  return (
    <main className="login">
      <h1>Concord desk</h1>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="concord_…"
        />
        <button type="submit">Open</button>
      </form>
      <p className="hint">
        <code>concord run</code> prints a first-run operator key on stderr; more with{' '}
        <code>concord keys create --role viewer</code>. The key stays in this tab only (session storage).
      </p>
      {error && <p className="error">{error}</p>}
    </main>
  );
}

function Desk({ apiKey, onLogout }: { apiKey: string; onLogout: () => void }) {
  const [tab, setTab] = useState<Tab>('overview');
  const [desk, setDesk] = useState<DeskSnapshot | null>(null);
  const [risk, setRisk] = useState<Risk | null>(null);
  const [equity, setEquity] = useState<EquityPoint[]>([]);
  const [filled, setFilled] = useState<Order[]>([]);
  const [feed, setFeed] = useState<StreamEvent[]>([]);
  const [stream, setStream] = useState<{ state: string; detail?: string }>({ state: 'connecting' });
  const [error, setError] = useState<string | null>(null);
  const [rates, setRates] = useState<Record<string, number>>({});
  const lastAgents = useRef<{ at: number; agents: Agent[] } | null>(null);

  const call = useCallback(
    <T,>(path: string, init?: { method?: string; body?: unknown }) =>
      api<T>(apiKey, path, init).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) onLogout();
        throw err;
      }),
    [apiKey, onLogout],
  );

  // Initial load over REST.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const [r, history, orders, agents] = await Promise.all([
          call<Risk>('/api/risk/metrics'),
          call<{ points: EquityPoint[] }>('/api/portfolio/history?limit=500'),
          call<{ orders: Order[] }>('/api/orders?status=FILLED&limit=100'),
          call<{ agents: Agent[] }>('/api/agents'),
        ]);
        if (cancelled) return;
        setRisk(r);
        setEquity(history.points.map((p) => ({ ts: p.ts, equity: p.equity })));
        setFilled(orders.orders.slice().reverse());
        setDesk((d) => d ?? ({ agents: agents.agents } as DeskSnapshot));
      } catch (err) {
        if (!cancelled) setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [call]);

  // Live over the WebSocket.
  useEffect(
    () =>
      openStream(apiKey, STREAM_TYPES, {
        onState: (state, detail) => setStream(detail === undefined ? { state } : { state, detail }),
        onStatus: (s) => {
          setDesk(s.desk);
          setRisk(s.risk);
          setEquity((points) => {
            const last = points[points.length - 1];
            const ts = Date.now();
            if (last !== undefined && last.equity === s.risk.equity && ts - last.ts < 5000) return points;
            return [...points, { ts, equity: s.risk.equity }].slice(-2000);
          });
          const now = performance.now();
          const prev = lastAgents.current;
          if (prev !== null && now > prev.at) {
            const next: Record<string, number> = {};
            for (const a of s.desk.agents) {
              const before = prev.agents.find((b) => b.id === a.id);
              next[a.id] =
                before === undefined ? 0 : ((a.decisions - before.decisions) * 1000) / (now - prev.at);
            }
            setRates(next);
          }
          lastAgents.current = { at: now, agents: s.desk.agents };
        },
        onEvent: (e) => {
          setFeed((f) => [e, ...f].slice(0, 60));
          if (e.event.type === 'order.filled') {
            const o = e.event.payload.order as
              | (Order & { attribution?: { agentIds?: string[] } })
              | undefined;
            if (o !== undefined && o.status === 'FILLED')
              setFilled((list) =>
                [
                  {
                    ...o,
                    agentIds: o.attribution?.agentIds ?? [],
                    venueOrderId: o.venueOrderId ?? null,
                    denialCode: null,
                  },
                  ...list.filter((x) => x.clientOrderId !== o.clientOrderId),
                ].slice(0, 200),
              );
          }
        },
      }),
    [apiKey],
  );

  const state = risk?.tradingState ?? desk?.tradingState ?? '…';
  return (
    <div className="app">
      <header>
        <h1>Concord</h1>
        <span className={`badge state-${state}`} data-testid="trading-state">
          {state}
        </span>
        <span className="metric">
          decisions <b data-testid="decision-count">{desk?.decisions ?? '…'}</b>
        </span>
        <span className="metric">
          fills <b>{desk?.fills ?? '…'}</b>
        </span>
        <span className={`stream stream-${stream.state}`} title={stream.detail ?? ''}>
          stream {stream.state}
        </span>
        <button type="button" className="link" onClick={onLogout}>
          forget key
        </button>
      </header>
      <nav>
        {TABS.map((t) => (
          <button key={t} type="button" className={t === tab ? 'active' : ''} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </nav>
      {error && <p className="error">{error}</p>}
      <main>
        {tab === 'overview' && <Overview desk={desk} risk={risk} equity={equity} feed={feed} />}
        {tab === 'agents' && <Agents agents={desk?.agents ?? []} rates={rates} />}
        {tab === 'decisions' && <DecisionTrace orders={filled} call={call} />}
        {tab === 'opportunities' && <Opportunities call={call} />}
        {tab === 'risk' && <RiskView risk={risk} />}
        {tab === 'safety' && (
          <Safety
            risk={risk}
            desk={desk}
            call={call}
            onCommand={() => call<Risk>('/api/risk/metrics').then(setRisk, () => undefined)}
          />
        )}
      </main>
    </div>
  );
}

const money = (n: number | undefined) =>
  n === undefined ? '…' : n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function Overview({
  desk,
  risk,
  equity,
  feed,
}: {
  desk: DeskSnapshot | null;
  risk: Risk | null;
  equity: EquityPoint[];
  feed: StreamEvent[];
}) {
  return (
    <section>
      <div className="cards">
        <Card label="equity" value={money(risk?.equity)} />
        <Card label="PnL" value={money(desk?.pnl)} tone={(desk?.pnl ?? 0) >= 0 ? 'up' : 'down'} />
        <Card label="daily PnL" value={money(risk?.dailyPnl)} />
        <Card label="drawdown" value={risk === null ? '…' : `${(risk.drawdown * 100).toFixed(2)} %`} />
        <Card label="trading state" value={risk?.tradingState ?? '…'} />
        <Card label="desk" value={desk?.status ?? '…'} />
        <Card label="orders" value={String(desk?.orders ?? '…')} />
        <Card label="denied" value={String(desk?.denied ?? '…')} />
      </div>
      <h2>Equity</h2>
      <EquityChart points={equity} />
      <div className="columns">
        <div>
          <h2>Positions</h2>
          <table>
            <thead>
              <tr>
                <th>instrument</th>
                <th className="num">quantity</th>
              </tr>
            </thead>
            <tbody>
              {(desk?.positions ?? []).map((p) => (
                <tr key={p.instrumentId}>
                  <td>{p.instrumentId}</td>
                  <td className="num">{p.quantity}</td>
                </tr>
              ))}
              {(desk?.positions ?? []).length === 0 && (
                <tr>
                  <td colSpan={2} className="muted">
                    flat
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <div>
          <h2>Live events</h2>
          <ul className="feed">
            {feed.slice(0, 15).map((e) => (
              <li key={e.seq}>
                <span className="muted">#{e.seq}</span> <b>{e.event.type}</b> {summarise(e)}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}

function summarise(e: StreamEvent): string {
  const p = e.event.payload;
  const order = p.order as { side?: string; quantity?: string; instrumentId?: string } | undefined;
  if (order !== undefined) return `${order.side ?? ''} ${order.quantity ?? ''} ${order.instrumentId ?? ''}`;
  if (typeof p.agentId === 'string') return p.agentId;
  if (typeof p.reason === 'string') return p.reason;
  return '';
}

/** A duration in ms shown in µs below a millisecond. */
function micros(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}

function Card({ label, value, tone }: { label: string; value: string; tone?: 'up' | 'down' }) {
  return (
    <div className={`card ${tone ?? ''}`}>
      <div className="label">{label}</div>
      <div className="value">{value}</div>
    </div>
  );
}

function Agents({ agents, rates }: { agents: Agent[]; rates: Record<string, number> }) {
  return (
    <section>
      <h2>Agents</h2>
      <table data-testid="agents">
        <thead>
          <tr>
            <th>agent</th>
            <th>type</th>
            <th>state</th>
            <th className="num">trust</th>
            <th className="num">decisions</th>
            <th className="num">decisions/s</th>
            <th className="num">latency mean / max</th>
            <th className="num">trades</th>
            <th className="num">PnL</th>
            <th className="num">failures</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.id}>
              <td>{a.id}</td>
              <td className="muted">{a.type}</td>
              <td>
                <span className={`badge small status-${a.status}`}>{a.status}</span>
              </td>
              <td className="num">
                <Bar fraction={a.trust / 2} warn={false} /> {a.trust.toFixed(3)}
              </td>
              <td className="num">{a.decisions}</td>
              <td className="num">{(rates[a.id] ?? 0).toFixed(1)}</td>
              <td className="num">
                {a.latencyMeanMs == null
                  ? '–'
                  : `${micros(a.latencyMeanMs)} / ${micros(a.latencyMaxMs ?? 0)}`}
              </td>
              <td className="num">{a.trades}</td>
              <td className="num">{money(a.pnl)}</td>
              <td className={`num ${a.failures > 0 ? 'down' : ''}`}>{a.failures}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        decisions/s is measured here between two status snapshots (wall clock); latency is the kernel's timing
        of each call of the agent (monotonic clock, never journaled; also agent_decision_duration_seconds in
        /metrics).
      </p>
    </section>
  );
}

/** A small gauge; `warn` colours a fill above 80 % (limits), not for figures where high is good (trust). */
export function Bar({ fraction, warn = true }: { fraction: number | null; warn?: boolean }) {
  const f = fraction === null ? 0 : Math.max(0, Math.min(1, fraction));
  return (
    <span className="bar">
      <span className={warn && f > 0.8 ? 'hot' : ''} style={{ width: `${(f * 100).toFixed(1)}%` }} />
    </span>
  );
}

function RiskView({ risk }: { risk: Risk | null }) {
  if (risk === null) return <p className="muted">loading…</p>;
  return (
    <section>
      <div className="cards">
        <Card label="trading state" value={risk.tradingState} />
        <Card
          label="VaR (95 %, 1 day)"
          value={risk.valueAtRisk === null ? 'not computed' : money(risk.valueAtRisk)}
        />
        <Card label="gross exposure" value={money(risk.grossExposure)} />
        <Card label="net exposure" value={money(risk.netExposure)} />
        <Card label="peak equity" value={money(risk.peakEquity)} />
        <Card label="drawdown" value={`${(risk.drawdown * 100).toFixed(2)} %`} />
      </div>
      <h2>Limits used</h2>
      <table>
        <thead>
          <tr>
            <th>limit</th>
            <th className="num">used</th>
            <th className="num">limit</th>
            <th>use</th>
          </tr>
        </thead>
        <tbody>
          {risk.limits.map((l) => (
            <tr key={l.name}>
              <td>{l.name}</td>
              <td className="num">{l.used.toFixed(4)}</td>
              <td className="num">{l.limit ?? 'not set'}</td>
              <td>
                <Bar fraction={l.fraction} />{' '}
                {l.fraction === null ? '' : `${(l.fraction * 100).toFixed(1)} %`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Breakers</h2>
      <table>
        <thead>
          <tr>
            <th>breaker</th>
            <th>scope</th>
            <th>state</th>
            <th className="num">trips</th>
            <th>reason</th>
          </tr>
        </thead>
        <tbody>
          {risk.breakers.map((b) => (
            <tr key={`${b.breaker}/${b.scope}`}>
              <td>{b.breaker}</td>
              <td>{b.scope}</td>
              <td>
                <span className={`badge small breaker-${b.state}`}>{b.state}</span>
              </td>
              <td className="num">{b.trips}</td>
              <td className="muted">{b.reason}</td>
            </tr>
          ))}
          {risk.breakers.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                no breakers configured
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
