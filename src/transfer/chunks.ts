/**
 * Fetches an object's bytes in chunks, `concurrency` at a time, and hands them to a
 * writer and an {@link OrderedHasher}. Workers never run further than a window ahead of
 * the hashed prefix, so memory stays bounded (about 2 × concurrency chunks) even when an
 * early chunk is slow. Chunk buffers are reused once hashed: a 1 GiB download allocates a
 * few dozen MiB once instead of a fresh buffer per chunk (fresh pages, page faults, GC).
 */
import type { OrderedHasher } from './hashing.js';

/** Options of {@link fetchChunks}. */
export interface ChunkPlan {
  from: number;
  sizeBytes: number;
  chunkBytes: number;
  concurrency: number;
  hasher: OrderedHasher;
  /** Fetches bytes [offset, offset + length) into `into` (at least `length` long). */
  fetch: (offset: number, length: number, into: Buffer) => Promise<Buffer>;
  write: (offset: number, bytes: Buffer) => Promise<void>;
  /** Called when the contiguous prefix grew (after the write of the chunk that grew it). */
  onPrefix: () => void;
}

/** Runs the plan; the first failure stops new chunks and is rethrown. */
export async function fetchChunks(p: ChunkPlan): Promise<void> {
  const offsets: number[] = [];
  for (let at = p.from; at < p.sizeBytes; at += p.chunkBytes) offsets.push(at);
  const windowBytes = 2 * p.concurrency * p.chunkBytes;
  let next = 0;
  let failure: { err: unknown } | undefined;
  let wake: (() => void)[] = [];
  const advanced = () => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  const worker = async (): Promise<void> => {
    while (!failure && next < offsets.length) {
      const offset = offsets[next++]!;
      const length = Math.min(p.chunkBytes, p.sizeBytes - offset);
      try {
        while (!failure && offset - p.hasher.nextOffset >= windowBytes) {
          await new Promise<void>((resolve) => wake.push(resolve));
        }
        if (failure) return;
        const into = take(length);
        let bytes: Buffer;
        try {
          bytes = await p.fetch(offset, length, into);
          await p.write(offset, bytes);
        } catch (err) {
          recycle(into);
          throw err;
        }
        const before = p.hasher.nextOffset;
        for (const hashed of p.hasher.add(offset, bytes)) recycle(hashed);
        if (p.hasher.nextOffset !== before) {
          p.onPrefix();
          advanced();
        }
      } catch (err) {
        failure ??= { err };
        advanced();
      }
    }
  };
  // Every chunk but the last is chunkBytes long; an object smaller than one chunk gets a
  // buffer of its own size (a 4 KiB file is not worth 8 MiB of fresh pages).
  const bufferBytes = Math.min(p.chunkBytes, p.sizeBytes - p.from);
  const free: Buffer[] = [];
  const take = (length: number): Buffer =>
    (free.pop() ?? Buffer.allocUnsafeSlow(bufferBytes)).subarray(0, length);
  const recycle = (b: Buffer): void => {
    if (b.buffer.byteLength === bufferBytes)
      free.push(Buffer.from(b.buffer, b.byteOffset, bufferBytes));
  };
  const n = Math.max(1, Math.min(p.concurrency, offsets.length));
  await Promise.all(Array.from({ length: n }, worker));
  if (failure) throw failure.err;
}
