/** The live panel shown by `concord run` on a terminal. Redrawn in place a few times a second. */
import type { DeskStatus } from '../kernel/index.ts';
import { formatDuration, formatMoney, type Out, paintStatus } from './output.ts';

const HOME_AND_CLEAR = '\u001b[H\u001b[2J';

export function renderPanel(s: DeskStatus, out: Out): string {
  const lines: string[] = [];
  const state =
    s.tradingState === 'ACTIVE' ? out.paint('green', s.tradingState) : out.paint('red', s.tradingState);
  lines.push(
    out.paint('bold', `Concord · ${s.mode} · seed ${s.seed}`) +
      `   sim ${formatDuration(s.simulatedMs)}   desk ${paintStatus(s.status, out)}   trading ${state}   (Ctrl-C to stop)`,
  );
  if (s.venues.length > 0)
    lines.push(`venues ${s.venues.map((v) => `${v.id} ${paintStatus(v.status, out)}`).join('   ')}`);
  lines.push(
    `decisions ${s.decisions} (${s.decisionsPerSec.toFixed(1)}/s)   orders ${s.orders}   fills ${s.fills}   denied ${s.denied}   ` +
      `PnL ${out.paint(s.pnl >= 0 ? 'green' : 'red', formatMoney(s.pnl))}   halts ${s.halts}`,
  );
  lines.push('');
  lines.push(
    out.paint(
      'dim',
      `${'agent'.padEnd(20)} ${'type'.padEnd(22)} ${'status'.padEnd(11)} ${'decisions'.padStart(9)} ${'trust'.padStart(6)} ${'fails'.padStart(5)}`,
    ),
  );
  for (const a of s.agents) {
    const st = paintStatus(a.status, out, 11);
    lines.push(
      `${a.id.padEnd(20)} ${a.type.padEnd(22)} ${st} ${String(a.decisions).padStart(9)} ${a.trust.toFixed(3).padStart(6)} ${String(a.failures).padStart(5)}`,
    );
  }
  lines.push('');
  lines.push(out.paint('dim', 'positions'));
  if (s.positions.length === 0) lines.push('  (flat)');
  for (const p of s.positions) lines.push(`  ${p.instrumentId.padEnd(22)} ${p.quantity}`);
  lines.push('');
  lines.push(out.paint('dim', 'recent'));
  for (const r of s.recent.slice(-8)) lines.push(`  ${r}`);
  return HOME_AND_CLEAR + lines.join('\n');
}
