/**
 * Streams a byte range of an object whose bytes are a list of blob segments (one for a
 * single PUT, one per part for a multipart upload).
 */
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { StowageError, toStowageError } from '../../errors.js';
import { openBlob, type BlobEnvelope } from '../crypto/envelope.js';
import { openSegment, sealedSpan, SEGMENT_BYTES, TAG_BYTES } from '../crypto/format.js';
import type { KeyStore } from '../crypto/keys.js';
import type { BlobStore } from './blob-store.js';

/** One blob of an object, in order. */
export interface Segment {
  /** Blob id. */
  b: string;
  /** Bytes in this blob. */
  n: number;
  /** Hex SHA-256 of this blob, so every byte of every object is covered by a hash. */
  s?: string;
  /** Encryption envelope: the blob holds sealed segments of `n` plaintext bytes. */
  e?: BlobEnvelope;
}

const READ_BYTES = 1024 * 1024;

/**
 * Returns a stream of bytes `start`..`end` (inclusive) of the concatenated segments. The
 * caller has already taken a lease on the blobs; `release` is called once the stream
 * ends, fails or is destroyed.
 */
export function readSegments(
  store: BlobStore,
  segments: readonly Segment[],
  start: number,
  end: number,
  release: () => void,
  keys?: KeyStore,
): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    try {
      let offset = 0;
      for (const seg of segments) {
        const segStart = offset;
        const segEnd = offset + seg.n - 1;
        offset += seg.n;
        if (segEnd < start || segStart > end) continue;
        const from = Math.max(start, segStart) - segStart;
        const to = Math.min(end, segEnd) - segStart;
        if (seg.e) yield* readSealed(store.pathOf(seg.b), seg, from, to, keys);
        else yield* readFile(store.pathOf(seg.b), from, to);
      }
    } finally {
      release();
    }
  }
  const stream = Readable.from(generate(), { objectMode: false, highWaterMark: READ_BYTES });
  // A stream destroyed before its first read never enters the generator's finally.
  stream.once('close', release);
  return stream;
}

/** Segments decrypted per read: about READ_BYTES of plaintext. */
const SEGMENTS_PER_READ = READ_BYTES / SEGMENT_BYTES;

/** Plaintext bytes `from`..`to` of an encrypted blob; only the segments they need are read. */
async function* readSealed(
  file: string,
  seg: Segment,
  from: number,
  to: number,
  keys: KeyStore | undefined,
): AsyncGenerator<Buffer> {
  if (!keys) throw new StowageError('E_INTERNAL', 'an encrypted blob was read without a key store');
  const { key, prefix } = await openBlob(keys, seg.e!);
  const span = sealedSpan(seg.n, from, to);
  const sealedSegment = SEGMENT_BYTES + TAG_BYTES;
  let index = span.first;
  let pos = span.start;
  for await (const buf of readFile(
    file,
    span.start,
    span.end - 1,
    SEGMENTS_PER_READ * sealedSegment,
  )) {
    // readFile yields whole requested batches, so each holds whole segments.
    let at = 0;
    while (at < buf.byteLength) {
      const take = Math.min(sealedSegment, buf.byteLength - at);
      const plain = openSegment(key, prefix, seg.n, index, buf.subarray(at, at + take));
      const base = index * SEGMENT_BYTES;
      const lo = Math.max(from, base) - base;
      const hi = Math.min(to, base + plain.byteLength - 1) - base;
      yield lo === 0 && hi === plain.byteLength - 1 ? plain : plain.subarray(lo, hi + 1);
      at += take;
      index++;
    }
    pos += buf.byteLength;
  }
  if (pos !== span.end) {
    throw new StowageError('E_DATA_CORRUPT', 'an encrypted blob of this object is truncated');
  }
}

async function* readFile(
  file: string,
  from: number,
  to: number,
  chunkBytes = READ_BYTES,
): AsyncGenerator<Buffer> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StowageError(
        'E_DATA_CORRUPT',
        'a blob of this object is missing from the data directory',
        {
          cause: err,
        },
      );
    }
    throw toStowageError(err, 'read object bytes');
  }
  try {
    let pos = from;
    while (pos <= to) {
      const want = Math.min(chunkBytes, to - pos + 1);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, pos);
      if (bytesRead === 0) {
        throw new StowageError('E_DATA_CORRUPT', 'a blob of this object is shorter than recorded');
      }
      pos += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
