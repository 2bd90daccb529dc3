// End-to-end test of the explorer in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core; nothing is downloaded).
//
// Serves dist/ on 127.0.0.1, builds an architecture in the page, checks the
// numbers on the page against the native `profiler predict` and `profiler
// adapt` on the same files (the added device is this machine's CPU, measured
// by `profiler measure` on the architectures the page suggests), loads a bad
// ONNX file and then the visitor's own predictor through the file input,
// runs the module checks (module_checks.mjs), takes screenshots, and prints the
// browser benchmark (time to first prediction, time to predict and rank the
// whole space on every device, wasm size).
//
// Usage: PROFILER=target/release/profiler node e2e.mjs   (after `trunk build
// --release --offline` and `cargo build --release -p latscope-profiler`: the
// added device's timings stand for this machine's CPU, so they come from a
// release build; `make test-browser` does all)

import { readFile, writeFile, mkdir, mkdtemp, stat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync, gunzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';
import {
  check, chromiumPath, dist, failures, launchBrowser, outDir, profiler, readmeExample, root, serve, timeFreshLoad,
  TOLERANCE,
} from './harness.mjs';
import { checkModuleErrors, checkNpmPackage, checkReadmeExample } from './module_checks.mjs';

// ---- the native reference ------------------------------------------------------

function nativePredict(predictorFile, arch) {
  const csv = execFileSync(profiler, ['predict', '--predictor', predictorFile, arch], { encoding: 'utf8' });
  const byDevice = {};
  for (const line of csv.trim().split('\n').slice(1)) {
    const parts = line.split(',');
    byDevice[parts[parts.length - 2]] = Number(parts[parts.length - 1]);
  }
  return byDevice;
}

// `profiler adapt` from `samples` ([[arch, ms]]): its predictions of `archs`,
// the fit it chose and, with `check` ([[arch, ms]] not adapted from), what
// `--check` prints (ρ adapted, ρ zero-shot MACs, held-out typical error).
async function nativeAdapt(predictorFile, samples, archs, check = null) {
  const dir = await mkdtemp(join(tmpdir(), 'latscope-e2e-'));
  const csv = (rows) => 'arch,latency_ms\n' + rows.map(([a, ms]) => `${a},${ms}`).join('\n') + '\n';
  const samplesFile = join(dir, 'samples.csv');
  const queryFile = join(dir, 'query.txt');
  const outFile = join(dir, 'out.csv');
  const checkFile = join(dir, 'check.csv');
  await writeFile(samplesFile, csv(samples));
  await writeFile(queryFile, archs.join('\n') + '\n');
  if (check) await writeFile(checkFile, csv(check));
  const stdout = execFileSync(profiler, ['adapt', '--predictor', predictorFile, '--samples', samplesFile,
    '--query', queryFile, '--name', 'mine', '-o', outFile, ...(check ? ['--check', checkFile] : [])],
  { encoding: 'utf8' });
  const [header, ...rows] = (await readFile(outFile, 'utf8')).trim().split('\n');
  const [a, ms] = ['arch', 'latency_ms'].map((c) => header.split(',').indexOf(c));
  const predicted = new Map(rows.map((r) => r.split(',')).map((f) => [f[a], Number(f[ms])]));
  const checked = stdout.match(/ρ (\S+) adapted, ρ (\S+) zero-shot MACs; typical error (\S+) %/);
  return {
    ms: archs.map((x) => predicted.get(x)),
    fit: stdout.match(/^fit: (\S+)/m)?.[1],
    check: checked && { rho: Number(checked[1]), macsRho: Number(checked[2]), typicalError: Number(checked[3]) },
  };
}

// Spearman's ρ with tied values given their mean rank.
function spearman(x, y) {
  const ranks = (v) => {
    const order = v.map((_, i) => i).sort((i, j) => v[i] - v[j]);
    const r = new Array(v.length);
    for (let s = 0; s < order.length;) {
      let e = s;
      while (e + 1 < order.length && v[order[e + 1]] === v[order[s]]) e += 1;
      for (let k = s; k <= e; k += 1) r[order[k]] = (s + e) / 2;
      s = e + 1;
    }
    return r;
  };
  const [rx, ry] = [ranks(x), ranks(y)];
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
  const [mx, my] = [mean(rx), mean(ry)];
  let [sxy, sxx, syy] = [0, 0, 0];
  for (let i = 0; i < rx.length; i += 1) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

// `profiler adapt --suggest n` before any measurement.
async function nativeSuggest(predictorFile, n) {
  const dir = await mkdtemp(join(tmpdir(), 'latscope-e2e-'));
  const listFile = join(dir, 'next.txt');
  execFileSync(profiler, ['adapt', '--predictor', predictorFile, '--suggest', String(n),
    '--suggest-out', listFile], { encoding: 'utf8' });
  return (await readFile(listFile, 'utf8')).trim().split('\n');
}

// Measures NB201 cells on this machine's CPU with `profiler measure` (a
// device no shipped predictor was trained on); `what` is a list of
// architectures or { random: n, seed } for a seeded draw: [[arch, ms, source]].
async function measureHere(what) {
  const dir = await mkdtemp(join(tmpdir(), 'latscope-e2e-'));
  const listFile = join(dir, 'archs.txt');
  const outFile = join(dir, 'cpu.csv');
  let selection;
  if (Array.isArray(what)) {
    await writeFile(listFile, what.join('\n') + '\n');
    selection = ['--list', listFile];
  } else {
    selection = ['--random', String(what.random), '--seed', String(what.seed)];
  }
  execFileSync(profiler, ['measure', '--space', 'nb201', ...selection, '-o', outFile],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [header, ...rows] = (await readFile(outFile, 'utf8')).trim().split('\n');
  const cols = header.split(',');
  const at = (f, c) => f[cols.indexOf(c)];
  return rows.map((r) => r.split(',')).map((f) => [at(f, 'arch'), Number(at(f, 'latency_ms')), at(f, 'source')]);
}

// The shipped NAS-Bench-201 accuracy file, read here (once): Map(arch →
// accuracy) for one column.
let accuracyRows = null;
async function shippedAccuracy(column) {
  accuracyRows ??= gunzipSync(await readFile(join(root, 'static/data/nb201_accuracy.csv.gz')))
    .toString('utf8').trim().split('\n');
  const [header, ...rows] = accuracyRows;
  const cols = header.split(',');
  const [a, c] = [cols.indexOf('arch'), cols.indexOf(column)];
  return new Map(rows.map((r) => r.split(',')).map((f) => [f[a], Number(f[c])]));
}

// The (latency on `device`, accuracy) front that `profiler pareto` computes
// natively from the page's own predicted latencies and the shipped accuracy
// file: the archs of the front, by increasing latency.
async function nativeFront(archs, latency, device, other, score) {
  const dir = await mkdtemp(join(tmpdir(), 'latscope-e2e-'));
  const dataFile = join(dir, 'page_predictions.csv');
  const frontFile = join(dir, 'front.csv');
  const rows = archs.map((a, i) => `${a},${latency[device][i]},${latency[other][i]}`);
  await writeFile(dataFile, `arch,${device},${other}\n${rows.join('\n')}\n`);
  execFileSync(profiler, ['pareto', '--data', dataFile, '--proxy', device, '--targets', other,
    '--score', score, '--accuracy', join(root, 'static/data/nb201_accuracy.csv.gz'),
    '--seeds', '1', '--front', frontFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return (await readFile(frontFile, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',')[0]);
}

// Clicks `selector` and returns the downloaded file's path and name; an
// error the page shows instead fails with its message.
async function download(page, selector) {
  const event = page.waitForEvent('download', { timeout: 30_000 });
  await page.click(selector);
  const shown = page.waitForSelector('#error:not([hidden])', { timeout: 30_000 })
    .then(async () => { throw new Error(`${selector}: the page shows ${await page.textContent('#error')}`); });
  const file = await Promise.race([event, shown]);
  shown.catch(() => {});
  return { path: await file.path(), name: file.suggestedFilename() };
}

const relative = (a, b) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));

// ---- the test -------------------------------------------------------------------

// The explorer in a page that records its errors and its main-thread tasks
// over 50 ms (the Long Tasks API), for the benchmark.
async function openExplorer(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  page.setDefaultTimeout(180_000);
  await page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });

  await page.goto(url);
  return { page, pageErrors };
}

// The first view: every device's bar, an architecture built in the page,
// its predictions against `profiler predict`.
async function checkFirstView(page) {
  await page.waitForFunction(() => document.querySelectorAll('#device-bars .device-row').length > 0);
  const devices = await page.evaluate(() => window.latscope.state.predictor.devices);
  check(devices.length === 27, `the shipped NB201 predictor shows ${devices.length} devices`);
  // The page's thread loads the small module and predicts by the reference
  // forward pass; tract's module is the worker's alone.
  const engine = await page.evaluate(() => ({
    engine: window.latscope.state.predictor.engine,
    modules: performance.getEntriesByType('resource').map((e) => e.name.split('/').pop()).filter((n) => n.endsWith('.wasm')),
  }));
  check(engine.engine === 'reference' && engine.modules.join() === 'latscope-web-lite_bg.wasm',
    `the page's thread runs ${engine.modules.join(', ')} (engine: ${engine.engine}), not tract's module`);

  // Build an architecture: operation choices through the selects, then one
  // click on the drawn cell's edge 2 (none → skip_connect).
  const choices = [3, 2, 0, 4, 1, 3];
  for (const [position, choice] of choices.entries()) {
    await page.selectOption(`#builder select[data-position="${position}"]`, String(choice));
  }
  await page.click('#builder .cell-graph g.edge[data-position="2"]');
  const arch = await page.inputValue('#arch-input');
  const wanted = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|skip_connect~1|nor_conv_3x3~2|';
  check(arch === wanted, `the builder made ${arch}`);

  // The measured latencies come from the worker's copy of the dataset.
  await page.waitForFunction(() => Array.from(document.querySelectorAll('#device-bars .device-row'))
    .some((g) => g.dataset.measured !== ''));
  const rows = await page.$$eval('#device-bars .device-row', (gs) => gs.map((g) => ({
    device: g.dataset.device, predicted: Number(g.dataset.predicted), measured: g.dataset.measured,
  })));
  const native = nativePredict(join(root, 'static/predictors/nb201.onnx'), arch);
  let worst = 0;
  for (const r of rows) worst = Math.max(worst, relative(r.predicted, native[r.device]));
  check(rows.length === 27 && rows.every((r) => r.device in native),
    'the page shows a bar for every device of the file');
  check(worst <= TOLERANCE, `page predictions equal profiler predict (max relative difference ${worst.toExponential(2)})`);
  return { arch, rows };
}

// The whole-space views: measured marks, the worker's scan network against
// the ensemble, heatmap, ranking, standing, proxy pick, Pareto summary.
async function checkWholeSpace(page, rows) {
  // Wait for the whole space, then check the views that use it.
  await page.waitForFunction(() => window.latscope.timings.tableReady !== undefined);
  check(rows.every((r) => r.measured !== ''), 'every NB201 cell has its measured latency beside the bar');
  await page.waitForFunction(() => window.latscope.timings.embeddingReady !== undefined);
  const timings = await page.evaluate(() => window.latscope.timings);
  const loadLongTasks = await page.evaluate(() => window.longTasks.slice());
  // The whole space was ranked from the file's scan network, in the worker;
  // over all 15625 cells it ranks every device as the file says it does
  // against the ensemble (the ensemble's own scan, in the page, as truth).
  const scanCheck = await page.evaluate(() => {
    const { state } = window.latscope;
    const recorded = state.predictor.scanAgreement;
    const exact = state.predictor.scan(undefined, true);
    while (exact.done < exact.total) exact.step(4096);
    const table = exact.finish();
    const rho = table.devices.map((d) => state.wasm.spearman(
      Float64Array.from(state.table.latency(d)), Float64Array.from(table.latency(d))));
    table.free();
    return { rho, recorded: recorded?.spearman, inWorker: !state.scanner.workerFailed, uses: state.usesScanNetwork,
      note: document.querySelector('#scan-note').textContent };
  });
  const worstGap = Math.max(...scanCheck.rho.map((r, i) => Math.abs(r - scanCheck.recorded[i])));
  check(scanCheck.uses && scanCheck.inWorker && worstGap < 1e-4 && /scan network/.test(scanCheck.note),
    `the page ranked NB201 with the scan network in a Web Worker: ρ vs the ensemble ≥ ${Math.min(...scanCheck.rho).toFixed(4)} on every device, as the file records (largest gap ${worstGap.toExponential(1)})`);
  const heatCells = await page.$$eval('#heatmap rect.cell', (r) => r.length);
  check(heatCells === 27 * 27, `heatmap has ${heatCells} cells`);
  const topK = await page.$$eval('#top-k li', (l) => l.length);
  check(topK === 10, `the ranking lists the ${topK} fastest`);
  const standing = await page.textContent('#standing');
  check(/rank \d+ of 15625/.test(standing), `standing: ${standing}`);
  await page.selectOption('#proxy-targets', ['eyeriss', 'pixel2', 'fpga']);
  await page.click('#pick-proxy');
  const picks = await page.$$eval('#proxy-picks a', (as) => as.map((a) => ({ proxy: a.dataset.proxy, worst: Number(a.dataset.worst) })));
  check(picks.length === 5 && picks.every((p, i) => i === 0 || picks[i - 1].worst >= p.worst)
    && !picks.some((p) => ['eyeriss', 'pixel2', 'fpga'].includes(p.proxy)),
    `proxy pick for eyeriss, pixel2, fpga: ${picks.map((p) => `${p.proxy} ${p.worst.toFixed(3)}`).join(', ')}`);
  const pareto = await page.textContent('#pareto-summary');
  check(/hypervolume/.test(pareto), `Pareto summary: ${pareto}`);
  return { timings, loadLongTasks };
}

// Accuracy beside latency.
async function checkAccuracy(page) {
  // Accuracy beside latency: the page's scores are the shipped accuracies,
  // its front on B is the one profiler pareto computes from the same
  // predictions and accuracies, and "best within X ms" is the best that fits.
  const view = await page.evaluate(() => {
    const { state } = window.latscope;
    const [a, b] = [document.querySelector('#device-a').value, document.querySelector('#device-b').value];
    return {
      a, b, archs: state.table.archs, scoreName: state.scoreName, score: Array.from(state.score),
      latency: { [a]: Array.from(state.table.latency(a)), [b]: Array.from(state.table.latency(b)) },
      front: JSON.parse(document.querySelector('#front').dataset.front),
    };
  });
  const cifar10 = await shippedAccuracy('cifar10_test_acc');
  check(view.scoreName === 'cifar10 test accuracy %' && view.archs.every((arch, i) => cifar10.get(arch) === view.score[i]),
    `the page's score is the shipped CIFAR-10 accuracy of every cell (${view.scoreName})`);
  const pageFront = view.front.map((row) => view.archs[row]);
  const rustFront = await nativeFront(view.archs, view.latency, view.b, view.a, 'cifar10-acc');
  check(pageFront.length > 2 && pageFront.join() === rustFront.join(),
    `the accuracy-latency front on ${view.b}: page ${pageFront.length} cells, profiler pareto ${rustFront.length}, the same`);
  const lb = view.latency[view.b];
  const budget = [...lb].sort((x, y) => x - y)[Math.floor(lb.length / 3)];
  await page.fill('#budget-ms', String(budget));
  await page.click('#budget-form button');
  const bestArch = await page.getAttribute('#best-under', 'data-arch');
  let bruteBest = -1;
  for (let i = 0; i < lb.length; i++) {
    if (lb[i] > budget) continue;
    if (bruteBest < 0 || view.score[i] > view.score[bruteBest]
      || (view.score[i] === view.score[bruteBest] && lb[i] < lb[bruteBest])) bruteBest = i;
  }
  check(bestArch === view.archs[bruteBest] && pageFront.includes(bestArch),
    `best accuracy within ${budget.toFixed(3)} ms on ${view.b}: ${bestArch} (${view.score[bruteBest]} %), on the front`);
  await page.selectOption('#score-dataset', 'cifar100');
  // The scores come from the worker's copy of the accuracy file.
  await page.waitForFunction(() => window.latscope.state.scoreName === 'cifar100 test accuracy %');
  const cifar100Name = await page.evaluate(() => window.latscope.state.scoreName);
  const rankedAcc = await page.textContent('#top-k li');
  check(cifar100Name === 'cifar100 test accuracy %' && / %$/.test(rankedAcc.trim()),
    `CIFAR-100 chosen: the ranking shows accuracy beside latency (${rankedAcc.trim().slice(-30)})`);
  await page.fill('#accuracy-floor', '70');
  await page.dispatchEvent('#accuracy-floor', 'change');
  const floored = await page.$$eval('#top-k li', (ls) => ls.map((l) => Number(l.textContent.match(/· ([\d.]+) %$/)[1])));
  check(floored.length === 10 && floored.every((a) => a >= 70),
    `an accuracy floor of 70 % hides the degenerate cells from the fastest list (${floored.join(', ')})`);
  await page.fill('#accuracy-floor', '0');
  await page.dispatchEvent('#accuracy-floor', 'change');
}

// Suggesting, measuring and adding this machine's CPU as a device.
// A large pasted block with bad lines: every one is reported by its line
// number, and the page stays responsive.
async function checkPastedBlock(page) {
  const expected = await page.evaluate(() => {
    const { table } = window.latscope.state;
    const lines = [];
    let bad = 0;
    for (let i = 0; i < 6000; i++) {
      const arch = table.arch(i);
      if (i % 11 === 0) { lines.push(`bogus_${i}, 2`); bad++; }
      else if (i % 7 === 3) { lines.push(arch); bad++; }
      else if (i % 7 === 5) { lines.push(`${arch}, -1`); bad++; }
      else lines.push(`${arch}, ${1 + (i % 5)}`);
    }
    document.querySelector('#my-device-samples').value = lines.join('\n');
    document.querySelector('#my-device-name').value = 'pasted';
    window.longTasks.length = 0;
    window.pasteStarted = performance.now();
    return bad;
  });
  await page.click('#add-device');
  await page.waitForFunction(() => !document.querySelector('#error').hidden);
  const shown = await page.evaluate(() => ({
    text: document.querySelector('#error').textContent,
    ms: performance.now() - window.pasteStarted,
    longest: Math.max(0, ...window.longTasks.map((t) => t.ms)),
  }));
  const listed = shown.text.split('\n').filter((l) => /^line \d+: /.test(l));
  check(shown.text.startsWith(`${expected} lines of the measurements cannot be used`)
    && listed.length === 12 && /^line 1: .*bogus_0/.test(listed[0]) && /^line 4: expected "architecture, ms"/.test(listed[1])
    && shown.text.includes(`and ${expected - 12} more`) && shown.longest < 200,
    `a pasted block of 6000 lines with ${expected} bad ones: the page lists them by line (${listed.slice(0, 3).join(' | ')}) ` +
    `in ${shown.ms.toFixed(0)} ms, longest main-thread task ${shown.longest.toFixed(0)} ms`);
  await page.evaluate(() => { document.querySelector('#error').hidden = true; });
}

// Held-out NB201 cells timed on this machine to score the added device: a
// seeded draw, as `profiler measure --random` makes it.
const HELD_OUT = 100;

async function checkMyDevice(page, arch) {
  // Add my device: a device the shipped predictor was not trained on, this
  // machine's CPU, timed by the release profiler. The page suggests what to
  // measure (as `profiler adapt --suggest` does), `profiler measure`
  // measures those, some reference architectures and HELD_OUT other cells;
  // the device is added from the first two groups and scored on the held-out
  // cells against the zero-shot FLOPs ranking and `profiler adapt`, and its
  // stated confidence against the error it makes there.
  const predictorFile = join(root, 'static/predictors/nb201.onnx');
  await page.fill('#my-device-samples', '');
  await page.click('#suggest-next');
  const suggested = await page.evaluate(() => JSON.parse(document.querySelector('#my-device-result').dataset.suggested));
  const nativeSuggested = await nativeSuggest(predictorFile, 5);
  check(suggested.length === 5 && suggested.every((a, i) => a === nativeSuggested[i]),
    `the page suggests what profiler adapt --suggest does: ${suggested.join(' ')}`);
  const boxed = (await page.inputValue('#my-device-samples')).trim().split('\n');
  check(boxed.length === 5 && boxed.every((l, i) => l.startsWith(suggested[i])),
    'the suggestions are written into the measurements box');
  const references = await page.evaluate(() => window.latscope.state.predictor.referenceArchs);
  // The all-`none` cell too: tract folds it into a constant (timed at almost
  // nothing), and the page must leave it out and say so, as `profiler adapt`.
  const constantCell = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const samples = await measureHere([...suggested, ...references.slice(0, 7), constantCell]);
  const sampled = new Set(samples.map(([a]) => a));
  // Cells whose output cannot depend on the input are timed as a constant
  // (`measure` marks them in the row's source): not a latency to rank.
  const heldOut = (await measureHere({ random: HELD_OUT + 20, seed: 11 }))
    .filter(([a, , source]) => !sampled.has(a) && !source.includes('constant-output'))
    .slice(0, HELD_OUT);
  await page.fill('#my-device-samples', samples.map(([a, ms]) => `${a}, ${ms}`).join('\n'));
  await page.fill('#my-device-name', 'this_cpu');
  await page.click('#add-device');
  await page.waitForSelector('#device-bars .device-row[data-device="this_cpu"]');
  const mine = Number(await page.getAttribute('#device-bars .device-row[data-device="this_cpu"]', 'data-predicted'));
  const heldArchs = heldOut.map(([a]) => a);
  const native = await nativeAdapt(predictorFile, samples, [arch, ...heldArchs], heldOut);
  check(relative(mine, native.ms[0]) <= 1e-4,
    `this machine's CPU from ${samples.length} measurements: page ${mine} ms, profiler adapt ${native.ms[0]} ms`);
  const result = await page.textContent('#my-device-result');
  const pageFit = await page.getAttribute('#my-device-result', 'data-fit');
  const stated = Number(result.match(/typical error (\S+) ?%/)?.[1]);
  check(pageFit === native.fit && Number.isFinite(stated),
    `the page states the fit and its confidence (${pageFit}; profiler adapt: ${native.fit}): ${result.slice(0, 160)}`);
  const leftOut = JSON.parse(await page.getAttribute('#my-device-result', 'data-left-out'));
  check(leftOut.length === 1 && leftOut[0] === constantCell && result.includes('1 left out')
    && result.includes(`from ${samples.length - 1} measurements`),
    `the page leaves out the cell timed as a constant and says so: ${result.slice(0, 220)}`);
  const rankDevices = await page.$$eval('#rank-device option', (o) => o.map((x) => x.value));
  check(rankDevices.includes('this_cpu'), 'the added device can be ranked');

  // The page's whole-space table, on the held-out cells.
  await page.waitForFunction(() => window.latscope.state.table?.devices.includes('this_cpu'));
  const { pagePredicted, mflops } = await page.evaluate((archs) => {
    const table = window.latscope.state.table;
    const row = new Map(Array.from(table.archs, (a, i) => [a, i]));
    const latency = table.latency('this_cpu');
    return {
      pagePredicted: archs.map((a) => latency[row.get(a)]),
      mflops: archs.map((a) => table.mflops[row.get(a)]),
    };
  }, heldArchs);
  const measured = heldOut.map(([, ms]) => ms);
  const worst = Math.max(...pagePredicted.map((p, i) => relative(p, native.ms[i + 1])));
  check(heldOut.length >= HELD_OUT - 5 && worst <= 1e-4,
    `the page predicts the ${heldOut.length} held-out cells as profiler adapt does (largest relative difference ${worst.toExponential(1)})`);
  const [pageRho, flopsRho] = [spearman(pagePredicted, measured), spearman(mflops, measured)];
  check(pageRho >= flopsRho && Math.abs(pageRho - native.check.rho) < 1e-3,
    `the added device ranks the held-out cells at ρ ${pageRho.toFixed(3)} (profiler adapt --check: ${native.check.rho}), ` +
    `zero-shot FLOPs at ${flopsRho.toFixed(3)} (profiler: ${native.check.macsRho})`);
  // A stated typical error may be pessimistic; it must not be less than half
  // of what the held-out cells show (in ln ms: a claim off by more than 2×).
  const lnError = (percent) => Math.log1p(percent / 100);
  check(lnError(stated) >= 0.5 * lnError(native.check.typicalError),
    `the stated typical error ${stated} % against ${native.check.typicalError} % on the held-out cells`);
}

// The CSV and plot downloads.
async function checkDownloads(page) {
  // The whole ranking as CSV: every cell, in the order of the list shown.
  await page.selectOption('#rank-device', 'this_cpu');
  await page.selectOption('#score-dataset', 'imagenet16-120');
  await page.waitForFunction(() => window.latscope.state.scoreName === 'imagenet16-120 test accuracy %');
  const rankingDownload = await download(page, '#download-ranking');
  const rankingCsv = (await readFile(rankingDownload.path, 'utf8')).trim().split('\n');
  const firstListed = await page.getAttribute('#top-k li a', 'data-arch');
  const imagenet = await shippedAccuracy('imagenet16_120_test_acc');
  const firstRow = rankingCsv[1].split(',');
  check(rankingCsv.length === 15626 && rankingCsv[0] === 'rank,arch,this_cpu_ms,imagenet16-120 test accuracy %'
    && firstRow[1] === firstListed && Number(firstRow[3]) === imagenet.get(firstListed),
    `ranking CSV (${rankingDownload.name}): ${rankingCsv.length - 1} rows, header ${rankingCsv[0]}, first ${firstRow[1]}`);
  const frontCsv = (await readFile((await download(page, '#download-front')).path, 'utf8')).trim().split('\n');
  const frontRows = await page.evaluate(() => JSON.parse(document.querySelector('#front').dataset.front).length);
  check(frontCsv.length === frontRows + 1 && frontCsv[0].endsWith('imagenet16-120 test accuracy %'),
    `front CSV: ${frontCsv.length - 1} rows (the page's front has ${frontRows})`);
  const png = await readFile((await download(page, '#save-front')).path);
  const svgText = await readFile((await download(page, '#save-heatmap')).path, 'utf8');
  check(png.subarray(1, 4).toString() === 'PNG' && svgText.startsWith('<svg') && (svgText.match(/<rect[^>]*class="cell[" ]/g) ?? []).length === 28 * 28,
    `plots save: front PNG ${png.length} bytes, heatmap SVG with ${(svgText.match(/<rect[^>]*class="cell[" ]/g) ?? []).length} cells`);
}

