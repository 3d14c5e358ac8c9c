/**
 * The engine's own 1 GiB figures, measured as the foundation bench (bench/engine.mjs)
 * measures them: in a fresh process, fsync on, one PutObject of the body streamed from
 * memory in 1 MiB chunks and one GET reading every byte, in the clear and with SSE-S3.
 * bench/s3.mjs runs it between the servers' turns, so that a server's figure and the
 * engine figure it is compared with come from the same state of this shared machine.
 *
 *   node bench/lib/engine-direct.mjs <new data directory> <bytes>
 *
 * Prints one JSON line: { put, get, putSse, getSse } in MB/s (10^6 bytes).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bigBody } from './big-body.mjs';

const [dataDir, bytesArg] = process.argv.slice(2);
const bytes = Number(bytesArg);
if (!dataDir || !Number.isSafeInteger(bytes)) {
  console.error('usage: node bench/lib/engine-direct.mjs <new data directory> <bytes>');
  process.exit(2);
}
const built = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/engine/engine.js',
);
if (!existsSync(built)) {
  console.error(`${built} is missing: run \`npm run build\``);
  process.exit(1);
}
const { Engine } = await import(built);

async function* body() {
  yield* bigBody(bytes);
}
async function seconds(fn) {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}
async function readAll(engine, key) {
  let n = 0;
  for await (const c of engine.getObject('big', key).body) n += c.length;
  if (n !== bytes) throw new Error(`engine GET ${key}: ${n} bytes, expected ${bytes}`);
}

const engine = await Engine.open({ dataDir, fsync: true });
try {
  await engine.createBucket('big');
  const mb = (s) => bytes / 1e6 / s;
  const out = {};
  for (const [name, options] of [
    ['', {}],
    ['Sse', { encryption: { algorithm: 'AES256' } }],
  ]) {
    const key = `one-gib${name}`;
    out[`put${name}`] = mb(await seconds(() => engine.putObject('big', key, body(), options)));
    out[`get${name}`] = mb(await seconds(() => readAll(engine, key)));
    await engine.deleteObject('big', key);
  }
  console.log(JSON.stringify(out));
} finally {
  await engine.close();
}
