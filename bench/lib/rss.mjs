/**
 * The resident memory of another process, for benchmarks: VmRSS from /proc/<pid>/status,
 * sampled by a worker thread (so a busy event loop in the bench cannot delay a sample), and
 * VmHWM, reset through /proc/<pid>/clear_refs at the start, as a cross-check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const samplerSource = `
const { workerData, parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const state = new Int32Array(workerData.shared); // [stop, peak KiB, samples]
const pause = new Int32Array(new SharedArrayBuffer(4));
let first = true;
for (;;) {
  let text;
  try {
    text = readFileSync(workerData.file, 'utf8');
  } catch {
    break;
  }
  const m = /^VmRSS:\\s+(\\d+) kB/m.exec(text);
  if (m && Number(m[1]) > Atomics.load(state, 1)) Atomics.store(state, 1, Number(m[1]));
  Atomics.add(state, 2, 1);
  if (first) parentPort.postMessage('started');
  first = false;
  if (Atomics.load(state, 0)) break;
  Atomics.wait(pause, 0, 0, workerData.intervalMs);
}
`;

export function readStatusKiB(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return m ? Number(m[1]) : NaN;
}

/** Starts sampling the RSS of `pid`; `stop()` resolves with the peaks, in MB. */
export async function startRssSampler(pid, intervalMs = 50) {
  const startMB = (readStatusKiB(pid, 'VmRSS') * 1024) / 1e6;
  // Resets VmHWM to the current RSS, for the cross-check (allowed on one's own children).
  let hwm = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    hwm = false;
  }
  const shared = new SharedArrayBuffer(12);
  const state = new Int32Array(shared);
  const worker = new Worker(samplerSource, {
    eval: true,
    workerData: { shared, file: `/proc/${pid}/status`, intervalMs },
  });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      Atomics.store(state, 0, 1);
      await new Promise((resolve) => worker.once('exit', resolve));
      const mb = (kib) => (kib * 1024) / 1e6;
      return {
        startRssMB: startMB,
        peakRssMB: mb(Atomics.load(state, 1)),
        rssSamples: Atomics.load(state, 2),
        hwmMB: hwm ? mb(readStatusKiB(pid, 'VmHWM')) : NaN,
      };
    },
  };
}
