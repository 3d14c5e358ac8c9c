/**
 * Streams a byte range of an object whose bytes are a list of blob segments (one for a
 * single PUT, one per part for a multipart upload).
 */
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { StowageError, toStowageError } from '../../errors.js';
import type { BlobStore } from './blob-store.js';

/** One blob of an object, in order. */
export interface Segment {
  /** Blob id. */
  b: string;
  /** Bytes in this blob. */
  n: number;
  /** Hex SHA-256 of this blob, so every byte of every object is covered by a hash. */
  s?: string;
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
        yield* readFile(store.pathOf(seg.b), from, to);
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

async function* readFile(file: string, from: number, to: number): AsyncGenerator<Buffer> {
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
      const want = Math.min(READ_BYTES, to - pos + 1);
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
