/**
 * Streams a body into a new blob: hashing every byte (MD5, SHA-256 and any requested S3
 * checksum) while writing it to a temp file, then fsync, verification and rename. The
 * blob becomes visible under `blobs/` only when it is whole and verified; on any failure
 * the temp file is removed and nothing remains.
 *
 * A body the store keeps inline (small, its length declared, and the caller commits it
 * as one version) is collected in memory instead and returned as `inline`; the caller's
 * commit stores it (BlobStore.putInline).
 */
import { promises as fsp } from 'node:fs';
import { isBodyAbort, StowageError, toStowageError } from '../../errors.js';
import { createChecksum, type IncrementalChecksum } from '../checksums/index.js';
import type { BlobEnvelope, BlobKey } from '../crypto/envelope.js';
import { SegmentEncryptor } from '../crypto/format.js';
import type { ChecksumAlgorithm } from '../types.js';
import type { BlobStore } from './blob-store.js';
import { hasherFor } from './hash-workers.js';
import { LARGE_BATCH_BYTES, StreamBatches } from './stream-memory.js';

/** A body the engine accepts. */
export type BlobBody = AsyncIterable<Uint8Array> | Uint8Array | string;

/** Digests of a written blob. */
export interface BlobDigests {
  size: number;
  md5: Buffer;
  sha256: Buffer;
  checksums: Partial<Record<ChecksumAlgorithm, Buffer>>;
}

/** A written, published blob. `id` is null for an empty body (no file is kept). */
export interface WrittenBlob extends BlobDigests {
  id: string | null;
  /** How the blob is encrypted at rest (absent: in the clear, or no blob). */
  envelope?: BlobEnvelope;
  /** The bytes (sealed if encrypted) of an inline blob, for the commit to store. */
  inline?: Buffer;
}

/** Options of writeBlob. */
export interface WriteBlobOptions {
  /** The body must be exactly this long (Content-Length). */
  expectedLength?: number;
  /** Larger bodies fail with E_ENTITY_TOO_LARGE as soon as the limit is crossed. */
  maxLength: number;
  /** S3 checksums to compute besides MD5 and SHA-256. */
  algorithms: readonly ChecksumAlgorithm[];
  signal?: AbortSignal;
  /** Runs after the bytes are on disk and before they are published; throw to reject. */
  verify?: (digests: BlobDigests) => Promise<void> | void;
  /** Encrypt the bytes on disk with this data key (see crypto/format.ts). */
  encrypt?: { envelope: BlobEnvelope; blobKey: BlobKey };
  /** The caller can store the blob inline (single-version writes; not parts). */
  allowInline?: boolean;
}

function toIterable(body: BlobBody): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (typeof body === 'string') return [Buffer.from(body)];
  if (body instanceof Uint8Array) return [body];
  return body;
}

