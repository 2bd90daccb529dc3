import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = join(root, 'dist');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/blank.html') { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<!doctype html><p>x'); return; }
  const file = join(dist, path.endsWith('/') ? `${path}index.html` : path);
  try { const body = await readFile(file); res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }); res.end(body); }
  catch { res.writeHead(404).end(); }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
for (let i = 0; i < 3; i++) {
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/blank.html`);
const r = await page.evaluate(async (i) => {
  const out = {};
  let t = performance.now(); const buf = await (await fetch('latscope-web_bg.wasm?' + i)).arrayBuffer(); out.fetch = performance.now() - t;
  t = performance.now(); const m = await WebAssembly.compile(buf); out.compile = performance.now() - t;
  t = performance.now(); const m2 = await WebAssembly.compileStreaming(fetch('latscope-web_bg.wasm?x' + i)); out.streaming = performance.now() - t;
  t = performance.now(); const mod = await import('./latscope-web.js'); await mod.default({ module_or_path: m2 }); out.init = performance.now() - t;
  t = performance.now(); const p = await mod.Predictor.fromUrl('predictors/nb201.onnx'); out.load = performance.now() - t;
  t = performance.now(); p.predict(['|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|']); out.pred = performance.now() - t;
  return out;
}, i);
console.log(JSON.stringify(r));
await page.close();
}
await browser.close(); server.close();
