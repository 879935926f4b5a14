import type { EquityPoint } from './api.ts';

/** A plain SVG line of equity over time (history from REST, then one point per status snapshot). */
export function EquityChart({ points }: { points: EquityPoint[] }) {
  const width = 900;
  const height = 220;
  const pad = { left: 80, right: 12, top: 12, bottom: 24 };
  if (points.length < 2)
    return <p className="muted chart-empty">the chart fills in as the desk checkpoints its portfolio…</p>;
  const values = points.map((p) => p.equity);
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (max - min < 1e-9) {
    min -= 1;
    max += 1;
  }
  const x = (i: number) => pad.left + (i / (points.length - 1)) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - (v - min) / (max - min)) * (height - pad.top - pad.bottom);
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(p.equity).toFixed(1)}`).join(' ');
  const last = points[points.length - 1] as EquityPoint;
  const first = points[0] as EquityPoint;
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="equity over time">
      <line x1={pad.left} x2={width - pad.right} y1={y(max)} y2={y(max)} className="grid" />
      <line x1={pad.left} x2={width - pad.right} y1={y(min)} y2={y(min)} className="grid" />
      <text x={pad.left - 6} y={y(max) + 4} textAnchor="end">
        {max.toFixed(2)}
      </text>
      <text x={pad.left - 6} y={y(min) + 4} textAnchor="end">
        {min.toFixed(2)}
      </text>
      <polyline points={line} className={last.equity >= first.equity ? 'up' : 'down'} />
      <text x={width - pad.right} y={height - 6} textAnchor="end">
        {points.length} points, last {last.equity.toFixed(2)}
      </text>
    </svg>
  );
}
