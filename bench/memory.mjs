/**
 * Memory of `stowage serve` while an object of S3's largest single-PUT size goes through:
 * one 5 GiB PutObject, then one GET of every byte, with the server's RSS sampled all along.
 * The issue asks for memory that stays flat while a 5 GiB object streams through; this
 * measures it, beside the RSS of the idle server.
 *
 *   npm run bench:memory                 (builds first; BENCH_MEMORY_GIB=2 for a smaller one)
 *
 * The body is streamed from memory in 1 MiB chunks (eight distinct ones, cycled) with
 * ContentLength set; the ETag is checked against its MD5, and the GET counts every byte.
 * The data directory lives under the OS temp directory and needs the object's size free.
 *
 * Writes results to bench/RESULTS.md, replacing only the section between the
 * `<!-- bench:memory -->` markers.
 */
/* global AbortSignal -- a Node global the shared ESLint config does not list */
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bigBody, bigBodyMd5 } from './lib/big-body.mjs';
import { RawS3 } from './lib/raw-s3.mjs';
import { readStatusKiB, startRssSampler } from './lib/rss.mjs';
import { writeSection } from './lib/results.mjs';
import { serverProcesses } from './lib/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const GIB = Number(process.env.BENCH_MEMORY_GIB ?? '5');
if (!Number.isInteger(GIB) || GIB < 1 || GIB > 5) {
  console.error(
    `BENCH_MEMORY_GIB must be a whole number from 1 to 5, got "${process.env.BENCH_MEMORY_GIB}"`,
  );
  process.exit(2);
}
const BYTES = GIB * 1024 * MiB;
const TIMEOUT_MS = 30 * 60_000;
if (!existsSync(path.join(here, '../dist/cli/main.js'))) {
  console.error('dist/ is missing: run `npm run build` (npm run bench:memory does).');
  process.exit(1);
}
const root = mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-memory-'));
const fs = statfsSync(root);
if (fs.bavail * fs.bsize < BYTES + 512 * MiB) {
  rmSync(root, { recursive: true, force: true });
  console.error(
    `${os.tmpdir()} has ${Math.floor((fs.bavail * fs.bsize) / MiB)} MiB free; a ${GIB} GiB object needs ${GIB * 1024 + 512} MiB`,
  );
  process.exit(1);
}
const log = (text) => process.stderr.write(`${text}\n`);

const md5 = bigBodyMd5(BYTES);

const { startStowage, stopProcess, tail } = serverProcesses(root);
const mb = (kib) => (kib * 1024) / 1e6;
const results = {};
let server;
let client;
try {
  server = await startStowage();
  client = new RawS3({ url: server.url, credentials: server.credentials, maxSockets: 1 });
  await client.createBucket('memory');
  results.idleRssMB = mb(readStatusKiB(server.pid, 'VmRSS'));
  log(`stowage serve at ${server.url}, RSS ${results.idleRssMB.toFixed(0)} MB idle`);

  const timed = async (name, fn) => {
    const rss = await startRssSampler(server.pid);
    const t0 = performance.now();
    try {
      await fn();
    } finally {
      const peaks = await rss.stop();
      const s = (performance.now() - t0) / 1000;
      results[name] = { ...peaks, mbPerSec: BYTES / 1e6 / s };
      log(
        `${name}: ${results[name].mbPerSec.toFixed(0)} MB/s, RSS ${peaks.startRssMB.toFixed(0)} -> peak ${peaks.peakRssMB.toFixed(0)} MB (${peaks.rssSamples} samples, VmHWM ${peaks.hwmMB.toFixed(0)} MB)`,
      );
    }
  };
  await timed('put', async () => {
    const res = await client.request('PUT', `/memory/big`, {
      body: bigBody(BYTES),
      length: BYTES,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const etag = res.headers.etag?.replace(/"/g, '');
    if (res.status !== 200 || etag !== md5) {
      throw new Error(`PUT answered ${res.status} with ETag ${etag}, expected ${md5}: ${res.body}`);
    }
  });
  await timed('get', async () => {
    const n = await client.countObjectLean('memory', 'big', AbortSignal.timeout(TIMEOUT_MS));
    if (n !== BYTES) throw new Error(`GET read ${n} bytes, expected ${BYTES}`);
  });
} catch (err) {
  log(`bench failed: ${err?.stack ?? err}`);
  if (server) log(`--- last lines of the server's log ---\n${tail(server.logFile)}`);
  process.exitCode = 1;
} finally {
  client?.destroy();
  if (server) await stopProcess(server.child);
  rmSync(root, { recursive: true, force: true });
}
if (process.exitCode) process.exit();

const cpu =
  /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const row = (label, r) =>
  `| ${label} | ${fmt(r.mbPerSec)} | ${fmt(r.startRssMB)} | ${fmt(r.peakRssMB)} | ${fmt(r.peakRssMB - r.startRssMB)} | ${fmt(r.hwmMB)} | ${fmt(r.rssSamples)} |`;
const section = `<!-- bench:memory -->
## Server memory during a ${GIB} GiB object (\`npm run bench:memory\`)

Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} (UTC) · Node ${process.version} · ${cpu} (${os.cpus().length} CPUs) · data under ${os.tmpdir()}

One \`stowage serve\` (as shipped: fsync on, SSE-S3) and one client (\`bench/lib/raw-s3.mjs\`) on this machine. A single ${GIB} GiB PutObject (${GIB === 5 ? "S3's largest single PUT" : 'a smaller run'}), streamed from memory in 1 MiB chunks with ContentLength set and its ETag checked against the MD5, then one GET counting every byte. VmRSS of the server is sampled every 50 ms by a worker thread; VmHWM (reset before each transfer) cross-checks the peak. One run; MB = 10^6 bytes.

| Transfer | MB/s | Server RSS at start (MB) | Peak RSS (MB) | Growth (MB) | VmHWM (MB) | Samples |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${row(`PUT ${GIB} GiB`, results.put)}
${row(`GET ${GIB} GiB`, results.get)}

Server RSS when idle, right after start: ${fmt(results.idleRssMB)} MB.
<!-- /bench:memory -->`;

await writeSection('memory', section);
console.log(section);
