/**
 * Uploading a stream of unknown length (`stowage cp - s3://bucket/key`, as aws-cli's
 * `aws s3 cp -`): the stream is cut into parts of the part size as it arrives. A stream
 * that ends within the first part is one PutObject with the same checks and metadata as a
 * file's (Content-MD5, the ETag, `stowage-sha256`). A longer one is a multipart upload
 * with `concurrency` parts in flight, each sent with Content-MD5 and its ETag checked,
 * and the whole object's multipart ETag checked at the end. S3 fixes metadata at
 * CreateMultipartUpload, before the stream's SHA-256 is known, so such an object carries
 * no `stowage-sha256`. Memory holds the parts in flight (`concurrency`), the next one and
 * the one being filled. A failure or an abort aborts the multipart upload: a stream cannot
 * be read twice, so there is no resume.
 */
import { createHash } from 'node:crypto';
import { StowageError } from '../errors.js';
import { multipartEtag } from './hashing.js';
import {
  abortQuietly,
  completedEtag,
  startUpload,
  tagCompleted,
  uploadPartChecked,
} from './multipart-calls.js';
import { completeUpload } from './multipart.js';
import { etagIsOpaque, expectEtag, writeParams } from './object-params.js';
import { ProgressTracker } from './progress.js';
import { putChecked } from './put-checked.js';
import { MAX_PARTS, type ObjectProperties, type TransferBase } from './types.js';
import type { UploadResult } from './upload.js';
import {
  checkExpectedSize,
  checkProperties,
  checkTarget,
  partSizeFor,
  taggingHeader,
  transferSettings,
} from './validate.js';

/** Options of {@link uploadStream}. */
export interface UploadStreamOptions extends TransferBase, ObjectProperties {
  bucket: string;
  key: string;
  /**
   * The bytes to store, read once, in order. The caller owns it: after a failure or an
   * abort it may be left part-read (destroy it, e.g. `process.stdin.destroy()`).
   */
  source: AsyncIterable<Uint8Array>;
  /** How the source is named in messages (e.g. "standard input"). */
  sourceName: string;
  /**
   * The stream's expected size in bytes, when known roughly: parts then grow so that it
   * fits in 10,000 of them (aws-cli's `--expected-size`). Without it, a stream longer than
   * 10,000 parts of the part size fails.
   */
  expectedSizeBytes?: number;
  /**
   * Called when the request that makes the object visible (the PutObject, or
   * CompleteMultipartUpload) is sent: a failure or an abort after this may still have
   * stored the object, since the store may have committed it before the answer was lost.
   */
  onCommitting?: () => void;
  /**
   * Called when a failed multipart upload could not be aborted (no s3:AbortMultipartUpload,
   * the store unreachable): its parts stay, and are billed, until it is aborted.
   */
  onAbortFailed?: (uploadId: string, error: StowageError) => void;
}

/** What {@link uploadStream} did; `sha256` is of every byte read. */
export type StreamUploadResult = Omit<UploadResult, 'resumedParts'>;

/**
 * Cuts a stream into buffers of exactly `size` bytes; the last one may be shorter. Each
 * part is allocated once and filled in place (no list of pieces joined into a copy).
 */
