import { useEffect, useState } from 'react';
import type { Opportunity } from './api.ts';

const KINDS = ['arbitrage', 'liquidation', 'yield', 'sandwich'] as const;

export function Opportunities({ call }: { call: <T>(path: string) => Promise<T> }) {
  const [kind, setKind] = useState<(typeof KINDS)[number]>('arbitrage');
  const [list, setList] = useState<Opportunity[] | null>(null);
  useEffect(() => {
    let cancelled = false;
    const load = () =>
      call<{ opportunities: Opportunity[] }>(`/api/opportunities/${kind}?limit=50`).then(
        (r) => !cancelled && setList(r.opportunities.slice().reverse()),
        () => !cancelled && setList([]),
      );
    void load();
    // Refreshed every few seconds while shown (REST: opportunities are decisions of some agents).
    const t = window.setInterval(load, 3000);
    return () => {
      cancelled = true;
      window.clearInterval(t);
    };
  }, [call, kind]);
  return (
    <section>
      <div className="subnav">
        {KINDS.map((k) => (
          <button key={k} type="button" className={k === kind ? 'active' : ''} onClick={() => setKind(k)}>
            {k}
          </button>
        ))}
      </div>
      {list === null && <p className="muted">loading…</p>}
      {list !== null && list.length === 0 && (
        <p className="muted">
          No {kind} opportunities: no agent of that kind runs on this desk, or it has seen none yet.
        </p>
      )}
      {list !== null && list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>decision</th>
              <th>agent</th>
              <th className="num">confidence</th>
              <th className="num">expected return</th>
              <th>acted</th>
              <th>reasoning</th>
            </tr>
          </thead>
          <tbody>
            {list.map((o) => (
              <tr key={o.decisionId}>
                <td>{o.decisionId}</td>
                <td>{o.agentId}</td>
                <td className="num">{o.confidence.toFixed(3)}</td>
                <td className="num">{o.expectedReturn.toFixed(5)}</td>
                <td>{o.acted ? 'yes' : 'no'}</td>
                <td className="muted">{o.reasoning}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
