/**
 * One ranged GET, read fully into memory and checked for length, with If-Match on the
 * ETag the transfer started with, so an object replaced mid-transfer fails clearly
 * (412 -> E_PRECONDITION_FAILED) instead of mixing two objects' bytes.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getObject, type GetObjectResult } from '../client/fast-path/get-object.js';
import { StowageError } from '../errors.js';
import type { Pacer } from './pacer.js';
import type { ProgressTracker } from './progress.js';
import { withRetry } from './retry.js';

/** What {@link getRange} needs. */
export interface RangeSource {
  client: S3Client;
  pacer: Pacer;
  bucket: string;
  key: string;
  versionId?: string;
  /** The ETag as the store returned it (with quotes). */
  etag: string;
  /** Object size; a range covering it all is sent as a plain GET. */
  sizeBytes: number;
  signal?: AbortSignal;
  attempts: number;
}

/**
 * Bytes [offset, offset + length) of the object, with retries; read into `into` (at least
 * `length` long) when given, else into a new buffer.
 */
export async function getRange(
  s: RangeSource,
  offset: number,
  length: number,
  progress?: ProgressTracker,
  into?: Buffer,
): Promise<Buffer> {
  return (await getRangeWithHeaders(s, offset, length, progress, into)).body;
}

/** What a GET answered besides its body: the object's headers, as a HEAD gives them. */
export type GetHeaders = Omit<GetObjectResult, 'Body'>;

/** {@link getRange}, also returning the response's headers (metadata, ETag, LastModified…). */
export async function getRangeWithHeaders(
  s: RangeSource,
  offset: number,
  length: number,
  progress?: ProgressTracker,
  into?: Buffer,
): Promise<{ body: Buffer; headers: GetHeaders }> {
  const whole = offset === 0 && length === s.sizeBytes;
  return withRetry(
    s.pacer,
    async () => {
      const res = await getObject(
        s.client,
        {
          Bucket: s.bucket,
          Key: s.key,
          IfMatch: s.etag,
          ...(s.versionId ? { VersionId: s.versionId } : {}),
          ...(whole ? {} : { Range: `bytes=${offset}-${offset + length - 1}` }),
        },
        s.signal,
      );
      const buf = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      let got = 0;
      try {
        for await (const piece of res.Body) {
          if (got + piece.length > length) throw shortOrLong(s, offset, length, got + piece.length);
          buf.set(piece, got);
          got += piece.length;
          progress?.add(piece.length);
          await s.pacer.acquireBytes(piece.length, s.signal);
        }
      } catch (err) {
        progress?.add(-got);
        throw err;
      }
      if (got !== length) {
        progress?.add(-got);
        throw shortOrLong(s, offset, length, got);
      }
      const { Body: _body, ...headers } = res;
      return { body: buf, headers };
    },
    {
      attempts: s.attempts,
      signal: s.signal,
      target: s,
      what: `download of s3://${s.bucket}/${s.key} (bytes ${offset}-${offset + length - 1})`,
    },
  );
}

function shortOrLong(s: RangeSource, offset: number, length: number, got: number): StowageError {
  return new StowageError(
    'E_INCOMPLETE_BODY',
    `s3://${s.bucket}/${s.key}: the GET of ${length} bytes at ${offset} returned ${got > length ? 'more' : got}`,
    { retryable: true },
  );
}
