// The page's heavy work, in a Web Worker (scan_worker.js) when the browser
// runs module workers: predicting the whole space for the page's views
// (the main thread only turns the worker's latencies, rankings and
// correlations into a table), reading the measured datasets and looking
// architectures up in them, and reading the accuracies. Without a worker the same runs on the
// main thread, the scan in chunks of about 40 ms. Either way the latencies
// come first (from the file's scan network when it has one) and the
// ensemble's embedding rows, which only adding a device and suggesting
// measurements need, follow in the background.

const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

// A promise with its resolve and reject, for answers that come as messages.
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

// An Error carrying the module's error kind, as the page shows errors.
function moduleError(message, kind) {
  const error = new Error(message);
  if (kind) error.kind = kind;
  return error;
}

export class SpaceScanner {
  constructor(wasm) {
    this.wasm = wasm;
    this.worker = null;
    this.workerFailed = typeof Worker === 'undefined';
    this.jobs = new Map();
    // Questions to the worker (a measured lookup, accuracy scores) by id.
    this.questions = new Map();
    this.nextId = 0;
    // The main-thread fallback's datasets, by URL.
    this.readFiles = new Map();
  }

  // `{device: ms}` measured for `arch` in the dataset at `url` (`{}` when
  // the dataset lacks it).
  lookupMeasured(url, space, arch, devices) {
    return this.ask({ type: 'lookup', measured: url, space, arch, devices },
      () => this.readHere('MeasuredData', url, space).then((m) => m.lookup(arch, devices)));
  }

  // NB201's test accuracy on `dataset` (percent) of every cell in
  // benchmark order (the row order of a whole-space table), from the
  // accuracy file at `url`.
  accuracyScores(url, dataset) {
    return this.ask({ type: 'scores', accuracy: url, dataset }, () => this.readHere('AccuracyData', url)
      .then((a) => a.lookup(this.wasm.spaceArchitectures('nb201'), dataset)));
  }

  // The worker's answer to `question`; `here()` gives it on this thread
  // when there is no worker.
  ask(question, here) {
    if (!this.workerFailed) {
      try {
        const worker = this.ensureWorker();
        const id = ++this.nextId;
        const answer = deferred();
        this.questions.set(id, answer);
        worker.postMessage({ ...question, id });
        return answer.promise;
      } catch (e) {
        console.warn(`reading data on the main thread: the worker did not start (${e.message})`);
        this.workerFailed = true;
      }
    }
    return here();
  }

  // The main-thread fallback's datasets (`MeasuredData` or
  // `AccuracyData`), read once per URL.
  readHere(kind, url, ...args) {
    if (!this.readFiles.has(url)) {
      const reading = this.wasm[kind].fromUrl(url, ...args);
      reading.catch(() => this.readFiles.delete(url));
      this.readFiles.set(url, reading);
    }
    return this.readFiles.get(url);
  }

  // Starts a scan. `job`: {predictor, bytes (the predictor file's), key
  // (names the file, so the worker keeps it loaded; optional), archs
  // (null: the whole space; 'measured': the dataset's), measuredUrl, space,
  // featuresUrl, featureCache (an async function
  // giving the cache, for the main-thread path), onProgress(done, total,
  // what), isCurrent()}.
  // Returns {latencies, embedding}: promises of {table, usesScanNetwork}
  // (null when a newer scan replaced this one) and of the embedding rows
  // (a Float32Array for table.setEmbedding; null when there is nothing to
  // set: replaced, or the table has them already). The embedding promise
  // settles once the table can add devices.
  start(job) {
    if (!this.workerFailed) {
      try {
        return this.startInWorker(job);
      } catch (e) {
        console.warn(`scanning on the main thread: the worker did not start (${e.message})`);
        this.workerFailed = true;
      }
    }
    return this.startOnMainThread(job);
  }

