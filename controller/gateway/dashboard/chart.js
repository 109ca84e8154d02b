// Small SVG charts drawn here rather than with a charting library: two
// kinds (points over time, one series each) are all the overview needs, and
// the dashboard ships no third-party code. Colours come from CSS classes, so
// both themes apply and no inline style is needed.
import { h, s } from './dom.js';

const W = 600;
const H = 220;
const PAD = { top: 14, right: 14, bottom: 34, left: 84 };

// The top of the value axis: a round number just above the largest value;
// for bytes (binary) round in the largest unit of 1024 below it.
function niceMax(v, binary) {
  if (v <= 0) return 1;
  if (binary) {
    const unit = 1024 ** Math.floor(Math.log(v) / Math.log(1024));
    return niceMax(v / unit, false) * unit;
  }
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// Axis labels precise enough to tell the two ends apart.
function shortDate(d, spanMs) {
  const opts = spanMs < 3600e3
    ? { hour: '2-digit', minute: '2-digit', second: '2-digit' }
    : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(undefined, opts).format(d);
}

// timeChart({title, points: [{t: Date, v: number, label}], format: v => text,
// series: 'size' | 'duration', binary: true for byte values}) -> <figure>
export function timeChart({ title, points, format, series = 'a', binary = false }) {
  const fig = h('figure.chart', h('figcaption', title));
  if (points.length === 0) {
    fig.append(h('p.empty', 'No completed backups yet.'));
    return fig;
  }
  const pts = [...points].sort((a, b) => a.t - b.t);
  const t0 = pts[0].t.getTime();
  const t1 = pts[pts.length - 1].t.getTime();
  const span = Math.max(t1 - t0, 1);
  const vmax = niceMax(Math.max(...pts.map((p) => p.v)), binary);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + (pts.length === 1 ? iw / 2 : ((t.getTime() - t0) / span) * iw);
  const y = (v) => PAD.top + ih - (v / vmax) * ih;

  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const gy = PAD.top + ih - f * ih;
    return [
      s('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: gy, y2: gy }),
      s('text', { class: 'axis', x: PAD.left - 6, y: gy + 4, 'text-anchor': 'end' }, format(f * vmax).replace(/\.0 /, ' ')),
    ];
  });
  const xlabels = pts.length === 1
    ? [s('text', { class: 'axis', x: x(pts[0].t), y: H - 8, 'text-anchor': 'middle' }, shortDate(pts[0].t, Infinity))]
    : [
      s('text', { class: 'axis', x: PAD.left, y: H - 8, 'text-anchor': 'start' }, shortDate(pts[0].t, span)),
      s('text', { class: 'axis', x: W - PAD.right, y: H - 8, 'text-anchor': 'end' }, shortDate(pts[pts.length - 1].t, span)),
    ];
  const path = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const area = `${path} L${x(pts[pts.length - 1].t).toFixed(1)},${PAD.top + ih} L${x(pts[0].t).toFixed(1)},${PAD.top + ih} Z`;
  const dots = pts.map((p) => s('circle', { class: 'dot', cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3.5 },
    s('title', `${p.label ? `${p.label}: ` : ''}${format(p.v)} — ${shortDate(p.t, Infinity)}`)));
  const svg = s('svg', {
    class: `chart-svg series-${series}`, viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `${title}: ${pts.length} points, highest ${format(Math.max(...pts.map((p) => p.v)))}`,
    preserveAspectRatio: 'xMidYMid meet',
  },
  grid,
  s('line', { class: 'axis-line', x1: PAD.left, x2: W - PAD.right, y1: PAD.top + ih, y2: PAD.top + ih }),
  pts.length > 1 ? s('path', { class: 'area', d: area }) : null,
  pts.length > 1 ? s('path', { class: 'line', d: path }) : null,
  dots,
  xlabels);
  fig.append(svg);
  return fig;
}
