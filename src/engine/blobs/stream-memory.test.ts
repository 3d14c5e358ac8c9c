import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealNewBlob } from '../crypto/envelope.js';
import { KeyStore } from '../crypto/keys.js';
import { BlobStore } from './blob-store.js';
import { readSegments, type Segment } from './read-blobs.js';
import { batchOf } from './read-buffers.js';
import {
  LARGE_BATCH_BYTES,
  LARGE_STREAM_BYTES,
  STREAM_MEMORY_BYTES,
  StreamMemory,
  SMALL_BATCH_BYTES,
  StreamBatches,
} from './stream-memory.js';
import { writeBlob } from './write-blob.js';

const MiB = 1024 * 1024;

describe('StreamMemory and StreamBatches', () => {
  it('a stream reads large batches only with a share of the budget, and gives it back once', () => {
    const memory = new StreamMemory(2 * LARGE_STREAM_BYTES);
    const a = new StreamBatches(memory);
    const b = new StreamBatches(memory);
    const c = new StreamBatches(memory);
    // A span that fits a small batch takes nothing.
    expect(a.next(SMALL_BATCH_BYTES)).toBe(SMALL_BATCH_BYTES);
    expect(memory.taken).toBe(0);
    // A larger one takes what it can use: four times its bytes, at most LARGE_STREAM_BYTES.
    expect(a.next(SMALL_BATCH_BYTES + 1)).toBe(LARGE_BATCH_BYTES);
    expect(memory.taken).toBe(4 * (SMALL_BATCH_BYTES + 1));
    expect(a.next(100 * MiB)).toBe(LARGE_BATCH_BYTES); // keeps its share, takes no more
    expect(b.next(100 * MiB)).toBe(LARGE_BATCH_BYTES);
    expect(memory.taken).toBe(4 * (SMALL_BATCH_BYTES + 1) + LARGE_STREAM_BYTES);
    // The budget is spent: the third stream reads small batches…
    expect(c.next(100 * MiB)).toBe(SMALL_BATCH_BYTES);
    expect(c.large).toBe(false);
    b.release();
    b.release(); // idempotent
    expect(memory.taken).toBe(4 * (SMALL_BATCH_BYTES + 1));
    // …and large ones as soon as there is room.
    expect(c.next(100 * MiB)).toBe(LARGE_BATCH_BYTES);
    expect(c.large).toBe(true);
    a.release();
    c.release();
    expect(memory.taken).toBe(0);
  });

  it("an engine's budget holds 32 large streams", () => {
    expect(STREAM_MEMORY_BYTES / LARGE_STREAM_BYTES).toBe(32);
    expect(new BlobStore('/nonexistent', { fsync: false }).readMemory.limit).toBe(
      STREAM_MEMORY_BYTES,
    );
  });
});

let dir: string;
let store: BlobStore;
let keys: KeyStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'stowage-read-memory-'));
  store = new BlobStore(dir, { fsync: false });
  await store.init();
  keys = new KeyStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** A blob file of `plain`, sealed with SSE-S3 when `sealed`. */
async function stored(plain: Buffer, sealed: boolean): Promise<Segment> {
  const encrypt = sealed ? await sealNewBlob(keys, { algorithm: 'AES256' }) : undefined;
  const blob = await writeBlob(store, once(plain), {
    maxLength: 1 << 30,
    algorithms: [],
    ...(encrypt && { encrypt: { envelope: encrypt.envelope, blobKey: encrypt.blobKey } }),
  });
  return { b: blob.id!, n: blob.size, ...(blob.envelope && { e: blob.envelope }) };
}

/** Every chunk of a stream of bytes `start`..`end` of `seg`; `onChunk` runs after each. */
async function chunksOf(
  seg: Segment,
  start: number,
  end: number,
  onChunk: (stream: Readable, index: number) => void = () => undefined,
): Promise<Buffer[]> {
  const stream = readSegments(store, [seg], start, end, () => undefined, keys);
  const out: Buffer[] = [];
  for await (const c of stream) {
    out.push(Buffer.from(c as Buffer)); // a copy: chunks of a file read may be reused
    onChunk(stream, out.length - 1);
  }
  return out;
}

