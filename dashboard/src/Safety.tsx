import { useState } from 'react';
import { ApiError, type DeskSnapshot, type Risk } from './api.ts';

type Call = <T>(path: string, init?: { method?: string; body?: unknown }) => Promise<T>;

export function Safety({
  risk,
  desk,
  call,
  onCommand,
}: {
  risk: Risk | null;
  desk: DeskSnapshot | null;
  call: Call;
  /** Called after a command was accepted: the page re-reads the risk state at once. */
  onCommand: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('operator halt from the dashboard');
  const [flatten, setFlatten] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (path: string, body: unknown) => {
    setBusy(true);
    setResult(null);
    try {
      await call(path, { method: 'POST', body });
      setResult(`${path.split('/').pop()} accepted`);
      onCommand();
    } catch (e) {
      setResult(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e));
    } finally {
      setBusy(false);
    }
  };
  const halted = risk?.halted === true;
  return (
    <section>
      <div className="cards">
        <div className="card">
          <div className="label">trading state</div>
          <div className={`value state-${risk?.tradingState ?? ''}`}>{risk?.tradingState ?? '…'}</div>
        </div>
        <div className="card">
          <div className="label">mode</div>
          <div className="value">{desk?.mode ?? '…'}</div>
        </div>
        <div className="card">
          <div className="label">halts</div>
          <div className="value">{desk?.halts ?? '…'}</div>
        </div>
      </div>
      <div className="actions">
        <button type="button" className="danger" disabled={busy} onClick={() => setConfirming(true)}>
          Halt the desk…
        </button>
        <button
          type="button"
          disabled={busy || !halted}
          onClick={() => send('/api/safety/resume', { reason: 'operator resume from the dashboard' })}
        >
          Resume
        </button>
        <label
          className="toggle"
          title="Simulated execution: a sandbox desk always simulates; live venues need an explicit opt-in"
        >
          <input
            type="checkbox"
            checked={desk?.mode !== 'live'}
            disabled={busy}
            onChange={(e) =>
              send('/api/safety/simulation', { enabled: e.target.checked, reason: 'dashboard toggle' })
            }
          />{' '}
          simulation
        </label>
      </div>
      {result && <p className={result.startsWith('CONCORD_ERR') ? 'error' : 'ok'}>{result}</p>}
      <p className="hint">
        Halting needs an operator key. Every command is journaled (control.command) with the key's name, and
        goes through the desk's command port like the control files of <code>concord halt</code>.
      </p>
      {confirming && (
        <div className="modal-backdrop">
          <div className="modal" role="dialog" aria-modal="true" aria-labelledby="halt-title">
            <h2 id="halt-title">Halt the desk?</h2>
            <p>No new risk will be taken until an operator resumes. Open orders stay unless you flatten.</p>
            <label htmlFor="halt-reason">reason</label>
            <input id="halt-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            <label className="toggle">
              <input type="checkbox" checked={flatten} onChange={(e) => setFlatten(e.target.checked)} />{' '}
              flatten positions
            </label>
            <div className="actions">
              <button
                type="button"
                className="danger"
                disabled={reason.trim() === ''}
                onClick={() => {
                  setConfirming(false);
                  void send('/api/safety/halt', { reason: reason.trim(), flatten });
                }}
              >
                Confirm halt
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