  ensureWorker() {
    if (this.worker) return this.worker;
    this.worker = new Worker(new URL('./scan_worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event) => this.receive(event.data);
    this.worker.onerror = (event) => {
      // A worker that cannot load (an old browser, a blocked script):
      // the jobs it had fail with this message; later scans run here.
      event.preventDefault?.();
      this.workerFailed = true;
      this.worker = null;
      const error = new Error(`the page's worker failed: ${event.message || 'it did not load'}`);
      for (const pending of this.jobs.values()) pending.fail(error);
      for (const pending of this.questions.values()) pending.reject(error);
      this.jobs.clear();
      this.questions.clear();
    };
    return this.worker;
  }

  startInWorker(job) {
    const worker = this.ensureWorker();
    const id = ++this.nextId;
    // Only the newest job can still answer: older ones resolve to null.
    for (const pending of this.jobs.values()) pending.supersede();
    this.jobs.clear();
    const latencies = deferred();
    const embedding = deferred();
    // Nobody may wait for the embedding: keep its rejection quiet.
    embedding.promise.catch(() => {});
    const pending = {
      job,
      latencies,
      embedding,
      fail: (error) => {
        latencies.reject(error);
        embedding.reject(error);
      },
      supersede: () => {
        latencies.resolve(null);
        embedding.resolve(null);
      },
    };
    this.jobs.set(id, pending);
    // A copy: the page keeps its bytes for the next scan.
    const bytes = job.bytes.slice().buffer;
    worker.postMessage({
      type: 'scan',
      id,
      bytes,
      key: job.key,
      archs: job.archs,
      features: job.featuresUrl,
      measured: job.measuredUrl,
      space: job.space,
    }, [bytes]);
    return { latencies: latencies.promise, embedding: embedding.promise };
  }

  receive(message) {
    if (message.type === 'answer') {
      const asked = this.questions.get(message.id);
      this.questions.delete(message.id);
      if (message.values !== undefined) asked?.resolve(message.values);
      else asked?.reject(moduleError(message.message, message.kind));
      return;
    }
    const pending = this.jobs.get(message.id);
    if (!pending) return;
    const { job } = pending;
    try {
      if (message.type === 'latency') {
        const archs = message.archs ?? job.archs ?? undefined;
        const table = job.predictor.tableFrom(archs, message.latency, message.mflops, message.orders, message.correlation);
        pending.latencies.resolve({ table, usesScanNetwork: message.usesScanNetwork, workerMs: message.ms });
      } else if (message.type === 'progress') {
        job.onProgress?.(message.done, message.total, 'embedding');
      } else if (message.type === 'embedding') {
        this.jobs.delete(message.id);
        pending.embedding.resolve(message.embedding);
      } else if (message.type === 'error') {
        this.jobs.delete(message.id);
        pending.fail(moduleError(message.message, message.kind));
      }
    } catch (e) {
      this.jobs.delete(message.id);
      pending.fail(e);
    }
  }

  // The same work on this thread, chunk by chunk.
  startOnMainThread(job) {
    const archs = job.archs === 'measured'
      ? this.readHere('MeasuredData', job.measuredUrl, job.space).then((m) => m.archs)
      : Promise.resolve(job.archs);
    const latencies = archs.then((list) => this.scanHere(job, job.predictor.scan(list ?? undefined), 'latency')).then((scan) => {
      if (!scan) return null;
      const usesScanNetwork = scan.usesScanNetwork;
      // Without a scan network the ensemble's rows are in the table already.
      const table = scan.finish();
      return { table, usesScanNetwork };
    });
    const embedding = latencies.then(async (done) => {
      if (!done?.usesScanNetwork) return null;
      const scan = await this.scanHere(job, job.predictor.embeddingScan((await archs) ?? undefined), 'embedding');
      if (!scan) return null;
      const rows = scan.embedding();
      scan.free();
      return rows;
    });
    embedding.catch(() => {});
    return { latencies, embedding };
  }

  // Steps `scan` in chunks of about 40 ms; null (the scan freed) when the
  // job is no longer current.
  async scanHere(job, scan, what) {
    const cache = await job.featureCache?.();
    if (cache) scan.useFeatures(cache);
    let chunk = 256;
    while (scan.done < scan.total) {
      if (!job.isCurrent()) {
        scan.free();
        return null;
      }
      const t0 = performance.now();
      scan.step(chunk);
      const took = performance.now() - t0;
      chunk = Math.max(64, Math.min(8192, Math.round(chunk * 40 / Math.max(took, 1))));
      job.onProgress?.(scan.done, scan.total, what);
      await nextFrame();
    }
    return scan;
  }
}
