/**
 * Translates an SDK error from a listing into a StowageError (STYLE.md: errors are
 * translated at the boundary). Only the few codes a listing meets are told apart.
 */
import { StowageError, toStowageError, type ErrorCode } from '../../errors.js';

const BY_NAME: Record<string, ErrorCode> = {
  NoSuchBucket: 'E_NO_SUCH_BUCKET',
  AccessDenied: 'E_ACCESS_DENIED',
  InvalidAccessKeyId: 'E_INVALID_ACCESS_KEY_ID',
  SignatureDoesNotMatch: 'E_SIGNATURE_DOES_NOT_MATCH',
  NoSuchKey: 'E_NO_SUCH_KEY',
};

/** The StowageError for an SDK failure while doing `what`. */
export function s3Problem(err: unknown, what: string, bucket?: string): StowageError {
  if (err instanceof StowageError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  const code = typeof name === 'string' ? BY_NAME[name] : undefined;
  const text = err instanceof Error ? err.message : String(err);
  if (code) {
    return new StowageError(code, `${what}: ${text}`, {
      cause: err,
      details: bucket ? { bucket } : {},
    });
  }
  const wrapped = toStowageError(err, what);
  const retryable = (err as { $retryable?: unknown } | null)?.$retryable !== undefined;
  return retryable
    ? new StowageError(wrapped.code, wrapped.message, { cause: err, retryable: true })
    : wrapped;
}
