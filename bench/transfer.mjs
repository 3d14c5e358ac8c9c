/**
 * Transfer benchmark (issue 4): the `stowage` CLI against aws-cli and rclone from Debian, all
 * three talking to the same `stowage serve` on this machine, in one run.
 *
 *   npm run bench:transfer        (builds first; needs /usr/bin/aws and /usr/bin/rclone:
 *                                  apt-get install awscli rclone)
 *
 * Measures, for each tool, with its default concurrency (what a user gets):
 *   1. upload 10,000 files of 4 KiB (a fresh prefix each run): stowage `cp --recursive`,
 *      aws `s3 cp --recursive`, rclone `copy`;
 *   2. upload, then download, one 1 GiB file: `cp` / `s3 cp` / `rclone copyto`;
 *   3. re-sync the 10,000 unchanged files: stowage `sync`, aws `s3 sync`, rclone `sync`;
 *   4. download the 10,000 files to an empty directory (no target in the issue; reported so
 *      the gap to rclone is on record): `cp --recursive` / `s3 cp --recursive` / `copy`.
 * Target 4 (planning a 1,000,000-key sync under 300 MB) is `npm run bench:sync-plan`.
 *
 * Wall-clock seconds per command, medians of RUNS runs; the tools take turns within a run,
 * and `sync` flushes dirty pages before each timed command. Writes the
 * `<!-- bench:transfer -->` section of bench/RESULTS.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeSection } from './lib/results.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const stowageBin = path.join(repo, 'bin/stowage.cjs');
const AWS = '/usr/bin/aws';
const RCLONE = '/usr/bin/rclone';
for (const [bin, hint] of [
  [path.join(repo, 'dist/cli/main.js'), 'run `npm run build` (npm run bench:transfer does)'],
  [AWS, 'apt-get install awscli'],
  [RCLONE, 'apt-get install rclone'],
]) {
  if (!existsSync(bin)) {
    console.error(`${bin} is missing: ${hint}`);
    process.exit(1);
  }
}

const SMALL_FILES = Number(process.env.BENCH_SMALL_FILES ?? 10_000);
const SMALL_BYTES = 4096;
const BIG_BYTES = 1024 * 1024 * 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGETS = { upload: { aws: 3, rclone: 1.5 }, resync: { aws: 3 }, big: { rclone: 1 } };

const log = (text) => process.stderr.write(`${text}\n`);
const root = mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-transfer-'));
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const loadAtStart = loadAverage();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------------------
// Data

const smallDir = path.join(root, 'small');
for (let i = 0; i < SMALL_FILES; i++) {
  const dir = path.join(smallDir, `d${String(Math.floor(i / 500)).padStart(3, '0')}`);
  if (i % 500 === 0) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `f${String(i).padStart(5, '0')}.bin`), randomBytes(SMALL_BYTES));
}
const bigFile = path.join(root, 'big.bin');
{
  const chunk = randomBytes(8 * 1024 * 1024);
  const parts = [];
  for (let i = 0; i < BIG_BYTES / chunk.length; i++) {
    chunk.writeUInt32LE(i, 0);
    parts.push(Buffer.from(chunk));
    if (parts.length === 16) {
      writeFileSync(bigFile, Buffer.concat(parts), { flag: 'a' });
      parts.length = 0;
    }
  }
  if (parts.length) writeFileSync(bigFile, Buffer.concat(parts), { flag: 'a' });
}
const sha256Of = (file) =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
const bigSha = await sha256Of(bigFile);

// ---------------------------------------------------------------------------------------
// Server

function startServer() {
  const credentials = {
    accessKeyId: `BENCH${randomBytes(6).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  const child = spawn(
    process.execPath,
    [stowageBin, 'serve', '--port', '0', '--json', '--data-dir', path.join(root, 'data')],
    {
      env: {
        ...process.env,
        UV_THREADPOOL_SIZE: '16',
        STOWAGE_ROOT_ACCESS_KEY: credentials.accessKeyId,
        STOWAGE_ROOT_SECRET_KEY: credentials.secretAccessKey,
      },
      // Its log (an access line per request) goes to a file: a pipe nobody reads fills up,
      // and the server's queued writes to it then keep it from exiting after SIGTERM.
      stdio: ['ignore', 'pipe', openSync(path.join(root, 'serve.log'), 'a')],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      try {
        // `serve --json` prints one JSON document (possibly over several lines) when ready.
        const url = JSON.parse(out).url;
        if (url) resolve({ child, url, credentials });
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => reject(new Error(`stowage serve exited with ${code}`)));
  });
}

// ---------------------------------------------------------------------------------------
// Tools

let server;
const env = () => ({
  PATH: '/usr/bin:/bin',
  HOME: path.join(root, 'home'),
  LANG: 'C.UTF-8',
  AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_REGION: 'us-east-1',
  AWS_CONFIG_FILE: path.join(root, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: path.join(root, 'no-aws-credentials'),
  RCLONE_CONFIG: path.join(root, 'no-rclone.conf'),
  RCLONE_CONFIG_BENCH_TYPE: 's3',
  RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
  RCLONE_CONFIG_BENCH_ENDPOINT: server.url,
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: server.credentials.accessKeyId,
  RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
  RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
  RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
});

/** `stowage …` and `aws …` command lines, each with the endpoint of this run's server. */
const stowage = (...args) => [
  process.execPath,
  stowageBin,
  '--endpoint-url',
  server.url,
  '--quiet',
  ...args,
];
const aws = (...args) => [AWS, '--endpoint-url', server.url, 's3', ...args, '--only-show-errors'];

