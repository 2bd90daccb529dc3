// The latscope explorer page: loads a predictor (shipped or the visitor's
// own), predicts the chosen architecture on every device at once, then
// predicts the whole space in chunks (with progress, never freezing the
// page) for rankings, the device correlation heatmap and Pareto fronts.
// All computation is in the wasm module; this file wires it to the DOM.

import { deviceBars, formatMs, heatmap, histogram, scatter } from './charts.js';
import { renderBuilder } from './builder.js';
import { listedArchs, parseSamples } from './samples.js';
import { decodeView, downloadCsv, downloadPng, downloadSvg, encodeView } from './share.js';

const $ = (id) => document.getElementById(id);

const state = {
  wasm: null,
  space: 'nb201',
  predictor: null,
  predictorName: '',
  measured: null,
  // NB201's features-v1 computed ahead of time (profiler data encode).
  featureCache: null,
  layout: null,
  choices: [],
  arch: '',
  table: null,
  // NAS-Bench-201's test accuracies (AccuracyData), loaded for NB201 only,
  // and the table's current score per row (accuracy or MFLOPs).
  accuracy: null,
  score: null,
  scoreName: 'MFLOPs',
  // Whether the score is accuracy (NB201 with a dataset chosen).
  scoredByAccuracy: false,
  // The table's architectures (canonical strings), in row order.
  archs: [],
  // Devices the visitor added: {name, archs, ms}.
  myDevices: [],
  // Bumped whenever the predictor changes, so stale async work stops.
  generation: 0,
  // True while a link's view is being reopened (the hash is written once
  // at the end).
  restoring: false,
};

// Milliseconds since navigation start, for the browser benchmark.
const timings = {};
window.latscope = { state, timings };

// ---- status, progress and errors -----------------------------------------

function status(text) {
  $('status').textContent = text;
}

function progress(done, total) {
  const bar = $('progress');
  bar.hidden = total === 0 || done >= total;
  bar.max = total || 1;
  bar.value = done;
}

// The wasm module throws LatscopeErrors: the message for people, `kind`
// (e.g. "invalid-predictor-file") for code; the page's own errors have none.
function showError(error) {
  const message = error instanceof Error ? error.message : String(error);
  const box = $('error');
  box.textContent = message;
  box.dataset.kind = error?.kind ?? '';
  box.hidden = false;
  console.error(error);
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
  delete $('error').dataset.kind;
}

// Runs an event handler, showing any error on the page.
function guarded(handler) {
  return async (...args) => {
    try {
      await handler(...args);
    } catch (e) {
      showError(e);
    }
  };
}

const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

// ---- loading ---------------------------------------------------------------

async function loadShipped(space) {
  const predictor = await state.wasm.Predictor.fromUrl(`predictors/${space}.onnx`);
  await usePredictor(predictor, `${space}.onnx (shipped)`);
}

async function usePredictor(predictor, name) {
  const generation = ++state.generation;
  state.predictor?.free?.();
  state.table?.free?.();
  state.predictor = predictor;
  state.predictorName = name;
  state.table = null;
  state.myDevices = [];
  const spaceChanged = state.space !== predictor.space || !state.measured;
  state.space = predictor.space;
  $('space').value = state.space;
  state.layout = state.wasm.spaceLayout(state.space);
  // Devices added for the previous predictor do not carry over.
  $('my-device-result').textContent = '';
  if (spaceChanged || !state.choices.length) {
    state.measured = null;
    $('my-device-samples').value = '';
    setArch(defaultArch());
  } else {
    setArch(state.arch);
  }
  fillDeviceSelects();
  status(`${name}: ${predictor.devices.length} devices, ${predictor.method}, ${predictor.encodings}`);
  if (timings.firstPrediction === undefined) timings.firstPrediction = performance.now();
  // The measurements and the whole-space scan come after the first
  // prediction is on screen.
  if (spaceChanged) await loadMeasured(generation);
  await scanSpace(generation);
}

function defaultArch() {
  if (state.space === 'nb201') {
    return '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|';
  }
  return state.predictor.referenceArchs[0]
    ?? state.wasm.composeArch('fbnet', new Uint32Array(22).fill(2));
}

// The shipped features-v1 of every NB201 cell: the whole-space scan then
// skips lowering 15625 networks. Without it the scan computes them.
async function loadFeatureCache() {
  if (state.space !== 'nb201' || state.featureCache) return;
  try {
    state.featureCache = await state.wasm.FeatureCache.fromUrl('data/nb201_features-v1.bin.gz');
  } catch (e) {
    console.warn(`computing features instead of the cache: ${e.message}`);
  }
}

