// The explorer's Web Worker: predicts a whole search space off the page's
// main thread (so the page never freezes) and on the machine's other core.
// It posts the latencies first (from the file's scan network when it has
// one), ranked on every device and with the devices' rank correlation
// matrix, so the page draws as soon as they arrive; and then the
// ensemble's embedding rows, which only adding a device and suggesting
// measurements need. A newer job stops an older one at its next chunk.
//
// It also keeps the measured datasets and the accuracies, read here once,
// not on the page's thread, and answers questions about them.
//
// Messages in:  {type: 'scan', id, bytes (the predictor file), key (names
//                the file: the same key, the same bytes), archs (null:
//                the whole space; 'measured': the dataset's), features (URL
//                of a features-v1 cache, or null), measured (the dataset's
//                URL), space}
//               {type: 'lookup', id, measured, space, arch, devices}
//               {type: 'scores', id, accuracy (the file's URL), dataset}
// Messages out: {id, type: 'latency', latency, mflops, orders, correlation,
//                usesScanNetwork, archs (for 'measured'), ms}
//                (orders: every device's ranking)
//               {id, type: 'progress', done, total}   (embedding rows)
//               {id, type: 'embedding', embedding, ms}
//               {id, type: 'error', message, kind}
//               {id, type: 'answer', values} or {id, type: 'answer', message, kind}
//                (values: {device: ms} for a lookup; every NB201 cell's
//                accuracy in benchmark order for scores)

import init, * as latscope from '../latscope-web.js';

const ready = init({ module_or_path: new URL('../latscope-web_bg.wasm', import.meta.url) });
const featureCaches = new Map();
// Loaded predictors by the page's key for their file (a space switched back
// to needs no second load); the two most recent are kept.
const predictors = new Map();
const dataFiles = new Map();
let newest = 0;
// Settles when the newest scan has posted its latencies: lookups wait for
// it, so reading a dataset never delays the page's rankings.
let latenciesPosted = Promise.resolve();

// Chunks between which the worker reads its messages (a newer job, a
// lookup): a newer job waits for at most one chunk. The latencies cost
// about 1/25 of an embedding row; 256 embedding rows take about 30 ms.
const LATENCY_CHUNK = 4096;
const EMBEDDING_CHUNK = 256;

const yieldToMessages = () => new Promise((resolve) => setTimeout(resolve, 0));

const failure = (e) => ({ message: e?.message ?? String(e), kind: e?.kind ?? '' });

self.onmessage = (event) => {
  const message = event.data;
  const question = { lookup, scores }[message.type];
  if (question) {
    question(message).then(
      (values) => self.postMessage({ id: message.id, type: 'answer', values }),
      (e) => self.postMessage({ id: message.id, type: 'answer', ...failure(e) }),
    );
    return;
  }
  newest = message.id;
  run(message).catch((e) => self.postMessage({ id: message.id, type: 'error', ...failure(e) }));
};

async function featureCache(url) {
  if (!featureCaches.has(url)) featureCaches.set(url, latscope.FeatureCache.fromUrl(url));
  return featureCaches.get(url);
}

// A data file (`MeasuredData`, `AccuracyData`), read once per URL (a failed
// read is tried again).
async function dataFile(kind, url, ...args) {
  await ready;
  if (!dataFiles.has(url)) {
    const reading = latscope[kind].fromUrl(url, ...args);
    reading.catch(() => dataFiles.delete(url));
    dataFiles.set(url, reading);
  }
  return dataFiles.get(url);
}

const measuredData = (url, space) => dataFile('MeasuredData', url, space);

async function lookup({ measured, space, arch, devices }) {
  await latenciesPosted;
  return (await measuredData(measured, space)).lookup(arch, devices);
}

async function scores({ accuracy, dataset }) {
  await latenciesPosted;
  return (await dataFile('AccuracyData', accuracy)).lookup(nb201Cells(), dataset);
}

let cells = null;
function nb201Cells() {
  cells ??= latscope.spaceArchitectures('nb201');
  return cells;
}

// Steps `scan` to the end; false when a newer job arrived first.
async function runScan(job, scan, chunk, onChunk) {
  while (scan.done < scan.total) {
    if (job.id !== newest) return false;
    scan.step(chunk);
    onChunk?.(scan.done, scan.total);
    await yieldToMessages();
  }
  return job.id === newest;
}

async function run(job) {
  let posted;
  latenciesPosted = new Promise((resolve) => {
    posted = resolve;
  });
  try {
    await scanJob(job, posted);
  } finally {
    posted();
  }
}

function predictorFor(job) {
  if (job.key && predictors.has(job.key)) return predictors.get(job.key);
  const predictor = new latscope.Predictor(new Uint8Array(job.bytes));
  if (!job.key) return predictor;
  predictors.set(job.key, predictor);
  for (const [key, old] of predictors) {
    if (predictors.size <= 2) break;
    predictors.delete(key);
    old.free();
  }
  return predictor;
}

async function scanJob(job, posted) {
  await ready;
  const predictor = predictorFor(job);
  const scans = [];
  try {
    const cache = job.features ? await featureCache(job.features).catch(() => null) : null;
    const archs = job.archs === 'measured' ? (await measuredData(job.measured, job.space)).archs : job.archs;
    if (job.id !== newest) return;
    const started = performance.now();
    const scan = predictor.scan(archs ?? undefined);
    scans.push(scan);
    if (cache) scan.useFeatures(cache);
    if (!await runScan(job, scan, LATENCY_CHUNK)) return;
    const latency = scan.latencies();
    const mflops = scan.mflops();
    const usesScanNetwork = scan.usesScanNetwork;
    // Without a scan network the ensemble gave the embedding rows too.
    let embedding = usesScanNetwork ? null : scan.embedding();
    const { orders, correlation } = scan.rank();
    self.postMessage({
      id: job.id,
      type: 'latency',
      latency,
      mflops,
      orders,
      correlation,
      usesScanNetwork,
      archs: job.archs === 'measured' ? archs : undefined,
      ms: performance.now() - started,
    }, [latency.buffer, mflops.buffer, orders.buffer, correlation.buffer]);
    posted();
    const embeddingStarted = performance.now();
    if (usesScanNetwork) {
      const rows = predictor.embeddingScan(archs ?? undefined);
      scans.push(rows);
      if (cache) rows.useFeatures(cache);
      const progress = (done, total) => self.postMessage({ id: job.id, type: 'progress', done, total });
      if (!await runScan(job, rows, EMBEDDING_CHUNK, progress)) return;
      embedding = rows.embedding();
    }
    self.postMessage({ id: job.id, type: 'embedding', embedding, ms: performance.now() - embeddingStarted },
      [embedding.buffer]);
  } finally {
    for (const s of scans) s.free();
    if (!job.key) predictor.free();
  }
}
