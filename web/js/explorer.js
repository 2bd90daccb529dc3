// The latscope explorer page: loads a predictor (shipped or the visitor's
// own), predicts the chosen architecture on every device at once, then
// predicts the whole space in a Web Worker (scan.js; with progress, never
// freezing the page) for rankings, the device correlation heatmap and
// Pareto fronts. All computation is in the wasm module; this file wires it
// to the DOM.

import { decodeView, downloadPng } from './share.js';
import { SpaceScanner } from './scan.js';
import { state, timings } from './state.js';
import { $, afterPaint, clearError, guarded, nextFrame, progress, showError, status } from './page.js';
import { randomArch, setArch, showArchDetails, showArchPrediction } from './architecture.js';
import {
  bestUnder, fillDeviceSelects, onArchPicked, pickProxy, renderPareto, renderRanking, renderTableViews,
} from './table_views.js';
import { addMyDevice, awaitEmbedding, fillReference, suggestNext } from './my_device.js';
import { downloadFront, downloadPredictions, downloadRanking, saveChart } from './downloads.js';
import { updateLink } from './view_link.js';

window.latscope = { state, timings };

// ---- loading ---------------------------------------------------------------

// The bytes at `url`, or an error naming it (kind `fetch`, as the module's).
// index.html starts reading the predictor the page opens with before this
// module loads (window.latscopeEarly: url -> the bytes, or the response
// when it failed); the first load of that URL takes them.
async function fetchBytes(url) {
  const early = window.latscopeEarly?.[url];
  if (early) delete window.latscopeEarly[url];
  let response;
  try {
    response = await (early ?? fetch(url));
  } catch (e) {
    throw Object.assign(new Error(`fetching ${url}: ${e.message}`), { kind: 'fetch' });
  }
  if (response instanceof ArrayBuffer) return new Uint8Array(response);
  if (!response.ok) {
    throw Object.assign(new Error(`fetching ${url}: HTTP ${response.status} ${response.statusText}`), { kind: 'fetch' });
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function loadShipped(space) {
  const url = `predictors/${space}.onnx`;
  const bytes = await fetchBytes(url);
  let predictor;
  try {
    predictor = new state.wasm.Predictor(bytes);
  } catch (e) {
    if (e instanceof Error) e.message = `${url}: ${e.message}`;
    throw e;
  }
  state.predictorKey = url;
  await usePredictor(predictor, `${space}.onnx (shipped)`, bytes);
}

async function usePredictor(predictor, name, bytes) {
  const generation = ++state.generation;
  state.predictor?.free?.();
  state.table?.free?.();
  state.predictor = predictor;
  state.predictorBytes = bytes;
  state.predictorName = name;
  state.table = null;
  state.myDevices = [];
  const spaceChanged = state.space !== predictor.space || !state.choices.length;
  state.space = predictor.space;
  $('space').value = state.space;
  state.layout = state.wasm.spaceLayout(state.space);
  // The first prediction in a task of its own: loading the predictor took
  // this one.
  await nextFrame();
  if (generation !== state.generation) return;
  // Devices added for the previous predictor do not carry over.
  $('my-device-result').textContent = '';
  if (spaceChanged) $('my-device-samples').value = '';
  showArchPrediction(spaceChanged ? defaultArch() : state.arch);
  if (timings.firstPrediction === undefined) timings.firstPrediction = performance.now();
  // The bars paint before the rest of the view is built (about 20-40 ms
  // of builder, summary, link and lists on a cold page).
  await afterPaint();
  if (generation !== state.generation) return;
  showArchDetails();
  fillDeviceSelects();
  status(`${name}: ${predictor.devices.length} devices, ${predictor.method}, ${predictor.encodings}`);
  // Then the whole space, in the worker: asked for after the first
  // prediction, so that the worker's module compiles beside this thread's
  // later work rather than competing with the first answer for the CPU;
  // and in a task of its own (sending the file's bytes to the worker
  // copies them), so that no task of a cold load gets long.
  await nextFrame();
  if (generation !== state.generation) return;
  await scanSpace(generation, requestScan(generation));
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
  if (state.space !== 'nb201' || state.featureCache) return state.featureCache;
  try {
    state.featureCache = await state.wasm.FeatureCache.fromUrl('data/nb201_features-v1.bin.gz');
  } catch (e) {
    console.warn(`computing features instead of the cache: ${e.message}`);
  }
  return state.featureCache;
}

// The shipped measurements of the current space (HELP's latencies), which
// the worker reads and looks architectures up in.
function measuredUrl() {
  return new URL(`data/${state.space}_latency.csv.gz`, location.href).href;
}

// The architectures to rank: all of NB201, or the dataset's FBNet networks
// (9^22 cannot be listed).
function scanArchs() {
  return state.space === 'nb201' ? null : 'measured';
}

// Starts predicting the whole space (in the worker; on this thread when
// there is no worker): {started, latencies, embedding} as
// SpaceScanner.start gives them. Also sets state.embeddingReady.
function requestScan(generation) {
  const started = performance.now();
  const isCurrent = () => generation === state.generation;
  const { latencies, embedding } = state.scanner.start({
    predictor: state.predictor,
    bytes: state.predictorBytes,
    key: state.predictorKey,
    archs: scanArchs(),
    measuredUrl: measuredUrl(),
    space: state.space,
    featuresUrl: state.space === 'nb201' ? new URL('data/nb201_features-v1.bin.gz', location.href).href : null,
    // Only the main-thread fallback reads it here (the worker fetches it).
    featureCache: loadFeatureCache,
    isCurrent,
    onProgress: (done, total, what) => {
      if (!isCurrent()) return;
      progress(done, total);
      if (what === 'latency') status(`Predicting the whole space: ${done} / ${total} architectures`);
    },
  });
  state.embeddingReady = Promise.all([latencies, embedding]).then(async ([done, rows]) => {
    if (!isCurrent() || !done) return;
    if (rows) await giveEmbedding(done.table, rows, isCurrent);
    if (!isCurrent()) return;
    timings.embeddingReady = performance.now() - started;
    progress(0, 0);
  });
  // Errors show where the embedding is awaited (adding a device).
  state.embeddingReady.catch(() => {});
  return { started, latencies };
}

// Rows of the ensemble's embedding given to the table per task: the whole
// of NB201's (15625 rows × 884 floats, 55 MB) copied into the module at
// once had been a task of 80-120 ms on this thread; 1024 rows copy in a
// few ms.
const EMBEDDING_ROWS_PER_TASK = 1024;

// Gives the table the worker's embedding rows, a part per task. The table
// may compute them itself meanwhile (a device added at that moment); it
// then has them, and the rest is not needed.
async function giveEmbedding(table, rows, isCurrent) {
  const perTask = EMBEDDING_ROWS_PER_TASK * (rows.length / table.size);
  for (let first = 0; first < rows.length; first += perTask) {
    if (!isCurrent() || table.hasEmbedding) return;
    table.appendEmbeddingRows(rows.subarray(first, first + perTask));
    await nextFrame();
  }
}

async function scanSpace(generation, { started, latencies }) {
  const isCurrent = () => generation === state.generation;
  // The accuracies the views score with, asked for now: the worker reads
  // them right after the scan instead of after the table is made.
  if (state.space === 'nb201' && $('score-dataset').value !== 'mflops') {
    accuracyScores($('score-dataset').value).catch(() => {});
  }
  status(`Predicting the whole space${state.predictor.hasScanNetwork ? ' (scan network)' : ''}…`);
  const done = await latencies;
  if (!done) return;
  const { table } = done;
  const scanned = performance.now();
  // Rank every device once: the "rank the whole space on every device" work.
  for (const d of table.devices) table.order(d);
  const ranked = performance.now();
  timings.scanMs = scanned - started;
  timings.rankAllDevicesMs = ranked - scanned;
  timings.scanArchs = table.size;
  timings.scanDevices = table.devices.length;
  timings.usesScanNetwork = done.usesScanNetwork;
  if (!isCurrent()) {
    table.free();
    return;
  }
  state.table = table;
  state.usesScanNetwork = done.usesScanNetwork;
  // The views in tasks of their own, after the one that made the table.
  await nextFrame();
  if (!isCurrent()) return;
  await applyScore();
  if (!isCurrent()) return;
  const total = table.size;
  status(`${state.predictorName}: ${total} architectures × ${table.devices.length} devices predicted and ranked in ` +
    `${Math.round(timings.scanMs + timings.rankAllDevicesMs)} ms${done.usesScanNetwork ? ' by the scan network' : ''}`);
  $('scan-note').textContent = scanNote();
  await renderTableViews();
  if (!isCurrent()) return;
  timings.tableReady = performance.now();
  // Devices added while the space was being predicted join the table.
  if (state.myDevices.length) {
    await awaitEmbedding();
    if (!isCurrent()) return;
    for (const d of state.myDevices) state.table.addDevice(d.name, d.archs, Float64Array.from(d.ms));
    await renderTableViews();
  }
}

// What the whole-space views are computed with.
function scanNote() {
  const agreement = state.predictor.scanAgreement;
  if (!state.usesScanNetwork || !agreement) {
    return 'Whole-space views: the predictor file\'s ensemble (this file has no scan network; `profiler distil` adds one).';
  }
  const rho = Math.min(...agreement.spearman);
  return `Whole-space views use the file's scan network, a small network distilled from the ensemble: ` +
    `on ${agreement.set} it ranks every device with Spearman ρ ≥ ${rho.toFixed(3)} against the ensemble ` +
    `(median difference ${(100 * agreement.median_relative_error).toFixed(1)} %). ` +
    'The architecture\'s own bars and added devices use the ensemble.';
}

// NB201's accuracy on `dataset` for every cell (the row order of an NB201
// table), read and looked up by the worker once per dataset; FBNet has
// none (no benchmark trained its networks), which the page says instead of
// inventing a score.
function accuracyScores(dataset) {
  if (!state.accuracyScores.has(dataset)) {
    const url = new URL('data/nb201_accuracy.csv.gz', location.href).href;
    const scores = state.scanner.accuracyScores(url, dataset);
    scores.catch(() => state.accuracyScores.delete(dataset));
    state.accuracyScores.set(dataset, scores);
  }
  return state.accuracyScores.get(dataset);
}

// Makes the chosen dataset's accuracy (or MFLOPs) the table's score: the
// Pareto front, the budget answer and the ranking lists use it.
async function applyScore() {
  const table = state.table;
  const select = $('score-dataset');
  let hasAccuracy = state.space === 'nb201';
  let scores = null;
  if (hasAccuracy && select.value !== 'mflops') {
    try {
      scores = await accuracyScores(select.value);
    } catch (e) {
      // The latency views work without it: say so, and fall back to MFLOPs.
      showError(new Error(`the accuracies did not load, so the fronts use MFLOPs: ${e.message}`));
      hasAccuracy = false;
    }
  }
  if (table !== state.table) return;
  for (const option of select.options) option.disabled = option.value !== 'mflops' && !hasAccuracy;
  if (!hasAccuracy) select.value = 'mflops';
  if (select.value === 'mflops') table.useMflops();
  else table.useAccuracyScores(select.value, scores);
  state.score = table.score;
  state.scoreName = table.scoreName;
  state.scoredByAccuracy = select.value !== 'mflops';
  $('score-note').textContent = hasAccuracy
    ? 'Accuracy: NAS-Bench-201 test accuracy after 200 epochs (Dong & Yang, ICLR 2020; see data/README.md). A front holds the architectures no other beats on both latency and score.'
    : `No accuracy data exists for ${state.space} networks (no benchmark trained them); the score is MFLOPs, a stand-in for capacity, not quality.`;
}

// ---- reopening a linked view ---------------------------------------------------

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
      await applyScore();
      renderRanking();
      renderPareto();
      if (view.budget) bestUnder();
    }
  } finally {
    state.restoring = false;
    updateLink();
  }
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
  state.predictorKey = `${file.name} ${file.size} ${file.lastModified}`;
  await usePredictor(predictor, file.name, bytes);
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
  $('score-dataset').addEventListener('change', guarded(async () => {
    if (!state.table) return;
    await applyScore();
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
  state.scanner = new SpaceScanner(state.wasm);
  state.measuredLookup = (arch, devices) => state.scanner.lookupMeasured(measuredUrl(), state.space, arch, devices);
  timings.moduleReady = performance.now();
  onArchPicked(setArch);
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

// trunk's loader (index.html) starts the module and calls `begin` through
// its event; when the module cannot start (its file missing or damaged,
// a browser without WebAssembly) the loader's error is the page's error,
// rather than a page that says it is loading forever.
function moduleFailed(event) {
  if (state.wasm) return;
  const reason = event.reason ?? event.error ?? event.message;
  status('The module did not start.');
  showError(new Error(`the page's WebAssembly module (latscope-web-lite_bg.wasm) did not start: ${reason?.message ?? reason}`));
}

if (window.wasmBindings) {
  begin();
} else {
  window.addEventListener('TrunkApplicationStarted', begin, { once: true });
  window.addEventListener('error', moduleFailed);
  window.addEventListener('unhandledrejection', moduleFailed);
}