describe.each([
  ['in the clear', false],
  ['sealed (SSE-S3)', true],
])('reading a blob %s', (_, sealed) => {
  const plain = randomBytes(3 * MiB + 12_345);

  it('with room in the budget: large batches, and the share is given back at the end', async () => {
    const seg = await stored(plain, sealed);
    const taken: number[] = [];
    const chunks = await chunksOf(seg, 0, plain.byteLength - 1, (s) => {
      taken.push(store.readMemory.taken);
      expect(batchOf(s)!()).toBe(LARGE_BATCH_BYTES);
    });
    expect(Buffer.concat(chunks).equals(plain)).toBe(true);
    expect(Math.max(...chunks.map((c) => c.byteLength))).toBe(
      sealed ? SMALL_BATCH_BYTES : LARGE_BATCH_BYTES,
    );
    expect(taken.every((t) => t === LARGE_STREAM_BYTES)).toBe(true);
    expect(store.readMemory.taken).toBe(0);
  });

  it('with the budget spent: batches of 64 KiB, the same bytes, every range', async () => {
    const seg = await stored(plain, sealed);
    expect(store.readMemory.tryTake(store.readMemory.limit)).toBe(true);
    for (const [s, e] of [
      [0, plain.byteLength - 1],
      [1, SMALL_BATCH_BYTES],
      [SMALL_BATCH_BYTES - 3, 2 * MiB + 7],
      [plain.byteLength - 5, plain.byteLength - 1],
    ] as const) {
      const chunks = await chunksOf(seg, s, e, (stream) =>
        expect(batchOf(stream)!()).toBe(SMALL_BATCH_BYTES),
      );
      expect(Buffer.concat(chunks).equals(plain.subarray(s, e + 1)), `${s}-${e}`).toBe(true);
      expect(Math.max(...chunks.map((c) => c.byteLength))).toBeLessThanOrEqual(SMALL_BATCH_BYTES);
    }
    expect(store.readMemory.taken).toBe(store.readMemory.limit);
  });

  it('a stream that began small reads large batches once the budget has room', async () => {
    const seg = await stored(plain, sealed);
    store.readMemory.tryTake(store.readMemory.limit);
    let grown = -1;
    const chunks = await chunksOf(seg, 5, plain.byteLength - 1, (stream, i) => {
      if (i === 3) store.readMemory.give(store.readMemory.limit);
      if (grown < 0 && batchOf(stream)!() === LARGE_BATCH_BYTES) grown = i;
    });
    expect(grown).toBeGreaterThan(3);
    expect(Buffer.concat(chunks).equals(plain.subarray(5))).toBe(true);
    if (!sealed) expect(Math.max(...chunks.map((c) => c.byteLength))).toBe(LARGE_BATCH_BYTES);
    expect(store.readMemory.taken).toBe(0);
  });

  it('gives its share back when destroyed mid-body, or before its first read', async () => {
    const seg = await stored(plain, sealed);
    const stream = readSegments(store, [seg], 0, plain.byteLength - 1, () => undefined, keys);
    const closed = new Promise((r) => stream.once('close', r));
    for await (const _ of stream) {
      expect(store.readMemory.taken).toBe(LARGE_STREAM_BYTES);
      break; // destroys the stream
    }
    await closed;
    expect(store.readMemory.taken).toBe(0);
    const unread = readSegments(store, [seg], 0, plain.byteLength - 1, () => undefined, keys);
    unread.destroy();
    await new Promise((r) => unread.once('close', r));
    expect(store.readMemory.taken).toBe(0);
  });
});

