/**
 * Streams a byte range of an object whose bytes are a list of blob segments (one for a
 * single PUT, one per part for a multipart upload). A segment's blob is a file or, for a
 * small body, a row of the database (inline-blobs.ts).
 */
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { StowageError, toStowageError } from '../../errors.js';
import { openBlob, type BlobEnvelope, type KeySource } from '../crypto/envelope.js';
import { openSegment, sealedSpan, SEGMENT_BYTES, TAG_BYTES } from '../crypto/format.js';
import type { BlobStore } from './blob-store.js';
import { isInlineId } from './inline-blobs.js';
import { BATCH, ReadBuffers, RECYCLE, type RecyclableStream } from './read-buffers.js';
import { LARGE_BATCH_BYTES, SMALL_BATCH_BYTES, StreamBatches } from './stream-memory.js';

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

/**
 * How many bytes to read next, of a span with `left` bytes to go: the stream's batch size
 * (stream-memory.ts), or for an encrypted blob a whole number of sealed segments.
 */
type BatchSize = (left: number) => number;

const inMemory: BatchSize = () => LARGE_BATCH_BYTES;

/**
 * Reads bytes `from`..`to` (inclusive) of one blob, in batches of `batch(left)` bytes. With
 * `reuse`, the caller is done with each batch before it asks for the next: a file reader
 * reads every batch into the same buffer. Without, a file reader reads large batches into
 * buffers of the stream's ReadBuffers, which its consumer may hand back.
 */
type BlobReader = (
  from: number,
  to: number,
  batch: BatchSize,
  reuse?: boolean,
) => AsyncGenerator<Buffer>;

/**
 * Returns a stream of bytes `start`..`end` (inclusive) of the concatenated segments. The
 * caller has already taken a lease on the blobs; `release` is called once the stream
 * ends, fails or is destroyed. The bytes of inline blobs are copied out now, in the
 * caller's synchronous step, so a delete committed later cannot take them away.
 */
export function readSegments(
  store: BlobStore,
  segments: readonly Segment[],
  start: number,
  end: number,
  release: () => void,
  keys?: KeySource,
): Readable {
  const buffers = new ReadBuffers(LARGE_BATCH_BYTES);
  const batches = new StreamBatches(store.readMemory);
  const done = (): void => {
    batches.release();
    release();
  };
  const inline = new Map<string, Buffer | Error>();
  for (const seg of segments) {
    if (!isInlineId(seg.b)) continue;
    try {
      inline.set(seg.b, store.inlineBytes(seg.b));
    } catch (err) {
      inline.set(seg.b, err as Error);
    }
  }
  const readerOf = (id: string): BlobReader => {
    const data = inline.get(id);
    if (data === undefined) {
      return (from, to, batch, reuse) =>
        readFile(store.pathOf(id), from, to, batch, reuse ? undefined : buffers);
    }
    return (from, to, batch) => readBuffer(data, from, to, batch);
  };
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
        // An inline blob's bytes are in memory already: reading them takes no share. A share
        // is sized by what the whole stream has left, this blob's bytes and the ones after it
        // (by this blob's alone, a range that began near the end of a part took a share of
        // 4 × that tail and then read the next parts in 1 MiB batches: found by review).
        const after = Math.max(0, end - segEnd);
        const batch: BatchSize = isInlineId(seg.b)
          ? inMemory
          : (left) => batches.next(left + after);
        if (seg.e) yield* readSealed(readerOf(seg.b), seg, from, to, batch, keys);
        else yield* readerOf(seg.b)(from, to, batch);
      }
    } finally {
      done();
    }
  }
  // The readable side holds one chunk ahead of its consumer, whatever the batch size.
  const stream: RecyclableStream = Readable.from(generate(), {
    objectMode: false,
    highWaterMark: SMALL_BATCH_BYTES,
  });
  stream[RECYCLE] = (chunk) => buffers.give(chunk);
  stream[BATCH] = () => batches.size;
  // A stream destroyed before its first read never enters the generator's finally.
  stream.once('close', done);
  return stream;
}

