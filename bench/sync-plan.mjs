/**
 * Sync-plan benchmark (issue 4, target 4): plan a sync over 1,000,000 keys from synthetic
 * listings and report the peak RSS (target: under 300 MB) and the time.
 *
 *   npm run bench:sync-plan     (builds first)
 *
 * Both listings are generated lazily in S3 key order, as a local walk and an S3 listing
 * would yield them, so the figure is the planner's own memory: the merge, the filters, the
 * change detection and the deferred-delete spool (which spills to a temp file past 5,000
 * entries). The union of the two sides is 1,000,000 keys: 1% exist only at the source
 * (uploads), 1% only at the destination (deletions, with --delete), 1% differ in size and
 * 1% have a newer source mtime; the rest are unchanged. One `--exclude` rule is applied to
 * every key. The plan is consumed by runPlan with --dryrun, as `stowage sync --dryrun`
 * would, so the result counting is included.
 *
 * Each run is a fresh child process; its peak RSS is the kernel's VmHWM (/proc/self/status)
 * at the end of the run. Figures are medians of 3 runs.
 *
 * Writes results to bench/RESULTS.md, replacing only the section between the
 * `<!-- bench:sync-plan -->` markers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RESULTS_FILE, writeSection } from './lib/results.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const dist = path.join(repo, 'dist/transfer/sync');
if (!existsSync(path.join(dist, 'plan.js'))) {
  console.error('dist/ is missing: run `npm run build` (npm run bench:sync-plan does).');
  process.exit(1);
}

const KEYS = 1_000_000;
const RUNS = 3;
const TARGET_RSS_MB = 300;
const T0 = Date.UTC(2026, 0, 1);
const MB = 1024 * 1024;

const pad = (n, w) => String(n).padStart(w, '0');
/** Key i: zero-padded numbers, so numeric order is byte order. */
const keyOf = (i) => `studio/${pad(Math.floor(i / 1000), 4)}/render-${pad(i % 1000, 3)}.webp`;
const onlyDest = (i) => i % 100 === 17;
const onlySource = (i) => i % 100 === 42;
const sizeChanged = (i) => i % 100 === 7;
const newer = (i) => i % 100 === 9;

async function* source() {
  for (let i = 0; i < KEYS; i++) {
    if (onlyDest(i)) continue;
    const mtimeMs = newer(i) ? T0 + 3_600_000 : T0;
    yield {
      kind: 'entry',
      entry: { key: keyOf(i), sizeBytes: sizeChanged(i) ? 2048 : 1024, mtimeMs },
    };
  }
}
async function* dest() {
  for (let i = 0; i < KEYS; i++) {
    if (onlySource(i)) continue;
    yield {
      kind: 'entry',
      entry: {
        key: keyOf(i),
        sizeBytes: 1024,
        mtimeMs: T0 + 60_000,
        etag: 'd41d8cd98f00b204e9800998ecf8427e',
      },
    };
  }
}

const vm = (field) => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return m ? Number(m[1]) * 1024 : NaN;
};

async function child() {
  const { planSync } = await import(pathToFileURL(path.join(dist, 'plan.js')).href);
  const { runPlan } = await import(pathToFileURL(path.join(dist, 'run-plan.js')).href);
  const baseline = process.memoryUsage().rss;
  const started = performance.now();
  const actions = planSync({
    source: source(),
    dest: dest(),
    direction: 'upload',
    delete: true,
    filters: [{ type: 'exclude', pattern: '*.tmp' }],
  });
  const r = await runPlan(actions, {}, { dryrun: true, concurrency: 16 });
  const ms = performance.now() - started;
  process.stdout.write(
    JSON.stringify({
      ms,
      peakRss: vm('VmHWM'),
      baseline,
      summary: r.summary,
      exitCode: r.exitCode,
    }),
  );
}

async function parent() {
  const log = (t) => process.stderr.write(`${t}\n`);
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  const loadAtStart = load();
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child'], {
      encoding: 'utf8',
      maxBuffer: 16 * MB,
    });
    if (r.status !== 0) {
      console.error(r.stderr);
      process.exit(1);
    }
    const run = JSON.parse(r.stdout);
    log(
      `run ${i + 1}: ${(run.ms / 1000).toFixed(2)} s, peak RSS ${(run.peakRss / MB).toFixed(0)} MB`,
    );
    runs.push(run);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const ms = median(runs.map((r) => r.ms));
  const rss = median(runs.map((r) => r.peakRss)) / MB;
  const base = median(runs.map((r) => r.baseline)) / MB;
  const s = runs[0].summary;
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const cpu =
    os
      .cpus()[0]
      ?.model.replace(/\s+\d+-Core Processor$/, '')
      .trim() ?? 'unknown CPU';
  const table = `| Measurement | Value | Target | Met |
| --- | ---: | --- | --- |
| Peak RSS of the planning process (MB) | ${fmt(rss)} | < ${TARGET_RSS_MB} MB | ${rss < TARGET_RSS_MB ? 'yes' : '**no**'} |
| RSS after loading, before planning (MB) | ${fmt(base)} | | |
| Time to plan and count 1,000,000 keys (s) | ${(ms / 1000).toFixed(2)} | | |
| Keys per second | ${fmt(KEYS / (ms / 1000))} | | |`;
  const section = `<!-- bench:sync-plan -->
## Sync plan (\`npm run bench:sync-plan\`)

Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} (UTC) · Node ${process.version} · ${cpu} (${os.cpus().length} CPUs) · load average ${loadAtStart} at the start, ${load()} at the end · the machine was shared with other engineers' builds and tests during the run

Plans an upload sync with \`--delete\` and one \`--exclude\` rule over ${KEYS.toLocaleString('en-US')} keys (the union of two synthetic listings generated lazily in key order: 1% only at the source, 1% only at the destination, 1% with a changed size, 1% newer at the source), consumed by \`runPlan\` with \`--dryrun\`. Each run is a fresh process; peak RSS is the kernel's VmHWM. Medians of ${RUNS} runs (${runs.map((r) => `${(r.ms / 1000).toFixed(2)} s / ${fmt(r.peakRss / MB)} MB`).join(', ')}).

${table}

Plan of each run: ${fmt(s.uploaded)} uploads, ${fmt(s.deleted)} deletions (spilled to a temp file past 5,000), ${fmt(s.skipped)} unchanged.
<!-- /bench:sync-plan -->`;
  await writeSection('sync-plan', section);
  console.log(table);
  console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

if (process.argv.includes('--child')) await child();
else await parent();
