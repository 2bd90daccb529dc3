// The current architecture: choosing it (builder, pasted string, random)
// and its predicted latency on every device.

import { deviceBars } from './charts.js';
import { renderBuilder } from './builder.js';
import { state } from './state.js';
import { $, guarded, showError } from './page.js';
import { renderRanking } from './table_views.js';
import { updateLink } from './view_link.js';

// Makes `text` the current architecture and shows all of it.
export function setArch(text) {
  showArchPrediction(text);
  showArchDetails();
}

// The part of a change that shows first: the architecture's predicted
// latency on every device.
export function showArchPrediction(text) {
  const choices = state.wasm.decomposeArch(state.space, text);
  state.choices = Array.from(choices);
  state.arch = state.wasm.composeArch(state.space, choices);
  renderDevices();
}

// The rest of the view that follows the architecture: the builder, the
// string, the summary, its measured latencies (asked of the worker), its
// place in the ranking and the link.
export function showArchDetails() {
  $('arch-input').value = state.arch;
  renderBuilder($('builder'), state.layout, state.choices, guarded((next) => {
    setArch(state.wasm.composeArch(state.space, Uint32Array.from(next)));
  }));
  const s = state.wasm.archSummary(state.space, state.arch);
  const index = s.benchmark_index === null ? '' : `NAS-Bench-201 index ${s.benchmark_index} · `;
  $('arch-summary').textContent = `${index}${s.mflops.toFixed(2)} MFLOPs · ${s.mparams.toFixed(3)} M parameters · ${s.kernels} kernels (${s.dataset})`;
  askMeasured(state.arch, state.predictor.devices);
  if (state.table) renderRanking();
  updateLink();
}

export function randomArch() {
  const n = state.layout.choices.length;
  const choices = Uint32Array.from(state.layout.positions, () => Math.floor(Math.random() * n));
  setArch(state.wasm.composeArch(state.space, choices));
}

// The measured latencies shown for `key` (space and architecture): asked
// of the worker once per architecture; the bars are drawn again when they
// come.
let measuredShown = { key: '', values: {} };
const measuredKey = (arch) => `${state.space} ${arch}`;

function askMeasured(arch, devices) {
  const key = measuredKey(arch);
  if (measuredShown.key === key) return;
  measuredShown = { key, values: {} };
  state.measuredLookup(arch, devices).then((values) => {
    if (measuredShown.key !== key) return;
    measuredShown.values = values;
    if (measuredKey(state.arch) === key) renderDevices();
  }, (e) => {
    if (measuredShown.key === key) showError(new Error(`the measured latencies did not load: ${e.message}`));
  });
}

export function renderDevices() {
  if (!state.predictor) return;
  const devices = state.predictor.devices;
  const predicted = state.predictor.predict([state.arch]);
  const measured = measuredShown.key === measuredKey(state.arch) ? measuredShown.values : {};
  const rows = devices.map((device, j) => ({ device, predicted: predicted[j], measured: measured[device] }));
  for (const d of state.myDevices) {
    const [ms] = state.predictor.adapt(d.archs, Float64Array.from(d.ms), [state.arch]);
    rows.push({ device: d.name, predicted: ms, added: true });
  }
  deviceBars($('device-bars'), rows);
}
