/**
 * One self-contained HTML backtest report: no external scripts, fonts or stylesheets. Equity and
 * drawdown are inline SVG; with prices given, an interactive price chart (lightweight-charts,
 * inlined: price-chart.ts) marks every fill and links it to its row of the trade table. A sweep
 * adds its heatmap (SVG), ranked table, walk-forward folds and overfitting guard. Every piece of
 * text from the input is escaped. Output is deterministic for a given input (no clock, no
 * locale: numbers are formatted by hand).
 */
import type { BacktestMetrics, BacktestTrade, EquityPoint } from './metrics.ts';
import { analyzeRoundTrips, drawdownSeries } from './metrics.ts';
import { BUY_MARKER_COLOUR, renderPriceChart, SELL_MARKER_COLOUR } from './price-chart.ts';
import type { BacktestReportInput, BookStatsRow, SweepReportSection } from './result.ts';

/** Most points a chart polyline gets (min/max per bucket keeps the extremes visible). */
export const MAX_CHART_POINTS = 2000;
const DEFAULT_TRADE_ROWS = 50;
/** With a price chart every marker needs its row: up to this many trades are all listed. */
const CHART_TRADE_ROWS = 10_000;

// ---------------------------------------------------------------------------------------------
// Escaping and formatting

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Fixed decimals with thousands separators; '—' for null or non-finite. */
export function formatNumber(x: number | null | undefined, decimals = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  // Beyond 1e15 fixed notation is unreadable (and toFixed switches to exponents at 1e21).
  if (Math.abs(x) >= 1e15) return x.toExponential(3).replace('-', '−');
  const fixed = Math.abs(x).toFixed(decimals);
  const [whole = '0', frac] = fixed.split('.');
  const sign = x < 0 && Number(fixed) !== 0 ? '−' : '';
  return `${sign}${groupThousands(whole)}${frac === undefined ? '' : `.${frac}`}`;
}

