// Taking results away: the ranking, the front and the predictions as CSV,
// the charts as SVG.

import { downloadCsv, downloadSvg } from './share.js';
import { state } from './state.js';
import { $ } from './page.js';

export function downloadRanking() {
  if (!state.table) throw new Error('the whole space is still being predicted; try again when the progress bar is gone');
  const device = $('rank-device').value;
  const latency = state.table.latency(device);
  const header = ['rank', 'arch', `${device}_ms`, state.scoredByAccuracy ? state.scoreName : 'mflops'];
  const archs = state.table.archs;
  const rows = Array.from(state.table.order(device), (row, i) =>
    [i + 1, archs[row], latency[row], state.score[row]]);
  downloadCsv(`latscope_ranking_${state.space}_${device}.csv`, header, rows);
}

export function downloadFront() {
  if (!state.table) throw new Error('the whole space is still being predicted; try again when the progress bar is gone');
  const b = $('device-b').value;
  const latency = state.table.latency(b);
  const front = JSON.parse($('front').dataset.front ?? '[]');
  const archs = state.table.archs;
  downloadCsv(`latscope_front_${state.space}_${b}.csv`, ['arch', `${b}_ms`, state.scoreName],
    front.map((row) => [archs[row], latency[row], state.score[row]]));
}

export function downloadPredictions() {
  const rows = Array.from($('device-bars').querySelectorAll('.device-row'), (g) =>
    [state.arch, g.dataset.device, g.dataset.predicted, g.dataset.measured ?? '']);
  downloadCsv(`latscope_predictions_${state.space}.csv`, ['arch', 'device', 'predicted_ms', 'measured_ms'], rows);
}

export function saveChart(containerId, name) {
  const svg = $(containerId).querySelector('svg');
  if (!svg) throw new Error(`the ${name} is not drawn yet`);
  downloadSvg(svg, `latscope_${name}_${state.space}.svg`);
}
