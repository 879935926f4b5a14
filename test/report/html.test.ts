import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChartPoint,
  downsample,
  escapeHtml,
  formatDuration,
  formatNumber,
  formatPercent,
  MAX_CHART_POINTS,
  niceTicks,
  renderBacktestReport,
  renderSweepHeatmap,
  timeTicks,
} from '../../src/analysis/report/index.ts';
import { HOSTILE_AGENT, syntheticReportInput, syntheticSeries } from './fixtures.ts';

function polylinePoints(html: string, svgId: string): Array<[number, number]> {
  const svg = html.match(new RegExp(`<svg id="${svgId}"[\\s\\S]*?</svg>`))?.[0] ?? '';
  const points = svg.match(/<polyline[^>]* points="([^"]*)"/)?.[1] ?? '';
  return points
    .split(' ')
    .filter(Boolean)
    .map((pair) => pair.split(',').map(Number) as [number, number]);
}

describe('renderBacktestReport', () => {
  const input = syntheticReportInput();
  const html = renderBacktestReport(input);

  it('is one self-contained document: no scripts without a price chart, no external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<[^>]*\s(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).toContain('<style>');
  });

  it('escapes every piece of input text (agent ids, file names)', () => {
    expect(input.agents.some((a) => a.agentId === HOSTILE_AGENT)).toBe(true);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.csv');
  });

  it('shows the run header: period in UTC, seed, data files and config', () => {
    expect(html).toContain('<title>Concord Backtest — 2024-08-08 00:00:00 → 2024-08-10 23:59:00</title>');
    expect(html).toContain('btc-perp-1m-2022-01.csv');
    expect(html).toMatch(/<th scope="row">Seed<\/th><td[^>]*>42</);
    expect(html).toMatch(/risk\.maxNotional<\/th><td[^>]*>250000</);
  });

  it('lists the metrics with their formatted values', () => {
    const m = input.metrics;
    const cell = (key: string) =>
      html.match(new RegExp(`<tr data-metric="${key}">.*?<td[^>]*>([^<]*)</td>`))?.[1];
    expect(cell('sharpe')).toBe(formatNumber(m.sharpe));
    expect(cell('maxDrawdown')).toBe(formatPercent(m.maxDrawdown));
    expect(cell('winRate')).toBe(formatPercent(m.winRate, 1));
    expect(cell('trades')).toBe(String(input.series.trades.length));
    expect(cell('fees')).toBe(formatNumber(m.fees));
    expect(m.trades).toBeGreaterThan(100);
  });

  it('draws equity and drawdown as downsampled polylines inside the plot area', () => {
    expect(input.series.equity.length).toBeGreaterThan(MAX_CHART_POINTS);
    for (const id of ['equity-chart', 'drawdown-chart']) {
      const pts = polylinePoints(html, id);
      expect(pts.length).toBeGreaterThanOrEqual(2);
      expect(pts.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
      for (const [x, y] of pts) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(960);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(300);
      }
      // Time runs left to right.
      for (let i = 1; i < pts.length; i++) expect(pts[i]![0]).toBeGreaterThanOrEqual(pts[i - 1]![0]);
    }
    expect(html).toMatch(/<text class="axis-label"[^>]*>08-08 00:00<\/text>/);
  });

  it('truncates the trades table to the first and last rows with a note', () => {
    const small = renderBacktestReport({ ...input, tradeRows: { head: 5, tail: 3 } });
    const table = small.match(/<table id="trades"[\s\S]*?<\/table>/)?.[0] ?? '';
    expect(table.match(/<tr id="trade-\d+" data-trade="\d+"><td class="num">/g)).toHaveLength(8);
    expect(small).toContain(`Showing the first 5 and the last 3 of ${input.series.trades.length} trades`);
    expect(table).toContain(`<td class="num">${input.series.trades.length}</td>`);
  });

  it('shows every trade, without a note, when they fit', () => {
    const few = syntheticSeries(200);
    const page = renderBacktestReport(syntheticReportInput(few));
    expect(page).not.toContain('id="trades-truncated"');
    expect(page.match(/<tr id="trade-\d+" data-trade="\d+"><td class="num">/g)).toHaveLength(
      few.trades.length,
    );
  });

  it('has the per-agent and per-book tables, the book table only when books are given', () => {
    expect(html).toContain('<table id="agents"');
    expect(html).toMatch(/<table id="books"[\s\S]*binance:BTCUSDT[\s\S]*41,000/);
    expect(renderBacktestReport({ ...input, books: undefined })).not.toContain('id="books"');
  });

  it('renders an empty run without failing', () => {
    const empty = syntheticReportInput({ equity: [], trades: [], initialEquity: 1000 });
    const page = renderBacktestReport(empty);
    expect(page).toContain('no data');
    expect(page).toContain('No trades.');
    const one = renderBacktestReport(
      syntheticReportInput({ equity: [{ ts: 0, equity: 5 }], trades: [], initialEquity: 5 }),
    );
    expect(polylinePoints(one, 'equity-chart')).toHaveLength(2);
  });

  it('is deterministic', () => {
    expect(renderBacktestReport(syntheticReportInput())).toBe(html);
  });
});