/** argv of each tool for each operation; src/dst are local paths or bucket/prefix. */
const TOOLS = {
  stowage: {
    uploadMany: (dir, b, p) => stowage('cp', '--recursive', dir, `s3://${b}/${p}/`),
    resync: (dir, b, p) => stowage('sync', dir, `s3://${b}/${p}/`),
    downloadMany: (b, p, dir) => stowage('cp', '--recursive', `s3://${b}/${p}/`, dir),
    put: (file, b, k) => stowage('cp', file, `s3://${b}/${k}`),
    get: (b, k, file) => stowage('cp', `s3://${b}/${k}`, file),
  },
  aws: {
    uploadMany: (dir, b, p) => aws('cp', '--recursive', dir, `s3://${b}/${p}/`),
    resync: (dir, b, p) => aws('sync', dir, `s3://${b}/${p}/`),
    downloadMany: (b, p, dir) => aws('cp', '--recursive', `s3://${b}/${p}/`, dir),
    put: (file, b, k) => aws('cp', file, `s3://${b}/${k}`),
    get: (b, k, file) => aws('cp', `s3://${b}/${k}`, file),
  },
  rclone: {
    uploadMany: (dir, b, p) => [RCLONE, 'copy', dir, `bench:${b}/${p}`],
    resync: (dir, b, p) => [RCLONE, 'sync', dir, `bench:${b}/${p}`],
    downloadMany: (b, p, dir) => [RCLONE, 'copy', `bench:${b}/${p}`, dir],
    put: (file, b, k) => [RCLONE, 'copyto', file, `bench:${b}/${k}`],
    get: (b, k, file) => [RCLONE, 'copyto', `bench:${b}/${k}`, file],
  },
};

/** True when directory `b` holds exactly the files of `a`, byte for byte. */
function sameTree(a, b) {
  const files = (dir) =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
      .sort();
  const want = files(a);
  const got = files(b);
  return (
    want.length === got.length &&
    want.every(
      (f, i) => got[i] === f && readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))),
    )
  );
}

/** Runs one command; resolves its wall-clock seconds, rejects with its output on failure. */
function timed(argv) {
  spawnSync('sync');
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(argv[0], argv.slice(1), { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const s = (performance.now() - t) / 1000;
      if (code === 0) resolve(s);
      else
        reject(
          new Error(`${argv.slice(0, 6).join(' ')} … exited ${code}:\n${output.slice(-2000)}`),
        );
    });
  });
}

