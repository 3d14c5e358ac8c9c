/**
 * S3 benchmark: `stowage serve` against s3rver (a Node S3 fake, as a reference point), both
 * run as separate processes on this machine and driven in one run by the same client code
 * (bench/lib/raw-s3.mjs, or @aws-sdk/client-s3 with BENCH_S3_CLIENT=sdk; one keep-alive agent
 * of 16 sockets per server) at the same concurrency. A third server, the node:http floor
 * (bench/lib/floor-server.mjs, no checks and no disk), takes part in the 4 KiB runs and the
 * 1 GiB GETs: the most any Node server can show with this client on this machine.
 *
 *   npm run bench:s3            (builds first)
 *
 * Measures:
 *   - PUT, then GET, of 5,000 distinct 4 KiB objects with 16 requests in flight: objects/s
 *     and the 99th-percentile latency of one request (GET bodies read fully and compared).
 *   - PUT and GET of one 1 GiB object: MB/s. The PUT is one plain PutObject whose body is
 *     streamed from memory in 1 MiB chunks with ContentLength set; the returned ETag is
 *     checked against the body's MD5. The GET reads every byte.
 *   - The peak RSS of each server process during the 1 GiB PUT and GET: VmRSS from
 *     /proc/<pid>/status, sampled every 50 ms by a worker thread (so a busy client event
 *     loop cannot delay it), and cross-checked with VmHWM after resetting it through
 *     /proc/<pid>/clear_refs.
 * Each figure is the median of 3 runs; the servers alternate within a run. `sync` runs
 * before every timed PUT phase so that one server's unwritten pages are not flushed during
 * the other's turn.
 *
 * For reference, the engine's own 1 GiB figures are measured in the same run, in a fresh
 * process as the foundation bench measures them (bench/lib/engine-direct.mjs), and the
 * server's figures are compared to them; the foundation bench's own figures (the engine
 * section of bench/RESULTS.md, `npm run bench:engine`) are shown beside them.
 *
 * Writes results to bench/RESULTS.md, replacing only the section between the
 * `<!-- bench:s3 -->` markers.
 */
/* global AbortSignal -- a Node global the shared ESLint config does not list */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { bigBody, bigBodyMd5 } from './lib/big-body.mjs';
import { RawS3 } from './lib/raw-s3.mjs';
import { readResults, RESULTS_FILE, writeSection } from './lib/results.mjs';
import { readStatusKiB, startRssSampler } from './lib/rss.mjs';
import { serverProcesses } from './lib/servers.mjs';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const s3rverBin = path.join(repo, 'node_modules/s3rver/bin/s3rver.js');
const floorBin = path.join(here, 'lib/floor-server.mjs');
/** The name of the second Stowage, run with server.defaultEncryption: none. */
const CLEAR = 'stowage-clear';
if (!existsSync(path.join(repo, 'dist/cli/main.js'))) {
  console.error('dist/ is missing: run `npm run build` (npm run bench:s3 does).');
  process.exit(1);
}
if (!existsSync(s3rverBin)) {
  console.error('s3rver is missing: run `npm install` (it is a devDependency).');
  process.exit(1);
}

const KiB = 1024;
const MiB = 1024 * KiB;
const SMALL_COUNT = 5_000;
const SMALL_BYTES = 4 * KiB;
const WARMUP_COUNT = 500;
const CONCURRENCY = 16;
const BIG_BYTES = 1024 * MiB;
const SMALL_RUNS = 3;
const BIG_RUNS = 3;
const RSS_INTERVAL_MS = 50;
const BIG_TIMEOUT_MS = 10 * 60_000;
const SMALL_TIMEOUT_MS = 60_000;
const TARGET_SMALL_FACTOR = 5;
const TARGET_BIG_RATIO = 0.6;
const TARGET_RSS_MB = 200;
const THREADPOOL_SIZE = '16';
const CLIENT = process.env.BENCH_S3_CLIENT ?? 'raw';
if (CLIENT !== 'raw' && CLIENT !== 'sdk') {
  console.error(`BENCH_S3_CLIENT must be raw or sdk, got "${CLIENT}"`);
  process.exit(2);
}

const log = (text) => process.stderr.write(`${text}\n`);
const root = mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-s3-'));
/** 1-minute load average: other work on the machine shows in the figures. */
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const loadAtStart = loadAverage();

/** 5,000 distinct 4 KiB bodies (the index is stamped into each). */
const smallBodies = Array.from({ length: SMALL_COUNT }, (_, i) => {
  const b = Buffer.alloc(SMALL_BYTES, i % 251);
  b.writeUInt32LE(i, 0);
  return b;
});
const bigMd5 = bigBodyMd5(BIG_BYTES);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Nearest-rank percentile. */
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
};

