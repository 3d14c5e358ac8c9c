import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fetchChunks } from './chunks.js';
import { OrderedHasher } from './hashing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fetchChunks', () => {
  it('writes and hashes every byte in order while chunks finish out of order, reusing buffers', async () => {
    const chunkBytes = 1024;
    const source = randomBytes(chunkBytes * 40 + 123);
    const written = Buffer.alloc(source.length);
    const hasher = new OrderedHasher(0, { md5: false });
    const buffers = new Set<ArrayBufferLike>();
    await fetchChunks({
      from: 0,
      sizeBytes: source.length,
      chunkBytes,
      concurrency: 4,
      hasher,
      fetch: async (offset, length, into) => {
        buffers.add(into.buffer);
        // Later chunks often finish first.
        await sleep(((offset / chunkBytes) * 7) % 5);
        source.copy(into, 0, offset, offset + length);
        return into.subarray(0, length);
      },
      write: async (offset, bytes) => {
        await sleep(1);
        bytes.copy(written, offset);
      },
      onPrefix: () => undefined,
    });
    expect(written.equals(source)).toBe(true);
    expect(hasher.digest().sha256).toBe(createHash('sha256').update(source).digest('hex'));
    // Bounded by the window (2 × concurrency chunks) plus the ones in flight, not 41.
    expect(buffers.size).toBeLessThanOrEqual(3 * 4);
  });

  it('gives an object smaller than a chunk a buffer of its own size, not a whole chunk', async () => {
    const sizes: number[] = [];
    const source = randomBytes(4096);
    let written = Buffer.alloc(0);
    await fetchChunks({
      from: 0,
      sizeBytes: source.length,
      chunkBytes: 8 * 1024 * 1024,
      concurrency: 4,
      hasher: new OrderedHasher(),
      fetch: async (offset, length, into) => {
        sizes.push(into.buffer.byteLength);
        source.copy(into, 0, offset, offset + length);
        return into.subarray(0, length);
      },
      write: async (_offset, bytes) => {
        written = Buffer.from(bytes);
      },
      onPrefix: () => undefined,
    });
    expect(sizes).toEqual([4096]);
    expect(written.equals(source)).toBe(true);
  });

  it('rethrows the first failure and starts no new chunk after it', async () => {
    const started: number[] = [];
    await expect(
      fetchChunks({
        from: 0,
        sizeBytes: 10 * 100,
        chunkBytes: 100,
        concurrency: 2,
        hasher: new OrderedHasher(),
        fetch: async (offset, length, into) => {
          started.push(offset);
          if (offset === 300) throw new Error('range failed');
          await sleep(1);
          return into.subarray(0, length);
        },
        write: async () => undefined,
        onPrefix: () => undefined,
      }),
    ).rejects.toThrow('range failed');
    expect(started.length).toBeLessThan(10);
  });
});
