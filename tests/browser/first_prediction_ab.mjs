// Time to the first prediction of two or more builds of the page, measured
// in turns (page 1 of each build, then page 2 of each, ...) so that a
// machine that speeds up or slows down during the run affects every build
// alike. Each page is fresh (its own browser context, nothing cached) and
// left alone while it loads, as in e2e.mjs's benchmark.
//
//   node first_prediction_ab.mjs [--pages N] NAME=DIST_DIR NAME=DIST_DIR ...
//
// DIST_DIR is a built page (what `make web` writes to dist/); one way to
// get an older build is to run `make web` in a checkout of that commit.

import { launchBrowser, serve, timeFreshLoad } from './harness.mjs';

function parseArgs(argv) {
  let pages = 12;
  const builds = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--pages') {
      pages = Number(argv[++i]);
      if (!Number.isInteger(pages) || pages < 1) throw new Error(`--pages: expected a positive whole number, got ${argv[i]}`);
    } else {
      const [name, dir] = argv[i].split('=');
      if (!name || !dir) throw new Error(`expected NAME=DIST_DIR, got ${argv[i]}`);
      builds.push({ name, dir });
    }
  }
  if (builds.length < 2) throw new Error('give at least two builds to compare (NAME=DIST_DIR ...)');
  return { pages, builds };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];

async function main() {
  const { pages, builds } = parseArgs(process.argv.slice(2));
  const servers = await Promise.all(builds.map((b) => serve(b.dir, {})));
  const browser = await launchBrowser();
  const times = builds.map(() => []);
  // Round 0 warms the browser up and is not counted.
  for (let round = 0; round <= pages; round++) {
    for (const [j, server] of servers.entries()) {
      const ms = await timeFreshLoad(browser, `http://127.0.0.1:${server.address().port}/`,
        () => window.latscope?.timings?.firstPrediction, 700);
      if (round > 0) times[j].push(ms);
    }
    if (round > 0) process.stderr.write(`\rround ${round}/${pages}`);
  }
  process.stderr.write('\n');
  const version = browser.version();
  await browser.close();
  servers.forEach((s) => s.close());

  console.log(`time to first prediction, ${pages} fresh pages per build, in turns (Chromium ${version}, headless)`);
  console.log(`${'build'.padEnd(24)} median   p25   p75   min   max   all (ms)`);
  for (const [j, b] of builds.entries()) {
    const sorted = times[j].slice().sort((x, y) => x - y);
    const cols = [0.5, 0.25, 0.75, 0, 1].map((q) => quantile(sorted, q).toFixed(0).padStart(5));
    console.log(`${b.name.padEnd(24)} ${cols.join(' ')}   ${times[j].map((t) => t.toFixed(0)).join(' ')}`);
  }
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exit(1);
});