/** Plaintext bytes `from`..`to` of an encrypted blob; only the segments they need are read. */
async function* readSealed(
  read: BlobReader,
  seg: Segment,
  from: number,
  to: number,
  plainBatch: BatchSize,
  keys: KeySource | undefined,
): AsyncGenerator<Buffer> {
  if (!keys) throw new StowageError('E_INTERNAL', 'an encrypted blob was read without a key store');
  const { key, prefix } = await openBlob(keys, seg.e!);
  const span = sealedSpan(seg.n, from, to);
  const sealedSegment = SEGMENT_BYTES + TAG_BYTES;
  // Whole segments per read: as many as the stream's batch size holds in plaintext.
  const sealedBatch: BatchSize = (left) =>
    Math.max(1, Math.floor(plainBatch(left) / SEGMENT_BYTES)) * sealedSegment;
  let index = span.first;
  let pos = span.start;
  // Each batch is decrypted (into new buffers) before the next is read: one read buffer
  // serves them all, which halves what a large GET allocates. Serving a 1 GiB object to
  // curl, the server's peak RSS went from 122–127 MB to 115–116 MB (three runs each).
  // Tried and reverted (faa7f49): decrypting batches on two worker threads made a 1 GiB
  // SSE-S3 GET 20–40% faster on the 2-core bench VM, but node:crypto's plaintext garbage
  // waited in the workers' heaps and the server's peak RSS rose from about 145 MB to
  // 186–253 MB; reading the next batch ahead on this thread set off mark-compacts instead.
  for await (const buf of read(span.start, span.end - 1, sealedBatch, true)) {
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

/** Bytes of an inline blob, in the batches readFile would yield. */
async function* readBuffer(
  data: Buffer | Error,
  from: number,
  to: number,
  batch: BatchSize,
): AsyncGenerator<Buffer> {
  if (data instanceof Error) throw data;
  for (let pos = from, end: number; pos <= to; pos = end) {
    end = Math.min(to + 1, pos + batch(to - pos + 1));
    if (end > data.byteLength) {
      throw new StowageError('E_DATA_CORRUPT', 'a blob of this object is shorter than recorded');
    }
    yield data.subarray(pos, end);
  }
}

/**
 * Bytes `from`..`to` of a file, in batches of `batch(left)` bytes: without ReadBuffers,
 * read into one buffer again and again; with, a batch of their size is read into one of
 * theirs and any other into a buffer of its own.
 */
async function* readFile(
  file: string,
  from: number,
  to: number,
  batch: BatchSize,
  into?: ReadBuffers,
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
    let shared: Buffer | undefined;
    while (pos <= to) {
      const left = to - pos + 1;
      const size = batch(left);
      const want = Math.min(size, left);
      let buf: Buffer;
      if (into === undefined) {
        // The stream's batch size may grow (stream-memory.ts): the shared buffer grows with it.
        if (shared === undefined || shared.byteLength < want) shared = Buffer.allocUnsafe(want);
        buf = shared.subarray(0, want);
      } else {
        // A span that fits one read is read once: a buffer of its own size, not 1 MiB.
        buf =
          size === into.bytes && to - from + 1 > size ? into.take(want) : Buffer.allocUnsafe(want);
      }
      // Whole batches: a read can come back short (the bytes before a bad sector, then EIO
      // on the next), and an encrypted batch must hold whole segments.
      for (let got = 0; got < want;) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buf, got, want - got, pos + got));
        } catch (err) {
          throw readFailure(err, file);
        }
        if (bytesRead === 0) {
          throw new StowageError(
            'E_DATA_CORRUPT',
            'a blob of this object is shorter than recorded',
          );
        }
        got += bytesRead;
      }
      pos += want;
      yield buf;
    }
  } finally {
    await handle.close();
  }
}

/** A failed read of a blob file, saying which file and, for EIO (`details.file`), what to do. */
function readFailure(err: unknown, file: string): StowageError {
  if ((err as NodeJS.ErrnoException).code !== 'EIO') return toStowageError(err, `read ${file}`);
  return new StowageError(
    'E_INTERNAL',
    `cannot read ${file}: the disk reported an I/O error (EIO). Check the disk (dmesg); ` +
      'stowage engine check --deep lists the objects whose bytes cannot be read',
    { cause: err, details: { file } },
  );
}