// ---------------------------------------------------------------------------------------
// The run

const samples = {};
const record = (k, v) => (samples[k] ??= []).push(v);
let failed = false;
try {
  mkdirSync(path.join(root, 'home'));
  server = await startServer();
  log(`stowage serve: ${server.url}`);
  await timed([AWS, '--endpoint-url', server.url, 's3', 'mb', 's3://bench']);
  const tools = Object.keys(TOOLS);
  for (let run = 0; run < RUNS; run++) {
    const order = tools.map((_, i) => tools[(i + run) % tools.length]);
    for (const tool of order) {
      const t = TOOLS[tool];
      const prefix = `${tool}-${run}`;
      const up = await timed(t.uploadMany(smallDir, 'bench', prefix));
      record(`${tool}.uploadMany`, up);
      const re = await timed(t.resync(smallDir, 'bench', prefix));
      record(`${tool}.resync`, re);
      const downDir = path.join(root, `${prefix}.many`);
      const downMany = await timed(t.downloadMany('bench', prefix, downDir));
      record(`${tool}.downloadMany`, downMany);
      if (!sameTree(smallDir, downDir)) {
        throw new Error(`${tool}: the downloaded ${SMALL_FILES} files differ from the upload`);
      }
      rmSync(downDir, { recursive: true });
      const put = await timed(t.put(bigFile, 'bench', `${prefix}/big.bin`));
      record(`${tool}.put1g`, put);
      const out = path.join(root, `${prefix}.down`);
      const get = await timed(t.get('bench', `${prefix}/big.bin`, out));
      record(`${tool}.get1g`, get);
      if (statSync(out).size !== BIG_BYTES || (await sha256Of(out)) !== bigSha) {
        throw new Error(`${tool}: the downloaded 1 GiB file differs from the upload`);
      }
      rmSync(out);
      log(
        `run ${run + 1} ${tool}: ${SMALL_FILES} files ${up.toFixed(1)} s, re-sync ${re.toFixed(1)} s, ` +
          `download them ${downMany.toFixed(1)} s, ` +
          `1 GiB up ${put.toFixed(1)} s, down ${get.toFixed(1)} s`,
      );
    }
  }
} catch (err) {
  failed = true;
  log(`bench failed: ${err?.stack ?? err}`);
} finally {
  server?.child.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
}
if (failed) process.exit(1);

// ---------------------------------------------------------------------------------------
// The report

const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
const fmtS = (s) => s.toFixed(2);
const mbps = (s) => (BIG_BYTES / 1e6 / s).toFixed(0);
const ratio = (peer, ours) => `${(peer / ours).toFixed(2)}×`;
const met = (ok) => (ok ? 'yes' : '**no**');
const rows = [
  [
    `Upload ${SMALL_FILES.toLocaleString('en-US')} files of 4 KiB (s)`,
    'uploadMany',
    fmtS,
    `≥ ${TARGETS.upload.aws}× aws-cli, ≥ ${TARGETS.upload.rclone}× rclone`,
    () =>
      med['aws.uploadMany'] / med['stowage.uploadMany'] >= TARGETS.upload.aws &&
      med['rclone.uploadMany'] / med['stowage.uploadMany'] >= TARGETS.upload.rclone,
  ],
  [
    `Re-sync ${SMALL_FILES.toLocaleString('en-US')} unchanged files (s)`,
    'resync',
    fmtS,
    `≥ ${TARGETS.resync.aws}× aws-cli`,
    () => med['aws.resync'] / med['stowage.resync'] >= TARGETS.resync.aws,
  ],
  [
    `Download the ${SMALL_FILES.toLocaleString('en-US')} files (s)`,
    'downloadMany',
    fmtS,
    'none (not in the issue)',
    undefined,
  ],
  [
    'Upload 1 GiB (s; MB/s)',
    'put1g',
    (s) => `${fmtS(s)}; ${mbps(s)}`,
    'at least as fast as rclone',
    () => med['stowage.put1g'] <= med['rclone.put1g'],
  ],
  [
    'Download 1 GiB (s; MB/s)',
    'get1g',
    (s) => `${fmtS(s)}; ${mbps(s)}`,
    'at least as fast as rclone',
    () => med['stowage.get1g'] <= med['rclone.get1g'],
  ],
];
const table = [
  '| Measurement | stowage | aws-cli | rclone | stowage vs aws-cli (speed-up) | stowage vs rclone (speed-up) | Target | Met |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ...rows.map(([label, key, f, target, ok]) => {
    const s = med[`stowage.${key}`];
    return `| ${label} | ${f(s)} | ${f(med[`aws.${key}`])} | ${f(med[`rclone.${key}`])} | ${ratio(med[`aws.${key}`], s)} | ${ratio(med[`rclone.${key}`], s)} | ${target} | ${ok ? met(ok()) : ''} |`;
  }),
].join('\n');
const version = (argv) =>
  spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' }).stdout.split('\n')[0].trim();
