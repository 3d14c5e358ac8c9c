/**
 * The engine's own large-object figures, as both the foundation bench (bench/engine.mjs)
 * and the S3 bench (through bench/lib/engine-direct.mjs) measure them: one PutObject of
 * the body streamed from memory in 1 MiB chunks and one GET reading every byte, in the
 * clear and then with SSE-S3, each object deleted after.
 */
import { performance } from 'node:perf_hooks';
import { bigBody } from './big-body.mjs';

async function seconds(fn) {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function readAll(engine, bucket, key, bytes) {
  let n = 0;
  for await (const c of engine.getObject(bucket, key).body) n += c.length;
  if (n !== bytes) throw new Error(`engine GET ${key}: ${n} bytes, expected ${bytes}`);
}

/**
 * PUT and GET of `bytes` into `bucket` of an open engine: { put, get, putSse, getSse } in
 * MB/s (10^6 bytes).
 */
export async function engineLargeObject(engine, bucket, bytes) {
  const mb = (s) => bytes / 1e6 / s;
  const out = {};
  for (const [name, options] of [
    ['', {}],
    // SSE-S3 (AES-256-GCM at rest), as `stowage serve` stores every object by default.
    ['Sse', { encryption: { algorithm: 'AES256' } }],
  ]) {
    const key = `one-gib${name}`;
    const body = async function* () {
      yield* bigBody(bytes);
    };
    out[`put${name}`] = mb(await seconds(() => engine.putObject(bucket, key, body(), options)));
    out[`get${name}`] = mb(await seconds(() => readAll(engine, bucket, key, bytes)));
    await engine.deleteObject(bucket, key);
  }
  return out;
}
