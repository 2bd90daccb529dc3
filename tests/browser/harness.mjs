// What every part of the browser test shares: the repository's paths, the
// pass/fail tally, the static file server and the README's embedding example
// as a page.

import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const dist = join(root, 'dist');
export const profiler = process.env.PROFILER ?? join(root, 'target/release/profiler');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const outDir = join(root, 'target/browser');
export const TOLERANCE = 1e-5; // relative: tract native vs tract wasm, float32

/** Checks failed so far (a live binding: importers see it grow). */
export let failures = 0;
export function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

// ---- a static file server for dist/ ----------------------------------------

export const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.gz': 'application/octet-stream',
  '.txt': 'text/plain',
  '.ts': 'text/plain',
};

// The README's embedding example, as a page of its own (with the latencies
// it leaves to the reader filled in), so the documented API is tested.
export async function readmeExample() {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Embedding the module'));
  const html = section.slice(section.indexOf('```html') + 7, section.indexOf('```', section.indexOf('```html') + 7));
  return '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><body>' +
    html.replace('await init();', 'await init();\n  const myTenLatenciesMs = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13];');
}

export function serve(dir, extra) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (extra[path] !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(extra[path]);
      return;
    }
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

// ---- the browser and timed page loads ----------------------------------------

/** Headless Chromium as every part of the browser test runs it. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Opens `url` in a fresh page (its own browser context, nothing cached),
// returns what `read` gives there, closes the page and waits `settleMs` for
// its processes to go. While the page loads the harness leaves it alone
// (Playwright's waitForFunction runs its own script on the page's thread,
// and its 10-20 ms of work had been counted in load times): it reads after
// a second, and waits longer only if `read` has nothing yet.
export async function timeFreshLoad(browser, url, read, settleMs) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForTimeout(1000);
  await page.waitForFunction(read);
  const ms = await page.evaluate(read);
  await page.close();
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return ms;
}
