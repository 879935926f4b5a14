import { describe, expect, it } from 'vitest';
import { type Out, paintStatus } from '../../src/cli/output.ts';
import { renderPanel } from '../../src/cli/panel.ts';
import { LIFECYCLE_STATES } from '../../src/core/index.ts';
import type { AgentSummary, DeskStatus } from '../../src/kernel/index.ts';

/** An Out whose colours are visible as tags. */
const tagged: Out = {
  tty: true,
  color: true,
  line: () => {},
  err: () => {},
  paint: (code, text) => `<${code}>${text}</${code}>`,
};

function agent(id: string, status: AgentSummary['status']): AgentSummary {
  return { id, type: 'momentum', status, decisions: 3, trust: 1, pnl: 0, fees: 0, trades: 0, failures: 0 };
}

const STATUS: DeskStatus = {
  mode: 'sandbox',
  seed: 7,
  status: 'DEGRADED',
  simulatedMs: 65_000,
  wallMs: 1000,
  marketEvents: 10,
  triggers: 5,
  decisions: 3,
  decisionsPerSec: 0.1,
  orders: 1,
  denied: 0,
  rejected: 0,
  fills: 1,
  pnl: 1.5,
  tradingState: 'HALTED',
  halts: 1,
  breakerTrips: 0,
  positions: [],
  agents: [agent('a-run', 'RUNNING'), agent('a-quar', 'QUARANTINED'), agent('a-deg', 'DEGRADED')],
  venues: [
    { id: 'sim-a', status: 'RUNNING', reason: 'ready' },
    { id: 'sim-b', status: 'DEGRADED', reason: 'connection dropped' },
  ],
  recent: [],
};

describe('the terminal panel', () => {
  it('shows the desk, every venue and every agent in the one status vocabulary, apart from the trading state', () => {
    const text = renderPanel(STATUS, tagged);
    expect(text).toContain('desk <yellow>DEGRADED</yellow>');
    expect(text).toContain('trading <red>HALTED</red>');
    expect(text).toContain('venues sim-a <green>RUNNING</green>   sim-b <yellow>DEGRADED</yellow>');
    const rows = text.split('\n');
    const row = (id: string) => rows.find((r) => r.startsWith(id)) ?? '';
    expect(row('a-run')).toContain('<green>RUNNING    </green>');
    expect(row('a-quar')).toContain('<red>QUARANTINED</red>');
    expect(row('a-deg')).toContain('<yellow>DEGRADED   </yellow>');
  });

  it('paints every lifecycle state: only RUNNING green, the failed ones red', () => {
    for (const s of LIFECYCLE_STATES) {
      const painted = paintStatus(s, tagged, 11);
      const colour = /^<(\w+)>/.exec(painted)?.[1];
      expect(['green', 'yellow', 'red', 'dim']).toContain(colour);
      expect(colour === 'green').toBe(s === 'RUNNING');
      if (s === 'QUARANTINED' || s === 'FAULTED') expect(colour).toBe('red');
      expect(painted).toContain(s.padEnd(11));
    }
  });
});