export function formatPercent(x: number | null | undefined, decimals = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${formatNumber(x * 100, decimals)}%`;
}

/** Prices and quantities: up to 8 decimals, trailing zeros dropped (float noise like 0.30000000000000004 hidden). */
function formatPlain(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x !== 0 && Math.abs(x) < 1e-6) return String(x).replace('-', '−');
  const text = formatNumber(x, 8);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
export function formatUtc(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return '—';
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 19);
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts =
    d > 0
      ? [
          [d, 'd'],
          [h, 'h'],
          [m, 'm'],
        ]
      : h > 0
        ? [
            [h, 'h'],
            [m, 'm'],
          ]
        : [
            [m, 'm'],
            [sec, 's'],
          ];
  if (d > 0 || h > 0 || m > 0) {
    // Leading unit always shown, zero trailing units dropped: "1m", "2h 5m", "3d 0h 7m".
    const last = parts.reduce((at, [n], i) => (n !== 0 ? i : at), 0);
    return parts
      .slice(0, last + 1)
      .map(([n, unit]) => `${n}${unit}`)
      .join(' ');
  }
  return ms < 1000 && ms > 0 ? `${Math.round(ms)} ms` : `${sec}s`;
}

/** CSS class for the sign of a money or return figure. */
function signClass(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x) || x === 0) return 'num';
  return x > 0 ? 'num pos' : 'num neg';
}

// ---------------------------------------------------------------------------------------------
// Charts

export interface ChartPoint {
  readonly ts: number;
  readonly value: number;
}

/**
 * Keeps at most `maxPoints` points: the first and last, and per bucket the minimum and the maximum
 * in time order, so peaks and troughs (drawdowns) survive.
 */
export function downsample(points: readonly ChartPoint[], maxPoints = MAX_CHART_POINTS): ChartPoint[] {
  if (points.length <= maxPoints) return points.slice();
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const inner = points.length - 2;
  const out: ChartPoint[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      if (points[i]!.value < points[lo]!.value) lo = i;
      if (points[i]!.value > points[hi]!.value) hi = i;
    }
    if (lo === hi) out.push(points[lo]!);
    else if (lo < hi) out.push(points[lo]!, points[hi]!);
    else out.push(points[hi]!, points[lo]!);
  }
  out.push(points[points.length - 1]!);
  return out;
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  // Integer multiples of the step (no accumulated float error); −0 shown as 0.
  const last = Math.floor(max / step);
  for (let k = Math.ceil(min / step); k <= last; k++) {
    const v = k === 0 ? 0 : k * step;
    if (v >= min && v <= max) ticks.push(v);
  }
  if (ticks.length === 0) ticks.push(min);
  return ticks;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  91 * DAY,
  182 * DAY,
  365 * DAY,
];

/** Time ticks on round UTC boundaries (whole minutes, hours, days), at most about `maxTicks`. */
export function timeTicks(tMin: number, tMax: number, maxTicks = 7): { ticks: number[]; step: number } {
  const span = Math.max(1, tMax - tMin);
  const step = TIME_STEPS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / DAY) * DAY;
  const ticks: number[] = [];
  for (let t = Math.ceil(tMin / step) * step; t <= tMax; t += step) ticks.push(t);
  return { ticks, step };
}

function timeLabel(ts: number, step: number, spanMs: number): string {
  const iso = new Date(ts).toISOString();
  if (step >= DAY) return iso.slice(0, 10);
  if (step < MINUTE) return iso.slice(11, 19);
  return spanMs >= DAY ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

interface ChartSpec {
  readonly id: string;
  readonly label: string;
  readonly points: readonly ChartPoint[];
  readonly formatY: (v: number) => string;
  /** Shade between the line and this value (e.g. 0 for drawdown). */
  readonly fillTo?: number;
  readonly colour: string;
}

const CHART_W = 960;
const CHART_H = 300;
const PAD = { left: 78, right: 16, top: 12, bottom: 40 };

function r1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

export function renderLineChart(spec: ChartSpec): string {
  const pts = downsample(spec.points);
  const title = `<title>${escapeHtml(spec.label)}</title>`;
  const open = `<svg id="${escapeHtml(spec.id)}" class="chart" viewBox="0 0 ${CHART_W} ${CHART_H}" role="img" aria-label="${escapeHtml(spec.label)}" xmlns="http://www.w3.org/2000/svg">${title}`;
  if (pts.length === 0) {
    return `${open}<text x="${CHART_W / 2}" y="${CHART_H / 2}" text-anchor="middle" class="axis-label">no data</text></svg>`;
  }
  // One sample still draws a (flat) line.
  const series = pts.length === 1 ? [pts[0]!, pts[0]!] : pts;
  const tMin = series[0]!.ts;
  let tMax = series[series.length - 1]!.ts;
  if (tMax <= tMin) tMax = tMin + 1;
  let vMin = Number.POSITIVE_INFINITY;
  let vMax = Number.NEGATIVE_INFINITY;
  for (const p of series) {
    if (p.value < vMin) vMin = p.value;
    if (p.value > vMax) vMax = p.value;
  }
  if (spec.fillTo !== undefined) {
    vMin = Math.min(vMin, spec.fillTo);
    vMax = Math.max(vMax, spec.fillTo);
  }
  if (vMax - vMin < 1e-12 * Math.max(1, Math.abs(vMax))) {
    const pad = Math.abs(vMax) > 0 ? Math.abs(vMax) * 0.01 : 1;
    vMin -= pad;
    vMax += pad;
  } else {
    const pad = (vMax - vMin) * 0.05;
    vMin -= spec.fillTo === vMin ? 0 : pad;
    vMax += spec.fillTo === vMax ? 0 : pad;
  }
  const plotW = CHART_W - PAD.left - PAD.right;
  const plotH = CHART_H - PAD.top - PAD.bottom;
  const x = (ts: number) => PAD.left + ((ts - tMin) / (tMax - tMin)) * plotW;
  const y = (v: number) => PAD.top + (1 - (v - vMin) / (vMax - vMin)) * plotH;
  const single = pts.length === 1;
  const coords = series.map(
    (p, i) => `${r1(single ? (i === 0 ? PAD.left : PAD.left + plotW) : x(p.ts))},${r1(y(p.value))}`,
  );

  const parts: string[] = [open];
  for (const v of niceTicks(vMin, vMax)) {
    const yy = r1(y(v));
    parts.push(
      `<line class="grid" x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${yy}" y2="${yy}"/>`,
      `<text class="axis-label" x="${PAD.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeHtml(spec.formatY(v))}</text>`,
    );
  }
  const { ticks, step } = timeTicks(tMin, tMax);
  for (const ts of ticks) {
    const xx = r1(x(ts));
    parts.push(
      `<line class="tick" x1="${xx}" x2="${xx}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH + 5}"/>`,
      `<text class="axis-label" x="${xx}" y="${PAD.top + plotH + 18}" text-anchor="${x(ts) > CHART_W - PAD.right - 40 ? 'end' : 'middle'}">${escapeHtml(timeLabel(ts, step, tMax - tMin))}</text>`,
    );
  }
  parts.push(
    `<text class="axis-label" x="${PAD.left + plotW}" y="${CHART_H - 4}" text-anchor="end">UTC</text>`,
    `<line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}"/>`,
    `<line class="axis" x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}"/>`,
  );
  if (spec.fillTo !== undefined) {
    const base = r1(y(spec.fillTo));
    const first = coords[0]!.split(',')[0];
    const last = coords[coords.length - 1]!.split(',')[0];
    parts.push(
      `<polygon class="area" fill="${spec.colour}" points="${first},${base} ${coords.join(' ')} ${last},${base}"/>`,
    );
  }
  parts.push(`<polyline class="line" stroke="${spec.colour}" points="${coords.join(' ')}"/>`, '</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Tables

interface MetricRow {
  readonly key: keyof BacktestMetrics;
  readonly label: string;
  readonly text: string;
  readonly cls: string;
}

function metricRows(m: BacktestMetrics): MetricRow[] {
  const row = (
    key: keyof BacktestMetrics,
    label: string,
    text: string,
    signed?: number | null,
  ): MetricRow => ({
    key,
    label,
    text,
    cls: signed === undefined ? 'num' : signClass(signed),
  });
  return [
    row('finalEquity', 'Final equity', formatNumber(m.finalEquity)),
    row('totalReturn', 'Total return', formatPercent(m.totalReturn), m.totalReturn),
    row('annualizedReturn', 'Annualized return', formatPercent(m.annualizedReturn), m.annualizedReturn),
    row('annualizedVolatility', 'Annualized volatility', formatPercent(m.annualizedVolatility)),
    row('sharpe', 'Sharpe ratio', formatNumber(m.sharpe), m.sharpe),
    row('sortino', 'Sortino ratio', formatNumber(m.sortino), m.sortino),
    row('maxDrawdown', 'Max drawdown', formatPercent(m.maxDrawdown), m.maxDrawdown > 0 ? -m.maxDrawdown : 0),
    row('maxDrawdownDurationMs', 'Longest drawdown', formatDuration(m.maxDrawdownDurationMs)),
    row('calmar', 'Calmar ratio', formatNumber(m.calmar), m.calmar),
    row('winRate', 'Win rate (round trips)', formatPercent(m.winRate, 1)),
    row('roundTrips', 'Closed round trips', formatNumber(m.roundTrips, 0)),
    row('profitFactor', 'Profit factor', formatNumber(m.profitFactor)),
    row('closedPnl', 'Net PnL of closed round trips', formatNumber(m.closedPnl), m.closedPnl),
    row('trades', 'Trades', formatNumber(m.trades, 0)),
    row('turnover', 'Turnover (× average equity)', formatNumber(m.turnover)),
    row('fees', 'Fees', formatNumber(m.fees)),
    row('exposureTime', 'Time in market', formatPercent(m.exposureTime, 1)),
    row('periodMs', 'Sampling period', formatDuration(m.periodMs)),
  ];
}

function renderMetrics(m: BacktestMetrics): string {
  const rows = metricRows(m)
    .map(
      (r) =>
        `<tr data-metric="${r.key}"><th scope="row">${escapeHtml(r.label)}</th><td class="${r.cls}">${escapeHtml(r.text)}</td></tr>`,
    )
    .join('\n');
  return `<table id="metrics" class="kv"><tbody>\n${rows}\n</tbody></table>`;
}

function renderHeaderInfo(input: BacktestReportInput): string {
  const { run, series } = input;
  const rows: Array<[string, string]> = [
    ['Mode', run.mode],
    ['Period (UTC)', `${formatUtc(run.startTs)} → ${formatUtc(run.endTs)}`],
    ['Seed', String(run.seed)],
    ['Initial equity', formatNumber(series.initialEquity)],
    ['Data files', run.dataFiles.length === 0 ? '—' : run.dataFiles.join('\n')],
  ];
  if (run.generatedAtTs !== undefined) rows.push(['Generated (UTC)', formatUtc(run.generatedAtTs)]);
  const info = rows
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td class="wrap">${escapeHtml(v)}</td></tr>`)
    .join('\n');
  const configEntries = Object.entries(run.config ?? {});
  const config =
    configEntries.length === 0
      ? ''
      : `<table id="config" class="kv"><caption>Configuration</caption><tbody>\n${configEntries
          .map(
            ([k, v]) =>
              `<tr><th scope="row">${escapeHtml(k)}</th><td class="wrap">${escapeHtml(String(v))}</td></tr>`,
          )
          .join('\n')}\n</tbody></table>`;
  return `<div class="cols"><table id="run-info" class="kv"><caption>Run</caption><tbody>\n${info}\n</tbody></table>${config}</div>`;
}

function tradeRow(t: BacktestTrade, index: number, realized: readonly number[]): string {
  const agents = t.agentIds === undefined || t.agentIds.length === 0 ? '—' : t.agentIds.join(', ');
  const notional = t.price * t.quantity * (t.contractSize ?? 1);
  const pnl = t.realizedPnl ?? realized[index];
  return (
    `<tr id="trade-${index}" data-trade="${index}"><td class="num">${index + 1}</td><td class="mono">${escapeHtml(formatUtc(t.ts))}</td>` +
    `<td>${escapeHtml(t.instrumentId)}</td><td class="${t.side === 'buy' ? 'buy' : 'sell'}">${escapeHtml(t.side)}</td>` +
    `<td class="num">${escapeHtml(formatPlain(t.price))}</td><td class="num">${escapeHtml(formatPlain(t.quantity))}</td>` +
    `<td class="num">${escapeHtml(formatNumber(notional))}</td><td class="num">${escapeHtml(formatNumber(t.fee, 4))}</td>` +
    `<td class="${signClass(pnl)}">${escapeHtml(pnl === 0 ? '' : formatNumber(pnl))}</td>` +
    `<td>${escapeHtml(agents)}</td></tr>`
  );
}

function renderTrades(trades: readonly BacktestTrade[], head: number, tail: number): string {
  if (trades.length === 0) return '<p class="note">No trades.</p>';
  const header =
    '<thead><tr><th class="num">#</th><th>Time (UTC)</th><th>Instrument</th><th>Side</th><th class="num">Price</th>' +
    '<th class="num">Quantity</th><th class="num">Notional</th><th class="num">Fee</th><th class="num">Realized PnL</th><th>Agents</th></tr></thead>';
  const truncated = trades.length > head + tail;
  const realized = analyzeRoundTrips(trades).realizedPerTrade;
  const rows: string[] = [];
  if (!truncated) {
    for (let i = 0; i < trades.length; i++) rows.push(tradeRow(trades[i]!, i, realized));
  } else {
    for (let i = 0; i < head; i++) rows.push(tradeRow(trades[i]!, i, realized));
    const hidden = trades.length - head - tail;
    rows.push(`<tr class="gap"><td colspan="10">… ${formatNumber(hidden, 0)} trades not shown …</td></tr>`);
    for (let i = trades.length - tail; i < trades.length; i++) rows.push(tradeRow(trades[i]!, i, realized));
  }
  const note = truncated
    ? `<p class="note" id="trades-truncated">Showing the first ${head} and the last ${tail} of ${formatNumber(trades.length, 0)} trades; the metrics above cover all of them.</p>`
    : '';
  return `${note}<div class="scroll"><table id="trades" class="grid-table">${header}<tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function renderAgents(input: BacktestReportInput): string {
  if (input.agents.length === 0) return '<p class="note">No trades to attribute.</p>';
  const rows = input.agents
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.agentId)}</td><td class="num">${formatNumber(a.trades, 0)}</td>` +
        `<td class="${signClass(a.realizedPnl)}">${formatNumber(a.realizedPnl)}</td><td class="num">${formatNumber(a.fees)}</td>` +
        `<td class="${signClass(a.netPnl)}">${formatNumber(a.netPnl)}</td></tr>`,
    )
    .join('\n');
  return (
    '<div class="scroll"><table id="agents" class="grid-table"><thead><tr><th>Agent</th><th class="num">Trades</th>' +
    '<th class="num">Realized PnL</th><th class="num">Fees</th><th class="num">Net PnL</th></tr></thead>' +
    `<tbody>\n${rows}\n</tbody></table></div>` +
    '<p class="note">A trade made by several agents counts once for each; its PnL and fee are split equally among them.</p>'
  );
}

function renderBooks(books: readonly BookStatsRow[]): string {
  const rows = books
    .map(
      (b) =>
        `<tr><td>${escapeHtml(b.instrumentId)}</td><td class="num">${formatNumber(b.updates, 0)}</td>` +
        `<td class="num">${formatNumber(b.gaps, 0)}</td><td class="num">${formatNumber(b.resyncs, 0)}</td>` +
        `<td class="num">${formatNumber(b.bookTickerMismatches, 0)}</td></tr>`,
    )
    .join('\n');
  return (
    '<div class="scroll"><table id="books" class="grid-table"><thead><tr><th>Book</th><th class="num">Updates</th>' +
    '<th class="num">Gaps</th><th class="num">Resyncs</th><th class="num">bookTicker mismatches</th></tr></thead>' +
    `<tbody>\n${rows}\n</tbody></table></div>`
  );
}

// ---------------------------------------------------------------------------------------------
// Page

const STYLE = `
:root{--fg:#1b1f24;--muted:#5b6570;--line:#d8dde3;--bg:#fff;--band:#f5f7f9;--pos:#1a7f37;--neg:#c0392b;--accent:#1f5fa8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:32px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 16px}
.cols{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.cols>table{flex:1 1 320px}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:0 0 6px}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--band);font-weight:600;white-space:nowrap}
thead th.num{font-family:inherit}
table.kv th{font-weight:500;color:var(--muted);width:45%}
.grid-table tbody tr:nth-child(even){background:#fafbfc}
.num{text-align:right;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
.wrap{white-space:pre-wrap;overflow-wrap:anywhere}
.pos{color:var(--pos)} .neg{color:var(--neg)}
.buy{color:var(--pos);font-weight:600} .sell{color:var(--neg);font-weight:600}
.metrics-wrap{max-width:560px}
#trades tbody tr[data-trade]{cursor:pointer}
#trades tbody tr.lit,#trades tbody tr.lit:nth-child(even){background:#fff3c4;outline:2px solid #f0b400}
.lw{height:600px;width:100%;position:relative;border:1px solid var(--line)}
.sell-mark{color:${SELL_MARKER_COLOUR};font-weight:600}
.buy-mark{color:${BUY_MARKER_COLOUR};font-weight:600}
svg.heatmap{max-width:100%;height:auto;display:block}
svg.heatmap text{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.warn{color:#8a5a00;background:#fff6dd;padding:6px 10px;border-left:3px solid #f0b400}
tr.best td{font-weight:600;background:#eef6ee}
tr.gap td{text-align:center;color:var(--muted);font-style:italic;background:var(--band)}
.note{color:var(--muted);font-size:12.5px;margin:6px 0}
.scroll{overflow-x:auto}
svg.chart{width:100%;height:auto;display:block;background:#fff}
svg .grid{stroke:#eceff2;stroke-width:1}
svg .axis,svg .tick{stroke:#8a939c;stroke-width:1}
svg .axis-label{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:var(--muted)}
svg .line{fill:none;stroke-width:1.5;stroke-linejoin:round}
svg .area{opacity:.15;stroke:none}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@media (max-width:640px){main{padding:12px}th,td{padding:3px 6px}}
`;

// ---------------------------------------------------------------------------------------------
// Sweeps

/** Colour of a heatmap cell: red (worst) through pale yellow to green (best), by rank position. */
function heatColour(share: number): string {
  const stops = [
    [192, 57, 43],
    [250, 240, 200],
    [26, 127, 55],
  ] as const;
  const x = Math.min(1, Math.max(0, share)) * 2;
  const [a, b] = x <= 1 ? [stops[0], stops[1]] : [stops[1], stops[2]];
  const f = x <= 1 ? x : x - 1;
  const mix = (i: number) => Math.round(a[i]! + (b[i]! - a[i]!) * f);
  return `rgb(${mix(0)},${mix(1)},${mix(2)})`;
}

/**
 * Heatmap of the rank metric over the first two swept parameters (the best value over any
 * others); a blank cell is a combination that was not run (invalid, or failed).
 */
export function renderSweepHeatmap(section: SweepReportSection): string {
  const [xName, yName] = section.names;
  if (xName === undefined) return '';
  const xs = [...new Set(section.rows.map((r) => r.params[xName]!))].sort((a, b) => a - b);
  const ys =
    yName === undefined
      ? [Number.NaN]
      : [...new Set(section.rows.map((r) => r.params[yName]!))].sort((a, b) => a - b);
  const metric = section.rankBy;
  const cells = new Map<string, { value: number | null; rank: number }>();
  for (const r of section.rows) {
    const key = `${r.params[xName]}|${yName === undefined ? 'NaN' : r.params[yName]}`;
    const value = r.metrics[metric];
    const seen = cells.get(key);
    if (seen === undefined || r.rank < seen.rank) cells.set(key, { value, rank: r.rank });
  }
  const ranked = section.rows.length;
  const cw = Math.max(36, Math.min(90, Math.floor(860 / xs.length)));
  const ch = 28;
  const left = 70;
  const top = 24;
  const width = left + cw * xs.length + 10;
  const height = top + ch * ys.length + 40;
  const parts = [
    `<svg id="sweep-heatmap" class="heatmap" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`${metric} by ${section.names.join(' and ')}`)}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(`${metric} by ${section.names.slice(0, 2).join(' × ')}`)}</title>`,
  ];
  ys.forEach((y, j) => {
    const yy = top + (ys.length - 1 - j) * ch;
    if (yName !== undefined)
      parts.push(
        `<text x="${left - 6}" y="${yy + ch / 2}" text-anchor="end" dominant-baseline="middle">${escapeHtml(String(y))}</text>`,
      );
    xs.forEach((x, i) => {
      const cell = cells.get(`${x}|${yName === undefined ? 'NaN' : y}`);
      const xx = left + i * cw;
      if (cell === undefined) {
        parts.push(
          `<rect x="${xx}" y="${yy}" width="${cw - 1}" height="${ch - 1}" fill="#f5f7f9"><title>not run</title></rect>`,
        );
        return;
      }
      const share = ranked <= 1 ? 1 : 1 - (cell.rank - 1) / (ranked - 1);
      const label =
        cell.value === null
          ? '—'
          : formatNumber(
              cell.value,
              metric === 'sharpe' || metric === 'sortino' || metric === 'calmar' || metric === 'profitFactor'
                ? 2
                : 3,
            );
      parts.push(
        `<rect class="cell" data-x="${x}" data-y="${yName === undefined ? '' : y}" data-rank="${cell.rank}" x="${xx}" y="${yy}" width="${cw - 1}" height="${ch - 1}" fill="${cell.value === null ? '#e6e9ec' : heatColour(share)}"${cell.rank === 1 ? ' stroke="#1b1f24" stroke-width="2"' : ''}><title>${escapeHtml(`${xName}=${x}${yName === undefined ? '' : ` ${yName}=${y}`}: ${metric} ${label}, rank ${cell.rank}`)}</title></rect>`,
        `<text x="${xx + cw / 2}" y="${yy + ch / 2}" text-anchor="middle" dominant-baseline="middle" fill="#1b1f24">${escapeHtml(label)}</text>`,
      );
    });
  });
  xs.forEach((x, i) => {
    parts.push(
      `<text x="${left + i * cw + cw / 2}" y="${top + ch * ys.length + 14}" text-anchor="middle">${escapeHtml(String(x))}</text>`,
    );
  });
  parts.push(
    `<text x="${left + (cw * xs.length) / 2}" y="${height - 6}" text-anchor="middle" font-weight="600">${escapeHtml(xName)}</text>`,
  );
  if (yName !== undefined) parts.push(`<text x="4" y="14" font-weight="600">${escapeHtml(yName)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function renderSweep(section: SweepReportSection): string {
  const metric = section.rankBy;
  const guard = section.guard;
  const pbo = guard.pbo;
  const dsr = guard.deflatedSharpe;
  const paramText = (p: Readonly<Record<string, number>>) =>
    Object.entries(p)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  const guardRows: Array<[string, string]> = [
    [
      'Probability of backtest overfitting (CSCV)',
      pbo === null
        ? '—'
        : `${formatPercent(pbo.pbo, 1)} (${pbo.blocks} blocks, ${formatNumber(pbo.splits, 0)} splits)`,
    ],
    [
      'Deflated Sharpe ratio of the best Sharpe',
      dsr === null
        ? '—'
        : `${formatPercent(dsr.dsr, 1)} for ${paramText(dsr.params)} (Sharpe per period ${formatNumber(dsr.sharpe, 4)} vs ${formatNumber(dsr.expectedMaxSharpe, 4)} expected from the best of ${dsr.trials} unskilled trials)`,
    ],
  ];
  const warning =
    pbo !== null && pbo.pbo >= 0.5
      ? '<p class="warn">In most splits the in-sample best is no better than the median out of sample: the top row is likely the luckiest, not the best.</p>'
      : '';
  const names = section.names;
  const shown = section.rows.slice(0, 50);
  const table =
    `<div class="scroll"><table id="sweep-table" class="grid-table"><thead><tr><th class="num">Rank</th>${names.map((n) => `<th class="num">${escapeHtml(n)}</th>`).join('')}` +
    '<th class="num">Sharpe</th><th class="num">Return</th><th class="num">Max drawdown</th><th class="num">Trades</th><th class="num">Win rate</th></tr></thead><tbody>\n' +
    shown
      .map(
        (r) =>
          `<tr${r.rank === 1 ? ' class="best"' : ''}><td class="num">${r.rank}</td>${names.map((n) => `<td class="num">${escapeHtml(String(r.params[n]))}</td>`).join('')}` +
          `<td class="${signClass(r.metrics.sharpe)}">${formatNumber(r.metrics.sharpe)}</td><td class="${signClass(r.metrics.totalReturn)}">${formatPercent(r.metrics.totalReturn)}</td>` +
          `<td class="num">${formatPercent(r.metrics.maxDrawdown)}</td><td class="num">${formatNumber(r.trades, 0)}</td><td class="num">${formatPercent(r.metrics.winRate, 1)}</td></tr>`,
      )
      .join('\n') +
    '\n</tbody></table></div>' +
    (section.rows.length > shown.length
      ? `<p class="note">The best 50 of ${section.rows.length} rows; the JSON result has all of them.</p>`
      : '');
  const wf = section.walkForward;
  const walk =
    wf === null
      ? ''
      : `<h2>Walk-forward</h2><div class="scroll"><table id="walk-forward" class="grid-table"><thead><tr><th class="num">Fold</th><th>In sample (UTC)</th><th>Out of sample (UTC)</th><th>Chosen in sample</th><th class="num">${escapeHtml(metric)} in</th><th class="num">${escapeHtml(metric)} out</th><th class="num">Rank out</th><th class="num">Return out</th></tr></thead><tbody>\n${wf.folds
          .map(
            (f) =>
              `<tr><td class="num">${f.fold}</td><td class="mono">${escapeHtml(`${formatUtc(f.inSample.start).slice(0, 16)} → ${formatUtc(f.inSample.end).slice(0, 16)}`)}</td>` +
              `<td class="mono">${escapeHtml(`${formatUtc(f.outOfSample.start).slice(0, 16)} → ${formatUtc(f.outOfSample.end).slice(0, 16)}`)}</td><td>${escapeHtml(paramText(f.chosen))}</td>` +
              `<td class="num">${formatNumber(f.inSampleValue, 3)}</td><td class="${signClass(f.outOfSampleValue)}">${formatNumber(f.outOfSampleValue, 3)}</td>` +
              `<td class="num">${f.outOfSampleRank} / ${section.rows.length}</td><td class="${signClass(f.outOfSampleReturn)}">${formatPercent(f.outOfSampleReturn)}</td></tr>`,
          )
          .join(
            '\n',
          )}\n</tbody></table></div><p class="note">Each fold picks the best combination on one window and shows it on the next; compounded out-of-sample return ${formatPercent(wf.outOfSampleReturn)}.</p>`;
  return (
    `<h2>Sweep: ${escapeHtml(metric)} by ${escapeHtml(names.slice(0, 2).join(' × '))}</h2>${renderSweepHeatmap(section)}` +
    `<p class="note">${section.rows.length} combinations run${section.skipped > 0 ? `, ${section.skipped} invalid ones skipped` : ''}; the outlined cell is the best, shown in full below.</p>` +
    `<h2>Overfitting guard</h2><table id="overfitting" class="kv"><tbody>\n${guardRows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}\n</tbody></table>${warning}` +
    '<p class="note">PBO: how often the best combination on half of the data ranks below the median on the other half, over every split into halves (Bailey, Borwein, López de Prado, Zhu). Deflated Sharpe: the probability that the best Sharpe is real, given how many combinations were tried (Bailey, López de Prado).</p>' +
    `<h2>Ranked by ${escapeHtml(metric)}</h2>${table}${walk}`
  );
}

export function renderBacktestReport(input: BacktestReportInput): string {
  const { run, metrics, series } = input;
  const title = run.title ?? (run.mode === 'replay' ? 'Replay' : 'Backtest');
  const equityPoints: ChartPoint[] = series.equity.map((p: EquityPoint) => ({ ts: p.ts, value: p.equity }));
  const drawdownPoints: ChartPoint[] = drawdownSeries(series.equity).map((p) => ({
    ts: p.ts,
    value: -p.drawdown,
  }));
  const rows = input.prices === undefined ? DEFAULT_TRADE_ROWS : CHART_TRADE_ROWS / 2;
  const head = input.tradeRows?.head ?? rows;
  const tail = input.tradeRows?.tail ?? rows;
  const total = series.trades.length;
  const rowIds = series.trades.map((_, i) =>
    total <= head + tail || i < head || i >= total - tail ? i : null,
  );
  const sampled =
    series.equity.length > MAX_CHART_POINTS
      ? ` (drawn from ${MAX_CHART_POINTS} of ${formatNumber(series.equity.length, 0)} samples, extremes kept)`
      : '';

  const sections = [
    `<header><h1>${escapeHtml(`Concord ${title}`)}</h1><p class="sub">${escapeHtml(`${formatUtc(run.startTs)} → ${formatUtc(run.endTs)} UTC · seed ${run.seed}`)}</p></header>`,
    renderHeaderInfo(input),
    `<h2>Metrics</h2><div class="metrics-wrap">${renderMetrics(metrics)}</div>`,
    ...(input.sweep === undefined ? [] : [renderSweep(input.sweep)]),
    ...(input.prices === undefined
      ? []
      : [`<h2>Price and trades</h2>${renderPriceChart(input.prices, series, rowIds, escapeHtml)}`]),
    `<h2>Equity</h2>${renderLineChart({ id: 'equity-chart', label: 'Equity', points: equityPoints, formatY: (v) => formatNumber(v, Math.abs(v) >= 100 ? 0 : 2), colour: '#1f5fa8' })}<p class="note">Equity in quote currency${escapeHtml(sampled)}.</p>`,
    `<h2>Drawdown</h2>${renderLineChart({ id: 'drawdown-chart', label: 'Drawdown', points: drawdownPoints, formatY: (v) => formatPercent(v, 1), fillTo: 0, colour: '#c0392b' })}<p class="note">Fall from the running peak of equity.</p>`,
    `<h2>Per-agent attribution</h2>${renderAgents(input)}`,
  ];
  if (input.books !== undefined && input.books.length > 0)
    sections.push(`<h2>Order books</h2>${renderBooks(input.books)}`);
  sections.push(`<h2>Trades</h2>${renderTrades(series.trades, head, tail)}`);
  sections.push(
    '<footer>Sharpe: mean excess period return over its sample standard deviation, × √periods per year. ' +
      'Sortino: the same over the downside deviation (root mean square of the shortfall below the risk-free rate, over all periods). ' +
      'A round trip runs from a flat position back to flat (average cost); win rate and profit factor use its PnL net of fees. ' +
      "Realized PnL per trade is the portfolio's figure when recorded, else the average-cost figure (blank when the trade realizes nothing). " +
      '“—” marks a figure that is undefined for this run (e.g. a ratio with a zero denominator).</footer>',
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Concord ${title} — ${formatUtc(run.startTs)} → ${formatUtc(run.endTs)}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${sections.join('\n')}
</main>
</body>
</html>
`;
}