// A copied link reopens the same view.
async function checkLink(browser, page, pageErrors) {
  // A copied link reopens the same view in a fresh page: the architecture,
  // the added device (adapted again from the samples in the link), the
  // devices and the score chosen.
  await page.selectOption('#device-a', 'eyeriss');
  const viewOf = (p) => p.evaluate(() => ({
    arch: document.querySelector('#arch-input').value,
    rank: document.querySelector('#rank-device').value,
    a: document.querySelector('#device-a').value,
    b: document.querySelector('#device-b').value,
    score: window.latscope.state.scoreName,
    mine: document.querySelector('#device-bars .device-row[data-device="this_cpu"]')?.dataset.predicted,
    firstListed: document.querySelector('#top-k li a')?.dataset.arch,
  }));
  const shared = await viewOf(page);
  const link = await page.evaluate(() => location.href);
  const page2 = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page2.on('pageerror', (e) => pageErrors.push(e.message));
  page2.setDefaultTimeout(180_000);
  await page2.goto(link);
  await page2.waitForFunction(() => window.latscope.state.table !== null && !window.latscope.state.restoring
    && document.querySelector('#device-bars .device-row[data-device="this_cpu"]') !== null);
  const reopened = await viewOf(page2);
  check(JSON.stringify(reopened) === JSON.stringify(shared),
    `a copied link (${link.length - link.indexOf('#')} characters of hash) reopens the view: ${JSON.stringify(reopened).slice(0, 160)}`);
  await page2.close();
  await page.screenshot({ path: join(outDir, 'explorer.png'), fullPage: true });
}