const sampleLines = Object.entries(samples)
  .map(([k, v]) => `- \`${k}\`: ${v.map(fmtS).join(', ')}`)
  .join('\n');
const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';

/**
 * A line on the kernel's DAMON proactive reclaim, when it is on: it drops page-cache pages
 * nobody touched for a while, so a run may read the files (and its own program) from disk.
 */
function reclaimNote() {
  const ctx = '/sys/kernel/mm/damon/admin/kdamonds/0';
  try {
    if (readFileSync(`${ctx}/state`, 'utf8').trim() !== 'on') return '';
    const scheme = `${ctx}/contexts/0/schemes/0`;
    if (readFileSync(`${scheme}/action`, 'utf8').trim() !== 'pageout') return '';
    const aggrUs = Number(
      readFileSync(`${ctx}/contexts/0/monitoring_attrs/intervals/aggr_us`, 'utf8'),
    );
    const minAge = Number(readFileSync(`${scheme}/access_pattern/age/min`, 'utf8'));
    const seconds = Math.round((aggrUs * minAge) / 1e6);
    return `\n- This machine's kernel runs DAMON proactive reclaim: page-cache pages nobody touched for about ${seconds} s are paged out. A tool that runs after such a pause reads part of the ${SMALL_FILES.toLocaleString('en-US')} files (and of its own program) from disk; the tools take turns, so each meets this alike.`;
  } catch {
    return '';
  }
}

const section = `<!-- bench:transfer -->
## Transfers (\`npm run bench:transfer\`)

Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} (UTC) · Node ${process.version} · ${cpu} (${os.cpus().length} CPUs) · ${version([AWS, '--version'])} · ${version([RCLONE, 'version'])} · load average ${loadAtStart} at the start, ${loadAverage()} at the end

- All three tools talk to the same \`stowage serve\` (fsync on) on 127.0.0.1, on this machine, with their default concurrency; each command is a fresh process, timed from start to exit (wall clock, seconds). The ${SMALL_FILES.toLocaleString('en-US')} small files are random bytes in directories of 500; each tool uploads them to its own fresh prefix, then re-syncs the same tree (nothing changed), then downloads them to an empty directory (compared file by file, outside the timing), then uploads and downloads one 1 GiB file of random bytes (the download is compared by SHA-256, outside the timing).
- stowage: \`stowage cp --recursive\`, \`stowage sync\`, \`stowage cp\`; aws-cli: \`aws s3 cp --recursive\`, \`aws s3 sync\`, \`aws s3 cp\`; rclone: \`rclone copy\`, \`rclone sync\`, \`rclone copyto\`.
- ${RUNS === 1 ? 'One run' : `Medians of ${RUNS} runs`}; the tools take turns, the first one changing each run. Speed-up = the peer's time / stowage's time. MB = 10^6 bytes.${reclaimNote()}

${table}

<details><summary>All samples (seconds)</summary>

${sampleLines}

</details>
<!-- /bench:transfer -->`;

await writeSection('transfer', section);
console.log(section);