async function loadMeasured(generation) {
  const url = `data/${state.space}_latency.csv.gz`;
  status(`Reading the measured latencies (${url})…`);
  await nextFrame();
  const measured = await state.wasm.MeasuredData.fromUrl(url, state.space);
  if (generation !== state.generation) return;
  state.measured = measured;
  renderDevices();
}

// The architectures to rank: all of NB201, or the dataset's FBNet networks.
function scanArchs() {
  if (state.space === 'nb201') return undefined;
  if (state.measured) return state.measured.archs;
  throw new Error('FBNet has 9^22 networks; ranking needs the dataset\'s list, which failed to load');
}

async function scanSpace(generation) {
  const started = performance.now();
  await loadFeatureCache();
  const scan = state.predictor.scan(scanArchs());
  if (state.space === 'nb201' && state.featureCache) scan.useFeatures(state.featureCache);
  const total = scan.total;
  // Chunks of about 40 ms keep the page responsive.
  let chunk = 256;
  while (scan.done < total) {
    if (generation !== state.generation) {
      scan.free();
      return;
    }
    const t0 = performance.now();
    scan.step(chunk);
    const took = performance.now() - t0;
    chunk = Math.max(64, Math.min(4096, Math.round(chunk * 40 / Math.max(took, 1))));
    progress(scan.done, total);
    status(`Predicting the whole space: ${scan.done} / ${total} architectures`);
    await nextFrame();
  }
  const table = scan.finish();
  const scanned = performance.now();
  // Rank every device once: the "rank the whole space on every device" work.
  for (const d of table.devices) table.order(d);
  const ranked = performance.now();
  timings.scanMs = scanned - started;
  timings.rankAllDevicesMs = ranked - scanned;
  timings.scanArchs = total;
  timings.scanDevices = table.devices.length;
  progress(0, 0);
  if (generation !== state.generation) {
    table.free();
    return;
  }
  state.table = table;
  // `table.archs` copies every string out of the module on each read: once.
  state.archs = table.archs;
  for (const d of state.myDevices) state.table.addDevice(d.name, d.archs, d.ms);
  await loadAccuracy();
  if (generation !== state.generation) return;
  applyScore();
  status(`${state.predictorName}: ${total} architectures × ${table.devices.length} devices predicted in ${Math.round(timings.scanMs)} ms`);
  renderTableViews();
  timings.tableReady = performance.now();
}

// NB201's accuracies, fetched once; FBNet has none (no benchmark trained
// its networks), which the page says instead of inventing a score.
async function loadAccuracy() {
  if (state.space !== 'nb201' || state.accuracy) return;
  status('Reading the NAS-Bench-201 accuracies…');
  try {
    state.accuracy = await state.wasm.AccuracyData.fromUrl('data/nb201_accuracy.csv.gz');
  } catch (e) {
    // The latency views work without it: say so, and fall back to MFLOPs.
    showError(new Error(`the accuracies did not load, so the fronts use MFLOPs: ${e.message}`));
  }
}

// Makes the chosen dataset's accuracy (or MFLOPs) the table's score: the
// Pareto front, the budget answer and the ranking lists use it.
function applyScore() {
  const select = $('score-dataset');
  const hasAccuracy = state.space === 'nb201' && state.accuracy !== null;
  for (const option of select.options) option.disabled = option.value !== 'mflops' && !hasAccuracy;
  if (!hasAccuracy) select.value = 'mflops';
  if (select.value === 'mflops') state.table.useMflops();
  else state.table.useAccuracy(state.accuracy, select.value);
  state.score = state.table.score;
  state.scoreName = state.table.scoreName;
  state.scoredByAccuracy = select.value !== 'mflops';
  $('score-note').textContent = hasAccuracy
    ? 'Accuracy: NAS-Bench-201 test accuracy after 200 epochs (Dong & Yang, ICLR 2020; see data/README.md). A front holds the architectures no other beats on both latency and score.'
    : `No accuracy data exists for ${state.space} networks (no benchmark trained them); the score is MFLOPs, a stand-in for capacity, not quality.`;
}

// ---- the view as a link, and downloads -------------------------------------

// Writes the current view into the URL hash (no history entry per click), so
// copying the address (or "Link to this view") reopens the page as it is.
function updateLink() {
  if (!state.predictor || !state.arch || state.restoring) return;
  const hash = encodeView(state.wasm, {
    space: state.space,
    arch: state.arch,
    rankDevice: $('rank-device').value,
    k: $('rank-k').value,
    floor: $('accuracy-floor').value === '0' ? '' : $('accuracy-floor').value,
    deviceA: $('device-a').value,
    deviceB: $('device-b').value,
    score: $('score-dataset').value,
    budget: $('budget-ms').value,
    devices: state.myDevices,
  });
  history.replaceState(null, '', `#${hash}`);
  $('share-link').href = location.href;
}