// The visitor's own predictor files: a bad one, then FBNet's.
async function checkOwnFiles(page) {
  // A bad predictor file: the error is shown on the page.
  await page.setInputFiles('#predictor-file', {
    name: 'bad.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not an onnx file'),
  });
  await page.waitForSelector('#error:not([hidden])');
  const error = await page.textContent('#error');
  check(error.includes('bad.onnx') && /not an ONNX/.test(error), `bad file error on the page: ${error}`);
  const errorKind = await page.getAttribute('#error', 'data-kind');
  check(errorKind === 'invalid-predictor-file', `the bad file's error kind: ${errorKind}`);
  await page.screenshot({ path: join(outDir, 'bad-file.png') });

  // The visitor's own predictor file: FBNet, loaded through the file input.
  await page.setInputFiles('#predictor-file', join(root, 'static/predictors/fbnet.onnx'));
  await page.waitForFunction(() => window.latscope.state.space === 'fbnet'
    && window.latscope.state.table !== null);
  const fbArch = await page.inputValue('#arch-input');
  const fbRows = await page.$$eval('#device-bars .device-row', (gs) => gs.map((g) => ({
    device: g.dataset.device, predicted: Number(g.dataset.predicted),
  })));
  const fbNative = nativePredict(join(root, 'static/predictors/fbnet.onnx'), fbArch);
  let fbWorst = 0;
  for (const r of fbRows) fbWorst = Math.max(fbWorst, relative(r.predicted, fbNative[r.device]));
  check(fbRows.length === 27 && fbWorst <= TOLERANCE,
    `own predictor file (fbnet.onnx): ${fbRows.length} devices, max relative difference ${fbWorst.toExponential(2)}`);
  check(await page.isHidden('#error'), 'loading a good file clears the error');
  const fbTimings = await page.evaluate(() => window.latscope.timings);
  await page.waitForFunction(() => /No accuracy data exists for fbnet/.test(document.querySelector('#score-note').textContent));
  const fbScore = await page.evaluate(() => [window.latscope.state.scoreName, document.querySelector('#score-dataset').value]);
  check(fbScore[0] === 'MFLOPs' && fbScore[1] === 'mflops',
    'FBNet: the page says there is no accuracy data and the fronts use MFLOPs');
  await page.screenshot({ path: join(outDir, 'fbnet.png'), fullPage: true });
  return fbTimings;
}

