/**
 * How sub-resources talk to the store: every SDK call goes through {@link liveCall}, which
 * translates errors (translateS3Error), turns "not set" answers into `undefined` for reads,
 * and turns "this store does not implement it" into one clear E_NOT_IMPLEMENTED.
 */
import { StowageError } from '../../errors.js';
import { translateS3Error } from '../index.js';
import type { StoreSession } from '../ops/session.js';
import type { SubResourceName } from './contract.js';

/** S3 codes that mean "the bucket has no such configuration". */
const NOT_SET = new Set([
  'NoSuchBucketPolicy',
  'NoSuchCORSConfiguration',
  'NoSuchLifecycleConfiguration',
  'NoSuchConfiguration',
  'ServerSideEncryptionConfigurationNotFoundError',
  'NoSuchPublicAccessBlockConfiguration',
  'ReplicationConfigurationNotFoundError',
  'NoSuchTagSet',
  'NoSuchTagSetError',
  'ObjectLockConfigurationNotFoundError',
  'OwnershipControlsNotFoundError',
]);

/** S3 codes (and HTTP statuses) with which a store says it does not implement a call. */
const UNSUPPORTED = new Set(['NotImplemented', 'MethodNotAllowed', 'UnsupportedOperation']);

function storeName(session: StoreSession): string {
  return session.store ? `store ${session.store.name}` : 'the store';
}

/** True when the translated error means "not implemented here". */
function isUnsupported(err: StowageError): boolean {
  const s3Code = String(err.details.s3Code ?? err.s3Code);
  const status = err.details.httpStatus;
  if (UNSUPPORTED.has(s3Code) || status === 501 || status === 405) return true;
  // A store that ignores an unknown sub-resource query answers with something else (often a
  // listing) that the SDK cannot parse as the expected document.
  const cause = err.cause as { name?: string } | undefined;
  return err.code === 'E_STORE_ERROR' && status === undefined && cause?.name === 'SyntaxError';
}

/**
 * Runs one SDK call for `sub` on `bucket`. With `read: true`, a "not set" answer resolves
 * to `undefined`.
 */
export async function liveCall<R>(
  session: StoreSession,
  sub: SubResourceName,
  bucket: string,
  send: () => Promise<R>,
  options: { read?: boolean; key?: string } = {},
): Promise<R | undefined> {
  try {
    return await send();
  } catch (raw) {
    const err = translateS3Error(raw, { bucket, key: options.key, store: session.store });
    const s3Code = String(err.details.s3Code ?? err.s3Code);
    if (options.read && NOT_SET.has(s3Code)) return undefined;
    if (s3Code === 'NoSuchBucket' && err.code !== 'E_NO_SUCH_BUCKET') {
      throw new StowageError('E_NO_SUCH_BUCKET', `s3://${bucket}: the bucket does not exist`, {
        cause: raw,
        details: err.details,
      });
    }
    if (isUnsupported(err)) {
      throw new StowageError(
        'E_NOT_IMPLEMENTED',
        `s3://${bucket}: ${storeName(session)} does not support the bucket ${sub} configuration (${s3Code})`,
        { cause: raw, details: { ...err.details, subResource: sub } },
      );
    }
    throw new StowageError(
      err.code,
      `${err.message} (bucket ${sub} configuration, ${storeName(session)})`,
      {
        cause: raw,
        details: { ...err.details, subResource: sub },
        s3Code: err.s3Code,
        retryable: err.retryable,
      },
    );
  }
}

/** {@link liveCall} for a call whose answer is required (writes, removes). */
export async function mustCall<R>(
  session: StoreSession,
  sub: SubResourceName,
  bucket: string,
  send: () => Promise<R>,
  key?: string,
): Promise<void> {
  await liveCall(session, sub, bucket, send, { key });
}
