// `make package`: the npm package of the wasm module, from the built dist/
// (make web): target/npm/latscope-web-<version>.tgz. It holds both builds of
// the API (`latscope-web`, tract inside; `latscope-web/lite`, no tract, for
// latscope's own predictor files), their TypeScript types, and the shipped
// predictor files. The version is the workspace's (Cargo.toml).

import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const dist = join(root, 'dist');
const out = join(root, 'target/npm');
const stage = join(out, 'latscope-web');

// The workspace version: `version = "x.y.z"` under [workspace.package].
async function workspaceVersion() {
  const cargo = await readFile(join(root, 'Cargo.toml'), 'utf8');
  const section = cargo.slice(cargo.indexOf('[workspace.package]'));
  const match = section.match(/^version\s*=\s*"([^"]+)"/m);
  if (!match) throw new Error('Cargo.toml: no version under [workspace.package]');
  return match[1];
}

// Each file the package holds: its path in the package and where it comes from.
const files = [
  ['latscope-web.js', join(dist, 'latscope-web.js')],
  ['latscope-web_bg.wasm', join(dist, 'latscope-web_bg.wasm')],
  ['latscope-web.d.ts', join(dist, 'latscope-web.d.ts')],
  ['latscope-web-lite.js', join(dist, 'latscope-web-lite.js')],
  ['latscope-web-lite_bg.wasm', join(dist, 'latscope-web-lite_bg.wasm')],
  ['latscope-web-lite.d.ts', join(dist, 'latscope-web-lite.d.ts')],
  ['predictors/nb201.onnx', join(root, 'static/predictors/nb201.onnx')],
  ['predictors/fbnet.onnx', join(root, 'static/predictors/fbnet.onnx')],
  ['README.md', join(here, 'README.md')],
  // The module embeds NAS-Bench-201's index table and the predictors were
  // trained on HELP's latencies: their notice travels with them.
  ['LICENSE-HELP.md', join(root, 'static/data/LICENSE-HELP.md')],
];

async function main() {
  for (const [, from] of files) {
    try {
      await stat(from);
    } catch {
      throw new Error(`${from} is missing: run \`make web\` first (make package does)`);
    }
  }
  await rm(stage, { recursive: true, force: true });
  await mkdir(join(stage, 'predictors'), { recursive: true });
  for (const [to, from] of files) await copyFile(from, join(stage, to));
  const version = await workspaceVersion();
  const manifest = {
    name: 'latscope-web',
    version,
    description: 'latscope in the browser: latency predictors of NAS architectures (NAS-Bench-201, FBNet) on 27 devices, few-shot adaptation to your own device, rankings and Pareto fronts. WebAssembly.',
    license: 'MIT',
    type: 'module',
    main: './latscope-web.js',
    types: './latscope-web.d.ts',
    exports: {
      '.': { types: './latscope-web.d.ts', default: './latscope-web.js' },
      './lite': { types: './latscope-web-lite.d.ts', default: './latscope-web-lite.js' },
      './latscope-web_bg.wasm': './latscope-web_bg.wasm',
      './latscope-web-lite_bg.wasm': './latscope-web-lite_bg.wasm',
      './predictors/*': './predictors/*',
      './package.json': './package.json',
    },
    files: files.map(([to]) => to),
    sideEffects: false,
    keywords: ['neural-architecture-search', 'nas', 'latency', 'predictor', 'onnx', 'wasm'],
  };
  await writeFile(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const packed = execFileSync('npm', ['pack', '--pack-destination', out], { cwd: stage, encoding: 'utf8' })
    .trim().split('\n').pop();
  console.log(join(out, packed));
}

main().catch((e) => {
  console.error(`make package: ${e.message}`);
  process.exit(1);
});