describe('writing a blob', () => {
  /** A body of `chunks` 64 KiB chunks that then waits for `gate` before its last one. */
  async function* stalling(chunks: number, gate: Promise<void>): AsyncGenerator<Buffer> {
    for (let i = 0; i < chunks; i++) yield Buffer.alloc(SMALL_BATCH_BYTES, i);
    await gate;
    yield Buffer.alloc(10, 1);
  }

  /**
   * Bytes in the upload's temp file once it has taken `chunks` chunks and waits, and the
   * share of the write budget it holds then.
   */
  async function writtenWhileStalled(chunks: number): Promise<{ written: number; share: number }> {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const length = chunks * SMALL_BATCH_BYTES + 10;
    const takenBefore = store.writeMemory.taken;
    const writing = writeBlob(store, stalling(chunks, gate), {
      expectedLength: length,
      maxLength: 1 << 30,
      algorithms: [],
    });
    const sizeOnDisk = (): number =>
      readdirSync(store.tmpDir).reduce((n, f) => n + statSync(path.join(store.tmpDir, f)).size, 0);
    // Small batches are written as they fill: wait for the last full one to land.
    for (let i = 0; i < 100 && sizeOnDisk() < (chunks - 1) * SMALL_BATCH_BYTES; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const written = sizeOnDisk();
    const share = store.writeMemory.taken - takenBefore;
    open();
    const blob = await writing;
    expect(blob.size).toBe(length);
    expect(store.writeMemory.taken).toBe(takenBefore); // its share, if any, is back
    return { written, share };
  }

  it('holds what an upload has received in memory up to 1 MiB only with a share of the budget', async () => {
    // With room: a share (four times the bytes still to come after the first chunk), and
    // the 640 KiB received wait in memory for a 1 MiB batch.
    expect(await writtenWhileStalled(10)).toEqual({
      written: 0,
      share: 4 * (9 * SMALL_BATCH_BYTES + 10),
    });
    // With the budget spent: written in 64 KiB batches as they arrive.
    expect(store.writeMemory.tryTake(store.writeMemory.limit)).toBe(true);
    const spent = await writtenWhileStalled(10);
    expect(spent.share).toBe(0);
    expect(spent.written).toBeGreaterThanOrEqual(9 * SMALL_BATCH_BYTES);
  });

  it('gives the share back when the body fails', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(SMALL_BATCH_BYTES);
      expect(store.writeMemory.taken).toBe(LARGE_STREAM_BYTES);
      throw new Error('client went away');
    }
    await expect(
      writeBlob(store, failing(), { expectedLength: 8 * MiB, maxLength: 1 << 30, algorithms: [] }),
    ).rejects.toThrow();
    expect(store.writeMemory.taken).toBe(0);
  });
});

describe('a range across blobs', () => {
  it('takes a share sized by what the whole stream has left, not by its first blob', async () => {
    const a = randomBytes(5 * MiB);
    const b = randomBytes(5 * MiB);
    const segs = [await stored(a, false), await stored(b, false)];
    // Starts 100 KiB before the end of the first blob: a share of 4 × 100 KiB, then 1 MiB
    // batches through the second blob, before the fix (found by review).
    const start = 5 * MiB - 100 * 1024;
    const taken: number[] = [];
    const chunks: Buffer[] = [];
    const stream = readSegments(store, segs, start, 10 * MiB - 1, () => undefined, keys);
    for await (const c of stream) {
      chunks.push(Buffer.from(c as Buffer));
      taken.push(store.readMemory.taken);
    }
    expect(Buffer.concat(chunks).equals(Buffer.concat([a, b]).subarray(start))).toBe(true);
    expect(Math.max(...chunks.map((c) => c.byteLength))).toBe(LARGE_BATCH_BYTES);
    expect(new Set(taken)).toEqual(new Set([LARGE_STREAM_BYTES]));
    expect(store.readMemory.taken).toBe(0);
  });
});