async function* cut(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let part = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.byteLength) {
      const take = Math.min(size - filled, chunk.byteLength - at);
      part.set(chunk.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === size) {
        yield part;
        part = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield part.subarray(0, filled);
}

/** A generator with one buffer of look-ahead: each value says whether it is the last. */
async function* withLast(parts: AsyncGenerator<Buffer>): AsyncGenerator<[Buffer, boolean]> {
  let prev = await parts.next();
  while (!prev.done) {
    const next = await parts.next();
    yield [prev.value, next.done === true];
    prev = next;
  }
}

/**
 * `p`, or a rejection with the signal's reason as soon as it aborts: a stream that sends
 * nothing (a terminal, a stalled producer) must not hold a cancelled upload.
 */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * The next part, or the signal's reason as soon as it aborts; an error of the source itself
 * (EIO, a producer that throws) is E_LOCAL_UNREADABLE naming it.
 */
async function readPart<T>(
  parts: AsyncGenerator<T>,
  o: Pick<UploadStreamOptions, 'signal' | 'sourceName'>,
): Promise<IteratorResult<T>> {
  try {
    return await unlessAborted(parts.next(), o.signal);
  } catch (err) {
    if (o.signal?.aborted || err instanceof StowageError) throw err;
    throw new StowageError(
      'E_LOCAL_UNREADABLE',
      `cannot read ${o.sourceName}: ${(err as Error).message ?? String(err)}`,
      { cause: err },
    );
  }
}

/**
 * Uploads everything `source` yields to `s3://bucket/key`.
 *
 * @example
 * const r = await uploadStream({ client, pacer: new Pacer(), bucket: 'backups',
 *   key: 'db/dump.sql.gz', source: process.stdin, sourceName: 'standard input' });
 * console.log(r.sizeBytes, r.etag);
 */
export async function uploadStream(o: UploadStreamOptions): Promise<StreamUploadResult> {
  const started = Date.now();
  checkTarget(o.bucket, o.key);
  checkProperties(o);
  const settings = transferSettings(o);
  checkExpectedSize(o.expectedSizeBytes);
  const partSize = partSizeFor(o.expectedSizeBytes ?? 0, settings.partSizeBytes);
  const contentType = o.contentType ?? 'application/octet-stream';
  const what = `upload of ${o.sourceName} to s3://${o.bucket}/${o.key}`;
  const sha = createHash('sha256');
  const parts = withLast(cut(o.source, partSize));
  const first = await readPart(parts, o);
  const [firstBody, firstIsLast] = first.done ? [Buffer.alloc(0), true] : first.value;
  if (firstIsLast) {
    o.onCommitting?.();
    const put = await putChecked(o, firstBody, {
      contentType,
      mtimeMs: undefined,
      attempts: settings.attempts,
      what,
    });
    return {
      key: o.key,
      sizeBytes: firstBody.length,
      ...put,
      durationMs: Date.now() - started,
      uploadedParts: 0,
    };
  }
  const uploadId = await startUpload(
    o,
    writeParams(o, contentType, undefined, undefined),
    settings.attempts,
    what,
  );
  sha.update(firstBody);
  try {
    const sent = await sendParts(o, uploadId, firstBody, parts, sha, settings, what);
    o.onCommitting?.();
    const res = await completedEtag(
      o,
      await completeUpload(o, uploadId, sent.parts, undefined, settings.attempts, what),
      settings.attempts,
    );
    const partMd5s = sent.parts.map((p) => p.md5);
    if (!sent.opaque && !etagIsOpaque(res)) expectEtag(res.ETag, multipartEtag(partMd5s), what);
    await tagCompleted(o, taggingHeader(o.tags), res.VersionId, settings.attempts, what);
    sent.progress.finish();
    return {
      key: o.key,
      sizeBytes: sent.sizeBytes,
      etag: (res.ETag ?? '').replace(/"/g, ''),
      sha256: sha.digest('hex'),
      durationMs: Date.now() - started,
      uploadedParts: sent.parts.length,
      ...(res.VersionId ? { versionId: res.VersionId } : {}),
    };
  } catch (err) {
    const failed = await abortQuietly(o, uploadId, settings.attempts);
    if (failed) o.onAbortFailed?.(uploadId, failed);
    throw err;
  }
}

/**
 * Sends `first` and every part `rest` yields, at most `concurrency` at once, reading the
 * next part only when one may be sent. Resolves when every part is stored.
 */
async function sendParts(
  o: UploadStreamOptions,
  uploadId: string,
  first: Buffer,
  rest: AsyncGenerator<[Buffer, boolean]>,
  sha: ReturnType<typeof createHash>,
  s: { concurrency: number; attempts: number },
  what: string,
): Promise<{
  parts: { etag: string; md5: string }[];
  sizeBytes: number;
  opaque: boolean;
  progress: ProgressTracker;
}> {
  const parts: { etag: string; md5: string }[] = [];
  // The total is unknown until the stream ends; progress shows what was read so far.
  const progress = new ProgressTracker(o.key, 0, 0, o.onProgress);
  let opaque = false;
  let sizeBytes = 0;
  let failure: unknown;
  const inFlight = new Set<Promise<void>>();
  const send = async (n: number, body: Buffer): Promise<void> => {
    const sent = await uploadPartChecked(o, uploadId, n, body, s.attempts, what);
    if (sent.opaque) opaque = true;
    parts[n - 1] = sent;
    progress.add(body.length);
  };
  const start = (n: number, body: Buffer) => {
    sizeBytes += body.length;
    progress.grow(body.length);
    const p: Promise<void> = send(n, body).then(
      () => void inFlight.delete(p),
      (err: unknown) => {
        inFlight.delete(p);
        failure ??= err;
      },
    );
    inFlight.add(p);
  };
  start(1, first);
  let n = 1;
  for (;;) {
    while (inFlight.size >= s.concurrency && failure === undefined) await Promise.race(inFlight);
    if (failure !== undefined) break;
    let next: IteratorResult<[Buffer, boolean]>;
    try {
      next = await readPart(rest, o);
    } catch (err) {
      failure ??= err;
      break;
    }
    if (next.done) break;
    n += 1;
    if (n > MAX_PARTS) {
      failure = new StowageError(
        'E_ENTITY_TOO_LARGE',
        `${o.sourceName} is longer than ${MAX_PARTS} parts of ${first.length} bytes, the most one upload can hold; give its size (--expected-size) so the parts are made larger`,
        { details: { partSizeBytes: first.length } },
      );
      break;
    }
    sha.update(next.value[0]);
    start(n, next.value[0]);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return { parts, sizeBytes, opaque, progress };
}
