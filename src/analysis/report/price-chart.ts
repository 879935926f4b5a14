/**
 * The report's interactive price chart: TradingView's lightweight-charts (Apache-2.0, the
 * standalone build inlined into the page, so the report still opens offline as one file) with the
 * candles (or the mid/last line of tick data), a marker on every fill, and equity and drawdown in
 * panes beneath on the same time axis. A marker and its row in the trade table point at each
 * other: clicking the chart near a fill highlights and scrolls to its row; clicking a row moves the
 * chart to the fill.
 *
 * The page's data is one JSON block (`<script type="application/json">`, every `<` escaped, so
 * no input text can close it); the code that draws it is the fixed script below.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConcordError } from '../../core/index.ts';
import type { PriceSeries } from '../../data/index.ts';
import { type BacktestSeries, drawdownSeries } from './metrics.ts';

/** Marker colours: not the candles' own (teal up, red down), so a marker is told by its colour. */
export const BUY_MARKER_COLOUR = '#2962ff';
export const SELL_MARKER_COLOUR = '#ff6d00';

let library: string | undefined;

/** The standalone build of lightweight-charts (read once; CONCORD_ERR_REPORT_CHART_LIBRARY if missing). */
export function chartLibrarySource(): string {
  if (library !== undefined) return library;
  let path = '(unresolved)';
  try {
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
    path = join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js');
    library = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConcordError(
      'CONCORD_ERR_REPORT_CHART_LIBRARY',
      `cannot read the chart library for the report (${path}); reinstall the package lightweight-charts`,
      { details: { path }, cause },
    );
  }
  if (/<\/script/i.test(library)) {
    throw new ConcordError(
      'CONCORD_ERR_REPORT_CHART_LIBRARY',
      `the chart library ${path} cannot be inlined`,
      {
        details: { path },
      },
    );
  }
  return library;
}

/** JSON that is safe inside a <script> element: no `<` (so no `</script>`), no line separators. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const secs = (ms: number) => Math.floor(ms / 1000);

/** The chart's data: columns of numbers (seconds since epoch), compact in the page. */
export function priceChartData(
  prices: PriceSeries,
  series: BacktestSeries,
  rowIds: readonly (number | null)[],
) {
  const dd = drawdownSeries(series.equity);
  return {
    instrumentId: prices.instrumentId,
    kind: prices.kind,
    t: prices.ts.map(secs),
    o: prices.open,
    h: prices.high,
    l: prices.low,
    c: prices.close,
    equity: { t: series.equity.map((p) => secs(p.ts)), v: series.equity.map((p) => p.equity) },
    drawdown: { t: dd.map((p) => secs(p.ts)), v: dd.map((p) => -p.drawdown * 100) },
    // [time (s), side, price, quantity, row index in the trade table or null, instrument matches]
    trades: series.trades.map((t, i) => [
      secs(t.ts),
      t.side,
      t.price,
      t.quantity,
      rowIds[i] ?? null,
      t.instrumentId === prices.instrumentId ? 1 : 0,
    ]),
    colours: { buy: BUY_MARKER_COLOUR, sell: SELL_MARKER_COLOUR },
  };
}

