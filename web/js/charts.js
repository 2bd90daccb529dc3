// Drawing primitives for the explorer: SVG for small charts (bars,
// histogram, heatmap) and canvas for scatters of thousands of points.

const SVG = 'http://www.w3.org/2000/svg';

export function svgElement(name, attributes = {}, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// Milliseconds for people: 3 significant digits.
export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  return ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3);
}

// A log-scale axis mapping [lo, hi] onto [a, b] pixels.
export function logScale(lo, hi, a, b) {
  const l0 = Math.log(lo);
  const span = Math.log(hi) - l0 || 1;
  return (v) => a + ((Math.log(v) - l0) / span) * (b - a);
}

export function linearScale(lo, hi, a, b) {
  const span = hi - lo || 1;
  return (v) => a + ((v - lo) / span) * (b - a);
}

// Powers of ten (and 2×, 5×) between lo and hi, for log axes.
export function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}

// Horizontal bars on a log scale, one row per device: `rows` are
// {device, predicted, measured (or undefined), added (bool)}.
export function deviceBars(container, rows) {
  const rowHeight = 18;
  const labelWidth = 130;
  const width = 640;
  const plotRight = width - 150;
  const height = rows.length * rowHeight + 24;
  const values = rows.flatMap((r) => [r.predicted, r.measured]).filter((v) => v > 0);
  const lo = Math.min(...values) / 1.5;
  const hi = Math.max(...values) * 1.2;
  const x = logScale(lo, hi, labelWidth, plotRight);
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart bars' });
  for (const t of logTicks(lo, hi)) {
    svg.append(svgElement('line', { x1: x(t), x2: x(t), y1: 0, y2: height - 18, class: 'grid' }));
    svg.append(svgElement('text', { x: x(t), y: height - 4, class: 'tick', 'text-anchor': 'middle' }, `${t} ms`));
  }
  rows.forEach((r, i) => {
    const y = i * rowHeight;
    const g = svgElement('g', {
      class: r.added ? 'device-row added' : 'device-row',
      'data-device': r.device,
      'data-predicted': String(r.predicted),
      'data-measured': r.measured === undefined ? '' : String(r.measured),
    });
    g.append(svgElement('text', { x: labelWidth - 6, y: y + 13, 'text-anchor': 'end', class: 'label' }, r.device));
    g.append(svgElement('rect', { x: labelWidth, y: y + 3, width: Math.max(1, x(r.predicted) - labelWidth), height: rowHeight - 6, class: 'bar' }));
    let note = `${formatMs(r.predicted)} ms`;
    if (r.measured !== undefined) {
      const mx = x(r.measured);
      g.append(svgElement('path', { d: `M${mx} ${y + 3} l5 6 l-5 6 l-5 -6 z`, class: 'measured' }));
      note += ` (measured ${formatMs(r.measured)})`;
    }
    g.append(svgElement('text', { x: plotRight + 6, y: y + 13, class: 'value' }, note));
    svg.append(g);
  });
  container.replaceChildren(svg);
}

// Histogram of {edges_ms, counts} on a log x axis, with a marker at `mark`.
export function histogram(container, h, mark, markLabel) {
  const width = 640;
  const height = 200;
  const left = 40;
  const bottom = height - 22;
  const x = logScale(h.edges_ms[0], h.edges_ms[h.edges_ms.length - 1], left, width - 10);
  const top = Math.max(...h.counts);
  const y = linearScale(0, top, bottom, 10);
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart histogram' });
  h.counts.forEach((c, i) => {
    const x0 = x(h.edges_ms[i]);
    const x1 = x(h.edges_ms[i + 1]);
    svg.append(svgElement('rect', { x: x0, y: y(c), width: Math.max(0.5, x1 - x0 - 1), height: bottom - y(c), class: 'bin' },));
  });
  for (const t of logTicks(h.edges_ms[0], h.edges_ms[h.edges_ms.length - 1])) {
    svg.append(svgElement('text', { x: x(t), y: height - 6, class: 'tick', 'text-anchor': 'middle' }, `${t} ms`));
  }
  svg.append(svgElement('text', { x: 4, y: 16, class: 'tick' }, `${top}`));
  if (mark !== undefined) {
    svg.append(svgElement('line', { x1: x(mark), x2: x(mark), y1: 4, y2: bottom, class: 'marker' }));
    // Label on whichever side of the marker has room.
    const right = x(mark) < width * 0.7;
    svg.append(svgElement('text', {
      x: x(mark) + (right ? 4 : -4), y: 14, class: 'marker-label', 'text-anchor': right ? 'start' : 'end',
    }, markLabel));
  }
  container.replaceChildren(svg);
}

// Colour of a rank correlation: red below 0.9 (the monotonicity threshold),
// through yellow to green at 1.
export function rhoColour(rho) {
  if (rho < 0.9) {
    const t = Math.max(0, (rho - 0.5) / 0.4);
    return `hsl(${Math.round(10 + 30 * t)}, 75%, ${Math.round(45 + 10 * t)}%)`;
  }
  const t = (rho - 0.9) / 0.1;
  return `hsl(${Math.round(50 + 70 * t)}, 60%, ${Math.round(55 - 10 * t)}%)`;
}

