// api/routes/console/charts.js: SVG charts drawn by the page (no library):
// lines, filled bands between two lines and sparklines, with axes, a
// legend and a text alternative. Colours come from console.css classes.

const NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

function extent(values, zeroBased) {
  let lo = zeroBased ? 0 : Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!isFinite(lo)) lo = 0;
  if (!isFinite(hi) || hi <= lo) hi = lo + 1;
  return [lo, hi];
}

// About five round tick values over [lo, hi].
function ticks(lo, hi) {
  const raw = (hi - lo) / 4;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function pathOf(points, sx, sy) {
  return points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
}

function fmtTick(v) {
  return Math.abs(v) >= 10000 ? `${Math.round(v / 1000)}k` : String(Math.round(v * 100) / 100);
}

/*
 * A chart of series ({name, cls, points: [[x, y]…]}) and bands ({name, cls,
 * lo: [[x, y]…], hi: [[x, y]…]}) over numeric x (ms for times). opts:
 * {title, xFormat(x), width, height, zeroBased}. Returns a <figure>.
 */
export function lineChart(series, bands, opts) {
  const W = opts.width || 1000;
  const H = opts.height || 250;
  const m = { l: 48, r: 12, t: 12, b: 28 };
  const xs = [];
  const ys = [];
  for (const s of series) for (const [x, y] of s.points) xs.push(x), ys.push(y);
  for (const b of bands) for (const [x, y] of b.lo.concat(b.hi)) xs.push(x), ys.push(y);
  const [x0, x1] = extent(xs, false);
  const [y0, y1] = extent(ys, opts.zeroBased !== false);
  const yt = ticks(y0, y1);
  const yTop = Math.max(y1, yt[yt.length - 1] || y1);
  const sx = (x) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y) => H - m.b - ((y - y0) / (yTop - y0)) * (H - m.t - m.b);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': opts.title });
  root.append(svg('title', {}, opts.title));
  for (const v of yt) {
    root.append(svg('line', { x1: m.l, x2: W - m.r, y1: sy(v), y2: sy(v), class: 'grid' }));
    root.append(svg('text', { x: m.l - 6, y: sy(v) + 4, class: 'tick', 'text-anchor': 'end' }, fmtTick(v)));
  }
  for (let i = 0; i <= 4; i++) {
    const x = x0 + ((x1 - x0) * i) / 4;
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    root.append(svg('text', { x: sx(x), y: H - 8, class: 'tick', 'text-anchor': anchor }, opts.xFormat(x)));
  }
  for (const b of bands) {
    if (!b.lo.length) continue;
    const d = pathOf(b.lo, sx, sy) + pathOf(b.hi.slice().reverse(), sx, sy).replace(/^M/, 'L') + 'Z';
    root.append(svg('path', { d, class: `band ${b.cls}` }));
  }
  for (const s of series) {
    if (!s.points.length) continue;
    root.append(svg('path', { d: pathOf(s.points, sx, sy), class: `line ${s.cls}` }));
  }
  root.append(svg('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: 'axis' }));
  return figure(root, series.concat(bands));
}

function figure(chart, entries) {
  const fig = document.createElement('figure');
  fig.className = 'chart-box';
  const legend = document.createElement('ul');
  legend.className = 'legend';
  for (const e of entries) {
    const li = document.createElement('li');
    const key = svg('svg', { width: 14, height: 10, class: 'key', 'aria-hidden': 'true' },
      svg('rect', { width: 14, height: 10, class: `swatch ${e.cls}` }));
    li.append(key, ` ${e.name}`);
    legend.append(li);
  }
  fig.append(chart, legend);
  return fig;
}

// A small trend line of values (oldest first), no axes.
export function sparkline(values, label) {
  const W = 120;
  const H = 28;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'spark', role: 'img', 'aria-label': label });
  root.append(svg('title', {}, label));
  if (values.length < 2) return root;
  const [lo, hi] = extent(values, false);
  const pts = values.map((v, i) => [(i / (values.length - 1)) * (W - 2) + 1, H - 2 - ((v - lo) / (hi - lo)) * (H - 4)]);
  root.append(svg('path', { d: pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(''), class: 'line s-trend' }));
  return root;
}
