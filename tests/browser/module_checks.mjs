// Checks of the wasm module as embedders use it, each on a page of its own:
// the README's embedding example, the npm package installed from its
// tarball, and the errors both builds throw.

import { readFile, mkdtemp } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { check, dist, readmeExample, serve } from './harness.mjs';

// The README's embedding example, as a page of its own.
export async function checkReadmeExample(browser, url) {
  // The README's embedding example runs as written.
  const embed = await browser.newPage();
  const logs = [];
  const embedErrors = [];
  embed.on('console', (m) => (m.type() === 'error' ? embedErrors : logs).push(m.text()));
  embed.on('pageerror', (e) => embedErrors.push(e.message));
  await embed.goto(`${url}embed-example.html`);
  await embed.waitForFunction(() => true);
  for (let i = 0; i < 600 && logs.length < 2 && embedErrors.length === 0; i++) await embed.waitForTimeout(100);
  check(embedErrors.length === 0 && logs.length === 2 && logs[0].startsWith('nb201'),
    `the README's embedding example runs (${embedErrors.join(' | ') || logs.join(' / ').slice(0, 160)})`);
  await embed.close();
}

// The npm package (`make package`): installed from its tarball into a
// fresh folder, the README's embedding example runs through it, importing
// the package by name (an import map, as a page without a bundler does)
// and fetching the predictor shipped inside it; once for each build.
export async function checkNpmPackage(browser) {
  const tarball = process.env.NPM_PACKAGE;
  if (!tarball) {
    check(false, 'the npm package: NPM_PACKAGE names no tarball (make test-browser runs make package first)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'latscope-npm-'));
  execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', tarball], { stdio: 'ignore' });
  const installed = JSON.parse(await readFile(join(dir, 'node_modules/latscope-web/package.json'), 'utf8'));
  const example = await readmeExample();
  const pages = {};
  for (const entry of ['latscope-web', 'latscope-web/lite']) {
    const file = entry === 'latscope-web' ? 'latscope-web.js' : 'latscope-web-lite.js';
    const map = `<script type="importmap">{"imports": {"${entry}": "./node_modules/latscope-web/${file}"}}</script>`;
    pages[`/${entry.replace('/', '-')}.html`] = example
      .replace('<body>', `${map}<body>`)
      .replace("from './latscope-web.js'", `from '${entry}'`)
      .replace("Predictor.fromUrl('predictors/nb201.onnx')",
        `Predictor.fromUrl(new URL('./predictors/nb201.onnx', import.meta.resolve('${entry}')).href)`);
  }
  const server = await serve(dir, pages);
  for (const entry of ['latscope-web', 'latscope-web/lite']) {
    const page = await browser.newPage();
    const logs = [];
    const errors = [];
    page.on('console', (m) => (m.type() === 'error' ? errors : logs).push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/${entry.replace('/', '-')}.html`);
    for (let i = 0; i < 600 && logs.length < 2 && errors.length === 0; i++) await page.waitForTimeout(100);
    const engine = await page.evaluate(async (name) => {
      const m = await import(name);
      await m.default();
      const p = await m.Predictor.fromUrl('node_modules/latscope-web/predictors/fbnet.onnx');
      return `${p.engine}, ${p.space}`;
    }, entry).catch((e) => `failed: ${e.message}`);
    await page.close();
    const want = entry === 'latscope-web' ? 'tract, fbnet' : 'reference, fbnet';
    check(errors.length === 0 && logs.length === 2 && logs[0].startsWith('nb201') && engine === want,
      `npm package ${installed.name}@${installed.version} installed from ${tarball.split('/').pop()}: ` +
      `the README's example runs through '${entry}' (${engine}; ${errors.join(' | ') || logs[0].slice(0, 60)})`);
  }
  server.close();
}

// The errors the module throws.
export async function checkModuleErrors(browser, url) {
  // What the module throws: LatscopeErrors with the message and a kind (on a
  // page of its own: the 404 below is logged as a console error).
  for (const module of ['latscope-web', 'latscope-web-lite']) {
    await checkErrorsOf(browser, url, module);
  }
}

// The errors one of the two modules throws (the same API, so the same errors).
async function checkErrorsOf(browser, url, module) {
  const declared = await readFile(join(dist, `${module}.d.ts`), 'utf8');
  check(/export type LatscopeErrorKind/.test(declared) && /interface LatscopeError extends Error/.test(declared),
    `${module}.d.ts declares LatscopeError and its kinds`);
  const errorsPage = await browser.newPage();
  await errorsPage.goto(`${url}blank.html`);
  const thrown = await errorsPage.evaluate(async (module) => {
    const m = await import(`./${module}.js`);
    await m.default();
    const p = await m.Predictor.fromUrl('predictors/nb201.onnx');
    const arch = p.referenceArchs[0];
    const caught = async (f) => {
      try {
        await f();
        return null;
      } catch (e) {
        return { error: e instanceof Error, name: e.name, kind: e.kind, message: e.message };
      }
    };
    return {
      device: await caught(() => p.rank('h900', [arch])),
      arch: await caught(() => p.predict([arch, 'bogus'])),
      file: await caught(() => new m.Predictor(new Uint8Array([1, 2, 3]))),
      fetch: await caught(() => m.Predictor.fromUrl('predictors/missing.onnx')),
      space: await caught(() => m.spaceLayout('nb202')),
      engine: p.engine,
    };
  }, module);
  await errorsPage.close();
  check(thrown.engine === (module === 'latscope-web' ? 'tract' : 'reference'), `${module}: predictors run in ${thrown.engine}`);
  const kindOk = (t, kind, pattern) => t !== null && t.error && t.name === 'LatscopeError'
    && t.kind === kind && pattern.test(t.message);
  check(kindOk(thrown.device, 'unknown-device', /^no device "h900"; the predictor has /),
    `${module}: unknown device: ${JSON.stringify(thrown.device).slice(0, 200)}`);
  check(kindOk(thrown.arch, 'invalid-architecture', /^architecture 1: .*bogus/),
    `${module}: bad architecture: ${JSON.stringify(thrown.arch)}`);
  check(kindOk(thrown.file, 'invalid-predictor-file', /not an ONNX model/),
    `${module}: bad predictor bytes: ${JSON.stringify(thrown.file)}`);
  check(kindOk(thrown.fetch, 'fetch', /^fetching predictors\/missing\.onnx: HTTP 404/),
    `${module}: missing file: ${JSON.stringify(thrown.fetch)}`);
  check(kindOk(thrown.space, 'unknown-space', /nb202/), `${module}: unknown space: ${JSON.stringify(thrown.space)}`);
}
