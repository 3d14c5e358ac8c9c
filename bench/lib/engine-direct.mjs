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
import { fileURLToPath } from 'node:url';
import { engineLargeObject } from './engine-1g.mjs';

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

const engine = await Engine.open({ dataDir, fsync: true });
try {
  await engine.createBucket('big');
  const out = await engineLargeObject(engine, 'big', bytes);
  console.log(JSON.stringify(out));
} finally {
  await engine.close();
}