/** Runs `fn(i)` for i in [0, count) with at most `limit` in flight. */
async function pool(count, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

async function readAll(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

async function countBytes(stream) {
  let n = 0;
  for await (const c of stream) n += c.length;
  return n;
}

/** Writes dirty pages back, outside any timed section. */
function syncDisks() {
  spawnSync('sync', { stdio: 'ignore' });
}

// ---------------------------------------------------------------------------------------
// Server processes

// The thread-pool size `stowage serve` gets from bin/stowage.cjs by default; s3rver gets the
// same (it can only help it).
const { startProcess, stopProcess, tail, startStowage } = serverProcesses(root, {
  UV_THREADPOOL_SIZE: THREADPOOL_SIZE,
});

async function startS3rver() {
  const dir = path.join(root, 's3rver');
  mkdirSync(dir);
  const args = [s3rverBin, '--directory', dir, '--address', '127.0.0.1', '--port', '0'];
  args.push('--silent');
  const server = await startProcess('s3rver', args, {}, path.join(root, 's3rver.log'), (out) => {
    const m = /listening on (\S+):(\d+)/.exec(out);
    return m ? { url: `http://${m[1]}:${m[2]}` } : undefined;
  });
  // s3rver's fixed account.
  return {
    ...server,
    name: 's3rver',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  };
}

/** The node:http floor (bench/lib/floor-server.mjs): it checks no signature. */
async function startFloor() {
  const server = await startProcess(
    'floor',
    [floorBin],
    {},
    path.join(root, 'floor.log'),
    (out) => {
      const m = /listening on (\S+)/.exec(out);
      return m ? { url: m[1] } : undefined;
    },
  );
  return {
    ...server,
    name: 'floor',
    credentials: { accessKeyId: 'FLOOR', secretAccessKey: 'FLOOR' },
  };
}

/**
 * The client both servers get: `raw` (default) is bench/lib/raw-s3.mjs, plain node:http
 * with SigV4 and UNSIGNED-PAYLOAD, cheap enough per request that the figures are about the
 * servers; `sdk` is @aws-sdk/client-s3 (BENCH_S3_CLIENT=sdk), what most applications use.
 */
function clientFor(server) {
  if (CLIENT === 'raw') {
    const raw = new RawS3({
      url: server.url,
      credentials: server.credentials,
      maxSockets: CONCURRENCY,
    });
    return {
      put: async (bucket, key, body, length, signal) =>
        (await raw.request('PUT', `/${bucket}/${key}`, { body, length, signal })).headers.etag,
      get: async (bucket, key, signal) =>
        (await raw.request('GET', `/${bucket}/${key}`, { signal })).body,
      count: (bucket, key, signal) => raw.countObjectLean(bucket, key, signal),
      createBucket: (bucket) => raw.createBucket(bucket),
      deleteObject: (bucket, key) => raw.deleteObject(bucket, key),
      destroy: () => raw.destroy(),
    };
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const client = new S3Client({
    endpoint: server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: server.credentials,
    // Plain PutObject bodies for both: s3rver does not know aws-chunked trailing checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A failure must show, not be hidden by a retry that also skews the timings.
    maxAttempts: 1,
    requestHandler: { httpAgent: agent },
  });
  return {
    put: async (Bucket, Key, body, length, abortSignal) => {
      const Body = Buffer.isBuffer(body) ? body : Readable.from(body, { objectMode: false });
      const res = await client.send(
        new PutObjectCommand({ Bucket, Key, Body, ContentLength: length ?? body.length }),
        { abortSignal },
      );
      return res.ETag;
    },
    get: async (Bucket, Key, abortSignal) =>
      readAll((await client.send(new GetObjectCommand({ Bucket, Key }), { abortSignal })).Body),
    count: async (Bucket, Key, abortSignal) =>
      countBytes((await client.send(new GetObjectCommand({ Bucket, Key }), { abortSignal })).Body),
    createBucket: (Bucket) => client.send(new CreateBucketCommand({ Bucket })),
    deleteObject: (Bucket, Key) => client.send(new DeleteObjectCommand({ Bucket, Key })),
    destroy: () => {
      client.destroy();
      agent.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------
// CPU accounting

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU time (user + system) a process has used, in ms: all its threads, or with `mainThread`
 * only the thread that runs its JavaScript (the thread whose id is the process id).
 */
function processCpuMs(pid, mainThread = false) {
  const stat = readFileSync(
    mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`,
    'utf8',
  );
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

/**
 * Times `fn` and the CPU this process (the client) and the server used meanwhile. The
 * machine is shared by both, so the split shows which side a figure is bound by.
 */
async function measure(server, fn) {
  const client0 = process.cpuUsage();
  const server0 = processCpuMs(server.pid);
  const thread0 = processCpuMs(server.pid, true);
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  const client = process.cpuUsage(client0);
  return {
    ...result,
    ms,
    clientCpuMs: (client.user + client.system) / 1000,
    serverCpuMs: processCpuMs(server.pid) - server0,
    serverThreadCpuMs: processCpuMs(server.pid, true) - thread0,
  };
}

// ---------------------------------------------------------------------------------------
// Transfers

async function putSmall(client, server, bucket, count) {
  const latencies = new Float64Array(count);
  const r = await measure(server, () =>
    pool(count, CONCURRENCY, async (i) => {
      const t = performance.now();
      await client.put(
        bucket,
        `k${i}`,
        smallBodies[i],
        SMALL_BYTES,
        AbortSignal.timeout(SMALL_TIMEOUT_MS),
      );
      latencies[i] = performance.now() - t;
    }),
  );
  return smallStats(r, latencies);
}

async function getSmall(client, server, bucket, count) {
  const latencies = new Float64Array(count);
  const r = await measure(server, () =>
    pool(count, CONCURRENCY, async (i) => {
      const t = performance.now();
      const body = await client.get(bucket, `k${i}`, AbortSignal.timeout(SMALL_TIMEOUT_MS));
      latencies[i] = performance.now() - t;
      if (!body.equals(smallBodies[i])) throw new Error(`GET ${bucket}/k${i}: wrong body`);
    }),
  );
  return smallStats(r, latencies);
}

function smallStats({ ms, clientCpuMs, serverCpuMs, serverThreadCpuMs }, latencies) {
  const n = latencies.length;
  return {
    opsPerSec: n / (ms / 1000),
    p99Ms: percentile(latencies, 99),
    clientCpuMsPerOp: clientCpuMs / n,
    serverCpuMsPerOp: serverCpuMs / n,
    serverThreadCpuMsPerOp: serverThreadCpuMs / n,
  };
}

/** Times one 1 GiB transfer, sampling the server's RSS meanwhile. */
async function bigTransfer(server, fn) {
  const rss = await startRssSampler(server.pid, RSS_INTERVAL_MS);
  let r;
  try {
    r = await measure(server, fn);
  } finally {
    const peaks = await rss.stop();
    if (r) Object.assign(r, peaks);
  }
  const { ms, clientCpuMs, serverCpuMs, ...rest } = r;
  return {
    mbPerSec: BIG_BYTES / 1e6 / (ms / 1000),
    clientCpuS: clientCpuMs / 1000,
    serverCpuS: serverCpuMs / 1000,
    ...rest,
  };
}

function putBig(client, server, bucket, key) {
  return bigTransfer(server, async () => {
    const etag = await client.put(
      bucket,
      key,
      bigBody(BIG_BYTES),
      BIG_BYTES,
      AbortSignal.timeout(BIG_TIMEOUT_MS),
    );
    if (etag?.replace(/"/g, '') !== bigMd5) {
      throw new Error(`PUT ${bucket}/${key}: ETag ${etag}, expected "${bigMd5}"`);
    }
  });
}

/** The floor's 1 GiB PUT: only there so that a GET can follow; not timed, no ETag check. */
async function putUnmeasured(client, bucket, key) {
  await client.put(bucket, key, bigBody(BIG_BYTES), BIG_BYTES, AbortSignal.timeout(BIG_TIMEOUT_MS));
  return true;
}

function getBig(client, server, bucket, key) {
  return bigTransfer(server, async () => {
    const n = await client.count(bucket, key, AbortSignal.timeout(BIG_TIMEOUT_MS));
    if (n !== BIG_BYTES) throw new Error(`GET ${bucket}/${key}: ${n} bytes, expected ${BIG_BYTES}`);
  });
}

// ---------------------------------------------------------------------------------------
// The run

const samples = {};
const record = (name, value) => (samples[name] ??= []).push(value);
/** The first error of each server, by measurement: a failed s3rver figure is reported as such. */
const failures = {};

/**
 * Runs `fn` for `server`; an error of s3rver's is recorded for the report (the bench goes on
 * without that figure), an error of stowage's ends the bench.
 */
async function attempt(server, what, fn) {
  try {
    return await fn();
  } catch (err) {
    if (server.name === 'stowage' || server.name === CLEAR) throw err;
    const message = String(err?.message ?? err).split('\n')[0];
    failures[`${server.name}.${what}`] ??= message;
    log(`${server.name} ${what} failed: ${message}`);
    return undefined;
  }
}

const ENGINE_DIRECT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'lib/engine-direct.mjs',
);

/**
 * The engine's own 1 GiB PUT and GET (in the clear and with SSE-S3), in a fresh process as
 * the foundation bench measures them (bench/lib/engine-direct.mjs), recorded as
 * `engine.<put|get>[Sse]`: the figures this run's servers are compared with.
 */
function engineDirect(run) {
  syncDisks();
  const dir = path.join(root, `engine-direct-${run}`);
  const r = spawnSync(process.execPath, [ENGINE_DIRECT, dir, String(BIG_BYTES)], {
    encoding: 'utf8',
    timeout: BIG_TIMEOUT_MS,
  });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`engine direct failed (${r.status}): ${r.stderr}`);
  const figures = JSON.parse(r.stdout.trim().split('\n').pop());
  for (const [k, v] of Object.entries(figures)) record(`engine.${k}`, v);
  log(
    `1 GiB run ${run + 1}, engine direct: PUT ${figures.put.toFixed(0)} MB/s (SSE-S3 ` +
      `${figures.putSse.toFixed(0)}); GET ${figures.get.toFixed(0)} MB/s (SSE-S3 ${figures.getSse.toFixed(0)})`,
  );
}

const servers = [];
const clients = new Map();
/** Each server's RSS right after start, in MB. */
let idleRss = {};
let failed = false;
try {
  servers.push(await startStowage());
  const s3rver = await attempt({ name: 's3rver' }, 'setup', startS3rver);
  if (s3rver) servers.push(s3rver);
  const floor = await attempt({ name: 'floor' }, 'setup', startFloor);
  if (floor) servers.push(floor);
  // Stowage storing objects in the clear (server.defaultEncryption: none), in the 1 GiB
  // runs only: what SSE-S3, on by default, costs a large transfer.
  servers.push(await startStowage({ name: CLEAR, env: { STOWAGE_DEFAULT_ENCRYPTION: 'none' } }));
  for (const s of servers) {
    clients.set(s, clientFor(s));
    log(`${s.name}: ${s.url} (pid ${s.pid})`);
  }
  idleRss = Object.fromEntries(
    servers.map((s) => [s.name, (readStatusKiB(s.pid, 'VmRSS') * 1024) / 1e6]),
  );

  for (const s of servers) {
    const c = clients.get(s);
    await attempt(s, 'setup', async () => {
      for (const b of [
        'warmup',
        'big',
        ...(s.name === CLEAR ? [] : Array.from({ length: SMALL_RUNS }, (_, r) => `small-${r}`)),
      ]) {
        await c.createBucket(b);
      }
      // Warm-up (JIT, connections); not measured.
      await putSmall(c, s, 'warmup', WARMUP_COUNT);
      await getSmall(c, s, 'warmup', WARMUP_COUNT);
    });
  }

  /** Records every figure of a result under `<server>.<what>.<field>`. */
  const recordAll = (s, what, result) => {
    for (const [k, v] of Object.entries(result)) record(`${s.name}.${what}.${k}`, v);
  };

  // 4 KiB objects, 16 in flight. The servers take turns; who goes first alternates.
  const smallServers = servers.filter((s) => s.name !== CLEAR);
  for (let run = 0; run < SMALL_RUNS; run++) {
    const order = run % 2 ? [...smallServers].reverse() : smallServers;
    for (const s of order) {
      const c = clients.get(s);
      syncDisks();
      const put = await attempt(s, 'put4k', () => putSmall(c, s, `small-${run}`, SMALL_COUNT));
      if (put) recordAll(s, 'put4k', put);
      const get =
        put && (await attempt(s, 'get4k', () => getSmall(c, s, `small-${run}`, SMALL_COUNT)));
      if (get) recordAll(s, 'get4k', get);
      const line = (x) =>
        `${x.opsPerSec.toFixed(0)}/s p99 ${x.p99Ms.toFixed(1)} ms, CPU ms/op client ` +
        `${x.clientCpuMsPerOp.toFixed(2)} server ${x.serverCpuMsPerOp.toFixed(2)}`;
      log(
        `4 KiB run ${run + 1}, ${s.name}: PUT ${put ? line(put) : 'failed'}; ` +
          `GET ${get ? line(get) : 'failed'}`,
      );
    }
  }

  // One 1 GiB object. The floor server takes part in the GETs only: it keeps the body in
  // memory and computes no ETag, so its PUT is no like-for-like figure and goes unmeasured.
  // The engine's own figures are measured in each run too, first or last in turn.
  for (let run = 0; run < BIG_RUNS; run++) {
    const order = run % 2 ? [...servers].reverse() : servers;
    if (run % 2 === 0) engineDirect(run);
    for (const s of order) {
      const c = clients.get(s);
      syncDisks();
      const isFloor = s.name === 'floor';
      const put = await attempt(s, 'put1g', () =>
        isFloor ? putUnmeasured(c, 'big', 'one-gib') : putBig(c, s, 'big', 'one-gib'),
      );
      if (put && !isFloor) recordAll(s, 'put1g', put);
      const get = put && (await attempt(s, 'get1g', () => getBig(c, s, 'big', 'one-gib')));
      if (get) recordAll(s, 'get1g', get);
      await attempt(s, 'delete1g', () => c.deleteObject('big', 'one-gib'));
      const line = (x) =>
        `${x.mbPerSec.toFixed(0)} MB/s, RSS ${x.startRssMB.toFixed(0)} -> peak ` +
        `${x.peakRssMB.toFixed(0)} MB (${x.rssSamples} samples), CPU s client ` +
        `${x.clientCpuS.toFixed(1)} server ${x.serverCpuS.toFixed(1)}`;
      log(
        `1 GiB run ${run + 1}, ${s.name}: PUT ${put ? (isFloor ? 'unmeasured' : line(put)) : 'failed'}; ` +
          `GET ${get ? line(get) : 'failed'}`,
      );
    }
    if (run % 2 === 1) engineDirect(run);
  }
} catch (err) {
  failed = true;
  log(`bench failed: ${err?.stack ?? err}`);
  for (const s of servers) {
    const t = tail(s.logFile);
    if (t) log(`--- last lines of ${s.name}'s log ---\n${t}`);
  }
} finally {
  for (const c of clients.values()) c.destroy();
  await Promise.all(servers.map((s) => stopProcess(s.child)));
  rmSync(root, { recursive: true, force: true });
}
if (failed) process.exit(1);

// ---------------------------------------------------------------------------------------
// The report

const loadAtEnd = loadAverage();
const old = readResults();

/** The engine's 1 GiB medians, from the table of the engine section of RESULTS.md. */
const engineSection = /<!-- bench:engine -->([\s\S]*?)<!-- \/bench:engine -->/.exec(old)?.[1];
const engineFigure = (label) => {
  const row = engineSection
    ?.split('\n')
    .find((l) => l.startsWith('|') && l.split('|')[1]?.trim() === label);
  const n = Number(row?.split('|')[2]?.trim().replace(/,/g, ''));
  return Number.isFinite(n) && n > 0 ? n : undefined;
};
/** The foundation bench's figures, from another run: shown beside this run's. */
const foundation = {
  put1g: engineFigure('1 GiB PUT (MB/s)'),
  get1g: engineFigure('1 GiB GET (MB/s)'),
  run: /Run (\S+) \(UTC\)/.exec(engineSection ?? '')?.[1],
};

const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
/** The engine's own figures measured in this run (engineDirect), which the targets use. */
const engine = {
  put1g: med['engine.put'],
  get1g: med['engine.get'],
  // The same transfers with SSE-S3, as the server stores every object.
  put1gSse: med['engine.putSse'],
  get1gSse: med['engine.getSse'],
};
const max = (k) => Math.max(...(samples[k] ?? [NaN]));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
/** Every sample of a figure, in the order measured. */
const samplesOf = (k) => (samples[k] ?? []).map(fmt).join(', ') || 'none';
const fmtMs = (n) => n.toFixed(1);
/**
 * A ratio as a percentage: whole, except within a point of the target, where one decimal
 * keeps the figure from disagreeing with its Met cell (59.8% would read "60%", not met).
 */
const pct = (a, b) => {
  const x = (a / b) * 100;
  return `${x.toFixed(Math.abs(x - TARGET_BIG_RATIO * 100) < 1 ? 1 : 0)}%`;
};
const times = (a, b) => `${(a / b).toFixed(1)}×`;
const metCell = (met) => (met === undefined ? 'n/a' : met ? 'yes' : '**no**');
/** A server's figure, or why there is none. */
const cell = (server, key, what, format = fmt) => {
  const v = med[`${server}.${key}`];
  if (v !== undefined) return format(v);
  const why = failures[`${server}.${what}`] ?? failures[`${server}.setup`];
  if (why) return `failed: ${why.replace(/\|/g, '\\|').slice(0, 120)}`;
  // A GET runs only after its PUT worked.
  return failures[`${server}.${what.replace('get', 'put')}`] ? 'not run (the PUT failed)' : 'n/a';
};
const both = (key) =>
  med[`stowage.${key}`] !== undefined && med[`s3rver.${key}`] !== undefined
    ? [med[`stowage.${key}`], med[`s3rver.${key}`]]
    : undefined;

const rows = [];
for (const [op, what] of [
  ['PUT', 'put4k'],
  ['GET', 'get4k'],
]) {
  const ops = both(`${what}.opsPerSec`);
  rows.push([
    `4 KiB ${op}, 16 in flight (objects/s)`,
    cell('stowage', `${what}.opsPerSec`, what),
    cell('s3rver', `${what}.opsPerSec`, what),
    ops ? times(...ops) : '',
    '',
    '',
    `≥ ${TARGET_SMALL_FACTOR}× s3rver`,
    metCell(ops && ops[0] >= TARGET_SMALL_FACTOR * ops[1]),
  ]);
  const p99 = both(`${what}.p99Ms`);
  rows.push([
    `4 KiB ${op}, p99 latency (ms)`,
    cell('stowage', `${what}.p99Ms`, what, fmtMs),
    cell('s3rver', `${what}.p99Ms`, what, fmtMs),
    p99 ? times(...p99) : '',
    '',
    '',
    '',
    '',
  ]);
}
/** The engine-direct, ratio, target and Met cells of a 1 GiB figure `x` (engine figure `e`). */
const againstEngine = (x, e, target) => [
  e === undefined ? 'not found' : fmt(e),
  e === undefined || x === undefined ? '' : pct(x, e),
  target,
  metCell(e === undefined || x === undefined ? undefined : x >= TARGET_BIG_RATIO * e),
];
for (const [op, what] of [
  ['PUT', 'put1g'],
  ['GET', 'get1g'],
]) {
  const mb = both(`${what}.mbPerSec`);
  const s = med[`stowage.${what}.mbPerSec`];
  const e = engine[what];
  rows.push([
    `1 GiB ${op} (MB/s)`,
    cell('stowage', `${what}.mbPerSec`, what),
    cell('s3rver', `${what}.mbPerSec`, what),
    mb ? times(...mb) : '',
    ...againstEngine(s, e, `≥ ${TARGET_BIG_RATIO * 100}% of engine direct`),
  ]);
  const sse = engine[`${what}Sse`];
  rows.push([
    `1 GiB ${op}, like for like: engine direct with SSE-S3`,
    '',
    '',
    '',
    sse === undefined ? 'not found' : fmt(sse),
    sse === undefined ? '' : pct(s, sse),
    '',
    '',
  ]);
  const clear = med[`${CLEAR}.${what}.mbPerSec`];
  rows.push([
    `1 GiB ${op}, Stowage with \`server.defaultEncryption: none\` (MB/s)`,
    cell(CLEAR, `${what}.mbPerSec`, what),
    '',
    clear !== undefined && med[`s3rver.${what}.mbPerSec`]
      ? times(clear, med[`s3rver.${what}.mbPerSec`])
      : '',
    ...againstEngine(clear, e, `(≥ ${TARGET_BIG_RATIO * 100}% of engine direct)`),
  ]);
}
for (const [op, what] of [
  ['PUT', 'put1g'],
  ['GET', 'get1g'],
]) {
  const worst = max(`stowage.${what}.peakRssMB`);
  rows.push([
    `Server peak RSS during the 1 GiB ${op} (MB)`,
    cell('stowage', `${what}.peakRssMB`, what),
    cell('s3rver', `${what}.peakRssMB`, what),
    '',
    '',
    '',
    `< ${TARGET_RSS_MB} MB (highest run: ${fmt(worst)})`,
    metCell(Number.isFinite(worst) ? worst < TARGET_RSS_MB : undefined),
  ]);
}
const table = [
  '| Measurement | Stowage | s3rver | Stowage / s3rver | Engine direct | Stowage / engine direct | Target | Met |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

const cpu =
  /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
/** The file system holding the data (longest mount point that prefixes the temp dir). */
const mount = readFileSync('/proc/mounts', 'utf8')
  .split('\n')
  .map((l) => l.split(' '))
  .filter((f) => f.length > 2 && (os.tmpdir() + '/').startsWith(f[1] === '/' ? '/' : `${f[1]}/`))
  .sort((a, b) => b[1].length - a[1].length)[0];
const s3rverVersion = JSON.parse(
  readFileSync(path.join(repo, 'node_modules/s3rver/package.json'), 'utf8'),
).version;
const sdkVersion = JSON.parse(
  readFileSync(path.join(repo, 'node_modules/@aws-sdk/client-s3/package.json'), 'utf8'),
).version;
/** Two decimals for CPU per request, one for latencies and CPU seconds, whole numbers else. */
const fmtSample = (key, x) =>
  key.endsWith('PerOp') ? x.toFixed(2) : /(Ms|CpuS)$/.test(key) ? x.toFixed(1) : fmt(x);
const sampleLines = Object.entries(samples)
  .map(([k, v]) => `- \`${k}\`: ${v.map((x) => fmtSample(k, x)).join(', ')}`)
  .concat(Object.entries(failures).map(([k, why]) => `- \`${k}\` failed: ${why}`))
  .join('\n');

const cpuCell = (key, digits) => {
  const v = med[key];
  return v === undefined ? 'n/a' : v.toFixed(digits);
};
const cpuTable = [
  '| CPU used (medians) | Client, against Stowage | Stowage server | Client, against s3rver | s3rver server |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...[
    ['4 KiB PUT (ms per request)', 'put4k', 'CpuMsPerOp', 2],
    ['4 KiB GET (ms per request)', 'get4k', 'CpuMsPerOp', 2],
    ['1 GiB PUT (s)', 'put1g', 'CpuS', 1],
    ['1 GiB GET (s)', 'get1g', 'CpuS', 1],
  ].map(
    ([label, what, unit, digits]) =>
      `| ${label} | ${cpuCell(`stowage.${what}.client${unit}`, digits)} | ${cpuCell(`stowage.${what}.server${unit}`, digits)} | ${cpuCell(`s3rver.${what}.client${unit}`, digits)} | ${cpuCell(`s3rver.${what}.server${unit}`, digits)} |`,
  ),
].join('\n');

/**
 * What the client alone allows: requests/s (or MB/s) if the server cost nothing and the
 * client's CPU time per request stayed as measured (its JavaScript runs on one thread).
 */
const ceilings = [
  ['4 KiB PUT', 'put4k', 'clientCpuMsPerOp', (ms) => 1000 / ms, '/s'],
  ['4 KiB GET', 'get4k', 'clientCpuMsPerOp', (ms) => 1000 / ms, '/s'],
  ['1 GiB GET', 'get1g', 'clientCpuS', (s) => BIG_BYTES / 1e6 / s, ' MB/s'],
]
  .filter(([, what, unit]) => med[`stowage.${what}.${unit}`] > 0)
  .map(([label, what, unit, limit, suffix]) => {
    const ceiling = limit(med[`stowage.${what}.${unit}`]);
    const rate = what === 'get1g' ? 'mbPerSec' : 'opsPerSec';
    const s3r = med[`s3rver.${what}.${rate}`];
    const vs =
      what === 'get1g'
        ? engine.get1g
          ? `${pct(ceiling, engine.get1g)} of engine direct`
          : ''
        : s3r
          ? `${times(ceiling, s3r)} s3rver's figure`
          : '';
    return `${label} about ${fmt(ceiling)}${suffix}${vs ? ` (${vs})` : ''}`;
  });

/**
 * The node:http floor (bench/lib/floor-server.mjs) in the same 4 KiB runs: what Node's HTTP
 * layer alone allows with this client, beside both servers.
 */
const floorRows = [
  ['PUT', 'put4k'],
  ['GET', 'get4k'],
].map(([op, what]) => {
  const floor = med[`floor.${what}.opsPerSec`];
  const s3r = med[`s3rver.${what}.opsPerSec`];
  const st = med[`stowage.${what}.opsPerSec`];
  const ratio = (a, b) => (a !== undefined && b !== undefined ? times(a, b) : 'n/a');
  return `| 4 KiB ${op} | ${cell('floor', `${what}.opsPerSec`, what)} | ${ratio(floor, s3r)} | ${ratio(st, floor)} | ${cpuCell(`floor.${what}.serverCpuMsPerOp`, 2)} | ${cpuCell(`stowage.${what}.serverCpuMsPerOp`, 2)} |`;
});
const floorVerdict = [
  ['PUT', 'put4k'],
  ['GET', 'get4k'],
]
  .filter(([, w]) => med[`floor.${w}.opsPerSec`] && med[`s3rver.${w}.opsPerSec`])
  .map(([op, w]) => {
    const f = med[`floor.${w}.opsPerSec`] / med[`s3rver.${w}.opsPerSec`];
    return `${op} ${f.toFixed(1)}× s3rver (the target is ${f >= TARGET_SMALL_FACTOR ? 'within' : 'beyond'} it)`;
  });
/** The floor's 1 GiB GET: what node:http alone sends over loopback to this client. */
const floorGet1g = med['floor.get1g.mbPerSec'];
const floorBigLine =
  floorGet1g === undefined
    ? `The floor's 1 GiB GET: ${cell('floor', 'get1g.mbPerSec', 'get1g')}.`
    : `In the same 1 GiB runs the floor answered the GET from one buffer in memory (a single \`res.end(body)\`, no disk, no decryption) at ${fmt(floorGet1g)} MB/s` +
      (engine.get1g
        ? `: ${pct(floorGet1g, engine.get1g)} of the engine's direct figure in the clear, against a target of ${TARGET_BIG_RATIO * 100}% (the target is ${floorGet1g >= TARGET_BIG_RATIO * engine.get1g ? 'within' : 'beyond'} what node:http sends here)`
        : '') +
      (med['stowage.get1g.mbPerSec']
        ? `; Stowage's GET made ${pct(med['stowage.get1g.mbPerSec'], floorGet1g)} of it`
        : '') +
      `. Floor server CPU: ${cpuCell('floor.get1g.serverCpuS', 1)} s per GiB; client CPU against it: ${cpuCell('floor.get1g.clientCpuS', 1)} s.`;
/**
 * What the 4 KiB target leaves a server on this machine: at 5× s3rver's rate, the client
 * (its CPU per request as measured against Stowage) takes its share of the cores and the
 * server gets the rest; a Node server's request handling also runs on one JavaScript
 * thread, which has 1000 / rate ms per request whatever the cores.
 */
const budgets = [
  ['PUT', 'put4k'],
  ['GET', 'get4k'],
]
  .filter(
    ([, w]) =>
      med[`s3rver.${w}.opsPerSec`] &&
      med[`stowage.${w}.clientCpuMsPerOp`] !== undefined &&
      med[`stowage.${w}.serverCpuMsPerOp`] !== undefined,
  )
  .map(([op, w]) => {
    const rate = TARGET_SMALL_FACTOR * med[`s3rver.${w}.opsPerSec`];
    const cores = os.cpus().length;
    const clientCores = (med[`stowage.${w}.clientCpuMsPerOp`] * rate) / 1000;
    const left = ((cores - clientCores) * 1000) / rate;
    const floorCpu = med[`floor.${w}.serverCpuMsPerOp`];
    return (
      `${op} at ${fmt(rate)}/s: the client needs ${clientCores.toFixed(2)} of the ${cores} cores, ` +
      `which leaves the server ${left > 0 ? `${left.toFixed(3)} ms of CPU per request` : 'nothing'} ` +
      `and its JavaScript thread ${(1000 / rate).toFixed(3)} ms per request at that rate; Stowage used ` +
      `${med[`stowage.${w}.serverCpuMsPerOp`].toFixed(2)} ms` +
      (med[`stowage.${w}.serverThreadCpuMsPerOp`] !== undefined
        ? ` (${med[`stowage.${w}.serverThreadCpuMsPerOp`].toFixed(2)} ms on its JavaScript thread)`
        : '') +
      (floorCpu !== undefined ? `, the floor ${floorCpu.toFixed(2)} ms` : '')
    );
  });
const floorTable = [
  '| 16 in flight | node:http floor (objects/s) | Floor / s3rver | Stowage / floor | Floor server CPU (ms per request) | Stowage server CPU (ms per request) |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...floorRows,
].join('\n');

const section = `<!-- bench:s3 -->
## S3 server (\`npm run bench:s3\`)

Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} (UTC) · Node ${process.version} · ${cpu} (${os.cpus().length} CPUs) · data on ${mount ? `${mount[2]} (${mount[0]})` : 'unknown'} under ${os.tmpdir()} · s3rver ${s3rverVersion} · client ${CLIENT === 'raw' ? 'raw node:http + SigV4' : `@aws-sdk/client-s3 ${sdkVersion}`} · load average ${loadAtStart} at the start, ${loadAtEnd} at the end

- Servers: each its own process on 127.0.0.1, on this machine, beside the client. Stowage is \`node bin/stowage.cjs serve\` as shipped: fsync on, UV_THREADPOOL_SIZE=16, access log at the default \`info\` level (to a file), every object encrypted with SSE-S3 (the default). A second Stowage, \`${CLEAR}\`, runs the same with \`STOWAGE_DEFAULT_ENCRYPTION=none\` (objects in the clear, as MinIO and Ceph RGW store them) in the 1 GiB runs only; its rows say what the default encryption costs, and the targets are judged on the default. s3rver runs with \`--silent\` and UV_THREADPOOL_SIZE=16 too; it never fsyncs, and answers a PUT before its file write has finished.
- Client: the same for both, ${
  CLIENT === 'raw'
    ? `\`bench/lib/raw-s3.mjs\`: node:http with an \`http.Agent\` of ${CONCURRENCY} keep-alive sockets per server and Signature V4 headers with \`UNSIGNED-PAYLOAD\`, nothing else (a fraction of the SDK's CPU per request, so that the figures are about the servers; \`BENCH_S3_CLIENT=sdk\` runs the SDK instead). The 1 GiB GET reads over a socket of its own into one reused 1 MiB buffer and parses only the response head (\`countObjectLean\`): node:http cost the client 1.9–2.4 s of CPU per GiB, more than either server`
    : `\`@aws-sdk/client-s3\` (BENCH_S3_CLIENT=sdk) with an \`http.Agent\` of ${CONCURRENCY} keep-alive sockets per server, plain (not aws-chunked) PutObject, \`requestChecksumCalculation\` and \`responseChecksumValidation\` at \`WHEN_REQUIRED\``
}, no retries.
- 4 KiB: ${SMALL_COUNT.toLocaleString('en-US')} distinct objects per run, PUT then GET, ${CONCURRENCY} requests in flight; latency is per request, GET bodies read and compared. An unmeasured warm-up of ${WARMUP_COUNT} PUTs and GETs comes first.
- 1 GiB: one PutObject, the body streamed from memory in 1 MiB chunks with ContentLength set (the ETag is checked against the body's MD5); then one GET reading every byte (from the page cache).
- Peak RSS: VmRSS of the server process, sampled every ${RSS_INTERVAL_MS} ms by a worker thread during the transfer. VmHWM, reset through \`/proc/<pid>/clear_refs\` before each transfer, is in the samples as a cross-check, with the RSS when the transfer began.
- Medians of ${SMALL_RUNS} runs (4 KiB) and ${BIG_RUNS} runs (1 GiB); the servers take turns within a run, and \`sync\` runs before each timed PUT phase. MB = 10^6 bytes.
- Engine direct: the engine's own 1 GiB medians, measured in this run as the foundation bench measures them (\`bench/lib/engine-direct.mjs\`: a fresh process, fsync on, the same body from memory, one GET reading every byte), first or last in each run in turn, so that both sides of a ratio come from the same state of this shared machine (its speed drifts by a third within a day: see the floor's figures across runs). Samples (MB/s): PUT ${samplesOf('engine.put')}; GET ${samplesOf('engine.get')}; with SSE-S3, PUT ${samplesOf('engine.putSse')}, GET ${samplesOf('engine.getSse')}. The engine section of this file (\`npm run bench:engine\`${foundation.run ? `, run ${foundation.run}` : ''}) has ${foundation.put1g ? fmt(foundation.put1g) : 'no'} MB/s for the PUT and ${foundation.get1g ? fmt(foundation.get1g) : 'no'} for the GET; against those, Stowage's figures are ${foundation.put1g && med['stowage.put1g.mbPerSec'] ? pct(med['stowage.put1g.mbPerSec'], foundation.put1g) : 'n/a'} and ${foundation.get1g && med['stowage.get1g.mbPerSec'] ? pct(med['stowage.get1g.mbPerSec'], foundation.get1g) : 'n/a'}. The engine figures in the clear are what the targets are judged against, as the issue names them; \`stowage serve\` stores every object with SSE-S3 (AES-256-GCM, as S3 does by default), so the "like for like" rows compare with the engine's figures for the same transfer with SSE-S3.

${table}

Targets (issue): 4 KiB PUT and GET at ${TARGET_SMALL_FACTOR}× s3rver or more; 1 GiB PUT and GET at ${TARGET_BIG_RATIO * 100}% or more of the engine's direct figures; server RSS under ${TARGET_RSS_MB} MB during the 1 GiB transfers (judged on the highest run). RSS right after start: Stowage ${fmt(idleRss.stowage)} MB${idleRss.s3rver ? `, s3rver ${fmt(idleRss.s3rver)} MB` : ''}.

The client and the servers share this machine's ${os.cpus().length} CPUs. CPU time (user + system, all threads) used while each figure was measured:

${cpuTable}

${ceilings.length ? `The client's own CPU time per request bounds what any server can show with this client on this machine, even one that cost nothing: ${ceilings.join('; ')}.` : ''}

### What node:http alone allows

\`bench/lib/floor-server.mjs\` is a server of a few lines on node:http that keeps each PUT body in a Map and answers GETs from it: no signature check, no hashing, no encryption, no disk, no XML, no log. It ran in the same 4 KiB runs and 1 GiB GETs, with the same client, taking turns with the two servers. No S3 server written for Node does less per request, so its figures are the most any of them can show with this client on this machine${floorVerdict.length ? `: ${floorVerdict.join('; ')}` : ''}.

${floorTable}

${floorBigLine}

${budgets.length ? `What the ${TARGET_SMALL_FACTOR}× target leaves a server on this machine, with the client's CPU per request as measured against Stowage: ${budgets.join('; ')}. The server's figures are the CPU of all its threads per request, and of its JavaScript thread alone in brackets.` : ''}

<details><summary>All samples</summary>

${sampleLines}

</details>
<!-- /bench:s3 -->`;

await writeSection('s3', section);
console.log(table);
console.log(`\n${cpuTable}`);
console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS_FILE)}`);