// Switching back to NB201 with everything warm, three times.
async function measureWarmSwitches(page) {
  // Back to NB201 with everything warm: the whole-space predict + rank a
  // visitor waits for when switching, while the page records its long
  // tasks; three times over (FBNet between), as one switch is noisy here.
  const warmRuns = [];
  for (let run = 0; run < 3; run++) {
    if (run > 0) {
      const t = await page.evaluate(() => performance.now());
      await page.selectOption('#space', 'fbnet');
      await page.waitForFunction((t0) => window.latscope.state.space === 'fbnet' && window.latscope.timings.tableReady > t0, t);
    }
    const switched = await page.evaluate(() => {
      window.longTasks.length = 0;
      return performance.now();
    });
    await page.selectOption('#space', 'nb201');
    await page.waitForFunction((t0) => window.latscope.state.space === 'nb201' && window.latscope.state.table !== null
      && window.latscope.timings.tableReady > t0, switched);
    await page.waitForTimeout(300);
    const t = await page.evaluate((t0) => ({
      predict: window.latscope.timings.scanMs,
      rank: window.latscope.timings.rankAllDevicesMs,
      longTasks: window.longTasks.filter((x) => x.start >= t0).map((x) => x.ms),
    }), switched);
    warmRuns.push(t);
  }
  return warmRuns;
}

