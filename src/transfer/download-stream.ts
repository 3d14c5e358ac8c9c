/**
 * Downloading one object into a stream (`stowage cp s3://b/k -`: standard output). Ranged
 * GETs with If-Match on the ETag of the HEAD run `concurrency` ahead and are written in
 * order, so memory stays at about `concurrency` parts whatever the object's size. The
 * bytes are checked against `stowage-sha256` (or a plain MD5 ETag) as they pass, but a
 * stream cannot be taken back: a mismatch is reported after the bytes were written, and
 * the caller must say so (exit code 5), where a download to a file writes nothing.
 */
import { isStowageError, StowageError } from '../errors.js';
import { replacedError, verify, type VerifiedBy } from './download-checks.js';
import { bareEtag, OrderedHasher } from './hashing.js';
import { getRange, type RangeSource } from './ranged-get.js';
import { headWithRetry } from './source-head.js';
import { META_SHA256, type TransferBase } from './types.js';
import { checkTarget, transferSettings } from './validate.js';

/** Options of {@link downloadToStream}. */
export interface DownloadToStreamOptions extends TransferBase {
  bucket: string;
  key: string;
  versionId?: string;
  /** Takes the object's bytes in order; the returned promise is the stream's backpressure. */
  write(bytes: Buffer): Promise<void>;
}

/** What {@link downloadToStream} did. */
export interface StreamDownloadResult {
  key: string;
  sizeBytes: number;
  etag: string;
  sha256: string;
  verifiedBy: VerifiedBy;
  durationMs: number;
}

/**
 * Streams `s3://bucket/key` to `write`, in order.
 *
 * @throws StowageError `E_CHECKSUM_MISMATCH` after the last byte when the bytes written
 *   do not match the object's `stowage-sha256` or MD5 ETag; `E_PRECONDITION_FAILED` when
 *   the object was replaced during the download.
 * @example
 * await downloadToStream({ client, pacer, bucket: 'b', key: 'k',
 *   write: (bytes) => new Promise((done) => process.stdout.write(bytes, () => done())) });
 */
export async function downloadToStream(o: DownloadToStreamOptions): Promise<StreamDownloadResult> {
  const started = Date.now();
  checkTarget(o.bucket, o.key);
  const s = transferSettings(o);
  const what = `download of s3://${o.bucket}/${o.key}`;
  const head = await headWithRetry(o.client, o.pacer, o, {
    attempts: s.attempts,
    signal: o.signal,
    what,
  });
  const sizeBytes = head.ContentLength ?? 0;
  const etag = head.ETag ?? '';
  const source: RangeSource = {
    client: o.client,
    pacer: o.pacer,
    bucket: o.bucket,
    key: o.key,
    etag,
    sizeBytes,
    attempts: s.attempts,
    ...(o.versionId ? { versionId: o.versionId } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const hasher = new OrderedHasher(0, { md5: !head.Metadata?.[META_SHA256] });
  // Ranges in flight, oldest first: each is written once it and all before it arrived.
  const inFlight: Promise<Buffer>[] = [];
  let next = 0;
  const fetchNext = () => {
    const length = Math.min(s.partSizeBytes, sizeBytes - next);
    const request = getRange(source, next, length);
    request.catch(() => undefined); // awaited in order below; a rejection is not unhandled
    inFlight.push(request);
    next += length;
  };
  try {
    while (next < sizeBytes && inFlight.length < s.concurrency) fetchNext();
    while (inFlight.length > 0) {
      const bytes = await inFlight.shift()!;
      if (next < sizeBytes) fetchNext();
      hasher.add(hasher.nextOffset, bytes);
      await o.write(bytes);
    }
  } catch (err) {
    if (isStowageError(err, 'E_PRECONDITION_FAILED')) {
      throw replacedError(what, etag, err, o.bucket, o.key);
    }
    throw err;
  }
  const digest = hasher.digest();
  const verifiedBy = verify(
    head,
    digest,
    etag,
    what,
    'the bytes already written are not the object',
  );
  if (verifiedBy instanceof StowageError) throw verifiedBy;
  return {
    key: o.key,
    sizeBytes,
    etag: bareEtag(etag),
    sha256: digest.sha256,
    verifiedBy,
    durationMs: Date.now() - started,
  };
}
