// The interactive architecture builder: one <select> per searchable
// position and, for NB201, the cell drawn as a graph whose edges can be
// clicked to cycle their operation.

import { svgElement } from './charts.js';

const OP_COLOURS = {
  none: '#bbb',
  skip_connect: '#4a90d9',
  nor_conv_1x1: '#e0a030',
  nor_conv_3x3: '#d0502a',
  avg_pool_3x3: '#3aa36b',
};

// Draws the builder for `layout` ({positions, edges, choices}) showing
// `choices` (an index per position); onChange(newChoices) on every edit.
export function renderBuilder(container, layout, choices, onChange) {
  const set = (position, value) => {
    const next = Array.from(choices);
    next[position] = value;
    onChange(next);
  };
  const parts = [];
  if (layout.edges.length) parts.push(cellGraph(layout, choices, set));
  const grid = document.createElement('div');
  grid.className = layout.edges.length ? 'choices nb201' : 'choices fbnet';
  layout.positions.forEach((label, p) => {
    const row = document.createElement('label');
    row.textContent = label;
    const select = document.createElement('select');
    select.dataset.position = String(p);
    layout.choices.forEach((name, c) => select.append(new Option(name, String(c), false, c === choices[p])));
    select.addEventListener('change', () => set(p, Number(select.value)));
    row.append(select);
    grid.append(row);
  });
  parts.push(grid);
  container.replaceChildren(...parts);
}

// The NB201 cell: nodes 0..3 left to right, each edge an arc labelled with
// its operation; clicking an edge moves it to the next operation.
function cellGraph(layout, choices, set) {
  const width = 420;
  const height = 170;
  const nodeX = (i) => 40 + i * 113;
  const nodeY = 95;
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, class: 'cell-graph' });
  layout.edges.forEach(([from, to], e) => {
    const op = layout.choices[choices[e]];
    const span = to - from;
    const x1 = nodeX(from);
    const x2 = nodeX(to);
    // Longer edges arc higher so that none overlap.
    const lift = span === 1 ? 0 : 28 * span;
    const mx = (x1 + x2) / 2;
    const my = nodeY - lift * (from % 2 === 0 ? 1 : -0.9);
    const g = svgElement('g', { class: 'edge', 'data-position': String(e) });
    g.append(svgElement('path', {
      d: `M${x1} ${nodeY} Q${mx} ${2 * my - nodeY} ${x2} ${nodeY}`,
      stroke: OP_COLOURS[op] ?? '#666',
      'stroke-dasharray': op === 'none' ? '4 4' : '',
      class: 'edge-line',
    }));
    g.append(svgElement('text', { x: mx, y: my + (lift ? 0 : -6), 'text-anchor': 'middle', class: 'edge-label' }, op));
    g.append(svgElement('title', {}, `${layout.positions[e]}: ${op} (click for the next operation)`));
    g.addEventListener('click', () => set(e, (choices[e] + 1) % layout.choices.length));
    svg.append(g);
  });
  for (let i = 0; i < 4; i++) {
    svg.append(svgElement('circle', { cx: nodeX(i), cy: nodeY, r: 13, class: 'node' }));
    svg.append(svgElement('text', { x: nodeX(i), y: nodeY + 4, 'text-anchor': 'middle', class: 'node-label' }, String(i)));
  }
  return svg;
}
