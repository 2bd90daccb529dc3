// The explorer page's state, shared by its modules, and the timings the
// browser benchmark reads (window.latscope).

export const state = {
  wasm: null,
  space: 'nb201',
  predictor: null,
  predictorName: '',
  // The predictor file's bytes, for the scan worker, and a key naming it
  // (the URL, or the visitor's file name, size and date).
  predictorBytes: null,
  predictorKey: '',
  // The page's worker client (created when the module is ready), and the
  // measured latencies of an architecture through it: (arch, devices) =>
  // Promise of {device: ms}.
  scanner: null,
  measuredLookup: null,
  // Settles when the table can add devices (the ensemble's embedding rows
  // follow the scan network's latencies in the background).
  embeddingReady: Promise.resolve(),
  // Whether the table's latencies come from the file's scan network.
  usesScanNetwork: false,
  // NB201's features-v1 computed ahead of time (profiler data encode).
  featureCache: null,
  layout: null,
  choices: [],
  arch: '',
  table: null,
  // NAS-Bench-201's test accuracies per dataset (promises of every cell's,
  // from the worker), and the table's current score per row (accuracy or
  // MFLOPs).
  accuracyScores: new Map(),
  score: null,
  scoreName: 'MFLOPs',
  // Whether the score is accuracy (NB201 with a dataset chosen).
  scoredByAccuracy: false,
  // Devices the visitor added: {name, archs, ms}.
  myDevices: [],
  // Bumped whenever the predictor changes, so stale async work stops.
  generation: 0,
  // True while a link's view is being reopened (the hash is written once
  // at the end).
  restoring: false,
};

// Milliseconds since navigation start, for the browser benchmark.
export const timings = {};