describe('report helpers', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('formats numbers without locale, with a real minus and a dash for missing values', () => {
    expect(formatNumber(1234567.891)).toBe('1,234,567.89');
    expect(formatNumber(-0.5)).toBe('−0.50');
    expect(formatNumber(-0.001)).toBe('0.00');
    expect(formatNumber(null)).toBe('—');
    expect(formatPercent(0.12345)).toBe('12.35%');
    expect(formatNumber(5.0299e79)).toBe('5.030e+79');
  });

  it('formats durations with the leading unit and no zero tail', () => {
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(61_000)).toBe('1m 1s');
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe('2h 5m');
    expect(formatDuration(3 * 86_400_000 + 7 * 60_000)).toBe('3d 0h 7m');
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(null)).toBe('—');
  });

  it('downsampling keeps ≤ max points, the ends, the extremes and time order', () => {
    const series = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
      minLength: 1,
      maxLength: 5000,
    });
    fc.assert(
      fc.property(series, fc.integer({ min: 4, max: 600 }), (values, max) => {
        const points: ChartPoint[] = values.map((value, ts) => ({ ts, value }));
        const out = downsample(points, max);
        expect(out.length).toBeLessThanOrEqual(Math.max(max, 2));
        expect(out[0]).toBe(points[0]);
        expect(out[out.length - 1]).toBe(points[points.length - 1]);
        expect(Math.min(...out.map((p) => p.value))).toBe(Math.min(...values));
        expect(Math.max(...out.map((p) => p.value))).toBe(Math.max(...values));
        for (let i = 1; i < out.length; i++) expect(out[i]!.ts).toBeGreaterThanOrEqual(out[i - 1]!.ts);
      }),
      { numRuns: 50 },
    );
  });

  it('time ticks sit on round UTC boundaries inside the range, a handful of them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2e12 }),
        fc.integer({ min: 1000, max: 5 * 365 * 86_400_000 }),
        (start, span) => {
          const { ticks, step } = timeTicks(start, start + span);
          expect(ticks.length).toBeLessThanOrEqual(8);
          expect(ticks.length).toBeGreaterThanOrEqual(span >= step ? 1 : 0);
          for (const t of ticks) {
            expect(t % step).toBe(0);
            expect(t).toBeGreaterThanOrEqual(start);
            expect(t).toBeLessThanOrEqual(start + span);
          }
        },
      ),
    );
    expect(timeTicks(Date.UTC(2024, 0, 1, 0, 0, 30), Date.UTC(2024, 0, 1, 0, 6)).step).toBe(60_000);
  });

  it('nice ticks lie inside the range and are evenly spaced', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e9, noNaN: true }),
        (lo, width) => {
          const ticks = niceTicks(lo, lo + width);
          expect(ticks.length).toBeGreaterThanOrEqual(1);
          expect(ticks.length).toBeLessThanOrEqual(11);
          for (const t of ticks) {
            expect(t).toBeGreaterThanOrEqual(lo - width * 1e-6);
            expect(t).toBeLessThanOrEqual(lo + width + width * 1e-6);
          }
        },
      ),
    );
  });
});

describe('buildBacktestResult', () => {
  it('is plain JSON (round-trips through JSON.stringify unchanged) and keeps only the book counters', () => {
    const { series: _series, ...result } = syntheticReportInput();
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(Object.keys(result.books?.[0] ?? {}).sort()).toEqual([
      'bookTickerMismatches',
      'gaps',
      'instrumentId',
      'resyncs',
      'updates',
    ]);
    expect(result.metrics.trades).toBe(_series.trades.length);
  });
});

describe('renderBacktestReport with a price chart', () => {
  const input = syntheticReportInput();
  const ts = input.series.equity.map((p) => p.ts);
  const close = input.series.equity.map((_, i) => 60_000 + 50 * Math.sin(i / 40));
  const prices = {
    instrumentId: '<b>sim-a:BTC-USDT</b>' as const,
    kind: 'candles' as const,
    ts,
    open: close,
    high: close.map((c) => c + 10),
    low: close.map((c) => c - 10),
    close,
  };
  const html = renderBacktestReport({ ...input, prices });
  const data = JSON.parse(
    html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)?.[1] ?? 'null',
  ) as {
    t: number[];
    trades: Array<[number, string, number, number, number | null, number]>;
    instrumentId: string;
  };

  it('inlines the chart library and its data; still no external resource', () => {
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toContain('TradingView Lightweight Charts™ v5.2.1');
    expect(data.t).toHaveLength(ts.length);
  });

  it('keeps input text inert inside the data block', () => {
    const block = html.match(/id="report-data">(.*?)<\/script>/s)?.[1] ?? '';
    expect(block).not.toContain('<');
    expect(data.instrumentId).toBe('<b>sim-a:BTC-USDT</b>');
    expect(html).toContain('&lt;b&gt;sim-a:BTC-USDT&lt;/b&gt; candles');
  });

  it('lists every trade, each marker pointing at its row', () => {
    expect(html).not.toContain('id="trades-truncated"');
    expect(data.trades).toHaveLength(input.series.trades.length);
    for (const [i, t] of data.trades.entries()) {
      expect(t[4]).toBe(i);
      expect(html).toContain(`<tr id="trade-${i}" data-trade="${i}">`);
    }
  });
});

describe('renderSweepHeatmap', () => {
  const metrics = syntheticReportInput().metrics;
  const row = (rank: number, fast: number, slow: number, sharpe: number) => ({
    rank,
    params: { fast, slow },
    metrics: { ...metrics, sharpe },
    trades: 10,
    tradesSha256: '',
    journalHash: '',
  });
  it('colours a cell per run combination, outlines the best, leaves the rest blank', () => {
    const svg = renderSweepHeatmap({
      names: ['fast', 'slow'],
      rankBy: 'sharpe',
      rows: [row(1, 5, 30, 1.5), row(2, 10, 30, 0.2), row(3, 5, 20, -1)],
      skipped: 1,
      walkForward: null,
      guard: { pbo: null, deflatedSharpe: null },
    });
    expect(svg.match(/<rect class="cell"/g)).toHaveLength(3);
    expect(svg).toMatch(/data-x="5" data-y="30" data-rank="1"[^>]*stroke="#1b1f24"/);
    expect(svg).toContain('<title>not run</title>');
    expect(svg).toContain('>1.50<');
  });
});
