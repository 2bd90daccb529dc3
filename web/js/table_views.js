// The views of the whole-space table: rankings, the correlation heatmap,
// proxy picks, Pareto fronts and the budget answer.

import { formatMs, heatmap, histogram, scatter } from './charts.js';
import { state } from './state.js';
import { $, clearError, guarded, nextFrame } from './page.js';

// What clicking an architecture in a view does (the page makes it the
// current one; set by onArchPicked, so this module needs no page logic).
let archPicked = () => {};

export function onArchPicked(handler) {
  archPicked = handler;
}

export function fillDeviceSelects() {
  const devices = state.table ? state.table.devices : state.predictor.devices;
  const keep = (select, fallback) => {
    const old = select.value;
    select.replaceChildren(...devices.map((d) => new Option(d, d)));
    select.value = devices.includes(old) ? old : fallback;
  };
  keep($('rank-device'), devices.includes('pixel3') ? 'pixel3' : devices[0]);
  keep($('device-a'), devices.includes('pixel3') ? 'pixel3' : devices[0]);
  keep($('device-b'), devices.includes('titan_rtx_32') ? 'titan_rtx_32' : devices[devices.length - 1]);
  const targets = $('proxy-targets');
  const chosen = new Set(Array.from(targets.selectedOptions, (o) => o.value));
  targets.replaceChildren(...devices.map((d) => new Option(d, d, false, chosen.has(d))));
}

export function pickProxy() {
  if (!state.table) throw new Error('the whole space is still being predicted; try again when the progress bar is gone');
  const targets = Array.from($('proxy-targets').selectedOptions, (o) => o.value);
  if (!targets.length) throw new Error('choose one or more target devices first');
  const picks = state.table.proxyChoice(targets).slice(0, 5);
  $('proxy-picks').replaceChildren(...picks.map((p) => {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = '#pareto';
    a.textContent = p.proxy;
    a.dataset.proxy = p.proxy;
    a.dataset.worst = String(p.worst);
    a.addEventListener('click', guarded(() => {
      $('device-a').value = p.proxy;
      $('device-b').value = p.worst_target;
      renderPareto();
    }));
    li.append(a, `: worst ρ ${p.worst.toFixed(3)} (${p.worst_target}), mean ${p.mean.toFixed(3)}`);
    return li;
  }));
  clearError();
}

// Draws every view of the table, one per task so that none holds the page
// for long; resolves when all are drawn.
export async function renderTableViews() {
  fillDeviceSelects();
  $('proxy-picks').replaceChildren();
  renderRanking();
  await nextFrame();
  if (state.table) renderHeatmap();
  await nextFrame();
  const table = state.table;
  const views = paretoViews();
  views?.drawScatter();
  await nextFrame();
  if (state.table === table) views?.drawFront();
}

function archLink(row, ms) {
  const arch = state.table.arch(row);
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.href = '#architecture';
  a.textContent = arch;
  a.dataset.arch = arch;
  a.addEventListener('click', guarded(() => archPicked(arch)));
  li.append(a, ` ${formatMs(ms)} ms`);
  if (state.scoredByAccuracy) li.append(` · ${state.score[row].toFixed(2)} %`);
  return li;
}

export function renderRanking() {
  const table = state.table;
  if (!table) return;
  const device = $('rank-device').value;
  const k = Math.max(1, Math.min(100, Number($('rank-k').value) || 10));
  const latency = table.latency(device);
  // The fastest cells are often degenerate (output cut off from the input,
  // accuracy 1-10 %): an accuracy floor hides them from the lists.
  const floor = Number($('accuracy-floor').value) || 0;
  $('accuracy-floor').disabled = !state.scoredByAccuracy;
  let order = table.order(device);
  if (state.scoredByAccuracy && floor > 0) order = order.filter((row) => state.score[row] >= floor);
  $('top-k').replaceChildren(...Array.from(order.subarray(0, k), (r) => archLink(r, latency[r])));
  const bottom = Array.from(order.subarray(Math.max(0, order.length - k))).reverse();
  $('bottom-k').replaceChildren(...bottom.map((r) => archLink(r, latency[r])));
  let mark;
  let label = '';
  try {
    const s = table.standing(state.arch, device);
    mark = s.latency_ms;
    label = `this architecture: #${s.rank}`;
    $('standing').textContent = `On ${device} this architecture is predicted at ${formatMs(s.latency_ms)} ms: rank ${s.rank} of ${s.of} (${s.faster_percent.toFixed(1)}% of the space is faster).`;
  } catch (e) {
    $('standing').textContent = `This architecture is not among the ${state.table.size} ranked ones (${e.message}).`;
  }
  histogram($('histogram'), table.histogram(device, 40), mark, label);
}

