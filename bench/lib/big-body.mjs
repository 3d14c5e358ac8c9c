/**
 * The large body the S3 benches send: eight distinct 1 MiB chunks (not compressible, not
 * all equal), cycled to the size asked for, plus its MD5 for checking the ETag.
 */
import { createHash } from 'node:crypto';

export const CHUNK_BYTES = 1024 * 1024;

const chunks = Array.from({ length: 8 }, (_, i) => {
  const b = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let o = 0; o < CHUNK_BYTES; o += 4) b.writeUInt32LE((o * 2654435761 + i) >>> 0, o);
  return b;
});

/** `bytes` (a whole number of MiB) as 1 MiB chunks. */
export function* bigBody(bytes) {
  for (let i = 0; i < bytes / CHUNK_BYTES; i++) yield chunks[i % chunks.length];
}

/** The MD5 (hex) of bigBody(bytes): the ETag a single PUT of it must get. */
export function bigBodyMd5(bytes) {
  const h = createHash('md5');
  for (const c of bigBody(bytes)) h.update(c);
  return h.digest('hex');
}