/** Writes `body` as a new blob. See the module comment for the guarantees. */
export async function writeBlob(
  store: BlobStore,
  body: BlobBody,
  options: WriteBlobOptions,
): Promise<WrittenBlob> {
  if (options.expectedLength !== undefined && options.expectedLength > options.maxLength) {
    throw tooLarge(options.maxLength, options.expectedLength);
  }
  const length = knownLength(body, options);
  const inline = options.allowInline === true && store.keepsInline(length);
  const id = inline ? store.newInlineId() : store.newId();
  const hasher = hasherFor(length);
  const extra = options.algorithms.map(
    (a) => [a, createChecksum(a)] as [ChecksumAlgorithm, IncrementalChecksum],
  );
  const encryptor = options.encrypt
    ? new SegmentEncryptor(options.encrypt.blobKey.key, options.encrypt.blobKey.prefix)
    : undefined;
  let size = 0;
  let handle: fsp.FileHandle | undefined;
  const batches = new StreamBatches(store.writeMemory);
  // One write in flight while the next batch is hashed: disk and CPU overlap.
  let inFlight: Promise<unknown> = Promise.resolve();
  try {
    // New bytes stop at the free-space reserve (see BlobStore.ensureSpace); a body in
    // memory counts too (its length was not declared, but it is known).
    await store.ensureSpace(length ?? 0, inline ? 'database' : 'file');
    if (!inline) handle = await store.openTmp(id);
    const file = handle;
    // Write batches of 1 MiB (fewer syscalls than one write per network chunk) while the
    // upload holds a share of the engine's write budget, else of 64 KiB (stream-memory.ts).
    // A body kept inline is in memory whatever happens: it takes no share.
    const flushAt = (): number =>
      file
        ? batches.next(
            options.expectedLength === undefined ? Infinity : options.expectedLength - size,
          )
        : LARGE_BATCH_BYTES;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    // An inline body is at most a few flushes long: its buffers are kept as they are.
    const kept: Uint8Array[] = [];
    const flush = async (): Promise<void> => {
      const buffers = batch;
      const bytes = batchBytes;
      batch = [];
      batchBytes = 0;
      if (!file) {
        kept.push(...buffers);
        return;
      }
      await Promise.all([inFlight, store.ensureSpace(bytes, 'file')]);
      // Not the writev's own result, which holds the buffers written for as long as it is
      // kept: an upload that stalls would keep its last batch in memory (1 MiB) as well.
      inFlight = file.writev(buffers).then(() => undefined);
      // Awaited at the next flush or at the end; if it fails before then (ENOSPC while the
      // next chunk is awaited), a rejection with no handler yet would end the process.
      inFlight.catch(() => undefined);
    };
    for await (const raw of toIterable(options.signal ? abortable(body, options.signal) : body)) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      if (chunk.byteLength === 0) continue;
      size += chunk.byteLength;
      if (size > options.maxLength) throw tooLarge(options.maxLength);
      if (options.expectedLength !== undefined && size > options.expectedLength) {
        throw new StowageError(
          'E_INVALID_REQUEST',
          `the body is longer than the declared Content-Length of ${options.expectedLength} bytes`,
        );
      }
      const hashing = hasher.update(chunk);
      for (const [, c] of extra) c.update(chunk);
      if (hashing) await hashing;
      if (encryptor) {
        for (const sealed of encryptor.update(chunk)) {
          batch.push(sealed);
          batchBytes += sealed.byteLength;
        }
      } else {
        batch.push(chunk);
        batchBytes += chunk.byteLength;
      }
      if (batchBytes >= flushAt()) await flush();
    }
    for (const sealed of encryptor?.final() ?? []) {
      batch.push(sealed);
      batchBytes += sealed.byteLength;
    }
    if (batchBytes > 0) await flush();
    await inFlight;
    if (options.expectedLength !== undefined && size !== options.expectedLength) {
      throw new StowageError(
        'E_INCOMPLETE_BODY',
        `the body ended after ${size} of the declared ${options.expectedLength} bytes`,
      );
    }
    if (file) {
      if (store.fsync && size > 0) await file.sync();
      await file.close();
      handle = undefined;
    }
    const { md5, sha256 } = await hasher.digest();
    const digests: BlobDigests = {
      size,
      md5,
      sha256,
      checksums: Object.fromEntries(extra.map(([a, c]) => [a, c.digest()])),
    };
    await options.verify?.(digests);
    if (!file) {
      if (size === 0) return { ...digests, id: null };
      const bytes = Buffer.concat(kept);
      return { ...digests, id, inline: bytes, ...envelopeOf(options) };
    }
    if (size === 0) {
      await store.discardTmp(id);
      return { ...digests, id: null };
    }
    await store.publish(id);
    return { ...digests, id, ...envelopeOf(options) };
  } catch (err) {
    // A write may still be in flight (the body failed meanwhile): wait for it to settle
    // before the temp file is closed and removed.
    await inFlight.catch(() => undefined);
    hasher.discard();
    if (handle) await handle.close().catch(() => undefined);
    if (!inline) await store.discardTmp(id);
    throw bodyError(err);
  } finally {
    batches.release();
  }
}

/** The body's length when it is declared or the body is in memory. */
function knownLength(body: BlobBody, options: WriteBlobOptions): number | undefined {
  if (options.expectedLength !== undefined) return options.expectedLength;
  if (typeof body === 'string') return Buffer.byteLength(body);
  return body instanceof Uint8Array ? body.byteLength : undefined;
}

function envelopeOf(options: WriteBlobOptions): { envelope?: BlobEnvelope } {
  return options.encrypt ? { envelope: options.encrypt.envelope } : {};
}

/** `proposed`: the declared length (S3's ProposedSize), when there is one. */
function tooLarge(max: number, proposed?: number): StowageError {
  return new StowageError(
    'E_ENTITY_TOO_LARGE',
    `the body is larger than the maximum of ${max} bytes`,
    {
      details: { maxSizeBytes: max, ...(proposed !== undefined ? { sizeBytes: proposed } : {}) },
    },
  );
}

/** Errors of the body stream itself (client went away) are an incomplete body. */
function bodyError(err: unknown): StowageError {
  if (err instanceof StowageError) return err;
  if (isBodyAbort(err)) {
    return new StowageError(
      'E_INCOMPLETE_BODY',
      'the upload was aborted before the body ended; nothing was stored',
      {
        cause: err,
      },
    );
  }
  return toStowageError(err, 'write object bytes');
}

async function* abortable(body: BlobBody, signal: AbortSignal): AsyncIterable<Uint8Array> {
  for await (const chunk of toIterable(body)) {
    if (signal.aborted) {
      throw new StowageError('E_INCOMPLETE_BODY', 'the upload was aborted; nothing was stored', {
        cause: signal.reason,
      });
    }
    yield chunk;
  }
  if (signal.aborted) {
    throw new StowageError('E_INCOMPLETE_BODY', 'the upload was aborted; nothing was stored', {
      cause: signal.reason,
    });
  }
}