// Heatmap of a devices × devices matrix in `order`; onPick(i, j) on click.
export function heatmap(container, devices, rho, order, onPick) {
  const n = devices.length;
  const cell = 18;
  const label = 120;
  const size = label + n * cell;
  // Room on the right for the slanted column labels.
  const svg = svgElement('svg', { viewBox: `0 0 ${size + 70} ${size + 10}`, class: 'chart heatmap' });
  order.forEach((di, r) => {
    svg.append(svgElement('text', { x: label - 4, y: label + r * cell + 13, 'text-anchor': 'end', class: 'label' }, devices[di]));
    svg.append(svgElement('text', {
      x: 0, y: 0, class: 'label',
      transform: `translate(${label + r * cell + 13}, ${label - 4}) rotate(-60)`,
    }, devices[di]));
  });
  order.forEach((di, r) => {
    order.forEach((dj, c) => {
      const v = rho[di * n + dj];
      const rect = svgElement('rect', {
        x: label + c * cell, y: label + r * cell, width: cell - 1, height: cell - 1,
        fill: rhoColour(v), class: v < 0.9 ? 'cell low' : 'cell',
        'data-a': devices[di], 'data-b': devices[dj], 'data-rho': String(v),
      });
      rect.append(svgElement('title', {}, `${devices[di]} vs ${devices[dj]}: ρ = ${v.toFixed(3)}`));
      rect.addEventListener('click', () => onPick(di, dj));
      svg.append(rect);
    });
  });
  container.replaceChildren(svg);
}

// Scatter on a canvas. `layers` are drawn in order: {xs, ys, rows (indices
// into xs/ys, or null for all), colour, radius, line (join points)}.
export function scatter(canvas, { xLabel, yLabel, xLog, yLog, layers }) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  const left = 58;
  const bottom = height - 36;
  ctx.clearRect(0, 0, width, height);
  const base = layers[0];
  const finite = (v, log) => Number.isFinite(v) && (!log || v > 0);
  const xsAll = base.xs.filter((v) => finite(v, xLog));
  const ysAll = base.ys.filter((v) => finite(v, yLog));
  const [xlo, xhi] = [Math.min(...xsAll), Math.max(...xsAll)];
  const [ylo, yhi] = [Math.min(...ysAll), Math.max(...ysAll)];
  const x = xLog ? logScale(xlo / 1.05, xhi * 1.05, left, width - 10) : linearScale(xlo, xhi, left, width - 10);
  const y = yLog ? logScale(ylo / 1.05, yhi * 1.05, bottom, 10) : linearScale(ylo, yhi, bottom, 10);
  ctx.strokeStyle = '#999';
  ctx.beginPath();
  ctx.moveTo(left, 10);
  ctx.lineTo(left, bottom);
  ctx.lineTo(width - 10, bottom);
  ctx.stroke();
  ctx.fillStyle = '#333';
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'center';
  const xt = xLog ? logTicks(xlo, xhi) : niceTicks(xlo, xhi);
  const yt = yLog ? logTicks(ylo, yhi) : niceTicks(ylo, yhi);
  for (const t of xt) ctx.fillText(String(t), x(t), bottom + 14);
  ctx.fillText(xLabel, (left + width) / 2, height - 6);
  ctx.textAlign = 'right';
  for (const t of yt) ctx.fillText(String(t), left - 4, y(t) + 4);
  ctx.save();
  ctx.translate(12, (bottom + 10) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  for (const layer of layers) {
    const rows = layer.rows ?? layer.xs.map((_, i) => i);
    ctx.fillStyle = layer.colour;
    ctx.strokeStyle = layer.colour;
    if (layer.line) {
      ctx.beginPath();
      rows.forEach((r, k) => (k ? ctx.lineTo : ctx.moveTo).call(ctx, x(layer.xs[r]), y(layer.ys[r])));
      ctx.stroke();
    }
    const visible = rows.filter((r) => finite(layer.xs[r], xLog) && finite(layer.ys[r], yLog));
    if (layer.ring) {
      for (const r of visible) {
        ctx.beginPath();
        ctx.arc(x(layer.xs[r]), y(layer.ys[r]), layer.radius, 0, 2 * Math.PI);
        ctx.stroke();
      }
      continue;
    }
    // Filled dots go into a few interleaved paths, one fill each: a fill
    // per dot made 15625 of them a long task, and one fill for all would
    // lose how translucent dots darken where many overlap. Dots of 2 px
    // radius or less are squares (an arc each cost as much as the fills).
    const r = layer.radius;
    const dot = r <= 2
      ? (px, py) => ctx.rect(px - r, py - r, 2 * r, 2 * r)
      : (px, py) => {
        ctx.moveTo(px + r, py);
        ctx.arc(px, py, r, 0, 2 * Math.PI);
      };
    const paths = visible.length > 64 ? 8 : 1;
    for (let p = 0; p < paths; p++) {
      ctx.beginPath();
      for (let k = p; k < visible.length; k += paths) dot(x(layer.xs[visible[k]]), y(layer.ys[visible[k]]));
      ctx.fill();
    }
  }
}

function niceTicks(lo, hi) {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 4 || 1));
  const k = [1, 2, 5].find((m) => (hi - lo) / (m * step) <= 6) ?? 10;
  const ticks = [];
  for (let v = Math.ceil(lo / (k * step)) * k * step; v <= hi; v += k * step) ticks.push(+v.toPrecision(6));
  return ticks;
}
