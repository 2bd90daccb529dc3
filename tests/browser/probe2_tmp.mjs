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
  const file = join(dist, path.endsWith('/') ? `${path}index.html` : path);
  try { const body = await readFile(file); res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }); res.end(body); }
  catch { res.writeHead(404).end(); }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await page.waitForFunction(() => window.latscope?.timings?.tableReady, null, { timeout: 120000 });
const r = await page.evaluate(async () => {
  const w = window.wasmBindings; const out = {};
  const bytes = new Uint8Array(await (await fetch('predictors/nb201.onnx')).arrayBuffer());
  for (let i = 0; i < 3; i++) {
    let t = performance.now(); const p = new w.Predictor(bytes); out['load' + i] = performance.now() - t;
    t = performance.now(); p.predict(['|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|']); out['pred1_' + i] = performance.now() - t;
    t = performance.now(); p.predict(['|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|']); out['pred2_' + i] = performance.now() - t;
    p.free();
  }
  let t = performance.now(); await w.MeasuredData.fromUrl('data/nb201_latency.csv.gz', 'nb201'); out.measured = performance.now() - t;
  t = performance.now(); await w.FeatureCache.fromUrl('data/nb201_features-v1.bin.gz'); out.features = performance.now() - t;
  const tb = window.latscope.state.table;
  t = performance.now(); tb.correlation(); out.corr = performance.now() - t;
  return out;
});
console.log(JSON.stringify(r, null, 1));
await browser.close(); server.close();
