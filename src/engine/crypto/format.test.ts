import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../blobs/blob-store.js';
import { readSegments, type Segment } from '../blobs/read-blobs.js';
import { writeBlob } from '../blobs/write-blob.js';
import { sealNewBlob } from './envelope.js';
import { SEGMENT_BYTES, TAG_BYTES, sealedSize, sealedSpan } from './format.js';
import { KeyStore } from './keys.js';

let dir: string;
let store: BlobStore;
let keys: KeyStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'stowage-crypto-'));
  store = new BlobStore(dir, { fsync: false });
  await store.init();
  keys = new KeyStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Splits `buf` into chunks of the given sizes, cycling. */
function* chunked(buf: Buffer, sizes: number[]): Generator<Buffer> {
  let at = 0;
  let i = 0;
  while (at < buf.byteLength) {
    const n = sizes[i++ % sizes.length]!;
    yield buf.subarray(at, at + n);
    at += n;
  }
}

async function* asAsync(it: Iterable<Buffer>): AsyncGenerator<Buffer> {
  yield* it;
}

async function seal(plain: Buffer, sizes = [plain.byteLength || 1]): Promise<Segment | null> {
  const { envelope, blobKey } = await sealNewBlob(keys, { algorithm: 'AES256' });
  const blob = await writeBlob(store, asAsync(chunked(plain, sizes)), {
    maxLength: 1 << 30,
    algorithms: [],
    encrypt: { envelope, blobKey },
  });
  return blob.id
    ? { b: blob.id, n: blob.size, s: blob.sha256.toString('hex'), e: blob.envelope! }
    : null;
}