// A page whose WebAssembly module cannot be fetched says so on the page.
async function checkModuleMissing(browser, url) {
  const page = await browser.newPage();
  await page.route('**/latscope-web-lite_bg.wasm', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(url);
  await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 }).catch(() => {});
  const error = await page.textContent('#error');
  const status = await page.textContent('#status');
  await page.close();
  check(/WebAssembly module \(latscope-web-lite_bg\.wasm\) did not start/.test(error) && /did not start/.test(status),
    `a missing module: the page says ${JSON.stringify(error.slice(0, 160))} (status: ${status})`);
}

// Time to the first prediction in `n` more fresh pages, the browser itself
// warm: the first page of a just-started browser also pays for the
// browser's own start. Each explorer page follows a page with one inline
// script (/floor.html): the time that script runs is the browser's own
// floor on this machine then.
async function measureFreshLoads(browser, url, n) {
  const firsts = [];
  const floors = [];
  for (let i = 0; i < n; i++) {
    floors.push(await timeFreshLoad(browser, `${url}floor.html`, () => window.scriptRan, 500));
    firsts.push(await timeFreshLoad(browser, url, () => window.latscope?.timings?.firstPrediction, 500));
  }
  return { firsts, floors };
}

async function printBenchmark({ timings, loadLongTasks, fbTimings, warmRuns, freshFirsts }) {
  // ---- the browser benchmark ------------------------------------------------------
  const sizes = async (module) => {
    const wasm = await readFile(join(dist, `${module}_bg.wasm`));
    const gzip = gzipSync(wasm, { level: 9 }).length;
    const brotli = brotliCompressSync(wasm, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;
    return `${mb(wasm.length)} after wasm-opt, ${mb(gzip)} gzip -9, ${mb(brotli)} brotli -11`;
  };
  const mb = (n) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  const chromiumVersion = execFileSync(chromiumPath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  console.log(`\nbrowser benchmark (${chromiumVersion}, headless)`);
  const median = (xs) => xs.slice().sort((x, y) => x - y)[xs.length >> 1];
  const { firsts, floors } = freshFirsts;
  console.log(`  time to first prediction after page load   ${timings.firstPrediction.toFixed(0)} ms in the browser's first page; ` +
    `${firsts.length} fresh pages after it: ${firsts.map((t) => t.toFixed(0)).join(', ')} ms (median ${median(firsts).toFixed(0)} ms)`);
  console.log(`    the browser's floor then: a page with one inline script runs it at ${floors.map((t) => t.toFixed(0)).join(', ')} ms (median ${median(floors).toFixed(0)} ms)`);
  console.log(`  first load: predict all ${timings.scanArchs} NB201 archs × ${timings.scanDevices} devices ${timings.scanMs.toFixed(0)} ms ` +
    `(request to table: worker start, ${timings.usesScanNetwork ? 'scan network' : 'ensemble'}, ranking and ρ in the worker, overlapping the page's own loading)`);
  console.log(`  then take the rankings on every device      ${timings.rankAllDevicesMs.toFixed(1)} ms`);
  console.log(`  predict + rank ${fbTimings.scanArchs} FBNet archs                 ${(fbTimings.scanMs + fbTimings.rankAllDevicesMs).toFixed(0)} ms`);
  const totals = warmRuns.map((r) => r.predict + r.rank).sort((x, y) => x - y);
  console.log(`  again after switching spaces (module and worker warm), 3 times: predict + rank ` +
    `${warmRuns.map((r) => `${r.predict.toFixed(0)} + ${r.rank.toFixed(1)}`).join(', ')} ms (median ${totals[1].toFixed(0)} ms)`);
  const warmLong = warmRuns.flatMap((r) => r.longTasks);
  console.log(`    main-thread tasks over 50 ms from a switch to the drawn views: ${warmLong.length} in 3 switches` +
    `${warmLong.length ? ` (${warmLong.map((ms) => ms.toFixed(0)).join(', ')} ms)` : ''}`);
  console.log(`  ensemble embedding of all NB201 cells (worker, background)   ${timings.embeddingReady.toFixed(0)} ms after the scan started`);
  const longest = loadLongTasks.reduce((m, t) => Math.max(m, t.ms), 0);
  const afterTable = loadLongTasks.filter((t) => t.start >= timings.tableReady);
  console.log(`  main-thread tasks over 50 ms from load to the embedding: ${loadLongTasks.length} (longest ${longest.toFixed(0)} ms; ` +
    `${afterTable.length} after the table was ready)`);
  for (const t of loadLongTasks) console.log(`    task at ${t.start.toFixed(0)} ms: ${t.ms.toFixed(0)} ms`);
  console.log(`  wasm, the page's thread (latscope-web-lite, no tract): ${await sizes('latscope-web-lite')}`);
  console.log(`  wasm, the worker and embedders (latscope-web, tract): ${await sizes('latscope-web')}`);
  console.log(`  screenshots in ${outDir}`);
  await stat(join(outDir, 'explorer.png'));
}

async function main() {
  await mkdir(outDir, { recursive: true });
  const server = await serve(dist, {
    '/embed-example.html': await readmeExample(),
    '/blank.html': '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">',
    '/floor.html': '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><p>latscope</p>' +
      '<script type="module">window.scriptRan = performance.now();</script>',
  });
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launchBrowser();
  const { page, pageErrors } = await openExplorer(browser, url);
  const { arch, rows } = await checkFirstView(page);
  const { timings, loadLongTasks } = await checkWholeSpace(page, rows);
  await checkAccuracy(page);
  await checkPastedBlock(page);
  await checkMyDevice(page, arch);
  await checkDownloads(page);
  await checkLink(browser, page, pageErrors);
  const fbTimings = await checkOwnFiles(page);
  const warmRuns = await measureWarmSwitches(page);
  check(pageErrors.length === 0 || pageErrors.every((e) => /bad\.onnx|not an ONNX|of the measurements cannot be used/.test(e)),
    `no unexpected page errors (${pageErrors.join(' | ') || 'none'})`);

  await checkReadmeExample(browser, url);
  await checkNpmPackage(browser);
  await checkModuleErrors(browser, url);
  await checkModuleMissing(browser, url);
  // The fresh pages are timed with no other page open.
  await page.close();
  const freshFirsts = await measureFreshLoads(browser, url, 7);

  await browser.close();
  server.close();
  await printBenchmark({ timings, loadLongTasks, fbTimings, warmRuns, freshFirsts });

  if (failures) {
    console.error(`\n${failures} check(s) failed`);
    process.exit(1);
  }
  console.log('\nall browser checks passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