/** The fixed code that draws the chart and links markers and rows (no input text in it). */
const CHART_SCRIPT = `
(function () {
  var holder = document.getElementById('price-chart');
  var LC = window.LightweightCharts;
  var data = JSON.parse(document.getElementById('report-data').textContent);
  if (!holder || !LC || !data) return;
  var chart = LC.createChart(holder, {
    autoSize: true,
    layout: { background: { color: '#ffffff' }, textColor: '#1b1f24', fontSize: 11,
      panes: { separatorColor: '#d8dde3', enableResize: true } },
    grid: { vertLines: { color: '#f0f2f4' }, horzLines: { color: '#f0f2f4' } },
    timeScale: { timeVisible: true, secondsVisible: data.kind !== 'candles', borderColor: '#d8dde3' },
    rightPriceScale: { borderColor: '#d8dde3' },
    crosshair: { mode: 0 }
  });
  function unique(ts, vs) {
    var out = [];
    for (var i = 0; i < ts.length; i++) {
      if (out.length > 0 && out[out.length - 1].time === ts[i]) out[out.length - 1].value = vs[i];
      else if (out.length === 0 || ts[i] > out[out.length - 1].time) out.push({ time: ts[i], value: vs[i] });
    }
    return out;
  }
  var price;
  var times = [];
  if (data.kind === 'candles') {
    price = chart.addSeries(LC.CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350',
      borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350', title: data.instrumentId });
    var bars = [];
    for (var i = 0; i < data.t.length; i++) {
      if (bars.length > 0 && data.t[i] <= bars[bars.length - 1].time) continue;
      bars.push({ time: data.t[i], open: data.o[i], high: data.h[i], low: data.l[i], close: data.c[i] });
    }
    price.setData(bars);
    times = bars.map(function (b) { return b.time; });
  } else {
    price = chart.addSeries(LC.LineSeries, { color: '#5b6570', lineWidth: 1, title: data.instrumentId + ' ' + data.kind });
    var line = unique(data.t, data.c);
    price.setData(line);
    times = line.map(function (p) { return p.time; });
  }
  // The bar a fill belongs to: the last one at or before its time.
  function barIndex(t) {
    var lo = 0, hi = times.length - 1;
    if (hi < 0 || t < times[0]) return 0;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (times[mid] <= t) lo = mid; else hi = mid - 1; }
    return lo;
  }
  var shown = data.trades.filter(function (tr) { return tr[5] === 1; });
  var markers = shown.map(function (tr) {
    var buy = tr[1] === 'buy';
    return { time: times[barIndex(tr[0])], position: buy ? 'belowBar' : 'aboveBar',
      color: buy ? data.colours.buy : data.colours.sell, shape: buy ? 'arrowUp' : 'arrowDown',
      id: tr[4] === null ? undefined : 'trade-' + tr[4], size: 1.4 };
  });
  LC.createSeriesMarkers(price, markers);
  var equity = chart.addSeries(LC.LineSeries, { color: '#1f5fa8', lineWidth: 1, title: 'equity',
    priceLineVisible: false }, 1);
  equity.setData(unique(data.equity.t, data.equity.v));
  var drawdown = chart.addSeries(LC.AreaSeries, { lineColor: '#c0392b', topColor: 'rgba(192,57,43,0.05)',
    bottomColor: 'rgba(192,57,43,0.35)', lineWidth: 1, title: 'drawdown %', priceLineVisible: false,
    priceFormat: { type: 'price', precision: 2, minMove: 0.01 } }, 2);
  drawdown.setData(unique(data.drawdown.t, data.drawdown.v));
  var panes = chart.panes();
  if (panes.length === 3) { panes[0].setHeight(340); panes[1].setHeight(130); panes[2].setHeight(110); }

  var lit = null;
  function highlight(row) {
    var tr = document.getElementById('trade-' + row);
    if (lit) lit.classList.remove('lit');
    lit = tr;
    if (!tr) return false;
    tr.classList.add('lit');
    tr.scrollIntoView({ block: 'center' });
    return true;
  }
  function jumpTo(row) {
    var k = -1;
    for (var i = 0; i < data.trades.length; i++) if (data.trades[i][4] === row) { k = i; break; }
    if (k < 0) return false;
    var at = barIndex(data.trades[k][0]);
    chart.timeScale().setVisibleLogicalRange({ from: at - 90, to: at + 90 });
    var tr = document.getElementById('trade-' + row);
    if (lit) lit.classList.remove('lit');
    lit = tr;
    if (tr) tr.classList.add('lit');
    holder.scrollIntoView({ block: 'nearest' });
    return true;
  }
  // Click on the chart: the marker under the pointer, else the fill nearest in time.
  chart.subscribeClick(function (param) {
    var row = null;
    if (typeof param.hoveredObjectId === 'string' && param.hoveredObjectId.indexOf('trade-') === 0) {
      row = Number(param.hoveredObjectId.slice(6));
    } else if (param.time !== undefined && shown.length > 0) {
      var best = null, gap = Infinity;
      for (var i = 0; i < shown.length; i++) {
        var d = Math.abs(times[barIndex(shown[i][0])] - param.time);
        if (d < gap && shown[i][4] !== null) { gap = d; best = shown[i][4]; }
      }
      row = best;
    }
    if (row !== null) highlight(row);
  });
  // The trade table comes after this script in the page: listen on the document.
  document.addEventListener('click', function (e) {
    var row = e.target && e.target.closest ? e.target.closest('#trades tr[data-trade]') : null;
    if (row) jumpTo(Number(row.getAttribute('data-trade')));
  });
  window.concordReport = { chart: chart, price: price, markers: markers.length, trades: data.trades.length,
    highlight: highlight, jumpTo: jumpTo, barTime: function (row) {
      for (var i = 0; i < data.trades.length; i++) if (data.trades[i][4] === row) return times[barIndex(data.trades[i][0])];
      return null; } };
})();
`;

/** The price chart section: holder, data block, inlined library and the drawing script. */
export function renderPriceChart(
  prices: PriceSeries,
  series: BacktestSeries,
  rowIds: readonly (number | null)[],
  escapeHtml: (text: string) => string,
): string {
  const data = priceChartData(prices, series, rowIds);
  const marked = series.trades.filter((t) => t.instrumentId === prices.instrumentId).length;
  const what =
    prices.kind === 'candles'
      ? 'candles'
      : prices.kind === 'mid'
        ? 'mid price (best bid and ask)'
        : 'last trade price';
  return (
    `<div id="price-chart" class="lw" role="img" aria-label="Price, fills, equity and drawdown"></div>` +
    `<p class="note">${escapeHtml(prices.instrumentId)} ${what}, ${marked} fills marked ` +
    '(<span class="buy-mark">▲ buy</span>, <span class="sell-mark">▼ sell</span>); equity and drawdown (%) beneath. ' +
    'Click near a marker to find its row in the trade table; click a row to move the chart to it. Drag to pan, scroll to zoom.</p>' +
    `<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>` +
    `<script>${chartLibrarySource()}</script>` +
    `<script>${CHART_SCRIPT}</script>`
  );
}