async function read(seg: Segment, start: number, end: number, k = keys): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of readSegments(store, [seg], start, end, () => undefined, k)) {
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

describe('sealed segment format', () => {
  it('sizes: one 16-byte tag per 64 KiB segment', () => {
    expect(sealedSize(0)).toBe(0);
    expect(sealedSize(1)).toBe(1 + TAG_BYTES);
    expect(sealedSize(SEGMENT_BYTES)).toBe(SEGMENT_BYTES + TAG_BYTES);
    expect(sealedSize(SEGMENT_BYTES + 1)).toBe(SEGMENT_BYTES + 1 + 2 * TAG_BYTES);
    expect(sealedSpan(3 * SEGMENT_BYTES, SEGMENT_BYTES, SEGMENT_BYTES)).toEqual({
      first: 1,
      last: 1,
      start: SEGMENT_BYTES + TAG_BYTES,
      end: 2 * (SEGMENT_BYTES + TAG_BYTES),
    });
  });

  it.each([
    1,
    100,
    SEGMENT_BYTES - 1,
    SEGMENT_BYTES,
    SEGMENT_BYTES + 1,
    3 * SEGMENT_BYTES,
    200_000,
  ])(
    'round-trips %i bytes written in uneven chunks, and the file holds no plaintext',
    async (size) => {
      const plain = randomBytes(size);
      const seg = (await seal(plain, [7, 1000, 70_000, 3]))!;
      const file = store.pathOf(seg.b);
      expect(statSync(file).size).toBe(sealedSize(size));
      expect(await read(seg, 0, size - 1)).toEqual(plain);
      if (size >= 32) {
        expect(readFileSync(file).includes(plain.subarray(0, 32))).toBe(false);
      }
    },
  );

  it('an empty body leaves no file', async () => {
    expect(await seal(Buffer.alloc(0))).toBeNull();
  });

  it('reads ranges at segment boundaries, decrypting only what they need', async () => {
    const size = 3 * SEGMENT_BYTES + 123;
    const plain = randomBytes(size);
    const seg = (await seal(plain))!;
    const cases: Array<[number, number]> = [
      [0, 0],
      [0, SEGMENT_BYTES - 1],
      [SEGMENT_BYTES - 1, SEGMENT_BYTES - 1],
      [SEGMENT_BYTES - 1, SEGMENT_BYTES],
      [SEGMENT_BYTES, SEGMENT_BYTES],
      [SEGMENT_BYTES, 2 * SEGMENT_BYTES - 1],
      [100, 2 * SEGMENT_BYTES + 5],
      [size - 1, size - 1],
      [3 * SEGMENT_BYTES, size - 1],
    ];
    for (const [s, e] of cases) {
      expect(await read(seg, s, e), `${s}-${e}`).toEqual(plain.subarray(s, e + 1));
    }
    // A range in the last segment still works when an earlier segment is damaged:
    // only the needed segments are read.
    const file = store.pathOf(seg.b);
    const bytes = readFileSync(file);
    bytes[10] = bytes[10]! ^ 1;
    writeFileSync(file, bytes);
    expect(await read(seg, size - 5, size - 1)).toEqual(plain.subarray(size - 5));
    await expect(read(seg, 0, 10)).rejects.toMatchObject({ code: 'E_DATA_CORRUPT' });
  });
});

describe('tampering and wrong keys are read errors, never wrong bytes', () => {
  const size = 2 * SEGMENT_BYTES + 500;
  let plain: Buffer;
  let seg: Segment;
  beforeEach(async () => {
    plain = randomBytes(size);
    seg = (await seal(plain))!;
  });

  it('a flipped byte in any segment or tag', async () => {
    const file = store.pathOf(seg.b);
    for (const at of [0, SEGMENT_BYTES + 3, SEGMENT_BYTES + TAG_BYTES - 1, sealedSize(size) - 1]) {
      const bytes = readFileSync(file);
      bytes[at] = bytes[at]! ^ 0x40;
      writeFileSync(file, bytes);
      await expect(read(seg, 0, size - 1), `byte ${at}`).rejects.toMatchObject({
        code: 'E_DATA_CORRUPT',
      });
      bytes[at] = bytes[at]! ^ 0x40;
      writeFileSync(file, bytes);
    }
    expect(await read(seg, 0, size - 1)).toEqual(plain);
  });

  it('a truncated file, mid-segment or at a segment boundary', async () => {
    const file = store.pathOf(seg.b);
    truncateSync(file, sealedSize(size) - 10);
    await expect(read(seg, 0, size - 1)).rejects.toMatchObject({ code: 'E_DATA_CORRUPT' });
    truncateSync(file, 2 * (SEGMENT_BYTES + TAG_BYTES));
    await expect(read(seg, 0, size - 1)).rejects.toMatchObject({ code: 'E_DATA_CORRUPT' });
    // Even if the metadata were rolled back to the shorter length, the last remaining
    // segment was not sealed as final.
    await expect(
      read({ ...seg, n: 2 * SEGMENT_BYTES }, 0, 2 * SEGMENT_BYTES - 1),
    ).rejects.toMatchObject({ code: 'E_DATA_CORRUPT' });
  });

  it('swapped segments', async () => {
    const other = (await seal(randomBytes(3 * SEGMENT_BYTES)))!;
    const file = store.pathOf(other.b);
    const bytes = readFileSync(file);
    const a = Buffer.from(bytes.subarray(0, SEGMENT_BYTES + TAG_BYTES));
    bytes.copy(bytes, 0, SEGMENT_BYTES + TAG_BYTES, 2 * (SEGMENT_BYTES + TAG_BYTES));
    a.copy(bytes, SEGMENT_BYTES + TAG_BYTES);
    writeFileSync(file, bytes);
    await expect(read(other, 0, 3 * SEGMENT_BYTES - 1)).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
    });
  });

  it('a replaced master key, a missing key file, or another blob’s envelope', async () => {
    writeFileSync(keys.pathOf('s3'), randomBytes(32));
    await expect(read(seg, 0, size - 1, new KeyStore(dir))).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
    });
    rmSync(path.join(dir, 'keys'), { recursive: true });
    await expect(read(seg, 0, size - 1, new KeyStore(dir))).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
      message: expect.stringMatching(/missing/),
    });
    const fresh = new KeyStore(dir);
    keys = fresh;
    const other = (await seal(randomBytes(10)))!;
    await expect(read({ ...seg, e: other.e }, 0, size - 1, fresh)).rejects.toMatchObject({
      code: 'E_DATA_CORRUPT',
    });
  });
});