// Reopens the view a link describes: its space's shipped predictor, the
// architecture, the added devices (adapted again from their samples) and
// the choices of every view.
async function restoreView(view) {
  state.restoring = true;
  try {
    if (view.space !== state.space) await loadShipped(view.space);
    if (view.arch) setArch(view.arch);
    for (const d of view.devices) {
      $('my-device-name').value = d.name;
      $('my-device-samples').value = d.archs.map((a, i) => `${a}, ${d.ms[i]}`).join('\n');
      await addMyDevice();
    }
    const pick = (id, value) => {
      if (value === undefined) return;
      const el = $(id);
      if (el.tagName === 'SELECT' && !Array.from(el.options).some((o) => o.value === value)) {
        throw new Error(`link: ${id.replace('-', ' ')} "${value}" is not on this page`);
      }
      el.value = value;
    };
    pick('rank-device', view.rankDevice);
    pick('rank-k', view.k);
    pick('accuracy-floor', view.floor);
    pick('device-a', view.deviceA);
    pick('device-b', view.deviceB);
    pick('score-dataset', view.score);
    pick('budget-ms', view.budget);
    if (state.table) {
      applyScore();
      renderRanking();
      renderPareto();
      if (view.budget) bestUnder();
    }
  } finally {
    state.restoring = false;
    updateLink();
  }
}

function downloadRanking() {
  if (!state.table) throw new Error('the whole space is still being predicted; try again when the progress bar is gone');
  const device = $('rank-device').value;
  const latency = state.table.latency(device);
  const header = ['rank', 'arch', `${device}_ms`, state.scoredByAccuracy ? state.scoreName : 'mflops'];
  const archs = state.archs;
  const rows = Array.from(state.table.order(device), (row, i) =>
    [i + 1, archs[row], latency[row], state.score[row]]);
  downloadCsv(`latscope_ranking_${state.space}_${device}.csv`, header, rows);
}

function downloadFront() {
  if (!state.table) throw new Error('the whole space is still being predicted; try again when the progress bar is gone');
  const b = $('device-b').value;
  const latency = state.table.latency(b);
  const front = JSON.parse($('front').dataset.front ?? '[]');
  const archs = state.archs;
  downloadCsv(`latscope_front_${state.space}_${b}.csv`, ['arch', `${b}_ms`, state.scoreName],
    front.map((row) => [archs[row], latency[row], state.score[row]]));
}

function downloadPredictions() {
  const rows = Array.from($('device-bars').querySelectorAll('.device-row'), (g) =>
    [state.arch, g.dataset.device, g.dataset.predicted, g.dataset.measured ?? '']);
  downloadCsv(`latscope_predictions_${state.space}.csv`, ['arch', 'device', 'predicted_ms', 'measured_ms'], rows);
}

function saveChart(containerId, name) {
  const svg = $(containerId).querySelector('svg');
  if (!svg) throw new Error(`the ${name} is not drawn yet`);
  downloadSvg(svg, `latscope_${name}_${state.space}.svg`);
}

// ---- the current architecture ---------------------------------------------

function setArch(text) {
  const choices = state.wasm.decomposeArch(state.space, text);
  state.choices = Array.from(choices);
  state.arch = state.wasm.composeArch(state.space, choices);
  $('arch-input').value = state.arch;
  renderBuilder($('builder'), state.layout, state.choices, guarded((next) => {
    setArch(state.wasm.composeArch(state.space, Uint32Array.from(next)));
  }));
  const s = state.wasm.archSummary(state.space, state.arch);
  const index = s.benchmark_index === null ? '' : `NAS-Bench-201 index ${s.benchmark_index} · `;
  $('arch-summary').textContent = `${index}${s.mflops.toFixed(2)} MFLOPs · ${s.mparams.toFixed(3)} M parameters · ${s.kernels} kernels (${s.dataset})`;
  renderDevices();
  if (state.table) renderRanking();
  updateLink();
}

function randomArch() {
  const n = state.layout.choices.length;
  const choices = Uint32Array.from(state.layout.positions, () => Math.floor(Math.random() * n));
  setArch(state.wasm.composeArch(state.space, choices));
}

// ---- views -------------------------------------------------------------------

