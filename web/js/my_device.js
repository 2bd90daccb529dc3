// Adding the visitor's own device from a few measurements, and suggesting
// what to measure next.

import { formatMs } from './charts.js';
import { listedArchs, parseSamples } from './samples.js';
import { state } from './state.js';
import { $, clearError, status } from './page.js';
import { renderDevices } from './architecture.js';
import { renderRanking, renderTableViews } from './table_views.js';
import { updateLink } from './view_link.js';

// Waits for the table's embedding rows (adding a device and suggesting
// measurements read them), saying so while they are computed.
export async function awaitEmbedding() {
  if (state.table?.hasEmbedding) return;
  status('Computing the ensemble\'s embedding of the whole space (needed to add a device)…');
  await state.embeddingReady;
}

export function fillReference() {
  const lines = state.predictor.referenceArchs.map((a) => `${a}, `);
  $('my-device-samples').value = lines.join('\n');
}

export async function addMyDevice() {
  const name = $('my-device-name').value.trim();
  if (!name) throw new Error('give your device a name');
  if (state.predictor.devices.includes(name)) {
    throw new Error(`"${name}" is a device of the predictor file; choose another name`);
  }
  const { archs, ms } = parseSamples($('my-device-samples').value, (arch) => {
    try {
      state.wasm.decomposeArch(state.space, arch);
      return null;
    } catch (e) {
      return e.message;
    }
  });
  // Adapting checks the architectures and latencies and says what is wrong.
  const [mine] = state.predictor.adapt(archs, Float64Array.from(ms), [state.arch]);
  state.myDevices = state.myDevices.filter((d) => d.name !== name).concat([{ name, archs, ms }]);
  if (state.table) {
    const table = state.table;
    await awaitEmbedding();
    if (table !== state.table) return;
    table.addDevice(name, archs, Float64Array.from(ms));
    await renderTableViews();
    $('rank-device').value = name;
    renderRanking();
  }
  renderDevices();
  const fit = state.predictor.adaptationFit(archs, Float64Array.from(ms));
  const folded = Array.from(state.predictor.foldedSamples(archs, Float64Array.from(ms)));
  $('my-device-result').textContent =
    `${name} (from ${archs.length - folded.length} measurements${leftOutNote(folded, archs, ms)}` +
    `${fit ? `; ${describeFit(fit)}` : ''}): ` +
    `this architecture is predicted at ${formatMs(mine)} ms.` +
    (state.table ? ` ${name} is now in the ranking, the heatmap and the device lists.` : '');
  $('my-device-result').dataset.fit = fit ? fit.chosen.fit : '';
  $('my-device-result').dataset.leftOut = JSON.stringify(folded.map((i) => archs[i]));
  clearError();
  updateLink();
}

// Says which measurements the adaptation left out, as `profiler adapt` does:
// a network whose output cannot depend on its input, timed at almost nothing,
// was folded into a constant by the runtime that measured it.
function leftOutNote(folded, archs, ms) {
  if (folded.length === 0) return '';
  const listed = folded.map((i) => `${archs[i]} at ${formatMs(ms[i])} ms`).join(', ');
  return `; ${folded.length} left out: ${listed}: its output cannot depend on its input, ` +
    'so the runtime computed a constant and timed nothing';
}

// The confidence `profiler adapt` prints: the fit chosen and how well it
// predicted each measurement when that one was left out.
function describeFit(fit) {
  const c = fit.chosen;
  if (c.spearman === null && c.typicalError === null) {
    return `fit: ${c.fit}; measure at least 3 architectures to see how far to trust it`;
  }
  const rho = c.spearman === null ? '–' : c.spearman.toFixed(3);
  const error = c.typicalError === null ? '–' : `${(100 * c.typicalError).toFixed(1)} %`;
  return `fit: ${c.fit}; each measurement left out in turn, the rest predicted it with ` +
    `rank correlation ρ ${rho} and typical error ${error}`;
}

// Proposes the architectures to measure next: those the adaptation is least
// sure of given the ones already listed, appended for the visitor to time.
export async function suggestNext() {
  if (!state.table) throw new Error('suggestions need the whole-space predictions; wait until they are ready');
  await awaitEmbedding();
  const box = $('my-device-samples');
  const listed = listedArchs(box.value);
  const next = state.table.suggest(listed, 5);
  const text = box.value.trimEnd();
  box.value = (text ? `${text}\n` : '') + next.map((a) => `${a}, `).join('\n');
  $('my-device-result').textContent =
    `Measure these ${next.length} next (most informative first: they spread your measurements ` +
    `over what the predictor cannot yet tell apart) and write each latency after its comma.`;
  $('my-device-result').dataset.suggested = JSON.stringify(next);
}