export function renderHeatmap() {
  const table = state.table;
  const devices = table.devices;
  const rho = table.correlation();
  const order = table.clusterOrder();
  heatmap($('heatmap'), devices, rho, order, (i, j) => {
    $('device-a').value = devices[i];
    $('device-b').value = devices[j];
    renderPareto();
    $('pareto').scrollIntoView({ behavior: 'smooth' });
  });
}

export function renderPareto() {
  const views = paretoViews();
  views?.drawScatter();
  views?.drawFront();
}

// The Pareto views of devices A and B: the fronts (computed here), and
// drawing each of the two plots (about 20 ms each for a whole space, so
// the first render draws them in separate tasks).
function paretoViews() {
  const table = state.table;
  if (!table) return null;
  const a = $('device-a').value;
  const b = $('device-b').value;
  const la = table.latency(a);
  const lb = table.latency(b);
  const score = state.score;
  const r = table.frontRecovery(a, b);
  let current = [];
  try {
    current = [table.positionOf(state.arch)];
  } catch {
    current = [];
  }
  // ρ(a, b) from the table's matrix (ranked once, in the worker).
  const devices = table.devices;
  const rho = table.correlation()[devices.indexOf(a) * devices.length + devices.indexOf(b)];
  $('pareto-summary').textContent =
    `ρ(${a}, ${b}) = ${rho.toFixed(3)}. Score: ${state.scoreName}. Orange: the Pareto front found on ${a} (${r.proxy_front.length} architectures); ` +
    `blue: ${b}'s own front (${r.target_front.length}). ${r.overlap} are on both; ` +
    `re-evaluated on ${b}, ${a}'s front keeps ${(100 * r.hypervolume_ratio).toFixed(1)}% of the hypervolume.`;
  $('front').dataset.front = JSON.stringify(Array.from(r.target_front));
  return {
    drawScatter: () => scatter($('scatter'), {
      xLabel: `${a} (ms)`, yLabel: `${b} (ms)`, xLog: true, yLog: true,
      layers: [
        { xs: la, ys: lb, rows: null, colour: 'rgba(90,90,90,0.25)', radius: 1.5 },
        { xs: la, ys: lb, rows: Array.from(r.proxy_front), colour: '#e07020', radius: 3 },
        { xs: la, ys: lb, rows: Array.from(r.target_front), colour: '#2060c0', radius: 2.5 },
        { xs: la, ys: lb, rows: current, colour: '#c00', radius: 6, ring: true },
      ],
    }),
    drawFront: () => scatter($('front'), {
      xLabel: `${b} (ms)`, yLabel: state.scoreName, xLog: true, yLog: false,
      layers: [
        { xs: lb, ys: score, rows: null, colour: 'rgba(90,90,90,0.25)', radius: 1.5 },
        { xs: lb, ys: score, rows: Array.from(r.target_front), colour: '#2060c0', radius: 2.5, line: true },
        { xs: lb, ys: score, rows: Array.from(r.proxy_front), colour: '#e07020', radius: 3 },
        { xs: lb, ys: score, rows: current, colour: '#c00', radius: 6, ring: true },
      ],
    }),
  };
}

// "The best architecture within X ms on device B": the highest score among
// those predicted to fit the budget.
export function bestUnder() {
  if (!state.table) throw new Error('the whole space is still being predicted; try again when the progress bar is gone');
  const device = $('device-b').value;
  const budget = Number($('budget-ms').value);
  if (!(budget > 0)) throw new Error(`the budget must be a positive number of milliseconds, not "${$('budget-ms').value}"`);
  const best = state.table.bestUnder(device, budget);
  const out = $('best-under');
  out.replaceChildren();
  out.dataset.arch = best ? best.arch : '';
  if (!best) {
    out.textContent = `No architecture is predicted to run within ${formatMs(budget)} ms on ${device}.`;
    return;
  }
  const a = document.createElement('a');
  a.href = '#architecture';
  a.textContent = best.arch;
  a.addEventListener('click', guarded(() => archPicked(best.arch)));
  const score = state.scoredByAccuracy ? `${best.score.toFixed(2)} % (${best.score_name})` : `${best.score.toFixed(1)} MFLOPs`;
  out.append(`Best within ${formatMs(budget)} ms on ${device} (${best.within_budget} of ${state.table.size} fit): `,
    a, `, ${formatMs(best.latency_ms)} ms, ${score}.`);
  clearError();
}