function renderDevices() {
  if (!state.predictor) return;
  const devices = state.predictor.devices;
  const predicted = state.predictor.predict([state.arch]);
  const measured = state.measured ? state.measured.lookup(state.arch, devices) : {};
  const rows = devices.map((device, j) => ({ device, predicted: predicted[j], measured: measured[device] }));
  for (const d of state.myDevices) {
    const [ms] = state.predictor.adapt(d.archs, Float64Array.from(d.ms), [state.arch]);
    rows.push({ device: d.name, predicted: ms, added: true });
  }
  deviceBars($('device-bars'), rows);
}

function fillDeviceSelects() {
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

function pickProxy() {
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

function renderTableViews() {
  fillDeviceSelects();
  renderRanking();
  renderHeatmap();
  renderPareto();
  $('proxy-picks').replaceChildren();
}

function archLink(row, ms) {
  const arch = state.archs[row];
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.href = '#architecture';
  a.textContent = arch;
  a.dataset.arch = arch;
  a.addEventListener('click', guarded(() => setArch(arch)));
  li.append(a, ` ${formatMs(ms)} ms`);
  if (state.scoredByAccuracy) li.append(` · ${state.score[row].toFixed(2)} %`);
  return li;
}

function renderRanking() {
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
    $('standing').textContent = `This architecture is not among the ${state.archs.length} ranked ones (${e.message}).`;
  }
  histogram($('histogram'), table.histogram(device, 40), mark, label);
}

function renderHeatmap() {
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

function renderPareto() {
  const table = state.table;
  if (!table) return;
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
  const rho = state.wasm.spearman(Float64Array.from(la), Float64Array.from(lb));
  scatter($('scatter'), {
    xLabel: `${a} (ms)`, yLabel: `${b} (ms)`, xLog: true, yLog: true,
    layers: [
      { xs: la, ys: lb, rows: null, colour: 'rgba(90,90,90,0.25)', radius: 1.5 },
      { xs: la, ys: lb, rows: Array.from(r.proxy_front), colour: '#e07020', radius: 3 },
      { xs: la, ys: lb, rows: Array.from(r.target_front), colour: '#2060c0', radius: 2.5 },
      { xs: la, ys: lb, rows: current, colour: '#c00', radius: 6, ring: true },
    ],
  });
  scatter($('front'), {
    xLabel: `${b} (ms)`, yLabel: state.scoreName, xLog: true, yLog: false,
    layers: [
      { xs: lb, ys: score, rows: null, colour: 'rgba(90,90,90,0.25)', radius: 1.5 },
      { xs: lb, ys: score, rows: Array.from(r.target_front), colour: '#2060c0', radius: 2.5, line: true },
      { xs: lb, ys: score, rows: Array.from(r.proxy_front), colour: '#e07020', radius: 3 },
      { xs: lb, ys: score, rows: current, colour: '#c00', radius: 6, ring: true },
    ],
  });
  $('front').dataset.front = JSON.stringify(Array.from(r.target_front));
  $('pareto-summary').textContent =
    `ρ(${a}, ${b}) = ${rho.toFixed(3)}. Score: ${state.scoreName}. Orange: the Pareto front found on ${a} (${r.proxy_front.length} architectures); ` +
    `blue: ${b}'s own front (${r.target_front.length}). ${r.overlap} are on both; ` +
    `re-evaluated on ${b}, ${a}'s front keeps ${(100 * r.hypervolume_ratio).toFixed(1)}% of the hypervolume.`;
}

// "The best architecture within X ms on device B": the highest score among
// those predicted to fit the budget.
function bestUnder() {
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
  a.addEventListener('click', guarded(() => setArch(best.arch)));
  const score = state.scoredByAccuracy ? `${best.score.toFixed(2)} % (${best.score_name})` : `${best.score.toFixed(1)} MFLOPs`;
  out.append(`Best within ${formatMs(budget)} ms on ${device} (${best.within_budget} of ${state.archs.length} fit): `,
    a, `, ${formatMs(best.latency_ms)} ms, ${score}.`);
  clearError();
}

// ---- add my device -------------------------------------------------------------

function fillReference() {
  const lines = state.predictor.referenceArchs.map((a) => `${a}, `);
  $('my-device-samples').value = lines.join('\n');
}

async function addMyDevice() {
  const name = $('my-device-name').value.trim();
  if (!name) throw new Error('give your device a name');
  if (state.predictor.devices.includes(name)) {
    throw new Error(`"${name}" is a device of the predictor file; choose another name`);
  }
  const { archs, ms } = parseSamples($('my-device-samples').value);
  // Adapting checks the architectures and latencies and says what is wrong.
  const [mine] = state.predictor.adapt(archs, Float64Array.from(ms), [state.arch]);
  state.myDevices = state.myDevices.filter((d) => d.name !== name).concat([{ name, archs, ms }]);
  if (state.table) {
    state.table.addDevice(name, archs, Float64Array.from(ms));
    renderTableViews();
    $('rank-device').value = name;
    renderRanking();
  }
  renderDevices();
  const fit = state.predictor.adaptationFit(archs, Float64Array.from(ms));
  $('my-device-result').textContent =
    `${name} (from ${archs.length} measurements${fit ? `; ${describeFit(fit)}` : ''}): ` +
    `this architecture is predicted at ${formatMs(mine)} ms.` +
    (state.table ? ` ${name} is now in the ranking, the heatmap and the device lists.` : '');
  $('my-device-result').dataset.fit = fit ? fit.chosen.fit : '';
  clearError();
  updateLink();
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
function suggestNext() {
  if (!state.table) throw new Error('suggestions need the whole-space predictions; wait until they are ready');
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

// ---- your own predictor file ------------------------------------------------------

async function loadFile(file) {
  status(`Reading ${file.name}…`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  let predictor;
  try {
    predictor = new state.wasm.Predictor(bytes);
  } catch (e) {
    status(`${file.name} could not be loaded; still using ${state.predictorName}`);
    // Name the file in the message, keeping the error (and its kind).
    if (e instanceof Error) e.message = `${file.name}: ${e.message}`;
    throw e;
  }
  clearError();
  await usePredictor(predictor, file.name);
}

// ---- start ---------------------------------------------------------------------

function wire() {
  $('space').addEventListener('change', guarded(async () => {
    clearError();
    await loadShipped($('space').value);
  }));
  $('predictor-file').addEventListener('change', guarded(async (event) => {
    const [file] = event.target.files;
    if (file) await loadFile(file);
  }));
  $('paste-form').addEventListener('submit', guarded((event) => {
    event.preventDefault();
    setArch($('arch-input').value.trim());
    clearError();
  }));
  $('random-arch').addEventListener('click', guarded(randomArch));
  const andLink = (render) => guarded(() => { render(); updateLink(); });
  $('rank-device').addEventListener('change', andLink(renderRanking));
  $('rank-k').addEventListener('change', andLink(renderRanking));
  $('accuracy-floor').addEventListener('change', andLink(renderRanking));
  $('device-a').addEventListener('change', andLink(renderPareto));
  $('device-b').addEventListener('change', andLink(renderPareto));
  $('download-ranking').addEventListener('click', guarded(downloadRanking));
  $('download-front').addEventListener('click', guarded(downloadFront));
  $('download-predictions').addEventListener('click', guarded(downloadPredictions));
  $('save-bars').addEventListener('click', guarded(() => saveChart('device-bars', 'bars')));
  $('save-histogram').addEventListener('click', guarded(() => saveChart('histogram', 'histogram')));
  $('save-heatmap').addEventListener('click', guarded(() => saveChart('heatmap', 'heatmap')));
  $('save-scatter').addEventListener('click', guarded(() => downloadPng($('scatter'), `latscope_scatter_${state.space}.png`)));
  $('save-front').addEventListener('click', guarded(() => downloadPng($('front'), `latscope_front_${state.space}.png`)));
  $('score-dataset').addEventListener('change', guarded(() => {
    if (!state.table) return;
    applyScore();
    renderRanking();
    renderPareto();
    $('best-under').replaceChildren();
    updateLink();
  }));
  $('budget-form').addEventListener('submit', guarded((event) => {
    event.preventDefault();
    bestUnder();
    updateLink();
  }));
  $('fill-reference').addEventListener('click', guarded(fillReference));
  $('pick-proxy').addEventListener('click', guarded(pickProxy));
  $('add-device').addEventListener('click', guarded(addMyDevice));
  $('suggest-next').addEventListener('click', guarded(suggestNext));
}

async function start() {
  state.wasm = window.wasmBindings;
  timings.moduleReady = performance.now();
  wire();
  // A link to a view reopens it; an unreadable link shows its error and
  // the default view.
  let view = null;
  try {
    view = decodeView(state.wasm, location.hash);
  } catch (e) {
    showError(e);
  }
  const space = view?.space === 'fbnet' ? 'fbnet' : 'nb201';
  status(`Loading the ${space === 'nb201' ? 'NB201' : 'FBNet'} predictor…`);
  await loadShipped(space);
  if (view) await restoreView(view);
}

const begin = guarded(start);
if (window.wasmBindings) {
  begin();
} else {
  window.addEventListener('TrunkApplicationStarted', begin, { once: true });
}
