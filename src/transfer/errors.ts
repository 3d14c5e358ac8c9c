/**
 * What a failed S3 call means for a transfer: whether to retry it, whether the store asked
 * us to slow down, and which StowageError to report once retries are exhausted.
 *
 * This is the ONE place in src/transfer/ that reads SDK error names and `$metadata` (to
 * decide retries and throttling); which StowageError a failure becomes is decided by
 * src/client/errors.ts, so transfers and every other command report the same codes.
 */
import { THROTTLING_CODES, translateS3Error } from '../client/errors.js';
import { formatS3Url } from '../client/url.js';
import { StowageError } from '../errors.js';

/** How a transfer should treat one failed call. */
export interface ErrorClass {
  /** Repeating the same call may succeed. */
  retryable: boolean;
  /** The store asked everyone to slow down (SlowDown, 503, 429): back off the shared pacer. */
  throttled: boolean;
}

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const TRANSIENT_NAMES = new Set([
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'BadDigest',
  'IncompleteBody',
  'XAmzContentSHA256Mismatch',
  'ChecksumMismatch',
]);
// Node's socket errors: the connection failed, not the request.
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

function shapeOf(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
}

/** The S3 error code (or Node error code) of an SDK error, or undefined. */
export function s3CodeOf(err: unknown): string | undefined {
  const e = shapeOf(err);
  for (const v of [e.Code, e.name, e.code]) {
    if (typeof v === 'string' && v !== 'Error' && v !== 'S3ServiceException') return v;
  }
  return undefined;
}

/** The HTTP status of an SDK error, or undefined when no response arrived. */
export function httpStatusOf(err: unknown): number | undefined {
  const s = shapeOf(err).$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The SDK's own response-checksum check throws a plain Error with this message. */
function isSdkChecksumMismatch(err: unknown): boolean {
  const m = shapeOf(err).message;
  return typeof m === 'string' && m.startsWith('Checksum mismatch');
}

/**
 * The SDK refusing, before or after any request, something it cannot do itself (a response
 * checksum of an algorithm it has no implementation of): the same call would fail again.
 */
function isSdkUnsupported(err: unknown): boolean {
  const m = shapeOf(err).message;
  return typeof m === 'string' && m.includes('is not supported by the client');
}

/** True for an abort caused by the caller's AbortSignal. */
export function isAbortError(err: unknown): boolean {
  const name = shapeOf(err).name;
  return name === 'AbortError';
}

/**
 * Classifies a failed call. StowageErrors keep their own `retryable` flag; SDK errors are
 * judged by name, then by HTTP status (5xx and 429 retry, other 4xx do not).
 */
export function classifyError(err: unknown): ErrorClass {
  if (isAbortError(err)) return { retryable: false, throttled: false };
  if (err instanceof StowageError) {
    return { retryable: err.retryable, throttled: err.code === 'E_SLOW_DOWN' };
  }
  // Damaged on the way: the next attempt may get the bytes right.
  if (isSdkChecksumMismatch(err)) return { retryable: true, throttled: false };
  if (isSdkUnsupported(err)) return { retryable: false, throttled: false };
  const code = s3CodeOf(err);
  const status = httpStatusOf(err);
  if ((code && THROTTLING_CODES.has(code)) || status === 503 || status === 429) {
    return { retryable: true, throttled: true };
  }
  if (code && (TRANSIENT_NAMES.has(code) || NETWORK_CODES.has(code))) {
    return { retryable: true, throttled: false };
  }
  if (status !== undefined) return { retryable: status >= 500, throttled: false };
  // No HTTP response at all: the connection broke or the response could not be read.
  return { retryable: code !== undefined || err instanceof Error, throttled: false };
}

/**
 * Turns any failure into a StowageError whose message names the operation (`where`, e.g.
 * `upload of ./a.png to s3://bucket/key`). The code comes from src/client's one SDK
 * translation; an abort is returned as is. Retryability stays this module's call, since a
 * transfer retries a few things a single request would not (a damaged body, BadDigest).
 */
export function toTransferError(
  err: unknown,
  where: string,
  target?: { bucket: string; key?: string },
): StowageError | Error {
  if (isAbortError(err)) return err as Error;
  if (err instanceof StowageError) return err;
  const t = translateS3Error(err, target ? { bucket: target.bucket, key: target.key } : {});
  const url = target ? formatS3Url({ bucket: target.bucket, key: target.key ?? '' }) : 'request';
  const rest = t.message.startsWith(url)
    ? t.message.slice(url.length).replace(/^:?\s*/, '')
    : t.message;
  return new StowageError(t.code, `${where} failed: ${rest}`, {
    cause: err,
    details: t.details,
    s3Code: t.s3Code,
    retryable: classifyError(err).retryable,
  });
}
